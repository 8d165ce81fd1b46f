// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's server: who is asking (never a managed cgroup),
 * and the requests run, spec, attach, reload and unload; status is
 * status.c's, approvals daemon_approvals.c's, events daemon_events.c's.
 */
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "cgroup.h"
#include "clock.h"
#include "daemon.h"
#include "control.h"
#include "log.h"

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
	json_object_object_add(reply, "filesReused", json_object_new_uint64(d->files_reused));
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

/* The ops of the control socket, one signature: keep is set when the client stays. */
typedef json_object *(*op_fn)(struct daemon *d, json_object *req, int client, bool *keep);

static json_object *op_status(struct daemon *d, json_object *req, int client, bool *keep)
{
	return handle_status(d);
}

static json_object *op_run(struct daemon *d, json_object *req, int client, bool *keep)
{
	return handle_run(d, req, client);
}

static json_object *op_reload(struct daemon *d, json_object *req, int client, bool *keep)
{
	return handle_reload(d, req);
}

static json_object *op_spec(struct daemon *d, json_object *req, int client, bool *keep)
{
	return handle_spec(d, req);
}

static json_object *op_attach(struct daemon *d, json_object *req, int client, bool *keep)
{
	return handle_attach(d, req);
}

static json_object *op_approvals(struct daemon *d, json_object *req, int client, bool *keep)
{
	return handle_approvals(d);
}

static json_object *op_approve(struct daemon *d, json_object *req, int client, bool *keep)
{
	return handle_decision(d, req, true);
}

static json_object *op_deny(struct daemon *d, json_object *req, int client, bool *keep)
{
	return handle_decision(d, req, false);
}

static json_object *op_unload(struct daemon *d, json_object *req, int client, bool *keep)
{
	return handle_unload(d);
}

static const struct {
	const char *name;
	op_fn fn;
} ops[] = {
	{ "status", op_status },       { "run", op_run },         { "reload", op_reload },
	{ "spec", op_spec },           { "attach", op_attach },   { "approvals", op_approvals },
	{ "approve", op_approve },     { "deny", op_deny },       { "unload", op_unload },
	{ "events", handle_events },
};

/* The reply to a request read whole: in a protocol version this daemon speaks, for an op it has. */
static json_object *dispatch(struct daemon *d, json_object *req, int client, bool *keep)
{
	json_object *op, *refusal = control_check_version(req);
	const char *name;

	if (refusal)
		return refusal;
	if (!json_object_object_get_ex(req, "op", &op))
		return control_error("bad request: no \"op\"");
	name = json_object_get_string(op);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(name, ops[i].name))
			return ops[i].fn(d, req, client, keep);
	return control_error("unknown op \"%s\"", name);
}

/* Answers one request; returns true when the client stays (an events subscriber). */
static bool serve_client(struct daemon *d, int client)
{
	json_object *req = NULL, *reply;
	const struct managed_cgroup *peer;
	bool keep = false, unknown;
	pid_t pid = 0;
	int err;

	peer = peer_cgroup(d, client, &pid, &unknown);
	if (peer) {
		json_object *o = NULL;

		reply = refuse_peer(d, peer, pid, unknown,
				    control_read(client, &req) == 0 &&
						    json_object_object_get_ex(req, "op", &o)
					    ? json_object_get_string(o)
					    : "?");
	} else if ((err = control_read(client, &req))) {
		reply = control_error("bad request: expected one JSON object and a newline: %s",
				      strerror(-err));
	} else {
		reply = dispatch(d, req, client, &keep);
	}
	control_send(client, reply);
	json_object_put(reply);
	json_object_put(req);
	return keep;
}

void accept_clients(struct daemon *d)
{
	for (;;) {
		int client = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (client < 0)
			return;
		if (!serve_client(d, client))
			close(client);
	}
}
