/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * warden's cgroup2 subtree: /sys/fs/cgroup/warden/<agent>/<run>. Each
 * `warden run` gets its own leaf so the daemon can tell runs apart and
 * remove a leaf once it empties; the kernel knows a leaf by its cgroup id.
 */
#ifndef WARDEN_CGROUP_H
#define WARDEN_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP2_ROOT "/sys/fs/cgroup"
#define WARDEN_CGROUP_DIR CGROUP2_ROOT "/warden"

/* 0 when path is a directory on a cgroup2 filesystem, else -errno. */
int cgroup2_check(const char *path);
/* The cgroup id (what bpf_get_current_cgroup_id() returns) of a cgroup directory. */
int cgroup_id(const char *path, uint64_t *id);
/* mkdir -p, mode 0755; 0 if it exists. */
int cgroup_mkdir(const char *path);
/* Moves pid into the cgroup at path (pid 0: the caller). */
int cgroup_move(const char *path, pid_t pid);
/* 1 if the cgroup or a descendant has a process, 0 if not, -errno. */
int cgroup_populated(const char *path);
/* The cgroup2 path of pid, relative to the cgroup2 root ("/warden/a/run-1"). */
int cgroup_of_pid(pid_t pid, char *out, size_t len);

#endif
