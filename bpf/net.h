/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layer 6, network egress: the map keys and values and the event shared by
 * bpf/net.bpf.c and userspace (user/net_*.c, user/resolver.c). Fixed-width
 * types only, sizes pinned by _Static_assert.
 *
 * Addresses are kept as 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d),
 * so a v4 destination and the same destination reached through a mapped
 * address on an IPv6 socket are one key. Ports are in host byte order.
 *
 * Both egress maps carry a slot (0 or 1) in their keys: a policy swap writes
 * the new policy's entries under the other slot, then swaps the rules map
 * whose RULE_NET_AGENT entry names the slot in force, then deletes the old
 * slot's entries. A hook therefore sees the whole old egress set or the
 * whole new one, with the rest of the policy it belongs to.
 */
#ifndef WARDEN_NET_H
#define WARDEN_NET_H

#include "warden.h"

#define WARDEN_NET_CIDRS 65536    /* CIDR and address rules of all agents, both slots */
#define WARDEN_NET_RESOLVED 65536 /* addresses learnt from the resolver, both slots */
#define WARDEN_NET_DNS_SOCKETS 16384
#define WARDEN_UNIX_PATH_LEN 108  /* sizeof(sun_path) */
#define WARDEN_NET_DNS_PORT 53

/* agent_rule-like settings of one agent's network, key {RULE_NET_AGENT, agent} */
enum net_mode {
	NET_MODE_UNFILTERED = 0, /* "none" (own empty namespace) or "host": no net hook applies */
	NET_MODE_FILTER = 1,     /* the object form: egress, unix and DNS are judged */
};

#define NET_FLAG_ASK 1u /* misses become approval requests (still refused at once) */
#define NET_FLAG_DNS_V6 2u      /* the resolver also listens on [::1]:dns_port */

struct net_agent_rule {
	__u32 mode;     /* enum net_mode */
	__u32 flags;    /* NET_FLAG_ASK, NET_FLAG_DNS_V6 */
	__u32 slot;     /* which slot of the egress maps is this policy's */
	__u16 dns_port; /* warden's resolver for this agent on loopback; 0 = none (DNS refused) */
	__u16 pad;
	__u64 reserved[2];
};

/* LPM trie key: prefixlen counts the bits of agent, slot, pad, port and addr that must match */
struct net_cidr_key {
	__u32 prefixlen;
	__u32 agent;
	__u8 slot;
	__u8 pad;
	__u16 port; /* 0 = any port */
	__u8 addr[16];
};
#define NET_CIDR_FIXED_BITS 64 /* agent + slot + pad + port */

struct net_cidr_value {
	__u32 rule; /* index of the egress entry, for `warden status` */
	__u32 pad;
};

/* addresses the resolver returned for allowed names, and approved destinations */
struct net_addr_key {
	__u32 agent;
	__u8 slot;
	__u8 pad;
	__u16 port; /* 0 = any port */
	__u8 addr[16];
};

#define NET_ADDR_ONCE 1u /* an approval for one connection: deleted by its first use */

struct net_addr_value {
	__u64 expires_ns; /* CLOCK_BOOTTIME; 0 = never */
	__u32 flags;      /* NET_ADDR_ONCE */
	__u32 pad;
};

/* the destination a DNS query was sent to before it was redirected, by socket cookie */
struct net_dns_orig {
	__u8 addr[16];
	__u16 port; /* network byte order, as in bpf_sock_addr */
	__u16 family;
	__u32 pad;
};

/* What a net event was about. */
enum net_op {
	NET_OP_CONNECT = 1, /* connect() */
	NET_OP_SENDMSG,     /* sendto()/sendmsg() with an address */
	NET_OP_SOCKET,      /* socket(): a family, type or protocol an agent does not get */
	NET_OP_UNIX_CONNECT,
	NET_OP_UNIX_SEND,   /* a datagram to a unix socket */
	NET_OP_MAX,
};

struct net_event {
	struct event_head head;
	__u32 op;       /* enum net_op */
	__u32 family;   /* AF_INET, AF_INET6, AF_UNIX, ... (socket(): the family asked for) */
	__u32 type;     /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, ... */
	__u32 protocol; /* IPPROTO_TCP, IPPROTO_UDP, ... */
	__u8 addr[16];  /* inet destination (IPv4 as mapped IPv6) */
	__u16 port;     /* host byte order */
	__u16 path_len; /* unix: bytes of path; abstract names start with '@' */
	__u32 pad;
	char path[WARDEN_UNIX_PATH_LEN + 4];
};

_Static_assert(sizeof(struct net_agent_rule) == 32, "net_agent_rule layout");
_Static_assert(sizeof(struct net_cidr_key) == 28, "net_cidr_key layout");
_Static_assert(sizeof(struct net_addr_key) == 24, "net_addr_key layout");
_Static_assert(sizeof(struct net_addr_value) == 16, "net_addr_value layout");
_Static_assert(sizeof(struct net_dns_orig) == 24, "net_dns_orig layout");
_Static_assert(sizeof(struct net_event) == 72 + 40 + WARDEN_UNIX_PATH_LEN + 4, "net_event layout");

#endif /* WARDEN_NET_H */
