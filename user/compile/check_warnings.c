// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_warnings.h"
#include "fs_rules.h"
#include "profile.h"
#include "resolve.h"
#include "sandbox.h"

/* directory entries a check visits looking for deny matches: a check must stay quick */
#define SCAN_BUDGET 20000
#define SHOWN_MATCHES 3

static bool name_matches(const char *pattern, const char *name)
{
	enum name_match kind;
	const char *fixed, *why;
	size_t len, n = strlen(name);

	if (pattern[0] == '/' || fs_pattern_parse(pattern, &kind, &fixed, &len, &why))
		return false;
	switch (kind) {
	case NAME_EXACT: return n == len && !memcmp(name, fixed, len);
	case NAME_PREFIX: return n >= len && !memcmp(name, fixed, len);
	case NAME_SUFFIX: return n >= len && !memcmp(name + n - len, fixed, len);
	}
	return false;
}

static const char *matching_pattern(const struct agent_policy *a, const char *name)
{
	for (size_t i = 0; i < a->fs.deny.n; i++)
		if (name_matches(a->fs.deny.v[i], name))
			return a->fs.deny.v[i];
	return NULL;
}

static size_t scan(const struct agent_policy *a, const char *dir, int depth, char found[][4096],
		   size_t n, size_t max, size_t *budget)
{
	struct dirent *de;
	DIR *d;

	if (depth > 12 || !*budget || n >= max || !(d = opendir(dir)))
		return n;
	while (n < max && *budget && (de = readdir(d))) {
		char path[4096];

		(*budget)--;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (matching_pattern(a, de->d_name))
			snprintf(found[n++], 4096, "%s", path);
		else if (de->d_type == DT_DIR)
			n = scan(a, path, depth + 1, found, n, max, budget);
	}
	closedir(d);
	return n;
}

size_t deny_matches_under(const struct agent_policy *a, const char *dir, char found[][4096],
			  size_t max, size_t *budget)
{
	struct stat st;
	const char *slash = strrchr(dir, '/');

	if (lstat(dir, &st))
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		if (matching_pattern(a, slash ? slash + 1 : dir) && max) {
			snprintf(found[0], 4096, "%s", dir);
			return 1;
		}
		return 0;
	}
	return scan(a, dir, 0, found, 0, max, budget);
}

/* Whether uid (with gid and its groups) may search every directory from / down to path. */
static int untraversable_at(const char *path, uid_t uid, gid_t gid, char *where, size_t len)
{
	char buf[PATH_MAX];
	struct passwd *pw = getpwuid(uid);
	gid_t groups[64];
	int ngroups = 64;

	if (pw)
		getgrouplist(pw->pw_name, gid, groups, &ngroups);
	else
		ngroups = 0;
	/* every ancestor, and the path itself: a directory the agent works in */
	snprintf(buf, sizeof(buf), "%s/", path);
	for (char *p = buf; p; p = strchr(p + 1, '/')) {
		char save = p[1];
		struct stat st;
		bool in_group = false;
		mode_t need;

		p[1] = '\0'; /* the prefix up to and including this '/' */
		if (stat(buf, &st)) {
			p[1] = save;
			return 0; /* missing: `warden check` reports what must exist */
		}
		for (int i = 0; i < ngroups; i++)
			in_group |= groups[i] == st.st_gid;
		need = st.st_uid == uid ? S_IXUSR : (st.st_gid == gid || in_group) ? S_IXGRP : S_IXOTH;
		if (S_ISDIR(st.st_mode) && !(st.st_mode & need)) {
			size_t l = strlen(buf);

			if (l > 1)
				buf[l - 1] = '\0';
			snprintf(where, len, "%s", buf);
			return 1;
		}
		p[1] = save;
		if (!save)
			break;
	}
	return 0;
}

static bool is_root_user(const char *user)
{
	return !strcmp(user, "root") || !strcmp(user, "0");
}

static bool same_id(const struct resolved_bins *rb, const struct file_id *id)
{
	for (size_t i = 0; i < rb->n; i++)
		if (rb->v[i].id.dev == id->dev && rb->v[i].id.ino == id->ino)
			return true;
	return false;
}

static bool readable(const struct agent_policy *a, const char *path)
{
	size_t n = a->workspace ? strlen(a->workspace) : 0;

	if (n && !strncmp(path, a->workspace, n) && (path[n] == '/' || !path[n]))
		return true;
	return profile_path_readable(a, path);
}

/* safeBins entries the agent could not read, and scripts whose interpreter is not allowed */
static int bin_warnings(const struct policy *p, const struct agent_policy *a, FILE *out)
{
	struct resolved_bins bins = {};
	char err[1024];
	int n = 0;

	if (a->exec.security != EXEC_SECURITY_ALLOWLIST ||
	    resolve_safe_bins(p, a, &bins, err, sizeof(err)))
		goto out;
	for (size_t i = 0; i < bins.n; i++) {
		char real[PATH_MAX], interp[PATH_MAX], prog[PATH_MAX], ireal[PATH_MAX];
		struct file_id iid;

		if (!realpath(bins.v[i].path, real))
			continue;
		if (a->fs.workspace_only && !readable(a, real)) {
			fprintf(out, "warden: warning: %s: agents.%s.exec.safeBins: %s lies outside "
				"every path the agent may read (baseline, fs.readOnly, workspace): it "
				"is not in a sandbox's view and cannot be opened; add its directory to "
				"fs.readOnly\n", p->path, a->name, real);
			n++;
		}
		if (script_interpreter(real, interp, sizeof(interp), prog, sizeof(prog)))
			continue;
		if (!file_identity(interp, &iid) && !same_id(&bins, &iid)) {
			fprintf(out, "warden: warning: %s: agents.%s.exec.safeBins: %s is a script for "
				"%s, which is not allowed: it will not run (add \"%s\")\n", p->path,
				a->name, real, interp, interp);
			n++;
		}
		if (a->fs.workspace_only && realpath(interp, ireal) && !readable(a, ireal)) {
			fprintf(out, "warden: warning: %s: agents.%s.exec.safeBins: the interpreter %s "
				"of %s lies outside every path the agent may read\n", p->path, a->name,
				ireal, real);
			n++;
		}
	}
out:
	resolved_bins_free(&bins);
	return n;
}

/*
 * /usr is large and the same for every agent: its matches are found once per
 * distinct deny list (agents of one policy share theirs, mostly), with a
 * budget of its own.
 */
static size_t usr_deny_matches(const struct agent_policy *a, char found[][4096], size_t max)
{
	static struct {
		char *deny; /* the deny list, one entry a line */
		size_t n;
		char found[SHOWN_MATCHES][4096];
	} memo[8];
	static size_t memo_n;
	char key[8192] = "";
	size_t budget = SCAN_BUDGET, n;

	for (size_t i = 0; i < a->fs.deny.n; i++)
		snprintf(key + strlen(key), sizeof(key) - strlen(key), "%s\n", a->fs.deny.v[i]);
	for (size_t i = 0; i < memo_n; i++)
		if (!strcmp(memo[i].deny, key)) {
			n = memo[i].n < max ? memo[i].n : max;
			memcpy(found, memo[i].found, n * sizeof(found[0]));
			return n;
		}
	n = deny_matches_under(a, "/usr", found, max, &budget);
	if (memo_n < sizeof(memo) / sizeof(memo[0]) && max == SHOWN_MATCHES &&
	    (memo[memo_n].deny = strdup(key))) {
		memo[memo_n].n = n;
		memcpy(memo[memo_n++].found, found, n * sizeof(found[0]));
	}
	return n;
}

static int deny_warnings(const struct policy *p, const struct agent_policy *a, FILE *out)
{
	size_t budget = SCAN_BUDGET;
	char found[SHOWN_MATCHES][4096];
	char list[3 * 4096 + 64] = "";
	size_t total = 0;
	bool patterns = false;
	int n = 0;

	for (size_t i = 0; i < a->fs.deny.n; i++)
		patterns |= a->fs.deny.v[i][0] != '/';
	if (!patterns)
		return 0;
	for (size_t i = 0; fs_baseline_read[i]; i++) {
		/* /usr is searched last and within the budget: it is large, and rarely the surprise */
		if (!strcmp(fs_baseline_read[i], "/usr"))
			continue;
		total += deny_matches_under(a, fs_baseline_read[i], found + total,
					    SHOWN_MATCHES - total, &budget);
		if (total >= SHOWN_MATCHES)
			break;
	}
	for (size_t i = 0; i < a->fs.read_only.n && total < SHOWN_MATCHES; i++)
		total += deny_matches_under(a, a->fs.read_only.v[i], found + total,
					    SHOWN_MATCHES - total, &budget);
	if (!total)
		total = usr_deny_matches(a, found, SHOWN_MATCHES);
	if (!total)
		return 0;
	for (size_t i = 0; i < total; i++) {
		const char *slash = strrchr(found[i], '/');

		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s (\"%s\")",
			 i ? ", " : "", found[i], matching_pattern(a, slash ? slash + 1 : found[i]));
	}
	fprintf(out, "warden: warning: %s: agents.%s.fs.deny: also denies files the agent is "
		"meant to read, e.g. %s%s\n", p->path, a->name, list,
		strstr(list, "/etc/ssl") ? "; TLS needs the CA certificates: deny the private "
					   "keys by name or directory instead" : "");
	n++;
	return n;
}

static int traverse_warnings(const struct policy *p, const struct agent_policy *a, FILE *out)
{
	const char *user = a->user ?: DEFAULT_AGENT_USER;
	char where[PATH_MAX];
	uid_t uid;
	gid_t gid;
	int n = 0;

	if (is_root_user(user) || user_ids(user, &uid, &gid))
		return 0;
	if (a->workspace && untraversable_at(a->workspace, uid, gid, where, sizeof(where))) {
		fprintf(out, "warden: warning: %s: agents.%s.workspace: %s: user %s cannot search "
			"%s\n", p->path, a->name, a->workspace, user, where);
		n++;
	}
	for (size_t i = 0; i < a->binds.n; i++) {
		char src[PATH_MAX];

		snprintf(src, sizeof(src), "%.*s", (int)strcspn(a->binds.v[i], ":"), a->binds.v[i]);
		if (untraversable_at(src, uid, gid, where, sizeof(where))) {
			fprintf(out, "warden: warning: %s: agents.%s.binds[%zu]: %s: user %s cannot "
				"search %s\n", p->path, a->name, i, src, user, where);
			n++;
		}
	}
	for (size_t i = 0; i < a->home_files.n; i++) {
		char src[PATH_MAX];
		struct stat st;
		bool can_read;

		/* the sandbox binds SRC itself: the agent's user reads it there */
		snprintf(src, sizeof(src), "%.*s", (int)strcspn(a->home_files.v[i], ":"),
			 a->home_files.v[i]);
		if (stat(src, &st))
			continue;
		can_read = st.st_uid == uid ? st.st_mode & S_IRUSR
					      : st.st_gid == gid ? st.st_mode & S_IRGRP
								 : st.st_mode & S_IROTH;
		if (!can_read || untraversable_at(src, uid, gid, where, sizeof(where))) {
			fprintf(out, "warden: warning: %s: agents.%s.homeFiles[%zu]: %s: user %s "
				"cannot read it (make it readable, e.g. mode 0644: it is read, never "
				"written)\n", p->path, a->name, i, src, user);
			n++;
		}
	}
	return n;
}

static int shared_number_warning(const struct policy *p, const struct agent_policy *a,
				 const char *where, const char *path, FILE *out)
{
	if (path[0] != '/' || !file_number_shared(path))
		return 0;
	fprintf(out, "warden: warning: %s: agents.%s.%s: %s lies on a filesystem whose inode "
		"numbers repeat (overlayfs over different filesystems without xino, or a btrfs "
		"subvolume): a file the agent creates there can take its number and its rule; "
		"mount the overlay with xino=on, or name its directory instead\n", p->path,
		a->name, where, path);
	return 1;
}

/* Rules on single files whose kernel number another file may share (file_number_shared) */
static int identity_warnings(const struct policy *p, const struct agent_policy *a, FILE *out)
{
	struct resolved_bins bins = {};
	char err[1024];
	int n = 0;

	if (a->exec.security == EXEC_SECURITY_ALLOWLIST &&
	    !resolve_safe_bins(p, a, &bins, err, sizeof(err)))
		for (size_t i = 0; i < bins.n; i++)
			n += shared_number_warning(p, a, "exec.safeBins", bins.v[i].path, out);
	resolved_bins_free(&bins);
	for (size_t i = 0; i < a->fs.read_only.n; i++)
		n += shared_number_warning(p, a, "fs.readOnly", a->fs.read_only.v[i], out);
	for (size_t i = 0; i < a->fs.deny.n; i++)
		n += shared_number_warning(p, a, "fs.deny", a->fs.deny.v[i], out);
	return n;
}

int check_agent_warnings(const struct policy *p, const struct agent_policy *a, FILE *out)
{
	if (!a->confined)
		return 0;
	return bin_warnings(p, a, out) + deny_warnings(p, a, out) + traverse_warnings(p, a, out) +
	       identity_warnings(p, a, out);
}
