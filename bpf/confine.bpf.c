// SPDX-License-Identifier: GPL-2.0-only
/*
 * Containment that holds whatever the agent's uid: a root process inside a
 * confined agent (`warden run --no-sandbox` from root, a container adopted
 * with `warden attach`) must stay as contained as `nobody` in the sandbox.
 * A uid is something an attacker can have; these hooks judge the cgroup.
 *
 *   capable            a confined task uses only the capabilities of its
 *                      agent's set (WARDEN_CAPS_DEFAULT plus the policy's
 *                      "capabilities"), in every user namespace: root's
 *                      reboot, module loading, raw I/O, DAC_READ_SEARCH
 *                      (open_by_handle_at), MKNOD, ... fail with EPERM.
 *   uring_override_creds
 *                      io_uring personalities would run requests with
 *                      credentials the capable hook cannot tell from the
 *                      kernel's own overrides: refused to confined tasks.
 *   task_alloc         clone3(CLONE_INTO_CGROUP) would start a child in
 *                      another cgroup, outside the agent's policy.
 *   sb_mount, move_mount, sb_umount, sb_pivotroot
 *                      the mount table is the sandbox builder's business
 *                      (it works in the CGROUP_SETUP state); a bind mount
 *                      would give a denied file a new, innocent name.
 *   unix_stream_connect
 *                      warden's control socket can approve, reload and
 *                      unload: no confined task reaches it, by path or by
 *                      an inherited name (the daemon checks peers too).
 *   file_ioctl         TIOCSTI/TIOCLINUX type into a terminal that an
 *                      unconfined shell reads.
 *   file_fcntl, file_set_fowner, file_send_sigiotask, file_free_security
 *                      SIGIO and F_SETSIG let a file deliver any signal to
 *                      its owner without task_kill ever being asked: a
 *                      confined task may name only itself as an owner, may
 *                      not pick the signal or switch on O_ASYNC for a file
 *                      another process owns, and a signal from a file whose
 *                      owner a confined task set reaches only its cgroup.
 *
 * Capability refusals are events, at most one a second per agent and
 * capability; the rest are counted (COUNTER_EVENTS_SUPPRESSED).
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define CLONE_INTO_CGROUP 0x200000000ULL
#define CAP_OPT_NOAUDIT 2u
#define CAP_DAC_READ_SEARCH 2

#define F_SETFL 4
#define F_SETOWN 8
#define F_SETSIG 10
#define FASYNC 020000
#define FIOASYNC 0x5452
#define F_SETOWN_EX 15
#define F_OWNER_TID 0
#define F_OWNER_PID 1
#define TIOCSTI 0x5412
#define TIOCLINUX 0x541C
#define FIOSETOWN 0x8901
#define SIOCSPGRP 0x8902
#define SIGKILL 9

/* Tunable before load: at most one capability event per agent and capability this often. */
const volatile __u64 cfg_cap_event_interval_ns = 1000000000ULL;

/*
 * The agent of a task that must be judged. The sandbox builder in its
 * setup state (CGROUP_SETUP) mounts and uses capabilities in its own user
 * namespace: with_setup false lets it through.
 */
static __always_inline struct cgroup_agent *confined_agent(bool with_setup)
{
	struct cgroup_agent *ca = current_agent();

	if (!ca || (!with_setup && (ca->flags & CGROUP_SETUP)))
		return NULL;
	return ca;
}

/* ---- capabilities ---- */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);   /* agent << 32 | capability */
	__type(value, __u64); /* CLOCK_BOOTTIME of the last event */
} warden_cap_last SEC(".maps");

static __always_inline __u64 agent_caps(__u32 agent)
{
	struct rule_key key = { .kind = RULE_AGENT_CAPS, .agent = agent };
	void *rules = current_rules();
	union rule_value *v = rules ? bpf_map_lookup_elem(rules, &key) : NULL;

	return v ? v->caps.allowed : WARDEN_CAPS_DEFAULT;
}

/* One event a second per agent and capability; a flood is counted, not streamed. */
static __always_inline void report_capability(__u32 agent, int cap)
{
	__u64 key = (__u64)agent << 32 | (__u32)cap, now = bpf_ktime_get_boot_ns();
	__u64 *last = bpf_map_lookup_elem(&warden_cap_last, &key);

	if (last && now - *last < cfg_cap_event_interval_ns) {
		count(COUNTER_EVENTS_SUPPRESSED);
		count(COUNTER_PROCESS_DENIED);
		return;
	}
	bpf_map_update_elem(&warden_cap_last, &key, &now, BPF_ANY);
	emit_process_denial(agent, FILE_OP_CAPABILITY, REASON_CAPABILITY, 0, cap);
}

SEC("lsm/capable")
int BPF_PROG(confine_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	struct task_struct *task;
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = confined_agent(false);
	if (!ca)
		return 0;
	/*
	 * Only the task's own credentials: the kernel also asks about other
	 * credentials in this task's context (a file opener's, a socket's),
	 * and acts on its own behalf with overridden ones (overlayfs checks
	 * its trusted.* xattrs with the mounter's credentials, after it judged
	 * the agent's access with the agent's own). The one way a task could
	 * override its own credentials, io_uring personalities, is refused
	 * below.
	 */
	task = bpf_get_current_task_btf();
	if (cred != task->cred || task->cred != task->real_cred)
		return 0;
	if (cap >= 0 && cap < 64 && (agent_caps(ca->agent) >> cap) & 1)
		return 0;
	/*
	 * Root asks for DAC_READ_SEARCH before DAC_OVERRIDE on every search of
	 * a directory it does not own: refused, it falls back to DAC_OVERRIDE,
	 * so reporting it would be noise. Probes (no audit) are silent too.
	 */
	if (!(opts & CAP_OPT_NOAUDIT) && cap != CAP_DAC_READ_SEARCH)
		report_capability(ca->agent, cap);
	return -EPERM;
}

/* io_uring running a request with registered credentials: see confine_capable. */
SEC("lsm/uring_override_creds")
int BPF_PROG(confine_uring_override_creds, const struct cred *new, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = confined_agent(false);
	if (!ca)
		return 0;
	emit_process_denial(ca->agent, FILE_OP_CAPABILITY, REASON_CAPABILITY, 0, 0xffffffffu);
	return -EPERM;
}

/* ---- the cgroup ---- */

SEC("lsm/task_alloc")
int BPF_PROG(confine_task_alloc, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = confined_agent(true);
	if (!ca || !(clone_flags & CLONE_INTO_CGROUP))
		return 0;
	emit_process_denial(ca->agent, FILE_OP_CLONE, REASON_CGROUP_ESCAPE, 0, 0);
	return -EPERM;
}

/* ---- mounts ---- */

static __always_inline int refuse_mount(__u32 op)
{
	struct cgroup_agent *ca = confined_agent(false);

	if (!ca)
		return 0;
	emit_process_denial(ca->agent, op, REASON_MOUNT, 0, 0);
	return -EPERM;
}

SEC("lsm/sb_mount")
int BPF_PROG(confine_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	return ret ?: refuse_mount(FILE_OP_MOUNT);
}

SEC("lsm/move_mount")
int BPF_PROG(confine_move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	return ret ?: refuse_mount(FILE_OP_MOUNT);
}

SEC("lsm/sb_umount")
int BPF_PROG(confine_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	return ret ?: refuse_mount(FILE_OP_UMOUNT);
}

SEC("lsm/sb_pivotroot")
int BPF_PROG(confine_sb_pivotroot, const struct path *old_path, const struct path *new_path,
	     int ret)
{
	return ret ?: refuse_mount(FILE_OP_PIVOT_ROOT);
}

/* ---- the control socket ---- */

static __always_inline bool name_is(const unsigned char *name, const char *want, int len)
{
	char buf[16] = {};

	if (bpf_probe_read_kernel_str(buf, sizeof(buf), name) != len + 1)
		return false;
	for (int i = 0; i < len && i < (int)sizeof(buf); i++)
		if (buf[i] != want[i])
			return false;
	return true;
}

/*
 * The listener is warden's: the daemon (the approver) listens on it, or it
 * is bound at .../warden/warden.sock (which also covers a daemon starting
 * up, before its first heartbeat names it).
 */
static __always_inline bool is_control_socket(struct sock *listener)
{
	struct unix_sock *u = (struct unix_sock *)listener;
	struct dentry *dentry = BPF_CORE_READ(u, path.dentry);
	struct pid *peer = BPF_CORE_READ(listener, sk_peer_pid);
	struct approver *a;
	__u32 zero = 0;

	a = bpf_map_lookup_elem(&warden_approver, &zero);
	if (a && a->tgid && peer && (__u32)BPF_CORE_READ(peer, numbers[0].nr) == a->tgid)
		return true;
	return dentry && name_is(BPF_CORE_READ(dentry, d_name.name), "warden.sock", 11) &&
	       name_is(BPF_CORE_READ(dentry, d_parent, d_name.name), "warden", 6);
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(confine_unix_stream_connect, struct sock *sock, struct sock *other,
	     struct sock *newsk, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = confined_agent(true);
	if (!ca || !is_control_socket(other))
		return 0;
	emit_process_denial(ca->agent, FILE_OP_CONNECT, REASON_CONTROL_SOCKET, 0, 0);
	return -EPERM;
}

/* ---- terminals and file owners ---- */

/* The number of a struct pid in its own (innermost) namespace: what getpid() says there. */
static __always_inline int pid_nr_inner(struct pid *pid)
{
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = 0;

	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level & 31].nr);
	return nr;
}

/* An owner (F_SETOWN semantics: > 0 a process, < 0 a group) that is the caller itself. */
static __always_inline bool owner_is_self(long owner)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (owner == 0)
		return true; /* clearing the owner */
	if (owner < 0)
		return false; /* a process group: others may be in it */
	return owner == pid_nr_inner(BPF_CORE_READ(task, thread_pid)) ||
	       owner == pid_nr_inner(BPF_CORE_READ(task, group_leader, thread_pid));
}

static __always_inline int refuse_owner(struct cgroup_agent *ca, long owner)
{
	emit_process_denial(ca->agent, FILE_OP_SETOWN, REASON_OTHER_PROCESS, 0, (__u32)owner);
	return -EPERM;
}

/* F_SETOWN_EX: struct f_owner_ex { int type; pid_t pid; } in the caller's memory. */
static __always_inline bool owner_ex_is_self(unsigned long uptr)
{
	int ex[2] = {};

	if (bpf_probe_read_user(ex, sizeof(ex), (void *)uptr))
		return false;
	if (ex[1] == 0)
		return true;
	return (ex[0] == F_OWNER_TID || ex[0] == F_OWNER_PID) && owner_is_self(ex[1]);
}

/*
 * A file whose owner another process set: a confined task that chose its
 * signal (F_SETSIG) or switched on O_ASYNC would aim a signal at that owner.
 */
static __always_inline bool owned_by_other(struct file *file)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pid *owner = BPF_CORE_READ(file, f_owner.pid);

	return owner && owner != BPF_CORE_READ(task, thread_pid) &&
	       owner != BPF_CORE_READ(task, group_leader, thread_pid);
}

SEC("lsm/file_fcntl")
int BPF_PROG(confine_file_fcntl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = confined_agent(true);
	if (!ca)
		return 0;
	if (cmd == F_SETOWN && !owner_is_self((int)arg))
		return refuse_owner(ca, (int)arg);
	if (cmd == F_SETOWN_EX && !owner_ex_is_self(arg))
		return refuse_owner(ca, -1);
	if ((cmd == F_SETSIG || (cmd == F_SETFL && (arg & FASYNC))) && owned_by_other(file))
		return refuse_owner(ca, -1);
	return 0;
}

SEC("lsm/file_ioctl")
int BPF_PROG(confine_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	struct cgroup_agent *ca;
	int owner = 0;

	if (ret)
		return ret;
	ca = confined_agent(true);
	if (!ca)
		return 0;
	if (cmd == TIOCSTI || cmd == TIOCLINUX) {
		emit_process_denial(ca->agent, FILE_OP_IOCTL, REASON_TTY_INJECT, 0, cmd);
		return -EPERM;
	}
	if (cmd == FIOSETOWN || cmd == SIOCSPGRP) {
		if (bpf_probe_read_user(&owner, sizeof(owner), (void *)arg) || !owner_is_self(owner))
			return refuse_owner(ca, owner);
	}
	if (cmd == FIOASYNC && owned_by_other(file))
		return refuse_owner(ca, -1);
	return 0;
}

/*
 * Who last set a file's owner, when that was a confined task: the file
 * (its address) -> that task's cgroup and agent. The fcntl check above
 * reads the owner from user memory, which a racing thread can change
 * before the kernel copies it; this record is what the delivery is judged
 * by. An unconfined owner change removes the record; so does freeing the
 * file (only files that had an owner are looked up, a cheap field test).
 */
struct owner_record {
	__u64 cgroup_id;
	__u32 agent;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct owner_record);
} warden_fowner SEC(".maps");

SEC("lsm/file_set_fowner")
int BPF_PROG(confine_file_set_fowner, struct file *file)
{
	struct cgroup_agent *ca = current_agent();
	__u64 key = (__u64)file;
	struct owner_record r = {};

	if (!ca) {
		/* rare (F_SETOWN), so the lookup-free delete costs nothing that matters */
		bpf_map_delete_elem(&warden_fowner, &key);
		return 0;
	}
	r.cgroup_id = bpf_get_current_cgroup_id();
	r.agent = ca->agent;
	if (bpf_map_update_elem(&warden_fowner, &key, &r, BPF_ANY))
		bpf_send_signal(SIGKILL); /* cannot remember who set it: fail closed */
	return 0;
}

SEC("lsm/file_send_sigiotask")
int BPF_PROG(confine_file_send_sigiotask, struct task_struct *tsk, struct fown_struct *fown,
	     int sig, int ret)
{
	struct file *file = container_of(fown, struct file, f_owner);
	__u64 key = (__u64)file, target = task_cgroup_id(tsk);
	struct owner_record *r;

	if (ret)
		return ret;
	/*
	 * Not judged by current: this runs wherever the I/O happens, often in
	 * softirq context on behalf of nobody in particular.
	 */
	r = bpf_map_lookup_elem(&warden_fowner, &key);
	if (!r || r->cgroup_id == target)
		return 0;
	emit_process_denial(r->agent, FILE_OP_SIGIO, REASON_OTHER_PROCESS, BPF_CORE_READ(tsk, tgid),
			    sig);
	return -EPERM;
}

SEC("lsm/file_free_security")
int BPF_PROG(confine_file_free_security, struct file *file)
{
	__u64 key = (__u64)file;

	/* every close on the host comes here: a direct BTF load, no helper call */
	if (file->f_owner.pid)
		bpf_map_delete_elem(&warden_fowner, &key);
	return 0;
}
