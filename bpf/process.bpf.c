// SPDX-License-Identifier: GPL-2.0-only
/*
 * Confined processes against other processes and the kernel.
 *
 * ptrace_access_check guards ptrace and, through ptrace_may_access, every
 * /proc/PID file that exposes another process's secrets: environ, mem,
 * maps, fd/N, root/..., cwd/... (the inherited-environment leak that
 * motivated the filesystem layer). task_kill guards signals. Both allow a
 * target only in the caller's own cgroup: an agent may manage its own
 * processes, never the daemon's, the host's or another agent's.
 *
 * bpf(): an agent has no business loading programs or touching maps, and
 * could otherwise inspect or undo warden's own.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void emit_process(struct cgroup_agent *ca, __u32 op, __u32 reason,
					 struct task_struct *target)
{
	emit_process_denial(ca->agent, op, reason, target ? BPF_CORE_READ(target, tgid) : 0, 0);
}

/* -EPERM when a confined caller reaches outside its own cgroup. */
static __always_inline int check_target(__u32 op, struct task_struct *target)
{
	struct cgroup_agent *ca = current_agent();

	if (!ca)
		return 0;
	if (task_cgroup_id(target) == bpf_get_current_cgroup_id())
		return 0;
	emit_process(ca, op, REASON_OTHER_PROCESS, target);
	return -EPERM;
}

#define SIGCONT 18

/*
 * A held process (see exec.bpf.c) is resumed by the daemon alone: nobody
 * else may send it SIGCONT or trace it, whoever they are. Killing it is
 * fine: that is a refusal.
 */
static __always_inline struct held_exec *held_task(struct task_struct *target)
{
	__u32 tgid = BPF_CORE_READ(target, tgid);
	struct held_exec *h = bpf_map_lookup_elem(&warden_held, &tgid);

	return h && !h->exited && h->state != HELD_RELEASED ? h : NULL;
}

static __always_inline bool from_approver(void)
{
	__u32 zero = 0;
	struct approver *a = bpf_map_lookup_elem(&warden_approver, &zero);

	return a && a->tgid == (__u32)(bpf_get_current_pid_tgid() >> 32);
}

static __always_inline bool held_by_warden(struct task_struct *target)
{
	return held_task(target) && !from_approver();
}

#define TASK_STOPPED_BIT 0x0004 /* __TASK_STOPPED */

/*
 * The daemon's release: its SIGCONT passes only while the task is still in
 * the stop it entered when it was held (exec.bpf.c): stopped, and not one
 * voluntary switch since the sleep that stop began with. Anything else
 * means it ran meanwhile; the daemon then kills it as escaped.
 */
static __always_inline int release_held(struct held_exec *h, struct task_struct *p)
{
	if (h->state != HELD_STOPPED || !(BPF_CORE_READ(p, __state) & TASK_STOPPED_BIT) ||
	    BPF_CORE_READ(p, nvcsw) != h->nvcsw + 1) {
		h->state = HELD_ESCAPED;
		return -EPERM;
	}
	h->state = HELD_RELEASED;
	return 0;
}

static __always_inline int refuse_held(__u32 op, struct task_struct *target)
{
	struct cgroup_agent none = { .agent = 0 }, *ca = current_agent();

	emit_process(ca ? ca : &none, op, REASON_HELD_PROCESS, target);
	return -EPERM;
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(process_ptrace_access_check, struct task_struct *child, unsigned int mode, int ret)
{
	if (ret)
		return ret;
	if (held_by_warden(child))
		return refuse_held(FILE_OP_PTRACE, child);
	return check_target(FILE_OP_PTRACE, child);
}

SEC("lsm/task_kill")
int BPF_PROG(process_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	struct held_exec *h;

	if (ret)
		return ret;
	if (sig == SIGCONT && (h = held_task(p))) {
		if (from_approver())
			return release_held(h, p);
		return refuse_held(FILE_OP_SIGNAL, p);
	}
	return check_target(FILE_OP_SIGNAL, p);
}

/*
 * fcntl(F_SETOWN) + F_SETSIG(SIGCONT) makes the kernel send SIGCONT on
 * I/O, past task_kill: refused for held tasks.
 */
SEC("lsm/file_send_sigiotask")
int BPF_PROG(process_file_send_sigiotask, struct task_struct *tsk, struct fown_struct *fown,
	     int sig, int ret)
{
	if (ret)
		return ret;
	if (sig == SIGCONT && held_task(tsk))
		return refuse_held(FILE_OP_SIGNAL, tsk);
	return 0;
}

SEC("lsm/bpf")
int BPF_PROG(process_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = current_agent();
	if (!ca)
		return 0;
	emit_process(ca, FILE_OP_BPF, REASON_BPF_SYSCALL, NULL);
	return -EPERM;
}
