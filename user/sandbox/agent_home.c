// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_home.h"
#include "paths.h"
#include "user.h"

void agent_home_dir(const char *agent, char *out, size_t len)
{
	snprintf(out, len, "%s/home/%s", WARDEN_STATE_DIR, agent);
}

int agent_home_file(const char *agent, const char *entry, char *src, size_t srclen, char *dst,
		    size_t dstlen)
{
	const char *colon = strchr(entry, ':');
	char home[PATH_MAX];

	if (!colon)
		return -EINVAL;
	agent_home_dir(agent, home, sizeof(home));
	if (snprintf(src, srclen, "%.*s", (int)(colon - entry), entry) >= (int)srclen ||
	    snprintf(dst, dstlen, "%s/%s", home, colon + 1) >= (int)dstlen)
		return -ENAMETOOLONG;
	return 0;
}

/* The whole of a small file; NULL and errno on failure. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t cap = 4096, n = 0;
	char *buf = NULL;
	ssize_t r;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf && (r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			char *bigger = cap < (1u << 24) ? realloc(buf, cap * 2) : NULL;

			if (!bigger) {
				free(buf);
				buf = NULL;
				errno = EFBIG;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	close(fd);
	*len = n;
	return buf;
}

/* mkdir -p of the directories between home and file, owned like home. */
static int make_parents(const char *home, const char *file, uid_t uid, gid_t gid)
{
	char path[PATH_MAX];
	size_t base = strlen(home);

	snprintf(path, sizeof(path), "%s", file);
	for (char *p = path + base + 1; (p = strchr(p, '/')); p++) {
		struct stat st;

		*p = '\0';
		if (lstat(path, &st)) {
			if (mkdir(path, 0700) || chown(path, uid, gid))
				return -errno;
		} else if (!S_ISDIR(st.st_mode)) {
			return -ENOTDIR; /* a symlink the agent planted is not followed */
		}
		*p = '/';
	}
	return 0;
}

static int sync_one(const char *home, const char *src, const char *dst, uid_t uid, gid_t gid)
{
	size_t want_len, have_len = 0;
	char *want = slurp(src, &want_len), *have, tmp[PATH_MAX + 16];
	struct stat st;
	int fd, ret = 0;

	if (!want)
		return -errno;
	have = slurp(dst, &have_len);
	if (have && have_len == want_len && !memcmp(have, want, want_len) && !lstat(dst, &st) &&
	    S_ISREG(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 022))
		goto out; /* as it should be: keep its inode */
	ret = make_parents(home, dst, uid, gid);
	if (ret)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.warden-new", dst);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
	if (fd < 0 || write(fd, want, want_len) != (ssize_t)want_len || fsync(fd) ||
	    rename(tmp, dst))
		ret = -errno ?: -EIO;
	if (fd >= 0)
		close(fd);
	if (ret)
		unlink(tmp);
out:
	free(want);
	free(have);
	return ret;
}

int agent_home_sync(const struct agent_policy *a, char *err, size_t errlen)
{
	const char *user = a->user ? a->user : DEFAULT_AGENT_USER;
	char home[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	uid_t uid = 0;
	gid_t gid = 0;
	struct stat st;
	int ret;

	agent_home_dir(a->name, home, sizeof(home));
	if (user_ids(user, &uid, &gid)) {
		snprintf(err, errlen, "agent %s: no such user \"%s\" for its home", a->name, user);
		return -ENOENT;
	}
	if (lstat(home, &st)) {
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%s/home", WARDEN_STATE_DIR);
		mkdir(WARDEN_STATE_DIR, 0755);
		mkdir(parent, 0755);
		if (mkdir(home, 0700) || chown(home, uid, gid)) {
			ret = -errno;
			snprintf(err, errlen, "cannot create the home %s of agent %s: %s", home,
				 a->name, strerror(-ret));
			return ret;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "the home %s of agent %s is not a directory", home, a->name);
		return -ENOTDIR;
	}
	for (size_t i = 0; i < a->home_files.n; i++) {
		ret = agent_home_file(a->name, a->home_files.v[i], src, sizeof(src), dst,
				      sizeof(dst));
		ret = ret ?: sync_one(home, src, dst, uid, gid);
		if (ret) {
			snprintf(err, errlen, "agent %s: homeFiles \"%s\": %s", a->name,
				 a->home_files.v[i], strerror(-ret));
			return ret;
		}
	}
	return 0;
}
