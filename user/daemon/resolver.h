/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * warden's DNS resolver. Each agent with a filtered network has its own
 * port on loopback (UDP and TCP, 127.0.0.1 and, when the host has it, ::1):
 * the kernel redirects every DNS query of that agent there (bpf/net.bpf.c),
 * so the port says whose query it is. A query for a name the agent's policy
 * allows is forwarded to the host's upstream resolvers (/etc/resolv.conf)
 * and their answer relayed; any other query is answered REFUSED here and
 * never leaves the host. Messages are parsed and built with ldns.
 */
#ifndef WARDEN_RESOLVER_H
#define WARDEN_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct resolver;

struct dns_addr {
	uint8_t addr[16]; /* IPv4 as IPv4-mapped IPv6 */
	uint32_t ttl;     /* seconds */
};

struct resolver_ops {
	/* whether agent may resolve name (lower case, no trailing dot) */
	bool (*allowed)(void *ctx, uint32_t agent, const char *name);
	/* the A and AAAA records of an answer to an allowed query, before it is relayed */
	void (*answered)(void *ctx, uint32_t agent, const char *name, int qtype,
			 const struct dns_addr *addrs, size_t n);
	/* a query answered here (REFUSED, SERVFAIL, FORMERR) */
	void (*refused)(void *ctx, uint32_t agent, const char *name, int qtype, const char *reason);
};

/* NULL with errno set. */
struct resolver *resolver_new(const struct resolver_ops *ops, void *ctx);
void resolver_free(struct resolver *r);

/* nameserver lines of resolv_conf; 0, or -ENOENT when it names none. */
int resolver_load_upstreams(struct resolver *r, const char *resolv_conf);

/* The epoll descriptor of every socket of the resolver. */
int resolver_fd(struct resolver *r);
void resolver_on_ready(struct resolver *r);
void resolver_tick(struct resolver *r);

/*
 * The agent's port (kept when it has one); *v6 tells whether ::1 listens
 * too. 0 or -errno.
 */
int resolver_add_agent(struct resolver *r, uint32_t agent, uint16_t *port, bool *v6);
void resolver_remove_agent(struct resolver *r, uint32_t agent);

/* Queries answered, refused and forwarded so far. */
void resolver_counts(struct resolver *r, uint64_t *forwarded, uint64_t *refused);

#endif
