// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layer 6, ask "on-miss": a connect (or sendto) to a destination outside
 * the agent's egress set, or a DNS query for a name it may not resolve,
 * becomes a request in the approval queue of layer 4.
 *
 * Unlike an exec, a connect cannot be held: the LSM hook runs in the
 * caller's syscall, with socket locks the protocol code may hold, and
 * bpf_send_signal(SIGSTOP) would stop the task only after the hook
 * returned, with the SYN already on its way. So the attempt is refused at
 * once (nothing reaches the destination: the hook runs before the
 * protocol code), the request is made, and a decision grants the
 * destination for the agent's next attempts: once (one connection),
 * --for (until then) or --always (for the daemon's life, across reloads,
 * not persisted). A DNS query carries no port: an approved name is
 * granted on any port, and the request says so.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "net.h"

#define ARGV_SHOWN_MAX (64 << 10)
/* a once grant that nobody uses goes away after this */
#define NET_ONCE_UNUSED_S 300

static uint64_t ask_timeout_ms(struct daemon *d, const char *agent)
{
	const struct agent_policy *ap = policy_agent(d->policy, agent);

	return ap && ap->exec.ask_timeout_ms > 0 ? (uint64_t)ap->exec.ask_timeout_ms : 300000;
}

static uint64_t queue(struct daemon *d, uint32_t agent_id, const char *agent, json_object *info)
{
	struct approval *a;
	bool merged;

	a = approvals_add_net(&d->queue, agent_id, agent, info, realtime_ms(),
			      ask_timeout_ms(d, agent), &merged);
	if (!a) {
		log_error("out of memory queueing a network request of agent %s", agent);
		return 0;
	}
	if (!merged)
		approvals_notify(d, a);
	return a->id;
}

static void copy_key(json_object *to, json_object *from, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(from, key, &v))
		json_object_object_add(to, key, json_object_get(v));
}

void net_ask_destination(struct daemon *d, json_object *ev, const struct net_event *e)
{
	const char *agent = agent_ids_name(&d->ids, e->head.agent);
	json_object *info;
	bool cut;
	uint64_t id;

	if (!agent)
		return;
	info = json_object_new_object();
	json_object_object_add(info, "kind", json_object_new_string("net"));
	for (const char *const *k = (const char *const[]){ "op", "proto", "family", "addr", "port",
							   "name", "pid", "comm", NULL };
	     *k; k++)
		copy_key(info, ev, *k);
	/* read while the process runs: it is not held, and may be gone already */
	json_object_object_add(info, "argv", cmdline_json((pid_t)e->head.pid, ARGV_SHOWN_MAX, &cut));
	if (cut)
		json_object_object_add(info, "argvTruncated", json_object_new_boolean(1));
	id = queue(d, e->head.agent, agent, info);
	if (id)
		json_object_object_add(ev, "approval", json_object_new_uint64(id));
}

uint64_t net_ask_name(struct daemon *d, uint32_t agent_id, const char *name, const char *qtype)
{
	const char *agent = agent_ids_name(&d->ids, agent_id);
	json_object *info;

	if (!agent)
		return 0;
	info = json_object_new_object();
	json_object_object_add(info, "kind", json_object_new_string("net"));
	json_object_object_add(info, "op", json_object_new_string("dns"));
	json_object_object_add(info, "proto", json_object_new_string("dns"));
	json_object_object_add(info, "name", json_object_new_string(name));
	json_object_object_add(info, "qtype", json_object_new_string(qtype ? qtype : "?"));
	json_object_object_add(info, "addr", json_object_new_string(""));
	json_object_object_add(info, "port", json_object_new_int(0)); /* any: DNS carries no port */
	/* the resolver knows the agent by its port, not the process */
	json_object_object_add(info, "pid", json_object_new_int(0));
	return queue(d, agent_id, agent, info);
}

static int parse_addr(const char *text, uint8_t addr[16])
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, text, v4) == 1) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, text, addr) == 1 ? 0 : -EINVAL;
}

json_object *net_decision(struct daemon *d, json_object *req, size_t i, bool allow)
{
	struct approval *a = &d->queue.v[i];
	const char *op = json_object_get_string(json_object_object_get(a->info, "op"));
	const char *name = json_object_get_string(json_object_object_get(a->info, "name"));
	const char *addr_text = json_object_get_string(json_object_object_get(a->info, "addr"));
	int port = json_object_get_int(json_object_object_get(a->info, "port"));
	bool is_name = op && !strcmp(op, "dns");
	const char *decision = allow ? "once" : "deny";
	uint64_t now = boottime_ns(), expires = now + NET_ONCE_UNUSED_S * 1000000000ULL;
	bool once = true;
	char dest[320];
	json_object *v, *reply;
	int ret = 0;

	if (allow && json_object_object_get_ex(req, "for", &v)) {
		long long ms = parse_duration_ms(json_object_get_string(v));

		if (ms <= 0)
			return control_error("bad duration \"%s\" (use e.g. 30s, 5m, 2h)",
					     json_object_get_string(v));
		expires = now + (uint64_t)ms * 1000000ULL;
		once = false;
		decision = "for";
	} else if (allow && json_object_object_get_ex(req, "always", &v) &&
		   json_object_get_boolean(v)) {
		expires = 0;
		once = false;
		decision = "always";
	}
	if (is_name)
		snprintf(dest, sizeof(dest), "%s:* (dns)", name ? name : "");
	else
		snprintf(dest, sizeof(dest), "%s%s%s:%d (%s)", strchr(addr_text ?: "", ':') ? "[" : "",
			 addr_text ?: "", strchr(addr_text ?: "", ':') ? "]" : "", port,
			 json_object_get_string(json_object_object_get(a->info, "proto")) ?: "?");
	if (allow && !d->net)
		return control_error("layer 6 is not running in this daemon");
	if (allow && is_name) {
		ret = net_grant_name(d->net, a->agent_id, name ? name : "", once, expires);
	} else if (allow) {
		uint8_t addr[16];

		ret = parse_addr(addr_text ? addr_text : "", addr);
		if (!ret)
			ret = net_grant(d->net, a->agent_id, addr, (uint16_t)port, once, expires);
	}
	if (ret)
		return control_error("cannot grant %s to agent %s: %s", dest, a->agent,
				     strerror(-ret));
	publish_decision(d, a->id, a->agent, a->info, NULL, 0, allow, decision, NULL);
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "id", json_object_new_uint64(a->id));
	json_object_object_add(reply, "agent", json_object_new_string(a->agent));
	json_object_object_add(reply, "destination", json_object_new_string(dest));
	json_object_object_add(reply, "pids", json_object_new_array());
	json_object_object_add(reply, "decision", json_object_new_string(decision));
	json_object_object_add(reply, "applied", json_object_new_uint64(0));
	approvals_remove(&d->queue, i);
	return reply;
}
