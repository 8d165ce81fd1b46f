// SPDX-License-Identifier: GPL-2.0-only
/*
 * Check 7: secrets an agent can see (by fs.deny's patterns) in its
 * workspace and binds, and hard links that would carry them past a rule.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "audit_checks.h"
#include "bind.h"


/* ---- 7. secrets ---- */

#define SECRETS_MAX_DEPTH 8
#define SECRETS_MAX_ENTRIES 200000 /* a bound on the walk, not on what is reported */

/* A file seen by the scan: for secrets.hardlinks. */
struct seen_file {
	dev_t dev;
	ino_t ino;
	char *path;          /* host path */
	const char *denied;  /* the deny entry its name or path matches; NULL: none */
};

struct secret_scan {
	const struct audit_ctx *ctx;
	struct strv patterns;   /* basename patterns of every agent's fs.deny */
	struct strv reported;   /* host paths already reported */
	struct seen_file *files; /* files with more than one link, denied or not */
	size_t n_files, cap_files;
	size_t budget;          /* entries left to look at */
	const char *where;      /* "agent a's workspace" */
	struct audit_report *r;
	int err;
};

static const char *secret_pattern(const struct secret_scan *s, const char *name)
{
	/* the policy allows one '*' at the start or end: fnmatch reads that as the kernel does */
	for (size_t i = 0; i < s->patterns.n; i++)
		if (!fnmatch(s->patterns.v[i], name, 0))
			return s->patterns.v[i];
	return NULL;
}

static void report_secret(struct secret_scan *s, const char *path, mode_t mode,
			  const char *pattern, bool others_reach)
{
	char fix[PATH_MAX + 64];
	int err = 0;

	if (!s->r || strv_contains(&s->reported, path))
		return;
	if (strv_push(&s->reported, path)) {
		s->err = -ENOMEM;
		return;
	}
	if (others_reach && (mode & S_IROTH)) {
		snprintf(fix, sizeof(fix), "chmod o-r %s (secrets belong in 0600 files out of agents' "
			 "reach)", path);
		err = audit_add(s->r, "secrets.readable", AUDIT_HIGH, fix,
				"%s matches the deny pattern \"%s\" and every user can read it "
				"(mode %04o)", path, pattern, (unsigned)(mode & 07777));
	}
	if (!err)
		err = audit_add(s->r, "secrets.in-workspace", AUDIT_HIGH,
				"move it out: the kernel denies it to the agent, but a secret inside "
				"a workspace or shared directory is one policy mistake from exposure",
				"%s matches the deny pattern \"%s\" and sits in %s", path, pattern,
				s->where);
	s->err = s->err ?: err;
}

/* Remembers a file with more than one link; denied: the entry covering it, or NULL. */
static void note_linked(struct secret_scan *s, const char *path, const struct stat *st,
			const char *denied)
{
	struct seen_file *f;

	if (st->st_nlink < 2 || s->err)
		return;
	if (ARRAY_GROW(s->files, &s->cap_files, s->n_files + 1)) {
		s->err = -ENOMEM;
		return;
	}
	f = &s->files[s->n_files];
	*f = (struct seen_file){ .dev = st->st_dev, .ino = st->st_ino, .path = strdup(path),
				 .denied = denied };
	if (!f->path)
		s->err = -ENOMEM;
	else
		s->n_files++;
}

/*
 * path: the host path of dfd's directory, extended in place while walking.
 * dir_denied: the deny pattern a directory above matched (patterns hold
 * for every component, as in the kernel), or NULL.
 */
static void scan_dir(struct secret_scan *s, int dfd, char *path, size_t cap, int depth,
		     bool others_reach, const char *dir_denied)
{
	size_t len = strlen(path);
	struct dirent *de;
	DIR *d = fdopendir(dfd);

	if (!d) {
		close(dfd);
		return;
	}
	while (!s->err && s->budget && (de = readdir(d))) {
		const char *pattern;
		struct stat st;

		path[len] = '\0';
		s->budget--;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    snprintf(path + len, cap - len, "/%s", de->d_name) >= (int)(cap - len))
			continue;
		pattern = secret_pattern(s, de->d_name);
		if (S_ISREG(st.st_mode) && (pattern || dir_denied)) {
			report_secret(s, path, st.st_mode, pattern ?: dir_denied, others_reach);
			note_linked(s, path, &st, pattern ?: dir_denied);
		} else if (S_ISREG(st.st_mode)) {
			note_linked(s, path, &st, NULL);
		} else if (S_ISDIR(st.st_mode) && depth < SECRETS_MAX_DEPTH) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				scan_dir(s, sub, path, cap, depth + 1,
					 others_reach && (st.st_mode & S_IXOTH), pattern ?: dir_denied);
		}
	}
	path[len] = '\0';
	closedir(d);
}

/* Every directory above path lets other users through. */
static bool others_can_reach(const char *path)
{
	char buf[PATH_MAX], *slash;
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	while ((slash = strrchr(buf, '/'))) {
		*slash = '\0';
		if (stat(buf[0] ? buf : "/", &st) || !(st.st_mode & S_IXOTH))
			return false;
	}
	return true;
}

static void scan_root(struct secret_scan *s, const char *host_path, const char *where)
{
	char rooted[PATH_MAX], path[PATH_MAX];
	const char *pattern, *base;
	struct stat st;
	int fd;

	if (audit_path(s->ctx, host_path, rooted, sizeof(rooted)) || stat(rooted, &st))
		return;
	s->where = where;
	snprintf(path, sizeof(path), "%s", host_path);
	if (S_ISREG(st.st_mode)) { /* a bind of one file */
		base = strrchr(host_path, '/') ? strrchr(host_path, '/') + 1 : host_path;
		if ((pattern = secret_pattern(s, base)))
			report_secret(s, path, st.st_mode, pattern, others_can_reach(rooted));
		note_linked(s, path, &st, pattern);
		return;
	}
	fd = open(rooted, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		scan_dir(s, fd, path, sizeof(path), 1,
			 others_can_reach(rooted) && (st.st_mode & S_IXOTH), NULL);
}

/* Linked files in or under an absolute deny path (/etc/shadow, /root/.ssh). */
static void note_deny_path(struct secret_scan *s, const char *deny)
{
	struct secret_scan sub = { .ctx = s->ctx, .budget = s->budget };
	char rooted[PATH_MAX], path[PATH_MAX];
	struct stat st;
	int fd;

	if (audit_path(s->ctx, deny, rooted, sizeof(rooted)) || stat(rooted, &st))
		return;
	if (S_ISREG(st.st_mode)) {
		note_linked(s, deny, &st, deny);
		return;
	}
	if (!S_ISDIR(st.st_mode) || (fd = open(rooted, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	/* every file below is denied: walk it with a scan that reports nothing */
	snprintf(path, sizeof(path), "%s", deny);
	sub.r = NULL;
	sub.where = "";
	scan_dir(&sub, fd, path, sizeof(path), 1, false, deny);
	for (size_t i = 0; i < sub.n_files; i++) {
		struct stat one = { .st_dev = sub.files[i].dev, .st_ino = sub.files[i].ino,
				    .st_nlink = 2 };

		note_linked(s, sub.files[i].path, &one, deny);
		free(sub.files[i].path);
	}
	free(sub.files);
	strv_free(&sub.reported);
	s->budget = sub.budget;
}

/*
 * secrets.hardlinks: the kernel judges a file by the name it is opened
 * under, so a hard link made before confinement (app/settings.txt ->
 * app/.env) reaches a denied file under an innocent name. Reported: every
 * linked file in a workspace or bind source whose inode is also seen under
 * a denied name or path.
 */
static int report_hardlinks(struct secret_scan *s)
{
	int err = 0;

	for (size_t i = 0; !err && i < s->n_files; i++) {
		const struct seen_file *f = &s->files[i];

		if (f->denied)
			continue;
		for (size_t j = 0; !err && j < s->n_files; j++) {
			const struct seen_file *g = &s->files[j];
			char fix[2 * PATH_MAX + 96];

			if (!g->denied || g->dev != f->dev || g->ino != f->ino)
				continue;
			snprintf(fix, sizeof(fix), "rm %s (a second name of %s; the kernel judges the "
				 "name a file is opened under)", f->path, g->path);
			err = audit_add(s->r, "secrets.hardlinks", AUDIT_HIGH, fix,
					"%s is a hard link to %s, which fs.deny \"%s\" denies: an agent "
					"reads the secret under the innocent name", f->path, g->path,
					g->denied);
			break;
		}
	}
	return err;
}

static int collect_patterns(const struct policy *p, struct strv *out)
{
	for (size_t i = 0; i <= p->n_agents; i++) {
		const struct agent_policy *a = i < p->n_agents ? &p->agents[i] : &p->defaults;

		for (size_t j = 0; j < a->fs.deny.n; j++) {
			const char *d = a->fs.deny.v[j];

			if (d[0] != '/' && !strv_contains(out, d) && strv_push(out, d))
				return -ENOMEM;
		}
	}
	return 0;
}

int audit_check_secrets(const struct audit_ctx *ctx, struct audit_report *r)
{
	struct secret_scan s = { .ctx = ctx, .budget = SECRETS_MAX_ENTRIES, .r = r };
	char where[PATH_MAX + 128];

	if (!ctx->policy)
		return -ENODATA;
	s.err = collect_patterns(ctx->policy, &s.patterns);
	for (size_t i = 0; !s.err && i <= ctx->policy->n_agents; i++) {
		const struct agent_policy *a = i < ctx->policy->n_agents ? &ctx->policy->agents[i]
									: &ctx->policy->defaults;

		for (size_t j = 0; !s.err && j < a->fs.deny.n; j++)
			if (a->fs.deny.v[j][0] == '/')
				note_deny_path(&s, a->fs.deny.v[j]);
	}
	for (size_t i = 0; !s.err && i < ctx->policy->n_agents; i++) {
		const struct agent_policy *a = &ctx->policy->agents[i];

		if (a->workspace) {
			snprintf(where, sizeof(where), "agent %s's workspace", a->name);
			scan_root(&s, a->workspace, where);
		}
		for (size_t j = 0; !s.err && j < a->binds.n; j++) {
			struct bind b;

			if (bind_parse(a->binds.v[j], &b))
				continue; /* validated by the policy parser */
			snprintf(where, sizeof(where), "a directory agent %s sees %s at %s", a->name,
				 b.rw ? "read-write" : "read-only", b.dst);
			scan_root(&s, b.src, where);
		}
	}
	if (!s.err)
		s.err = report_hardlinks(&s);
	for (size_t i = 0; i < s.n_files; i++)
		free(s.files[i].path);
	free(s.files);
	strv_free(&s.patterns);
	strv_free(&s.reported);
	return s.err;
}
