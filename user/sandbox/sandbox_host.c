// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "cgroup.h"
#include "sandbox_host.h"

/* A place the agent writes, as seen inside the sandbox and on the host. */
struct writable_tree {
	char inside[PATH_MAX];
	char host[PATH_MAX];
};

/* dst lies in (or is) the tree mounted at inside. */
static size_t covers(const char *inside, const char *dst)
{
	size_t n = strlen(inside);

	return !strncmp(dst, inside, n) && (dst[n] == '/' || dst[n] == '\0') ? n : 0;
}

/*
 * lstat of every component below host/, along rest ("a/b/c"): a symlink
 * anywhere is refused; a missing one ends the walk (bwrap creates it, and
 * the kernel keeps it from following links the agent plants meanwhile).
 */
static int check_below(const char *host, const char *rest, char *bad, size_t len)
{
	char path[PATH_MAX];
	size_t at;
	struct stat st;

	if (snprintf(path, sizeof(path), "%s", host) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	at = strlen(path);
	while (*rest) {
		size_t n;

		while (*rest == '/')
			rest++;
		n = strcspn(rest, "/");
		if (!n)
			break;
		if (at + 1 + n >= sizeof(path))
			return -ENAMETOOLONG;
		path[at++] = '/';
		memcpy(path + at, rest, n);
		at += n;
		path[at] = '\0';
		rest += n;
		if (lstat(path, &st))
			return errno == ENOENT ? 0 : -errno;
		if (S_ISLNK(st.st_mode)) {
			snprintf(bad, len, "%s", path);
			return -ELOOP;
		}
	}
	return 0;
}

int sandbox_check_destinations(const struct sandbox_spec *s, char *why, size_t len)
{
	struct writable_tree *trees = calloc(s->binds.n + 2, sizeof(*trees));
	size_t n = 0;
	int ret = 0;

	if (!trees)
		return -ENOMEM;
	if (s->tmp_dir) {
		snprintf(trees[n].inside, PATH_MAX, "/tmp");
		snprintf(trees[n++].host, PATH_MAX, "%s", s->tmp_dir);
	}
	if (s->workspace) {
		snprintf(trees[n].inside, PATH_MAX, SANDBOX_WORKSPACE);
		snprintf(trees[n++].host, PATH_MAX, "%s", s->workspace);
	}
	for (size_t i = 0; !ret && i < s->binds.n; i++) {
		struct bind bd;
		char bad[PATH_MAX] = "", *src = bd.src, *dst = bd.dst;
		size_t best = 0, at = 0;

		ret = bind_parse(s->binds.v[i], &bd);
		if (ret) { /* the policy parser accepts no such bind: refuse it, never guess */
			snprintf(why, len, "bind %s: not SRC:DST[:ro|:rw] with absolute paths",
				 s->binds.v[i]);
			break;
		}
		/* the deepest tree mounted before this bind is where bwrap creates dst */
		for (size_t t = 0; t < n; t++) {
			size_t c = covers(trees[t].inside, dst);

			if (c > at) {
				at = c;
				best = t + 1;
			}
		}
		if (best) {
			ret = check_below(trees[best - 1].host, dst + at, bad, sizeof(bad));
			if (ret == -ELOOP)
				snprintf(why, len, "bind destination %s: %s is a symlink in a directory "
					 "the agent writes; refusing to follow it (remove it)", dst, bad);
			else if (ret)
				snprintf(why, len, "bind destination %s: %s", dst, strerror(-ret));
		}
		if (bd.rw && !ret) {
			snprintf(trees[n].inside, PATH_MAX, "%s", dst);
			snprintf(trees[n++].host, PATH_MAX, "%s", src);
		}
	}
	free(trees);
	return ret;
}

/* Which sources uid/gid cannot reach, tried with those ids as effective ones. */
static int probe_sources(char **argv, uid_t uid, gid_t gid, bool *unreachable, bool *any,
			 char *why, size_t len)
{
	int ret = 0;

	*any = false;
	if (setgroups(0, NULL) || setegid(gid) || seteuid(uid))
		return -errno;
	for (size_t i = 0; argv[i] && strcmp(argv[i], "--"); i++) {
		struct stat st;

		if ((strcmp(argv[i], "--bind") && strcmp(argv[i], "--ro-bind")) || !argv[i + 1])
			continue;
		i++;
		if (!stat(argv[i], &st))
			continue;
		if (errno == EACCES) {
			unreachable[i] = true;
			*any = true;
		} else if (!ret) {
			ret = -errno;
			snprintf(why, len, "%s: %s", argv[i], strerror(errno));
		}
	}
	if (seteuid(0) || setegid(0)) {
		snprintf(why, len, "cannot return to root after probing the sources: %s",
			 strerror(errno));
		return -EPERM;
	}
	return ret;
}

/* Mounts src at SANDBOX_STAGE_DIR/N (N = index); out gets that path. */
static int stage_one(const char *src, size_t index, char *out, size_t len)
{
	struct stat st;
	int fd;

	if (stat(src, &st))
		return -errno;
	snprintf(out, len, "%s/%zu", SANDBOX_STAGE_DIR, index);
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(out, 0755))
			return -errno;
	} else {
		fd = open(out, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	return mount(src, out, NULL, MS_BIND | MS_REC, NULL) ? -errno : 0;
}

int sandbox_stage_sources(char **argv, uid_t uid, gid_t gid, struct strv *keep, char *why,
			  size_t len)
{
	size_t argc = 0;
	bool *unreachable, any;
	int ret;

	while (argv[argc])
		argc++;
	unreachable = calloc(argc + 1, sizeof(*unreachable));
	if (!unreachable)
		return -ENOMEM;
	ret = probe_sources(argv, uid, gid, unreachable, &any, why, len);
	if (ret || !any)
		goto out;
	/*
	 * A mount namespace of this process only: the host never sees the
	 * staged mounts, bwrap starts from a copy of them.
	 */
	ret = cgroup_mkdir(SANDBOX_STAGE_DIR);
	if (!ret && (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
		     mount("warden-stage", SANDBOX_STAGE_DIR, "tmpfs",
			   MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k")))
		ret = -errno;
	if (ret) {
		snprintf(why, len, "cannot make a private mount namespace at %s to provide the "
			 "sources the agent's user cannot reach: %s", SANDBOX_STAGE_DIR,
			 strerror(-ret));
		goto out;
	}
	for (size_t i = 0; i < argc; i++) {
		char staged[PATH_MAX];

		if (!unreachable[i])
			continue;
		ret = stage_one(argv[i], i, staged, sizeof(staged));
		ret = ret ?: strv_push(keep, staged);
		if (ret) {
			snprintf(why, len, "%s: the agent's user cannot reach it, and it cannot be "
				 "bound for it: %s", argv[i], strerror(-ret));
			goto out;
		}
		argv[i] = keep->v[keep->n - 1];
	}
out:
	free(unreachable);
	return ret;
}
