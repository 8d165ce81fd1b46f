// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "array.h"
#include "resolve.h"

/* The kernel's internal dev_t encoding (MKDEV), which is what s_dev holds. */
static uint64_t kernel_dev(unsigned int major, unsigned int minor)
{
	return ((uint64_t)major << 20) | minor;
}

/* Reads "mnt_id:" and "ino:" of an open fd from /proc/self/fdinfo. */
static int fdinfo_ids(int fd, int *mnt_id, uint64_t *ino)
{
	char path[64], line[256];
	bool have_mnt = false, have_ino = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "mnt_id: %d", mnt_id) == 1)
			have_mnt = true;
		else if (sscanf(line, "ino: %llu", &v) == 1) {
			*ino = v;
			have_ino = true;
		}
	}
	fclose(f);
	/* fdinfo has "ino:" since Linux 5.14 */
	return have_mnt && have_ino ? 0 : -ENOTSUP;
}

/*
 * mountinfo is read once per compile, not once per file: a policy of
 * 100,000 paths would otherwise parse it 100,000 times.
 */
static struct {
	int mnt_id;
	uint64_t dev;
} mount_cache[256];
static size_t mount_cache_n;

void resolve_cache_reset(void)
{
	mount_cache_n = 0;
}

/* The superblock device of mount mnt_id, from a mountinfo file (/proc/self's by default). */
static int mount_dev_uncached(int mnt_id, uint64_t *dev, const char *mountinfo);

/* mnt_ids are unique system-wide: one cache serves every mount namespace */
static int mount_dev_in(int mnt_id, uint64_t *dev, const char *mountinfo)
{
	int ret;

	for (size_t i = 0; i < mount_cache_n; i++)
		if (mount_cache[i].mnt_id == mnt_id) {
			*dev = mount_cache[i].dev;
			return 0;
		}
	ret = mount_dev_uncached(mnt_id, dev, mountinfo);
	if (!ret && mount_cache_n < sizeof(mount_cache) / sizeof(mount_cache[0])) {
		mount_cache[mount_cache_n].mnt_id = mnt_id;
		mount_cache[mount_cache_n++].dev = *dev;
	}
	return ret;
}

static int mount_dev(int mnt_id, uint64_t *dev)
{
	return mount_dev_in(mnt_id, dev, "/proc/self/mountinfo");
}

static int mount_dev_uncached(int mnt_id, uint64_t *dev, const char *mountinfo)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned int major, minor;
		int id, parent;

		if (sscanf(line, "%d %d %u:%u", &id, &parent, &major, &minor) == 4 && id == mnt_id) {
			*dev = kernel_dev(major, minor);
			ret = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

/*
 * statx gives the mount id and the inode number in one call. st_ino is the
 * kernel's i_ino on every filesystem warden meets, overlayfs included (it
 * reports its own numbers for directories and the layer's for files, and
 * sets i_ino to match); only st_dev can differ from the superblock's, so
 * the device comes from the mount. fdinfo is the fallback for kernels
 * without STATX_MNT_ID (before 5.8).
 */
static int statx_identity(int dirfd, const char *path, int flags, struct file_id *id)
{
	struct statx stx;

	if (statx(dirfd, path, flags | AT_STATX_SYNC_AS_STAT, STATX_INO | STATX_MNT_ID, &stx))
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -ENOTSUP;
	id->ino = stx.stx_ino;
	return mount_dev((int)stx.stx_mnt_id, &id->dev);
}

/*
 * The kernel's inode numbers are unique per superblock, and an identity is
 * (superblock, number). Two filesystems break that: overlayfs over layers
 * of different filesystems without xino gives each file its layer's
 * number (an upper file and a lower one can share it), and btrfs numbers
 * each subvolume on its own. stat() then reports a device of the layer or
 * subvolume, not the superblock's: that difference is the sign.
 */
bool file_number_shared(const char *path)
{
	struct statx stx;
	uint64_t dev;

	if (statx(AT_FDCWD, path, AT_STATX_SYNC_AS_STAT, STATX_TYPE | STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID) || S_ISDIR(stx.stx_mode) ||
	    mount_dev((int)stx.stx_mnt_id, &dev))
		return false;
	return dev != kernel_dev(stx.stx_dev_major, stx.stx_dev_minor);
}

int file_identity_fd(int fd, struct file_id *id)
{
	int mnt_id, err;

	err = statx_identity(fd, "", AT_EMPTY_PATH, id);
	if (err != -ENOTSUP)
		return err;
	err = fdinfo_ids(fd, &mnt_id, &id->ino);
	if (err)
		return err;
	return mount_dev(mnt_id, &id->dev);
}

int file_identity_fd_of(int fd, int pid, struct file_id *id)
{
	struct statx stx;
	char mountinfo[64];
	int err;

	err = file_identity_fd(fd, id);
	if (err != -ENOENT)
		return err;
	/* a mount of another namespace (a sandbox): its mountinfo has it */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_INO | STATX_MNT_ID, &stx))
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -ENOTSUP;
	snprintf(mountinfo, sizeof(mountinfo), "/proc/%d/mountinfo", pid);
	id->ino = stx.stx_ino;
	return mount_dev_in((int)stx.stx_mnt_id, &id->dev, mountinfo);
}

/* The identity through an O_PATH descriptor: kernels without STATX_MNT_ID (before 5.8). */
static int file_identity_opened(int dirfd, const char *path, struct file_id *id)
{
	int fd = openat(dirfd, path, O_PATH | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = file_identity_fd(fd, id);
	close(fd);
	return err;
}

int file_identity_stat(int dirfd, const char *path, int flags, struct file_id *id,
		       unsigned int *mode)
{
	struct statx stx;

	if (statx(dirfd, path, flags | AT_STATX_SYNC_AS_STAT,
		  STATX_TYPE | STATX_INO | STATX_MNT_ID, &stx))
		return -errno;
	*mode = stx.stx_mode;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return S_ISLNK(stx.stx_mode) ? 0 : file_identity_opened(dirfd, path, id);
	id->ino = stx.stx_ino;
	return mount_dev((int)stx.stx_mnt_id, &id->dev);
}

int file_identity_type(int dirfd, const char *path, struct file_id *id, bool *is_dir)
{
	unsigned int mode = 0;
	int err = file_identity_stat(dirfd, path, 0, id, &mode);

	*is_dir = S_ISDIR(mode);
	return err;
}

int file_identity(const char *path, struct file_id *id)
{
	int err = statx_identity(AT_FDCWD, path, 0, id);

	return err != -ENOTSUP ? err : file_identity_opened(AT_FDCWD, path, id);
}

static int push_bin(struct resolved_bins *rb, const char *path, const struct file_id *id)
{
	if (ARRAY_GROW(rb->v, &rb->cap, rb->n + 1))
		return -ENOMEM;
	rb->v[rb->n].path = strdup(path);
	if (!rb->v[rb->n].path)
		return -ENOMEM;
	rb->v[rb->n++].id = *id;
	return 0;
}

static bool is_executable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* An executable regular file (symlinks followed) becomes an entry. */
static int add_file(struct resolved_bins *rb, const char *path)
{
	struct file_id id;
	int err = file_identity(path, &id);

	return err ?: push_bin(rb, path, &id);
}

/* Every executable file below dir, recursively, symlinks to files followed. */
static int add_directory(struct resolved_bins *rb, const char *dir, int depth)
{
	struct dirent *de;
	int err = 0;
	DIR *d;

	if (depth > 16)
		return 0; /* a loop of directory symlinks, or absurd nesting */
	d = opendir(dir);
	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		char path[4096];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st))
			continue; /* dangling symlink */
		if (S_ISDIR(st.st_mode) && de->d_type != DT_LNK)
			err = add_directory(rb, path, depth + 1);
		else if (S_ISREG(st.st_mode) && (st.st_mode & 0111))
			err = add_file(rb, path);
	}
	closedir(d);
	return err;
}

/* First executable named name on the colon-separated search path. */
static int find_on_path(const char *name, const char *search, char *out, size_t outlen)
{
	char *copy = strdup(search), *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, outlen, "%s/%s", dir, name);
		if (dir[0] == '/' && is_executable_file(out)) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -ENOENT;
}

static int resolve_entry(struct resolved_bins *rb, const char *entry, const char *search,
			 const char *file, const char *where, char *err, size_t errlen)
{
	size_t len = strlen(entry);
	char path[4096];
	struct stat st;
	int ret;

	if (entry[0] != '/') {
		if (strchr(entry, '/')) {
			snprintf(err, errlen, "%s: %s: \"%s\" is neither a bare name, an absolute "
				 "file nor a directory ending in '/'", file, where, entry);
			return -EINVAL;
		}
		ret = find_on_path(entry, search, path, sizeof(path));
		if (ret) {
			snprintf(err, errlen, "%s: %s: \"%s\" not found on the agent's PATH (%s)",
				 file, where, entry, search);
			return ret;
		}
		ret = add_file(rb, path);
	} else if (entry[len - 1] == '/') {
		if (stat(entry, &st) || !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: %s: \"%s\" is not a directory", file, where, entry);
			return -ENOTDIR;
		}
		snprintf(path, sizeof(path), "%.*s", (int)(len > 1 ? len - 1 : len), entry);
		ret = add_directory(rb, path, 0);
	} else {
		if (stat(entry, &st)) {
			snprintf(err, errlen, "%s: %s: \"%s\": %s", file, where, entry, strerror(errno));
			return -errno;
		}
		if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
			snprintf(err, errlen, "%s: %s: \"%s\" is not an executable file%s", file, where,
				 entry, S_ISDIR(st.st_mode) ? " (end a directory with '/')" : "");
			return -ENOEXEC;
		}
		ret = add_file(rb, entry);
	}
	if (ret)
		snprintf(err, errlen, "%s: %s: cannot resolve \"%s\": %s", file, where, entry,
			 strerror(-ret));
	return ret;
}

int resolve_safe_bins(const struct policy *p, const struct agent_policy *a,
		      struct resolved_bins *out, char *err, size_t errlen)
{
	const struct exec_policy *e = &a->exec;

	for (size_t i = 0; i < e->safe_bins.n; i++) {
		int ret = resolve_entry(out, e->safe_bins.v[i], agent_exec_path(a), p->path,
					e->safe_bins_where.v[i], err, errlen);

		if (ret)
			return ret;
	}
	return 0;
}

int resolve_quiet_bins(const struct agent_policy *a, struct resolved_bins *out)
{
	for (size_t i = 0; i < a->exec.quiet.n; i++) {
		const char *entry = a->exec.quiet.v[i];
		char path[4096];
		int ret;

		if (entry[0] == '/')
			snprintf(path, sizeof(path), "%s", entry);
		else if (find_on_path(entry, agent_exec_path(a), path, sizeof(path)))
			continue;
		if (!is_executable_file(path))
			continue;
		ret = add_file(out, path);
		if (ret == -ENOMEM)
			return ret;
	}
	return 0;
}

void resolved_bins_free(struct resolved_bins *rb)
{
	if (!rb)
		return;
	for (size_t i = 0; i < rb->n; i++)
		free(rb->v[i].path);
	free(rb->v);
	rb->v = NULL;
	rb->n = rb->cap = 0;
}
