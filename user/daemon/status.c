// SPDX-License-Identifier: GPL-2.0-only
/*
 * op "status": enforcement state, agents, counters, and the drift between
 * the compiled policy and the rules map the kernel holds.
 */
#include <signal.h>
#include <bpf/bpf.h>

#include "cgroup.h"
#include "commands.h"
#include "daemon.h"
#include "enforcer.h"

/* ---- control requests ---- */

static json_object *agent_status(struct daemon *d, const struct agent_policy *a)
{
	json_object *o = json_object_new_object(), *paths = json_object_new_array();
	uint32_t id = a->confined ? agent_ids_get(&d->ids, a->name) : 0;
	int procs = 0;

	for (size_t i = 0; id && i < d->n_cgroups; i++) {
		if (d->cgroups[i].agent != id)
			continue;
		json_object_array_add(paths, json_object_new_string(d->cgroups[i].path));
		procs += cgroup_populated(d->cgroups[i].path) > 0;
	}
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "confined", json_object_new_boolean(a->confined));
	json_object_object_add(o, "execSecurity",
			       json_object_new_string(exec_security_name(a->exec.security)));
	json_object_object_add(o, "cgroups", paths);
	json_object_object_add(o, "activeCgroups", json_object_new_int(procs));
	return o;
}

static int compare_rule_keys(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct rule_key));
}

/* A timed grant (approve --for): its expiry, not the policy, decides its life. */
static bool timed_grant(const struct rule_key *k, const union rule_value *v)
{
	return k->kind == RULE_EXEC_ALLOW && v->exec_allow.expires_ns;
}

static void drift_item(json_object *list, const char *what, const struct rule_key *k)
{
	char text[256];

	if (json_object_array_length(list) >= 50)
		return;
	snprintf(text, sizeof(text), "%s: kind %u agent %u dev %llu ino %llu hash %llx", what,
		 k->kind, k->agent, (unsigned long long)k->dev, (unsigned long long)k->ino,
		 (unsigned long long)k->name_hash);
	json_object_array_add(list, json_object_new_string(text));
}

/*
 * What the kernel holds that the daemon did not put there, or lacks: rules
 * against the compiled policy, cgroup registrations against the tracked
 * cgroups. Empty when nobody changed the maps behind the daemon's back.
 */
static json_object *compute_drift(struct daemon *d)
{
	json_object *list = json_object_new_array();
	int fd = enforcer_rules_fd(d->enforcer), n;
	struct rule_entry *want = calloc(d->active.n_rules + 1, sizeof(*want));
	size_t seen = 0;
	struct rule_key key, next, *prev = NULL;
	int max = enforcer_max_cgroups(d->enforcer);
	uint64_t *ids = calloc(max, sizeof(*ids));
	uint32_t *agents = calloc(max, sizeof(*agents));

	if (!want || fd < 0 || !ids || !agents) {
		free(want);
		free(ids);
		free(agents);
		json_object_array_add(list, json_object_new_string("cannot read the rules map"));
		return list;
	}
	memcpy(want, d->active.rules, d->active.n_rules * sizeof(*want));
	qsort(want, d->active.n_rules, sizeof(*want), compare_rule_keys);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		union rule_value v;
		struct rule_entry *w;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || timed_grant(&key, &v))
			continue;
		w = bsearch(&key, want, d->active.n_rules, sizeof(*want), compare_rule_keys);
		if (!w)
			drift_item(list, "rule in the kernel, not in the policy", &key);
		else if (memcmp(&w->value, &v, sizeof(v)))
			drift_item(list, "rule changed in the kernel", &key);
		else
			seen++;
	}
	for (size_t i = 0; i < d->active.n_rules; i++)
		if (timed_grant(&want[i].key, &want[i].value))
			seen++; /* not compared */
	if (seen < d->active.n_rules) {
		char text[128];

		snprintf(text, sizeof(text), "%zu rules of the policy are missing from the kernel",
			 d->active.n_rules - seen);
		json_object_array_add(list, json_object_new_string(text));
	}
	free(want);

	n = enforcer_cgroups(d->enforcer, ids, agents, max);
	for (size_t i = 0; i < d->n_cgroups; i++) {
		bool found = false;

		for (int j = 0; j < n && !found; j++)
			found = ids[j] == d->cgroups[i].id && agents[j] == d->cgroups[i].agent;
		if (!found) {
			char text[4200];

			snprintf(text, sizeof(text), "cgroup %s is not registered in the kernel as agent %s",
				 d->cgroups[i].path, agent_ids_name(&d->ids, d->cgroups[i].agent) ?: "?");
			json_object_array_add(list, json_object_new_string(text));
		}
	}
	for (int j = 0; j < n; j++) {
		bool tracked = false;

		for (size_t i = 0; i < d->n_cgroups && !tracked; i++)
			tracked = d->cgroups[i].id == ids[j];
		if (!tracked && agents[j] != WARDEN_AGENT_SELFTEST) {
			char text[128];

			snprintf(text, sizeof(text), "cgroup id %llu registered in the kernel (agent %u) "
				 "but not by this daemon", (unsigned long long)ids[j], agents[j]);
			json_object_array_add(list, json_object_new_string(text));
		}
	}
	free(ids);
	free(agents);
	return list;
}

json_object *handle_status(struct daemon *d)
{
	static const char *const names[COUNTER_MAX] = {
		[COUNTER_EXEC_ALLOWED] = "execAllowed",
		[COUNTER_EXEC_DENIED] = "execDenied",
		[COUNTER_EVENTS_DROPPED] = "eventsDropped",
		[COUNTER_FILE_DENIED] = "fileDenied",
		[COUNTER_PROCESS_DENIED] = "processDenied",
		[COUNTER_EXEC_HELD] = "execHeld",
		[COUNTER_EVENTS_SUPPRESSED] = "eventsSuppressed",
		[COUNTER_NET_DENIED] = "netDenied",
		[COUNTER_FS_CACHE_HITS] = "fileCacheHits",
	};
	json_object *o = json_object_new_object(), *agents = json_object_new_array();
	json_object *counters = json_object_new_object();
	uint64_t c[COUNTER_MAX] = {};

	enforcer_counters(d->enforcer, c);
	for (int i = 0; i < COUNTER_MAX; i++)
		json_object_object_add(counters, names[i], json_object_new_uint64(c[i]));
	for (size_t i = 0; i < d->policy->n_agents; i++)
		json_object_array_add(agents, agent_status(d, &d->policy->agents[i]));
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "enforcing", json_object_new_boolean(1));
	json_object_object_add(o, "daemonPid", json_object_new_int(getpid()));
	json_object_object_add(o, "policy", json_object_new_string(d->policy->path));
	json_object_object_add(o, "generation", json_object_new_uint64(d->generation));
	json_object_object_add(o, "rules", json_object_new_uint64(d->n_rules));
	json_object_object_add(counters, "subscriberDrops", json_object_new_uint64(d->subscriber_drops));
	json_object_object_add(o, "agents", agents);
	json_object_object_add(o, "counters", counters);
	json_object_object_add(o, "pendingApprovals", json_object_new_uint64(d->queue.n));
	json_object_object_add(o, "bpfLsm", json_object_new_boolean(1));
	json_object_object_add(o, "pinned", json_object_new_boolean(enforcer_pinned()));
	json_object_object_add(o, "pinDir", json_object_new_string(WARDEN_PIN_DIR));
	json_object_object_add(o, "version", json_object_new_string(WARDEN_VERSION));
	json_object_object_add(o, "drift", compute_drift(d));
	json_object_object_add(o, "approvedOverlay",
			       json_object_new_string(access(APPROVED_OVERLAY, F_OK) ? "" : APPROVED_OVERLAY));
	json_object_object_add(o, "eventLog", json_object_new_string(EVENT_LOG));
	return o;
}

/*
 * The agent a request names, and the start of the reply: {"ok": true,
 * "confined": ...}, or an error reply with *a NULL.
 */
