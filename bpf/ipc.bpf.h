/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What ipc.bpf.c shares with fs.bpf.c: the host-namespace and /dev/shm
 * checks of an open. file_open is the hottest hook there is (every open on
 * the host passes it), so it has one program, fs_file_open, which asks
 * these checks after its own; a second program on the hook cost every
 * unmanaged open another trampoline call and cgroup lookup (785 ns under
 * emulation, more than fs_file_open's own 536 ns).
 */
#ifndef WARDEN_IPC_BPF_H
#define WARDEN_IPC_BPF_H

#include "walk.bpf.h"

#define PROC_IPC_INIT_INO 0xEFFFFFFFU /* include/linux/proc_ns.h: the host's IPC namespace */
#define MQUEUE_MAGIC 0x19800202

/* kernel dev_t of the host's /dev/shm; 0: none. Weak: one variable for both objects */
const volatile __u64 cfg_shm_dev __weak = 0;

struct shm_tag {
	__u32 agent;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct shm_tag);
} warden_shm SEC(".maps") __weak;

enum ipc_what { IPC_ANY, IPC_SHM, IPC_SEM, IPC_MSG, IPC_MQUEUE };

/* A refusal event for an IPC object: path "/sysv-shm" and so on, ino = the IPC key. */
static __always_inline void emit_ipc(__u32 agent, enum ipc_what what, __u64 key)
{
	struct file_event *e = event_reserve(sizeof(*e), COUNTER_FILE_DENIED);

	if (!e)
		return;
	fill_event_head(&e->head, EVENT_FILE, VERDICT_DENY, REASON_HOST_IPC, agent,
			current_generation());
	e->dev = 0;
	e->ino = key;
	e->op = FILE_OP_IPC;
	e->access = 0;
	e->target_pid = 0;
	switch (what) {
	case IPC_SHM: __builtin_memcpy(e->path, "sysv-shm/", 10); break;
	case IPC_SEM: __builtin_memcpy(e->path, "sysv-sem/", 10); break;
	case IPC_MSG: __builtin_memcpy(e->path, "sysv-msg/", 10); break;
	case IPC_MQUEUE: __builtin_memcpy(e->path, "mqueue/\0\0", 10); break;
	default: __builtin_memcpy(e->path, "sysv-ipc/", 10); break;
	}
	e->path_len = 10;
	event_submit(e);
}

static __always_inline bool host_ipc_namespace(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return BPF_CORE_READ(task, nsproxy, ipc_ns, ns.inum) == PROC_IPC_INIT_INO;
}

static __always_inline void emit_shm(__u32 agent, __u32 op, struct dentry *dentry,
				     struct vfsmount *mnt, struct inode *inode)
{
	struct file_event *e = event_reserve(sizeof(*e), COUNTER_FILE_DENIED);

	if (!e)
		return;
	fill_event_head(&e->head, EVENT_FILE, VERDICT_DENY, REASON_SHM_OTHER, agent,
			current_generation());
	e->dev = cfg_shm_dev;
	e->ino = inode ? BPF_CORE_READ(inode, i_ino) : 0;
	e->op = op;
	e->access = 0;
	e->target_pid = 0;
	e->path_len = path_names(e->path, dentry, mnt);
	event_submit(e);
}

/*
 * 0 when agent may use dentry (positive: the object itself; else its
 * parent directory is judged by the caller passing it): not on the host's
 * /dev/shm, its root, or tagged with agent. Else -EPERM and an event.
 */
static __noinline int shm_check(__u32 agent, struct dentry *dentry, struct vfsmount *mnt,
				__u32 op)
{
	struct inode *inode = dentry->d_inode;
	struct shm_tag *tag;

	/* direct BTF loads: dentry is a hook's argument, or the opened file's */
	if (!inode || !cfg_shm_dev || inode->i_sb->s_dev != cfg_shm_dev ||
	    dentry == dentry->d_sb->s_root)
		return 0;
	tag = bpf_inode_storage_get(&warden_shm, inode, 0, 0);
	if (tag && tag->agent == agent)
		return 0;
	emit_shm(agent, op, dentry, mnt, inode);
	return -EPERM;
}

/*
 * -EPERM (and an event) for a file of the host IPC namespace's mqueue
 * filesystem (mq_open, /dev/mqueue); an mqueue filesystem belongs to one
 * IPC namespace, and a sandbox mounts its own. Asked of tasks in sandbox
 * setup too: nothing of the host's queues belongs in a sandbox.
 *
 * This and shm_check are static subprograms, not inlined: fs_file_open's
 * own frame plus the rules walk's would pass the verifier's 512 bytes of
 * stack for the whole call chain.
 */
static __noinline __attribute__((unused)) int
host_mqueue_check(struct cgroup_agent *ca, struct file *file, struct dentry *dentry)
{
	void *fs_info = BPF_CORE_READ(dentry, d_sb, s_fs_info);

	if (BPF_CORE_READ((struct ipc_namespace *)fs_info, ns.inum) != PROC_IPC_INIT_INO)
		return 0;
	emit_ipc(ca->agent, IPC_MQUEUE, BPF_CORE_READ(file, f_inode, i_ino));
	return -EPERM;
}

#endif /* WARDEN_IPC_BPF_H */
