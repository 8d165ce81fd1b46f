// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layer 1: the exec allowlist.
 *
 * lsm/bprm_check_security runs for every binary the kernel is about to load,
 * after the file is opened and its first bytes read, before the point of no
 * return. A binary is identified by the (dev, ino) of the opened file, never
 * by the path string, so symlinks, hard links, bind mounts and renames lead
 * to the same verdict as the file they point at, and a copy (a new inode) is
 * a different, unlisted binary.
 *
 * Shebang scripts: binfmt_script calls this hook again for the interpreter
 * (bprm->file is then the interpreter). The script itself is data to that
 * interpreter, exactly as in "sh script", so its own round passes and the
 * interpreter's round decides. Any other file format (ELF, binfmt_misc)
 * must itself be listed.
 *
 * memfd: an anonymous memory file is never on an allowlist (it has no name
 * userspace could resolve); it is reported with its own reason because it is
 * the classic fileless-payload route (memfd_create + execveat).
 *
 * A miss of a file the agent may write (its closest file rule grants
 * write: the workspace, rw binds, its /tmp) is refused at once with its own
 * reason: W^X (fs.bpf.c) would kill the program at its first executable
 * mapping anyway, so no human is asked about it.
 *
 * The approval gate (layer 4). A held exec is stopped in
 * bprm_committed_creds, past the point of no return, by a SIGSTOP the task
 * dequeues before its first instruction. Nothing but the daemon may end
 * that stop:
 *   - user SIGCONT: task_kill and file_send_sigiotask refuse it
 *     (process.bpf.c), ptrace attach too;
 *   - a tracer that was there before the exec (PTRACE_TRACEME, an earlier
 *     attach) could resume it: a traced task is never held (EPERM,
 *     "traced"). cred_guard_mutex is held from before bprm_check_security
 *     to after bprm_committed_creds, so no tracer can attach in between;
 *   - the kernel's own SIGCONT (an orphaned process group with stopped
 *     members, a tty hangup) always follows a SIGHUP, which kills a task
 *     whose SIGHUP is at its default and unblocked. A task that ignores or
 *     blocks SIGHUP, or cannot be killed by it (a PID namespace's init), is
 *     never held ("unsafe-to-hold"), nor one sharing its fs_struct
 *     (CLONE_FS: another process could change the cwd the human is shown);
 *   - and if a held task runs anyway, the tracepoint on signal delivery or
 *     a later exec catches it (killed, state HELD_ESCAPED), and the
 *     daemon's SIGCONT passes only while the task is still in the very stop
 *     it entered (nvcsw unchanged but for that one sleep).
 */
#include "walk.bpf.h"
#include "arch.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Tunable before load (read-only after: .rodata, so the verifier sees a
 * constant): how old the daemon's heartbeat may be before misses are
 * denied at once instead of held for an approver who is not there.
 */
const volatile __u64 cfg_approver_stale_ns = WARDEN_APPROVER_STALE_NS;

static __always_inline bool is_shebang(struct linux_binprm *bprm)
{
	return bprm->buf[0] == '#' && bprm->buf[1] == '!';
}

static __always_inline bool is_memfd(struct file *file)
{
	const unsigned char *name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	char prefix[6] = {};

	bpf_probe_read_kernel(prefix, sizeof(prefix), name);
	return prefix[0] == 'm' && prefix[1] == 'e' && prefix[2] == 'm' && prefix[3] == 'f' &&
	       prefix[4] == 'd' && prefix[5] == ':' && BPF_CORE_READ(file, f_inode, i_nlink) == 0;
}

/*
 * argv as the caller passed it to execve/execveat. current->mm is still the
 * caller's at this hook, so the syscall's user pointers are valid.
 */
static __always_inline void read_argv(struct exec_event *e)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = SYSCALL_NR(regs);
	const char *const *argv;
	__u32 off = 0;

	e->argc = 0;
	e->truncated = 0;
	/* execve(path, argv, envp); execveat(dirfd, path, argv, envp, flags) */
	if (nr == NR_EXECVE)
		argv = (const char *const *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	else if (nr == NR_EXECVEAT)
		argv = (const char *const *)PT_REGS_PARM3_CORE_SYSCALL(regs);
	else
		argv = NULL;

	for (int i = 0; argv && i < WARDEN_ARGS_MAX; i++) {
		const char *arg = NULL;
		long n;

		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			break;
		if (off > WARDEN_ARGS_SIZE - WARDEN_ARG_LEN) {
			e->truncated = 1;
			break;
		}
		n = bpf_probe_read_user_str(&e->args[off], WARDEN_ARG_LEN, arg);
		if (n <= 0)
			break;
		off += n;
		e->argc++;
	}
	e->args_len = off;
}

#define SIG_IGN_HANDLER 1           /* (__sighandler_t)1 */
#define SIGNAL_UNKILLABLE 0x00000040 /* include/linux/sched/signal.h */
#define SIGHUP_BIT 1ULL              /* 1 << (SIGHUP - 1) */

/*
 * Why the current task cannot be held safely, or 0: something other than
 * the daemon could resume it (see the top of this file). fs_sharers_allowed:
 * how many tasks may share the fs_struct. Before the exec kills the other
 * threads that is the thread count (threads share it; they die before the
 * program runs); after, one.
 */
static __always_inline __u32 unsafe_to_hold(int fs_sharers_allowed)
{
	struct task_struct *task = bpf_get_current_task_btf();
	unsigned long hup = (unsigned long)BPF_CORE_READ(task, sighand, action[0].sa.sa_handler);

	if (BPF_CORE_READ(task, ptrace))
		return REASON_TRACED;
	if (hup == SIG_IGN_HANDLER || (BPF_CORE_READ(task, blocked.sig[0]) & SIGHUP_BIT) ||
	    (BPF_CORE_READ(task, signal, flags) & SIGNAL_UNKILLABLE) ||
	    BPF_CORE_READ(task, fs, users) > fs_sharers_allowed)
		return REASON_UNSAFE_HOLD;
	return 0;
}

/*
 * Whether the closest file rule above the binary grants the agent write,
 * the same test W^X applies to executable mappings. The exec already passed
 * file_open, so nothing above can deny it: the rules walk without deny
 * directories or patterns, which stops at the closest rule. A walk too deep
 * to finish counts as writable: for a miss that means a refusal, the safe
 * side.
 */
static __always_inline bool agent_may_write(void *rules, __u32 agent, struct file *file)
{
	struct walk_state st = { .c = { .rules = rules, .agent = agent } };
	__u32 access = 0;

	switch (walk_rules(&st, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
			   &access)) {
	case WALK_TOO_DEEP:
		return true;
	case WALK_FOUND:
		return access & FS_WRITE;
	default:
		return false;
	}
}

/* Held execs wait here between bprm_check_security and bprm_committed_creds. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct exec_event);
} warden_pending SEC(".maps");

#define SIGKILL 9
#define SIGSTOP 19

static __always_inline void fill_exec(struct exec_event *e, struct linux_binprm *bprm,
				      struct file *file, __u32 verdict, __u32 reason, __u32 agent,
				      __u64 generation)
{
	fill_event_head(&e->head, EVENT_EXEC, verdict, reason, agent, generation);
	e->dev = inode_dev(BPF_CORE_READ(file, f_inode));
	e->ino = BPF_CORE_READ(file, f_inode, i_ino);
	/* interp is the file being judged: the interpreter on a script's second round */
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, interp));
	read_argv(e);
	{
		struct task_struct *task = bpf_get_current_task_btf();

		/* read here: a short-lived process is gone before the daemon could look */
		e->cwd_len = path_names(e->cwd, BPF_CORE_READ(task, fs, pwd.dentry),
					BPF_CORE_READ(task, fs, pwd.mnt));
		e->pad2 = 0;
	}
}

static __always_inline void emit_exec(struct linux_binprm *bprm, struct file *file,
				      __u32 verdict, __u32 reason, __u32 agent, __u64 generation)
{
	struct exec_event *e = event_reserve(sizeof(*e), COUNTER_MAX);

	if (!e)
		return;
	e->flags = 0;
	e->script_dev = 0;
	e->script_ino = 0;
	fill_exec(e, bprm, file, verdict, reason, agent, generation);
	event_submit(e);
}

/*
 * A held exec is reported and stopped in bprm_committed_creds, past the
 * point of no return; until then its event (argv read from the caller's
 * memory, still mapped here) waits in task storage.
 */
static __always_inline int prepare_hold(struct linux_binprm *bprm, struct file *file,
					__u32 reason, __u32 agent, void *rules)
{
	struct exec_event *e = bpf_task_storage_get(&warden_pending, bpf_get_current_task_btf(), NULL,
						     BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!e)
		return -EPERM; /* cannot hold: fail closed */
	/*
	 * A script's identity is kept only from this exec's own shebang round:
	 * binfmt_script points bprm->interp away from bprm->filename.
	 */
	if ((__u64)BPF_CORE_READ(bprm, interp) == (__u64)BPF_CORE_READ(bprm, filename) ||
	    !(e->flags & EXEC_F_SCRIPT)) {
		e->flags = 0;
		e->script_dev = 0;
		e->script_ino = 0;
	}
	fill_exec(e, bprm, file, VERDICT_HOLD, reason, agent, rules_generation(rules));
	if (agent_may_write(rules, agent, file))
		e->flags |= EXEC_F_WRITABLE;
	return 0;
}

/* Round one of a shebang script: remembers which file the interpreter will be given. */
static __always_inline void note_script(struct linux_binprm *bprm)
{
	struct exec_event *e = bpf_task_storage_get(&warden_pending, bpf_get_current_task_btf(), NULL,
						     BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct inode *inode = BPF_CORE_READ(bprm, file, f_inode);

	if (!e)
		return;
	e->head.verdict = VERDICT_ALLOW; /* nothing held yet */
	e->flags = EXEC_F_SCRIPT;
	e->script_dev = inode_dev(inode);
	e->script_ino = BPF_CORE_READ(inode, i_ino);
}

/* A held task reached a hook: it runs although nobody released it. */
static __always_inline bool caught_escaping(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct held_exec *h = bpf_map_lookup_elem(&warden_held, &tgid);

	if (!h || h->exited || h->state == HELD_RELEASED)
		return false;
	h->state = HELD_ESCAPED;
	bpf_send_signal(SIGKILL);
	return true;
}

/* A daemon is there to decide: its heartbeat is fresh. */
static __always_inline bool approver_present(void)
{
	__u32 zero = 0;
	struct approver *a = bpf_map_lookup_elem(&warden_approver, &zero);

	return a && a->tgid && bpf_ktime_get_boot_ns() - a->heartbeat_ns < cfg_approver_stale_ns;
}

/* Turns an allow or a miss into a hold when the agent asks for one. */
static __always_inline __u32 apply_ask(union rule_value *settings, __u32 verdict, __u32 *reason)
{
	__u32 ask = settings->agent.ask;

	if (*reason == REASON_MEMFD || *reason == REASON_EXEC_DISABLED)
		return verdict; /* never a question: there is no program a human could judge */
	if (ask == ASK_ALWAYS || (ask == ASK_ON_MISS && verdict == VERDICT_DENY)) {
		if (!approver_present()) {
			if (verdict == VERDICT_DENY)
				*reason = REASON_NO_APPROVER;
			return verdict == VERDICT_DENY ? VERDICT_DENY : VERDICT_ALLOW;
		}
		if (verdict == VERDICT_ALLOW)
			*reason = REASON_ASK_ALWAYS;
		return VERDICT_HOLD;
	}
	return verdict;
}

/* The verdict for one binary of one agent, and why. */
static __always_inline __u32 judge_exec(void *rules, __u32 agent, struct file *file,
					__u32 *reason)
{
	struct rule_key key = { .kind = RULE_AGENT, .agent = agent };
	union rule_value *settings, *allow;
	struct inode *inode;

	settings = bpf_map_lookup_elem(rules, &key);
	if (!settings) {
		*reason = REASON_NO_POLICY;
		return VERDICT_DENY;
	}
	switch (settings->agent.exec_mode) {
	case EXEC_MODE_FULL:
		*reason = REASON_EXEC_FULL;
		return VERDICT_ALLOW;
	case EXEC_MODE_ALLOWLIST:
		break;
	default:
		*reason = REASON_EXEC_DISABLED;
		return VERDICT_DENY;
	}

	inode = BPF_CORE_READ(file, f_inode);
	key.kind = RULE_EXEC_ALLOW;
	key.dev = inode_dev(inode);
	key.ino = BPF_CORE_READ(inode, i_ino);
	allow = bpf_map_lookup_elem(rules, &key);
	if (allow && (allow->exec_allow.flags & EXEC_ALLOW_QUIET)) {
		/* a runtime's harmless probe: refused, and no human is bothered with it */
		*reason = REASON_QUIET;
		return VERDICT_DENY;
	}
	if (allow && (!allow->exec_allow.expires_ns ||
		      allow->exec_allow.expires_ns > bpf_ktime_get_boot_ns())) {
		*reason = REASON_ALLOWLISTED;
		return apply_ask(settings, VERDICT_ALLOW, reason);
	}
	*reason = is_memfd(file) ? REASON_MEMFD : REASON_NOT_ALLOWLISTED;
	return apply_ask(settings, VERDICT_DENY, reason);
}

/*
 * A cgroup in sandbox setup runs the sandbox builder only: its exec passes;
 * any other exec ends the setup for good and is judged as usual.
 */
static __always_inline bool setup_exec(struct cgroup_agent *ca, void *rules, struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct rule_key key = { .kind = RULE_SETUP_EXEC, .dev = inode_dev(inode),
				.ino = BPF_CORE_READ(inode, i_ino) };

	if (!(ca->flags & CGROUP_SETUP))
		return false;
	if (bpf_map_lookup_elem(rules, &key))
		return true;
	ca->flags &= ~CGROUP_SETUP;
	return false;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(exec_bprm_check_security, struct linux_binprm *bprm, int ret)
{
	struct cgroup_agent *ca;
	struct file *file;
	__u32 verdict, reason = REASON_NO_POLICY;
	void *rules;

	if (ret)
		return ret;
	ca = current_agent();
	if (!ca)
		return 0;
	if (caught_escaping())
		return -EPERM;
	if (is_shebang(bprm)) {
		note_script(bprm);
		return 0; /* judged by its interpreter on the next round */
	}

	file = bprm->file;
	rules = current_rules();
	if (rules && setup_exec(ca, rules, file)) {
		emit_exec(bprm, file, VERDICT_ALLOW, REASON_SANDBOX_SETUP, ca->agent,
			  rules_generation(rules));
		return 0;
	}
	verdict = rules ? judge_exec(rules, ca->agent, file, &reason) : VERDICT_DENY;
	if (rules && verdict != VERDICT_ALLOW &&
	    (reason == REASON_NOT_ALLOWLISTED || reason == REASON_NO_APPROVER) &&
	    agent_may_write(rules, ca->agent, file)) {
		/* a file the agent made or could change: W^X kills it anyway, ask nobody */
		verdict = VERDICT_DENY;
		reason = REASON_WRITABLE_BINARY;
	}
	if (verdict == VERDICT_HOLD) {
		__u32 unsafe = unsafe_to_hold(BPF_CORE_READ(bpf_get_current_task_btf(), signal,
							     nr_threads));

		if (!unsafe)
			return prepare_hold(bprm, file, reason, ca->agent, rules);
		verdict = VERDICT_DENY;
		reason = unsafe;
	}
	bpf_task_storage_delete(&warden_pending, bpf_get_current_task_btf());
	if (ca->agent != WARDEN_AGENT_SELFTEST)
		count(verdict == VERDICT_ALLOW ? COUNTER_EXEC_ALLOWED : COUNTER_EXEC_DENIED);
	emit_exec(bprm, file, verdict, reason, ca->agent, rules ? rules_generation(rules) : 0);
	return verdict == VERDICT_ALLOW ? 0 : -EPERM;
}

/*
 * The new program is committed but has not run an instruction: a held exec
 * is stopped here and reported. If the report cannot be delivered nobody
 * could ever answer it, so the process is killed instead (fail closed).
 */
SEC("lsm/bprm_committed_creds")
int BPF_PROG(exec_bprm_committed_creds, struct linux_binprm *bprm)
{
	struct task_struct *task;
	struct exec_event *e;
	struct held_exec h = {};
	__u32 tgid;

	if (!current_agent())
		return 0; /* unmanaged: nothing can be held here */
	task = bpf_get_current_task_btf();
	e = bpf_task_storage_get(&warden_pending, task, NULL, 0);
	if (!e)
		return 0;
	if (e->head.verdict != VERDICT_HOLD) {
		bpf_task_storage_delete(&warden_pending, task);
		return 0;
	}
	tgid = bpf_get_current_pid_tgid() >> 32;
	h.agent = e->head.agent;
	h.since_ns = bpf_ktime_get_boot_ns();
	h.state = HELD_COMMITTED;
	h.start_ns = BPF_CORE_READ(task, start_boottime);
	/*
	 * Checked again here, after the exec unshared the signal handlers (a
	 * CLONE_SIGHAND sibling could have ignored SIGHUP in between). Past
	 * the point of no return the only refusal left is SIGKILL.
	 */
	if (unsafe_to_hold(1)) {
		count(COUNTER_EXEC_DENIED);
		bpf_send_signal(SIGKILL);
		bpf_task_storage_delete(&warden_pending, task);
		return 0;
	}
	if (bpf_map_update_elem(&warden_held, &tgid, &h, BPF_ANY) ||
	    bpf_ringbuf_output(&warden_events, e, sizeof(*e), BPF_RB_FORCE_WAKEUP)) {
		bpf_map_delete_elem(&warden_held, &tgid);
		count(COUNTER_EVENTS_DROPPED);
		count(COUNTER_EXEC_DENIED);
		bpf_send_signal(SIGKILL);
	} else {
		count(COUNTER_EXEC_HELD);
		bpf_send_signal(SIGSTOP);
	}
	bpf_task_storage_delete(&warden_pending, task);
	return 0;
}

/*
 * A held task dequeues the SIGSTOP of bprm_committed_creds here, in its own
 * context, right before it sleeps: the count of voluntary switches now is
 * the one the release check in process.bpf.c compares against. Any signal
 * delivered to a held task after that means it was woken and runs: it is
 * killed before the signal's action or its program can do anything.
 */
SEC("tp_btf/signal_deliver")
int BPF_PROG(exec_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	struct held_exec *h;
	__u32 tgid;

	if (!current_agent())
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	h = bpf_map_lookup_elem(&warden_held, &tgid);
	if (!h || h->exited)
		return 0;
	if (h->state == HELD_COMMITTED && sig == SIGSTOP) {
		h->nvcsw = BPF_CORE_READ(bpf_get_current_task_btf(), nvcsw);
		h->state = HELD_STOPPED;
	} else if (h->state == HELD_STOPPED || h->state == HELD_ESCAPED) {
		h->state = HELD_ESCAPED;
		bpf_send_signal(SIGKILL);
	}
	return 0;
}

/*
 * A held task that exits (killed by the agent, by the kernel's SIGHUP, by
 * the daemon) is marked so that a process reusing its pid is not taken for
 * it; the daemon removes the entry.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(exec_sched_process_exit, struct task_struct *p)
{
	struct held_exec *h;
	__u32 tgid;

	if (!current_agent())
		return 0;
	tgid = BPF_CORE_READ(p, tgid);
	if (BPF_CORE_READ(p, pid) != tgid)
		return 0;
	h = bpf_map_lookup_elem(&warden_held, &tgid);
	if (h)
		h->exited = 1;
	return 0;
}
