/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layer 6 in the daemon: the egress sets in the kernel maps, swapped with
 * every policy; warden's DNS resolver (user/resolver.c), whose answers for
 * allowed names put addresses in the agent's set for their TTL; and the
 * annotation of net events with the name an address was looked up as.
 *
 * The daemon calls, in this order for every policy it applies:
 * net_prepare (after compiling: writes the new policy's egress entries
 * under the new slot and fills the resolver ports into the compiled
 * RULE_NET_AGENT entries), then enforcer_apply, then net_commit (the old
 * slot's entries go) or net_abort (the new slot's go).
 */
#ifndef WARDEN_NET_DAEMON_H
#define WARDEN_NET_DAEMON_H

#include <json-c/json.h>

#include "compile.h"
#include "policy.h"

struct daemon;
struct enforcer;
struct net_state;

/* NULL with errno set. */
struct net_state *net_open(struct daemon *d, struct enforcer *e, uint64_t generation);
void net_close(struct net_state *ns);

int net_prepare(struct net_state *ns, const struct policy *p, struct agent_ids *ids,
		struct compiled_policy *c, char *err, size_t errlen);
void net_commit(struct net_state *ns);
void net_abort(struct net_state *ns);

/* One descriptor (an epoll set of the resolver's sockets) for the daemon's loop. */
int net_fd(struct net_state *ns);
/* Serves whatever is ready on net_fd. */
void net_on_ready(struct net_state *ns);
/* Once a second: expired addresses and queries whose upstream did not answer. */
void net_tick(struct net_state *ns);

/* A net event from the kernel: adds "name" when the resolver gave that address. */
void net_annotate(struct net_state *ns, json_object *ev, const void *data, size_t len);

/*
 * Grants one agent (addr, port) as an approval does: once (the first
 * connection uses it up) or until expires_ns (CLOCK_BOOTTIME; 0 = for the
 * daemon's life). 0 or -errno.
 */
int net_grant(struct net_state *ns, uint32_t agent, const uint8_t addr[16], uint16_t port,
	      bool once, uint64_t expires_ns);

/*
 * Grants one agent a name it may not resolve, on any port (a DNS query
 * carries none): once (answered lookups of the next NET_NAME_ONCE_S
 * seconds, each address of their answers good for one connection within
 * its TTL), until expires_ns, or (0) for the daemon's life. 0 or -errno.
 */
int net_grant_name(struct net_state *ns, uint32_t agent, const char *name, bool once,
		   uint64_t expires_ns);
#define NET_NAME_ONCE_S 10

#endif
