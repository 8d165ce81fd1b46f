/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel half, seen from userspace: loading and attaching the BPF
 * programs, swapping in compiled policies, and registering the cgroups each
 * agent's processes live in.
 */
#ifndef WARDEN_ENFORCER_H
#define WARDEN_ENFORCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"
#include "lsm.h"

struct enforcer;
struct ring_buffer;

#define WARDEN_PIN_DIR "/sys/fs/bpf/warden"

/*
 * Loads and attaches every program and pins maps and links under
 * WARDEN_PIN_DIR, reusing the maps an earlier daemon pinned (its policy,
 * cgroups and held processes stay in force throughout). NULL with errno
 * and a message in err.
 */
struct enforcer *enforcer_open(char *err, size_t errlen);
/* True when enforcer_open found and reused an earlier daemon's maps. */
bool enforcer_adopted(struct enforcer *e);
/* The generation of the policy in force (0 before any). */
uint64_t enforcer_generation(struct enforcer *e);
/* Capacities of the warden_cgroups and warden_held maps: what a full listing needs room for. */
int enforcer_max_cgroups(struct enforcer *e);
int enforcer_max_held(struct enforcer *e);
/* The warden_cgroups entries; returns the count (at most max). */
int enforcer_cgroups(struct enforcer *e, uint64_t *ids, uint32_t *agents, int max);
/* fd of the rules map in force, -1 before any. */
int enforcer_rules_fd(struct enforcer *e);
/* Whether pinned links exist (enforcement outlives the daemon). */
bool enforcer_pinned(void);
/* Removes every pin: once no process holds them, programs detach. */
int enforcer_unpin(void);
void enforcer_close(struct enforcer *e);

/*
 * Makes c the policy in force: builds a new rules map and swaps it into the
 * policy slot in one update, so hooks see all of the old policy or all of
 * the new. Nothing changes when it fails.
 */
int enforcer_apply(struct enforcer *e, const struct compiled_policy *c);

/* flags: CGROUP_SETUP for a sandbox being built (warden.h) */
int enforcer_add_cgroup(struct enforcer *e, uint64_t cgroup_id, uint32_t agent, uint32_t flags);
int enforcer_del_cgroup(struct enforcer *e, uint64_t cgroup_id);

/* Tells the kernel tgid is the approver and is alive (a heartbeat); 0 or -errno. */
int enforcer_heartbeat(struct enforcer *e, uint32_t tgid);
/* Forgets that tgid is held (after it was resumed or killed). */
int enforcer_release_held(struct enforcer *e, uint32_t tgid);
/* The kernel's record of held tgid; 0, or -ENOENT when it holds no such task. */
int enforcer_held_get(struct enforcer *e, uint32_t tgid, struct held_exec *out);
/* tgids the kernel holds right now; returns the count (at most max) or -errno. */
int enforcer_list_held(struct enforcer *e, uint32_t *tgids, struct held_exec *info, int max);
/* Adds one rule to the policy in force (a timed grant); 0 or -errno. */
int enforcer_add_rule(struct enforcer *e, const struct rule_entry *r);

/* Sums of the per-CPU counters (enum counter). */
int enforcer_counters(struct enforcer *e, uint64_t out[COUNTER_MAX]);

/* fd of one of warden's maps by its name (e.g. "warden_addrs"), or -ENOENT. */
int enforcer_map_fd(struct enforcer *e, const char *name);

/* fd of the events ring buffer map. */
int enforcer_events_fd(struct enforcer *e);

/*
 * Proves enforcement is real: a child in a scratch cgroup under the
 * self-test agent must get EPERM from execve. 0 on success.
 */
int enforcer_self_test(struct enforcer *e, char *err, size_t errlen);

#endif
