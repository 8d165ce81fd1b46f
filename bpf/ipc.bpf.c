// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared memory between agents: what one agent leaves, another must not
 * pick up, and the host's own segments are nobody's to read.
 *
 * SysV IPC and POSIX message queues of the host's IPC namespace are
 * refused to every confined task. A sandbox has its own namespace (bwrap
 * --unshare-ipc), a container usually too; without one (--no-sandbox, an
 * attached systemd unit) the host namespace is where two agents would
 * meet. ipc_permission is the kernel's one access check for shmat, semop,
 * msgsnd/msgrcv, IPC_STAT and shmget/semget/msgget of an existing key;
 * the *_alloc_security hooks cover creating, the *ctl hooks IPC_SET,
 * IPC_RMID and the *_INFO calls; file_open covers mqueue files of the host
 * namespace (mq_open, /dev/mqueue).
 *
 * The host's /dev/shm stays in every agent's baseline (shm_open, POSIX
 * semaphores, Python's multiprocessing need it), but per agent: a file or
 * directory an agent creates there is tagged with its agent (inode
 * storage, set in inode_init_security), and an agent opens, truncates,
 * links, renames or unlinks there only what it tagged itself, and creates
 * only at the top or in its own directories. Files of the host (untagged)
 * are refused as well. Directory listings of /dev/shm itself still show
 * every name. cfg_shm_dev names the filesystem: the daemon sets it from
 * /dev/shm at load.
 */
#include "walk.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PROC_IPC_INIT_INO 0xEFFFFFFFU /* include/linux/proc_ns.h: the host's IPC namespace */
#define MQUEUE_MAGIC 0x19800202

const volatile __u64 cfg_shm_dev = 0; /* kernel dev_t of the host's /dev/shm; 0: none */

struct shm_tag {
	__u32 agent;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct shm_tag);
} warden_shm SEC(".maps");

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

/* -EPERM (and an event) when a confined task uses the host's SysV IPC. */
static __always_inline int host_ipc(struct kern_ipc_perm *perm, enum ipc_what what)
{
	struct cgroup_agent *ca = current_agent();

	if (!ca || !host_ipc_namespace())
		return 0;
	emit_ipc(ca->agent, what, perm ? (__u64)(__u32)BPF_CORE_READ(perm, key) : 0);
	return -EPERM;
}

SEC("lsm/ipc_permission")
int BPF_PROG(ipc_ipc_permission, struct kern_ipc_perm *ipcp, short flag, int ret)
{
	if (ret)
		return ret;
	return host_ipc(ipcp, IPC_ANY);
}

SEC("lsm/shm_alloc_security")
int BPF_PROG(ipc_shm_alloc_security, struct kern_ipc_perm *perm, int ret)
{
	if (ret)
		return ret;
	return host_ipc(perm, IPC_SHM);
}

SEC("lsm/shm_shmctl")
int BPF_PROG(ipc_shm_shmctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	if (ret)
		return ret;
	return host_ipc(perm, IPC_SHM);
}

SEC("lsm/sem_alloc_security")
int BPF_PROG(ipc_sem_alloc_security, struct kern_ipc_perm *perm, int ret)
{
	if (ret)
		return ret;
	return host_ipc(perm, IPC_SEM);
}

SEC("lsm/sem_semctl")
int BPF_PROG(ipc_sem_semctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	if (ret)
		return ret;
	return host_ipc(perm, IPC_SEM);
}

SEC("lsm/msg_queue_alloc_security")
int BPF_PROG(ipc_msg_queue_alloc_security, struct kern_ipc_perm *perm, int ret)
{
	if (ret)
		return ret;
	return host_ipc(perm, IPC_MSG);
}

SEC("lsm/msg_queue_msgctl")
int BPF_PROG(ipc_msg_queue_msgctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	if (ret)
		return ret;
	return host_ipc(perm, IPC_MSG);
}

/* ---- /dev/shm ---- */

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
static __always_inline int shm_check(struct cgroup_agent *ca, struct dentry *dentry,
				     struct vfsmount *mnt, __u32 op)
{
	struct inode *inode = dentry->d_inode;
	struct shm_tag *tag;

	if (!inode || !cfg_shm_dev || inode_dev(inode) != cfg_shm_dev ||
	    dentry == BPF_CORE_READ(dentry, d_sb, s_root))
		return 0;
	tag = bpf_inode_storage_get(&warden_shm, inode, 0, 0);
	if (tag && tag->agent == ca->agent)
		return 0;
	emit_shm(ca->agent, op, dentry, mnt, inode);
	return -EPERM;
}

/* The agent of the current task, unless unmanaged or still in sandbox setup. */
static __always_inline struct cgroup_agent *shm_agent(void)
{
	struct cgroup_agent *ca = current_agent();

	return ca && !(ca->flags & CGROUP_SETUP) ? ca : NULL;
}

SEC("lsm/inode_init_security")
int BPF_PROG(shm_inode_init_security, struct inode *inode, struct inode *dir,
	     const struct qstr *qstr, const char **name, void **value, __u64 *len, int ret)
{
	struct cgroup_agent *ca;
	struct shm_tag *tag;

	if (ret)
		return ret;
	ca = current_agent();
	if (!ca || !cfg_shm_dev || inode_dev(dir) != cfg_shm_dev)
		return 0;
	/* no tag (out of memory) leaves the file to nobody: fail closed */
	tag = bpf_inode_storage_get(&warden_shm, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (tag)
		tag->agent = ca->agent;
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(shm_file_open, struct file *file, int ret)
{
	struct cgroup_agent *ca;
	struct dentry *dentry;
	void *fs_info;

	if (ret)
		return ret;
	ca = current_agent();
	if (!ca)
		return 0;
	dentry = file->f_path.dentry;
	if (BPF_CORE_READ(dentry, d_sb, s_magic) == MQUEUE_MAGIC) {
		/* an mqueue filesystem belongs to one IPC namespace */
		fs_info = BPF_CORE_READ(dentry, d_sb, s_fs_info);
		if (BPF_CORE_READ((struct ipc_namespace *)fs_info, ns.inum) != PROC_IPC_INIT_INO)
			return 0;
		emit_ipc(ca->agent, IPC_MQUEUE, BPF_CORE_READ(file, f_inode, i_ino));
		return -EPERM;
	}
	if (ca->flags & CGROUP_SETUP)
		return 0;
	return shm_check(ca, dentry, file->f_path.mnt, FILE_OP_OPEN_READ);
}

SEC("lsm/path_truncate")
int BPF_PROG(shm_path_truncate, const struct path *path, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca, path->dentry, path->mnt, FILE_OP_TRUNCATE) : 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(shm_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca, dentry, dir->mnt, FILE_OP_UNLINK) : 0;
}

SEC("lsm/path_rmdir")
int BPF_PROG(shm_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca, dentry, dir->mnt, FILE_OP_RMDIR) : 0;
}

SEC("lsm/path_rename")
int BPF_PROG(shm_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	if (!ca)
		return 0;
	ret = shm_check(ca, old_dentry, old_dir->mnt, FILE_OP_RENAME);
	/* nor over another agent's file, nor into its directory */
	ret = ret ?: shm_check(ca, new_dentry, new_dir->mnt, FILE_OP_RENAME);
	return ret ?: shm_check(ca, new_dir->dentry, new_dir->mnt, FILE_OP_RENAME);
}

SEC("lsm/path_link")
int BPF_PROG(shm_path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	if (!ca)
		return 0;
	ret = shm_check(ca, old_dentry, new_dir->mnt, FILE_OP_LINK);
	return ret ?: shm_check(ca, new_dir->dentry, new_dir->mnt, FILE_OP_LINK);
}

SEC("lsm/path_mknod")
int BPF_PROG(shm_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca, dir->dentry, dir->mnt, FILE_OP_CREATE) : 0;
}

SEC("lsm/path_mkdir")
int BPF_PROG(shm_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca, dir->dentry, dir->mnt, FILE_OP_MKDIR) : 0;
}

SEC("lsm/path_symlink")
int BPF_PROG(shm_path_symlink, const struct path *dir, struct dentry *dentry,
	     const char *old_name, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca, dir->dentry, dir->mnt, FILE_OP_SYMLINK) : 0;
}
