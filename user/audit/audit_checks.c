// SPDX-License-Identifier: GPL-2.0-only
/*
 * The checks of `warden audit`: see audit_checks.h for the contract (root
 * prefix, fixtures for tool outputs, findings vs checks that cannot run).
 * Messages say what is wrong and why it matters; fixes say what to type.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "audit_checks.h"
#include "bind.h"
#include "cgroup.h"
#include "commands.h"
#include "control.h"
#include "fileio.h"
#include "json.h"
#include "lsm.h"
#include "sandbox.h" /* DEFAULT_AGENT_USER */
#include "spawn.h"

#define TOOL_TIMEOUT_MS 20000    /* a hung tool must not hang the morning audit */
#define PROBE_TIMEOUT_MS 10000
#define DAY (24 * 60 * 60)

/* ---- the report ---- */

int audit_add(struct audit_report *r, const char *id, enum audit_severity severity,
	      const char *fix, const char *fmt, ...)
{
	struct audit_finding f = { .id = id, .severity = severity };
	va_list ap;
	int n;

	if (ARRAY_GROW(r->v, &r->cap, r->n + 1))
		return -ENOMEM;
	va_start(ap, fmt);
	n = vasprintf(&f.message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	f.fix = strdup(fix);
	if (!f.fix) {
		free(f.message);
		return -ENOMEM;
	}
	r->v[r->n++] = f;
	return 0;
}

size_t audit_count(const struct audit_report *r, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += !strcmp(r->v[i].id, id);
	return n;
}

const struct audit_finding *audit_find(const struct audit_report *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].id, id))
			return &r->v[i];
	return NULL;
}

void audit_report_sort(struct audit_report *r)
{
	/* insertion sort: stable, and reports are short */
	for (size_t i = 1; i < r->n; i++) {
		struct audit_finding f = r->v[i];
		size_t j = i;

		for (; j > 0 && r->v[j - 1].severity > f.severity; j--)
			r->v[j] = r->v[j - 1];
		r->v[j] = f;
	}
}

int audit_report_move(struct audit_report *to, struct audit_report *from)
{
	for (size_t i = 0; i < from->n; i++) {
		int err = audit_add(to, from->v[i].id, from->v[i].severity, from->v[i].fix, "%s",
				    from->v[i].message);

		if (err)
			return err;
	}
	audit_report_free(from);
	return 0;
}

void audit_report_free(struct audit_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].message);
		free(r->v[i].fix);
	}
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

const char *audit_severity_name(enum audit_severity s)
{
	switch (s) {
	case AUDIT_CRITICAL: return "critical";
	case AUDIT_HIGH: return "high";
	case AUDIT_MEDIUM: return "medium";
	case AUDIT_LOW: return "low";
	}
	return "?";
}

/* ---- small helpers ---- */

int audit_path(const struct audit_ctx *ctx, const char *path, char *out, size_t len)
{
	if (snprintf(out, len, "%s%s", ctx->root, path) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* The host's name for a path under the root, for messages. */
static const char *shown(const struct audit_ctx *ctx, const char *path)
{
	size_t n = strlen(ctx->root);

	return n && !strncmp(path, ctx->root, n) && path[n] == '/' ? path + n : path;
}

/* Iterates over the lines of a mutable buffer, cutting it at each '\n'. */
#define for_each_line(line, next, buf) \
	for (char *line = (buf), *next = NULL; line; line = next) \
		if ((next = strchr(line, '\n')) ? (*next++ = '\0', 1) : 1)

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The first line of a tool's output, for a message. */
static void first_line(const char *text, char *out, size_t len)
{
	const char *s = text ? text : "";

	while (*s == '\n' || *s == ' ')
		s++;
	snprintf(out, len, "%.*s", (int)strcspn(s, "\n"), *s ? s : "no output");
}

/* The directory part of path ("." for a bare name). */
static void parent_dir(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else
		snprintf(out, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* A directory that holds at least one entry. */
static bool dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return found;
}

/* ---- the audit config ---- */

int audit_config_init(struct audit_config *c)
{
	memset(c, 0, sizeof(*c));
	c->allowed_ports = malloc(sizeof(int));
	c->state_file = strdup(AUDIT_DEFAULT_STATE_FILE);
	if (!c->allowed_ports || !c->state_file) {
		audit_config_free(c);
		return -ENOMEM;
	}
	c->allowed_ports[0] = 22;
	c->n_allowed_ports = 1;
	c->disk_max_percent = 90;
	c->ssh_failures_max = 20;
	return 0;
}

void audit_config_free(struct audit_config *c)
{
	if (!c)
		return;
	free(c->allowed_ports);
	free(c->state_file);
	memset(c, 0, sizeof(*c));
}

static int config_int(struct json_error *cp, json_object *v, const char *where, long lo,
		      long hi, int *out)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return json_fail(cp, where, "expected an integer from %ld to %ld, got %s", lo, hi,
				   json_type_word(v));
	n = json_object_get_int64(v);
	if (n < lo || n > hi)
		return json_fail(cp, where, "%lld is not from %ld to %ld", (long long)n, lo, hi);
	*out = (int)n;
	return 0;
}

static int config_ports(struct json_error *cp, json_object *v, struct audit_config *c)
{
	size_t n;
	int *ports;

	if (!json_object_is_type(v, json_type_array))
		return json_fail(cp, "audit.allowedPorts", "expected an array, got %s", json_type_word(v));
	n = json_object_array_length(v);
	ports = calloc(n + 1, sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char at[64];
		int err;

		snprintf(at, sizeof(at), "audit.allowedPorts[%zu]", i);
		err = config_int(cp, json_object_array_get_idx(v, i), at, 1, 65535, &ports[i]);
		if (err) {
			free(ports);
			return err;
		}
	}
	free(c->allowed_ports);
	c->allowed_ports = ports;
	c->n_allowed_ports = n;
	return 0;
}

static int config_state_file(struct json_error *cp, json_object *v, struct audit_config *c)
{
	char *s;

	if (!json_object_is_type(v, json_type_string))
		return json_fail(cp, "audit.stateFile", "expected a string, got %s", json_type_word(v));
	if (json_object_get_string(v)[0] != '/')
		return json_fail(cp, "audit.stateFile", "\"%s\" is not an absolute path",
				   json_object_get_string(v));
	s = strdup(json_object_get_string(v));
	if (!s)
		return -ENOMEM;
	free(c->state_file);
	c->state_file = s;
	return 0;
}

static int config_section(struct json_error *cp, json_object *audit, struct audit_config *c)
{
	int err = 0;

	if (!json_object_is_type(audit, json_type_object))
		return json_fail(cp, "audit", "expected an object, got %s", json_type_word(audit));
	json_object_object_foreach(audit, key, val) {
		char at[512];

		snprintf(at, sizeof(at), "audit.%s", key);
		if (!strcmp(key, "allowedPorts"))
			err = config_ports(cp, val, c);
		else if (!strcmp(key, "diskMaxPercent"))
			err = config_int(cp, val, at, 1, 100, &c->disk_max_percent);
		else if (!strcmp(key, "sshFailuresMax"))
			err = config_int(cp, val, at, 0, INT_MAX, &c->ssh_failures_max);
		else if (!strcmp(key, "stateFile"))
			err = config_state_file(cp, val, c);
		else
			err = json_fail(cp, at, "unknown key \"%s\" (known here: allowedPorts, "
				     "diskMaxPercent, sshFailuresMax, stateFile)", key);
		if (err)
			return err;
	}
	return 0;
}

static void text_position(const char *text, size_t off, int *line, int *col)
{
	*line = *col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		*col = text[i] == '\n' ? 1 : *col + 1;
		*line += text[i] == '\n';
	}
}

int audit_config_parse(const char *text, const char *name, struct audit_config *c, char *err,
		       size_t errlen)
{
	struct json_error cp = { .name = name, .err = err, .errlen = errlen };
	json_tokener *tok = json_tokener_new();
	json_object *root;
	int ret = 0;

	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    text[json_tokener_get_parse_end(tok) + strspn(text + json_tokener_get_parse_end(tok),
							   " \t\r\n")]) {
		char at[64];
		int line, col;

		text_position(text, json_tokener_get_parse_end(tok), &line, &col);
		snprintf(at, sizeof(at), "line %d, column %d", line, col);
		ret = json_fail(&cp, at, "invalid JSON%s", root ? ": text after the object" : "");
	} else if (!json_object_is_type(root, json_type_object)) {
		ret = json_fail(&cp, "(top level)", "expected an object, got %s", json_type_word(root));
	} else {
		json_object_object_foreach(root, key, val) {
			ret = strcmp(key, "audit") ?
				json_fail(&cp, key, "unknown key \"%s\" (known here: audit)", key) :
				config_section(&cp, val, c);
			if (ret)
				break;
		}
	}
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

int audit_config_load(const char *file, struct audit_config *c, char *err, size_t errlen)
{
	char *text = NULL;
	int ret = read_text(file, &text);

	if (ret) {
		snprintf(err, errlen, "%s: cannot read: %s", file, strerror(-ret));
		return ret;
	}
	ret = audit_config_parse(text, file, c, err, errlen);
	free(text);
	return ret;
}

/* ---- tool outputs ---- */

static int find_tool(const char *name, char *out, size_t len)
{
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					    "/usr/bin", "/sbin", "/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(out, len, "%s/%s", dirs[i], name);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

static int run_tool(const char *path, const char *const argv[], char **out)
{
	/* C locale: the parsers read English words ("Status: active") */
	static char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL
	};

	return spawn_output(path, (char *const *)argv, env, TOOL_TIMEOUT_MS, out);
}

static int fixture_output(const struct audit_ctx *ctx, const char *name, char **out)
{
	char path[PATH_MAX], *code = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/cmd/%s.txt", ctx->root, name);
	ret = read_text(path, out);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/cmd/%s.exit", ctx->root, name);
	if (!read_text(path, &code) && atoi(code) != 0)
		ret = -EIO;
	free(code);
	return ret;
}

int audit_cmd_output(const struct audit_ctx *ctx, const char *name, const char *const argv[],
		     char **out)
{
	char path[PATH_MAX];

	*out = NULL;
	if (ctx->root[0])
		return fixture_output(ctx, name, out);
	if (find_tool(argv[0], path, sizeof(path)))
		return -ENOENT;
	return run_tool(path, argv, out);
}

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
		if (!cg || starts_with(cg, WARDEN_CGROUP_DIR "/"))
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
		snprintf(fix, sizeof(fix), "chown root:root %s", shown(ctx, file));
		ret = audit_add(r, "warden.policy-perms", AUDIT_HIGH, fix,
				"the policy %s is owned by uid %u, not root: that user can rewrite "
				"every agent's rules", shown(ctx, file), (unsigned)st.st_uid);
	}
	if (!ret && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		mode_writers(st.st_mode, who, sizeof(who));
		snprintf(fix, sizeof(fix), "chmod go-w %s", shown(ctx, file));
		ret = audit_add(r, "warden.policy-perms", AUDIT_HIGH, fix,
				"the policy %s is writable by %s (mode %04o): anyone there can "
				"rewrite every agent's rules", shown(ctx, file), who,
				(unsigned)(st.st_mode & 07777));
	}
	parent_dir(file, dir, sizeof(dir));
	if (ret || stat(dir, &st))
		return ret;
	/* in a sticky directory others cannot replace root's file */
	if (st.st_uid != 0 || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
		snprintf(fix, sizeof(fix), "chown root %s && chmod go-w %s", shown(ctx, dir),
			 shown(ctx, dir));
		ret = audit_add(r, "warden.policy-perms", AUDIT_HIGH, fix,
				"the directory %s holding the policy is not root's alone (owner uid "
				"%u, mode %04o): whoever can write there can replace the policy",
				shown(ctx, dir), (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	}
	return ret;
}

/* ---- 2. the firewall ---- */

static unsigned nft_family(const char *word)
{
	if (!strcmp(word, "inet"))
		return AUDIT_FW_V4 | AUDIT_FW_V6;
	if (!strcmp(word, "ip"))
		return AUDIT_FW_V4;
	if (!strcmp(word, "ip6"))
		return AUDIT_FW_V6;
	return 0; /* arp, bridge, netdev: not the host's input path */
}

/* Brace depth change of a line, ignoring braces in "quoted" comments. */
static int brace_delta(const char *s)
{
	bool quoted = false;
	int d = 0;

	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == '{')
			d++;
		else if (!quoted && *s == '}')
			d--;
	}
	return d;
}

/* A rule that drops or rejects everything: "drop", "counter packets 1 bytes 2 reject ...". */
static bool unconditional_deny(const char *rule)
{
	char copy[512], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", rule);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!strcmp(w, "counter") || !strcmp(w, "packets") || !strcmp(w, "bytes") ||
		    isdigit((unsigned char)w[0]))
			continue;
		return !strcmp(w, "drop") || !strcmp(w, "reject");
	}
	return false;
}

unsigned audit_nft_deny_families(const char *ruleset)
{
	char *text = strdup(ruleset ?: ""), last[512] = "";
	bool in_chain = false, input = false, drop = false;
	unsigned family = 0, deny = 0;
	int depth = 0;

	for_each_line(raw, next, text) {
		char *line = trim(raw), word[32];

		if (depth == 0 && sscanf(line, "table %31s", word) == 1)
			family = nft_family(word);
		if (depth == 1 && starts_with(line, "chain ")) {
			in_chain = true;
			input = drop = false;
			last[0] = '\0';
		}
		if (in_chain) {
			input |= strstr(line, "hook input") != NULL;
			drop |= strstr(line, "policy drop") != NULL;
			if (depth == 2 && line[0] && line[0] != '}' && line[0] != '#' &&
			    !starts_with(line, "type ") && !starts_with(line, "policy "))
				snprintf(last, sizeof(last), "%s", line);
		}
		depth += brace_delta(line);
		if (in_chain && depth <= 1) {
			/* a packet must pass every base chain on the hook: one that denies is enough */
			if (input && (drop || unconditional_deny(last)))
				deny |= family;
			in_chain = false;
		}
	}
	free(text);
	return deny;
}

bool audit_iptables_input_deny(const char *rules)
{
	char *text = strdup(rules ?: ""), last[512] = "";
	bool deny = false;

	for_each_line(raw, next, text) {
		char *line = trim(raw);

		if (!strcmp(line, "-P INPUT DROP"))
			deny = true;
		else if (starts_with(line, "-A INPUT "))
			snprintf(last, sizeof(last), "%s", line);
	}
	free(text);
	return deny || !strcmp(last, "-A INPUT -j DROP") || starts_with(last, "-A INPUT -j REJECT");
}

unsigned audit_ufw_deny_families(const char *status)
{
	char *text = strdup(status ?: "");
	bool active = false, deny = false;

	for_each_line(raw, next, text) {
		char *line = trim(raw);

		active |= !strcmp(line, "Status: active");
		deny |= starts_with(line, "Default: deny (incoming)") ||
			starts_with(line, "Default: reject (incoming)");
	}
	free(text);
	return active && deny ? AUDIT_FW_V4 | AUDIT_FW_V6 : 0;
}

static unsigned iptables_v4(const char *rules)
{
	return audit_iptables_input_deny(rules) ? AUDIT_FW_V4 : 0;
}

static unsigned iptables_v6(const char *rules)
{
	return audit_iptables_input_deny(rules) ? AUDIT_FW_V6 : 0;
}

/* Any interface but lo with an IPv6 address: incoming IPv6 needs its own policy. */
static bool host_has_ipv6(const struct audit_ctx *ctx)
{
	char path[PATH_MAX], *text = NULL;
	bool found = false;

	audit_path(ctx, "/proc/net/if_inet6", path, sizeof(path));
	if (read_text(path, &text))
		return false;
	for_each_line(line, next, text) {
		char dev[64];

		if (sscanf(line, "%*s %*s %*s %*s %*s %63s", dev) == 1 && strcmp(dev, "lo"))
			found = true;
	}
	free(text);
	return found;
}

struct firewall_tool {
	const char *name; /* fixture name */
	const char *argv[4];
	unsigned (*deny)(const char *output);
};

static const struct firewall_tool firewall_tools[] = {
	{ "nft-list-ruleset", { "nft", "list", "ruleset" }, audit_nft_deny_families },
	{ "iptables-S", { "iptables", "-S" }, iptables_v4 },
	{ "ip6tables-S", { "ip6tables", "-S" }, iptables_v6 },
	{ "ufw-status-verbose", { "ufw", "status", "verbose" }, audit_ufw_deny_families },
};

int audit_check_firewall(const struct audit_ctx *ctx, struct audit_report *r)
{
	static const char fix[] = "apt-get install nftables; in /etc/nftables.conf give the input "
				  "chain of an inet table `policy drop;` after accepting lo, "
				  "established traffic and the ports you serve; systemctl enable "
				  "--now nftables";
	unsigned need = AUDIT_FW_V4 | (host_has_ipv6(ctx) ? AUDIT_FW_V6 : 0), have = 0;
	char failures[1024] = "";
	int installed = 0;

	for (size_t i = 0; i < sizeof(firewall_tools) / sizeof(firewall_tools[0]); i++) {
		const struct firewall_tool *t = &firewall_tools[i];
		char *out = NULL, line[256];
		int ret = audit_cmd_output(ctx, t->name, t->argv, &out);

		installed += ret != -ENOENT;
		if (!ret) {
			have |= t->deny(out);
		} else if (ret != -ENOENT) {
			first_line(out, line, sizeof(line));
			snprintf(failures + strlen(failures), sizeof(failures) - strlen(failures),
				 "; %s failed: %s", t->argv[0], out ? line : strerror(-ret));
		}
		free(out);
	}
	if (!installed)
		return audit_add(r, "host.firewall", AUDIT_HIGH, fix,
				 "no host firewall: none of nft, iptables or ufw is installed, so "
				 "every listening port is open to the network");
	if ((have & need) == need)
		return 0;
	if (!(have & AUDIT_FW_V4))
		return audit_add(r, "host.firewall", AUDIT_HIGH, fix,
				 "incoming traffic is not denied by default: no input chain with "
				 "policy drop (nft), no -P INPUT DROP (iptables), no active ufw "
				 "denying incoming%s", failures);
	return audit_add(r, "host.firewall", AUDIT_HIGH,
			 "use an inet table (both families) in nftables, or give ip6tables the same "
			 "INPUT policy",
			 "incoming IPv4 is denied by default but IPv6 is not, and this host has "
			 "IPv6 addresses%s", failures);
}

/* ---- 3. fail2ban ---- */

static bool jail_listed(const char *status, const char *jail)
{
	const char *list = strstr(status, "Jail list:");
	char copy[1024], *save = NULL;

	if (!list)
		return false;
	snprintf(copy, sizeof(copy), "%.*s", (int)strcspn(list, "\n"), list + strlen("Jail list:"));
	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save))
		if (!strcmp(w, jail))
			return true;
	return false;
}

int audit_check_fail2ban(const struct audit_ctx *ctx, struct audit_report *r)
{
	static const char *const argv[] = { "fail2ban-client", "status", NULL };
	char path[PATH_MAX], line[256], *out = NULL;
	int ret;

	audit_path(ctx, "/usr/sbin/sshd", path, sizeof(path));
	if (access(path, F_OK))
		return 0; /* no sshd: no password guessing to answer */
	ret = audit_cmd_output(ctx, "fail2ban-client-status", argv, &out);
	first_line(out, line, sizeof(line));
	if (ret == -ENOENT)
		ret = audit_add(r, "host.fail2ban", AUDIT_MEDIUM,
				"apt-get install fail2ban (its sshd jail is on by default; on a "
				"journald-only host add `backend = systemd` to the [sshd] jail)",
				"sshd is installed but fail2ban is not: password guessing against it "
				"goes unanswered");
	else if (ret)
		ret = audit_add(r, "host.fail2ban", AUDIT_MEDIUM,
				"systemctl enable --now fail2ban; journalctl -u fail2ban says why it "
				"stopped", "fail2ban is installed but not running (%s)",
				out ? line : strerror(-ret));
	else if (!jail_listed(out, "sshd"))
		ret = audit_add(r, "host.fail2ban", AUDIT_MEDIUM,
				"set enabled = true under [sshd] in /etc/fail2ban/jail.local "
				"(backend = systemd on journald-only hosts), then systemctl reload "
				"fail2ban", "fail2ban runs without an sshd jail");
	free(out);
	return ret;
}

/* ---- 4. listening sockets ---- */

struct listener {
	const char *proto; /* "tcp", "udp" */
	int family;
	unsigned char addr[16];
	unsigned port;
	unsigned long inode;
};

/* /proc/net prints each 32-bit word of the address as the CPU holds it. */
static bool parse_hex_addr(const char *hex, int family, unsigned char *addr)
{
	size_t words = family == AF_INET ? 1 : 4;

	if (strlen(hex) != words * 8)
		return false;
	for (size_t i = 0; i < words; i++) {
		char word[9];
		uint32_t v;

		memcpy(word, hex + i * 8, 8);
		word[8] = '\0';
		v = (uint32_t)strtoul(word, NULL, 16);
		memcpy(addr + i * 4, &v, 4);
	}
	return true;
}

static bool is_loopback(const struct listener *l)
{
	const struct in6_addr *a6 = (const struct in6_addr *)l->addr;

	if (l->family == AF_INET)
		return l->addr[0] == 127;
	return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && l->addr[12] == 127);
}

static void format_endpoint(const struct listener *l, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(l->family, l->addr, ip, sizeof(ip));
	snprintf(out, len, l->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, l->port);
}

struct proc_net_table {
	const char *file;
	const char *proto;
	int family;
	unsigned listen_state; /* TCP_LISTEN; for UDP, TCP_CLOSE: bound and unconnected */
};

static const struct proc_net_table proc_net_tables[] = {
	{ "/proc/net/tcp", "tcp", AF_INET, 0x0A },
	{ "/proc/net/tcp6", "tcp", AF_INET6, 0x0A },
	{ "/proc/net/udp", "udp", AF_INET, 0x07 },
	{ "/proc/net/udp6", "udp", AF_INET6, 0x07 },
};

static int push_listener(struct listener **v, size_t *n, const struct listener *l)
{
	for (size_t i = 0; i < *n; i++) /* SO_REUSEPORT groups: one endpoint, many sockets */
		if ((*v)[i].proto == l->proto && (*v)[i].family == l->family &&
		    (*v)[i].port == l->port && !memcmp((*v)[i].addr, l->addr, 16))
			return 0;
	if (ARRAY_GROW(*v, NULL, *n + 1))
		return -ENOMEM;
	(*v)[(*n)++] = *l;
	return 0;
}

static int read_listeners(const struct audit_ctx *ctx, const struct proc_net_table *t,
			  struct listener **v, size_t *n)
{
	char path[PATH_MAX], *text = NULL;
	int ret;

	audit_path(ctx, t->file, path, sizeof(path));
	ret = read_text(path, &text);
	if (ret)
		return ret;
	for_each_line(line, next, text) {
		struct listener l = { .proto = t->proto, .family = t->family };
		char local[33];
		unsigned state;

		if (sscanf(line, " %*d: %32[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*x:%*x %*x:%*x %*x "
			   "%*u %*u %lu", local, &l.port, &state, &l.inode) != 4 ||
		    state != t->listen_state || !parse_hex_addr(local, t->family, l.addr))
			continue;
		ret = push_listener(v, n, &l);
		if (ret)
			break;
	}
	free(text);
	return ret;
}

/* " (dockerd, pid 812)" for the process holding the socket, or "". */
static void socket_owner(const struct audit_ctx *ctx, unsigned long inode, char *out, size_t len)
{
	char proc[PATH_MAX], want[64];
	struct dirent *de;
	DIR *d;

	out[0] = '\0';
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	audit_path(ctx, "/proc", proc, sizeof(proc));
	d = opendir(proc);
	while (inode && d && !out[0] && (de = readdir(d))) {
		char fds[PATH_MAX + 300], link[64], *comm = NULL;
		struct dirent *fe;
		DIR *fd_dir;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(fds, sizeof(fds), "%s/%s/fd", proc, de->d_name);
		fd_dir = opendir(fds);
		while (fd_dir && !out[0] && (fe = readdir(fd_dir))) {
			ssize_t n = readlinkat(dirfd(fd_dir), fe->d_name, link, sizeof(link) - 1);

			if (n <= 0 || (link[n] = '\0', strcmp(link, want)))
				continue;
			snprintf(fds, sizeof(fds), "%s/%s/comm", proc, de->d_name);
			if (!read_text(fds, &comm))
				trim(comm);
			snprintf(out, len, " (%s, pid %s)", comm ? comm : "?", de->d_name);
			free(comm);
		}
		if (fd_dir)
			closedir(fd_dir);
	}
	if (d)
		closedir(d);
}

static bool port_allowed(const struct audit_config *cfg, unsigned port)
{
	for (size_t i = 0; i < cfg->n_allowed_ports; i++)
		if ((unsigned)cfg->allowed_ports[i] == port)
			return true;
	return false;
}

static int report_listener(const struct audit_ctx *ctx, const struct listener *l,
			   struct audit_report *r)
{
	char where[80], owner[300], fix[256];
	bool docker = !strcmp(l->proto, "tcp") && (l->port == 2375 || l->port == 2376);

	/* the Docker API is root on the host for anyone who reaches it: never allowed */
	if (!docker && port_allowed(ctx->cfg, l->port))
		return 0;
	format_endpoint(l, where, sizeof(where));
	socket_owner(ctx, l->inode, owner, sizeof(owner));
	if (docker)
		return audit_add(r, "host.docker-api", AUDIT_CRITICAL,
				 "remove tcp:// from dockerd's -H flags or from \"hosts\" in "
				 "/etc/docker/daemon.json and use the unix socket (or ssh://)",
				 "the Docker API listens on %s%s: whoever reaches it controls this host "
				 "as root", where, owner);
	snprintf(fix, sizeof(fix), "stop it or bind it to 127.0.0.1; if it is meant to be reachable, "
		 "add %u to audit.allowedPorts and allow it in the firewall", l->port);
	return audit_add(r, "host.listening", AUDIT_MEDIUM, fix,
			 "%s %s is open to the network%s and not in audit.allowedPorts", l->proto,
			 where, owner);
}

int audit_check_listening(const struct audit_ctx *ctx, struct audit_report *r)
{
	struct listener *v = NULL;
	size_t n = 0, tables = 0;
	int ret = 0;

	for (size_t i = 0; i < sizeof(proc_net_tables) / sizeof(proc_net_tables[0]); i++) {
		ret = read_listeners(ctx, &proc_net_tables[i], &v, &n);
		if (ret == -ENOMEM)
			goto out;
		tables += !ret;
	}
	ret = tables ? 0 : -ENOENT;
	for (size_t i = 0; !ret && i < n; i++)
		if (!is_loopback(&v[i]))
			ret = report_listener(ctx, &v[i], r);
out:
	free(v);
	return ret;
}

/* ---- 5. failed SSH logins ---- */

#define SSH_MAX_SOURCES 256

struct ssh_tally {
	unsigned long failures;
	struct {
		char ip[48];
		unsigned long n;
	} src[SSH_MAX_SOURCES];
	size_t n_src;
};

static void tally_source(struct ssh_tally *t, const char *line)
{
	const char *from = strstr(line, " from ");
	char ip[48];

	if (!from || sscanf(from, " from %47s", ip) != 1)
		return;
	for (size_t i = 0; i < t->n_src; i++) {
		if (!strcmp(t->src[i].ip, ip)) {
			t->src[i].n++;
			return;
		}
	}
	if (t->n_src < SSH_MAX_SOURCES) {
		snprintf(t->src[t->n_src].ip, sizeof(t->src[0].ip), "%s", ip);
		t->src[t->n_src++].n = 1;
	}
}

/* One failure per line of these kinds: sshd's own words, as fail2ban's filter reads them. */
static void tally_line(struct ssh_tally *t, const char *line)
{
	static const char *const markers[] = { "Failed password for ", "Failed publickey for ",
					       "Failed keyboard-interactive", "Invalid user " };

	/* sshd's own lines ("host sshd[12]: ..."), not another program quoting it */
	if (!strstr(line, " sshd[") && !strstr(line, " sshd-session["))
		return;
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		if (strstr(line, markers[i])) {
			t->failures++;
			tally_source(t, line);
			return;
		}
	}
}

static bool has_journal(const struct audit_ctx *ctx)
{
	static const char *const dirs[] = { "/var/log/journal", "/run/log/journal" };
	char path[PATH_MAX];

	for (size_t i = 0; i < 2; i++)
		if (!audit_path(ctx, dirs[i], path, sizeof(path)) && dir_has_entries(path))
			return true;
	return false;
}

static int ssh_from_journal(const struct audit_ctx *ctx, struct ssh_tally *t)
{
	static const char *const argv[] = { "journalctl", "-q", "--no-pager", "-o", "short-iso",
					    "--since=-24h", "-u", "ssh", "-u", "sshd", NULL };
	char *out = NULL;
	int ret;

	if (!has_journal(ctx))
		return -ENOENT;
	ret = audit_cmd_output(ctx, "journalctl-ssh", argv, &out);
	if (!ret)
		for_each_line(line, next, out)
			tally_line(t, line);
	free(out);
	return ret;
}

/*
 * The time of a syslog line: RFC 3339 ("2026-11-27T05:52:49.123+00:00 host
 * sshd[1]: ...", Debian 12's rsyslog) or the classic "Nov 27 05:52:49", which
 * has no year: this year, unless that puts it in the future.
 */
static bool syslog_time(const char *line, time_t now, time_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = { .tm_isdst = -1 }, now_tm;
	char mon[4], *m;
	int n = 0;

	if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 6) {
		const char *p = line + n;
		int oh = 0, om = 0, sign;

		tm.tm_year -= 1900;
		tm.tm_mon--;
		if (*p == '.')
			p += 1 + strspn(p + 1, "0123456789");
		sign = *p == '-' ? -1 : 1;
		/* "+02:00" (RFC 3339) or "+0200" (journalctl -o short-iso) */
		if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 &&
		    sscanf(p + 1, "%2d%2d", &oh, &om) < 1)
			return false;
		if (*p != 'Z' && *p != '+' && *p != '-') {
			*t = mktime(&tm); /* no offset: local time */
			return *t != (time_t)-1;
		}
		*t = timegm(&tm) - sign * (oh * 3600 + om * 60);
		return true;
	}
	if (sscanf(line, "%3s %d %d:%d:%d", mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec) != 5 || strlen(mon) != 3 || !(m = strstr(months, mon)))
		return false;
	localtime_r(&now, &now_tm);
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_year = now_tm.tm_year;
	*t = mktime(&tm);
	if (*t > now + DAY) {
		struct tm last_year = tm;

		last_year.tm_year--;
		last_year.tm_isdst = -1;
		*t = mktime(&last_year);
	}
	return *t != (time_t)-1;
}

static int ssh_from_auth_log(const struct audit_ctx *ctx, struct ssh_tally *t)
{
	/* a rotation in the last day leaves part of it in auth.log.1 (delaycompress) */
	static const char *const files[] = { "/var/log/auth.log.1", "/var/log/auth.log" };
	int found = 0;

	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX], *line = NULL;
		size_t cap = 0;
		FILE *f;

		audit_path(ctx, files[i], path, sizeof(path));
		f = fopen(path, "re");
		if (!f)
			continue;
		found++;
		while (getline(&line, &cap, f) > 0) {
			time_t when;

			if (syslog_time(line, ctx->now, &when) && when >= ctx->now - DAY &&
			    when <= ctx->now + 3600)
				tally_line(t, line);
		}
		free(line);
		fclose(f);
	}
	return found ? 0 : -ENOENT;
}

static void top_sources(struct ssh_tally *t, char *out, size_t len)
{
	out[0] = '\0';
	for (int k = 0; k < 3 && t->n_src; k++) {
		size_t best = 0;

		for (size_t i = 1; i < t->n_src; i++)
			if (t->src[i].n > t->src[best].n)
				best = i;
		snprintf(out + strlen(out), len - strlen(out), "%s%s (%lu)", k ? ", " : "",
			 t->src[best].ip, t->src[best].n);
		t->src[best] = t->src[--t->n_src];
	}
}

int audit_check_ssh_failures(const struct audit_ctx *ctx, struct audit_report *r)
{
	struct ssh_tally *t = calloc(1, sizeof(*t));
	const char *source = "the journal";
	char top[256];
	int ret;

	if (!t)
		return -ENOMEM;
	ret = ssh_from_journal(ctx, t);
	if (ret) {
		memset(t, 0, sizeof(*t));
		source = "/var/log/auth.log";
		ret = ssh_from_auth_log(ctx, t);
	}
	if (!ret && t->failures > (unsigned long)ctx->cfg->ssh_failures_max) {
		top_sources(t, top, sizeof(top));
		ret = audit_add(r, "host.ssh-failures", AUDIT_MEDIUM,
				"check that fail2ban bans them (fail2ban-client status sshd); allow key "
				"logins only (PasswordAuthentication no) and, where you can, only known "
				"networks on port 22",
				"%lu failed SSH logins in the last 24 h (audit.sshFailuresMax: %d; %s), "
				"most from %s", t->failures, ctx->cfg->ssh_failures_max, source,
				top[0] ? top : "unknown addresses");
	}
	free(t);
	return ret;
}

/* ---- 6. disk usage ---- */

int audit_used_percent(uint64_t used, uint64_t avail)
{
	uint64_t total = used + avail;

	return total ? (int)((used * 100 + total - 1) / total) : 0;
}

/* The filesystem that holds path: path itself, or its nearest existing parent. */
static int nearest_existing(const char *path, char *out, size_t len, struct stat *st)
{
	snprintf(out, len, "%s", path);
	for (;;) {
		char *slash;

		if (!stat(out[0] ? out : "/", st))
			return 0;
		slash = strrchr(out, '/');
		if (!slash)
			return -ENOENT;
		*slash = '\0';
	}
}

static int check_one_disk(const struct audit_ctx *ctx, const char *host_path, const char *what,
			  dev_t *seen, size_t *n_seen, struct audit_report *r)
{
	char path[PATH_MAX], at[PATH_MAX], fix[PATH_MAX + 128];
	struct statvfs vfs;
	struct stat st;
	int blocks, inodes;

	audit_path(ctx, host_path, path, sizeof(path));
	if (nearest_existing(path, at, sizeof(at), &st) || statvfs(at[0] ? at : "/", &vfs))
		return -ENOENT;
	for (size_t i = 0; i < *n_seen; i++)
		if (seen[i] == st.st_dev)
			return 0;
	seen[(*n_seen)++] = st.st_dev;
	blocks = audit_used_percent(vfs.f_blocks - vfs.f_bfree, vfs.f_bavail);
	inodes = vfs.f_files ? audit_used_percent(vfs.f_files - vfs.f_ffree, vfs.f_favail) : 0;
	if (blocks <= ctx->cfg->disk_max_percent && inodes <= ctx->cfg->disk_max_percent)
		return 0;
	snprintf(fix, sizeof(fix), "free space there (du -xh -d 2 %s | sort -h | tail) or grow the "
		 "filesystem; a full disk stops agents' work and warden's logs",
		 shown(ctx, at[0] ? at : "/"));
	return audit_add(r, "host.disk", AUDIT_MEDIUM, fix,
			 "the filesystem holding %s (%s) is %d%% full, %d%% of its inodes used "
			 "(audit.diskMaxPercent: %d)", host_path, what, blocks, inodes,
			 ctx->cfg->disk_max_percent);
}

int audit_check_disk(const struct audit_ctx *ctx, struct audit_report *r)
{
	size_t n = ctx->policy ? ctx->policy->n_agents : 0, n_seen = 0;
	dev_t *seen = calloc(n + 1, sizeof(*seen));
	char state_dir[PATH_MAX], what[128];
	int ret;

	if (!seen)
		return -ENOMEM;
	parent_dir(ctx->cfg->state_file, state_dir, sizeof(state_dir));
	ret = check_one_disk(ctx, state_dir, "warden's state", seen, &n_seen, r);
	if (ret == -ENOENT)
		ret = 0;
	for (size_t i = 0; !ret && i < n; i++) {
		const struct agent_policy *a = &ctx->policy->agents[i];

		if (!a->workspace)
			continue;
		snprintf(what, sizeof(what), "agent %s's workspace", a->name);
		ret = check_one_disk(ctx, a->workspace, what, seen, &n_seen, r);
		if (ret == -ENOENT)
			ret = 0;
	}
	free(seen);
	return ret;
}

/* ---- 7. secrets ---- */

#define SECRETS_MAX_DEPTH 8
#define SECRETS_MAX_ENTRIES 200000 /* a bound on the walk, not on what is reported */

/* A file seen by the scan: for secrets.hardlinks. */
struct seen_file {
	dev_t dev;
	ino_t ino;
	char *path;          /* host path */
	const char *denied;  /* the deny entry its name or path matches; NULL: none */
};

struct secret_scan {
	const struct audit_ctx *ctx;
	struct strv patterns;   /* basename patterns of every agent's fs.deny */
	struct strv reported;   /* host paths already reported */
	struct seen_file *files; /* files with more than one link, denied or not */
	size_t n_files, cap_files;
	size_t budget;          /* entries left to look at */
	const char *where;      /* "agent a's workspace" */
	struct audit_report *r;
	int err;
};

static const char *secret_pattern(const struct secret_scan *s, const char *name)
{
	/* the policy allows one '*' at the start or end: fnmatch reads that as the kernel does */
	for (size_t i = 0; i < s->patterns.n; i++)
		if (!fnmatch(s->patterns.v[i], name, 0))
			return s->patterns.v[i];
	return NULL;
}

static void report_secret(struct secret_scan *s, const char *path, mode_t mode,
			  const char *pattern, bool others_reach)
{
	char fix[PATH_MAX + 64];
	int err = 0;

	if (!s->r || strv_contains(&s->reported, path))
		return;
	if (strv_push(&s->reported, path)) {
		s->err = -ENOMEM;
		return;
	}
	if (others_reach && (mode & S_IROTH)) {
		snprintf(fix, sizeof(fix), "chmod o-r %s (secrets belong in 0600 files out of agents' "
			 "reach)", path);
		err = audit_add(s->r, "secrets.readable", AUDIT_HIGH, fix,
				"%s matches the deny pattern \"%s\" and every user can read it "
				"(mode %04o)", path, pattern, (unsigned)(mode & 07777));
	}
	if (!err)
		err = audit_add(s->r, "secrets.in-workspace", AUDIT_HIGH,
				"move it out: the kernel denies it to the agent, but a secret inside "
				"a workspace or shared directory is one policy mistake from exposure",
				"%s matches the deny pattern \"%s\" and sits in %s", path, pattern,
				s->where);
	s->err = s->err ?: err;
}

/* Remembers a file with more than one link; denied: the entry covering it, or NULL. */
static void note_linked(struct secret_scan *s, const char *path, const struct stat *st,
			const char *denied)
{
	struct seen_file *f;

	if (st->st_nlink < 2 || s->err)
		return;
	if (ARRAY_GROW(s->files, &s->cap_files, s->n_files + 1)) {
		s->err = -ENOMEM;
		return;
	}
	f = &s->files[s->n_files];
	*f = (struct seen_file){ .dev = st->st_dev, .ino = st->st_ino, .path = strdup(path),
				 .denied = denied };
	if (!f->path)
		s->err = -ENOMEM;
	else
		s->n_files++;
}

/*
 * path: the host path of dfd's directory, extended in place while walking.
 * dir_denied: the deny pattern a directory above matched (patterns hold
 * for every component, as in the kernel), or NULL.
 */
static void scan_dir(struct secret_scan *s, int dfd, char *path, size_t cap, int depth,
		     bool others_reach, const char *dir_denied)
{
	size_t len = strlen(path);
	struct dirent *de;
	DIR *d = fdopendir(dfd);

	if (!d) {
		close(dfd);
		return;
	}
	while (!s->err && s->budget && (de = readdir(d))) {
		const char *pattern;
		struct stat st;

		path[len] = '\0';
		s->budget--;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    snprintf(path + len, cap - len, "/%s", de->d_name) >= (int)(cap - len))
			continue;
		pattern = secret_pattern(s, de->d_name);
		if (S_ISREG(st.st_mode) && (pattern || dir_denied)) {
			report_secret(s, path, st.st_mode, pattern ?: dir_denied, others_reach);
			note_linked(s, path, &st, pattern ?: dir_denied);
		} else if (S_ISREG(st.st_mode)) {
			note_linked(s, path, &st, NULL);
		} else if (S_ISDIR(st.st_mode) && depth < SECRETS_MAX_DEPTH) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				scan_dir(s, sub, path, cap, depth + 1,
					 others_reach && (st.st_mode & S_IXOTH), pattern ?: dir_denied);
		}
	}
	path[len] = '\0';
	closedir(d);
}

/* Every directory above path lets other users through. */
static bool others_can_reach(const char *path)
{
	char buf[PATH_MAX], *slash;
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	while ((slash = strrchr(buf, '/'))) {
		*slash = '\0';
		if (stat(buf[0] ? buf : "/", &st) || !(st.st_mode & S_IXOTH))
			return false;
	}
	return true;
}

static void scan_root(struct secret_scan *s, const char *host_path, const char *where)
{
	char rooted[PATH_MAX], path[PATH_MAX];
	const char *pattern, *base;
	struct stat st;
	int fd;

	if (audit_path(s->ctx, host_path, rooted, sizeof(rooted)) || stat(rooted, &st))
		return;
	s->where = where;
	snprintf(path, sizeof(path), "%s", host_path);
	if (S_ISREG(st.st_mode)) { /* a bind of one file */
		base = strrchr(host_path, '/') ? strrchr(host_path, '/') + 1 : host_path;
		if ((pattern = secret_pattern(s, base)))
			report_secret(s, path, st.st_mode, pattern, others_can_reach(rooted));
		note_linked(s, path, &st, pattern);
		return;
	}
	fd = open(rooted, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		scan_dir(s, fd, path, sizeof(path), 1,
			 others_can_reach(rooted) && (st.st_mode & S_IXOTH), NULL);
}

/* Linked files in or under an absolute deny path (/etc/shadow, /root/.ssh). */
static void note_deny_path(struct secret_scan *s, const char *deny)
{
	struct secret_scan sub = { .ctx = s->ctx, .budget = s->budget };
	char rooted[PATH_MAX], path[PATH_MAX];
	struct stat st;
	int fd;

	if (audit_path(s->ctx, deny, rooted, sizeof(rooted)) || stat(rooted, &st))
		return;
	if (S_ISREG(st.st_mode)) {
		note_linked(s, deny, &st, deny);
		return;
	}
	if (!S_ISDIR(st.st_mode) || (fd = open(rooted, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	/* every file below is denied: walk it with a scan that reports nothing */
	snprintf(path, sizeof(path), "%s", deny);
	sub.r = NULL;
	sub.where = "";
	scan_dir(&sub, fd, path, sizeof(path), 1, false, deny);
	for (size_t i = 0; i < sub.n_files; i++) {
		struct stat one = { .st_dev = sub.files[i].dev, .st_ino = sub.files[i].ino,
				    .st_nlink = 2 };

		note_linked(s, sub.files[i].path, &one, deny);
		free(sub.files[i].path);
	}
	free(sub.files);
	strv_free(&sub.reported);
	s->budget = sub.budget;
}

/*
 * secrets.hardlinks: the kernel judges a file by the name it is opened
 * under, so a hard link made before confinement (app/settings.txt ->
 * app/.env) reaches a denied file under an innocent name. Reported: every
 * linked file in a workspace or bind source whose inode is also seen under
 * a denied name or path.
 */
static int report_hardlinks(struct secret_scan *s)
{
	int err = 0;

	for (size_t i = 0; !err && i < s->n_files; i++) {
		const struct seen_file *f = &s->files[i];

		if (f->denied)
			continue;
		for (size_t j = 0; !err && j < s->n_files; j++) {
			const struct seen_file *g = &s->files[j];
			char fix[2 * PATH_MAX + 96];

			if (!g->denied || g->dev != f->dev || g->ino != f->ino)
				continue;
			snprintf(fix, sizeof(fix), "rm %s (a second name of %s; the kernel judges the "
				 "name a file is opened under)", f->path, g->path);
			err = audit_add(s->r, "secrets.hardlinks", AUDIT_HIGH, fix,
					"%s is a hard link to %s, which fs.deny \"%s\" denies: an agent "
					"reads the secret under the innocent name", f->path, g->path,
					g->denied);
			break;
		}
	}
	return err;
}

static int collect_patterns(const struct policy *p, struct strv *out)
{
	for (size_t i = 0; i <= p->n_agents; i++) {
		const struct agent_policy *a = i < p->n_agents ? &p->agents[i] : &p->defaults;

		for (size_t j = 0; j < a->fs.deny.n; j++) {
			const char *d = a->fs.deny.v[j];

			if (d[0] != '/' && !strv_contains(out, d) && strv_push(out, d))
				return -ENOMEM;
		}
	}
	return 0;
}

int audit_check_secrets(const struct audit_ctx *ctx, struct audit_report *r)
{
	struct secret_scan s = { .ctx = ctx, .budget = SECRETS_MAX_ENTRIES, .r = r };
	char where[PATH_MAX + 128];

	if (!ctx->policy)
		return -ENODATA;
	s.err = collect_patterns(ctx->policy, &s.patterns);
	for (size_t i = 0; !s.err && i <= ctx->policy->n_agents; i++) {
		const struct agent_policy *a = i < ctx->policy->n_agents ? &ctx->policy->agents[i]
									: &ctx->policy->defaults;

		for (size_t j = 0; !s.err && j < a->fs.deny.n; j++)
			if (a->fs.deny.v[j][0] == '/')
				note_deny_path(&s, a->fs.deny.v[j]);
	}
	for (size_t i = 0; !s.err && i < ctx->policy->n_agents; i++) {
		const struct agent_policy *a = &ctx->policy->agents[i];

		if (a->workspace) {
			snprintf(where, sizeof(where), "agent %s's workspace", a->name);
			scan_root(&s, a->workspace, where);
		}
		for (size_t j = 0; !s.err && j < a->binds.n; j++) {
			struct bind b;

			if (bind_parse(a->binds.v[j], &b))
				continue; /* validated by the policy parser */
			snprintf(where, sizeof(where), "a directory agent %s sees %s at %s", a->name,
				 b.rw ? "read-write" : "read-only", b.dst);
			scan_root(&s, b.src, where);
		}
	}
	if (!s.err)
		s.err = report_hardlinks(&s);
	for (size_t i = 0; i < s.n_files; i++)
		free(s.files[i].path);
	free(s.files);
	strv_free(&s.patterns);
	strv_free(&s.reported);
	return s.err;
}

/* ---- 9. amnesia ---- */

static int push_path(struct strv *paths, struct strv *whats, const char *path, const char *what)
{
	if (strv_contains(paths, path))
		return 0;
	return strv_push(paths, path) ?: strv_push(whats, what);
}

int audit_amnesia_paths(const struct agent_policy *a, struct strv *paths, struct strv *whats)
{
	char what[PATH_MAX + 64];
	struct bind b;
	int err = 0;

	for (size_t i = 0; !err && i < a->binds.n; i++) {
		if (bind_parse(a->binds.v[i], &b) || b.rw)
			continue;
		snprintf(what, sizeof(what), "its read-only bind at %s", b.dst);
		err = push_path(paths, whats, b.src, what);
	}
	for (size_t i = 0; !err && i < a->fs.must_read.n; i++)
		err = push_path(paths, whats, a->fs.must_read.v[i], "fs.mustRead");
	return err;
}

/* Why the open failed decides the fix: warden's rules, file permissions, or a missing file. */
static void amnesia_fix(const char *agent, const char *user, int err, char *fix, size_t len)
{
	if (err == EPERM)
		snprintf(fix, len, "warden's policy refuses it: if a change cut it off, let it read "
			 "again (no fs.deny match; fs.readOnly or an :ro bind) and warden reload; a "
			 "file replaced on disk (a new inode) also needs warden reload; then warden "
			 "audit --agent %s", agent);
	else if (err == EACCES)
		snprintf(fix, len, "file permissions refuse it: make it readable by user %s (the "
			 "agent's), e.g. with a group and chmod g+r, then warden audit --agent %s",
			 user, agent);
	else if (err == ENOENT)
		snprintf(fix, len, "restore it, or take it out of the policy and warden reload");
	else
		snprintf(fix, len, "find out why it fails, then warden audit --agent %s", agent);
}

int audit_amnesia_findings(const char *agent, const char *user, const struct strv *paths,
			   const struct strv *whats, const int *errs, struct audit_report *r)
{
	char fix[512];
	int ret = 0;

	for (size_t i = 0; !ret && i < paths->n; i++) {
		if (!errs[i])
			continue;
		amnesia_fix(agent, user, errs[i], fix, sizeof(fix));
		ret = audit_add(r, "agent.amnesia", AUDIT_HIGH, fix,
				"agent %s cannot read %s (%s) from inside its confinement: %s",
				agent, paths->v[i], whats->v[i], strerror(errs[i]));
	}
	return ret;
}

struct probe_head {
	int err; /* errno: the probe could not take the agent's place */
	char msg[512];
};

/* What the agent would get from open() and a first read (or directory listing). */
static int probe_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), err = 0;
	struct stat st;
	char c;

	if (fd < 0)
		return errno;
	if (fstat(fd, &st)) {
		err = errno;
	} else if (S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);

		errno = 0;
		if (!d || (!readdir(d) && errno))
			err = errno ?: EIO;
		if (d)
			closedir(d);
		return err;
	} else if (S_ISREG(st.st_mode) && read(fd, &c, 1) < 0) {
		err = errno;
	}
	close(fd);
	return err;
}

/* The daemon places the caller (SO_PEERCRED) in a new cgroup of the agent, as for `warden run`. */
static int join_agent(const char *agent, char *msg, size_t len)
{
	json_object *req = json_object_new_object(), *reply = NULL, *v;
	const char *cgroup;
	char where[4096];
	int ret;

	json_object_object_add(req, "op", json_object_new_string("run"));
	json_object_object_add(req, "agent", json_object_new_string(agent));
	ret = control_call(req, &reply, msg, len);
	json_object_put(req);
	if (ret)
		return EIO;
	v = json_get(reply, "ok");
	if (!v || !json_object_get_boolean(v)) {
		snprintf(msg, len, "%s", json_str(json_get(reply, "error")) ?: "the daemon refused");
		ret = EPERM;
	} else if (!(cgroup = json_str(json_get(reply, "cgroup"))) || cgroup_of_pid(0, where, sizeof(where)) ||
		   !starts_with(cgroup, CGROUP2_ROOT) || strcmp(cgroup + strlen(CGROUP2_ROOT), where)) {
		/* the kernel's word, not the daemon's: the probe must really be in the cgroup */
		snprintf(msg, len, "the daemon did not confine the probe in a cgroup of the agent "
			 "(is it confined in the daemon's policy?)");
		ret = EPERM;
	}
	json_object_put(reply);
	return ret;
}

static void write_all(int fd, const void *buf, size_t len)
{
	for (const char *p = buf; len;) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static __attribute__((noreturn)) void probe_child(const char *agent, uid_t uid, gid_t gid,
						  const struct strv *paths, audit_probe_fn probe,
						  int out)
{
	struct probe_head h = {};

	h.err = join_agent(agent, h.msg, sizeof(h.msg));
	/* the sandbox runs agents as their policy user: so must the probe */
	if (!h.err && (setgroups(0, NULL) || setgid(gid) || setuid(uid))) {
		h.err = errno;
		snprintf(h.msg, sizeof(h.msg), "cannot become uid %u: %s", (unsigned)uid,
			 strerror(h.err));
	}
	write_all(out, &h, sizeof(h));
	for (size_t i = 0; !h.err && i < paths->n; i++) {
		int e = probe(paths->v[i]);

		write_all(out, &e, sizeof(e));
	}
	_exit(h.err ? 1 : 0);
}

static int read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	for (char *p = buf; len;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int audit_run_probe(const char *agent, uid_t uid, gid_t gid, const struct strv *paths,
		    audit_probe_fn probe, int *errs, char *msg, size_t msglen)
{
	struct probe_head h = {};
	int ours, theirs, ret;
	pid_t pid = fork_piped(SPAWN_STDOUT, &ours, &theirs);

	if (pid < 0)
		return pid;
	if (pid == 0)
		probe_child(agent, uid, gid, paths, probe, theirs);
	ret = read_exact(ours, &h, sizeof(h), PROBE_TIMEOUT_MS);
	if (!ret && h.err) {
		snprintf(msg, msglen, "%s", h.msg);
		ret = -h.err;
	}
	if (!ret)
		ret = read_exact(ours, errs, paths->n * sizeof(*errs), PROBE_TIMEOUT_MS);
	if (ret == -ETIMEDOUT || ret == -EPIPE)
		snprintf(msg, msglen, "the probe %s", ret == -EPIPE ? "died" : "did not answer in time");
	close(ours);
	kill(pid, SIGKILL); /* it is done or stuck: either way it goes */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return ret;
}

int audit_probe_agent(const struct agent_policy *a, const char *id, const char *verb,
		      const struct strv *items, audit_probe_fn probe, int *errs,
		      struct audit_report *r)
{
	const char *user = a->user ?: DEFAULT_AGENT_USER;
	char msg[512] = "", fix[512];
	uid_t uid;
	gid_t gid;
	int ret;

	if (user_ids(user, &uid, &gid)) {
		snprintf(fix, sizeof(fix), "create the user or change agents.%s.user", a->name);
		return audit_add(r, id, AUDIT_HIGH, fix,
				 "agent %s runs as user \"%s\", which this host does not have",
				 a->name, user);
	}
	ret = audit_run_probe(a->name, uid, gid, items, probe, errs, msg, sizeof(msg));
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		snprintf(fix, sizeof(fix), "warden run --agent %s --no-sandbox -- true fails the "
			 "same way; fix that first", a->name);
		return audit_add(r, id, AUDIT_HIGH, fix, "cannot check what agent %s can %s: %s",
				 a->name, verb, msg[0] ? msg : strerror(-ret));
	}
	return 1;
}

int audit_check_amnesia(const struct audit_ctx *ctx, const struct agent_policy *a,
			struct audit_report *r)
{
	const char *user = a->user ?: DEFAULT_AGENT_USER;
	struct strv paths = {}, whats = {};
	int *errs = NULL, ret;

	if (!a->confined)
		return 0;
	if (!ctx->status || ctx->root[0])
		return -ENODATA; /* it needs the real daemon */
	ret = audit_amnesia_paths(a, &paths, &whats);
	if (ret || !paths.n)
		goto out;
	errs = calloc(paths.n, sizeof(*errs));
	if (!errs) {
		ret = -ENOMEM;
		goto out;
	}
	ret = audit_probe_agent(a, "agent.amnesia", "read", &paths, probe_open, errs, r);
	if (ret > 0)
		ret = audit_amnesia_findings(a->name, user, &paths, &whats, errs, r);
out:
	free(errs);
	strv_free(&paths);
	strv_free(&whats);
	return ret;
}

/* ---- the state between runs ---- */

int audit_state_load(const char *path, uint64_t *events_dropped)
{
	char *text = NULL;
	json_object *o, *v;
	int ret;

	*events_dropped = 0;
	ret = read_text(path, &text);
	if (ret)
		return ret;
	o = json_tokener_parse(text);
	v = json_get(o, "eventsDropped");
	if (v && json_object_is_type(v, json_type_int))
		*events_dropped = json_object_get_uint64(v);
	else
		ret = -EBADMSG;
	json_object_put(o);
	free(text);
	return ret;
}

static int mkdir_parents(const char *file, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", file) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int audit_state_save(const char *path, uint64_t events_dropped, time_t now)
{
	json_object *o = json_object_new_object();
	char tmp[PATH_MAX], ts[32];
	const char *text;
	struct tm tm;
	int fd, ret;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "eventsDropped", json_object_new_uint64(events_dropped));
	json_object_object_add(o, "lastAudit", json_object_new_string(ts));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ret = mkdir_parents(path, 0700);
	if (!ret && snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		ret = -ENAMETOOLONG;
	if (ret)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || write(fd, "\n", 1) != 1)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	json_object_put(o);
	return ret;
}
