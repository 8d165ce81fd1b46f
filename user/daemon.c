// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden daemon`: loads the BPF programs, applies the policy, serves the
 * control socket and streams events. One epoll loop handles the ring buffer,
 * the socket, signals (SIGHUP reloads, SIGINT/SIGTERM stop) and a timer that
 * removes the cgroups of finished runs.
 */
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/inotify.h>
#include <time.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "commands.h"
#include "agent_home.h"
#include "daemon.h"
#include "compile.h"
#include "control.h"
#include "enforcer.h"
#include "events.h"
#include "log.h"
#include "net.h"
#include "net_daemon.h"
#include "policy.h"
#include "sandbox.h"

#define DEFAULT_POLICY "/etc/warden/policy.json"
#define TICK_INTERVAL_S 1 /* heartbeat, approval deadlines, finished runs */

static void rewatch(struct daemon *d);
static uint64_t monotonic_ms(void);

/* ---- cgroups of agents ---- */

static int track_cgroup(struct daemon *d, const char *path, uint32_t agent, bool is_run,
			uint32_t flags)
{
	struct managed_cgroup *v;
	uint64_t id;
	int err;

	err = cgroup_id(path, &id);
	if (err)
		return err;
	v = realloc(d->cgroups, (d->n_cgroups + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->cgroups = v;
	v[d->n_cgroups] = (struct managed_cgroup){ .id = id, .agent = agent, .is_run = is_run,
						   .path = strdup(path) };
	if (!v[d->n_cgroups].path)
		return -ENOMEM;
	err = enforcer_add_cgroup(d->enforcer, id, agent, flags);
	if (err) {
		free(v[d->n_cgroups].path);
		return err;
	}
	d->n_cgroups++;
	return 0;
}

static void untrack_cgroup(struct daemon *d, size_t i)
{
	enforcer_del_cgroup(d->enforcer, d->cgroups[i].id);
	free(d->cgroups[i].path);
	d->cgroups[i] = d->cgroups[--d->n_cgroups];
}

/* Finished runs: empty leaves are removed from the kernel map and from cgroupfs. */
static void sweep_cgroups(struct daemon *d)
{
	for (size_t i = 0; i < d->n_cgroups;) {
		struct managed_cgroup *c = &d->cgroups[i];

		if (c->is_run && cgroup_populated(c->path) == 0 && !rmdir(c->path)) {
			log_debug("run cgroup %s finished", c->path);
			untrack_cgroup(d, i);
			continue;
		}
		i++;
	}
}

/*
 * Cgroups left under the warden subtree by an earlier daemon (their
 * processes may still run): managed again from the moment the policy is
 * applied, under the agent their directory names.
 */
static void adopt_existing_cgroups(struct daemon *d)
{
	for (size_t i = 0; i < d->policy->n_agents; i++) {
		const struct agent_policy *a = &d->policy->agents[i];
		char dir[4096];
		struct dirent *de;
		DIR *dh;

		if (!a->confined)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", WARDEN_CGROUP_DIR, a->name);
		dh = opendir(dir);
		if (!dh)
			continue;
		while ((de = readdir(dh))) {
			char path[4096 + 256];

			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (!track_cgroup(d, path, agent_ids_get(&d->ids, a->name), true, 0))
				log_info("adopted %s for agent %s", path, a->name);
		}
		closedir(dh);
	}
}

/* Finds the cgroup directory with inode id under dir (depth-first). */
static bool find_cgroup_path(const char *dir, uint64_t id, char *out, size_t len, int depth)
{
	struct dirent *de;
	bool found = false;
	DIR *dh;

	if (depth > 16 || !(dh = opendir(dir)))
		return false;
	while (!found && (de = readdir(dh))) {
		char path[4096];
		uint64_t this;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!cgroup_id(path, &this) && this == id) {
			snprintf(out, len, "%s", path);
			found = true;
		} else {
			found = find_cgroup_path(path, id, out, len, depth + 1);
		}
	}
	closedir(dh);
	return found;
}

/*
 * Cgroups the kernel map holds from an earlier daemon that are not under
 * warden's own subtree (those were adopted already): `warden attach`ed
 * containers. They stay managed; gone ones are dropped.
 */
static void adopt_registered_cgroups(struct daemon *d)
{
	int max = enforcer_max_cgroups(d->enforcer);
	uint64_t *ids = calloc(max, sizeof(*ids));
	uint32_t *agents = calloc(max, sizeof(*agents));
	int n = ids && agents ? enforcer_cgroups(d->enforcer, ids, agents, max) : 0;

	if (!ids || !agents)
		log_error("cannot list the registered cgroups: out of memory");
	for (int i = 0; i < n; i++) {
		const char *agent = agent_ids_name(&d->ids, agents[i]);
		bool tracked = false;
		char path[4096];

		for (size_t j = 0; j < d->n_cgroups && !tracked; j++)
			tracked = d->cgroups[j].id == ids[i];
		if (tracked)
			continue;
		if (!agent || !find_cgroup_path(CGROUP2_ROOT, ids[i], path, sizeof(path), 0)) {
			enforcer_del_cgroup(d->enforcer, ids[i]);
			continue;
		}
		if (!track_cgroup(d, path, agents[i], false, 0))
			log_info("adopted attached cgroup %s of agent %s", path, agent);
	}
	free(ids);
	free(agents);
}

/* ---- policy ---- */

/* mkdir -p path, owned by the agent's user so the sandboxed agent can write it. */
static void make_agent_dir(const struct agent_policy *a, const char *path, const char *what)
{
	const char *user = a->user ? a->user : DEFAULT_AGENT_USER;
	uid_t uid;
	gid_t gid;
	int err;

	if (!access(path, F_OK))
		return;
	err = cgroup_mkdir(path); /* a plain mkdir -p */
	if (!err && !sandbox_user_ids(user, &uid, &gid) && chown(path, uid, gid))
		err = -errno;
	if (!err && chmod(path, 0700))
		err = -errno;
	if (err)
		log_error("cannot create %s %s of agent %s: %s", what, path, a->name, strerror(-err));
	else
		log_info("created %s %s of agent %s (owner %s)", what, path, a->name, user);
}

/*
 * Workspaces and private /tmp directories the policy implies but the host
 * lacks are created, so their rules can be keyed by inode from the start.
 */
static void ensure_agent_dirs(const struct policy *p)
{
	for (size_t i = 0; i < p->n_agents; i++) {
		const struct agent_policy *a = &p->agents[i];
		char tmp[PATH_MAX], err[PATH_MAX + 256];

		if (!a->confined)
			continue;
		if (a->workspace)
			make_agent_dir(a, a->workspace, "workspace");
		sandbox_tmp_dir(a->name, tmp, sizeof(tmp));
		make_agent_dir(a, tmp, "private /tmp");
		if (agent_home_sync(a, err, sizeof(err)))
			log_error("%s", err);
	}
}

/*
 * Loads, compiles and applies file. Nothing changes unless every step
 * succeeds; on failure err says why.
 */
static int apply_policy_file(struct daemon *d, const char *file, char *err, size_t errlen)
{
	struct compiled_policy compiled;
	struct policy *p;
	int ret;

	uint64_t started = monotonic_ms();

	p = policy_load(file, err, errlen);
	if (!p)
		return -EINVAL;
	ensure_agent_dirs(p);
	ret = policy_compile(p, &d->ids, d->generation + 1, &compiled, err, errlen);
	if (ret) {
		policy_free(p);
		return ret;
	}
	approvals_add_grants(d, &compiled);
	approvals_add_always(d, p, &compiled);
	d->compile_ms = monotonic_ms() - started;
	started = monotonic_ms();
	/* layer 6: the new egress sets under the other slot, resolver ports in the rules */
	ret = d->net ? net_prepare(d->net, p, &d->ids, &compiled, err, errlen) : 0;
	if (ret) {
		compiled_policy_free(&compiled);
		policy_free(p);
		return ret;
	}
	ret = enforcer_apply(d->enforcer, &compiled);
	d->load_ms = monotonic_ms() - started;
	if (ret) {
		snprintf(err, errlen, "cannot load the compiled policy into the kernel: %s",
			 strerror(-ret));
		if (d->net)
			net_abort(d->net);
		compiled_policy_free(&compiled);
		policy_free(p);
		return ret;
	}
	if (d->net)
		net_commit(d->net);
	d->generation++;
	d->n_rules = compiled.n_rules;
	compiled_policy_free(&d->active);
	d->active = compiled;
	policy_free(d->policy);
	d->policy = p;
	return 0;
}

int daemon_reload(struct daemon *d, const char *file, char *err, size_t errlen)
{
	int ret;

	atomic_store(&d->busy_since_ms, monotonic_ms());
	ret = apply_policy_file(d, file, err, errlen);
	atomic_store(&d->busy_since_ms, 0);

	if (ret) {
		log_error("reload of %s failed, the previous policy stays in force: %s", file, err);
		return ret;
	}
	if (file != d->policy_file) {
		char *copy = strdup(file);

		if (copy) {
			free(d->policy_file);
			d->policy_file = copy;
		}
	}
	rewatch(d);
	log_info("policy %s applied (generation %llu, %zu rules)", d->policy->path,
		 (unsigned long long)d->generation, d->n_rules);
	return 0;
}

/* ---- binaries changing on disk ---- */

#define RERESOLVE_DELAY_MS 500 /* a package upgrade renames many files: one recompile */

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void watch_dir(struct daemon *d, const char *dir)
{
	inotify_add_watch(d->inotify_fd, dir, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
						    IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR);
}

/* The parent directory of each path (a bind's SRC for "SRC:DST[:mode]"). */
static void watch_parents(struct daemon *d, const struct strv *paths)
{
	for (size_t i = 0; i < paths->n; i++) {
		char *copy = strdup(paths->v[i]);

		if (!copy)
			continue;
		copy[strcspn(copy, ":")] = '\0';
		watch_dir(d, dirname(copy));
		free(copy);
	}
}

/*
 * Watches every directory an allowlist entry was resolved in: the agent's
 * PATH for bare names, the parent of an absolute file, a listed directory
 * itself (not its subdirectories). A change there (a package upgrade
 * replaces inodes) re-resolves the policy, so an upgraded binary keeps
 * working and a replaced file does not inherit the old one's allowance.
 * The parents of readOnly, mustRead and bind paths are watched too: a
 * knowledge file saved by an editor is a new inode the agent must still read.
 */
static void rewatch(struct daemon *d)
{
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inotify_fd < 0)
		return;
	for (size_t i = 0; i < d->policy->n_agents; i++) {
		const struct agent_policy *a = &d->policy->agents[i];

		for (size_t j = 0; j < a->exec.safe_bins.n; j++) {
			char *copy = strdup(a->exec.safe_bins.v[j]), *save = NULL;

			if (!copy)
				continue;
			if (copy[0] != '/') {
				char *path = strdup(agent_exec_path(a));

				for (char *dir = path ? strtok_r(path, ":", &save) : NULL; dir;
				     dir = strtok_r(NULL, ":", &save))
					watch_dir(d, dir);
				free(path);
			} else if (copy[strlen(copy) - 1] == '/') {
				watch_dir(d, copy);
			} else {
				watch_dir(d, dirname(copy));
			}
			free(copy);
		}
		/* files the agent must read, replaced by editors and atomic writers */
		watch_parents(d, &a->fs.read_only);
		watch_parents(d, &a->fs.must_read);
		watch_parents(d, &a->binds);
	}
	if (d->epoll_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = d->inotify_fd };

		epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->inotify_fd, &ev);
	}
}

static void on_inotify(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(d->inotify_fd, buf, sizeof(buf)) > 0)
		;
	if (!d->reresolve_due)
		d->reresolve_due = monotonic_ms() + RERESOLVE_DELAY_MS;
}

static void reresolve_if_due(struct daemon *d)
{
	char err[2048];

	if (!d->reresolve_due || monotonic_ms() < d->reresolve_due)
		return;
	d->reresolve_due = 0;
	log_info("binaries changed on disk: re-resolving the policy");
	daemon_reload(d, d->policy_file, err, sizeof(err));
}

/* ---- events ---- */

static int on_event(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;
	const struct event_head *h = data;
	json_object *ev;

	if (len < sizeof(*h) || h->agent == WARDEN_AGENT_SELFTEST)
		return 0;
	ev = event_to_json(data, len, agent_ids_name(&d->ids, h->agent), 0);
	if (!ev)
		return 0;
	if (h->type == EVENT_NET)
		net_annotate(d->net, ev, data, len);
	if (h->type == EVENT_NET && h->reason == REASON_NET_ASK && len >= sizeof(struct net_event))
		net_ask_destination(d, ev, data);
	if (h->type == EVENT_EXEC && h->verdict == VERDICT_HOLD) {
		const struct exec_event *e = data;

		approvals_on_hold(d, ev, e);
		return 0;
	}
	publish(d, ev);
	return 0;
}

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

static json_object *handle_status(struct daemon *d)
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
static json_object *agent_reply(struct daemon *d, json_object *req,
				const struct agent_policy **a)
{
	json_object *v, *reply;

	*a = NULL;
	if (!json_object_object_get_ex(req, "agent", &v) || !json_object_is_type(v, json_type_string))
		return control_error("missing \"agent\"");
	*a = policy_agent(d->policy, json_object_get_string(v));
	if (!*a)
		return control_error("agent \"%s\" is not in the policy %s", json_object_get_string(v),
				     d->policy->path);
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "confined", json_object_new_boolean((*a)->confined));
	return reply;
}

/* Places the caller (by its kernel-reported pid) in a new cgroup of the agent. */
static json_object *handle_run(struct daemon *d, json_object *req, int client)
{
	const struct agent_policy *a;
	json_object *v, *reply;
	char path[4096];
	uint32_t flags = 0;
	pid_t pid;
	uid_t uid;
	int err;

	reply = agent_reply(d, req, &a);
	if (!a || !a->confined)
		return reply; /* an error, or the policy says so explicitly: runs as the caller is */

	err = control_peer(client, &pid, &uid);
	if (err)
		goto fail;
	/* `warden run` about to exec the sandbox builder: see CGROUP_SETUP */
	if (json_object_object_get_ex(req, "setup", &v) && json_object_get_boolean(v)) {
		if (uid != 0) {
			json_object_put(reply);
			return control_error("only root may build a sandbox");
		}
		flags |= CGROUP_SETUP;
	}
	snprintf(path, sizeof(path), "%s/%s/run-%d-%llu", WARDEN_CGROUP_DIR, a->name, pid,
		 (unsigned long long)++d->run_serial);
	err = cgroup_mkdir(path);
	/* registered before the process enters: its first exec is already judged */
	err = err ?: track_cgroup(d, path, agent_ids_get(&d->ids, a->name), true, flags);
	if (!err) {
		err = cgroup_move(path, pid);
		if (err) {
			untrack_cgroup(d, d->n_cgroups - 1);
			rmdir(path);
		}
	}
	if (err)
		goto fail;
	json_object_object_add(reply, "cgroup", json_object_new_string(path));
	return reply;
fail:
	json_object_put(reply);
	return control_error("cannot place the process in a cgroup of agent %s: %s", a->name,
			     strerror(-err));
}

/* The agent's sandbox, for `warden run` to build. */
static json_object *handle_spec(struct daemon *d, json_object *req)
{
	const struct agent_policy *a;
	json_object *reply;

	reply = agent_reply(d, req, &a);
	if (a && a->confined)
		json_object_object_add(reply, "sandbox", sandbox_spec_to_json(a));
	return reply;
}

/* An existing cgroup (a container) comes under an agent's policy. */
static json_object *handle_attach(struct daemon *d, json_object *req)
{
	const struct agent_policy *a;
	json_object *agent, *cgroup, *reply;
	const char *path;
	uint64_t id;
	int err;

	if (!json_object_object_get_ex(req, "agent", &agent) ||
	    !json_object_object_get_ex(req, "cgroup", &cgroup))
		return control_error("attach: needs \"agent\" and \"cgroup\"");
	a = policy_agent(d->policy, json_object_get_string(agent));
	if (!a || !a->confined)
		return control_error("agent \"%s\" is not a confined agent of the policy %s",
				     json_object_get_string(agent), d->policy->path);
	path = json_object_get_string(cgroup);
	err = cgroup2_check(path);
	if (err)
		return control_error("%s is not a cgroup2 directory: %s", path, strerror(-err));
	err = cgroup_id(path, &id);
	for (size_t i = 0; !err && i < d->n_cgroups; i++)
		if (d->cgroups[i].id == id)
			return control_error("%s is already managed", path);
	err = err ?: track_cgroup(d, path, agent_ids_get(&d->ids, a->name), false, 0);
	if (err)
		return control_error("cannot attach %s: %s", path, strerror(-err));
	log_info("attached %s to agent %s", path, a->name);
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	return reply;
}

static json_object *handle_reload(struct daemon *d, json_object *req)
{
	char err[2048];
	json_object *v, *reply;
	char *file = d->policy_file;

	if (json_object_object_get_ex(req, "policy", &v) && json_object_is_type(v, json_type_string))
		file = (char *)json_object_get_string(v);
	if (daemon_reload(d, file, err, sizeof(err)))
		return control_error("%s", err);
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "policy", json_object_new_string(d->policy->path));
	json_object_object_add(reply, "generation", json_object_new_uint64(d->generation));
	json_object_object_add(reply, "rules", json_object_new_uint64(d->n_rules));
	json_object_object_add(reply, "compileMs", json_object_new_uint64(d->compile_ms));
	json_object_object_add(reply, "loadMs", json_object_new_uint64(d->load_ms));
	return reply;
}

static json_object *handle_unload(struct daemon *d)
{
	json_object *reply = json_object_new_object();

	d->unload = true;
	d->stop = true;
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "pendingApprovals", json_object_new_uint64(d->queue.n));
	return reply;
}

/*
 * The managed cgroup a control client runs in, or NULL. A client whose
 * cgroup cannot be read is treated as managed: refusing a vanished client
 * costs nothing, serving a confined one costs everything. The pid is
 * pinned with a pidfd while its cgroup is read, so a pid reused by then is
 * caught (the kernel refuses such clients' connect in the first place:
 * bpf/confine.bpf.c; this is the second line).
 */
static const struct managed_cgroup *peer_cgroup(struct daemon *d, int client, pid_t *pid,
						bool *unknown)
{
	static const struct managed_cgroup unreadable = { .agent = 0 };
	char rel[4096], path[4200];
	int pidfd = -1;
	uid_t uid;
	size_t len;

	*unknown = false;
	if (control_peer(client, pid, &uid))
		goto unknown;
	pidfd = (int)syscall(SYS_pidfd_open, *pid, 0);
	if (pidfd < 0 || cgroup_of_pid(*pid, rel, sizeof(rel)) ||
	    syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0))
		goto unknown;
	close(pidfd);
	snprintf(path, sizeof(path), "%s%s", CGROUP2_ROOT, rel);
	for (size_t i = 0; i < d->n_cgroups; i++) {
		len = strlen(d->cgroups[i].path);
		/* the cgroup itself or one below it (attached containers nest) */
		if (!strncmp(path, d->cgroups[i].path, len) && (!path[len] || path[len] == '/'))
			return &d->cgroups[i];
	}
	len = strlen(WARDEN_CGROUP_DIR);
	if (!strncmp(path, WARDEN_CGROUP_DIR, len) && path[len] == '/')
		return &unreadable; /* warden's own subtree: an agent's, tracked or not */
	return NULL;
unknown:
	if (pidfd >= 0)
		close(pidfd);
	*unknown = true;
	return &unreadable;
}

/* The refusal of a confined client: an event, and the reply it gets. */
static json_object *refuse_peer(struct daemon *d, const struct managed_cgroup *c, pid_t pid,
				bool unknown, const char *op)
{
	const char *agent = c->agent ? agent_ids_name(&d->ids, c->agent) : NULL;
	char ts[64], comm[64] = "", file[64];
	json_object *ev;
	FILE *f;

	/* a client that is already gone is refused without an event: nothing to watch */
	if (unknown && (pid <= 0 || kill(pid, 0)))
		return control_error("refused: the client's cgroup cannot be read");
	ev = json_object_new_object();
	snprintf(file, sizeof(file), "/proc/%d/comm", pid);
	if ((f = fopen(file, "re"))) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	realtime_to_iso8601(realtime_ms(), ts, sizeof(ts));
	json_object_object_add(ev, "ts", json_object_new_string(ts));
	json_object_object_add(ev, "type", json_object_new_string("process"));
	json_object_object_add(ev, "verdict", json_object_new_string("deny"));
	json_object_object_add(ev, "agent", json_object_new_string(agent ? agent : "?"));
	json_object_object_add(ev, "pid", json_object_new_int64(pid));
	json_object_object_add(ev, "comm", json_object_new_string(comm));
	json_object_object_add(ev, "op", json_object_new_string("control-request"));
	json_object_object_add(ev, "request", json_object_new_string(op));
	json_object_object_add(ev, "path", json_object_new_string(WARDEN_SOCKET));
	json_object_object_add(ev, "reason", json_object_new_string(
				       unknown ? "control-client-unknown" : "control-socket"));
	publish(d, ev);
	events_flush(d);
	return control_error("refused: the control socket serves no process of a confined agent "
			     "(pid %d%s%s)", pid, agent ? ", agent " : "", agent ? agent : "");
}

/* Answers one request; returns true when the client stays (an events subscriber). */
static bool serve_client(struct daemon *d, int client)
{
	json_object *req = NULL, *reply, *op;
	const struct managed_cgroup *peer;
	bool keep = false, unknown;
	const char *name;
	pid_t pid = 0;

	peer = peer_cgroup(d, client, &pid, &unknown);
	if (peer) {
		json_object *o = NULL;

		reply = refuse_peer(d, peer, pid, unknown,
				    control_read(client, &req) == 0 &&
						    json_object_object_get_ex(req, "op", &o)
					    ? json_object_get_string(o)
					    : "?");
	} else if (control_read(client, &req)) {
		reply = control_error("bad request: expected one JSON object and a newline");
	} else if (!json_object_object_get_ex(req, "op", &op)) {
		reply = control_error("bad request: no \"op\"");
	} else {
		name = json_object_get_string(op);
		if (!strcmp(name, "status"))
			reply = handle_status(d);
		else if (!strcmp(name, "run"))
			reply = handle_run(d, req, client);
		else if (!strcmp(name, "reload"))
			reply = handle_reload(d, req);
		else if (!strcmp(name, "spec"))
			reply = handle_spec(d, req);
		else if (!strcmp(name, "attach"))
			reply = handle_attach(d, req);
		else if (!strcmp(name, "approvals"))
			reply = handle_approvals(d);
		else if (!strcmp(name, "approve"))
			reply = handle_decision(d, req, true);
		else if (!strcmp(name, "deny"))
			reply = handle_decision(d, req, false);
		else if (!strcmp(name, "unload"))
			reply = handle_unload(d);
		else if (!strcmp(name, "events"))
			reply = handle_events(d, req, client, &keep);
		else
			reply = control_error("unknown op \"%s\"", name);
	}
	control_send(client, reply);
	json_object_put(reply);
	json_object_put(req);
	return keep;
}

static void accept_clients(struct daemon *d)
{
	for (;;) {
		int client = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (client < 0)
			return;
		if (!serve_client(d, client))
			close(client);
	}
}

/* ---- the loop ---- */

#define HEARTBEAT_EVERY_US 500000
#define LOOP_STALL_MS 3000      /* the loop turns at least every TICK_INTERVAL_S */
#define BUSY_MAX_MS (5 * 60000) /* a long step that takes longer is a stuck one */

static void *heartbeat_main(void *arg)
{
	struct daemon *d = arg;
	pid_t self = getpid();

	while (!atomic_load(&d->heartbeat_stop)) {
		uint64_t now = monotonic_ms(), busy = atomic_load(&d->busy_since_ms);

		if (now - atomic_load(&d->loop_turn_ms) < LOOP_STALL_MS ||
		    (busy && now - busy < BUSY_MAX_MS))
			enforcer_heartbeat(d->enforcer, self);
		usleep(HEARTBEAT_EVERY_US);
	}
	return NULL;
}

static int start_heartbeat(struct daemon *d)
{
	int err;

	atomic_store(&d->loop_turn_ms, monotonic_ms());
	err = pthread_create(&d->heartbeat_thread, NULL, heartbeat_main, d);
	if (err)
		return -err;
	d->heartbeat_running = true;
	return 0;
}

static void stop_heartbeat(struct daemon *d)
{
	if (!d->heartbeat_running)
		return;
	atomic_store(&d->heartbeat_stop, true);
	pthread_join(d->heartbeat_thread, NULL);
	d->heartbeat_running = false;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	char err[2048];

	while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			daemon_reload(d, d->policy_file, err, sizeof(err));
		else
			d->stop = true;
	}
}

static int watch(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_loop(struct daemon *d)
{
	struct itimerspec every = { .it_interval.tv_sec = TICK_INTERVAL_S,
				    .it_value.tv_sec = TICK_INTERVAL_S };
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->settle_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->signal_fd < 0 || d->timer_fd < 0 || d->settle_fd < 0 || d->epoll_fd < 0)
		return -errno;
	if (timerfd_settime(d->timer_fd, 0, &every, NULL))
		return -errno;
	d->ring = ring_buffer__new(enforcer_events_fd(d->enforcer), on_event, d, NULL);
	if (!d->ring)
		return -errno;
	err = watch(d->epoll_fd, d->signal_fd);
	err = err ?: watch(d->epoll_fd, d->timer_fd);
	err = err ?: watch(d->epoll_fd, d->settle_fd);
	err = err ?: watch(d->epoll_fd, d->listen_fd);
	err = err ?: watch(d->epoll_fd, ring_buffer__epoll_fd(d->ring));
	err = err ?: watch(d->epoll_fd, net_fd(d->net));
	rewatch(d);
	return err;
}

static int run_loop(struct daemon *d)
{
	while (!d->stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(d->epoll_fd, evs, 8, -1);

		if (n < 0 && errno != EINTR)
			return -errno;
		atomic_store(&d->loop_turn_ms, monotonic_ms());
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == d->signal_fd) {
				on_signal(d);
			} else if (fd == d->timer_fd) {
				uint64_t ticks;

				if (read(d->timer_fd, &ticks, sizeof(ticks)) > 0) {
					approvals_tick(d);
					sweep_cgroups(d);
					reresolve_if_due(d);
					net_tick(d->net);
				}
			} else if (fd == d->listen_fd) {
				accept_clients(d);
			} else if (fd == d->inotify_fd) {
				on_inotify(d);
			} else if (fd == net_fd(d->net)) {
				net_on_ready(d->net);
			} else if (fd == d->settle_fd) {
				approvals_on_settle_timer(d);
			} else if (fd == ring_buffer__epoll_fd(d->ring)) {
				ring_buffer__consume(d->ring);
			} else if (!approvals_on_pidfd(d, fd)) {
				epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, fd, NULL); /* a stale pidfd */
			}
			events_flush(d);
		}
	}
	ring_buffer__consume(d->ring); /* what arrived before the stop */
	return 0;
}

static void daemon_cleanup(struct daemon *d)
{
	stop_heartbeat(d);
	if (d->enforcer) {
		/* no held process is left behind: each gets its fallback */
		approvals_shutdown(d);
		enforcer_heartbeat(d->enforcer, 0);
	}
	events_close(d);
	ring_buffer__free(d->ring);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(WARDEN_SOCKET);
	}
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	if (d->settle_fd >= 0)
		close(d->settle_fd);
	if (d->epoll_fd >= 0)
		close(d->epoll_fd);
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	for (size_t i = 0; i < d->n_cgroups; i++)
		free(d->cgroups[i].path);
	free(d->cgroups);
	net_close(d->net);
	enforcer_close(d->enforcer);
	if (d->unload)
		enforcer_unpin();
	compiled_policy_free(&d->active);
	policy_free(d->policy);
	agent_ids_free(&d->ids);
	free(d->policy_file);
}

static void daemon_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden daemon [--policy FILE] [--json] [--verbose]\n"
		"\n"
		"Loads the BPF LSM programs, applies FILE (default %s), serves the\n"
		"control socket %s and prints every exec of a confined agent.\n"
		"SIGHUP reloads FILE; SIGINT/SIGTERM stop (enforcement ends with the daemon).\n"
		"\n"
		"  -p, --policy FILE  policy to enforce\n"
		"  -j, --json         events as one JSON object a line\n"
		"  -v, --verbose      libbpf's log and more detail\n"
		"  -h, --help         this text\n",
		DEFAULT_POLICY, WARDEN_SOCKET);
}

int cmd_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct daemon d = { .listen_fd = -1, .signal_fd = -1, .timer_fd = -1, .epoll_fd = -1,
			    .settle_fd = -1,
			    .inotify_fd = -1 };
	const char *policy_file = DEFAULT_POLICY;
	char err[2048];
	int c, ret;

	while ((c = getopt_long(argc, argv, "p:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy_file = optarg; break;
		case 'j': d.json = true; break;
		case 'v': log_verbose = true; break;
		case 'h': daemon_usage(stdout); return 0;
		default: daemon_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		daemon_usage(stderr);
		return 2;
	}
	if (geteuid()) {
		log_error("daemon: must run as root (it loads BPF programs)");
		return 1;
	}
	{
		/* one descriptor per directory rule is held (fs_rules.c): room for big policies */
		struct rlimit nofile;

		if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
			nofile.rlim_cur = nofile.rlim_max;
			setrlimit(RLIMIT_NOFILE, &nofile);
		}
	}

	/* Everything that can be checked without the kernel, first. */
	d.policy_file = realpath(policy_file, NULL);
	d.policy = policy_load(policy_file, err, sizeof(err));
	if (!d.policy || !d.policy_file) {
		log_error("%s", d.policy ? strerror(errno) : err);
		ret = 1;
		goto out;
	}
	if (bpf_lsm_check(err, sizeof(err))) {
		log_error("%s", err);
		ret = 1;
		goto out;
	}
	if ((ret = cgroup2_check(CGROUP2_ROOT))) {
		log_error("%s is not a cgroup2 filesystem (%s): warden needs the unified hierarchy",
			  CGROUP2_ROOT, strerror(-ret));
		ret = 1;
		goto out;
	}
	d.listen_fd = control_listen(WARDEN_SOCKET);
	if (d.listen_fd < 0) {
		if (d.listen_fd == -EADDRINUSE)
			log_error("another warden daemon is already running (it answers on %s)",
				  WARDEN_SOCKET);
		else
			log_error("cannot listen on %s: %s", WARDEN_SOCKET, strerror(-d.listen_fd));
		ret = 1;
		goto out;
	}

	{
		static char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n > 0) {
			self[n] = '\0';
			compile_set_self_binary(self);
		}
	}
	d.enforcer = enforcer_open(err, sizeof(err));
	if (!d.enforcer) {
		log_error("%s", err);
		ret = 1;
		goto out;
	}
	d.generation = enforcer_generation(d.enforcer);
	d.net = net_open(&d, d.enforcer, d.generation);
	if (!d.net) {
		log_error("cannot set up the network layer: %s", strerror(errno));
		ret = 1;
		goto out;
	}
	if (enforcer_adopted(d.enforcer))
		log_info("adopted the pinned state of an earlier daemon: its policy (generation %llu), "
			 "cgroups and held processes stayed in force", (unsigned long long)d.generation);
	policy_free(d.policy);
	d.policy = NULL;
	if (apply_policy_file(&d, d.policy_file, err, sizeof(err)) ||
	    enforcer_self_test(d.enforcer, err, sizeof(err))) {
		log_error("%s", err);
		ret = 1;
		goto out;
	}
	if ((ret = cgroup_mkdir(WARDEN_CGROUP_DIR))) {
		log_error("cannot create %s: %s", WARDEN_CGROUP_DIR, strerror(-ret));
		ret = 1;
		goto out;
	}
	adopt_existing_cgroups(&d);
	adopt_registered_cgroups(&d);
	if ((ret = events_open_log(&d)))
		log_error("cannot open the event log %s: %s (events go to stdout only)", EVENT_LOG,
			  strerror(-ret));
	enforcer_heartbeat(d.enforcer, getpid());
	if ((ret = setup_loop(&d)) || (ret = start_heartbeat(&d))) {
		log_error("daemon: cannot set up the event loop: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	approvals_adopt_held(&d); /* after the loop's setup: their pidfds are watched */
	log_info("enforcing %s (generation %llu, %zu agents, %zu rules); control socket %s",
		 d.policy_file, (unsigned long long)d.generation, d.policy->n_agents, d.n_rules,
		 WARDEN_SOCKET);
	ret = run_loop(&d) ? 1 : 0;
	if (d.unload)
		log_info("unloading: pending approvals get their fallback, then the programs detach "
			 "and the pins under %s go", WARDEN_PIN_DIR);
	else
		log_info("stopping: enforcement stays in the kernel (pinned under %s); a new daemon "
			 "adopts it, `warden unload` removes it", WARDEN_PIN_DIR);
out:
	daemon_cleanup(&d);
	return ret;
}
