/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Maps and helpers shared by every hook file. The maps are defined __weak so
 * that each bpf/<feature>.bpf.c can include this header and the BPF static
 * linker (bpftool gen object) folds them into one map each.
 *
 * Every map's name starts with warden_, so a listing of the kernel's maps
 * (bpftool map) shows which are warden's; names stay within the kernel's 15
 * characters.
 *
 *   warden_cgroups   cgroup id -> agent id. The first lookup of every hook;
 *                    a miss means "not managed" and the hook returns at once.
 *   warden_policy    one slot holding the current rules map. A reload builds
 *                    a new rules map and swaps the slot, so a hook sees the
 *                    whole old policy or the whole new one, never a mix.
 *   warden_events    ring buffer to the daemon.
 *   warden_counters  per-CPU verdict and drop counts.
 *   warden_approver  the daemon's heartbeat: who may resume held execs.
 *   warden_held      held execs by tgid.
 */
#ifndef WARDEN_COMMON_BPF_H
#define WARDEN_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "warden.h"

#define EPERM 1

/*
 * The inner map's key and value are given by size: BTF reached only through
 * the outer map's pointer would be a forward declaration libbpf cannot size.
 */
struct rules_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, WARDEN_MAX_RULES);
	__uint(key_size, sizeof(struct rule_key));
	__uint(value_size, sizeof(union rule_value));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct rules_map);
} warden_policy SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WARDEN_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct cgroup_agent);
} warden_cgroups SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, WARDEN_RINGBUF_SIZE);
} warden_events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} warden_counters SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct approver);
} warden_approver SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct held_exec);
} warden_held SEC(".maps") __weak;

/* The agent of the current task's cgroup, or NULL when no policy manages it. */
static __always_inline struct cgroup_agent *current_agent(void)
{
	__u64 cgid = bpf_get_current_cgroup_id();

	return bpf_map_lookup_elem(&warden_cgroups, &cgid);
}

/* The rules map in force right now; NULL before the first policy is applied. */
static __always_inline void *current_rules(void)
{
	__u32 slot = 0;

	return bpf_map_lookup_elem(&warden_policy, &slot);
}

static __always_inline void count_n(enum counter c, __u64 n)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&warden_counters, &key);

	if (v)
		*v += n;
}

static __always_inline void count(enum counter c)
{
	count_n(c, 1);
}

static __always_inline __u64 rules_generation(void *rules)
{
	struct rule_key key = { .kind = RULE_GLOBAL };
	union rule_value *v = bpf_map_lookup_elem(rules, &key);

	return v ? v->global.generation : 0;
}

/* The generation of the policy in force, for events outside a judgement (0: none). */
static __always_inline __u64 current_generation(void)
{
	void *rules = current_rules();

	return rules ? rules_generation(rules) : 0;
}

/*
 * The one way an event record is had: counts the verdict it reports under
 * what (COUNTER_MAX: none) and reserves size bytes of the ring. NULL when
 * the ring is full, counted as a drop (drops are reported, never silent).
 */
static __always_inline void *event_reserve(__u64 size, enum counter what)
{
	void *e;

	if (what < COUNTER_MAX)
		count(what);
	e = bpf_ringbuf_reserve(&warden_events, size, 0);
	if (!e)
		count(COUNTER_EVENTS_DROPPED);
	return e;
}

/*
 * Waking the daemon is most of what an event costs the task that made it
 * (an irq_work, a reschedule, under emulation more than the record): an
 * ordinary record waits for the daemon's next loop turn, at most
 * DRAIN_MS (user/daemon/daemon.c) away, unless the ring is filling up.
 * Holds and network asks wake it at once (event_submit_urgent): a
 * process is stopped until it answers.
 */
#define RING_WAKE_MARK (WARDEN_RINGBUF_SIZE / 8)

static __always_inline __u64 ring_wakeup(void)
{
	return bpf_ringbuf_query(&warden_events, BPF_RB_AVAIL_DATA) > RING_WAKE_MARK
		       ? BPF_RB_FORCE_WAKEUP
		       : BPF_RB_NO_WAKEUP;
}

static __always_inline void event_submit(void *e)
{
	bpf_ringbuf_submit(e, ring_wakeup());
}

static __always_inline void event_submit_urgent(void *e)
{
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/*
 * Fills the fields every event carries, from the ids the caller has read
 * already (a file denial reads them for its fold key: not twice).
 */
static __always_inline void fill_event_head_ids(struct event_head *h, __u32 type, __u32 verdict,
						__u32 reason, __u32 agent, __u64 generation,
						__u64 cgroup_id, __u32 tgid, __u32 uid)
{
	struct task_struct *task = bpf_get_current_task_btf();

	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = cgroup_id;
	h->generation = generation;
	h->type = type;
	h->verdict = verdict;
	h->reason = reason;
	h->agent = agent;
	h->pid = tgid;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = uid;
	h->count = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Fills the fields every event carries. */
static __always_inline void fill_event_head(struct event_head *h, __u32 type, __u32 verdict,
					    __u32 reason, __u32 agent, __u64 generation)
{
	fill_event_head_ids(h, type, verdict, reason, agent, generation,
			    bpf_get_current_cgroup_id(), bpf_get_current_pid_tgid() >> 32,
			    (__u32)bpf_get_current_uid_gid());
}

/* The cgroup2 id of a task (what bpf_get_current_cgroup_id() is for current). */
static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

/*
 * A denial that is about no file (a process event): op and reason as in
 * warden.h, target_pid the process acted on (0: none), detail what the op
 * was about (a capability, an ioctl command, a signal), sent as "access".
 */
static __always_inline void emit_process_denial(__u32 agent, __u32 op, __u32 reason,
						__u32 target_pid, __u32 detail)
{
	struct file_event *e = event_reserve(sizeof(*e), COUNTER_PROCESS_DENIED);

	if (!e)
		return;
	fill_event_head(&e->head, EVENT_PROCESS, VERDICT_DENY, reason, agent, current_generation());
	e->dev = 0;
	e->ino = 0;
	e->op = op;
	e->access = detail;
	e->target_pid = target_pid;
	e->path_len = 0;
	e->path[0] = '\0';
	event_submit(e);
}

/* Kernel dev_t of an inode's filesystem and its number: a file's identity. */
static __always_inline __u64 inode_dev(struct inode *inode)
{
	return BPF_CORE_READ(inode, i_sb, s_dev);
}

#endif /* WARDEN_COMMON_BPF_H */
