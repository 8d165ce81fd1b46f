// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's half of layer 6: which agents have a filtered network, the
 * names each may resolve, the addresses the resolver learnt for them (a
 * userspace cache, so a policy swap can carry over the addresses of names
 * that stay and drop those of names that go), approvals of destinations,
 * and the kernel's two egress maps with their slots (bpf/net.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <ldns/ldns.h>

#include "array.h"
#include "clock.h"
#include "daemon.h"
#include "enforcer.h"
#include "events.h"
#include "log.h"
#include "net_enforcer.h"
#include "resolver.h"

#define RESOLV_CONF "/etc/resolv.conf"
/*
 * An answer's addresses stay allowed for its TTL plus this grace: a client
 * connects right after its lookup, and a record with TTL 0 must still be
 * usable for that one connect.
 */
#define NET_DNS_GRACE_S 5

struct net_name {
	uint32_t agent;
	struct net_endpoint ep;
};

struct cache_entry {
	uint32_t agent;
	uint8_t addr[16];
	char name[NET_NAME_MAX + 1];
	uint64_t expires_ns; /* CLOCK_BOOTTIME */
};

struct grant {
	uint32_t agent;
	uint8_t addr[16];
	uint16_t port;
	bool once;
	uint64_t expires_ns; /* 0 = for the daemon's life */
};

/* a name approved by a human; port 0 (any) */
struct name_grant {
	uint32_t agent;
	bool once;
	uint64_t expires_ns; /* 0 = for the daemon's life; once: cut short by its first lookup */
	char name[NET_NAME_MAX + 1];
	/* once: addresses already granted, never a second time (a new lookup must not re-arm) */
	uint8_t given[8][16];
	size_t n_given;
};

/* For a once grant: true the first time addr comes up (and it is remembered), false after. */
static bool once_give(struct name_grant *g, const uint8_t addr[16])
{
	for (size_t i = 0; i < g->n_given; i++)
		if (!memcmp(g->given[i], addr, 16))
			return false;
	if (g->n_given >= sizeof(g->given) / sizeof(g->given[0]))
		return false; /* more addresses than one decision should cover */
	memcpy(g->given[g->n_given++], addr, 16);
	return true;
}

struct net_state {
	struct daemon *d;
	int cidrs_fd, addrs_fd;
	uint32_t slot, new_slot;
	struct resolver *res;
	struct net_name *names, *new_names;
	size_t n_names, n_new_names;
	uint32_t *agents, *new_agents; /* ids of agents with a filtered network */
	size_t n_agents, n_new_agents;
	struct cache_entry *cache;
	size_t n_cache;
	struct grant *grants;
	size_t n_grants;
	struct name_grant *name_grants;
	size_t n_name_grants;
};

static struct name_grant *name_granted(struct net_state *ns, uint32_t agent, const char *name,
				       bool lasting_only)
{
	uint64_t now = boottime_ns();

	for (size_t i = 0; i < ns->n_name_grants; i++) {
		struct name_grant *g = &ns->name_grants[i];

		if (g->agent == agent && !strcmp(g->name, name) &&
		    (!g->expires_ns || g->expires_ns >= now) && !(lasting_only && g->once))
			return g;
	}
	return NULL;
}

/* Ports name may be reached on (0 = any); returns how many, 0 when the name is not allowed. */
static size_t name_ports(const struct net_name *names, size_t n, uint32_t agent, const char *name,
			 uint16_t *ports, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (names[i].agent != agent || !net_endpoint_matches_name(&names[i].ep, name))
			continue;
		if (names[i].ep.port == 0) {
			ports[0] = 0;
			return 1;
		}
		if (k < max)
			ports[k++] = names[i].ep.port;
	}
	return k;
}

static int put_addr(struct net_state *ns, uint32_t slot, uint32_t agent, uint16_t port,
		    const uint8_t addr[16], uint64_t expires_ns, uint32_t flags)
{
	struct net_addr_key k = { .agent = agent, .slot = (uint8_t)slot, .port = port };
	struct net_addr_value v = { .expires_ns = expires_ns, .flags = flags }, old;

	memcpy(k.addr, addr, 16);
	/* a longer life already there (another name, a grant) is kept */
	if (!flags && !bpf_map_lookup_elem(ns->addrs_fd, &k, &old) && !old.flags &&
	    (old.expires_ns == 0 || (expires_ns && old.expires_ns > expires_ns)))
		return 0;
	return bpf_map_update_elem(ns->addrs_fd, &k, &v, BPF_ANY) ? -errno : 0;
}

static const char *agent_name(struct net_state *ns, uint32_t agent)
{
	return agent_ids_name(&ns->d->ids, agent) ?: "?";
}

static json_object *dns_event(struct net_state *ns, uint32_t agent, const char *name, int qtype,
			      const char *verdict, const char *reason)
{
	json_object *ev = json_object_new_object();
	char ts[40], *type = ldns_rr_type2str((ldns_rr_type)qtype);

	realtime_to_iso8601(realtime_ms(), ts, sizeof(ts));
	json_object_object_add(ev, "ts", json_object_new_string(ts));
	json_object_object_add(ev, "type", json_object_new_string("dns"));
	json_object_object_add(ev, "verdict", json_object_new_string(verdict));
	json_object_object_add(ev, "agent", json_object_new_string(agent_name(ns, agent)));
	/* the resolver knows the agent by its port, not the process */
	json_object_object_add(ev, "pid", json_object_new_int(0));
	json_object_object_add(ev, "comm", json_object_new_string(""));
	json_object_object_add(ev, "path", json_object_new_string(""));
	json_object_object_add(ev, "name", json_object_new_string(name));
	json_object_object_add(ev, "qtype", json_object_new_string(type ? type : "?"));
	json_object_object_add(ev, "reason", json_object_new_string(reason));
	free(type);
	return ev;
}

static bool op_allowed(void *ctx, uint32_t agent, const char *name)
{
	struct net_state *ns = ctx;
	uint16_t port;

	return name_ports(ns->names, ns->n_names, agent, name, &port, 1) > 0 ||
	       name_granted(ns, agent, name, false);
}

static struct cache_entry *cache_find(struct net_state *ns, uint32_t agent, const uint8_t addr[16],
				      const char *name)
{
	for (size_t i = 0; i < ns->n_cache; i++) {
		struct cache_entry *c = &ns->cache[i];

		if (c->agent == agent && !memcmp(c->addr, addr, 16) && (!name || !strcmp(c->name, name)))
			return c;
	}
	return NULL;
}

static void op_answered(void *ctx, uint32_t agent, const char *name, int qtype,
			const struct dns_addr *addrs, size_t n)
{
	struct net_state *ns = ctx;
	json_object *ev = dns_event(ns, agent, name, qtype, "allow", "name-allowed");
	json_object *list = json_object_new_array();
	uint16_t ports[32];
	size_t n_ports = name_ports(ns->names, ns->n_names, agent, name, ports, 32);
	uint64_t now = boottime_ns();
	struct name_grant *once = NULL;
	uint32_t flags = 0;

	if (!n_ports) {
		/* a name a human approved: any port; once, each address for one connection */
		struct name_grant *g = name_granted(ns, agent, name, false);

		if (g) {
			ports[0] = 0;
			n_ports = 1;
			if (g->once) {
				uint64_t last = now + NET_NAME_ONCE_S * 1000000000ULL;

				flags = NET_ADDR_ONCE;
				once = g;
				if (!g->expires_ns || g->expires_ns > last)
					g->expires_ns = last;
			}
		}
	}

	for (size_t i = 0; i < n; i++) {
		uint64_t expires = now + ((uint64_t)addrs[i].ttl + NET_DNS_GRACE_S) * 1000000000ULL;
		struct cache_entry *c = cache_find(ns, agent, addrs[i].addr, name);
		char text[64];

		if (!c) {
			if (ARRAY_GROW(ns->cache, NULL, ns->n_cache + 1))
				continue;
			c = &ns->cache[ns->n_cache++];
			c->agent = agent;
			memcpy(c->addr, addrs[i].addr, 16);
			snprintf(c->name, sizeof(c->name), "%s", name);
		}
		c->expires_ns = expires;
		for (size_t p = 0; p < n_ports && (!once || once_give(once, addrs[i].addr)); p++)
			if (put_addr(ns, ns->slot, agent, ports[p], addrs[i].addr, expires, flags))
				log_error("cannot allow an address of %s for agent %s: %s", name,
					  agent_name(ns, agent), strerror(errno));
		net_addr_format(addrs[i].addr, text, sizeof(text));
		json_object_array_add(list, json_object_new_string(text));
	}
	json_object_object_add(ev, "addrs", list);
	publish(ns->d, ev);
}

static void op_refused(void *ctx, uint32_t agent, const char *name, int qtype, const char *reason)
{
	struct net_state *ns = ctx;
	const struct agent_policy *ap = policy_agent(ns->d->policy, agent_name(ns, agent));
	json_object *ev = dns_event(ns, agent, name, qtype, "deny", reason);

	if (ap && ap->net.ask == NET_ASK_ON_MISS && !strcmp(reason, "name-not-allowed")) {
		uint64_t id = net_ask_name(ns->d, agent, name,
					   json_object_get_string(json_object_object_get(ev, "qtype")));

		json_object_object_add(ev, "reason", json_object_new_string("name-not-allowed-ask"));
		if (id)
			json_object_object_add(ev, "approval", json_object_new_uint64(id));
	}
	publish(ns->d, ev);
}

static const struct resolver_ops ops = {
	.allowed = op_allowed,
	.answered = op_answered,
	.refused = op_refused,
};

struct net_state *net_open(struct daemon *d, struct enforcer *e, uint64_t generation)
{
	struct net_state *ns = calloc(1, sizeof(*ns));

	if (!ns)
		return NULL;
	ns->d = d;
	ns->slot = net_slot(generation);
	ns->cidrs_fd = enforcer_map_fd(e, "warden_cidrs");
	ns->addrs_fd = enforcer_map_fd(e, "warden_addrs");
	ns->res = resolver_new(&ops, ns);
	if (ns->cidrs_fd < 0 || ns->addrs_fd < 0 || !ns->res) {
		net_close(ns);
		errno = ENOENT;
		return NULL;
	}
	return ns;
}

void net_close(struct net_state *ns)
{
	if (!ns)
		return;
	resolver_free(ns->res);
	free(ns->names);
	free(ns->new_names);
	free(ns->agents);
	free(ns->new_agents);
	free(ns->cache);
	free(ns->grants);
	free(ns->name_grants);
	free(ns);
}

static bool in_list(const uint32_t *v, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

/* Fills in the agent's resolver port in its compiled RULE_NET_AGENT entry. */
static void patch_agent_rule(struct compiled_policy *c, uint32_t id, uint16_t port, bool v6)
{
	for (size_t i = 0; i < c->n_rules; i++) {
		struct net_agent_rule nr;

		if (c->rules[i].key.kind != RULE_NET_AGENT || c->rules[i].key.agent != id)
			continue;
		memcpy(&nr, &c->rules[i].value, sizeof(nr));
		nr.dns_port = port;
		if (v6)
			nr.flags |= NET_FLAG_DNS_V6;
		memcpy(&c->rules[i].value, &nr, sizeof(nr));
	}
}

static int prepare_agent(struct net_state *ns, const struct agent_policy *a, uint32_t id,
			 struct compiled_policy *c, char *err, size_t errlen)
{
	uint16_t port = 0;
	bool v6 = false;
	int ret;

	if (ARRAY_GROW(ns->new_agents, NULL, ns->n_new_agents + 1))
		return -ENOMEM;
	ns->new_agents[ns->n_new_agents++] = id;
	ret = resolver_add_agent(ns->res, id, &port, &v6);
	if (ret) {
		/* no resolver: its DNS is refused in the kernel, everything else still judged */
		log_error("agent %s: cannot open its DNS resolver port on loopback: %s", a->name,
			  strerror(-ret));
		port = 0;
	}
	patch_agent_rule(c, id, port, v6);
	for (size_t i = 0; i < a->net.egress.n; i++) {
		struct net_endpoint ep;
		const char *why;
		char buf[320];

		if (net_endpoint_parse(a->net.egress.v[i], false, &ep, &why, buf, sizeof(buf))) {
			snprintf(err, errlen, "%s: %s: %s", a->name, a->net.egress_where.v[i], why);
			return -EINVAL;
		}
		if (ep.target == NET_TARGET_ADDR) {
			struct net_cidr_key k;
			struct net_cidr_value v = { .rule = (uint32_t)i };

			net_cidr_key_make(&k, id, ns->new_slot, ep.port, ep.addr, ep.prefix);
			if (bpf_map_update_elem(ns->cidrs_fd, &k, &v, BPF_ANY)) {
				ret = -errno;
				snprintf(err, errlen, "cannot load the egress rule %s of agent %s: %s",
					 a->net.egress.v[i], a->name, strerror(-ret));
				return ret;
			}
		} else {
			if (ARRAY_GROW(ns->new_names, NULL, ns->n_new_names + 1))
				return -ENOMEM;
			ns->new_names[ns->n_new_names].agent = id;
			ns->new_names[ns->n_new_names++].ep = ep;
		}
	}
	return 0;
}

int net_prepare(struct net_state *ns, const struct policy *p, struct agent_ids *ids,
		struct compiled_policy *c, char *err, size_t errlen)
{
	uint64_t now = boottime_ns();
	int ret;

	ns->new_slot = net_slot(c->generation);
	free(ns->new_names);
	free(ns->new_agents);
	ns->new_names = NULL;
	ns->new_agents = NULL;
	ns->n_new_names = ns->n_new_agents = 0;
	/* leftovers under the new slot (a failed swap, an earlier daemon) */
	ret = net_maps_clear_slot(ns->cidrs_fd, ns->addrs_fd, ns->new_slot, 0);
	if (ret) {
		snprintf(err, errlen, "cannot clear the egress maps: %s", strerror(-ret));
		return ret;
	}
	if (resolver_load_upstreams(ns->res, RESOLV_CONF))
		log_info("%s names no nameserver: allowed names cannot be resolved", RESOLV_CONF);
	for (size_t i = 0; i < p->n_agents; i++) {
		const struct agent_policy *a = &p->agents[i];

		if (!a->confined || a->network != NETWORK_FILTER)
			continue;
		ret = prepare_agent(ns, a, agent_ids_get(ids, a->name), c, err, errlen);
		if (ret)
			goto fail;
	}
	/* addresses of names the new policy still allows, for the ports it allows them on */
	for (size_t i = 0; i < ns->n_cache; i++) {
		const struct cache_entry *e = &ns->cache[i];
		uint16_t ports[32];
		size_t n;

		if (e->expires_ns < now)
			continue;
		n = name_ports(ns->new_names, ns->n_new_names, e->agent, e->name, ports, 32);
		if (!n && in_list(ns->new_agents, ns->n_new_agents, e->agent) &&
		    name_granted(ns, e->agent, e->name, true)) {
			ports[0] = 0;
			n = 1;
		}
		for (size_t k = 0; k < n; k++)
			put_addr(ns, ns->new_slot, e->agent, ports[k], e->addr, e->expires_ns, 0);
	}
	for (size_t i = 0; i < ns->n_grants; i++) {
		const struct grant *g = &ns->grants[i];

		/* a one-connection grant is not renewed by a swap: it may be used up */
		if (!g->once && in_list(ns->new_agents, ns->n_new_agents, g->agent) &&
		    (!g->expires_ns || g->expires_ns > now))
			put_addr(ns, ns->new_slot, g->agent, g->port, g->addr, g->expires_ns, 0);
	}
	return 0;
fail:
	if (ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory compiling the network policy");
	net_abort(ns);
	return ret;
}

void net_commit(struct net_state *ns)
{
	struct net_name *names = ns->names;
	uint32_t *agents = ns->agents;
	size_t w = 0;

	ns->slot = ns->new_slot;
	net_maps_clear_slot(ns->cidrs_fd, ns->addrs_fd, ns->slot, 1);
	for (size_t i = 0; i < ns->n_agents; i++)
		if (!in_list(ns->new_agents, ns->n_new_agents, agents[i]))
			resolver_remove_agent(ns->res, agents[i]);
	ns->names = ns->new_names;
	ns->n_names = ns->n_new_names;
	ns->agents = ns->new_agents;
	ns->n_agents = ns->n_new_agents;
	ns->new_names = NULL;
	ns->new_agents = NULL;
	ns->n_new_names = ns->n_new_agents = 0;
	free(names);
	free(agents);
	/* names no longer allowed: their addresses are gone from the kernel, and from here */
	for (size_t i = 0; i < ns->n_cache; i++) {
		uint16_t port;

		if (name_ports(ns->names, ns->n_names, ns->cache[i].agent, ns->cache[i].name, &port, 1) ||
		    name_granted(ns, ns->cache[i].agent, ns->cache[i].name, false))
			ns->cache[w++] = ns->cache[i];
	}
	ns->n_cache = w;
}

void net_abort(struct net_state *ns)
{
	net_maps_clear_slot(ns->cidrs_fd, ns->addrs_fd, ns->new_slot, 0);
	free(ns->new_names);
	free(ns->new_agents);
	ns->new_names = NULL;
	ns->new_agents = NULL;
	ns->n_new_names = ns->n_new_agents = 0;
}

int net_fd(struct net_state *ns)
{
	return resolver_fd(ns->res);
}

void net_on_ready(struct net_state *ns)
{
	resolver_on_ready(ns->res);
}

void net_tick(struct net_state *ns)
{
	uint64_t now = boottime_ns();
	struct net_addr_key key, next, *prev = NULL;
	size_t w = 0;

	resolver_tick(ns->res);
	/* the kernel ignores expired entries already; this only frees the room */
	while (!bpf_map_get_next_key(ns->addrs_fd, prev, &next)) {
		struct net_addr_value v;

		if (!bpf_map_lookup_elem(ns->addrs_fd, &next, &v) && v.expires_ns &&
		    v.expires_ns < now) {
			bpf_map_delete_elem(ns->addrs_fd, &next);
			continue; /* restart from prev: the deleted key is no anchor */
		}
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < ns->n_cache; i++)
		if (ns->cache[i].expires_ns >= now)
			ns->cache[w++] = ns->cache[i];
	ns->n_cache = w;
	w = 0;
	for (size_t i = 0; i < ns->n_grants; i++)
		if (!ns->grants[i].expires_ns || ns->grants[i].expires_ns >= now)
			ns->grants[w++] = ns->grants[i];
	ns->n_grants = w;
	w = 0;
	for (size_t i = 0; i < ns->n_name_grants; i++)
		if (!ns->name_grants[i].expires_ns || ns->name_grants[i].expires_ns >= now)
			ns->name_grants[w++] = ns->name_grants[i];
	ns->n_name_grants = w;
}

const char *net_event_name(struct net_state *ns, const void *data, size_t len)
{
	const struct net_event *e = data;
	const struct cache_entry *c;

	if (!ns || len < sizeof(*e) || e->head.type != EVENT_NET)
		return NULL;
	c = cache_find(ns, e->head.agent, e->addr, NULL);
	return c ? c->name : "";
}

int net_grant(struct net_state *ns, uint32_t agent, const uint8_t addr[16], uint16_t port,
	      bool once, uint64_t expires_ns)
{
	struct grant *v;

	if (ARRAY_GROW(ns->grants, NULL, ns->n_grants + 1))
		return -ENOMEM;
	v = ns->grants;
	v[ns->n_grants] = (struct grant){ .agent = agent, .port = port, .once = once,
					  .expires_ns = expires_ns };
	memcpy(v[ns->n_grants++].addr, addr, 16);
	return put_addr(ns, ns->slot, agent, port, addr, expires_ns, once ? NET_ADDR_ONCE : 0);
}

int net_grant_name(struct net_state *ns, uint32_t agent, const char *name, bool once,
		   uint64_t expires_ns)
{
	struct name_grant *v;

	if (ARRAY_GROW(ns->name_grants, NULL, ns->n_name_grants + 1))
		return -ENOMEM;
	if (strlen(name) > NET_NAME_MAX)
		return -ENAMETOOLONG;
	v = &ns->name_grants[ns->n_name_grants++];
	*v = (struct name_grant){ .agent = agent, .once = once, .expires_ns = expires_ns };
	snprintf(v->name, sizeof(v->name), "%s", name);
	return 0;
}
