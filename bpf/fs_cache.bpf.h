/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verdict cache of file_open: what the walk found for a file (struct
 * fs_outcome), kept on the file's inode in inode storage, so that the next
 * open of it by the same agent skips the walk (and so does an executable
 * mapping of it, mmap_file and file_mprotect: the outcome is the walk's for
 * that path, whichever hook asks). An entry is used only while
 * everything the walk read is provably the same:
 *
 *  - the policy: the entry holds the generation it was judged under, and
 *    every reload (rules, deny patterns, flags, agents) bumps it;
 *  - the agent: an entry is one agent's; another's open walks and refills;
 *  - the path: the walk read the dentries from the file up to its mount's
 *    root, and the mounts above. The kernel moves a dentry (rename, rename
 *    exchange, the splice of a disconnected dentry into its place) only
 *    inside rename_lock's write side, and changes the mount tree (mount,
 *    umount, move, namespace copy and teardown, a mount's last put, which
 *    is what lets its memory be reused) only inside mount_lock's. Both are
 *    sequence locks: the entry holds both sequences as read before the
 *    walk, is filled only when both were even (no writer inside) and
 *    unchanged after the walk, and is used only while both still equal the
 *    current ones. The kernel's own d_path() trusts a walk the same way.
 *    Any rename anywhere empties every entry's validity: correct, and on a
 *    host renaming all the time, merely slower;
 *  - the way in: the entry names the dentry and the mount the open came
 *    through (a bind mount is another way to the same inode, judged on its
 *    own), and only regular files with one link are cached (i_nlink is read
 *    again on each hit). A dentry's address is no identity, it can be freed
 *    and reused, and i_nlink can go 1, 2, 1 (link, then unlink the old
 *    name): so every new dentry of an inode, whatever made it (a link, a
 *    lookup, a network filesystem's rename behind the VFS, a splice), drops
 *    the inode's entry first: lsm/d_instantiate below, for every task;
 *  - inode reuse: inode storage lives and dies with its struct inode, so a
 *    new file, even under an old name or inode number, starts without one;
 *    unlink and re-create is a new inode;
 *  - overlayfs opens twice, the overlay file and then its real file with
 *    the overlay's path: the entry lives on the inode of the opened dentry
 *    (the overlay inode, the one the rules judge), so both opens use it;
 *    copy-up keeps that inode;
 *  - wrap-around: the sequences are 32 bits and an agent can rename as
 *    fast as it likes; an entry also expires WARDEN_CACHE_TTL_NS after its
 *    fill, far less than 2^31 renames take.
 *
 * The map is never pinned or adopted by a next daemon: it is only a cache.
 * Entries are created when a walk's answer is kept, not on lookups.
 *
 * The sequences are read with plain probe reads: on x86-64 loads are not
 * reordered with loads, so "sequence, walk, sequence" is ordered as the
 * kernel's read_seqbegin/read_seqretry are. An unreadable sequence counts
 * as odd (no caching). Concurrent fills of one inode take the entry's spin
 * lock, so no reader sees half of one entry and half of another.
 */
#ifndef WARDEN_FS_CACHE_BPF_H
#define WARDEN_FS_CACHE_BPF_H

#include "walk.bpf.h"

#define S_IFREG 0100000
#define WARDEN_CACHE_TTL_NS (10ULL * 1000000000ULL)

struct fs_cache_entry {
	struct bpf_spin_lock lock;
	__u32 agent;
	__u64 generation;
	__u64 dentry;
	__u64 mnt;
	__u32 rename_seq;
	__u32 mount_seq;
	__u64 filled_ns; /* CLOCK_BOOTTIME of the fill */
	struct fs_outcome out;
};

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fs_cache_entry);
} warden_verdicts SEC(".maps");

/* The kernel's sequence locks over dentry moves and mount tree changes (untyped: kallsyms). */
extern const void rename_lock __ksym;
extern const void mount_lock __ksym;

/* What the cache checks on every use: the policy and the path's state. */
struct fs_cache_key {
	__u64 generation;
	__u32 rename_seq;
	__u32 mount_seq;
};

/*
 * A sequence count read into *seq; odd (no caching) when it cannot be
 * read. Straight into the caller's memory: the key lives on the stack
 * anyway, and a copy of each sequence in a spill slot of its own made
 * fs_file_open's frame too big for the verifier's 512 bytes a call chain.
 */
static __always_inline void kernel_seq_into(__u32 *seq, const void *lock)
{
	if (bpf_probe_read_kernel(seq, sizeof(*seq), lock))
		*seq = 1;
}

static __always_inline __u32 kernel_seq(const void *lock)
{
	__u32 seq;

	kernel_seq_into(&seq, lock);
	return seq;
}

/*
 * Fills k for an open of inode (the opened dentry's) through a: true when
 * the cache may answer or keep this open's verdict.
 */
static __always_inline bool fs_cache_usable(struct fs_access *a, struct inode *inode,
					    struct fs_cache_key *k)
{
	/* direct BTF loads: inode is the open's own */
	if ((inode->i_mode & S_IFMT) != S_IFREG || inode->i_nlink != 1 || !a->vfsmnt)
		return false;
	kernel_seq_into(&k->rename_seq, &rename_lock);
	kernel_seq_into(&k->mount_seq, &mount_lock);
	k->generation = current_generation();
	return !(k->rename_seq & 1) && !(k->mount_seq & 1) && k->generation;
}

/* Whether e answers a's open; if so a->out and a->generation are set from it. */
static __always_inline bool fs_cache_hit(struct fs_cache_entry *e, struct fs_access *a,
					 const struct fs_cache_key *k)
{
	__u64 now = bpf_ktime_get_boot_ns(); /* no helper may run under the lock */
	bool hit;

	bpf_spin_lock(&e->lock);
	hit = e->generation == k->generation && e->agent == a->agent && e->dentry == a->dentry &&
	      e->mnt == a->vfsmnt && e->rename_seq == k->rename_seq &&
	      e->mount_seq == k->mount_seq &&
	      now - e->filled_ns < WARDEN_CACHE_TTL_NS;
	if (hit)
		a->out = e->out;
	bpf_spin_unlock(&e->lock);
	if (!hit)
		return false;
	a->generation = k->generation;
	return true;
}

/* Keeps a's judged outcome on inode, if nothing the walk read changed while it ran. */
static __always_inline void fs_cache_fill(struct inode *inode, const struct fs_access *a,
					  const struct fs_cache_key *k)
{
	struct fs_cache_entry *e;
	__u64 now;

	if (a->reason == REASON_NO_POLICY || a->generation != k->generation ||
	    kernel_seq(&rename_lock) != k->rename_seq || kernel_seq(&mount_lock) != k->mount_seq)
		return;
	e = bpf_inode_storage_get(&warden_verdicts, inode, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e)
		return;
	now = bpf_ktime_get_boot_ns();
	bpf_spin_lock(&e->lock);
	e->agent = a->agent;
	e->generation = k->generation;
	e->dentry = a->dentry;
	e->mnt = a->vfsmnt;
	e->rename_seq = k->rename_seq;
	e->mount_seq = k->mount_seq;
	e->filled_ns = now;
	e->out = a->out;
	bpf_spin_unlock(&e->lock);
}

#endif /* WARDEN_FS_CACHE_BPF_H */
