// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kept identities of listed files (file_cache.h). A kept (dev, ino) of the
 * file named D/NAME is used while it is provably still what a statx of
 * D/NAME would return. What could change that, and how it is seen:
 *
 *  - D's entries (create, link, unlink, rename into or out of D, rename
 *    exchange, a directory or a file taking NAME): each raises an inotify
 *    event on D. Only files of directories the daemon watches are kept,
 *    the watch is made before the compile that keeps them, and the
 *    daemon hands every event on it to file_cache_changed before the next
 *    compile looks anything up (watch.c); an overflowed queue or an event
 *    on an unknown watch forgets everything.
 *  - D itself (renamed away and another directory made under its name, an
 *    ancestor renamed, a symlink on the way pointing elsewhere): the next
 *    compile opens D by its path again, and a directory whose identity is
 *    not the one its files were kept under starts afresh.
 *  - mounts (a mount on D/NAME, on D or above, a new namespace of the
 *    daemon's): no inotify event at all, so a compile whose
 *    /proc/self/mountinfo differs from the previous compile's by one byte
 *    forgets everything. Mount ids are never reused while mounted, so a
 *    remount shows up too; the device part of an identity comes from the
 *    mount table as well (resolve.c).
 *  - a symlink as NAME: its target's directory is not watched, so names
 *    that are symlinks are never kept (the lookup uses AT_SYMLINK_NOFOLLOW
 *    and follows only to resolve, not to keep).
 *  - network and FUSE filesystems: other clients change them without an
 *    event here; only the local filesystems below are cached.
 *  - another compiler: `warden check` and the tests' compiles never call
 *    file_cache_watching, so nothing is ever kept outside the daemon.
 *
 * Directories are not kept (fs_rules.c opens and holds each one anyway).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "array.h"
#include "file_cache.h"

#define FILE_CACHE_MAX_FILES (1u << 21) /* ~2M names; past that, start over */

struct kept_dir {
	char *path;
	struct file_id id;
	bool has_id;
	bool watched;
	uint64_t epoch; /* bumped whenever its kept files stop being valid */
};

struct kept_file {
	char *path; /* NULL: a free slot */
	struct file_id id;
	int dir;
	uint64_t epoch;
};

/* An open-addressing table from a path to an index, for both kinds. */
struct path_table {
	struct kept_file *slots;
	size_t cap; /* a power of two, or 0 */
	size_t used;
};

static struct {
	struct kept_dir *dirs;
	size_t n_dirs, dirs_cap;
	struct path_table dir_index; /* slots[].dir holds the index into dirs */
	struct path_table files;
	char *mountinfo;
	size_t mountinfo_len;
	size_t reused; /* lookups answered since file_cache_begin */
} cache;

static uint64_t path_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct kept_file *table_slot(struct path_table *t, const char *path)
{
	size_t i = path_hash(path) & (t->cap - 1);

	while (t->slots[i].path && strcmp(t->slots[i].path, path))
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static struct kept_file *table_find(struct path_table *t, const char *path)
{
	struct kept_file *s;

	if (!t->cap)
		return NULL;
	s = table_slot(t, path);
	return s->path ? s : NULL;
}

static void table_free(struct path_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slots[i].path);
	free(t->slots);
	*t = (struct path_table){ 0 };
}

/* Whether a kept file is still valid as far as its directory says. */
static bool file_valid(const struct kept_file *f)
{
	const struct kept_dir *d = &cache.dirs[f->dir];

	return d->watched && f->epoch == d->epoch;
}

/*
 * Room for one more entry: doubles at half full, dropping stale files on
 * the way (keep(s) false), so entries of forgotten directories do not pile
 * up across reloads. -ENOMEM leaves the table as it was.
 */
static int table_reserve(struct path_table *t, bool (*keep)(const struct kept_file *))
{
	struct path_table bigger;
	size_t cap = t->cap ? t->cap : 64;

	if ((t->used + 1) * 2 <= t->cap)
		return 0;
	while ((t->used + 1) * 2 > cap)
		cap *= 2;
	bigger = (struct path_table){ .slots = calloc(cap, sizeof(*bigger.slots)), .cap = cap };
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		struct kept_file *s = &t->slots[i];

		if (!s->path)
			continue;
		if (keep && !keep(s)) {
			free(s->path);
			continue;
		}
		*table_slot(&bigger, s->path) = *s;
		bigger.used++;
	}
	free(t->slots);
	*t = bigger;
	return 0;
}

static void dir_forget(struct kept_dir *d)
{
	d->epoch++;
	d->has_id = false;
}

void file_cache_forget(void)
{
	for (size_t i = 0; i < cache.n_dirs; i++)
		dir_forget(&cache.dirs[i]);
	table_free(&cache.files);
}

/* The index of dir, made if need be: -1 when out of memory. */
static int dir_index(const char *dir)
{
	struct kept_file *s = table_find(&cache.dir_index, dir);
	char *copy;

	if (s)
		return s->dir;
	if (table_reserve(&cache.dir_index, NULL) ||
	    ARRAY_GROW(cache.dirs, &cache.dirs_cap, cache.n_dirs + 1))
		return -1;
	copy = strdup(dir);
	if (!copy)
		return -1;
	cache.dirs[cache.n_dirs] = (struct kept_dir){ .path = copy };
	s = table_slot(&cache.dir_index, dir);
	s->path = strdup(dir);
	if (!s->path) {
		free(copy);
		return -1;
	}
	s->dir = (int)cache.n_dirs;
	cache.dir_index.used++;
	return (int)cache.n_dirs++;
}

void file_cache_watching(char *const *dirs, size_t n)
{
	size_t before = cache.n_dirs;
	bool *was = calloc(before + 1, sizeof(*was));

	if (!was) {
		file_cache_forget();
		return;
	}
	for (size_t i = 0; i < before; i++) {
		was[i] = cache.dirs[i].watched;
		cache.dirs[i].watched = false;
	}
	for (size_t i = 0; i < n; i++) {
		int d = dir_index(dirs[i]);

		if (d >= 0)
			cache.dirs[d].watched = true;
	}
	/* a directory no longer watched: changes to it from now on go unseen */
	for (size_t i = 0; i < before; i++)
		if (was[i] && !cache.dirs[i].watched)
			dir_forget(&cache.dirs[i]);
	free(was);
}

void file_cache_changed(const char *dir)
{
	struct kept_file *s = table_find(&cache.dir_index, dir);

	if (s)
		dir_forget(&cache.dirs[s->dir]);
}

/* The whole of /proc/self/mountinfo, or NULL. */
static char *read_mountinfo(size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap);
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				r = -1;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

void file_cache_begin(void)
{
	size_t len = 0;
	char *now;

	cache.reused = 0;
	if (!cache.n_dirs)
		return; /* not the daemon: nothing is ever kept */
	now = read_mountinfo(&len);
	if (!now || !cache.mountinfo || len != cache.mountinfo_len ||
	    memcmp(now, cache.mountinfo, len))
		file_cache_forget();
	free(cache.mountinfo);
	cache.mountinfo = now;
	cache.mountinfo_len = now ? len : 0;
}

/* Filesystems whose every change passes through this kernel's VFS. */
static bool local_filesystem(int fd)
{
	struct statfs st;

	if (fstatfs(fd, &st))
		return false;
	switch ((unsigned long)st.f_type) {
	case 0xEF53:     /* ext2, ext3, ext4 */
	case 0x58465342: /* xfs */
	case 0x9123683E: /* btrfs */
	case 0x01021994: /* tmpfs */
	case 0xF2F52010: /* f2fs */
	case 0x794C7630: /* overlayfs */
		return true;
	default:
		return false;
	}
}

int file_cache_dir(const char *dir, int dirfd)
{
	struct kept_file *s = table_find(&cache.dir_index, dir);
	struct kept_dir *d;
	struct file_id id;

	if (!s || !cache.dirs[s->dir].watched || !cache.mountinfo)
		return -1;
	d = &cache.dirs[s->dir];
	if (!local_filesystem(dirfd) || file_identity_fd(dirfd, &id)) {
		dir_forget(d);
		return -1;
	}
	if (!d->has_id || d->id.dev != id.dev || d->id.ino != id.ino) {
		dir_forget(d);
		d->id = id;
		d->has_id = true;
	}
	return s->dir;
}

bool file_cache_get(int handle, const char *path, struct file_id *id)
{
	struct kept_file *f;

	if (handle < 0 || (size_t)handle >= cache.n_dirs)
		return false;
	f = table_find(&cache.files, path);
	if (!f || f->dir != handle || !file_valid(f))
		return false;
	*id = f->id;
	cache.reused++;
	return true;
}

size_t file_cache_reused(void)
{
	return cache.reused;
}

void file_cache_put(int handle, const char *path, const struct file_id *id)
{
	struct kept_file *f;

	if (handle < 0 || (size_t)handle >= cache.n_dirs)
		return;
	f = table_find(&cache.files, path);
	if (!f) {
		if (cache.files.used >= FILE_CACHE_MAX_FILES)
			table_free(&cache.files);
		if (table_reserve(&cache.files, file_valid))
			return;
		f = table_slot(&cache.files, path);
		f->path = strdup(path);
		if (!f->path)
			return;
		cache.files.used++;
	}
	f->id = *id;
	f->dir = handle;
	f->epoch = cache.dirs[handle].epoch;
}
