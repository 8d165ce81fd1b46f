/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The identities of listed files, kept by the daemon from one compile to
 * the next: a reload of an unchanged 100,000-file policy would otherwise
 * pay 100,000 statx calls again. A kept identity is used only while
 * nothing can have changed which inode its name leads to (file_cache.c
 * says why each way of changing it is seen). Off unless the daemon says
 * which directories it watches: `warden check` and every other compile
 * resolve each path afresh.
 */
#ifndef WARDEN_FILE_CACHE_H
#define WARDEN_FILE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resolve.h"

/* A directory as stat reports it: st_dev and st_ino (unique per btrfs subvolume too). */
struct file_cache_dir_id {
	uint64_t dev;
	uint64_t ino;
};

/* The identity of the directory open at fd; 0 or -errno. */
int file_cache_dir_key(int fd, struct file_cache_dir_id *id);

/*
 * The directories now watched with inotify (each a path as the policy
 * spells its files' parents, and the identity of the inode the watch is
 * on): only files directly in them are kept, and what was kept for any
 * other, or for another inode under the same path, is forgotten. Called
 * once the new watches exist, before the compile they cover; the events
 * on the previous watches must still be passed to file_cache_changed
 * after it.
 */
void file_cache_watching(char *const *dirs, const struct file_cache_dir_id *ids, size_t n);

/* An inotify event on dir: whatever is kept for its files is forgotten. */
void file_cache_changed(const char *dir);

/* Everything forgotten: an overflowed or unknown event, a failed compile. */
void file_cache_forget(void);

/* At the start and at the end of a compile: a changed mount table forgets everything. */
void file_cache_begin(void);
void file_cache_end(void);

/*
 * The cache's handle for the files of directory dir, open at dirfd (an
 * O_PATH descriptor): -1 when it is not watched, not a local filesystem
 * (changes of a network filesystem's other clients raise no event here),
 * unreadable, or not the inode the watch is on (renamed away and
 * replaced, an ancestor renamed, a race with the watch).
 */
int file_cache_dir(const char *dir, int dirfd);

/* The kept identity of path (a file directly in handle's directory): true if there is one. */
bool file_cache_get(int handle, const char *path, struct file_id *id);

/* Keeps path's identity (a regular file, reached without a symlink). */
void file_cache_put(int handle, const char *path, const struct file_id *id);

/* How many identities the current (or last) compile took from the cache. */
size_t file_cache_reused(void);

#endif
