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
 * namespace (mq_open, /dev/mqueue): that check, and the /dev/shm one of an
 * open, live in ipc.bpf.h and run inside fs.bpf.c's fs_file_open.
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
#include "ipc.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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

SEC("lsm/path_truncate")
int BPF_PROG(shm_path_truncate, const struct path *path, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca->agent, path->dentry, path->mnt, FILE_OP_TRUNCATE) : 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(shm_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca->agent, dentry, dir->mnt, FILE_OP_UNLINK) : 0;
}

SEC("lsm/path_rmdir")
int BPF_PROG(shm_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca->agent, dentry, dir->mnt, FILE_OP_RMDIR) : 0;
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
	ret = shm_check(ca->agent, old_dentry, old_dir->mnt, FILE_OP_RENAME);
	/* nor over another agent's file, nor into its directory */
	ret = ret ?: shm_check(ca->agent, new_dentry, new_dir->mnt, FILE_OP_RENAME);
	return ret ?: shm_check(ca->agent, new_dir->dentry, new_dir->mnt, FILE_OP_RENAME);
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
	ret = shm_check(ca->agent, old_dentry, new_dir->mnt, FILE_OP_LINK);
	return ret ?: shm_check(ca->agent, new_dir->dentry, new_dir->mnt, FILE_OP_LINK);
}

SEC("lsm/path_mknod")
int BPF_PROG(shm_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca->agent, dir->dentry, dir->mnt, FILE_OP_CREATE) : 0;
}

SEC("lsm/path_mkdir")
int BPF_PROG(shm_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca->agent, dir->dentry, dir->mnt, FILE_OP_MKDIR) : 0;
}

SEC("lsm/path_symlink")
int BPF_PROG(shm_path_symlink, const struct path *dir, struct dentry *dentry,
	     const char *old_name, int ret)
{
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = shm_agent();
	return ca ? shm_check(ca->agent, dir->dentry, dir->mnt, FILE_OP_SYMLINK) : 0;
}
