// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layer 2: filesystem isolation.
 *
 * Every access of a confined agent is judged by the identity (dev, ino) of
 * the file and of each directory above it, found by walking dentry parents
 * and crossing mount points up to the namespace root, so symlinks, "..",
 * bind mounts, /proc/self/root/..., /proc/self/fd/N reopens, io_uring and
 * open_by_handle_at all meet the same rules as a plain open:
 *
 *   - a FS_DENY rule on the file or any ancestor, a deny pattern on the
 *     name of the file or of any directory above it (".aws" refuses
 *     .aws/credentials), or a deny on (directory, name) refuses, whatever
 *     else;
 *   - otherwise the closest ancestor with a rule decides (read, or read and
 *     write); no rule at all is a refusal when the agent is workspaceOnly;
 *   - a walk that does not reach the root in WARDEN_WALK_MAX steps refuses.
 *
 * Hooks: file_open (read/write), path_mknod/mkdir/symlink (create in a
 * directory), path_unlink/rmdir, path_rename and path_link (both ends must
 * be writable, so nothing is renamed out of or linked from a read-only
 * tree), path_truncate/chmod/chown, and mmap_file/file_mprotect for W^X: an
 * executable mapping is allowed only of a file whose closest rule grants
 * read and not write (no rule counts as writable, unless the exec
 * allowlist names the file), which closes `ld.so ./payload` and loading a
 * dropped .so from the workspace, /var/tmp or /dev/shm. Writes to cgroupfs
 * are always refused: that is how a process would leave its agent's
 * cgroup. inode_follow_link keeps the sandbox builder off symlinks the
 * agent could have planted.
 *
 * Only denials become events; allowed file accesses are too many to stream.
 */
#include "ipc.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define PROT_EXEC 0x4
#define VM_EXEC 0x4

#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define ANON_INODE_FS_MAGIC 0x09041934
#define NSFS_MAGIC 0x6e736673
#define CGROUP2_SUPER_MAGIC 0x63677270
#define CGROUP_SUPER_MAGIC 0x27e0eb
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define SECURITYFS_MAGIC 0x73636673
#define DEBUGFS_MAGIC 0x64626720
#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC 0xcafe4a11
#define CONFIGFS_MAGIC 0x62656570
#define EFIVARFS_MAGIC 0xde5e81e4
#define PSTOREFS_MAGIC 0x6165676C

#define FS_IOC_SETFLAGS 0x40086602
#define FS_IOC32_SETFLAGS 0x40046602
#define FS_IOC_FSSETXATTR 0x401c5820

#define S_IFCHR 0020000
#define S_IFBLK 0060000

/*
 * What the walk found for a file, whatever access is wanted: a refusal
 * that holds for any access (deny), or the closest rule's grant (found).
 * This is what the verdict cache keeps (fs_cache.bpf.h).
 */
struct fs_outcome {
	__u16 deny;  /* REASON_* refusing every access, or 0 */
	__u8 found;  /* a rule decides: access is its grant */
	__u8 access; /* FS_READ | FS_WRITE | FS_DENY */
};

/* st->c holds the agent and policy; the rest of st is the walk's. */
static __always_inline void fs_walk_outcome(struct walk_state *st, struct dentry *dentry,
					    struct vfsmount *vfsmnt, struct fs_outcome *o)
{
	struct fs_ctx *c = &st->c;
	__u32 access = 0;

	o->found = 0;
	o->access = 0;
	o->deny = name_denied(c, dentry, FS_HAS_NAMES | FS_HAS_CHILD);
	if (o->deny)
		return;
	switch (walk_rules(st, dentry, vfsmnt, &access)) {
	case WALK_DENIED:
		o->deny = REASON_FS_DENIED;
		break;
	case WALK_DENIED_NAME:
		o->deny = REASON_FS_DENIED_NAME;
		break;
	case WALK_TOO_DEEP:
		o->deny = REASON_FS_WALK_LIMIT;
		break;
	case WALK_NO_RULE:
		if (c->fs_flags & FS_WORKSPACE_ONLY)
			o->deny = REASON_FS_NOT_ALLOWED;
		break;
	case WALK_FOUND:
		o->found = 1;
		o->access = access;
		break;
	}
}

/*
 * 0 when an outcome allows `want` (FS_READ/FS_WRITE), else the reason.
 * *granted gets what the closest rule grants (0 without a rule).
 */
static __always_inline __u32 fs_outcome_reason(const struct fs_outcome *o, __u32 want,
					       __u32 *granted)
{
	*granted = 0;
	if (o->deny)
		return o->deny;
	if (!o->found)
		return 0;
	*granted = o->access;
	if ((want & o->access) == want)
		return 0;
	return (o->access & FS_READ) ? REASON_FS_READ_ONLY : REASON_FS_NOT_ALLOWED;
}

/*
 * One access a hook asks about. The judgement and the report below are
 * global functions, and global functions take scalars and pointers to
 * plain memory only: kernel pointers travel here as addresses and are
 * read with probe reads (BPF_CORE_READ), as the walk does.
 */
struct fs_access {
	__u64 dentry;     /* struct dentry * */
	__u64 vfsmnt;     /* struct vfsmount *; 0 in the inode hooks, which have no mount */
	__u64 generation; /* out: the policy that judged */
	__u32 agent;
	__u32 op;         /* FILE_OP_*, for the event */
	__u32 want;       /* FS_READ | FS_WRITE */
	__u32 granted;    /* out: what the closest rule grants, 0 without one */
	__u32 reason;     /* out: 0 = allowed, else REASON_* */
	__u32 pad;
	struct fs_outcome out; /* out: what the walk found */
};

/*
 * The prologue of every hook: false when the current task is not managed
 * (the hook returns at once, before reading any field) or is the sandbox
 * builder, whose file rules wait until warden's own stage execs.
 */
static __always_inline bool fs_confined(struct fs_access *a)
{
	struct cgroup_agent *ca = current_agent();

	if (!ca || (ca->flags & CGROUP_SETUP))
		return false;
	a->agent = ca->agent;
	return true;
}

static __always_inline void fs_access_set(struct fs_access *a, __u32 op, struct dentry *dentry,
					  struct vfsmount *vfsmnt, __u32 want)
{
	a->op = op;
	a->dentry = (__u64)dentry;
	a->vfsmnt = (__u64)vfsmnt;
	a->want = want;
}

/*
 * The judgement of one access under the policy in force: fills a's out
 * fields and returns the reason (0: allowed). Global, so the verifier
 * checks it once per program with unknown arguments; inlined into each
 * hook it was checked once per path into it (fs_path_mkdir took 932,407
 * of the 1,000,000 instructions the verifier allows, and loading fs.bpf.o
 * a minute under emulation).
 */
__noinline __u32 fs_verdict(struct fs_access *a)
{
	struct walk_state st = {};
	__u32 granted = 0;

	if (!a)
		return REASON_NO_POLICY;
	if (fs_load(&st.c, a->agent) < 0) {
		a->reason = REASON_NO_POLICY; /* managed, but no policy to read: fail closed */
		return a->reason;
	}
	a->generation = st.c.generation;
	fs_walk_outcome(&st, (struct dentry *)a->dentry, (struct vfsmount *)a->vfsmnt, &a->out);
	a->reason = fs_outcome_reason(&a->out, a->want, &granted);
	a->granted = granted;
	return a->reason;
}

/*
 * Identical denials folded (a hijacked agent retrying a secret in a loop
 * must not flood the ring, the daemon and every subscriber): the first
 * denial of a (process, file, access, reason, policy) is an event and
 * opens an entry here; the identical ones after it only add to the
 * entry's count. Once a second the daemon reports what was added since
 * its last look as one event with that "count", so a line of the stream
 * stands for "count" denials and none goes unreported:
 *   - the count is only ever added to (atomically), never reset here: the
 *     daemon remembers what it reported, so no increment can be lost
 *     between its read and a reset;
 *   - the daemon deletes an entry only after it stayed idle for seconds
 *     and reports what the deletion returned; only a denial whose hook
 *     found the entry in the instant before the delete is lost. With
 *     BPF_F_NO_PREALLOC that count goes to the freed element (RCU keeps it
 *     until the hook is done), never to another key;
 *   - only files with an inode: a denied create has none, and two names
 *     would look alike;
 *   - a full map folds nothing: every denial is then an event.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WARDEN_REPEATS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct repeat_key);
	__type(value, struct repeat_count);
} warden_repeats SEC(".maps");

/* true: the denial was counted into an earlier report and needs no event */
static __always_inline bool fold_denial(const struct repeat_key *k)
{
	__u64 now = bpf_ktime_get_boot_ns();
	struct repeat_count *v = bpf_map_lookup_elem(&warden_repeats, k);
	struct repeat_count first = { .last_ns = now };

	if (v) {
		__sync_fetch_and_add(&v->folded, 1);
		v->last_ns = now;
		return true;
	}
	bpf_map_update_elem(&warden_repeats, k, &first, BPF_NOEXIST);
	return false;
}

/*
 * The one way a file denial leaves the kernel: counted, then an event
 * with the path, unless it repeats one just reported (fold_denial).
 * Returns -EPERM for the hook to return.
 */
__noinline int fs_deny(struct fs_access *a)
{
	struct dentry *dentry;
	struct inode *inode;
	struct file_event *e;
	struct repeat_key k = {};

	if (!a)
		return -EPERM; /* the verifier's case: every hook passes its own */
	if (!a->generation)
		a->generation = current_generation();
	dentry = (struct dentry *)a->dentry;
	inode = BPF_CORE_READ(dentry, d_inode);
	if (inode) {
		k.dev = inode_dev(inode);
		k.ino = BPF_CORE_READ(inode, i_ino);
	}
	k.cgroup_id = bpf_get_current_cgroup_id();
	k.generation = a->generation;
	k.tgid = bpf_get_current_pid_tgid() >> 32;
	k.agent = a->agent;
	k.op = a->op;
	k.access = a->want;
	k.reason = a->reason;
	k.uid = (__u32)bpf_get_current_uid_gid();
	if (k.ino && fold_denial(&k)) {
		count(COUNTER_FILE_DENIED);
		count(COUNTER_EVENTS_SUPPRESSED);
		return -EPERM;
	}
	e = event_reserve(sizeof(*e), COUNTER_FILE_DENIED);
	if (!e)
		return -EPERM;
	fill_event_head_ids(&e->head, EVENT_FILE, VERDICT_DENY, a->reason, a->agent, a->generation,
			    k.cgroup_id, k.tgid, k.uid);
	e->dev = k.dev;
	e->ino = k.ino;
	e->op = a->op;
	e->access = a->want;
	e->target_pid = 0;
	e->path_len = path_names(e->path, dentry, (struct vfsmount *)a->vfsmnt);
	event_submit(e);
	return -EPERM;
}

/* A denial decided before any judgement (a device, cgroupfs). */
static __always_inline int fs_deny_for(struct fs_access *a, __u32 reason)
{
	a->reason = reason;
	return fs_deny(a);
}

static __always_inline __u64 sb_magic(struct dentry *dentry)
{
	return BPF_CORE_READ(dentry, d_sb, s_magic);
}

/*
 * The kernel's own filesystems: writing there changes the kernel, not a
 * file (/proc/sys/kernel/core_pattern runs a program as root outside every
 * cgroup; /sys, bpffs pins, cgroupfs, securityfs, debugfs, tracefs ...).
 * No rule of a policy makes them writable to a confined task.
 */
static __always_inline bool kernel_fs(__u64 magic)
{
	return magic == PROC_SUPER_MAGIC || magic == SYSFS_MAGIC || magic == CGROUP2_SUPER_MAGIC ||
	       magic == CGROUP_SUPER_MAGIC || magic == SECURITYFS_MAGIC ||
	       magic == DEBUGFS_MAGIC || magic == TRACEFS_MAGIC || magic == BPF_FS_MAGIC ||
	       magic == CONFIGFS_MAGIC || magic == EFIVARFS_MAGIC || magic == PSTOREFS_MAGIC;
}

static __always_inline bool name_eq(const char *name, const char *want, int len)
{
	for (int i = 0; i < len; i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/*
 * The /proc files ordinary programs write about themselves:
 * /proc/PID/{oom_score_adj,oom_adj,comm,timerslack_ns} (and under
 * task/TID). The kernel checks that the writer may touch that process.
 */
static __always_inline bool proc_self_tunable(struct dentry *dentry)
{
	const unsigned char *parent = BPF_CORE_READ(dentry, d_parent, d_name.name);
	char name[16] = {}, first = 0;
	long n;

	bpf_probe_read_kernel(&first, 1, parent);
	if (first < '0' || first > '9')
		return false;
	n = bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(dentry, d_name.name));
	return (n == 14 && name_eq(name, "oom_score_adj", 13)) ||
	       (n == 8 && name_eq(name, "oom_adj", 7)) || (n == 5 && name_eq(name, "comm", 4)) ||
	       (n == 14 && name_eq(name, "timerslack_ns", 13));
}

/*
 * Device nodes a confined task may open: the /dev baseline (null, zero,
 * full, random, urandom; tty, console, ptmx; terminals and pseudo-terminals).
 * No block device, no raw memory, no kernel log, no fuse, tun or kvm.
 */
static __always_inline bool device_allowed(struct inode *inode)
{
	__u32 mode = inode->i_mode & S_IFMT, rdev, major, minor; /* a direct BTF load */

	if (mode != S_IFCHR)
		return mode != S_IFBLK;
	rdev = inode->i_rdev;
	major = rdev >> 20;
	minor = rdev & 0xfffff;
	if (major == 1)
		return minor == 3 || minor == 5 || minor == 7 || minor == 8 || minor == 9;
	return major == 4 || major == 5 || (major >= 136 && major <= 143);
}

/* Judges one access and reports a denial: 0 or -EPERM. */
__noinline int fs_check(struct fs_access *a)
{
	if (!a)
		return -EPERM;
	if ((a->want & FS_WRITE) && kernel_fs(sb_magic((struct dentry *)a->dentry)))
		return fs_deny_for(a, REASON_KERNEL_FS);
	if (!fs_verdict(a))
		return 0;
	return fs_deny(a);
}

/*
 * A mount no namespace can reach: overlayfs's private clones of its layers
 * (clone_private_mount sets mnt_ns to MNT_NS_INTERNAL). Overlayfs opens the
 * real directory there after the open of the overlay file, which is the
 * one the agent made and the one judged; no path lookup leads here.
 */
#define MNT_NS_INTERNAL ((void *)-22L) /* ERR_PTR(-EINVAL), fs/mount.h */

static __always_inline bool internal_mount(struct vfsmount *vfsmnt)
{
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);

	return BPF_CORE_READ(mnt, mnt_ns) == MNT_NS_INTERNAL;
}

#include "fs_cache.bpf.h"

/*
 * fs_verdict through the verdict cache, for a file open at a (its dentry's
 * inode: for overlayfs's second open, the overlay's): a hit skips the
 * walk, not the judgement of this access (want). The reason, as
 * fs_verdict's; a->out and a->granted set either way.
 */
static __always_inline __u32 fs_verdict_cached(struct fs_access *a, struct inode *inode)
{
	struct fs_cache_entry *e = NULL;
	struct fs_cache_key k = {};
	bool usable;

	usable = inode && fs_cache_usable(a, inode, &k);
	if (usable)
		e = bpf_inode_storage_get(&warden_verdicts, inode, NULL, 0);
	if (e && fs_cache_hit(e, a, &k)) {
		count(COUNTER_FS_CACHE_HITS);
		a->reason = fs_outcome_reason(&a->out, a->want, &a->granted);
	} else {
		fs_verdict(a);
		if (usable)
			fs_cache_fill(inode, a, &k);
	}
	return a->reason;
}

/* fs_check for file_open, through the verdict cache; a denial still has its event. */
static __always_inline int fs_check_open(struct fs_access *a, struct file *file)
{
	/* read again (a direct load), not kept live across the walk: stack */
	if ((a->want & FS_WRITE) && kernel_fs(file->f_path.dentry->d_sb->s_magic))
		return fs_deny_for(a, REASON_KERNEL_FS);
	return fs_verdict_cached(a, file->f_path.dentry->d_inode) ? fs_deny(a) : 0;
}

/*
 * A new dentry of an inode (a link, a lookup, a splice) is a way to it the
 * cache has not judged, and may sit at the address of one it had: the
 * inode's entry goes. For every task: the host's links count too.
 */
SEC("lsm/d_instantiate")
int BPF_PROG(fs_d_instantiate, struct dentry *dentry, struct inode *inode)
{
	if (inode)
		bpf_inode_storage_delete(&warden_verdicts, inode);
	return 0;
}

/* The policy's judgement of an open by a confined task (a->agent set). */
static __always_inline int fs_open_check(struct fs_access *a, struct file *file,
					 struct dentry *dentry, struct vfsmount *mnt, __u64 magic)
{
	__u32 mode = file->f_mode, want = 0;
	struct inode *inode;

	/* reopened pipes and sockets (/proc/self/fd/N), namespaces: no place in a tree */
	if (magic == PIPEFS_MAGIC || magic == SOCKFS_MAGIC || magic == ANON_INODE_FS_MAGIC ||
	    magic == NSFS_MAGIC)
		return 0;
	if (mode & FMODE_READ)
		want |= FS_READ;
	if (mode & FMODE_WRITE)
		want |= FS_WRITE;
	if (!want)
		want = FS_READ; /* ioctl-only opens still reach the file */
	/*
	 * Reading /proc is part of the baseline wherever procfs is mounted (a
	 * sandbox has its own); the files that leak another process's secrets
	 * are guarded by ptrace_access_check in process.bpf.c.
	 */
	if (magic == PROC_SUPER_MAGIC && want == FS_READ)
		return 0;
	if (internal_mount(mnt))
		return 0;
	fs_access_set(a, (want & FS_WRITE) ? FILE_OP_OPEN_WRITE : FILE_OP_OPEN_READ, dentry, mnt,
		      want);
	if ((want & FS_WRITE) && magic == CGROUP2_SUPER_MAGIC)
		return fs_deny_for(a, REASON_FS_CGROUPFS);
	if (magic == PROC_SUPER_MAGIC && proc_self_tunable(dentry))
		return 0;
	inode = file->f_inode;
	if (!inode || !device_allowed(inode))
		return fs_deny_for(a, REASON_DEVICE);
	return fs_check_open(a, file);
}

/*
 * The one program on file_open, the hottest hook there is: every open on
 * the host runs it. An unmanaged process leaves after the cgroup lookup,
 * before any field read; a confined one is judged by the policy, then by
 * /dev/shm's per-agent ownership and the host's mqueue files (ipc.bpf.h).
 */
SEC("lsm/file_open")
int BPF_PROG(fs_file_open, struct file *file, int ret)
{
	struct fs_access a = {};
	struct cgroup_agent *ca;
	struct dentry *dentry;
	struct vfsmount *mnt;
	__u64 magic;

	if (ret)
		return ret;
	ca = current_agent();
	if (!ca)
		return 0;
	/*
	 * Direct BTF loads, not probe-read helper calls: file is the hook's
	 * own argument, and a load through a NULL field reads 0.
	 */
	dentry = file->f_path.dentry;
	mnt = file->f_path.mnt;
	magic = dentry->d_sb->s_magic;
	if (magic == MQUEUE_MAGIC && host_mqueue_check(ca, file, dentry))
		return -EPERM;
	if (ca->flags & CGROUP_SETUP)
		return 0;
	a.agent = ca->agent;
	/* the agent from a, the path read again: fewer values live across the walk */
	return fs_open_check(&a, file, dentry, mnt, magic) ?:
	       shm_check(a.agent, file->f_path.dentry, file->f_path.mnt, FILE_OP_OPEN_READ);
}

/* The hooks that judge one path for writing: all alike. */
static __always_inline int fs_check_write(int ret, __u32 op, struct dentry *dentry,
					  struct vfsmount *vfsmnt)
{
	struct fs_access a = {};

	if (ret || !fs_confined(&a))
		return ret;
	fs_access_set(&a, op, dentry, vfsmnt, FS_WRITE);
	return fs_check(&a);
}

SEC("lsm/path_mknod")
int BPF_PROG(fs_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	struct fs_access a = {};
	__u32 type = mode & S_IFMT;

	if (ret || !fs_confined(&a))
		return ret;
	fs_access_set(&a, FILE_OP_CREATE, dentry, BPF_CORE_READ(dir, mnt), FS_WRITE);
	/* a device node is a door to hardware, whatever directory it is in */
	if (type == S_IFCHR || type == S_IFBLK)
		return fs_deny_for(&a, REASON_DEVICE);
	return fs_check(&a);
}

SEC("lsm/path_mkdir")
int BPF_PROG(fs_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	return fs_check_write(ret, FILE_OP_MKDIR, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_symlink")
int BPF_PROG(fs_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name,
	     int ret)
{
	return fs_check_write(ret, FILE_OP_SYMLINK, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_unlink")
int BPF_PROG(fs_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	return fs_check_write(ret, FILE_OP_UNLINK, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_rmdir")
int BPF_PROG(fs_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	return fs_check_write(ret, FILE_OP_RMDIR, dentry, BPF_CORE_READ(dir, mnt));
}

/*
 * A rename and a link each judge two places. Each place gets its own
 * program on the same hook (all attached programs must allow), which keeps
 * each program well inside the verifier's budget.
 */
SEC("lsm/path_rename")
int BPF_PROG(fs_path_rename_from, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	/* the source leaves its tree: it must be writable where it is */
	return fs_check_write(ret, FILE_OP_RENAME, old_dentry, BPF_CORE_READ(old_dir, mnt));
}

SEC("lsm/path_rename")
int BPF_PROG(fs_path_rename_to, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	return fs_check_write(ret, FILE_OP_RENAME, new_dentry, BPF_CORE_READ(new_dir, mnt));
}

SEC("lsm/path_link")
int BPF_PROG(fs_path_link_from, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct fs_access a = {};

	if (ret || !fs_confined(&a))
		return ret;
	/* a new name only for files the agent could already write: no aliases of secrets */
	fs_access_set(&a, FILE_OP_LINK, old_dentry, BPF_CORE_READ(new_dir, mnt), FS_READ | FS_WRITE);
	return fs_check(&a);
}

SEC("lsm/path_link")
int BPF_PROG(fs_path_link_to, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	return fs_check_write(ret, FILE_OP_LINK, new_dentry, BPF_CORE_READ(new_dir, mnt));
}

SEC("lsm/path_truncate")
int BPF_PROG(fs_path_truncate, const struct path *path, int ret)
{
	return fs_check_write(ret, FILE_OP_TRUNCATE, BPF_CORE_READ(path, dentry),
			      BPF_CORE_READ(path, mnt));
}

SEC("lsm/path_chmod")
int BPF_PROG(fs_path_chmod, const struct path *path, umode_t mode, int ret)
{
	return fs_check_write(ret, FILE_OP_CHMOD, BPF_CORE_READ(path, dentry),
			      BPF_CORE_READ(path, mnt));
}

SEC("lsm/path_chown")
int BPF_PROG(fs_path_chown, const struct path *path, __u64 uid, __u64 gid, int ret)
{
	return fs_check_write(ret, FILE_OP_CHOWN, BPF_CORE_READ(path, dentry),
			      BPF_CORE_READ(path, mnt));
}

/* The agent's exec allowlist names this very file (and no timed grant of it ran out). */
static __always_inline bool exec_allowed(__u32 agent, struct inode *inode)
{
	struct rule_key key = { .kind = RULE_EXEC_ALLOW, .agent = agent,
				.dev = inode_dev(inode), .ino = BPF_CORE_READ(inode, i_ino) };
	void *rules = current_rules();
	union rule_value *v = rules ? bpf_map_lookup_elem(rules, &key) : NULL;

	return v && (!v->exec_allow.expires_ns || v->exec_allow.expires_ns > bpf_ktime_get_boot_ns());
}

/*
 * W^X by what the agent may write: an executable mapping needs a file
 * whose closest rule (or the baseline) grants read and not write. A file
 * no rule covers is writable for an agent without workspaceOnly (/var/tmp,
 * /dev/shm in a sandbox), so it is refused too, unless the exec allowlist
 * names that very inode (a binary outside the baseline the policy allows).
 *
 * The walk's outcome comes through file_open's verdict cache: the loader
 * opened the library a moment ago, and what the walk found for that path
 * does not depend on the hook asking (the cache's own checks make the
 * answer the walk's, see fs_cache.bpf.h). file is a BTF pointer (the
 * hook's argument, or the vma's file read with a direct load).
 */
static __always_inline int check_exec_mapping(struct fs_access *a, __u32 op, struct file *file)
{
	struct vfsmount *mnt = file->f_path.mnt;

	fs_access_set(a, op, file->f_path.dentry, mnt, FS_READ);
	/*
	 * An overlayfs mapping carries the layer's file after mmap: which
	 * agent-visible file it is cannot be told, so adding exec to it fails
	 * closed (mmap_file saw the overlay file itself and judged that).
	 */
	if (internal_mount(mnt))
		return fs_deny_for(a, REASON_FS_WX);
	if (fs_verdict_cached(a, file->f_path.dentry->d_inode))
		return fs_deny(a);
	if ((a->granted & FS_WRITE) || (!a->granted && !exec_allowed(a->agent, file->f_inode)))
		return fs_deny_for(a, REASON_FS_WX);
	return 0;
}

SEC("lsm/mmap_file")
int BPF_PROG(fs_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct fs_access a = {};

	if (ret || !file || !(prot & PROT_EXEC) || !fs_confined(&a))
		return ret;
	return check_exec_mapping(&a, FILE_OP_MMAP_EXEC, file);
}

SEC("lsm/file_mprotect")
int BPF_PROG(fs_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct fs_access a = {};
	struct file *file;

	/* unmanaged processes leave before any field read */
	if (ret || !(prot & PROT_EXEC) || !fs_confined(&a))
		return ret;
	file = vma->vm_file; /* direct loads: a BTF pointer for the verdict cache */
	if (!file || (vma->vm_flags & VM_EXEC))
		return 0;
	return check_exec_mapping(&a, FILE_OP_MPROTECT_EXEC, file);
}

/*
 * Attributes, times and flags. The inode hooks carry no mount, so the walk
 * stays inside the file's filesystem (dentry parents are the file's real
 * directories, whatever bind mount it was reached through): a rule on the
 * file, its directories, or the root of the mount it lives on decides.
 * A change is refused where a deny rule or pattern applies or the closest
 * rule is read-only. No rule at all is let through here: overlayfs repeats
 * the call on its upper layer, whose directories no rule names, and the
 * agent-visible call before it was judged already.
 */
static __always_inline int attr_check(int ret, __u32 op, struct dentry *dentry)
{
	struct fs_access a = {};
	__u32 reason;

	if (ret || !fs_confined(&a))
		return ret;
	fs_access_set(&a, op, dentry, NULL, FS_WRITE);
	if (kernel_fs(sb_magic(dentry)))
		return fs_deny_for(&a, REASON_KERNEL_FS);
	reason = fs_verdict(&a);
	if (!reason || (reason == REASON_FS_NOT_ALLOWED && !a.granted))
		return 0;
	return fs_deny(&a);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(fs_inode_setxattr, struct user_namespace *mnt_userns, struct dentry *dentry,
	     const char *name, const void *value, size_t size, int flags, int ret)
{
	return attr_check(ret, FILE_OP_SETXATTR, dentry);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(fs_inode_removexattr, struct user_namespace *mnt_userns, struct dentry *dentry,
	     const char *name, int ret)
{
	return attr_check(ret, FILE_OP_SETXATTR, dentry);
}

SEC("lsm/inode_setattr")
int BPF_PROG(fs_inode_setattr, struct dentry *dentry, struct iattr *attr, int ret)
{
	return attr_check(ret, FILE_OP_SETATTR, dentry);
}

/* chattr: immutable, append-only and the other inode flags, through an open file. */
SEC("lsm/file_ioctl")
int BPF_PROG(fs_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret || (cmd != FS_IOC_SETFLAGS && cmd != FS_IOC32_SETFLAGS && cmd != FS_IOC_FSSETXATTR))
		return ret;
	return fs_check_write(ret, FILE_OP_SETATTR, BPF_CORE_READ(file, f_path.dentry),
			      BPF_CORE_READ(file, f_path.mnt));
}

/*
 * While bubblewrap builds a sandbox (CGROUP_SETUP) file rules wait, and it
 * creates and mounts on bind destinations inside the agent's own trees
 * (/workspace/tasks.json). A symlink there is the agent's to plant: the
 * builder, running as the agent's user with the rules off, would follow
 * it anywhere that user can write (another agent's workspace). So it may
 * not follow a symlink in a place the agent's rules make writable. There
 * is no mount here: the walk goes up the filesystem's own parents, which
 * for a bind mount pass the host directory its rule is keyed on.
 */
SEC("lsm/inode_follow_link")
int BPF_PROG(fs_inode_follow_link, struct dentry *dentry, struct inode *inode, bool rcu, int ret)
{
	struct fs_access a = {};
	struct cgroup_agent *ca;

	if (ret)
		return ret;
	ca = current_agent();
	if (!ca || !(ca->flags & CGROUP_SETUP))
		return 0; /* unmanaged, or past setup: file rules judge where a link leads */
	a.agent = ca->agent;
	fs_access_set(&a, FILE_OP_FOLLOW_LINK, dentry, NULL, FS_WRITE);
	if (fs_verdict(&a) == REASON_NO_POLICY)
		return fs_deny(&a);
	if (a.reason || !(a.granted & FS_WRITE))
		return 0;
	a.want = FS_READ; /* the event says what was refused: following (reading) the link */
	return fs_deny_for(&a, REASON_SETUP_SYMLINK);
}
