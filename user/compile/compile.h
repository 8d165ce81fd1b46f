/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Compiling a parsed policy into the entries of one rules map: what the
 * kernel will enforce. Pure userspace (it resolves names to inodes but never
 * touches BPF), so a policy can be compiled completely, and fail, before
 * anything in the kernel changes.
 */
#ifndef WARDEN_COMPILE_H
#define WARDEN_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "compiled.h"
#include "policy.h"

/*
 * warden's own binary: every confined agent may read and exec it, because
 * it is the first program in a sandbox (it checks the cgroup, then execs
 * the command). Without root it can do nothing. NULL (the default) adds
 * nothing, as in unit tests and `warden check`.
 */
void compile_set_self_binary(const char *path);

/*
 * Compiles p. Agents with "confined": false get no rules (their cgroups are
 * never registered). Returns 0, or -errno with a message in err.
 */
int policy_compile(const struct policy *p, struct agent_ids *ids, uint64_t generation,
		   struct compiled_policy *out, char *err, size_t errlen);

#endif
