// SPDX-License-Identifier: GPL-2.0-only
/*
 * The checks of `warden audit` on warden itself (1: the BPF LSM, the daemon,
 * pins, cgroups, drift, dropped events; 8: version and policy permissions).
 * The other groups have a file each: firewall.c (2, 3), listening.c (4),
 * host.c (5, 6), secrets.c (7), amnesia.c (9), audit_reach.c (10); the
 * report, config and tools beside them. audit_checks.h has the contract
 * (root prefix, fixtures for tool outputs, findings vs checks that cannot
 * run). Messages say what is wrong and why it matters; fixes say what to type.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "audit_checks.h"
#include "cgroup.h"
#include "commands.h"
#include "control.h"
#include "fileio.h"
#include "json.h"
#include "lsm.h"


/* ---- 1. warden itself ---- */

int audit_check_bpf_lsm(const struct audit_ctx *ctx, struct audit_report *r)
{
	char path[PATH_MAX], fix[512], lsms[512] = "";
	int ret;

	audit_path(ctx, LSM_LIST, path, sizeof(path));
	ret = bpf_lsm_active(path, lsms, sizeof(lsms));
	if (ret < 0)
		return audit_add(r, "warden.bpf-lsm", AUDIT_CRITICAL,
				 "mount securityfs: mount -t securityfs securityfs /sys/kernel/security",
				 "cannot read " LSM_LIST " (%s): whether the BPF LSM "
				 "enforces anything is unknown", strerror(-ret));
	if (ret)
		return 0;
	snprintf(fix, sizeof(fix), "boot with bpf added to the lsm= kernel parameter "
		 "(e.g. lsm=%s,bpf; the kernel needs CONFIG_BPF_LSM=y)", lsms);
	return audit_add(r, "warden.bpf-lsm", AUDIT_CRITICAL, fix,
			 "the BPF LSM is not active (active LSMs: %s): warden enforces nothing", lsms);
}

int audit_check_daemon(const struct audit_ctx *ctx, struct audit_report *r)
{
	json_object *v;

	if (!ctx->status)
		return audit_add(r, "warden.daemon", AUDIT_CRITICAL,
				 "start it (systemctl start warden, or warden daemon --policy FILE); "
				 "its log says why it stopped",
				 "the warden daemon does not answer on %s (%s): agents cannot be "
				 "started confined, events and approvals stop", WARDEN_SOCKET,
				 strerror(-ctx->status_err));
	v = json_get(ctx->status, "ok");
	if (!v || !json_object_get_boolean(v))
		return audit_add(r, "warden.daemon", AUDIT_CRITICAL,
				 "restart the daemon and read its log",
				 "the warden daemon refused the status request: %s",
				 json_str(json_get(ctx->status, "error")) ?: "no reason");
	v = json_get(ctx->status, "enforcing");
	if (!v || !json_object_get_boolean(v))
		return audit_add(r, "warden.daemon", AUDIT_CRITICAL,
				 "restart the daemon and read its log: it says why it cannot enforce",
				 "the warden daemon runs but does not enforce");
	return 0;
}

int audit_check_pinned(const struct audit_ctx *ctx, struct audit_report *r)
{
	json_object *v;

	if (!ctx->status)
		return -ENODATA;
	v = json_get(ctx->status, "pinned");
	if (!v)
		return audit_add(r, "warden.pinned", AUDIT_MEDIUM, "upgrade/restart the daemon",
				 "the daemon does not report whether its BPF programs are pinned "
				 "(an older daemon?)");
	if (!json_object_get_boolean(v))
		return audit_add(r, "warden.pinned", AUDIT_HIGH,
				 "restart the daemon so it pins its programs (bpffs must be mounted "
				 "at /sys/fs/bpf)",
				 "warden's BPF programs are not pinned: enforcement ends whenever the "
				 "daemon stops");
	return 0;
}

static json_object *status_agent(json_object *agents, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(agents); i++) {
		json_object *a = json_object_array_get_idx(agents, i);
		const char *n = json_str(json_get(a, "name"));

		if (n && !strcmp(n, name))
			return a;
	}
	return NULL;
}

static bool json_array_has_string(json_object *arr, const char *s)
{
	for (size_t i = 0; json_object_is_type(arr, json_type_array) &&
			   i < json_object_array_length(arr); i++) {
		const char *item = json_str(json_object_array_get_idx(arr, i));

		if (item && !strcmp(item, s))
			return true;
	}
	return false;
}

/* "populated 1" in cgroup.events; unreadable counts as populated (report, not hide). */
static bool cgroup_has_processes(const char *dir)
{
	char path[PATH_MAX], *text = NULL;
	bool populated;

	if (snprintf(path, sizeof(path), "%s/cgroup.events", dir) >= (int)sizeof(path) ||
	    read_text(path, &text))
		return true;
	populated = !strstr(text, "populated 0");
	free(text);
	return populated;
}

/*
 * A cgroup under the agent's subtree that the daemon does not list holds
 * processes the kernel does not know as the agent's: they run unconfined.
 */
static int unmanaged_cgroups(const struct audit_ctx *ctx, const char *agent, json_object *managed,
			     struct audit_report *r)
{
	char dir[PATH_MAX], host[PATH_MAX], fix[2 * PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	snprintf(host, sizeof(host), "%s/%s", WARDEN_CGROUP_DIR, agent);
	audit_path(ctx, host, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return 0; /* no cgroups yet: nothing runs as this agent */
	while (!ret && (de = readdir(d))) {
		char path[PATH_MAX], name[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    snprintf(name, sizeof(name), "%s/%s", host, de->d_name) >= (int)sizeof(name))
			continue;
		if (stat(path, &st) || !S_ISDIR(st.st_mode) || json_array_has_string(managed, name) ||
		    !cgroup_has_processes(path))
			continue;
		snprintf(fix, sizeof(fix), "warden attach --agent %s --cgroup %s, or restart the "
			 "daemon (it adopts the cgroups under %s)", agent, name, WARDEN_CGROUP_DIR);
		ret = audit_add(r, "warden.agent-cgroups", AUDIT_HIGH, fix,
				"cgroup %s of agent %s has processes the daemon does not manage: "
				"they run unconfined", name, agent);
	}
	closedir(d);
	return ret;
}

/* An attached cgroup (a container) that is gone was likely replaced by one warden does not know. */
static int vanished_cgroups(const struct audit_ctx *ctx, const char *agent, json_object *managed,
			    struct audit_report *r)
{
	char path[PATH_MAX], fix[512];
	int ret = 0;

	for (size_t i = 0; !ret && json_object_is_type(managed, json_type_array) &&
			   i < json_object_array_length(managed); i++) {
		const char *cg = json_str(json_object_array_get_idx(managed, i));

		/* run cgroups come and go with their runs */
		if (!cg || audit_starts_with(cg, WARDEN_CGROUP_DIR "/"))
			continue;
		audit_path(ctx, cg, path, sizeof(path));
		if (!access(path, F_OK))
			continue;
		snprintf(fix, sizeof(fix), "attach the container's new cgroup: warden attach "
			 "--agent %s --cgroup PATH", agent);
		ret = audit_add(r, "warden.agent-cgroups", AUDIT_MEDIUM, fix,
				"the attached cgroup %s of agent %s no longer exists (the container was "
				"restarted?): its replacement is not under warden's policy", cg, agent);
	}
	return ret;
}

int audit_check_agent_cgroups(const struct audit_ctx *ctx, struct audit_report *r)
{
	json_object *agents = json_get(ctx->status, "agents");
	char fix[512];
	int ret = 0;

	if (!agents || !json_object_is_type(agents, json_type_array))
		return -ENODATA;
	for (size_t i = 0; !ret && ctx->policy && i < ctx->policy->n_agents; i++) {
		const struct agent_policy *a = &ctx->policy->agents[i];

		if (!a->confined || status_agent(agents, a->name))
			continue;
		snprintf(fix, sizeof(fix), "warden reload --policy %s", ctx->policy->path);
		ret = audit_add(r, "warden.agent-cgroups", AUDIT_HIGH, fix,
				"agent %s of %s is not in the daemon's policy: none of its cgroups "
				"is managed", a->name, ctx->policy->path);
	}
	for (size_t i = 0; !ret && i < json_object_array_length(agents); i++) {
		json_object *a = json_object_array_get_idx(agents, i), *c = json_get(a, "confined");
		json_object *managed = json_get(a, "cgroups");
		const char *name = json_str(json_get(a, "name"));

		if (!name || !c || !json_object_get_boolean(c))
			continue;
		ret = unmanaged_cgroups(ctx, name, managed, r);
		ret = ret ?: vanished_cgroups(ctx, name, managed, r);
	}
	return ret;
}

static const char *drift_text(json_object *item)
{
	json_object *msg = json_get(item, "message");

	if (json_object_is_type(item, json_type_string))
		return json_object_get_string(item);
	if (msg && json_object_is_type(msg, json_type_string))
		return json_object_get_string(msg);
	return json_object_to_json_string_ext(item, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
}

int audit_check_drift(const struct audit_ctx *ctx, struct audit_report *r)
{
	static const char fix[] = "warden reload re-applies the policy; find out who changed the "
				  "kernel's maps (it takes root with CAP_BPF)";
	enum { SHOWN = 10 };
	json_object *drift;
	size_t n;
	int ret = 0;

	if (!ctx->status)
		return -ENODATA;
	drift = json_get(ctx->status, "drift");
	if (!drift || !json_object_is_type(drift, json_type_array))
		return audit_add(r, "warden.drift", AUDIT_MEDIUM, "upgrade/restart the daemon",
				 "the daemon does not report drift between its policy and the "
				 "kernel's maps (an older daemon?)");
	n = json_object_array_length(drift);
	for (size_t i = 0; !ret && i < n && i < SHOWN; i++)
		ret = audit_add(r, "warden.drift", AUDIT_CRITICAL, fix,
				"the kernel's maps differ from the policy: %s",
				drift_text(json_object_array_get_idx(drift, i)));
	if (!ret && n > SHOWN)
		ret = audit_add(r, "warden.drift", AUDIT_CRITICAL, fix,
				"the kernel's maps differ from the policy in %zu more places", n - SHOWN);
	return ret;
}

int audit_check_dropped_events(const struct audit_ctx *ctx, uint64_t last, uint64_t *current,
			       struct audit_report *r)
{
	json_object *v = json_get(json_get(ctx->status, "counters"), "eventsDropped");
	uint64_t now, since;

	if (!v)
		return -ENODATA;
	now = json_object_get_uint64(v);
	*current = now;
	/* below the last value: the counters restarted with the daemon */
	since = now >= last ? now - last : now;
	if (!since)
		return 0;
	return audit_add(r, "warden.dropped-events", AUDIT_MEDIUM,
			 "find what floods the event stream (an agent looping on denied "
			 "operations?) in the daemon's output and stop it; restart a stalled daemon",
			 "%llu events were dropped since the last audit (the kernel's ring buffer "
			 "was full): some decisions left no record", (unsigned long long)since);
}

/* ---- 8. version and policy permissions ---- */

int audit_check_version(const struct audit_ctx *ctx, struct audit_report *r)
{
	static const char fix[] = "restart the daemon after every upgrade (systemctl restart warden)";
	const char *version = json_str(json_get(ctx->status, "version"));
	json_object *pid;
	char path[PATH_MAX], exe[PATH_MAX];
	ssize_t n;
	int ret = 0;

	if (!ctx->status)
		return -ENODATA;
	if (version && strcmp(version, WARDEN_VERSION))
		ret = audit_add(r, "warden.version", AUDIT_MEDIUM, fix,
				"the daemon runs warden %s, the installed warden is %s", version,
				WARDEN_VERSION);
	pid = json_get(ctx->status, "daemonPid");
	if (ret || !pid)
		return ret;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", json_object_get_int(pid));
	audit_path(ctx, exe, path, sizeof(path));
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if (n > 10 && !strcmp(exe + n - 10, " (deleted)"))
		ret = audit_add(r, "warden.version", AUDIT_MEDIUM, fix,
				"the daemon's binary %s was replaced on disk after it started: it "
				"still runs the old code", exe);
	return ret;
}

static void mode_writers(mode_t mode, char *out, size_t len)
{
	snprintf(out, len, "%s", (mode & S_IWGRP) && (mode & S_IWOTH) ? "group and others" :
				 (mode & S_IWGRP) ? "its group" : "every user");
}

int audit_check_policy_perms(const struct audit_ctx *ctx, struct audit_report *r)
{
	const char *file = ctx->policy_path;
	char dir[PATH_MAX], fix[2 * PATH_MAX + 64], who[32];
	struct stat st;
	int ret = 0;

	if (!file || stat(file, &st))
		return -ENOENT; /* an unreadable policy is reported as warden.policy */
	if (st.st_uid != 0) {
		snprintf(fix, sizeof(fix), "chown root:root %s", audit_shown(ctx, file));
		ret = audit_add(r, "warden.policy-perms", AUDIT_HIGH, fix,
				"the policy %s is owned by uid %u, not root: that user can rewrite "
				"every agent's rules", audit_shown(ctx, file), (unsigned)st.st_uid);
	}
	if (!ret && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		mode_writers(st.st_mode, who, sizeof(who));
		snprintf(fix, sizeof(fix), "chmod go-w %s", audit_shown(ctx, file));
		ret = audit_add(r, "warden.policy-perms", AUDIT_HIGH, fix,
				"the policy %s is writable by %s (mode %04o): anyone there can "
				"rewrite every agent's rules", audit_shown(ctx, file), who,
				(unsigned)(st.st_mode & 07777));
	}
	audit_parent_dir(file, dir, sizeof(dir));
	if (ret || stat(dir, &st))
		return ret;
	/* in a sticky directory others cannot replace root's file */
	if (st.st_uid != 0 || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
		snprintf(fix, sizeof(fix), "chown root %s && chmod go-w %s", audit_shown(ctx, dir),
			 audit_shown(ctx, dir));
		ret = audit_add(r, "warden.policy-perms", AUDIT_HIGH, fix,
				"the directory %s holding the policy is not root's alone (owner uid "
				"%u, mode %04o): whoever can write there can replace the policy",
				audit_shown(ctx, dir), (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	}
	return ret;
}
