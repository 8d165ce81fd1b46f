/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * File identity as the kernel sees it, and the resolution of safeBins
 * entries to the identities of the binaries they name.
 */
#ifndef WARDEN_RESOLVE_H
#define WARDEN_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/*
 * (dev, ino) of the inode behind a path, in the encoding the BPF programs
 * read from inode->i_sb->s_dev and inode->i_ino. This is not always what
 * stat() says: overlayfs reports the underlying layer's device for files,
 * while the opened file's inode belongs to the overlay. So the identity is
 * read from the kernel's own record of an open file: the inode number from
 * /proc/self/fdinfo and the superblock's device from the mount's line in
 * /proc/self/mountinfo.
 */
struct file_id {
	uint64_t dev;
	uint64_t ino;
};

/* Forgets cached mount devices; called at the start of every compile. */
void resolve_cache_reset(void);

/* Identity of the file at path, following symlinks; 0 or -errno. */
int file_identity(const char *path, struct file_id *id);
int file_identity_fd(int fd, struct file_id *id);
/* The same in one statx (path relative to dirfd, or AT_FDCWD), and whether it is a directory. */
int file_identity_type(int dirfd, const char *path, struct file_id *id, bool *is_dir);
/*
 * The same with statx flags (AT_SYMLINK_NOFOLLOW: a symlink's own mode,
 * its identity then unset) and the file's st_mode.
 */
int file_identity_stat(int dirfd, const char *path, int flags, struct file_id *id,
		       unsigned int *mode);
/* The same for an fd opened in process pid's mount namespace (its mounts may not be ours). */
int file_identity_fd_of(int fd, int pid, struct file_id *id);

/*
 * Whether the kernel's number for the file at path may also belong to
 * another file of its superblock (overlayfs without xino, btrfs
 * subvolumes): a rule on it could then match a different file.
 */
bool file_number_shared(const char *path);

struct resolved_bin {
	struct file_id id;
	char *path; /* where it was found */
};

struct resolved_bins {
	struct resolved_bin *v;
	size_t n;
	size_t cap;
};

/*
 * Resolves every exec.safeBins entry of agent a: a bare name on the agent's
 * PATH, an absolute file, or a directory ending in '/' (every executable
 * file below it). Returns 0, or -errno with "FILE: LOCATION: reason" in err.
 */
int resolve_safe_bins(const struct policy *p, const struct agent_policy *a,
		      struct resolved_bins *out, char *err, size_t errlen);
/*
 * exec.quiet entries (a bare name on the agent's PATH or an absolute file);
 * those missing on this host are skipped: a probe that cannot run needs no
 * rule. 0 or -ENOMEM.
 */
int resolve_quiet_bins(const struct agent_policy *a, struct resolved_bins *out);
void resolved_bins_free(struct resolved_bins *rb);

#endif
