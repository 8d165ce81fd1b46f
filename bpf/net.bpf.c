// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layer 6, network egress, for agents whose policy has the object form of
 * "network" (NET_MODE_FILTER). Agents with "none" (their own empty network
 * namespace) or "host", and unmanaged cgroups, pass every hook here after
 * one lookup.
 *
 * Two kinds of program, each used for what only it can do:
 *
 * LSM hooks judge. socket_connect and socket_sendmsg run before the
 * protocol code, see the destination exactly as the caller gave it, and
 * have the task for the event (pid, comm). Both inet families are judged by
 * the address's own family, so an AF_INET address on an IPv6 UDP socket and
 * an IPv4-mapped IPv6 address (stored here as mapped, like every IPv4
 * address) meet the same entry. An (address, port) pair passes when it is
 * in the agent's egress set: the LPM trie warden_cidrs (the policy's CIDRs and
 * literal addresses) or the hash warden_addrs (addresses warden's resolver
 * returned for allowed names, until the answer's TTL plus a grace ends, and
 * approved destinations). socket_create refuses raw and packet sockets and
 * every family an agent does not need (AF_UNIX, AF_INET, AF_INET6 with TCP
 * or UDP, and AF_NETLINK route sockets, which getaddrinfo uses, remain).
 * unix_stream_connect and unix_may_send judge unix sockets by the listener:
 * one of the agent's own cgroups, a listed socket name in its directory, or
 * a socket under the agent's workspace; abstract names only the first.
 *
 * cgroup sock_addr programs redirect. Only they may rewrite a destination:
 * every TCP or UDP connect or send to port 53, whatever the address, goes to
 * the agent's resolver port on loopback, where the daemon answers
 * (user/resolver.c); the LSM hook lets port 53 through only when such a
 * port exists. recvmsg and getpeername put the original server back as the
 * source, so resolvers that check who answered (glibc, dig) accept it. The
 * original destination is kept by socket cookie. These programs are attached
 * to the root cgroup (user/net_enforcer.c) and so see every descendant.
 *
 * Ordering: security_socket_connect runs before the connect4 rewrite and
 * security_socket_sendmsg before the sendmsg4 rewrite, so the LSM never
 * sees warden's own loopback port as a destination; an agent that names
 * that port itself is judged like any loopback port (refused unless listed).
 */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>
#include "net.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define NETLINK_ROUTE 0
#define EINVAL 22

#define LOOPBACK4 0x7f000001u

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, WARDEN_NET_CIDRS);
	__type(key, struct net_cidr_key);
	__type(value, struct net_cidr_value);
} warden_cidrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, WARDEN_NET_RESOLVED);
	__type(key, struct net_addr_key);
	__type(value, struct net_addr_value);
} warden_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WARDEN_NET_DNS_SOCKETS);
	__type(key, __u64);
	__type(value, struct net_dns_orig);
} warden_dns_orig SEC(".maps");

/* The agent's network settings; NULL when its network is not filtered. */
static __always_inline struct net_agent_rule *net_rule(void *rules, __u32 agent)
{
	struct rule_key key = { .kind = RULE_NET_AGENT, .agent = agent };
	struct net_agent_rule *nr = bpf_map_lookup_elem(rules, &key);

	return nr && nr->mode == NET_MODE_FILTER ? nr : NULL;
}

static __always_inline void map_v4(__u8 addr[16], __u32 ip4_be)
{
	__builtin_memset(addr, 0, 10);
	addr[10] = 0xff;
	addr[11] = 0xff;
	__builtin_memcpy(&addr[12], &ip4_be, 4);
}

static __always_inline void emit_net(struct cgroup_agent *ca, void *rules, __u32 op,
				     __u32 reason, __u32 family, __u32 type, __u32 protocol,
				     const __u8 addr[16], __u16 port)
{
	struct net_event *e;

	e = event_reserve(sizeof(*e), COUNTER_NET_DENIED);
	if (!e)
		return;
	fill_event_head(&e->head, EVENT_NET, VERDICT_DENY, reason, ca->agent,
			rules ? rules_generation(rules) : 0);
	e->op = op;
	e->family = family;
	e->type = type;
	e->protocol = protocol;
	if (addr)
		__builtin_memcpy(e->addr, addr, 16);
	else
		__builtin_memset(e->addr, 0, 16);
	e->port = port;
	e->path_len = 0;
	e->pad = 0;
	e->path[0] = '\0';
	if (reason == REASON_NET_ASK)
		event_submit_urgent(e); /* an approval request: a person may be waiting */
	else
		event_submit(e);
}

/* An address entry that is live; one-connection approvals are used up. */
static __always_inline bool addr_live(struct net_addr_key *k)
{
	struct net_addr_value *v = bpf_map_lookup_elem(&warden_addrs, k);

	if (!v || (v->expires_ns && v->expires_ns < bpf_ktime_get_boot_ns()))
		return false;
	if (v->flags & NET_ADDR_ONCE)
		bpf_map_delete_elem(&warden_addrs, k);
	return true;
}

static __always_inline bool egress_allowed(struct net_agent_rule *nr, __u32 agent,
					   const __u8 addr[16], __u16 port)
{
	struct net_cidr_key ck = { .prefixlen = NET_CIDR_FIXED_BITS + 128, .agent = agent,
				   .slot = (__u8)nr->slot, .port = port };
	struct net_addr_key ak = { .agent = agent, .slot = (__u8)nr->slot, .port = port };

	__builtin_memcpy(ck.addr, addr, 16);
	__builtin_memcpy(ak.addr, addr, 16);
	if (bpf_map_lookup_elem(&warden_cidrs, &ck))
		return true;
	ck.port = 0;
	if (bpf_map_lookup_elem(&warden_cidrs, &ck))
		return true;
	if (addr_live(&ak))
		return true;
	ak.port = 0;
	return addr_live(&ak);
}

/*
 * An inet destination: 0, or -EPERM after an event. sa points to a kernel
 * copy of the caller's address of len bytes.
 */
static __always_inline int judge_inet(struct cgroup_agent *ca, void *rules,
				      struct net_agent_rule *nr, struct socket *sock,
				      struct sockaddr *sa, int len, __u32 op)
{
	__u32 type = BPF_CORE_READ(sock, type);
	__u32 protocol = BPF_CORE_READ(sock, sk, sk_protocol);
	__u16 family = 0, port;
	__u8 addr[16];

	if (!sa)
		return 0; /* a connected socket's send: judged when it connected */
	bpf_probe_read_kernel(&family, sizeof(family), &sa->sa_family);
	if (family == AF_UNSPEC)
		return 0; /* disconnects a datagram socket */
	if (family == AF_INET) {
		struct sockaddr_in sin = {};

		if (len < (int)sizeof(sin))
			return -EINVAL;
		bpf_probe_read_kernel(&sin, sizeof(sin), sa);
		map_v4(addr, sin.sin_addr.s_addr);
		port = bpf_ntohs(sin.sin_port);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sin6 = {};

		if (len < 24) /* SIN6_LEN_RFC2133: the kernel's own minimum */
			return -EINVAL;
		bpf_probe_read_kernel(&sin6, 24, sa);
		__builtin_memcpy(addr, &sin6.sin6_addr, 16);
		port = bpf_ntohs(sin6.sin6_port);
	} else {
		emit_net(ca, rules, op, REASON_NET_SOCKET, family, type, protocol, NULL, 0);
		return -EPERM;
	}
	/* DNS, to any server: the connect4/sendmsg4 programs hand it to warden's resolver */
	if (port == WARDEN_NET_DNS_PORT && (type == SOCK_STREAM || type == SOCK_DGRAM)) {
		if (nr->dns_port)
			return 0;
		emit_net(ca, rules, op, REASON_NET_NO_RESOLVER, family, type, protocol, addr, port);
		return -EPERM;
	}
	if (egress_allowed(nr, ca->agent, addr, port))
		return 0;
	emit_net(ca, rules, op, (nr->flags & NET_FLAG_ASK) ? REASON_NET_ASK : REASON_NET_NOT_ALLOWED,
		 family, type, protocol, addr, port);
	return -EPERM;
}

SEC("lsm/socket_connect")
int BPF_PROG(net_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen,
	     int ret)
{
	struct cgroup_agent *ca;
	struct net_agent_rule *nr;
	void *rules;
	__u16 family;

	if (ret)
		return ret;
	ca = current_agent();
	if (!ca)
		return 0;
	rules = current_rules();
	if (!rules)
		return -EPERM; /* managed, no policy yet: fail closed */
	nr = net_rule(rules, ca->agent);
	if (!nr)
		return 0;
	family = BPF_CORE_READ(sock, sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0; /* unix: unix_stream_connect and unix_may_send judge the listener */
	return judge_inet(ca, rules, nr, sock, address, addrlen, NET_OP_CONNECT);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(net_socket_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	struct cgroup_agent *ca;
	struct net_agent_rule *nr;
	void *rules;
	__u16 family;

	if (ret)
		return ret;
	ca = current_agent();
	if (!ca)
		return 0;
	rules = current_rules();
	if (!rules)
		return -EPERM;
	nr = net_rule(rules, ca->agent);
	if (!nr)
		return 0;
	family = BPF_CORE_READ(sock, sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	return judge_inet(ca, rules, nr, sock, BPF_CORE_READ(msg, msg_name),
			  BPF_CORE_READ(msg, msg_namelen), NET_OP_SENDMSG);
}

SEC("lsm/socket_create")
int BPF_PROG(net_socket_create, int family, int type, int protocol, int kern, int ret)
{
	struct cgroup_agent *ca;
	void *rules;
	bool ok;

	if (ret)
		return ret;
	ca = current_agent();
	if (!ca)
		return 0;
	if (kern)
		return 0; /* the kernel's own sockets (e.g. for a mount), not the agent's */
	rules = current_rules();
	if (!rules)
		return -EPERM;
	if (!net_rule(rules, ca->agent))
		return 0;
	if (family == AF_UNIX)
		ok = true;
	else if (family == AF_INET || family == AF_INET6)
		ok = (type == SOCK_STREAM && (protocol == IPPROTO_IP || protocol == IPPROTO_TCP)) ||
		     (type == SOCK_DGRAM && (protocol == IPPROTO_IP || protocol == IPPROTO_UDP));
	else if (family == AF_NETLINK)
		ok = protocol == NETLINK_ROUTE && (type == SOCK_RAW || type == SOCK_DGRAM);
	else
		ok = false;
	if (ok)
		return 0;
	emit_net(ca, rules, NET_OP_SOCKET, REASON_NET_SOCKET, family, type, protocol, NULL, 0);
	return -EPERM;
}

/* FNV-1a of a dentry's name, as fs_name_hash() computes it in userspace; 0 if too long. */
static __always_inline __u64 dentry_name_hash(struct dentry *d)
{
	char name[64];
	__u64 h = FNV64_OFFSET;
	long n;

	n = bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	if (n <= 0 || n >= (long)sizeof(name))
		return 0;
	for (int i = 0; i < (int)sizeof(name) - 1; i++) {
		if (!name[i])
			break;
		h = (h ^ (__u8)name[i]) * FNV64_PRIME;
	}
	return h;
}

#define UNIX_WALK_MAX 32

/* A path-named socket: listed by name in its directory, or under a listed directory. */
static __always_inline bool unix_path_allowed(void *rules, __u32 agent, struct dentry *d)
{
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	struct inode *dir = BPF_CORE_READ(parent, d_inode);
	struct rule_key key = { .kind = RULE_NET_UNIX, .agent = agent, .dev = inode_dev(dir),
				.ino = BPF_CORE_READ(dir, i_ino), .name_hash = dentry_name_hash(d) };

	if (key.name_hash && bpf_map_lookup_elem(rules, &key))
		return true;
	key.kind = RULE_NET_UNIX_DIR;
	key.name_hash = 0;
	for (int i = 0; i < UNIX_WALK_MAX; i++) {
		struct dentry *up;

		d = BPF_CORE_READ(d, d_parent);
		dir = BPF_CORE_READ(d, d_inode);
		key.dev = inode_dev(dir);
		key.ino = BPF_CORE_READ(dir, i_ino);
		if (bpf_map_lookup_elem(rules, &key))
			return true;
		up = BPF_CORE_READ(d, d_parent);
		if (up == d)
			return false;
	}
	return false; /* deeper than the walk: fail closed */
}

static __always_inline int judge_unix(struct sock *other, __u32 op)
{
	struct unix_sock *u = (struct unix_sock *)other;
	struct cgroup_agent *ca, *peer;
	struct unix_address *ua;
	struct net_event *e;
	void *rules;
	__u64 peer_cg;
	int len;

	ca = current_agent();
	if (!ca)
		return 0;
	rules = current_rules();
	if (!rules)
		return -EPERM;
	if (!net_rule(rules, ca->agent))
		return 0;
	/* the agent's own listener, in any of its cgroups: its business */
	peer_cg = BPF_CORE_READ(other, sk_cgrp_data.cgroup, kn, id);
	peer = bpf_map_lookup_elem(&warden_cgroups, &peer_cg);
	if (peer && peer->agent == ca->agent)
		return 0;
	ua = BPF_CORE_READ(u, addr);
	if (!ua)
		return 0; /* unnamed (a socketpair's end): only reachable through an fd it was given */
	e = bpf_ringbuf_reserve(&warden_events, sizeof(*e), 0);
	if (e) {
		__builtin_memset(e->path, 0, sizeof(e->path));
		len = BPF_CORE_READ(ua, len) - 2; /* less sun_family */
		if (len < 0)
			len = 0;
		if (len > WARDEN_UNIX_PATH_LEN)
			len = WARDEN_UNIX_PATH_LEN;
		/* a fixed size the verifier can see; userspace keeps path_len bytes */
		bpf_probe_read_kernel(e->path, WARDEN_UNIX_PATH_LEN, &ua->name[0].sun_path);
		if (e->path[0] && BPF_CORE_READ(u, path.dentry) &&
		    unix_path_allowed(rules, ca->agent, BPF_CORE_READ(u, path.dentry))) {
			bpf_ringbuf_discard(e, 0);
			return 0;
		}
		if (!e->path[0])
			e->path[0] = '@'; /* abstract: never allowed outside the agent */
		fill_event_head(&e->head, EVENT_NET, VERDICT_DENY, REASON_NET_UNIX, ca->agent,
				rules_generation(rules));
		e->op = op;
		e->family = AF_UNIX;
		e->type = BPF_CORE_READ(other, sk_type);
		e->protocol = 0;
		__builtin_memset(e->addr, 0, 16);
		e->port = 0;
		e->path_len = len;
		e->pad = 0;
		count(COUNTER_NET_DENIED);
		event_submit(e);
		return -EPERM;
	}
	/* no room for an event: judge all the same, and count the drop */
	count(COUNTER_EVENTS_DROPPED);
	count(COUNTER_NET_DENIED);
	{
		char first = 0;
		struct dentry *d = BPF_CORE_READ(u, path.dentry);

		bpf_probe_read_kernel(&first, 1, &ua->name[0].sun_path);
		if (first && d && unix_path_allowed(rules, ca->agent, d))
			return 0;
	}
	return -EPERM;
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(net_unix_stream_connect, struct sock *sock, struct sock *other, struct sock *newsk,
	     int ret)
{
	if (ret)
		return ret;
	return judge_unix(other, NET_OP_UNIX_CONNECT);
}

SEC("lsm/unix_may_send")
int BPF_PROG(net_unix_may_send, struct socket *sock, struct socket *other, int ret)
{
	if (ret)
		return ret;
	return judge_unix(BPF_CORE_READ(other, sk), NET_OP_UNIX_SEND);
}

/* ---- DNS: every query of a filtered agent goes to warden's resolver ---- */

/* The filtered agent's settings for a sock_addr program; NULL to leave the socket alone. */
static __always_inline struct net_agent_rule *dns_agent(bool *fail)
{
	struct cgroup_agent *ca = current_agent();
	void *rules;

	*fail = false;
	if (!ca)
		return NULL;
	rules = current_rules();
	if (!rules) {
		*fail = true;
		return NULL;
	}
	return net_rule(rules, ca->agent);
}

static __always_inline void keep_orig(struct bpf_sock_addr *ctx, const __u8 addr[16],
				      __u16 family)
{
	struct net_dns_orig o = { .port = (__u16)ctx->user_port, .family = family };
	__u64 cookie = bpf_get_socket_cookie(ctx);

	__builtin_memcpy(o.addr, addr, 16);
	bpf_map_update_elem(&warden_dns_orig, &cookie, &o, BPF_ANY);
}

static __always_inline int redirect4(struct bpf_sock_addr *ctx)
{
	struct net_agent_rule *nr;
	bool fail;
	__u8 addr[16];

	nr = dns_agent(&fail);
	if (!nr)
		return fail ? 0 : 1;
	if (ctx->user_port != bpf_htons(WARDEN_NET_DNS_PORT))
		return 1;
	if (!nr->dns_port)
		return 0;
	map_v4(addr, ctx->user_ip4);
	keep_orig(ctx, addr, AF_INET);
	ctx->user_ip4 = bpf_htonl(LOOPBACK4);
	ctx->user_port = bpf_htons(nr->dns_port);
	return 1;
}

static __always_inline int redirect6(struct bpf_sock_addr *ctx)
{
	struct net_agent_rule *nr;
	__u32 ip6[4];
	bool fail;

	nr = dns_agent(&fail);
	if (!nr)
		return fail ? 0 : 1;
	if (ctx->user_port != bpf_htons(WARDEN_NET_DNS_PORT))
		return 1;
	if (!nr->dns_port)
		return 0;
	ip6[0] = ctx->user_ip6[0];
	ip6[1] = ctx->user_ip6[1];
	ip6[2] = ctx->user_ip6[2];
	ip6[3] = ctx->user_ip6[3];
	keep_orig(ctx, (__u8 *)ip6, AF_INET6);
	ctx->user_ip6[0] = 0;
	ctx->user_ip6[1] = 0;
	if (nr->flags & NET_FLAG_DNS_V6) {
		ctx->user_ip6[2] = 0;
		ctx->user_ip6[3] = bpf_htonl(1);
	} else { /* ::ffff:127.0.0.1, for dual-stack sockets */
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = bpf_htonl(LOOPBACK4);
	}
	ctx->user_port = bpf_htons(nr->dns_port);
	return 1;
}

/* recvmsg/getpeername: the resolver's loopback address becomes the server the caller named. */
static __always_inline int restore4(struct bpf_sock_addr *ctx)
{
	struct net_agent_rule *nr;
	struct net_dns_orig *o;
	__u64 cookie;
	bool fail;

	nr = dns_agent(&fail);
	if (!nr || !nr->dns_port)
		return 1;
	if (ctx->user_port != bpf_htons(nr->dns_port) || ctx->user_ip4 != bpf_htonl(LOOPBACK4))
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	o = bpf_map_lookup_elem(&warden_dns_orig, &cookie);
	if (!o || o->family != AF_INET)
		return 1;
	ctx->user_ip4 = *(__u32 *)&o->addr[12];
	ctx->user_port = o->port;
	return 1;
}

static __always_inline int restore6(struct bpf_sock_addr *ctx)
{
	struct net_agent_rule *nr;
	struct net_dns_orig *o;
	__u64 cookie;
	bool fail, v6_lo, mapped_lo;

	nr = dns_agent(&fail);
	if (!nr || !nr->dns_port)
		return 1;
	if (ctx->user_port != bpf_htons(nr->dns_port) || ctx->user_ip6[0] || ctx->user_ip6[1])
		return 1;
	v6_lo = !ctx->user_ip6[2] && ctx->user_ip6[3] == bpf_htonl(1);
	mapped_lo = ctx->user_ip6[2] == bpf_htonl(0xffff) && ctx->user_ip6[3] == bpf_htonl(LOOPBACK4);
	if (!v6_lo && !mapped_lo)
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	o = bpf_map_lookup_elem(&warden_dns_orig, &cookie);
	if (!o || o->family != AF_INET6)
		return 1;
	ctx->user_ip6[0] = *(__u32 *)&o->addr[0];
	ctx->user_ip6[1] = *(__u32 *)&o->addr[4];
	ctx->user_ip6[2] = *(__u32 *)&o->addr[8];
	ctx->user_ip6[3] = *(__u32 *)&o->addr[12];
	ctx->user_port = o->port;
	return 1;
}

SEC("cgroup/connect4")
int net_dns_connect4(struct bpf_sock_addr *ctx)
{
	return redirect4(ctx);
}

SEC("cgroup/sendmsg4")
int net_dns_sendmsg4(struct bpf_sock_addr *ctx)
{
	return redirect4(ctx);
}

SEC("cgroup/connect6")
int net_dns_connect6(struct bpf_sock_addr *ctx)
{
	return redirect6(ctx);
}

SEC("cgroup/sendmsg6")
int net_dns_sendmsg6(struct bpf_sock_addr *ctx)
{
	return redirect6(ctx);
}

SEC("cgroup/recvmsg4")
int net_dns_recvmsg4(struct bpf_sock_addr *ctx)
{
	return restore4(ctx);
}

SEC("cgroup/recvmsg6")
int net_dns_recvmsg6(struct bpf_sock_addr *ctx)
{
	return restore6(ctx);
}

SEC("cgroup/getpeername4")
int net_dns_getpeername4(struct bpf_sock_addr *ctx)
{
	return restore4(ctx);
}

SEC("cgroup/getpeername6")
int net_dns_getpeername6(struct bpf_sock_addr *ctx)
{
	return restore6(ctx);
}
