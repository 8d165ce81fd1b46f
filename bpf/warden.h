/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Types shared by the BPF programs and userspace: map keys and values and
 * the ring-buffer events. Fixed-width types only, sizes pinned by
 * _Static_assert, because both sides read the same bytes.
 */
#ifndef WARDEN_H
#define WARDEN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define WARDEN_MAX_CGROUPS 65536
/* One policy map holds every rule of every agent; 100,000 rules must fit. */
#define WARDEN_MAX_RULES (1 << 18)
#define WARDEN_RINGBUF_SIZE (4 << 20)
#define WARDEN_COMM_LEN 16
#define WARDEN_PATH_LEN 256
#define WARDEN_ARG_LEN 256   /* longest single argument kept in an event */
#define WARDEN_ARGS_SIZE 1024 /* all arguments, NUL-separated */
#define WARDEN_ARGS_MAX 32

/* Reserved agent id: the daemon's start-up self-test, whose policy denies every exec. */
#define WARDEN_AGENT_SELFTEST 0xffffffffu

/* What a policy map entry is about; part of the key. */
enum rule_kind {
	RULE_AGENT = 1,      /* agent's settings: key.dev = key.ino = 0 */
	RULE_EXEC_ALLOW = 2, /* binary (dev, ino) the agent may exec */
	RULE_GLOBAL = 3,     /* policy-wide settings: agent = dev = ino = 0 */
};

enum exec_mode {
	EXEC_MODE_DENY = 0, /* no exec at all; also what a zeroed entry means */
	EXEC_MODE_ALLOWLIST = 1,
	EXEC_MODE_FULL = 2,
};

struct rule_key {
	__u32 kind;  /* enum rule_kind */
	__u32 agent; /* agent id, assigned by the daemon */
	__u64 dev;   /* kernel dev_t of the inode's superblock (MKDEV encoding) */
	__u64 ino;
};

struct agent_rule {
	__u32 exec_mode; /* enum exec_mode */
	__u32 flags;     /* reserved for fs and approval settings */
	__u64 reserved;
};

struct exec_allow_rule {
	__u32 flags;
	__u32 reserved;
	__u64 expires_ns; /* CLOCK_BOOTTIME; 0 = never (timed grants of the approval gate) */
};

struct global_rule {
	__u64 generation; /* bumped by every policy swap, stamped on events */
	__u64 reserved;
};

union rule_value {
	struct agent_rule agent;
	struct exec_allow_rule exec_allow;
	struct global_rule global;
};

/* agent_by_cgroup value */
struct cgroup_agent {
	__u32 agent;
	__u32 flags;
};

enum counter {
	COUNTER_EXEC_ALLOWED,
	COUNTER_EXEC_DENIED,
	COUNTER_EVENTS_DROPPED,
	COUNTER_MAX,
};

enum event_type {
	EVENT_EXEC = 1,
};

enum verdict {
	VERDICT_ALLOW = 0,
	VERDICT_DENY = 1,
	VERDICT_HOLD = 2,
};

enum reason {
	REASON_ALLOWLISTED = 0,
	REASON_EXEC_FULL,      /* agent has exec.security "full" */
	REASON_NOT_ALLOWLISTED,
	REASON_EXEC_DISABLED,  /* agent has exec.security "deny" */
	REASON_MEMFD,          /* exec of an anonymous memory file */
	REASON_NO_POLICY,      /* managed cgroup but no policy for its agent: fail closed */
	REASON_MAX,
};

struct event_head {
	__u64 ts_ns; /* CLOCK_BOOTTIME */
	__u64 cgroup_id;
	__u64 generation;
	__u32 type;    /* enum event_type */
	__u32 verdict; /* enum verdict */
	__u32 reason;  /* enum reason */
	__u32 agent;
	__u32 pid;  /* tgid */
	__u32 ppid; /* real parent's tgid */
	__u32 uid;
	__u32 pad;
	char comm[WARDEN_COMM_LEN];
};

struct exec_event {
	struct event_head head;
	__u64 dev;
	__u64 ino;
	__u32 argc;      /* arguments kept in args */
	__u32 args_len;  /* bytes used in args */
	__u32 truncated; /* 1 when argv did not fit */
	__u32 pad;
	char path[WARDEN_PATH_LEN]; /* the binary judged, as the caller named it */
	char args[WARDEN_ARGS_SIZE];
};

_Static_assert(sizeof(struct rule_key) == 24, "rule_key layout");
_Static_assert(sizeof(union rule_value) == 16, "rule_value layout");
_Static_assert(sizeof(struct agent_rule) == 16, "agent_rule layout");
_Static_assert(sizeof(struct exec_allow_rule) == 16, "exec_allow_rule layout");
_Static_assert(sizeof(struct global_rule) == 16, "global_rule layout");
_Static_assert(sizeof(struct cgroup_agent) == 8, "cgroup_agent layout");
_Static_assert(sizeof(struct event_head) == 72, "event_head layout");
_Static_assert(sizeof(struct exec_event) == 72 + 32 + WARDEN_PATH_LEN + WARDEN_ARGS_SIZE,
	       "exec_event layout");

#endif /* WARDEN_H */
