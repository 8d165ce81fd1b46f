// SPDX-License-Identifier: GPL-2.0-only
/*
 * Profiles: found by name, validated like policies, layered under the agent
 * (its lists extend the profile's, its scalars override), and their
 * commands resolved into what it takes to run them: the launcher, env and
 * its interpreter, and the install directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <errno.h>

#include "check_warnings.h"
#include "commands.h"
#include "compile.h"
#include "policy.h"
#include "profile.h"

static char dir[256], err[2048];

static void write_file(const char *rel, const char *text, mode_t mode)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void link_file(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	char env[300];

	snprintf(dir, sizeof(dir), "/tmp/warden-profile-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* an npm-style install: bin/fakecli -> lib/node_modules/@x/fakecli/cli.js */
	write_file("lib/node_modules/@x/fakecli/cli.js", "#!/usr/bin/env node\nconsole.log(1)\n",
		   0755);
	write_file("lib/node_modules/@x/fakecli/vendor/helper", "\x7f" "ELF", 0755);
	/* its native half in a platform package beside it, as Codex's; another
	 * platform's is not installed */
	write_file("lib/node_modules/@x/fakecli/package.json",
		   "{ \"name\": \"@x/fakecli\", \"optionalDependencies\": {\n"
		   "  \"@x/fakecli-linux-x64\": \"1.0.0\", \"@x/fakecli-darwin-arm64\": \"1.0.0\" } }\n",
		   0644);
	write_file("lib/node_modules/@x/fakecli-linux-x64/vendor/fakecli", "\x7f" "ELF", 0755);
	write_file("bin/node", "\x7f" "ELF", 0755);
	write_file("bin/nativecli", "\x7f" "ELF", 0755);
	link_file("../lib/node_modules/@x/fakecli/cli.js", "bin/fakecli");
	write_file("profiles/rt.json",
		   "{ \"version\": 1, \"profile\": { \"description\": \"a test runtime\",\n"
		   "  \"commands\": [\"fakecli\"],\n"
		   "  \"exec\": { \"safeBins\": [\"sh\"], \"quiet\": [\"getconf\"], \"ask\": \"on-miss\" },\n"
		   "  \"env\": { \"pass\": [\"RT_API_KEY\"], \"set\": { \"RT_MODE\": \"x\" } },\n"
		   "  \"network\": { \"egress\": [\"api.example.com:443\"] } } }\n", 0644);
	write_file("profiles/native.json",
		   "{ \"version\": 1, \"profile\": { \"commands\": [\"nativecli\"] } }\n", 0644);
	write_file("profiles/bad.json",
		   "{ \"version\": 1, \"profile\": { \"exec\": { \"safebins\": [] } } }\n", 0644);
	snprintf(env, sizeof(env), "%s/profiles", dir);
	setenv("WARDEN_PROFILES", env, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A policy whose agent "coder" has the given extra keys; PATH points into dir. */
static struct policy *parse_agent(const char *defaults, const char *agent)
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "{ \"version\": 1, \"defaults\": { %s },\n"
		 "  \"agents\": { \"coder\": { \"workspace\": \"/srv/w\",\n"
		 "    \"env\": { \"set\": { \"PATH\": \"%s/bin:/usr/bin:/bin\" } }%s%s } } }",
		 defaults, dir, agent[0] ? ", " : "", agent);
	err[0] = '\0';
	return policy_parse(text, "p.json", err, sizeof(err));
}

static bool has(const struct strv *sv, const char *fmt, ...)
{
	char want[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	return strv_contains(sv, want);
}

static void test_launcher_resolved(void **state)
{
	struct policy *p = parse_agent("", "\"profile\": \"rt\"");
	const struct agent_policy *a;

	assert_non_null(p);
	a = &p->agents[0];
	assert_true(has(&a->exec.safe_bins, "%s/bin/fakecli", dir));
	assert_true(has(&a->exec.safe_bins, "/usr/bin/env"));
	assert_true(has(&a->exec.safe_bins, "node"));
	assert_true(has(&a->exec.safe_bins, "%s/lib/node_modules/@x/fakecli/", dir));
	assert_true(has(&a->exec.safe_bins, "sh"));
	assert_true(has(&a->fs.read_only, "%s/lib/node_modules/@x/fakecli", dir));
	assert_true(has(&a->fs.read_only, "%s/bin", dir)); /* node's directory */
	/* the installed platform package, readable and executable; not the other */
	assert_true(has(&a->fs.read_only, "%s/lib/node_modules/@x/fakecli-linux-x64", dir));
	assert_true(has(&a->exec.safe_bins, "%s/lib/node_modules/@x/fakecli-linux-x64/", dir));
	assert_false(has(&a->fs.read_only, "%s/lib/node_modules/@x/fakecli-darwin-arm64", dir));
	assert_true(has(&a->exec.quiet, "getconf"));
	assert_true(has(&a->env.pass, "RT_API_KEY"));
	assert_string_equal(agent_env_get(a, "RT_MODE"), "x");
	assert_true(has(&a->net.egress, "api.example.com:443"));
	assert_int_equal(a->network, NETWORK_FILTER);
	assert_int_equal(a->exec.ask, EXEC_ASK_ON_MISS);
	assert_true(has(&a->contributed, "rt: network.egress += api.example.com:443"));
	assert_true(has(&a->contributed, "rt: exec.safeBins += /usr/bin/env (for fakecli)"));
	policy_free(p);
}

static void test_agent_extends_and_overrides(void **state)
{
	/* defaults < profile < agent: lists in that order, the closest scalar wins */
	struct policy *p = parse_agent(
		"\"exec\": { \"ask\": \"always\", \"safeBins\": [\"cat\"] }, "
		"\"env\": { \"pass\": [\"LANG\"] }",
		"\"profile\": [\"rt\"], \"exec\": { \"ask\": \"off\", \"safeBins\": [\"git\"] }, "
		"\"network\": \"none\"");
	const struct agent_policy *a;
	size_t cat = 99, sh = 99, git = 99;

	assert_non_null(p);
	a = &p->agents[0];
	assert_int_equal(a->exec.ask, EXEC_ASK_OFF);
	assert_int_equal(a->network, NETWORK_NONE);
	for (size_t i = 0; i < a->exec.safe_bins.n; i++) {
		if (!strcmp(a->exec.safe_bins.v[i], "cat")) cat = i;
		if (!strcmp(a->exec.safe_bins.v[i], "sh")) sh = i;
		if (!strcmp(a->exec.safe_bins.v[i], "git")) git = i;
	}
	assert_true(cat < sh && sh < git);
	assert_true(has(&a->env.pass, "LANG") && has(&a->env.pass, "RT_API_KEY"));
	policy_free(p);

	/* without the agent's own ask, the profile's beats the defaults' */
	p = parse_agent("\"exec\": { \"ask\": \"always\" }", "\"profile\": \"rt\"");
	assert_non_null(p);
	assert_int_equal(p->agents[0].exec.ask, EXEC_ASK_ON_MISS);
	policy_free(p);

	/* a profile on the defaults reaches every agent */
	p = parse_agent("\"profile\": \"rt\"", "");
	assert_non_null(p);
	assert_true(has(&p->agents[0].exec.quiet, "getconf"));
	policy_free(p);
}

static void test_native_command(void **state)
{
	struct policy *p = parse_agent("", "\"profile\": \"native\"");

	assert_non_null(p);
	assert_true(has(&p->agents[0].exec.safe_bins, "%s/bin/nativecli", dir));
	assert_false(has(&p->agents[0].exec.safe_bins, "/usr/bin/env"));
	assert_true(has(&p->agents[0].fs.read_only, "%s/bin", dir));
	policy_free(p);
}

static void test_errors(void **state)
{
	struct policy *p = parse_agent("", "\"profile\": \"nosuch\"");

	assert_null(p);
	assert_non_null(strstr(err, "agents.coder.profile"));
	assert_non_null(strstr(err, "no profile \"nosuch\""));

	p = parse_agent("", "\"profile\": \"bad\"");
	assert_null(p);
	assert_non_null(strstr(err, "bad.json: profile.exec.safebins"));
	assert_non_null(strstr(err, "unknown key"));

	p = parse_agent("", "\"profile\": \"../rt\"");
	assert_null(p);
	assert_non_null(strstr(err, "must be 1-64 of [a-z0-9-]"));

	p = parse_agent("", "\"profile\": 3");
	assert_null(p);
	assert_non_null(strstr(err, "expected a profile name"));
}

static void test_command_not_installed(void **state)
{
	char text[1024];
	struct policy *p;

	snprintf(text, sizeof(text),
		 "{ \"version\": 1, \"agents\": { \"coder\": { \"profile\": \"rt\", "
		 "\"env\": { \"set\": { \"PATH\": \"/usr/bin:/bin\" } } } } }");
	p = policy_parse(text, "p.json", err, sizeof(err));
	assert_null(p);
	assert_non_null(strstr(err, "command \"fakecli\" not found on the agent's PATH"));
}

static void test_helpers(void **state)
{
	char interp[256], prog[256], root[512];

	assert_int_equal(npm_package_root("/usr/lib/node_modules/@a/b/bin/x.js", root,
					  sizeof(root)), 0);
	assert_string_equal(root, "/usr/lib/node_modules/@a/b");
	assert_int_equal(npm_package_root("/n/node_modules/a/node_modules/c/i.js", root,
					  sizeof(root)), 0);
	assert_string_equal(root, "/n/node_modules/a/node_modules/c");
	assert_int_equal(npm_package_root("/usr/bin/claude", root, sizeof(root)), -ENOENT);

	write_file("s1", "#!/usr/bin/env -S node --no-warnings\n", 0755);
	snprintf(root, sizeof(root), "%s/s1", dir);
	assert_int_equal(script_interpreter(root, interp, sizeof(interp), prog, sizeof(prog)), 0);
	assert_string_equal(interp, "/usr/bin/env");
	assert_string_equal(prog, "node");
	write_file("s2", "#!/bin/sh -e\n", 0755);
	snprintf(root, sizeof(root), "%s/s2", dir);
	assert_int_equal(script_interpreter(root, interp, sizeof(interp), prog, sizeof(prog)), 0);
	assert_string_equal(interp, "/bin/sh");
	assert_string_equal(prog, "");
	snprintf(root, sizeof(root), "%s/bin/node", dir);
	assert_int_equal(script_interpreter(root, interp, sizeof(interp), prog, sizeof(prog)),
			 -ENOEXEC);
}

/* The shipped profiles parse, and bring their vendor's key, host and quiet list. */
static void test_shipped_profiles(void **state)
{
	static const struct { const char *name, *cmd, *key, *host; } shipped[] = {
		{ "claude-code", "claude", "ANTHROPIC_API_KEY", "api.anthropic.com:443" },
		{ "codex", "codex", "OPENAI_API_KEY", "api.openai.com:443" },
		{ "gemini-cli", "gemini", "GEMINI_API_KEY", "generativelanguage.googleapis.com:443" },
	};
	char text[1024], path[512];

	setenv("WARDEN_PROFILES", WARDEN_SOURCE_DIR "/policy/profiles", 1);
	for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		struct policy *p;
		const struct agent_policy *a;

		snprintf(path, sizeof(path), "bin/%s", shipped[i].cmd);
		write_file(path, "\x7f" "ELF", 0755);
		snprintf(text, sizeof(text),
			 "{ \"version\": 1, \"agents\": { \"coder\": { \"profile\": \"%s\", "
			 "\"env\": { \"set\": { \"PATH\": \"%s/bin:/usr/bin:/bin\" } } } } }",
			 shipped[i].name, dir);
		p = policy_parse(text, "p.json", err, sizeof(err));
		if (!p)
			fail_msg("%s: %s", shipped[i].name, err);
		a = &p->agents[0];
		assert_true(has(&a->env.pass, "%s", shipped[i].key));
		assert_true(has(&a->net.egress, "%s", shipped[i].host));
		assert_true(has(&a->exec.quiet, "getconf"));
		assert_true(has(&a->exec.safe_bins, "%s/bin/%s", dir, shipped[i].cmd));
		policy_free(p);
	}
	snprintf(path, sizeof(path), "%s/profiles", dir);
	setenv("WARDEN_PROFILES", path, 1);
}

/* warden init --policy FILE: the agent added, the file still valid, the runtime reachable */
static void test_init_merges(void **state)
{
	char file[512], ws[512], kb[512], path[1024], *old = strdup(getenv("PATH"));
	struct policy *p;
	const struct agent_policy *a;

	snprintf(file, sizeof(file), "%s/policy.json", dir);
	snprintf(ws, sizeof(ws), "%s/ws", dir);
	snprintf(kb, sizeof(kb), "%s/kb/", dir);
	write_file("policy.json", "{ \"version\": 1, \"agents\": { \"other\": "
		   "{ \"confined\": false } } }\n", 0644);
	snprintf(path, sizeof(path), "%s/bin:%s", dir, old);
	setenv("PATH", path, 1);
	{
		char *argv[] = { "init", "--agent", "coder", "--profile", "rt", "--workspace", ws,
				 "--knowledge", kb, "--policy", file, NULL };

		assert_int_equal(cmd_init(11, argv), 0);
	}
	{
		/* the same agent again: refused, the file unchanged */
		char *argv[] = { "init", "--agent", "coder", "--profile", "rt", "--workspace", ws,
				 "--policy", file, NULL };

		assert_int_equal(cmd_init(9, argv), 1);
	}
	{
		char *argv[] = { "init", "--agent", "x", "--profile", "nosuch", "--workspace", ws,
				 NULL };

		assert_int_equal(cmd_init(7, argv), 1);
	}
	setenv("PATH", old, 1);
	free(old);
	p = policy_load(file, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	assert_int_equal(p->n_agents, 2);
	a = policy_agent(p, "coder");
	assert_non_null(a);
	assert_string_equal(a->workspace, ws);
	kb[strlen(kb) - 1] = '\0';
	assert_true(has(&a->binds, "%s:/knowledge:ro", kb));
	assert_true(has(&a->fs.read_only, "%s", kb));
	assert_true(has(&a->exec.safe_bins, "%s/bin/fakecli", dir));
	assert_false(has(&a->fs.deny, "*.pem"));
	snprintf(path, sizeof(path), "%s/bin:/usr/local/bin:/usr/bin:/bin", dir);
	assert_string_equal(agent_exec_path(a), path);
	policy_free(p);
}

/* warden check's warnings: each fires on its case, and a clean agent gets none */
static void test_check_warnings(void **state)
{
	char text[2048], *buf = NULL;
	size_t len = 0;
	struct policy *p;
	FILE *out;
	int n;

	chmod(dir, 0755); /* mkdtemp's 0700 would stop the agent's user for both agents */
	write_file("keys/certs/ca.pem", "x", 0644);
	write_file("keys/script.py", "#!/usr/bin/python3\n", 0755);
	write_file("locked/ws/x", "x", 0644);
	snprintf(text, sizeof(text), "%s/locked", dir);
	chmod(text, 0700);
	snprintf(text, sizeof(text),
		 "{ \"version\": 1, \"agents\": {\n"
		 "  \"bad\": { \"workspace\": \"%s/locked/ws\", \"binds\": [\"%s/locked:/k:ro\"],\n"
		 "    \"fs\": { \"workspaceOnly\": true, \"readOnly\": [\"%s/keys/certs\"],\n"
		 "            \"deny\": [\"*.pem\"] },\n"
		 "    \"exec\": { \"safeBins\": [\"%s/keys/script.py\"] } },\n"
		 "  \"good\": { \"workspace\": \"%s/keys\", \"fs\": { \"workspaceOnly\": true,\n"
		 "    \"deny\": [\".env\"] }, \"exec\": { \"safeBins\": [\"sh\"] } } } }",
		 dir, dir, dir, dir, dir);
	p = policy_parse(text, "p.json", err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	out = open_memstream(&buf, &len);
	n = check_agent_warnings(p, policy_agent(p, "bad"), out);
	fclose(out);
	if (getuid() == 0) {
		/* as root the traversal check looks at nobody: both locked paths warn */
		assert_int_equal(n, 5);
		assert_non_null(strstr(buf, "agents.bad.workspace"));
		assert_non_null(strstr(buf, "agents.bad.binds[0]"));
	}
	assert_non_null(strstr(buf, "lies outside every path the agent may read"));
	assert_non_null(strstr(buf, "is a script for /usr/bin/python3, which is not allowed"));
	/* the host's own CA certificates come first where there are any; ours is found too */
	assert_non_null(strstr(buf, "fs.deny: also denies files the agent is meant to read"));
	free(buf);
	{
		char found[3][4096], certs[512];
		size_t budget = 1000;

		snprintf(certs, sizeof(certs), "%s/keys", dir);
		assert_int_equal(deny_matches_under(policy_agent(p, "bad"), certs, found, 3, &budget),
				 1);
		assert_non_null(strstr(found[0], "/keys/certs/ca.pem"));
	}
	buf = NULL;
	out = open_memstream(&buf, &len);
	assert_int_equal(check_agent_warnings(p, policy_agent(p, "good"), out), 0);
	fclose(out);
	free(buf);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launcher_resolved),
		cmocka_unit_test(test_agent_extends_and_overrides),
		cmocka_unit_test(test_native_command),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_command_not_installed),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_shipped_profiles),
		cmocka_unit_test(test_init_merges),
		cmocka_unit_test(test_check_warnings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
