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
 *    ancestor renamed, a symlink on the way pointing elsewhere, a race
 *    that makes the watch land on another directory than the compile
 *    opens): the watch is made on an open descriptor of D, and its
 *    identity (st_dev and st_ino as stat reports them, unique per btrfs
 *    subvolume too) goes with it; a compile that opens D by its path and
 *    finds another identity keeps nothing of D, and a watch set whose
 *    identity for D differs from the last one's forgets D.
 *  - mounts (a mount on D/NAME, on D or above): no inotify event at all,
 *    but the kernel counts every change of the daemon's mount namespace
 *    and poll() on /proc/self/mountinfo reports one since the last poll:
 *    polled at the start and at the end of every compile, a change
 *    forgets everything (mount ids are reused, so comparing the table's
 *    text would miss an unmount and a mount of another file there).
 *  - a symlink as NAME: its target's directory is not watched, so names
 *    that are symlinks are never kept (the lookup uses AT_SYMLINK_NOFOLLOW
 *    and follows only to resolve, not to keep).
 *  - network and FUSE filesystems: other clients change them without an
 *    event here; only the local filesystems below are cached. Not
 *    overlayfs either: with layers on different filesystems and no xino,
 *    a copy-up (a truncate, an open for writing: no event in the mask)
 *    changes a file's number.
 *  - another compiler: `warden check` and the tests' compiles never call
 *    file_cache_watching, so nothing is ever kept outside the daemon.
 *
 * Directories are not kept (fs_rules.c opens and holds each one anyway).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "array.h"
#include "file_cache.h"

#define FILE_CACHE_MAX_FILES (1u << 21) /* ~2M names; past that, start over */

/* A directory's state; its path is the key of dir_index, which leads here. */
struct kept_dir {
	struct file_cache_dir_id watched_id; /* of the inode the watch is on */
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
	int mounts_fd; /* /proc/self/mountinfo, polled for mount changes */
	bool have_mounts; /* mounts_fd is open */
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

	if (s)
		return s->dir;
	if (table_reserve(&cache.dir_index, NULL) ||
	    ARRAY_GROW(cache.dirs, &cache.dirs_cap, cache.n_dirs + 1))
		return -1;
	s = table_slot(&cache.dir_index, dir);
	s->path = strdup(dir);
	if (!s->path)
		return -1;
	cache.dirs[cache.n_dirs] = (struct kept_dir){ 0 };
	s->dir = (int)cache.n_dirs;
	cache.dir_index.used++;
	return (int)cache.n_dirs++;
}

int file_cache_dir_key(int fd, struct file_cache_dir_id *id)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

static bool same_dir(const struct file_cache_dir_id *a, const struct file_cache_dir_id *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

void file_cache_watching(char *const *dirs, const struct file_cache_dir_id *ids, size_t n)
{
	size_t before = cache.n_dirs;
	bool *was = calloc(before + 1, sizeof(*was));
	struct file_cache_dir_id *old_ids = calloc(before + 1, sizeof(*old_ids));

	for (size_t i = 0; i < before; i++) {
		if (was && old_ids) {
			was[i] = cache.dirs[i].watched;
			old_ids[i] = cache.dirs[i].watched_id;
		}
		cache.dirs[i].watched = false;
	}
	if (!was || !old_ids) {
		file_cache_forget(); /* and nothing is watched now */
		free(was);
		free(old_ids);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int d = dir_index(dirs[i]);

		if (d < 0)
			continue;
		cache.dirs[d].watched = true;
		/* another inode under the name: what was kept of the old one goes */
		if ((size_t)d < before && was[d] && !same_dir(&old_ids[d], &ids[i]))
			dir_forget(&cache.dirs[d]);
		cache.dirs[d].watched_id = ids[i];
	}
	/* a directory no longer watched: changes to it from now on go unseen */
	for (size_t i = 0; i < before; i++)
		if (was[i] && !cache.dirs[i].watched)
			dir_forget(&cache.dirs[i]);
	free(was);
	free(old_ids);
}

void file_cache_changed(const char *dir)
{
	struct kept_file *s = table_find(&cache.dir_index, dir);

	if (s)
		dir_forget(&cache.dirs[s->dir]);
}

/*
 * Whether the daemon's mount namespace changed since the last call: the
 * kernel's event count of the namespace, reported by poll() on a
 * mountinfo descriptor as POLLPRI once per change seen. An unpollable
 * table counts as changed.
 */
static bool mounts_changed(void)
{
	struct pollfd pfd = { .events = POLLPRI };

	if (!cache.have_mounts)
		return true;
	pfd.fd = cache.mounts_fd;
	if (poll(&pfd, 1, 0) < 0)
		return true;
	return pfd.revents & (POLLPRI | POLLERR | POLLNVAL);
}

void file_cache_begin(void)
{
	cache.reused = 0;
	if (!cache.n_dirs)
		return; /* not the daemon: nothing is ever kept */
	if (!cache.have_mounts) {
		/* from now on every mount change is seen; what was kept before is not trusted */
		cache.mounts_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
		cache.have_mounts = cache.mounts_fd >= 0;
		file_cache_forget();
		return;
	}
	if (mounts_changed())
		file_cache_forget();
}

void file_cache_end(void)
{
	if (cache.n_dirs && mounts_changed())
		file_cache_forget(); /* what this compile kept may be a passing mount's */
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
		return true;
	default:
		return false;
	}
}

int file_cache_dir(const char *dir, int dirfd)
{
	struct kept_file *s = table_find(&cache.dir_index, dir);
	struct file_cache_dir_id id;
	struct kept_dir *d;

	if (!s || !cache.dirs[s->dir].watched || !cache.have_mounts)
		return -1;
	d = &cache.dirs[s->dir];
	/* not the inode the watch is on: its changes would go unseen */
	if (!local_filesystem(dirfd) || file_cache_dir_key(dirfd, &id) ||
	    !same_dir(&id, &d->watched_id)) {
		dir_forget(d);
		return -1;
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
