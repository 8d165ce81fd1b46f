/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layer 6 compiled: an agent's network policy as rules-map entries, and the
 * keys of the egress maps (warden_cidrs, warden_addrs) with their two slots
 * (bpf/net.h), one for the policy in force and one for the next.
 */
#ifndef WARDEN_NET_RULES_H
#define WARDEN_NET_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "compiled.h"
#include "net.h"
#include "policy.h"

/* The slot of the egress maps a policy of this generation uses. */
static inline uint32_t net_slot(uint64_t generation)
{
	return (uint32_t)(generation & 1);
}

/*
 * The RULE_NET_* entries of agent a (id): its settings (DNS port 0: the
 * daemon fills it in), its listed unix socket names and its workspace as a
 * directory of reachable sockets. Nothing for agents without the object
 * form. 0 or -errno with a message in err.
 */
int net_compile_agent(const struct policy *p, const struct agent_policy *a, uint32_t id,
		      uint64_t generation, struct compiled_policy *out, char *err, size_t errlen);

/* An LPM key for an endpoint with an address (prefix in the 128-bit form). */
void net_cidr_key_make(struct net_cidr_key *k, uint32_t agent, uint32_t slot, uint16_t port,
		       const uint8_t addr[16], unsigned prefix);

#endif
