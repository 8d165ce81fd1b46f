// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_home.h"
#include "bind.h"
#include "file_cache.h"
#include "fs_rules.h"
#include "resolve.h"
#include "sandbox.h"

struct fs_builder {
	const struct policy *p;
	uint32_t agent;
	struct compiled_policy *out;
	struct fs_summary *sum;
	char *err;
	size_t errlen;
	/* the directory of the last file resolved: lists name many files of one directory */
	char parent[PATH_MAX];
	int parent_fd;
	int parent_kept; /* file_cache_dir of parent: -1 when its files are not kept */
};

static int push_fs(struct fs_builder *b, uint32_t kind, uint64_t dev, uint64_t ino,
		   uint64_t hash, uint32_t access)
{
	struct rule_key key = { .kind = kind, .agent = b->agent, .dev = dev, .ino = ino,
				.name_hash = hash };
	union rule_value value = { .fs = { .access = access } };

	return compiled_push(b->out, &key, &value);
}

/*
 * A file's identity, resolved relative to its parent directory when that
 * was the last one's too: a 100,000-file list costs one short lookup a
 * file, not a walk from the root. The parent is held (O_PATH) only while
 * the compile runs. In the daemon, a file of a watched directory whose
 * identity an earlier compile found is not looked up again while nothing
 * can have changed it (file_cache.c); a symlink is never kept.
 */
static int identity_in_parent(struct fs_builder *b, const char *path, struct file_id *id,
			      bool *is_dir)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash ? (size_t)(slash - path) : 0;
	unsigned int mode = 0;
	int ret;

	if (!slash || !slash[1] || dir_len == 0 || dir_len >= sizeof(b->parent))
		return file_identity_type(AT_FDCWD, path, id, is_dir);
	if (b->parent_fd < 0 || strncmp(b->parent, path, dir_len) || b->parent[dir_len]) {
		if (b->parent_fd >= 0)
			close(b->parent_fd);
		memcpy(b->parent, path, dir_len);
		b->parent[dir_len] = '\0';
		b->parent_fd = open(b->parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (b->parent_fd < 0)
			return file_identity_type(AT_FDCWD, path, id, is_dir); /* its error */
		b->parent_kept = file_cache_dir(b->parent, b->parent_fd);
	}
	if (b->parent_kept < 0)
		return file_identity_type(b->parent_fd, slash + 1, id, is_dir);
	*is_dir = false;
	if (file_cache_get(b->parent_kept, path, id))
		return 0;
	ret = file_identity_stat(b->parent_fd, slash + 1, AT_SYMLINK_NOFOLLOW, id, &mode);
	if (!ret && S_ISLNK(mode))
		return file_identity_type(b->parent_fd, slash + 1, id, is_dir);
	*is_dir = S_ISDIR(mode);
	if (!ret && S_ISREG(mode))
		file_cache_put(b->parent_kept, path, id);
	return ret;
}

/*
 * The identity of path, kept stable while the policy is in force: for a
 * directory an O_PATH descriptor holds the inode in memory, because
 * overlayfs without xino hands out a new number when an evicted directory
 * inode is read back. Files keep their numbers (and are far more
 * numerous): they are not held, and cost one statx each. A directory's
 * identity is the descriptor's, not the first statx's: a directory
 * renamed in between is judged by what is held.
 */
static int pin_identity(struct fs_builder *b, const char *path, struct file_id *id,
			bool *is_dir)
{
	int fd, ret = identity_in_parent(b, path, id, is_dir);

	if (ret || !*is_dir)
		return ret;
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno; /* ENOTDIR: replaced by a file since the statx */
	ret = file_identity_fd(fd, id);
	if (!ret)
		ret = compiled_pin(b->out, fd);
	if (ret)
		close(fd);
	return ret;
}

/*
 * A rule on path. Missing paths are an error when required (the user named
 * them) and skipped otherwise (the baseline, workspaces yet to be made).
 */
static int add_path(struct fs_builder *b, const char *path, uint32_t access, bool required,
		    const char *what)
{
	struct file_id id;
	bool is_dir;
	int ret = pin_identity(b, path, &id, &is_dir);

	if (ret == -ENOENT && !required)
		return 0;
	if (ret) {
		snprintf(b->err, b->errlen, "%s: %s \"%s\": %s", b->p->path, what, path,
			 ret == -ENOENT ? "no such file or directory" : strerror(-ret));
		return ret;
	}
	if ((access & FS_DENY) && is_dir)
		b->sum->flags |= FS_HAS_DENY_DIRS;
	return push_fs(b, is_dir ? RULE_FS_DIR : RULE_FS_PATH, id.dev, id.ino, 0, access);
}

/*
 * An absolute deny path: its inode if it exists, and (parent, name) so a
 * replacement of the file (a new inode under the same name, as passwd(1)
 * does to /etc/shadow) stays denied.
 */
static int add_deny_path(struct fs_builder *b, const char *path)
{
	char *copy = strdup(path), *name, *dir;
	struct file_id parent;
	int ret;

	if (!copy)
		return -ENOMEM;
	ret = add_path(b, path, FS_DENY, false, "deny");
	name = basename(copy);
	if (!ret && strlen(name) <= WARDEN_NAME_PATTERN_MAX && strcmp(name, "/")) {
		char *copy2 = strdup(path);

		if (!copy2) {
			free(copy);
			return -ENOMEM;
		}
		bool is_dir;

		dir = dirname(copy2);
		if (!pin_identity(b, dir, &parent, &is_dir)) {
			ret = push_fs(b, RULE_FS_CHILD, parent.dev, parent.ino,
				      fs_name_hash(name, strlen(name), 0), FS_DENY);
			b->sum->flags |= FS_HAS_CHILD;
		}
		free(copy2);
	}
	free(copy);
	return ret;
}

/*
 * The agent's home, read-write; each homeFiles copy in it read-only (the
 * closest rule wins over the home's), and its source readable, for the
 * sandbox that binds the source itself over the copy (agent_home.h).
 */
static int add_home(struct fs_builder *b, const struct agent_policy *a)
{
	char home[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	int ret;

	agent_home_dir(a->name, home, sizeof(home));
	ret = add_path(b, home, FS_READ | FS_WRITE, false, "home");
	for (size_t i = 0; !ret && i < a->home_files.n; i++) {
		ret = agent_home_file(a->name, a->home_files.v[i], src, sizeof(src), dst, sizeof(dst));
		ret = ret ?: add_path(b, src, FS_READ, true, "homeFiles source");
		ret = ret ?: add_path(b, dst, FS_READ, false, "homeFiles copy");
	}
	return ret;
}

/* Records a pattern length the kernel must hash; at most WARDEN_PATTERN_LENS distinct. */
static int note_length(uint8_t lens[WARDEN_PATTERN_LENS], size_t len)
{
	for (int i = 0; i < WARDEN_PATTERN_LENS; i++) {
		if (lens[i] == len)
			return 0;
		if (!lens[i]) {
			lens[i] = (uint8_t)len;
			return 0;
		}
	}
	return -E2BIG;
}

/* The byte filter of struct name_filter_rule (bpf/warden.h). */
static void note_filter_byte(struct name_filter_rule *f, enum name_match kind, const char *fixed,
			     size_t len)
{
	unsigned char c = (unsigned char)(kind == NAME_SUFFIX ? fixed[len - 1] : fixed[0]) & 127;
	__u64 *bits = kind == NAME_SUFFIX ? f->last : f->first;

	bits[c / 64] |= 1ULL << (c % 64);
}

static int add_pattern(struct fs_builder *b, const char *pattern)
{
	enum name_match kind;
	const char *fixed, *why;
	size_t len;
	int ret = 0;

	if (fs_pattern_parse(pattern, &kind, &fixed, &len, &why)) {
		snprintf(b->err, b->errlen, "%s: deny \"%s\": %s", b->p->path, pattern, why);
		return -EINVAL;
	}
	b->sum->flags |= FS_HAS_NAMES;
	note_filter_byte(&b->sum->names, kind, fixed, len);
	if (kind == NAME_PREFIX)
		ret = note_length(b->sum->prefix_lens, len);
	else if (kind == NAME_SUFFIX)
		ret = note_length(b->sum->suffix_lens, len);
	if (ret) {
		snprintf(b->err, b->errlen, "%s: deny \"%s\": more than %d different lengths of "
			 "%s patterns", b->p->path, pattern, WARDEN_PATTERN_LENS,
			 kind == NAME_PREFIX ? "\"prefix*\"" : "\"*suffix\"");
		return ret;
	}
	return push_fs(b, RULE_FS_NAME, kind, len, fs_name_hash(fixed, len, kind == NAME_SUFFIX),
		       FS_DENY);
}

static int add_list(struct fs_builder *b, const char *const *paths, uint32_t access)
{
	int ret = 0;

	for (size_t i = 0; !ret && paths[i]; i++)
		ret = add_path(b, paths[i], access, false, "baseline");
	return ret;
}

static int add_binds(struct fs_builder *b, const struct agent_policy *a)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < a->binds.n; i++) {
		struct bind bd;

		ret = bind_parse(a->binds.v[i], &bd) ?:
		      add_path(b, bd.src, bd.rw ? FS_READ | FS_WRITE : FS_READ, true, "bind source");
	}
	return ret;
}

/* Every other agent's workspace is off limits, whatever readOnly says. */
static int deny_other_workspaces(struct fs_builder *b, const struct agent_policy *a)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < b->p->n_agents; i++) {
		const struct agent_policy *other = &b->p->agents[i];

		if (other == a || !other->workspace ||
		    (a->workspace && !strcmp(other->workspace, a->workspace)))
			continue;
		ret = add_path(b, other->workspace, FS_DENY, false, "workspace");
	}
	return ret;
}

/* Whether name matches a deny basename pattern. */
static bool pattern_matches(const char *pattern, const char *name)
{
	enum name_match kind;
	const char *fixed, *why;
	size_t len, n = strlen(name);

	if (fs_pattern_parse(pattern, &kind, &fixed, &len, &why))
		return false;
	switch (kind) {
	case NAME_EXACT: return !strcmp(name, fixed);
	case NAME_PREFIX: return !strncmp(name, fixed, len);
	case NAME_SUFFIX: return n >= len && !memcmp(name + n - len, fixed, len);
	}
	return false;
}

/* The deny entry that covers path (itself, an ancestor, or its name), or NULL. */
static const char *denied_by(const struct agent_policy *a, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < a->fs.deny.n; i++) {
		const char *d = a->fs.deny.v[i];
		size_t len = strlen(d);

		if (d[0] != '/' ? pattern_matches(d, base)
				: !strncmp(path, d, len) && (path[len] == '\0' || path[len] == '/' ||
							     (len == 1 && d[0] == '/')))
			return d;
	}
	return NULL;
}

/*
 * Rules that cannot both hold: a path the agent must read, or a bind it is
 * given, that a deny takes away. The deny would win in the kernel and the
 * agent would be cut off from what the policy promises it.
 */
static int check_conflicts(const struct policy *p, const struct agent_policy *a, char *err,
			   size_t errlen)
{
	const char *deny;

	for (size_t i = 0; i < a->fs.must_read.n; i++)
		if ((deny = denied_by(a, a->fs.must_read.v[i]))) {
			snprintf(err, errlen, "%s: agents.%s: mustRead \"%s\" is denied by fs.deny "
				 "\"%s\": the agent could never read it", p->path, a->name,
				 a->fs.must_read.v[i], deny);
			return -EINVAL;
		}
	for (size_t i = 0; i < a->binds.n; i++) {
		struct bind bd;

		if (!bind_parse(a->binds.v[i], &bd) && (deny = denied_by(a, bd.src))) {
			snprintf(err, errlen, "%s: agents.%s: bind \"%s\" is denied by fs.deny \"%s\": "
				 "the agent could never use it", p->path, a->name, a->binds.v[i], deny);
			return -EINVAL;
		}
	}
	if (a->workspace && (deny = denied_by(a, a->workspace))) {
		snprintf(err, errlen, "%s: agents.%s: workspace \"%s\" is denied by fs.deny \"%s\"",
			 p->path, a->name, a->workspace, deny);
		return -EINVAL;
	}
	return 0;
}

int fs_compile(const struct policy *p, const struct agent_policy *a, uint32_t id,
	       struct compiled_policy *out, struct fs_summary *sum, char *err, size_t errlen)
{
	struct fs_builder b = { .p = p, .agent = id, .out = out, .sum = sum, .err = err,
				.errlen = errlen, .parent_fd = -1, .parent_kept = -1 };
	int ret = 0;

	memset(sum, 0, sizeof(*sum));
	ret = check_conflicts(p, a, err, errlen);
	if (ret)
		return ret;
	if (a->fs.workspace_only)
		sum->flags |= FS_WORKSPACE_ONLY;
	ret = ret ?: add_list(&b, fs_baseline_read, FS_READ);
	ret = ret ?: add_list(&b, fs_baseline_write, FS_READ | FS_WRITE);
	for (size_t i = 0; !ret && i < a->fs.read_only.n; i++)
		ret = add_path(&b, a->fs.read_only.v[i], FS_READ, true, "readOnly");
	for (size_t i = 0; !ret && i < a->fs.must_read.n; i++)
		ret = add_path(&b, a->fs.must_read.v[i], FS_READ, true, "mustRead");
	ret = ret ?: add_binds(&b, a);
	if (!ret && a->workspace)
		ret = add_path(&b, a->workspace, FS_READ | FS_WRITE, false, "workspace");
	if (!ret) {
		char tmp[PATH_MAX];

		sandbox_tmp_dir(a->name, tmp, sizeof(tmp));
		ret = add_path(&b, tmp, FS_READ | FS_WRITE, false, "private /tmp");
	}
	ret = ret ?: add_home(&b, a);
	ret = ret ?: deny_other_workspaces(&b, a);
	for (size_t i = 0; !ret && i < a->fs.deny.n; i++)
		ret = a->fs.deny.v[i][0] == '/' ? add_deny_path(&b, a->fs.deny.v[i])
						: add_pattern(&b, a->fs.deny.v[i]);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", p->path);
	if (b.parent_fd >= 0)
		close(b.parent_fd);
	return ret;
}
