// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden audit`: the morning check of the host and of warden itself
 * (layer 5). Silent with exit 0 when every check passes, so a timer or a
 * cron line can run it daily and mail or log only when there is something
 * to do; otherwise one line per finding (and its fix) and exit 1.
 *
 * The checks live beside it, one file a group (audit_checks.h); this file
 * gathers what they look at (options, config, the daemon's status, the
 * policy), runs them, keeps the state between runs and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_checks.h"
#include "commands.h"
#include "control.h"
#include "log.h"
#include "text.h"

#define DEFAULT_POLICY "/etc/warden/policy.json"
#define EXIT_FINDINGS 1
#define EXIT_USAGE 2

struct audit_opts {
	bool json;
	const char *config;
	const char *agent;
	const char *policy;
	char root[PATH_MAX]; /* "" or a directory without a trailing '/' */
};

static void audit_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden audit [--json] [--config FILE] [--policy FILE] [--agent NAME]\n"
		"                    [--root DIR] [--verbose]\n"
		"\n"
		"Checks the host and warden itself: the BPF LSM, the daemon, pinning, agents'\n"
		"cgroups, drift, dropped events, the firewall, fail2ban, listening ports, the\n"
		"Docker API, failed SSH logins, disk usage, secrets in reach of agents, the\n"
		"policy's permissions, and that every confined agent can still read its\n"
		"read-only binds and fs.mustRead paths and reach its network.mustReach\n"
		"destinations. Prints nothing and exits 0 when all is\n"
		"well; otherwise one line per finding and its fix, and exits 1. Exit 2: bad\n"
		"usage or config, nothing audited.\n"
		"\n"
		"  -j, --json         one JSON array of findings (id, severity, message, fix)\n"
		"  -c, --config FILE  thresholds and allowed ports (an \"audit\" object);\n"
		"                     default " AUDIT_DEFAULT_CONFIG " when it exists\n"
		"  -p, --policy FILE  the policy to audit (default: the daemon's, else\n"
		"                     " DEFAULT_POLICY ")\n"
		"  -a, --agent NAME   only check that agent NAME can read and reach what it must\n"
		"                     (run it after every policy change)\n"
		"  -r, --root DIR     read the host's files and tool outputs under DIR (tests;\n"
		"                     writes nothing, asks no daemon)\n"
		"  -v, --verbose      also say which checks could not run\n"
		"  -h, --help         this text\n");
}

static int parse_opts(int argc, char **argv, struct audit_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' },
		{ "agent", required_argument, NULL, 'a' },
		{ "root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct stat st;
	size_t n;
	int c;

	while ((c = getopt_long(argc, argv, "jc:p:a:r:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 'c': o->config = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'a': o->agent = optarg; break;
		case 'r': snprintf(o->root, sizeof(o->root), "%s", optarg); break;
		case 'v': log_verbose = true; break;
		case 'h': audit_usage(stdout); return 0;
		default: audit_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("audit: unexpected argument \"%s\"", argv[optind]);
		return EXIT_USAGE;
	}
	for (n = strlen(o->root); n && o->root[n - 1] == '/'; n--)
		o->root[n - 1] = '\0';
	if (o->root[0] && (stat(o->root, &st) || !S_ISDIR(st.st_mode))) {
		log_error("audit: --root %s: not a directory", o->root);
		return EXIT_USAGE;
	}
	return -1; /* go on */
}

static int load_config(const struct audit_opts *o, struct audit_config *cfg)
{
	char path[PATH_MAX], err[1024];
	int ret;

	if (audit_config_init(cfg)) {
		log_error("audit: out of memory");
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "%s%s", o->root, AUDIT_DEFAULT_CONFIG);
	ret = audit_config_load(o->config ?: path, cfg, err, sizeof(err));
	if (ret == -ENOENT && !o->config)
		return 0; /* no config file: the built-in defaults */
	if (ret)
		log_error("audit: %s", err);
	return ret;
}

/* The daemon's status reply, or NULL with *err; under --root, ROOT/cmd/warden-status.json. */
static json_object *daemon_status(const char *root, int *err)
{
	json_object *req, *reply = NULL;
	char path[PATH_MAX], msg[1024];

	if (root[0]) {
		snprintf(path, sizeof(path), "%s/cmd/warden-status.json", root);
		reply = json_object_from_file(path);
		*err = reply ? 0 : -ECONNREFUSED;
		return reply;
	}
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("status"));
	*err = control_call(req, &reply, msg, sizeof(msg));
	json_object_put(req);
	log_debug("audit: daemon status: %s", *err ? msg : "answered");
	return *err ? NULL : reply;
}

/*
 * The policy file: --policy as given; else the file the daemon runs (a
 * relative name is relative to the daemon's working directory); else the
 * default. Paths that are not from the command line are under --root.
 */
static void policy_file(const struct audit_opts *o, json_object *status, char *out, size_t len)
{
	json_object *v, *pid;

	if (o->policy) {
		snprintf(out, len, "%s", o->policy);
	} else if (json_object_object_get_ex(status, "policy", &v) &&
		   json_object_is_type(v, json_type_string)) {
		const char *p = json_object_get_string(v);

		if (p[0] != '/' && json_object_object_get_ex(status, "daemonPid", &pid))
			snprintf(out, len, "%s/proc/%d/cwd/%s", o->root, json_object_get_int(pid), p);
		else
			snprintf(out, len, "%s%s", o->root, p);
	} else {
		snprintf(out, len, "%s%s", o->root, DEFAULT_POLICY);
	}
}

static struct policy *load_policy(const char *file, struct audit_report *r)
{
	struct policy *p;
	char err[2048];

	p = policy_load(file, err, sizeof(err));
	if (!p)
		audit_add(r, "warden.policy", AUDIT_HIGH,
			  "fix it (warden check FILE says where), or name the right one with --policy",
			  "the policy cannot be audited: %s", err);
	return p;
}

struct named_check {
	const char *name;
	int (*fn)(const struct audit_ctx *ctx, struct audit_report *r);
};

static const struct named_check host_checks[] = {
	{ "bpf-lsm", audit_check_bpf_lsm },
	{ "daemon", audit_check_daemon },
	{ "pinned", audit_check_pinned },
	{ "drift", audit_check_drift },
	{ "version", audit_check_version },
	{ "policy-perms", audit_check_policy_perms },
	{ "firewall", audit_check_firewall },
	{ "fail2ban", audit_check_fail2ban },
	{ "listening", audit_check_listening },
	{ "ssh-failures", audit_check_ssh_failures },
	{ "disk", audit_check_disk },
	{ "secrets", audit_check_secrets },
};

/* Returns -ENOMEM only; other failures mean the check could not look, which is not a finding. */
static int ran(const char *name, int ret)
{
	if (ret && ret != -ENOMEM)
		log_debug("audit: check %s could not run: %s", name, strerror(-ret));
	return ret == -ENOMEM ? ret : 0;
}

/*
 * A run that started after the status was taken has a cgroup the status
 * cannot list: before calling any cgroup unmanaged, ask the daemon again.
 */
static int check_cgroups(struct audit_ctx *ctx, struct audit_report *r)
{
	struct audit_report first = {}, second = {};
	struct audit_ctx again = *ctx;
	int ret, err;

	ret = ran("agent-cgroups", audit_check_agent_cgroups(ctx, &first));
	if (!ret && (!first.n || ctx->root[0]))
		return audit_report_move(r, &first);
	audit_report_free(&first);
	if (ret)
		return ret;
	again.status = daemon_status("", &err);
	if (!again.status)
		return 0; /* it stopped meanwhile: warden.daemon already says so */
	ret = ran("agent-cgroups", audit_check_agent_cgroups(&again, &second));
	ret = ret ?: audit_report_move(r, &second);
	audit_report_free(&second);
	json_object_put(again.status);
	return ret;
}

/* Dropped events since the last run; the state is saved for the next (never under --root). */
static int check_dropped_events(const struct audit_ctx *ctx, struct audit_report *r)
{
	char path[PATH_MAX];
	uint64_t last = 0, now = 0;
	int ret;

	snprintf(path, sizeof(path), "%s%s", ctx->root, ctx->cfg->state_file);
	ret = audit_state_load(path, &last);
	if (ret && ret != -ENOENT)
		log_debug("audit: %s: %s; counting from 0", path, strerror(-ret));
	ret = audit_check_dropped_events(ctx, last, &now, r);
	if (ret)
		return ran("dropped-events", ret);
	if (ctx->root[0])
		return 0;
	ret = audit_state_save(path, now, ctx->now);
	if (ret)
		return audit_add(r, "warden.dropped-events", AUDIT_LOW,
				 "make sure the directory of audit.stateFile exists and is root's",
				 "cannot save %s (%s): the next audit cannot tell which dropped events "
				 "are new", path, strerror(-ret));
	return 0;
}

static int run_all(struct audit_ctx *ctx, struct audit_report *r)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(host_checks) / sizeof(host_checks[0]); i++)
		ret = ran(host_checks[i].name, host_checks[i].fn(ctx, r));
	ret = ret ?: check_cgroups(ctx, r);
	ret = ret ?: check_dropped_events(ctx, r);
	/* last: the probes' cgroups must not disturb the cgroup check */
	for (size_t i = 0; !ret && ctx->policy && i < ctx->policy->n_agents; i++)
		ret = ran("amnesia", audit_check_amnesia(ctx, &ctx->policy->agents[i], r)) ?:
		      ran("reach", audit_check_reach(ctx, &ctx->policy->agents[i], r));
	return ret;
}

/* --agent NAME: only the amnesia and reach checks, for after a policy change. */
static int run_agent(struct audit_ctx *ctx, const char *name, struct audit_report *r)
{
	const struct agent_policy *a;

	/* no daemon, no probe: that is the news, whatever the policy file says */
	if (!ctx->status && !ctx->root[0])
		return audit_check_daemon(ctx, r);
	if (!ctx->policy)
		return 0; /* warden.policy says why */
	a = policy_agent(ctx->policy, name);
	if (!a) {
		log_error("audit: agent \"%s\" is not in the policy %s", name, ctx->policy->path);
		return -EINVAL;
	}
	if (ctx->root[0]) {
		log_error("audit: --agent needs the real daemon and kernel; it cannot run with --root");
		return -EINVAL;
	}
	if (!a->confined)
		log_debug("audit: agent %s is not confined: nothing to check", name);
	return audit_check_amnesia(ctx, a, r) ?: audit_check_reach(ctx, a, r);
}

static void print_json(const struct audit_report *r, const char *host)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < r->n; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "id", json_object_new_string(r->v[i].id));
		json_object_object_add(f, "severity",
				       json_object_new_string(audit_severity_name(r->v[i].severity)));
		json_object_object_add(f, "message", json_object_new_string(r->v[i].message));
		json_object_object_add(f, "fix", json_object_new_string(r->v[i].fix));
		json_object_object_add(f, "host", json_object_new_string(host));
		json_object_object_add(f, "version", json_object_new_string(WARDEN_VERSION));
		json_object_array_add(arr, f);
	}
	puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
}

static void print_text(const struct audit_report *r, const char *host)
{
	size_t count[AUDIT_LOW + 1] = {};
	char summary[128] = "";

	for (size_t i = 0; i < r->n; i++)
		count[r->v[i].severity]++;
	for (int s = AUDIT_CRITICAL; s <= AUDIT_LOW; s++)
		if (count[s])
			snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary),
				 "%s%zu %s", summary[0] ? ", " : "", count[s],
				 audit_severity_name(s));
	/* the host's name first: this often arrives by mail, one of many hosts */
	printf("warden audit on %s (warden %s): %zu finding%s (%s)\n", host, WARDEN_VERSION, r->n,
	       r->n == 1 ? "" : "s", summary);
	/* findings quote file names and tool output an agent may have chosen: escaped */
	for (size_t i = 0; i < r->n; i++) {
		printf("%s %s: ", audit_severity_name(r->v[i].severity), r->v[i].id);
		text_fputs(r->v[i].message, stdout);
		printf("\n  fix: ");
		text_fputs(r->v[i].fix, stdout);
		putchar('\n');
	}
}

int cmd_audit(int argc, char **argv)
{
	struct audit_opts o = {};
	struct audit_config cfg;
	struct audit_report r = {};
	struct audit_ctx ctx = {};
	struct policy *policy = NULL;
	char policy_path[PATH_MAX], host[256] = "localhost";
	int ret = parse_opts(argc, argv, &o);

	if (ret >= 0)
		return ret;
	if (load_config(&o, &cfg))
		return EXIT_USAGE;
	ctx.root = o.root;
	ctx.cfg = &cfg;
	ctx.now = time(NULL);
	ctx.status = daemon_status(o.root, &ctx.status_err);
	policy_file(&o, ctx.status, policy_path, sizeof(policy_path));
	ctx.policy_path = policy_path;
	/* --agent without a daemon has one thing to say, warden.daemon: no policy needed */
	if (!o.agent || ctx.status || o.root[0])
		ctx.policy = policy = load_policy(policy_path, &r);

	ret = o.agent ? run_agent(&ctx, o.agent, &r) : run_all(&ctx, &r);
	if (ret == -ENOMEM)
		log_error("audit: out of memory");
	if (ret) {
		ret = EXIT_USAGE;
		goto out;
	}
	ret = r.n ? EXIT_FINDINGS : 0;
	if (!r.n)
		goto out; /* silent when clean: a timer or cron then logs and mails nothing */
	audit_report_sort(&r);
	gethostname(host, sizeof(host) - 1);
	if (o.json)
		print_json(&r, host);
	else
		print_text(&r, host);
out:
	audit_report_free(&r);
	policy_free(policy);
	json_object_put(ctx.status);
	audit_config_free(&cfg);
	return ret;
}
