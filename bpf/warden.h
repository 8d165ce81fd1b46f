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
#define WARDEN_FILE_PATH_LEN 512 /* file events: names leaf first, '/'-separated */
#define WARDEN_NAME_PATTERN_MAX 63 /* longest basename pattern part */
#define WARDEN_WALK_MAX 64         /* ancestors a file rule lookup visits; deeper fails closed */

/* Reserved agent id: the daemon's start-up self-test, whose policy denies every exec. */
#define WARDEN_AGENT_SELFTEST 0xffffffffu

/* What a policy map entry is about; part of the key. */
enum rule_kind {
	RULE_AGENT = 1,      /* agent's settings: key.dev = key.ino = 0 */
	RULE_EXEC_ALLOW = 2, /* binary (dev, ino) the agent may exec */
	RULE_GLOBAL = 3,     /* policy-wide settings: agent = dev = ino = 0 */
	RULE_FS_PATH = 4,    /* a file (dev, ino) that is not a directory: access for it */
	RULE_FS_NAME = 5,    /* basename pattern: dev = enum name_match, ino = length,
			      * name_hash = FNV-1a of the pattern's fixed part */
	RULE_FS_CHILD = 6,   /* a name in a directory (dev, ino of the directory,
			      * name_hash of the name): denies that entry even when
			      * it is replaced by a new inode (e.g. /etc/shadow) */
	RULE_SETUP_EXEC = 8, /* agent 0, (dev, ino): the sandbox builder (bwrap), which
			      * may run in a cgroup still in setup (CGROUP_SETUP) */
	RULE_FS_DIR = 7,     /* a directory (dev, ino): access for it and below. Kept
			      * apart from files because overlayfs without xino numbers
			      * directories from its own counter, which can equal a
			      * file's inode number on the same overlay */
	RULE_AGENT_CAPS = 9, /* agent's capabilities: dev = ino = 0; value caps_rule */
	RULE_AGENT_NAMES = 10, /* agent's deny-pattern byte filter: dev = ino = 0; name_filter_rule */
	/* layer 6 (bpf/net.h): numbered apart so other kinds can be added below */
	RULE_NET_AGENT = 16,    /* agent's network settings: struct net_agent_rule */
	RULE_NET_UNIX = 17,     /* a unix socket name the agent may reach: (dev, ino) of
				 * its directory, name_hash of its name (survives the
				 * socket being re-created by its server) */
	RULE_NET_UNIX_DIR = 18, /* a directory (dev, ino) whose unix sockets the agent may
				 * reach: its workspace */
};

/* fs access bits, in RULE_FS_PATH/RULE_FS_DIR values and in requests */
#define FS_READ 1u
#define FS_WRITE 2u
#define FS_DENY 4u

/* agent_rule.fs_flags */
#define FS_WORKSPACE_ONLY 1u /* no rule on the path: denied */
#define FS_HAS_NAMES 2u      /* basename patterns to check */
#define FS_HAS_CHILD 4u      /* RULE_FS_CHILD entries to check */
#define FS_HAS_DENY_DIRS 8u  /* a deny on a directory: walks go to the root */

enum name_match {
	NAME_EXACT = 1,  /* ".env" */
	NAME_PREFIX = 2, /* ".env.*", "id_rsa*" */
	NAME_SUFFIX = 3, /* "*.pem"; hashed from the last byte backwards */
};

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

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
	__u64 name_hash; /* RULE_FS_NAME, RULE_FS_CHILD; else 0 */
};

#define WARDEN_PATTERN_LENS 8 /* distinct prefix (and suffix) lengths per agent */

struct agent_rule {
	__u32 exec_mode; /* enum exec_mode */
	__u32 fs_flags;  /* FS_WORKSPACE_ONLY, FS_HAS_* */
	__u8 prefix_lens[WARDEN_PATTERN_LENS]; /* lengths of NAME_PREFIX patterns; 0 = none */
	__u8 suffix_lens[WARDEN_PATTERN_LENS]; /* lengths of NAME_SUFFIX patterns; 0 = none */
	__u32 ask;       /* enum exec_ask_mode */
	__u32 reserved;
};

enum exec_ask_mode {
	ASK_OFF = 0,     /* misses are denied */
	ASK_ON_MISS = 1, /* misses are held for a human */
	ASK_ALWAYS = 2,  /* every exec is held */
};

/*
 * The approver (the daemon): its tgid may resume held processes, and its
 * heartbeat says it is there to decide. Without a fresh heartbeat misses
 * are denied at once rather than held with nobody to answer.
 */
struct approver {
	__u32 tgid;
	__u32 pad;
	__u64 heartbeat_ns; /* CLOCK_BOOTTIME */
};
#define WARDEN_APPROVER_STALE_NS (3ULL * 1000000000ULL)

/*
 * held: tgid -> what it waits for. The kernel moves state forward: the
 * exec is committed and SIGSTOP sent (COMMITTED), the task dequeued that
 * SIGSTOP and went to sleep (STOPPED: nvcsw is its voluntary context
 * switch count just before that sleep, so a task still in that one stop
 * has exactly nvcsw + 1), the daemon's SIGCONT passed the check
 * (RELEASED), or the task was caught running while held (ESCAPED).
 */
enum held_state {
	HELD_COMMITTED = 0,
	HELD_STOPPED = 1,
	HELD_RELEASED = 2,
	HELD_ESCAPED = 3,
};

struct held_exec {
	__u32 agent;
	__u32 state;   /* enum held_state */
	__u64 since_ns;
	__u64 nvcsw;
	__u64 start_ns; /* task->start_boottime: tells a reused pid apart */
	__u32 exited;   /* the task is gone; the entry waits for the daemon */
	__u32 pad;
};

/* exec_allow_rule.flags */
#define EXEC_ALLOW_QUIET 1u /* exec.quiet: not allowed, and never held for a human */

struct exec_allow_rule {
	__u32 flags;      /* EXEC_ALLOW_* */
	__u32 reserved;
	__u64 expires_ns; /* CLOCK_BOOTTIME; 0 = never (timed grants of the approval gate) */
	__u64 reserved2[2];
};

struct fs_rule {
	__u32 access; /* FS_READ | FS_WRITE, or FS_DENY */
	__u32 reserved;
	__u64 reserved2[3];
};

/*
 * The capabilities a confined task may use, one bit per CAP_* number. Every
 * other capability check of a confined task fails, whatever its uid and
 * whichever user namespace it asks in.
 */
struct caps_rule {
	__u64 allowed;
	__u64 reserved[3];
};

/*
 * Kept by every confined agent: what ordinary root work in its own files
 * needs (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP,
 * SYS_CHROOT, AUDIT_WRITE). Used too when an agent has no caps_rule.
 */
#define WARDEN_CAPS_DEFAULT                                                               \
	((1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 4) | (1ULL << 5) | (1ULL << 6) | \
	 (1ULL << 7) | (1ULL << 8) | (1ULL << 18) | (1ULL << 29))

/*
 * Which bytes deny patterns start and end with, so the kernel hashes and
 * looks up a component's name only when it could match: bit (c & 127) of
 * first is set for the first byte of every exact and "prefix*" pattern,
 * of last for the last byte of every "*suffix" pattern. Most directory
 * names (usr, srv, lib) match neither and cost one name read. Bytes of
 * 128 and above share bits with lower ones: a filter may say "maybe",
 * never "no" for a name that matches.
 */
struct name_filter_rule {
	__u64 first[2];
	__u64 last[2];
};

struct global_rule {
	__u64 generation; /* bumped by every policy swap, stamped on events */
	__u64 reserved[3];
};

union rule_value {
	struct agent_rule agent;
	struct exec_allow_rule exec_allow;
	struct fs_rule fs;
	struct caps_rule caps;
	struct name_filter_rule names;
	struct global_rule global;
};

/*
 * warden_cgroups value. CGROUP_SETUP: `warden run` placed itself here to
 * build the sandbox. Until the first exec of anything but the sandbox
 * builder, file rules are not applied (the builder mounts and creates its
 * new root); that first exec (warden's sandbox stage) clears the flag for
 * good and is judged like every exec after it.
 */
#define CGROUP_SETUP 1u

struct cgroup_agent {
	__u32 agent;
	__u32 flags;
};

enum counter {
	COUNTER_EXEC_ALLOWED,
	COUNTER_EXEC_DENIED,
	COUNTER_EVENTS_DROPPED,
	COUNTER_FILE_DENIED,
	COUNTER_PROCESS_DENIED, /* ptrace, signals, bpf() */
	COUNTER_EXEC_HELD,
	COUNTER_EVENTS_SUPPRESSED, /* repeated denials not reported (rate limit) */
	COUNTER_NET_DENIED, /* connects, sends and sockets refused (bpf/net.bpf.c) */
	COUNTER_FS_CACHE_HITS, /* opens judged from the verdict cache (bpf/fs_cache.bpf.h) */
	COUNTER_MAX,
};

enum event_type {
	EVENT_EXEC = 1,
	EVENT_FILE = 2,
	EVENT_PROCESS = 3, /* an operation on another process or the kernel: ptrace, kill, bpf */
	EVENT_NET = 8,     /* struct net_event (bpf/net.h) */
};

/* What a file or process event was about. */
enum file_op {
	FILE_OP_OPEN_READ = 1,
	FILE_OP_OPEN_WRITE,
	FILE_OP_CREATE,
	FILE_OP_MKDIR,
	FILE_OP_UNLINK,
	FILE_OP_RMDIR,
	FILE_OP_RENAME,
	FILE_OP_LINK,
	FILE_OP_SYMLINK,
	FILE_OP_TRUNCATE,
	FILE_OP_CHMOD,
	FILE_OP_CHOWN,
	FILE_OP_MMAP_EXEC,
	FILE_OP_MPROTECT_EXEC,
	FILE_OP_PTRACE,
	FILE_OP_SIGNAL,
	FILE_OP_BPF,
	FILE_OP_CAPABILITY,  /* access = the CAP_* number */
	FILE_OP_CLONE,       /* clone3(CLONE_INTO_CGROUP) */
	FILE_OP_MOUNT,       /* mount, move_mount, remount */
	FILE_OP_UMOUNT,
	FILE_OP_PIVOT_ROOT,
	FILE_OP_CONNECT,     /* a unix socket connect */
	FILE_OP_IOCTL,       /* access = the ioctl command */
	FILE_OP_SETOWN,      /* F_SETOWN and its kin: access = the owner asked for */
	FILE_OP_SIGIO,       /* a SIGIO-style signal: access = the signal */
	FILE_OP_SETXATTR,
	FILE_OP_SETATTR,     /* times and other inode attributes */
	FILE_OP_IPC,         /* SysV IPC or a POSIX message queue (path: what) */
	FILE_OP_FOLLOW_LINK, /* following a symlink */
	FILE_OP_MAX,
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
	REASON_FS_DENIED,      /* a deny rule on the path or an ancestor */
	REASON_FS_DENIED_NAME, /* the basename matches a deny pattern */
	REASON_FS_NOT_ALLOWED, /* workspaceOnly and no rule grants it */
	REASON_FS_READ_ONLY,   /* a write where the closest rule grants read only */
	REASON_FS_WALK_LIMIT,  /* deeper than WARDEN_WALK_MAX: fail closed */
	REASON_FS_WX,          /* executable mapping of a file the agent may write */
	REASON_FS_CGROUPFS,    /* writing to cgroupfs (leaving the agent's cgroup) */
	REASON_OTHER_PROCESS,  /* target outside the agent's cgroup */
	REASON_BPF_SYSCALL,    /* bpf() from an agent */
	REASON_SANDBOX_SETUP,  /* the sandbox builder, before the agent's first program */
	REASON_ASK_ALWAYS,     /* held: the agent's exec.ask is "always" */
	REASON_NO_APPROVER,    /* would be held, but no daemon is there to decide */
	REASON_HELD_PROCESS,   /* resuming or tracing a held process: the daemon's job */
	REASON_CAPABILITY,     /* a capability outside the agent's set */
	REASON_CGROUP_ESCAPE,  /* a way out of the agent's cgroup (clone3 into another) */
	REASON_MOUNT,          /* mount table changes */
	REASON_CONTROL_SOCKET, /* warden's control socket: never for agents */
	REASON_KERNEL_FS,      /* writing /proc, /sys and the other kernel filesystems */
	REASON_DEVICE,         /* a device node outside the /dev baseline */
	REASON_TTY_INJECT,     /* TIOCSTI/TIOCLINUX: typing into someone's terminal */
	REASON_NET_NOT_ALLOWED, /* destination not in the agent's egress set */
	REASON_NET_SOCKET,      /* a socket family, type or protocol agents do not get */
	REASON_NET_UNIX,        /* a unix socket neither listed, in the workspace, nor the agent's */
	REASON_NET_ASK,         /* not in the egress set: refused, an approval request made */
	REASON_NET_NO_RESOLVER, /* DNS with no resolver of warden to redirect it to */
	REASON_WRITABLE_BINARY, /* a miss of a file the agent may write: W^X would kill it */
	REASON_TRACED,         /* would be held, but a tracer could resume it */
	REASON_UNSAFE_HOLD,    /* would be held, but the kernel itself could resume it */
	REASON_HOST_IPC,       /* SysV IPC or mqueue of the host's IPC namespace */
	REASON_SHM_OTHER,      /* a /dev/shm file another agent (or the host) made */
	REASON_SETUP_SYMLINK,  /* the sandbox builder following a symlink the agent could plant */
	REASON_QUIET,          /* exec.quiet: refused at once, never asked about */
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
	__u32 count; /* 0: one event; else identical file denials this record stands for
		      * (the daemon's report of what bpf/fs.bpf.c folded) */
	char comm[WARDEN_COMM_LEN];
};

struct exec_event {
	struct event_head head;
	__u64 dev;
	__u64 ino;
	__u32 argc;      /* arguments kept in args */
	__u32 args_len;  /* bytes used in args */
	__u32 truncated; /* 1 when argv did not fit */
	__u32 flags;     /* EXEC_F_* */
	char path[WARDEN_PATH_LEN]; /* the binary judged, as the caller named it */
	char args[WARDEN_ARGS_SIZE];
	char cwd[WARDEN_FILE_PATH_LEN]; /* working directory: names leaf first, as in file_event */
	__u32 cwd_len;
	__u32 pad2;
	__u64 script_dev; /* EXEC_F_SCRIPT: the shebang script the interpreter was given */
	__u64 script_ino;
};

#define EXEC_F_WRITABLE 1u /* the agent may write the binary (its closest file rule grants it) */
#define EXEC_F_SCRIPT 2u   /* script_dev/script_ino are set */

struct file_event {
	struct event_head head;
	__u64 dev;
	__u64 ino;
	__u32 op;     /* enum file_op */
	__u32 access; /* FS_* requested */
	__u32 target_pid; /* process events: the target */
	__u32 path_len;
	/* names from the file up to the root, leaf first, each ending in '/';
	 * userspace reverses them into a path */
	char path[WARDEN_FILE_PATH_LEN];
};

/*
 * Identical file denials folded into reports (bpf/fs.bpf.c): the same
 * process, file, access and verdict under the same policy. The kernel
 * only adds to "folded"; the daemon reports what it added since its last
 * sweep and deletes entries that stayed idle (user/daemon/repeats.c).
 */
#define WARDEN_REPEATS_MAX 4096

struct repeat_key {
	__u64 cgroup_id;
	__u64 generation;
	__u64 dev;
	__u64 ino;
	__u32 tgid;
	__u32 agent;
	__u32 op;
	__u32 access;
	__u32 reason;
	__u32 uid;
};

struct repeat_count {
	__u64 last_ns; /* CLOCK_BOOTTIME of the last denial folded (or reported) */
	__u64 folded;  /* identical denials since the one reported, only ever added to */
};

_Static_assert(sizeof(struct repeat_key) == 56, "repeat_key layout");
_Static_assert(sizeof(struct rule_key) == 32, "rule_key layout");
_Static_assert(sizeof(union rule_value) == 32, "rule_value layout");
_Static_assert(sizeof(struct agent_rule) == 32, "agent_rule layout");
_Static_assert(sizeof(struct exec_allow_rule) == 32, "exec_allow_rule layout");
_Static_assert(sizeof(struct fs_rule) == 32, "fs_rule layout");
_Static_assert(sizeof(struct global_rule) == 32, "global_rule layout");
_Static_assert(sizeof(struct caps_rule) == 32, "caps_rule layout");
_Static_assert(sizeof(struct name_filter_rule) == 32, "name_filter_rule layout");
_Static_assert(sizeof(struct file_event) == 72 + 32 + WARDEN_FILE_PATH_LEN, "file_event layout");
_Static_assert(sizeof(struct cgroup_agent) == 8, "cgroup_agent layout");
_Static_assert(sizeof(struct held_exec) == 40, "held_exec layout");
_Static_assert(sizeof(struct event_head) == 72, "event_head layout");
_Static_assert(sizeof(struct exec_event) ==
		       72 + 32 + WARDEN_PATH_LEN + WARDEN_ARGS_SIZE + WARDEN_FILE_PATH_LEN + 8 + 16,
	       "exec_event layout");

#endif /* WARDEN_H */
