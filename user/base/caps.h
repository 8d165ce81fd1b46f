/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Capabilities of confined agents: their names, the set every agent keeps
 * (WARDEN_CAPS_DEFAULT in bpf/warden.h), those a policy may give back with
 * "capabilities", and those no policy can give (they open the way out of
 * any confinement: modules, raw I/O, mounts, BPF, MAC changes, ...).
 */
#ifndef WARDEN_CAPS_H
#define WARDEN_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#define WARDEN_CAP_COUNT 41 /* CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40) */

/* "SYS_ADMIN" for 21; NULL when unknown. */
const char *cap_name(int cap);
/* The number of "SYS_ADMIN" or "CAP_SYS_ADMIN" (any case); -1 when unknown. */
int cap_from_name(const char *name);
/* May a policy give this capability back? */
bool cap_grantable(int cap);
/* WARDEN_CAPS_DEFAULT as a comma-separated list, for help and check output. */
const char *cap_default_names(void);

#endif
