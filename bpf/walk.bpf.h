/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one dentry walker: from a file up through its directories to the
 * namespace root, crossing from each mount's root to where it is mounted.
 * The rules walk (what the closest rule grants, and whether anything above
 * denies), the exec's "may the agent write this binary" and the path an
 * event carries all take the same steps (walk_up).
 *
 * Kernel pointers are kept as plain addresses and read with BPF_CORE_READ
 * (probe reads): that lets bpf_loop carry them between steps, so the
 * verifier checks one step instead of WARDEN_WALK_MAX, and lets global
 * functions (which take no kernel pointers on 6.1) receive them.
 */
#ifndef WARDEN_WALK_BPF_H
#define WARDEN_WALK_BPF_H

#include "common.bpf.h"

/* A place in the tree of mounts: a dentry and the mount it was reached through. */
struct walk_pos {
	__u64 dentry;
	__u64 mnt;      /* struct mount of dentry; 0 in hooks without a mount */
	__u64 mnt_root; /* that mount's root dentry */
};

static __always_inline void walk_start(struct walk_pos *p, struct dentry *dentry,
				       struct vfsmount *vfsmnt)
{
	p->dentry = (__u64)dentry;
	p->mnt = vfsmnt ? (__u64)container_of(vfsmnt, struct mount, mnt) : 0;
	p->mnt_root = vfsmnt ? (__u64)BPF_CORE_READ(vfsmnt, mnt_root) : 0;
}

enum walk_step_kind {
	WALK_END,    /* the namespace root (or the filesystem's, without a mount) */
	WALK_PARENT, /* to the parent directory: p->dentry's name was a component */
	WALK_MOUNT,  /* from a mount's root to the dentry it is mounted on: no name */
};

/*
 * One step up. Without a mount (the inode hooks) the walk stays in the
 * file's own filesystem, up its real parents.
 */
static __always_inline enum walk_step_kind walk_up(struct walk_pos *p)
{
	struct dentry *dentry = (struct dentry *)p->dentry, *parent;

	if (p->mnt && p->dentry == p->mnt_root) {
		struct mount *mnt = (struct mount *)p->mnt;
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt)
			return WALK_END;
		p->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		p->mnt = (__u64)up;
		p->mnt_root = (__u64)BPF_CORE_READ(up, mnt.mnt_root);
		return WALK_MOUNT;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (!parent || parent == dentry)
		return WALK_END;
	p->dentry = (__u64)parent;
	return WALK_PARENT;
}

/*
 * A path for an event: the names from dentry up to the namespace root,
 * leaf first, each followed by '/'; userspace reverses them. buf holds
 * WARDEN_FILE_PATH_LEN bytes. Returns the bytes used.
 */
static __always_inline __u32 path_names(char *buf, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	struct walk_pos p;
	__u32 off = 0;

	walk_start(&p, dentry, vfsmnt);
	for (int i = 0; i < 32; i++) {
		struct dentry *d = (struct dentry *)p.dentry;
		enum walk_step_kind step = walk_up(&p);
		long n;

		if (step == WALK_END)
			break;
		if (step == WALK_MOUNT)
			continue;
		barrier_var(off); /* the bound below must be on the register the read uses */
		if (off > WARDEN_FILE_PATH_LEN - 256)
			break;
		n = bpf_probe_read_kernel_str(&buf[off], 256, BPF_CORE_READ(d, d_name.name));
		if (n <= 0)
			break;
		buf[(off + n - 1) & (WARDEN_FILE_PATH_LEN - 1)] = '/';
		off += n;
	}
	return off;
}

#define NAME_BUF 256
#define S_IFMT 00170000
#define S_IFDIR 0040000

struct name_buf {
	char s[NAME_BUF];
	__u64 prefix_hash[WARDEN_NAME_PATTERN_MAX + 1]; /* [k]: hash of the first k bytes */
	__u64 suffix_hash[WARDEN_NAME_PATTERN_MAX + 1]; /* [k]: hash of the last k bytes */
	__u32 len;
};

/* Scratch for a dentry name: too big for the 512-byte BPF stack next to the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_buf);
} warden_names SEC(".maps") __weak;

/* The agent and policy one hook call is judged against. */
struct fs_ctx {
	void *rules;
	__u64 generation;
	__u8 prefix_lens[WARDEN_PATTERN_LENS];
	__u8 suffix_lens[WARDEN_PATTERN_LENS];
	__u64 first[2]; /* struct name_filter_rule: what deny patterns start with */
	__u64 last[2];  /* and what "*suffix" patterns end with */
	__u32 agent;
	__u32 fs_flags;
};

/*
 * Fills c for agent. Returns 0, or -1 when no policy can be read for it
 * (the caller fails closed).
 */
static __always_inline int fs_load(struct fs_ctx *c, __u32 agent)
{
	struct rule_key key = { .kind = RULE_AGENT, .agent = agent };
	union rule_value *settings;

	c->agent = agent;
	c->rules = current_rules();
	if (!c->rules)
		return -1;
	settings = bpf_map_lookup_elem(c->rules, &key);
	if (!settings)
		return -1;
	c->fs_flags = settings->agent.fs_flags;
	__builtin_memcpy(c->prefix_lens, settings->agent.prefix_lens, sizeof(c->prefix_lens));
	__builtin_memcpy(c->suffix_lens, settings->agent.suffix_lens, sizeof(c->suffix_lens));
	c->generation = rules_generation(c->rules);
	key.kind = RULE_AGENT_NAMES;
	settings = bpf_map_lookup_elem(c->rules, &key);
	if (settings) {
		__builtin_memcpy(c->first, settings->names.first, sizeof(c->first));
		__builtin_memcpy(c->last, settings->names.last, sizeof(c->last));
	} else {
		/* no filter: every name is looked up */
		c->first[0] = c->first[1] = c->last[0] = c->last[1] = ~0ULL;
	}
	return 0;
}

/* Whether a deny pattern may start (or end) with byte b: see name_filter_rule. */
static __always_inline bool byte_in(const __u64 bits[2], __u8 b)
{
	__u64 word = (b & 64) ? bits[1] : bits[0];

	return (word >> (b & 63)) & 1;
}

static __always_inline bool rule_hit(struct fs_ctx *c, __u32 kind, __u64 dev, __u64 ino,
				     __u64 hash)
{
	struct rule_key key = { .kind = kind, .agent = c->agent, .dev = dev, .ino = ino,
				.name_hash = hash };

	return bpf_map_lookup_elem(c->rules, &key) != NULL;
}

static __always_inline bool pattern_hit(struct fs_ctx *c, struct name_buf *nb, __u32 kind,
					__u32 k)
{
	__u32 at = k;
	__u64 h;

	if (!k || k > nb->len || k > WARDEN_NAME_PATTERN_MAX)
		return false;
	barrier_var(at); /* a mask the compiler cannot drop, for the verifier */
	at &= WARDEN_NAME_PATTERN_MAX;
	h = kind == NAME_SUFFIX ? nb->suffix_hash[at] : nb->prefix_hash[at];
	return rule_hit(c, RULE_FS_NAME, kind, k, h);
}

/*
 * Basename patterns (kinds FS_HAS_NAMES) and (directory, name) denials
 * (FS_HAS_CHILD) on one component: the reason, or 0.
 */
static __always_inline __u32 name_denied(struct fs_ctx *c, struct dentry *dentry, __u32 kinds)
{
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	__u32 len = BPF_CORE_READ(dentry, d_name.len), zero = 0;
	struct name_buf *nb;
	bool front, back;
	__u32 last_at;

	kinds &= c->fs_flags;
	if (!(kinds & (FS_HAS_NAMES | FS_HAS_CHILD)) || len == 0 || len >= NAME_BUF)
		return 0;
	nb = bpf_map_lookup_elem(&warden_names, &zero);
	if (!nb || bpf_probe_read_kernel_str(nb->s, sizeof(nb->s), name) < 0)
		return 0;
	last_at = len - 1;
	barrier_var(last_at); /* the mask must be on the register the read uses */
	last_at &= NAME_BUF - 1;
	front = byte_in(c->first, nb->s[0]);
	back = byte_in(c->last, nb->s[last_at]);
	if (!(kinds & FS_HAS_CHILD) && !front && !back)
		return 0; /* no deny pattern starts or ends like this name */
	nb->len = len;
	nb->prefix_hash[0] = FNV64_OFFSET;
	nb->suffix_hash[0] = FNV64_OFFSET;
	/*
	 * Prefix hashes are FNV-1a over the first k bytes, suffix hashes over
	 * the last k bytes read backwards. Arithmetic only in this loop: the
	 * lookups come after it, which keeps the verifier's work small.
	 */
	for (__u32 i = 0; i < WARDEN_NAME_PATTERN_MAX; i++) {
		__u32 at = i, back = len - 1 - i;

		if (i >= len)
			break;
		barrier_var(at);
		barrier_var(back);
		at &= WARDEN_NAME_PATTERN_MAX;
		back &= NAME_BUF - 1;
		nb->prefix_hash[(at + 1) & WARDEN_NAME_PATTERN_MAX] =
			(nb->prefix_hash[at] ^ (__u8)nb->s[at]) * FNV64_PRIME;
		nb->suffix_hash[(at + 1) & WARDEN_NAME_PATTERN_MAX] =
			(nb->suffix_hash[at] ^ (__u8)nb->s[back]) * FNV64_PRIME;
	}

	/*
	 * Read len back from the map: the loop left the verifier a different
	 * range for it at each of its 63 exits, and each exit would be checked
	 * on its own through everything below.
	 */
	len = *(volatile __u32 *)&nb->len;
	if (kinds & FS_HAS_NAMES) {
		if (front && pattern_hit(c, nb, NAME_EXACT, len))
			return REASON_FS_DENIED_NAME;
		for (int j = 0; j < WARDEN_PATTERN_LENS; j++) {
			if ((front && pattern_hit(c, nb, NAME_PREFIX, c->prefix_lens[j])) ||
			    (back && pattern_hit(c, nb, NAME_SUFFIX, c->suffix_lens[j])))
				return REASON_FS_DENIED_NAME;
		}
	}
	if ((kinds & FS_HAS_CHILD) && len <= WARDEN_NAME_PATTERN_MAX) {
		struct inode *dir = BPF_CORE_READ(dentry, d_parent, d_inode);
		__u32 at = len;

		barrier_var(at);
		at &= WARDEN_NAME_PATTERN_MAX;
		if (dir && rule_hit(c, RULE_FS_CHILD, inode_dev(dir), BPF_CORE_READ(dir, i_ino),
				    nb->prefix_hash[at]))
			return REASON_FS_DENIED; /* a denied path, by its name in its directory */
	}
	return 0;
}

enum walk_result {
	WALK_NO_RULE,
	WALK_FOUND,       /* access holds the closest rule's access */
	WALK_DENIED,      /* a deny rule on the path */
	WALK_DENIED_NAME, /* a deny pattern on a directory above */
	WALK_TOO_DEEP,
};

struct walk_state {
	struct fs_ctx c;
	struct walk_pos at;
	__u32 access;
	__u32 result; /* enum walk_result, all but WALK_TOO_DEEP */
	__u32 done;   /* the walk reached an answer (else it ran out of steps) */
};

/*
 * One step of the rules walk: the rule on this dentry's inode, a deny
 * pattern on its name, then up. A negative dentry (a name being created)
 * has no inode and is skipped; its parents decide.
 */
static long walk_step(__u32 i, struct walk_state *st)
{
	struct dentry *dentry = (struct dentry *)st->at.dentry;
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	bool found = st->result == WALK_FOUND;

	if (inode) {
		__u32 kind = (BPF_CORE_READ(inode, i_mode) & S_IFMT) == S_IFDIR ? RULE_FS_DIR
										 : RULE_FS_PATH;
		struct rule_key key = { .kind = kind, .agent = st->c.agent,
					.dev = inode_dev(inode), .ino = BPF_CORE_READ(inode, i_ino) };
		union rule_value *v = bpf_map_lookup_elem(st->c.rules, &key);

		if (v && (v->fs.access & FS_DENY)) {
			st->result = WALK_DENIED;
			goto done;
		}
		if (v && !found) {
			st->access = v->fs.access;
			st->result = WALK_FOUND;
			/* nothing above can deny: the closest rule is the answer */
			if (!(st->c.fs_flags & (FS_HAS_DENY_DIRS | FS_HAS_NAMES)))
				goto done;
		}
	}
	/*
	 * A deny pattern holds for every component: ".aws" refuses
	 * .aws/credentials. The leaf was judged before the walk.
	 */
	if (i > 0 && name_denied(&st->c, dentry, FS_HAS_NAMES)) {
		st->result = WALK_DENIED_NAME;
		goto done;
	}
	if (walk_up(&st->at) != WALK_END)
		return 0;
done:
	st->done = 1;
	return 1;
}

/*
 * The rules walk from dentry (in mount vfsmnt, NULL for none) to the root,
 * for the agent and policy in st->c (the walk's own state is reset here;
 * the context lives in st so that it is on the stack once, not copied).
 * st->c.fs_flags decides how far: without deny directories or deny
 * patterns the closest rule ends it.
 */
static __always_inline enum walk_result walk_rules(struct walk_state *st, struct dentry *dentry,
						   struct vfsmount *vfsmnt, __u32 *access)
{
	st->access = 0;
	st->result = WALK_NO_RULE;
	st->done = 0;
	walk_start(&st->at, dentry, vfsmnt);
	bpf_loop(WARDEN_WALK_MAX, walk_step, st, 0);
	*access = st->access;
	/* never reached the root or a deciding rule: fail closed */
	return st->done ? st->result : WALK_TOO_DEEP;
}

#endif /* WARDEN_WALK_BPF_H */
