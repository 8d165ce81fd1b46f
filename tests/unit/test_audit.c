// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden audit`'s checks on fixture trees (tests/unit/fixtures/audit/,
 * read through the checks' root prefix) and on trees built here where
 * file modes matter (git keeps no modes): every check must report what is
 * wrong and stay silent when nothing is.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit_checks.h"
#include "commands.h"
#include "policy.h"

static char fixtures[2 * PATH_MAX]; /* .../tests/unit/fixtures/audit */
static char root[3 * PATH_MAX];
static struct audit_config cfg;
static struct audit_report rep;
static time_t test_now; /* 2026-11-27T12:00:00Z, the time the SSH fixtures are written for */

/* A context over fixture NAME ("" for no root at all), with the default config. */
static struct audit_ctx ctx_for(const char *name)
{
	struct audit_ctx ctx = { .root = root, .cfg = &cfg, .now = test_now,
				 .status_err = -ECONNREFUSED };

	if (name[0])
		snprintf(root, sizeof(root), "%s/%s", fixtures, name);
	else
		root[0] = '\0';
	return ctx;
}

static int setup(void **state)
{
	audit_report_free(&rep);
	audit_config_free(&cfg);
	assert_int_equal(audit_config_init(&cfg), 0);
	return 0;
}

static int teardown(void **state)
{
	audit_report_free(&rep);
	audit_config_free(&cfg);
	return 0;
}

/* Some finding with this id has a message (or, with "fix:", a fix) containing needle. */
static void expect_finding(const char *id, const char *needle)
{
	bool in_fix = !strncmp(needle, "fix:", 4);

	for (size_t i = 0; i < rep.n; i++)
		if (!strcmp(rep.v[i].id, id) &&
		    strstr(in_fix ? rep.v[i].fix : rep.v[i].message, in_fix ? needle + 4 : needle))
			return;
	for (size_t i = 0; i < rep.n; i++)
		print_message("  %s: %s (fix: %s)\n", rep.v[i].id, rep.v[i].message, rep.v[i].fix);
	fail_msg("no %s finding with \"%s\"", id, needle);
}

static void expect_silence(void)
{
	for (size_t i = 0; i < rep.n; i++)
		print_message("  unexpected %s: %s\n", rep.v[i].id, rep.v[i].message);
	assert_int_equal(rep.n, 0);
}

static json_object *json(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static struct policy *policy(const char *text)
{
	char err[1024];
	struct policy *p = policy_parse(text, "p.json", err, sizeof(err));

	if (!p)
		fail_msg("policy: %s", err);
	return p;
}

/* ---- report, config, state, tool outputs ---- */

static void test_report_sorts_by_severity_stably(void **state)
{
	const char *order[] = { "c.first", "c.second", "m", "l" };

	audit_add(&rep, "l", AUDIT_LOW, "f", "low");
	audit_add(&rep, "c.first", AUDIT_CRITICAL, "f", "one");
	audit_add(&rep, "m", AUDIT_MEDIUM, "f", "medium %d", 3);
	audit_add(&rep, "c.second", AUDIT_CRITICAL, "f", "two");
	audit_report_sort(&rep);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(rep.v[i].id, order[i]);
	assert_string_equal(audit_find(&rep, "m")->message, "medium 3");
	assert_int_equal(audit_count(&rep, "c.first"), 1);
	assert_string_equal(audit_severity_name(AUDIT_HIGH), "high");
}

static void test_config_defaults_and_values(void **state)
{
	char err[512] = "";

	assert_int_equal(cfg.n_allowed_ports, 1);
	assert_int_equal(cfg.allowed_ports[0], 22);
	assert_int_equal(cfg.disk_max_percent, 90);
	assert_int_equal(cfg.ssh_failures_max, 20);
	assert_string_equal(cfg.state_file, "/var/lib/warden/audit-state.json");
	assert_int_equal(audit_config_parse(
		"{ /* json-c takes comments */ \"audit\": { \"allowedPorts\": [22, 443, 8443],\n"
		"  \"diskMaxPercent\": 80, \"sshFailuresMax\": 0, \"stateFile\": \"/srv/a.json\" } }",
		"c.json", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_allowed_ports, 3);
	assert_int_equal(cfg.allowed_ports[2], 8443);
	assert_int_equal(cfg.disk_max_percent, 80);
	assert_int_equal(cfg.ssh_failures_max, 0);
	assert_string_equal(cfg.state_file, "/srv/a.json");
	/* an empty section keeps the defaults */
	assert_int_equal(audit_config_parse("{\"audit\": {}}", "c.json", &cfg, err, sizeof(err)), 0);
}

static void expect_config_error(const char *text, const char *needle)
{
	char err[512] = "";

	assert_int_equal(audit_config_parse(text, "c.json", &cfg, err, sizeof(err)), -EINVAL);
	if (strncmp(err, "c.json: ", 8) || !strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void test_config_errors_name_the_location(void **state)
{
	char err[512];

	expect_config_error("{\"audit\": {\"allowedports\": [22]}}",
			    "audit.allowedports: unknown key \"allowedports\" (known here: "
			    "allowedPorts, diskMaxPercent, sshFailuresMax, stateFile)");
	expect_config_error("{\"audit\": {\"allowedPorts\": [22, \"443\"]}}",
			    "audit.allowedPorts[1]: expected an integer from 1 to 65535, got a string");
	expect_config_error("{\"audit\": {\"allowedPorts\": [70000]}}",
			    "audit.allowedPorts[0]: 70000 is not from 1 to 65535");
	expect_config_error("{\"audit\": {\"allowedPorts\": 22}}",
			    "audit.allowedPorts: expected an array, got an integer");
	expect_config_error("{\"audit\": {\"diskMaxPercent\": 0}}", "audit.diskMaxPercent: 0 is not");
	expect_config_error("{\"audit\": {\"sshFailuresMax\": -1}}", "audit.sshFailuresMax");
	expect_config_error("{\"audit\": {\"stateFile\": \"state.json\"}}",
			    "audit.stateFile: \"state.json\" is not an absolute path");
	expect_config_error("{\"audit\": []}", "audit: expected an object, got an array");
	expect_config_error("{\"version\": 1}", "version: unknown key \"version\" (known here: audit)");
	expect_config_error("[]", "(top level): expected an object, got an array");
	expect_config_error("{\n  \"audit\": {,}\n}", "line 2, column");
	expect_config_error("{\"audit\": {}} {}", "text after the object");
	assert_int_equal(audit_config_load("/no/such/audit.json", &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/no/such/audit.json: cannot read"));
}

static void test_state_round_trip(void **state)
{
	char dir[] = "/tmp/warden-audit-state-XXXXXX", path[PATH_MAX];
	uint64_t v = 99;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/var/lib/warden/audit-state.json", dir);
	assert_int_equal(audit_state_load(path, &v), -ENOENT);
	assert_int_equal(v, 0); /* the first run compares with 0 */
	assert_int_equal(audit_state_save(path, 42, test_now), 0);
	assert_int_equal(audit_state_load(path, &v), 0);
	assert_int_equal(v, 42);
	f = fopen(path, "w");
	fputs("{\"eventsDropped\": \"many\"}", f);
	fclose(f);
	assert_int_equal(audit_state_load(path, &v), -EBADMSG);
	assert_int_equal(v, 0);
	assert_int_equal(system(strcat(strcpy(path, "rm -rf "), dir)), 0);
}

static void test_tool_outputs(void **state)
{
	static const char *const f2b[] = { "fail2ban-client", "status", NULL };
	static const char *const yes[] = { "true", NULL };
	static const char *const no[] = { "false", NULL };
	static const char *const both[] = { "sh", "-c", "echo out; echo err >&2; echo $LC_ALL", NULL };
	static const char *const missing[] = { "warden-no-such-tool", NULL };
	struct audit_ctx ctx = ctx_for("f2b-sshd");
	char *out = NULL;

	assert_int_equal(audit_cmd_output(&ctx, "fail2ban-client-status", f2b, &out), 0);
	assert_non_null(strstr(out, "Jail list:"));
	free(out);
	ctx = ctx_for("f2b-down"); /* ROOT/cmd/NAME.exit holds a failing status */
	assert_int_equal(audit_cmd_output(&ctx, "fail2ban-client-status", f2b, &out), -EIO);
	assert_non_null(strstr(out, "Is fail2ban running?"));
	free(out);
	ctx = ctx_for("lsm-bpf"); /* no fixture: not installed */
	assert_int_equal(audit_cmd_output(&ctx, "fail2ban-client-status", f2b, &out), -ENOENT);
	assert_null(out);

	ctx = ctx_for(""); /* the real host */
	assert_int_equal(audit_cmd_output(&ctx, "true", yes, &out), 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(audit_cmd_output(&ctx, "false", no, &out), -EIO);
	free(out);
	assert_int_equal(audit_cmd_output(&ctx, "sh", both, &out), 0);
	assert_string_equal(out, "out\nerr\nC\n");
	free(out);
	assert_int_equal(audit_cmd_output(&ctx, "missing", missing, &out), -ENOENT);
}

/* ---- 1. warden itself ---- */

static void test_bpf_lsm(void **state)
{
	struct audit_ctx ctx = ctx_for("lsm-bpf");

	assert_int_equal(audit_check_bpf_lsm(&ctx, &rep), 0);
	expect_silence();
	ctx = ctx_for("lsm-nobpf");
	audit_check_bpf_lsm(&ctx, &rep);
	expect_finding("warden.bpf-lsm",
		       "not active (active LSMs: lockdown,capability,landlock,apparmor)");
	expect_finding("warden.bpf-lsm", "fix:lsm=lockdown,capability,landlock,apparmor,bpf");
	assert_int_equal(rep.v[0].severity, AUDIT_CRITICAL);
	audit_report_free(&rep);
	ctx = ctx_for("fw-none"); /* no securityfs at all */
	audit_check_bpf_lsm(&ctx, &rep);
	expect_finding("warden.bpf-lsm", "cannot read /sys/kernel/security/lsm");
}

static void test_daemon_pinned_drift(void **state)
{
	struct audit_ctx ctx = ctx_for("");
	json_object *drift12 = json("{\"drift\": []}");

	/* no daemon: one finding; the checks that need its status cannot run */
	assert_int_equal(audit_check_daemon(&ctx, &rep), 0);
	expect_finding("warden.daemon", "does not answer on /run/warden/warden.sock");
	assert_int_equal(audit_check_pinned(&ctx, &rep), -ENODATA);
	assert_int_equal(audit_check_drift(&ctx, &rep), -ENODATA);
	assert_int_equal(rep.n, 1);
	audit_report_free(&rep);

	ctx.status = json("{\"ok\": true, \"enforcing\": true, \"pinned\": true, \"drift\": []}");
	audit_check_daemon(&ctx, &rep);
	audit_check_pinned(&ctx, &rep);
	audit_check_drift(&ctx, &rep);
	expect_silence();
	json_object_put(ctx.status);

	/* an older daemon: no pinned, no drift fields */
	ctx.status = json("{\"ok\": true, \"enforcing\": false}");
	audit_check_daemon(&ctx, &rep);
	audit_check_pinned(&ctx, &rep);
	audit_check_drift(&ctx, &rep);
	expect_finding("warden.daemon", "does not enforce");
	expect_finding("warden.pinned", "fix:upgrade/restart the daemon");
	expect_finding("warden.drift", "fix:upgrade/restart the daemon");
	json_object_put(ctx.status);
	audit_report_free(&rep);

	ctx.status = json("{\"ok\": true, \"enforcing\": true, \"pinned\": false,"
			  " \"drift\": [\"agent coder: rule for /srv/knowledge missing\","
			  " {\"message\": \"agent_by_cgroup has 1 unknown cgroup\"}]}");
	audit_check_pinned(&ctx, &rep);
	audit_check_drift(&ctx, &rep);
	expect_finding("warden.pinned", "enforcement ends whenever the daemon stops");
	expect_finding("warden.drift", "rule for /srv/knowledge missing");
	expect_finding("warden.drift", "agent_by_cgroup has 1 unknown cgroup");
	assert_int_equal(audit_count(&rep, "warden.drift"), 2);
	assert_int_equal(audit_find(&rep, "warden.drift")->severity, AUDIT_CRITICAL);
	json_object_put(ctx.status);
	audit_report_free(&rep);

	/* a long list is cut at 10 findings plus one that counts the rest */
	for (int i = 0; i < 12; i++)
		json_object_array_add(json_object_object_get(drift12, "drift"),
				      json_object_new_string("x"));
	ctx.status = drift12;
	audit_check_drift(&ctx, &rep);
	assert_int_equal(audit_count(&rep, "warden.drift"), 11);
	expect_finding("warden.drift", "in 2 more places");
	json_object_put(drift12);
}

static void test_dropped_events(void **state)
{
	struct audit_ctx ctx = ctx_for("");
	uint64_t now = 0;

	assert_int_equal(audit_check_dropped_events(&ctx, 0, &now, &rep), -ENODATA);
	ctx.status = json("{\"counters\": {\"eventsDropped\": 5}}");
	assert_int_equal(audit_check_dropped_events(&ctx, 5, &now, &rep), 0);
	expect_silence();
	assert_int_equal(now, 5);
	audit_check_dropped_events(&ctx, 3, &now, &rep);
	expect_finding("warden.dropped-events", "2 events were dropped since the last audit");
	audit_report_free(&rep);
	/* below the remembered value: the daemon restarted, every drop is new */
	audit_check_dropped_events(&ctx, 10, &now, &rep);
	expect_finding("warden.dropped-events", "5 events were dropped");
	json_object_put(ctx.status);
}

static void test_version(void **state)
{
	struct audit_ctx ctx = ctx_for("version");

	ctx.status = json("{\"version\": \"" WARDEN_VERSION "\", \"daemonPid\": 999999}");
	assert_int_equal(audit_check_version(&ctx, &rep), 0);
	expect_silence();
	json_object_put(ctx.status);
	ctx.status = json("{\"version\": \"0.0.9\", \"daemonPid\": 4321}");
	audit_check_version(&ctx, &rep);
	expect_finding("warden.version", "the daemon runs warden 0.0.9, the installed warden is "
			   WARDEN_VERSION);
	expect_finding("warden.version", "binary /usr/local/bin/warden (deleted) was replaced");
	json_object_put(ctx.status);
}

static void test_agent_cgroups(void **state)
{
	struct audit_ctx ctx = ctx_for("cgroups");
	struct policy *p = policy("{\"version\": 1, \"agents\": {\"coder\": {},"
				  " \"researcher\": {}, \"main\": {\"confined\": false}}}");

	ctx.policy = p;
	ctx.status = json("{\"agents\": [{\"name\": \"coder\", \"confined\": true, \"cgroups\": ["
			  " \"/sys/fs/cgroup/warden/coder/run-10-1\","
			  " \"/sys/fs/cgroup/system.slice/docker-abc.scope\"]},"
			  " {\"name\": \"main\", \"confined\": false, \"cgroups\": []}]}");
	assert_int_equal(audit_check_agent_cgroups(&ctx, &rep), 0);
	expect_finding("warden.agent-cgroups", "agent researcher of p.json is not in the daemon's");
	expect_finding("warden.agent-cgroups", "cgroup /sys/fs/cgroup/warden/coder/run-11-2 of agent "
			   "coder has processes the daemon does not manage");
	expect_finding("warden.agent-cgroups", "attached cgroup "
			   "/sys/fs/cgroup/system.slice/docker-abc.scope of agent coder no longer exists");
	/* run-10-1 is managed, run-12-3 is empty */
	assert_int_equal(audit_count(&rep, "warden.agent-cgroups"), 3);
	json_object_put(ctx.status);
	policy_free(p);
	audit_report_free(&rep);

	p = policy("{\"version\": 1, \"agents\": {\"coder\": {}}}");
	ctx.policy = p;
	ctx.status = json("{\"agents\": [{\"name\": \"coder\", \"confined\": true, \"cgroups\": ["
			  " \"/sys/fs/cgroup/warden/coder/run-10-1\","
			  " \"/sys/fs/cgroup/warden/coder/run-11-2\"]}]}");
	audit_check_agent_cgroups(&ctx, &rep);
	expect_silence();
	json_object_put(ctx.status);
	policy_free(p);
	ctx.status = NULL;
	assert_int_equal(audit_check_agent_cgroups(&ctx, &rep), -ENODATA);
}

/* ---- 8. the policy's permissions ---- */

static void test_policy_perms(void **state)
{
	char dir[] = "/tmp/warden-audit-perms-XXXXXX", file[PATH_MAX], cmd[PATH_MAX];
	struct audit_ctx ctx = ctx_for("");
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/policy.json", dir);
	f = fopen(file, "w");
	fputs("{}", f);
	fclose(f);
	ctx.policy_path = file;
	chmod(dir, 0755);
	chmod(file, 0644);
	audit_check_policy_perms(&ctx, &rep);
	/* root's file: silent; anyone else's is a finding */
	if (geteuid() == 0)
		expect_silence();
	else
		expect_finding("warden.policy-perms", "not root");
	audit_report_free(&rep);
	if (geteuid() != 0)
		goto out; /* the modes below are judged after the owner, who is not root here */
	chmod(file, 0664);
	audit_check_policy_perms(&ctx, &rep);
	expect_finding("warden.policy-perms", "is writable by its group (mode 0664)");
	expect_finding("warden.policy-perms", "fix:chmod go-w ");
	audit_report_free(&rep);
	chmod(file, 0646);
	audit_check_policy_perms(&ctx, &rep);
	expect_finding("warden.policy-perms", "writable by every user (mode 0646)");
	audit_report_free(&rep);
	chmod(file, 0600);
	chmod(dir, 0777);
	audit_check_policy_perms(&ctx, &rep);
	expect_finding("warden.policy-perms", "whoever can write there can replace the policy");
	audit_report_free(&rep);
	chmod(dir, 01777); /* sticky: others cannot replace root's file */
	audit_check_policy_perms(&ctx, &rep);
	expect_silence();
out:
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- 2. firewall ---- */

static void test_firewall_fixtures(void **state)
{
	struct audit_ctx ctx = ctx_for("fw-nft-drop");

	/* an inet table with input policy drop covers IPv4 and the host's IPv6 */
	assert_int_equal(audit_check_firewall(&ctx, &rep), 0);
	expect_silence();
	ctx = ctx_for("fw-nft-accept"); /* Debian's default ruleset: accept; forward drop is no help */
	audit_check_firewall(&ctx, &rep);
	expect_finding("host.firewall", "incoming traffic is not denied by default");
	audit_report_free(&rep);
	ctx = ctx_for("fw-nft-ip-only");
	audit_check_firewall(&ctx, &rep);
	expect_finding("host.firewall", "IPv4 is denied by default but IPv6 is not");
	audit_report_free(&rep);
	ctx = ctx_for("fw-none");
	audit_check_firewall(&ctx, &rep);
	expect_finding("host.firewall", "none of nft, iptables or ufw is installed");
	assert_int_equal(rep.v[0].severity, AUDIT_HIGH);
	audit_report_free(&rep);
	ctx = ctx_for("fw-nft-eperm");
	audit_check_firewall(&ctx, &rep);
	expect_finding("host.firewall", "nft failed: Error: Could not process rule: Operation not");
}

static void test_firewall_parsers(void **state)
{
	const unsigned both = AUDIT_FW_V4 | AUDIT_FW_V6;

	/* firewalld: policy accept, an unconditional reject last */
	assert_int_equal(audit_nft_deny_families(
		"table inet firewalld {\n\tchain filter_INPUT {\n"
		"\t\ttype filter hook input priority filter + 10; policy accept;\n"
		"\t\tct state established,related accept\n\t\tiifname \"lo\" accept\n"
		"\t\treject with icmpx admin-prohibited\n\t}\n}\n"), both);
	assert_int_equal(audit_nft_deny_families(
		"table ip6 f {\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n"
		"\t\ttcp dport 22 accept\n\t\tcounter packets 3 bytes 180 drop\n\t}\n}\n"),
		AUDIT_FW_V6);
	/* a drop that only some packets reach is not a default */
	assert_int_equal(audit_nft_deny_families(
		"table inet f {\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n"
		"\t\ttcp dport 23 drop\n\t}\n}\n"), 0);
	/* one table's accepting input chain, another's dropping one: a packet must pass both */
	assert_int_equal(audit_nft_deny_families(
		"table inet a {\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n"
		"\t}\n}\ntable ip b {\n\tchain in {\n\t\ttype filter hook input priority 10; "
		"policy drop;\n\t}\n}\n"), AUDIT_FW_V4);
	assert_int_equal(audit_nft_deny_families(
		"table netdev f {\n\tchain ing {\n\t\ttype filter hook ingress device \"eth0\" "
		"priority 0; policy drop;\n\t}\n}\n"), 0);
	assert_int_equal(audit_nft_deny_families(""), 0);

	assert_true(audit_iptables_input_deny("-P INPUT DROP\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n"));
	assert_true(audit_iptables_input_deny("-P INPUT ACCEPT\n-A INPUT -i lo -j ACCEPT\n"
					      "-A INPUT -j REJECT --reject-with icmp-port-unreachable\n"));
	assert_false(audit_iptables_input_deny("-P INPUT ACCEPT\n-A INPUT -j DROP\n"
					       "-A INPUT -p tcp --dport 22 -j ACCEPT\n"));
	assert_false(audit_iptables_input_deny("-P INPUT ACCEPT\n-P FORWARD DROP\n"));

	assert_int_equal(audit_ufw_deny_families("Status: active\nLogging: on (low)\n"
		"Default: deny (incoming), allow (outgoing), disabled (routed)\n"), both);
	assert_int_equal(audit_ufw_deny_families("Status: inactive\n"), 0);
	assert_int_equal(audit_ufw_deny_families("Status: active\n"
		"Default: allow (incoming), allow (outgoing), disabled (routed)\n"), 0);
}

/* ---- 3. fail2ban ---- */

static void test_fail2ban(void **state)
{
	struct audit_ctx ctx = ctx_for("f2b-sshd");

	assert_int_equal(audit_check_fail2ban(&ctx, &rep), 0);
	expect_silence();
	ctx = ctx_for("lsm-bpf"); /* no sshd: nothing to protect */
	audit_check_fail2ban(&ctx, &rep);
	expect_silence();
	ctx = ctx_for("f2b-missing");
	audit_check_fail2ban(&ctx, &rep);
	expect_finding("host.fail2ban", "sshd is installed but fail2ban is not");
	ctx = ctx_for("f2b-down");
	audit_check_fail2ban(&ctx, &rep);
	expect_finding("host.fail2ban", "not running (ERROR   Failed to access socket path");
	ctx = ctx_for("f2b-nojail");
	audit_check_fail2ban(&ctx, &rep);
	expect_finding("host.fail2ban", "without an sshd jail");
	assert_int_equal(rep.n, 3);
}

/* ---- 4. listening sockets ---- */

static void test_listening(void **state)
{
	struct audit_ctx ctx = ctx_for("listen");
	int ports[] = { 22, 5353, 2375 };

	assert_int_equal(audit_check_listening(&ctx, &rep), 0);
	/* two sockets on 0.0.0.0:2375 (SO_REUSEPORT) are one endpoint */
	assert_int_equal(audit_count(&rep, "host.docker-api"), 1);
	expect_finding("host.docker-api", "the Docker API listens on 0.0.0.0:2375 (dockerd, pid 812)");
	assert_int_equal(audit_find(&rep, "host.docker-api")->severity, AUDIT_CRITICAL);
	expect_finding("host.listening", "tcp [::]:8080 is open to the network");
	expect_finding("host.listening", "udp 0.0.0.0:5353 is open to the network");
	expect_finding("host.listening", "fix:add 8080 to audit.allowedPorts");
	/* 22 is allowed; loopback (127.0.0.1, ::1, ::ffff:127.0.0.1, 127.0.0.53) and
	 * an established connection are not listeners on the network */
	assert_int_equal(audit_count(&rep, "host.listening"), 2);
	audit_report_free(&rep);

	/* allowing 2375 does not allow the Docker API */
	free(cfg.allowed_ports);
	cfg.allowed_ports = malloc(sizeof(ports));
	memcpy(cfg.allowed_ports, ports, sizeof(ports));
	cfg.n_allowed_ports = 3;
	audit_check_listening(&ctx, &rep);
	assert_int_equal(audit_count(&rep, "host.docker-api"), 1);
	assert_int_equal(audit_count(&rep, "host.listening"), 1);
	audit_report_free(&rep);

	ctx = ctx_for("listen-clean"); /* ssh, and the Docker API on loopback only */
	audit_check_listening(&ctx, &rep);
	expect_silence();
	ctx = ctx_for("lsm-bpf");
	assert_int_equal(audit_check_listening(&ctx, &rep), -ENOENT);
}

/* ---- 5. failed SSH logins ---- */

static void test_ssh_failures_from_auth_log(void **state)
{
	struct audit_ctx ctx = ctx_for("ssh-authlog");

	/*
	 * 22 + 3 failures in auth.log and 2 in auth.log.1 fall in the last 24 h;
	 * older, future, accepted and non-sshd lines do not count
	 */
	assert_int_equal(audit_check_ssh_failures(&ctx, &rep), 0);
	expect_finding("host.ssh-failures", "27 failed SSH logins in the last 24 h "
			   "(audit.sshFailuresMax: 20; /var/log/auth.log)");
	expect_finding("host.ssh-failures", "most from 203.0.113.7 (24), 198.51.100.9 (3)");
	audit_report_free(&rep);
	cfg.ssh_failures_max = 27;
	audit_check_ssh_failures(&ctx, &rep);
	expect_silence();
	ctx = ctx_for("lsm-bpf");
	assert_int_equal(audit_check_ssh_failures(&ctx, &rep), -ENOENT);
}

static void test_ssh_failures_from_journal(void **state)
{
	struct audit_ctx ctx = ctx_for("ssh-journal");

	/* the host has a journal: its 3 failures count, not the auth.log beside it */
	cfg.ssh_failures_max = 2;
	audit_check_ssh_failures(&ctx, &rep);
	expect_finding("host.ssh-failures", "3 failed SSH logins in the last 24 h "
			   "(audit.sshFailuresMax: 2; the journal), most from 192.0.2.1 (2), 192.0.2.2 (1)");
	audit_report_free(&rep);
	cfg.ssh_failures_max = 3;
	audit_check_ssh_failures(&ctx, &rep);
	expect_silence();
}

/* ---- 6. disk ---- */

static void test_disk(void **state)
{
	struct audit_ctx ctx = ctx_for("lsm-bpf");
	struct policy *p = policy("{\"version\": 1, \"agents\": {\"coder\": "
				  "{\"workspace\": \"/srv/agents/coder\"}}}");
	struct statvfs vfs;
	int used;

	assert_int_equal(audit_used_percent(0, 0), 0);
	assert_int_equal(audit_used_percent(90, 10), 90);
	assert_int_equal(audit_used_percent(901, 99), 91); /* 90.1 % rounds up, as df does */
	assert_int_equal(audit_used_percent(1, 0), 100);

	ctx.policy = p;
	assert_int_equal(statvfs(root, &vfs), 0);
	used = audit_used_percent(vfs.f_blocks - vfs.f_bfree, vfs.f_bavail);
	cfg.disk_max_percent = 100;
	assert_int_equal(audit_check_disk(&ctx, &rep), 0);
	expect_silence();
	cfg.disk_max_percent = 1;
	audit_check_disk(&ctx, &rep);
	if (used > 1) {
		/* warden's state and the workspace (both missing: their nearest parent) share it */
		expect_finding("host.disk", "the filesystem holding /var/lib/warden (warden's state) is");
		assert_int_equal(audit_count(&rep, "host.disk"), 1);
	}
	policy_free(p);
}

/* ---- 7. secrets ---- */

static void make_file(const char *dir, const char *rel, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("KEY=1\n", f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void make_dir(const char *dir, const char *rel, mode_t mode)
{
	char path[PATH_MAX], cmd[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_secrets(void **state)
{
	char dir[] = "/tmp/warden-audit-secrets-XXXXXX", cmd[PATH_MAX];
	struct audit_ctx ctx = ctx_for("");
	struct policy *p;

	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	make_dir(dir, "/srv/agents/coder/sub", 0755);
	make_dir(dir, "/srv/agents/coder/private", 0700);
	make_dir(dir, "/srv/agents/clean", 0755);
	make_dir(dir, "/srv/knowledge", 0755);
	make_file(dir, "/srv/agents/coder/.env", 0600);
	make_file(dir, "/srv/agents/coder/sub/server.pem", 0644);
	make_file(dir, "/srv/agents/coder/private/.env.local", 0644); /* its directory hides it */
	make_file(dir, "/srv/agents/coder/notes.md", 0644);
	make_file(dir, "/srv/knowledge/id_rsa", 0600);
	make_file(dir, "/srv/agents/clean/notes.md", 0644);
	snprintf(cmd, sizeof(cmd), "ln -s .env %s/srv/agents/coder/.env.link", dir);
	assert_int_equal(system(cmd), 0); /* a symlink is not a file of its own */
	snprintf(root, sizeof(root), "%s", dir);
	ctx.root = root;

	p = policy("{\"version\": 1, \"defaults\": {\"fs\": {\"deny\": [\".env\", \".env.*\","
		   " \"id_rsa*\", \"/etc/shadow\"]}},"
		   " \"agents\": {\"coder\": {\"workspace\": \"/srv/agents/coder\","
		   "   \"binds\": [\"/srv/knowledge:/knowledge:ro\"], \"fs\": {\"deny\": [\"*.pem\"]}},"
		   " \"reviewer\": {\"workspace\": \"/srv/agents/clean\","
		   "   \"binds\": [\"/srv/agents/coder:/review:ro\"]}}}");
	ctx.policy = p;
	assert_int_equal(audit_check_secrets(&ctx, &rep), 0);
	expect_finding("secrets.in-workspace", "/srv/agents/coder/.env matches the deny pattern "
			   "\".env\" and sits in agent coder's workspace");
	expect_finding("secrets.in-workspace", "/srv/agents/coder/sub/server.pem");
	expect_finding("secrets.in-workspace", "/srv/agents/coder/private/.env.local");
	expect_finding("secrets.in-workspace", "/srv/knowledge/id_rsa matches the deny pattern "
			   "\"id_rsa*\" and sits in a directory agent coder sees read-only at /knowledge");
	/* the reviewer's bind of coder's workspace finds the same files: reported once */
	assert_int_equal(audit_count(&rep, "secrets.in-workspace"), 4);
	expect_finding("secrets.readable", "/srv/agents/coder/sub/server.pem matches the deny "
			   "pattern \"*.pem\" and every user can read it (mode 0644)");
	expect_finding("secrets.readable", "fix:chmod o-r /srv/agents/coder/sub/server.pem");
	assert_int_equal(audit_count(&rep, "secrets.readable"), 1);
	policy_free(p);
	audit_report_free(&rep);

	p = policy("{\"version\": 1, \"defaults\": {\"fs\": {\"deny\": [\".env\"]}},"
		   " \"agents\": {\"clean\": {\"workspace\": \"/srv/agents/clean\"}}}");
	ctx.policy = p;
	audit_check_secrets(&ctx, &rep);
	expect_silence();
	policy_free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* secrets.hardlinks: a second name of a denied file, made before confinement */
static void test_secrets_hardlinks(void **state)
{
	char dir[] = "/tmp/warden-audit-links-XXXXXX", cmd[3 * PATH_MAX];
	struct audit_ctx ctx = ctx_for("");
	struct policy *p;

	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	make_dir(dir, "/srv/agents/coder/app", 0755);
	make_dir(dir, "/srv/agents/coder/.aws", 0700);
	make_dir(dir, "/etc", 0755);
	make_file(dir, "/srv/agents/coder/app/.env", 0600);
	make_file(dir, "/srv/agents/coder/.aws/credentials", 0600);
	make_file(dir, "/etc/shadow", 0600);
	make_file(dir, "/srv/agents/coder/app/two-names.txt", 0644);
	snprintf(cmd, sizeof(cmd), "cd %s/srv/agents/coder && ln app/.env app/settings.txt && "
		 "ln .aws/credentials creds.txt && ln %s/etc/shadow app/pw.txt && "
		 "ln app/two-names.txt app/also.txt", dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(root, sizeof(root), "%s", dir);
	ctx.root = root;
	p = policy("{\"version\": 1, \"defaults\": {\"fs\": {\"deny\": [\".env\", \".aws\", "
		   "\"/etc/shadow\"]}}, \"agents\": {\"coder\": {\"workspace\": \"/srv/agents/coder\"}}}");
	ctx.policy = p;
	assert_int_equal(audit_check_secrets(&ctx, &rep), 0);
	expect_finding("secrets.hardlinks", "/srv/agents/coder/app/settings.txt is a hard link to "
			   "/srv/agents/coder/app/.env, which fs.deny \".env\" denies");
	/* a pattern on a directory covers what is below it */
	expect_finding("secrets.hardlinks", "/srv/agents/coder/creds.txt is a hard link to "
			   "/srv/agents/coder/.aws/credentials, which fs.deny \".aws\" denies");
	/* an absolute deny path outside every workspace */
	expect_finding("secrets.hardlinks", "/srv/agents/coder/app/pw.txt is a hard link to "
			   "/etc/shadow, which fs.deny \"/etc/shadow\" denies");
	expect_finding("secrets.hardlinks", "fix:rm /srv/agents/coder/app/settings.txt");
	/* two innocent names of one innocent file are fine */
	assert_int_equal(audit_count(&rep, "secrets.hardlinks"), 3);
	expect_finding("secrets.in-workspace", "/srv/agents/coder/.aws/credentials matches the deny "
			   "pattern \".aws\"");
	policy_free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- 9. amnesia ---- */

static void test_amnesia_paths_and_findings(void **state)
{
	struct policy *p = policy(
		"{\"version\": 1, \"agents\": {\"coder\": {\"workspace\": \"/srv/agents/coder\","
		" \"binds\": [\"/srv/knowledge:/knowledge:ro\", \"/srv/ops/tasks.json:/workspace/tasks.json\","
		"   \"/srv/share:/share:rw\"],"
		" \"fs\": {\"mustRead\": [\"/srv/knowledge/REGRESSIONS.md\", \"/srv/ops/registry.json\","
		"   \"/srv/knowledge\"]}}}}");
	const char *want[] = { "/srv/knowledge", "/srv/ops/tasks.json",
			       "/srv/knowledge/REGRESSIONS.md", "/srv/ops/registry.json" };
	const struct agent_policy *a = policy_agent(p, "coder");
	struct strv paths = {}, whats = {};
	struct audit_ctx ctx = ctx_for("lsm-bpf");
	int errs[4] = { 0, EACCES, 0, ENOENT };

	/* read-only binds (no mode is read-only) and mustRead, once each; rw binds are not */
	assert_int_equal(audit_amnesia_paths(a, &paths, &whats), 0);
	assert_int_equal(paths.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(paths.v[i], want[i]);
	assert_string_equal(whats.v[0], "its read-only bind at /knowledge");
	assert_string_equal(whats.v[1], "its read-only bind at /workspace/tasks.json");
	assert_string_equal(whats.v[2], "fs.mustRead");

	assert_int_equal(audit_amnesia_findings("coder", "agent", &paths, &whats, errs, &rep), 0);
	assert_int_equal(audit_count(&rep, "agent.amnesia"), 2);
	expect_finding("agent.amnesia", "agent coder cannot read /srv/ops/tasks.json (its read-only "
			   "bind at /workspace/tasks.json) from inside its confinement: Permission denied");
	expect_finding("agent.amnesia", "fix:file permissions refuse it: make it readable by user agent");
	expect_finding("agent.amnesia", "/srv/ops/registry.json (fs.mustRead) from inside its "
			   "confinement: No such file or directory");
	expect_finding("agent.amnesia", "fix:restore it");
	audit_report_free(&rep);
	errs[1] = EPERM; /* refused by warden's rules */
	errs[3] = 0;
	audit_amnesia_findings("coder", "agent", &paths, &whats, errs, &rep);
	expect_finding("agent.amnesia", "fix:warden's policy refuses it");
	expect_finding("agent.amnesia", "fix:a new inode) also needs warden reload; then warden audit "
			   "--agent coder");
	assert_int_equal(rep.n, 1);
	audit_report_free(&rep);

	/* the probe needs the real daemon: never under a root */
	ctx.status = json("{\"ok\": true}");
	assert_int_equal(audit_check_amnesia(&ctx, a, &rep), -ENODATA);
	expect_silence();
	json_object_put(ctx.status);
	strv_free(&paths);
	strv_free(&whats);
	policy_free(p);
}

/* .../build/tests/unit/test_audit -> .../tests/unit/fixtures/audit, wherever it runs from */
static void find_fixtures(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0) {
		fprintf(stderr, "test_audit: cannot find its own binary\n");
		exit(1);
	}
	exe[n] = '\0';
	for (int i = 0; i < 4; i++)
		*strrchr(exe, '/') = '\0';
	snprintf(fixtures, sizeof(fixtures), "%s/tests/unit/fixtures/audit", exe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_sorts_by_severity_stably, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_defaults_and_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_errors_name_the_location, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_outputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bpf_lsm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemon_pinned_drift, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_cgroups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_perms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firewall_fixtures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firewall_parsers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail2ban, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listening, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ssh_failures_from_auth_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ssh_failures_from_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_hardlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amnesia_paths_and_findings, setup, teardown),
	};
	struct tm now = { .tm_year = 126, .tm_mon = 10, .tm_mday = 27, .tm_hour = 12 };

	/* the classic syslog lines of the fixtures carry no zone: read them as UTC */
	setenv("TZ", "UTC", 1);
	tzset();
	test_now = timegm(&now);
	find_fixtures();
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
