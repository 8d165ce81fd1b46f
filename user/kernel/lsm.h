/* SPDX-License-Identifier: GPL-2.0-only */
/* Whether the kernel runs the BPF LSM: the one check, for the daemon, status and audit. */
#ifndef WARDEN_LSM_H
#define WARDEN_LSM_H

#include <stddef.h>

#define LSM_LIST "/sys/kernel/security/lsm"

/*
 * Whether "bpf" is in the active LSM list read from path (LSM_LIST, or a
 * test's copy of it): 1 or 0 with the list in lsms, -errno when it cannot
 * be read.
 */
int bpf_lsm_active(const char *path, char *lsms, size_t len);

/*
 * 0 if the running kernel has the BPF LSM in its active LSM list; otherwise
 * -errno with a message in err saying what to change.
 */
int bpf_lsm_check(char *err, size_t errlen);

#endif
