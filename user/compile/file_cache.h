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

#include "resolve.h"

/*
 * The directories now watched with inotify (each a path as the policy
 * spells its files' parents): only files directly in them are kept, and
 * what was kept for any other is forgotten. Called once the new watches
 * exist, before the compile they cover; the events on the previous
 * watches must still be passed to file_cache_changed after it.
 */
void file_cache_watching(char *const *dirs, size_t n);

/* An inotify event on dir: whatever is kept for its files is forgotten. */
void file_cache_changed(const char *dir);

/* Everything forgotten: an overflowed or unknown event, a failed compile. */
void file_cache_forget(void);

/* At the start of a compile: a changed mount table forgets everything. */
void file_cache_begin(void);

/*
 * The cache's handle for the files of directory dir, open at dirfd (an
 * O_PATH descriptor): -1 when it is not watched, not a local filesystem
 * (changes of a network filesystem's other clients raise no event here)
 * or unreadable. A directory whose identity is not the one seen when its
 * files were kept (renamed away and replaced, or an ancestor renamed)
 * starts afresh.
 */
int file_cache_dir(const char *dir, int dirfd);

/* The kept identity of path (a file directly in handle's directory): true if there is one. */
bool file_cache_get(int handle, const char *path, struct file_id *id);

/* Keeps path's identity (a regular file, reached without a symlink). */
void file_cache_put(int handle, const char *path, const struct file_id *id);

/* How many identities the current (or last) compile took from the cache. */
size_t file_cache_reused(void);

#endif
