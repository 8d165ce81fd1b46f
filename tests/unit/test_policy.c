// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy parsing, validation, merging and compilation. Every bad input must
 * give an error that names the file, the JSON location and the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include <errno.h>

#include "compile.h"
#include "file_cache.h"
#include "fs_rules.h"
#include "policy.h"
#include "resolve.h"

static char err[2048];

static struct policy *parse(const char *text)
{
	err[0] = '\0';
	return policy_parse(text, "p.json", err, sizeof(err));
}

/* The policy must be rejected with an error containing every needle. */
static void expect_error(const char *text, const char *where, const char *reason)
{
	struct policy *p = parse(text);

	if (p) {
		policy_free(p);
		fail_msg("accepted: %s", text);
	}
	if (!strstr(err, "p.json: ") || !strstr(err, where) || !strstr(err, reason))
		fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", err, where, reason);
}

#define AGENT(body) "{\"version\":1,\"agents\":{\"coder\":" body "}}"

static void test_valid_policy_merges_defaults(void **state)
{
	struct policy *p = parse(
		"{ \"version\": 1, /* comments are allowed */\n"
		"  \"defaults\": { \"exec\": { \"security\": \"allowlist\", \"ask\": \"on-miss\",\n"
		"      \"askTimeout\": \"5m\", \"askFallback\": \"deny\", \"safeBins\": [\"sh\"] },\n"
		"    \"fs\": { \"workspaceOnly\": true, \"readOnly\": [\"/usr\"], \"deny\": [\".env\"] },\n"
		"    \"env\": { \"pass\": [\"LANG\"], \"set\": { \"PATH\": \"/usr/bin\" } } },\n"
		"  \"agents\": {\n"
		"    \"main\": { \"confined\": false },\n"
		"    \"coder\": { \"workspace\": \"/srv/agents/coder\", \"user\": \"agent\",\n"
		"      \"binds\": [\"/srv/k:/knowledge:ro\"], \"network\": \"host\",\n"
		"      \"exec\": { \"safeBins\": [\"make\"], \"ask\": \"off\" },\n"
		"      \"env\": { \"set\": { \"PATH\": \"/bin\" } } } } }");
	const struct agent_policy *a;

	assert_non_null(p);
	assert_int_equal(p->n_agents, 2);
	assert_false(policy_agent(p, "main")->confined);
	a = policy_agent(p, "coder");
	assert_non_null(a);
	assert_true(a->confined);
	assert_string_equal(a->workspace, "/srv/agents/coder");
	/* lists extend the defaults, defaults first */
	assert_int_equal(a->exec.safe_bins.n, 2);
	assert_string_equal(a->exec.safe_bins.v[0], "sh");
	assert_string_equal(a->exec.safe_bins.v[1], "make");
	assert_string_equal(a->exec.safe_bins_where.v[0], "defaults.exec.safeBins[0]");
	assert_string_equal(a->exec.safe_bins_where.v[1], "agents.coder.exec.safeBins[0]");
	/* scalars override */
	assert_int_equal(a->exec.ask, EXEC_ASK_OFF);
	assert_int_equal(a->exec.security, EXEC_SECURITY_ALLOWLIST);
	assert_int_equal(a->exec.ask_timeout_ms, 5 * 60 * 1000);
	assert_int_equal(a->network, NETWORK_HOST);
	assert_int_equal(a->fs.workspace_only, 1);
	assert_string_equal(agent_exec_path(a), "/bin"); /* the agent's PATH wins */
	assert_null(policy_agent(p, "nobody"));
	policy_free(p);
}

static void test_builtin_defaults(void **state)
{
	struct policy *p = parse(AGENT("{}"));
	const struct agent_policy *a;

	assert_non_null(p);
	a = policy_agent(p, "coder");
	assert_true(a->confined);
	assert_int_equal(a->exec.security, EXEC_SECURITY_ALLOWLIST);
	assert_int_equal(a->exec.ask, EXEC_ASK_OFF);
	assert_int_equal(a->exec.ask_fallback, ASK_FALLBACK_DENY);
	assert_int_equal(a->network, NETWORK_NONE);
	assert_string_equal(agent_exec_path(a), "/usr/local/bin:/usr/bin:/bin");
	policy_free(p);
}

static void test_syntax_error_has_line_and_column(void **state)
{
	expect_error("{\n  \"version\": 1,\n  \"agents\": {,}\n}", "line 3, column", "invalid JSON");
	expect_error("{\"version\": 1", "line 1", "unexpected end of file");
	expect_error("{\"version\": 1} {}", "line 1, column 16", "text after the policy object");
	expect_error("", "line 1", "invalid JSON");
}

static void test_top_level(void **state)
{
	expect_error("[]", "(top level)", "expected an object, got an array");
	expect_error("{\"agents\":{}}", "version", "missing");
	expect_error("{\"version\":2}", "version", "unsupported version 2");
	expect_error("{\"version\":\"1\"}", "version", "expected an integer, got a string");
	expect_error("{\"version\":1,\"agent\":{}}", "agent", "unknown key \"agent\"");
	expect_error("{\"version\":1,\"agents\":[]}", "agents", "expected an object, got an array");
	expect_error("{\"version\":1,\"defaults\":{\"workspace\":\"/w\"}}", "defaults.workspace",
		     "unknown key");
}

static void test_agent_keys(void **state)
{
	expect_error(AGENT("[]"), "agents.coder", "expected an object, got an array");
	expect_error(AGENT("{\"confined\":\"no\"}"), "agents.coder.confined",
		     "expected a boolean, got a string");
	expect_error(AGENT("{\"workspace\":\"srv/x\"}"), "agents.coder.workspace",
		     "not an absolute path");
	expect_error(AGENT("{\"workspace\":7}"), "agents.coder.workspace", "expected a string");
	expect_error(AGENT("{\"network\":\"bridge\"}"), "agents.coder.network",
		     "expected \"none\" or \"host\", got \"bridge\"");
	expect_error(AGENT("{\"binds\":[\"/a\"]}"), "agents.coder.binds[0]", "SRC:DST");
	expect_error(AGENT("{\"binds\":[\"/a:/b:rx\"]}"), "agents.coder.binds[0]",
		     "bind mode \"rx\"");
	expect_error(AGENT("{\"binds\":[\"a:/b\"]}"), "agents.coder.binds[0]", "absolute");
	expect_error(AGENT("{\"sandbox\":{}}"), "agents.coder.sandbox", "unknown key \"sandbox\"");
	expect_error("{\"version\":1,\"agents\":{\"../x\":{}}}", "agents.../x", "agent name");
	expect_error("{\"version\":1,\"agents\":{\"\":{}}}", "agents.", "agent name");
}

static void test_exec_keys(void **state)
{
	expect_error(AGENT("{\"exec\":{\"security\":\"maybe\"}}"), "agents.coder.exec.security",
		     "expected \"deny\", \"allowlist\" or \"full\", got \"maybe\"");
	expect_error(AGENT("{\"exec\":{\"ask\":true}}"), "agents.coder.exec.ask",
		     "expected a string, got a boolean");
	expect_error(AGENT("{\"exec\":{\"askTimeout\":\"5 minutes\"}}"),
		     "agents.coder.exec.askTimeout", "bad duration");
	expect_error(AGENT("{\"exec\":{\"askTimeout\":300}}"), "agents.coder.exec.askTimeout",
		     "expected a string, got an integer");
	expect_error(AGENT("{\"exec\":{\"askFallback\":\"ask\"}}"), "agents.coder.exec.askFallback",
		     "expected \"deny\" or \"allow\"");
	expect_error(AGENT("{\"exec\":{\"safeBins\":\"sh\"}}"), "agents.coder.exec.safeBins",
		     "expected an array, got a string");
	expect_error(AGENT("{\"exec\":{\"safeBins\":[\"sh\",3]}}"),
		     "agents.coder.exec.safeBins[1]", "expected a string, got an integer");
	expect_error(AGENT("{\"exec\":{\"safeBins\":[\"\"]}}"), "agents.coder.exec.safeBins[0]",
		     "empty string");
	expect_error(AGENT("{\"exec\":{\"safebins\":[]}}"), "agents.coder.exec.safebins",
		     "unknown key \"safebins\"");
	expect_error(AGENT("{\"exec\":null}"), "agents.coder.exec", "expected an object, got null");
}

static void test_fs_and_env_keys(void **state)
{
	expect_error(AGENT("{\"fs\":{\"readOnly\":[\"usr\"]}}"), "agents.coder.fs.readOnly[0]",
		     "not an absolute path");
	expect_error(AGENT("{\"fs\":{\"deny\":[\"a/b\"]}}"), "agents.coder.fs.deny[0]",
		     "neither an absolute path nor a basename pattern");
	expect_error(AGENT("{\"fs\":{\"workspaceOnly\":1}}"), "agents.coder.fs.workspaceOnly",
		     "expected a boolean, got an integer");
	expect_error(AGENT("{\"fs\":{\"mustRead\":[\"k\"]}}"), "agents.coder.fs.mustRead[0]",
		     "not an absolute path");
	expect_error(AGENT("{\"env\":{\"pass\":[\"A-B\"]}}"), "agents.coder.env.pass[0]",
		     "not a variable name");
	expect_error(AGENT("{\"env\":{\"set\":{\"HOME\":1}}}"), "agents.coder.env.set.HOME",
		     "expected a string, got an integer");
	expect_error(AGENT("{\"env\":{\"set\":[]}}"), "agents.coder.env.set",
		     "expected an object");
}

static void test_durations(void **state)
{
	assert_int_equal(parse_duration_ms("500ms"), 500);
	assert_int_equal(parse_duration_ms("30s"), 30000);
	assert_int_equal(parse_duration_ms("5m"), 300000);
	assert_int_equal(parse_duration_ms("2h"), 7200000);
	assert_int_equal(parse_duration_ms("1d"), 86400000);
	assert_int_equal(parse_duration_ms("5"), -1);
	assert_int_equal(parse_duration_ms("m"), -1);
	assert_int_equal(parse_duration_ms("-5s"), -1);
	assert_int_equal(parse_duration_ms("5 m"), -1);
}

/* The id every daemon gives the agent called name. */
static uint32_t id_of(const char *name)
{
	struct agent_ids ids = {};
	uint32_t id = agent_ids_get(&ids, name);

	agent_ids_free(&ids);
	return id;
}

/* Compiles text; returns the error (empty on success). */
static const char *compile_text(const char *text, struct compiled_policy *out)
{
	struct agent_ids ids = {};
	struct policy *p = parse(text);
	int ret;

	assert_non_null(p);
	ret = policy_compile(p, &ids, 7, out, err, sizeof(err));
	if (!ret)
		assert_string_equal(err, "");
	policy_free(p);
	agent_ids_free(&ids);
	return err;
}

static size_t count_kind(const struct compiled_policy *c, uint32_t kind)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_rules; i++)
		n += c->rules[i].key.kind == kind;
	return n;
}

static void test_unresolvable_names(void **state)
{
	struct compiled_policy c;

	assert_non_null(strstr(compile_text(AGENT("{\"exec\":{\"safeBins\":[\"sh\","
						  "\"no-such-binary-xyz\"]}}"), &c),
			       "p.json: agents.coder.exec.safeBins[1]: \"no-such-binary-xyz\" "
			       "not found on the agent's PATH"));
	assert_non_null(strstr(compile_text(AGENT("{\"exec\":{\"safeBins\":[\"/no/such/file\"]}}"),
					    &c),
			       "agents.coder.exec.safeBins[0]: \"/no/such/file\""));
	assert_non_null(strstr(compile_text(AGENT("{\"exec\":{\"safeBins\":[\"/usr/bin\"]}}"), &c),
			       "end a directory with '/'"));
	assert_non_null(strstr(compile_text(AGENT("{\"exec\":{\"safeBins\":[\"/etc/passwd\"]}}"),
					    &c),
			       "not an executable file"));
	assert_non_null(strstr(compile_text(AGENT("{\"exec\":{\"safeBins\":[\"bin/sh\"]}}"), &c),
			       "neither a bare name"));
	assert_non_null(strstr(compile_text("{\"version\":1,\"defaults\":{\"exec\":{\"safeBins\":"
					    "[\"nope-xyz\"]}},\"agents\":{\"a\":{}}}", &c),
			       "defaults.exec.safeBins[0]"));
}

static void test_compile_rules(void **state)
{
	struct compiled_policy c;
	struct file_id sh;
	bool found = false;

	assert_string_equal(compile_text("{\"version\":1,\"agents\":{"
					 "\"a\":{\"exec\":{\"safeBins\":[\"sh\",\"/bin/sh\"]}},"
					 "\"b\":{\"exec\":{\"security\":\"full\"}},"
					 "\"off\":{\"confined\":false}}}", &c), "");
	assert_int_equal(c.generation, 7);
	assert_int_equal(count_kind(&c, RULE_GLOBAL), 1);
	/* a, b and the self-test agent; the unconfined one has no rules */
	assert_int_equal(count_kind(&c, RULE_AGENT), 3);
	/* "sh" and "/bin/sh" are one binary: one entry */
	assert_int_equal(count_kind(&c, RULE_EXEC_ALLOW), 1);
	assert_int_equal(file_identity("/bin/sh", &sh), 0);
	for (size_t i = 0; i < c.n_rules; i++) {
		const struct rule_entry *r = &c.rules[i];

		if (r->key.kind == RULE_EXEC_ALLOW) {
			assert_int_equal(r->key.dev, sh.dev);
			assert_int_equal(r->key.ino, sh.ino);
			assert_int_equal(r->key.agent, id_of("a"));
			found = true;
		}
		if (r->key.kind == RULE_AGENT && r->key.agent == id_of("b"))
			assert_int_equal(r->value.agent.exec_mode, EXEC_MODE_FULL);
		if (r->key.kind == RULE_GLOBAL)
			assert_int_equal(r->value.global.generation, 7);
	}
	assert_true(found);
	compiled_policy_free(&c);
}

static bool filter_has(const __u64 bits[2], unsigned char b)
{
	b &= 127;
	return (bits[b / 64] >> (b % 64)) & 1;
}

/* The byte filter in front of the kernel's deny-pattern lookups (name_filter_rule). */
static void test_name_filter(void **state)
{
	struct compiled_policy c;
	const struct name_filter_rule *f = NULL;

	assert_string_equal(compile_text(AGENT("{\"fs\":{\"deny\":[\".env\",\"id_rsa*\","
					       "\"*.pem\",\"Zed*\"]}}"), &c), "");
	for (size_t i = 0; i < c.n_rules; i++)
		if (c.rules[i].key.kind == RULE_AGENT_NAMES && c.rules[i].key.agent == id_of("coder"))
			f = &c.rules[i].value.names;
	assert_non_null(f);
	/* exact and prefix patterns by their first byte, suffixes by their last */
	assert_true(filter_has(f->first, '.'));
	assert_true(filter_has(f->first, 'i'));
	assert_true(filter_has(f->first, 'Z'));
	assert_true(filter_has(f->last, 'm'));
	/* a name starting with none of them and not ending in 'm' skips every lookup */
	assert_false(filter_has(f->first, 'u'));
	assert_false(filter_has(f->first, 's'));
	assert_false(filter_has(f->last, 'r'));
	assert_false(filter_has(f->last, 'v'));
	compiled_policy_free(&c);
}

static void test_capabilities(void **state)
{
	struct compiled_policy c;
	int agents_seen = 0;

	expect_error(AGENT("{\"capabilities\":[\"FLY\"]}"), "agents.coder.capabilities[0]",
		     "unknown capability \"FLY\"");
	expect_error(AGENT("{\"capabilities\":[\"SYS_ADMIN\"]}"), "agents.coder.capabilities[0]",
		     "SYS_ADMIN cannot be given");
	expect_error(AGENT("{\"capabilities\":[\"cap_net_raw\"]}"), "agents.coder.capabilities[0]",
		     "NET_RAW cannot be given");
	expect_error(AGENT("{\"capabilities\":\"NET_BIND_SERVICE\"}"), "agents.coder.capabilities",
		     "expected an array");
	assert_string_equal(compile_text("{\"version\":1,"
					 "\"defaults\":{\"capabilities\":[\"SYS_NICE\"]},\"agents\":{"
					 "\"a\":{\"capabilities\":[\"cap_net_bind_service\",\"CHOWN\"]},"
					 "\"b\":{}}}", &c), "");
	for (size_t i = 0; i < c.n_rules; i++) {
		const struct rule_entry *r = &c.rules[i];
		uint64_t want = WARDEN_CAPS_DEFAULT | (1ULL << 23); /* SYS_NICE from defaults */

		if (r->key.kind != RULE_AGENT_CAPS)
			continue;
		if (r->key.agent == id_of("a"))
			want |= 1ULL << 10; /* NET_BIND_SERVICE */
		assert_int_equal(r->value.caps.allowed, want);
		assert_false(r->value.caps.allowed & (1ULL << 21)); /* never SYS_ADMIN */
		agents_seen++;
	}
	assert_int_equal(agents_seen, 2);
	compiled_policy_free(&c);
}

static void test_directory_entries(void **state)
{
	struct compiled_policy c;

	assert_string_equal(compile_text(AGENT("{\"exec\":{\"safeBins\":[\"/usr/bin/\"]}}"), &c),
			    "");
	/* every executable in /usr/bin, far more than a handful */
	assert_true(count_kind(&c, RULE_EXEC_ALLOW) > 50);
	compiled_policy_free(&c);
}

static void test_file_identity_matches_stat_on_plain_fs(void **state)
{
	struct file_id id;
	struct stat st;

	/*
	 * On a non-stacking filesystem the kernel's view and stat() agree;
	 * /dev is devtmpfs or tmpfs even where / is an overlay (containers).
	 */
	assert_int_equal(file_identity("/dev/null", &id), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_int_equal(id.ino, st.st_ino);
	assert_int_equal(id.dev, ((uint64_t)major(st.st_dev) << 20) | minor(st.st_dev));
	assert_int_equal(file_identity("/no/such/file", &id), -2 /* -ENOENT */);
}

static void test_agent_ids_are_stable(void **state)
{
	struct agent_ids ids = {};

	struct agent_ids other = {};
	uint32_t a = agent_ids_get(&ids, "a"), b = agent_ids_get(&ids, "b");

	assert_int_not_equal(a, 0);
	assert_int_not_equal(b, 0);
	assert_int_not_equal(a, b);
	assert_int_equal(agent_ids_get(&ids, "a"), a);
	assert_string_equal(agent_ids_name(&ids, b), "b");
	assert_null(agent_ids_name(&ids, 9));
	/* the same name gets the same id in another daemon, whatever the order */
	assert_int_equal(agent_ids_get(&other, "b"), b);
	assert_int_equal(agent_ids_get(&other, "a"), a);
	agent_ids_free(&ids);
	agent_ids_free(&other);
}

static void test_fs_patterns(void **state)
{
	enum name_match kind;
	const char *fixed, *why;
	size_t len;

	assert_int_equal(fs_pattern_parse(".env", &kind, &fixed, &len, &why), 0);
	assert_int_equal(kind, NAME_EXACT);
	assert_int_equal(len, 4);
	assert_int_equal(fs_pattern_parse(".env.*", &kind, &fixed, &len, &why), 0);
	assert_int_equal(kind, NAME_PREFIX);
	assert_int_equal(len, 5);
	assert_int_equal(fs_pattern_parse("*.pem", &kind, &fixed, &len, &why), 0);
	assert_int_equal(kind, NAME_SUFFIX);
	assert_string_equal(fixed, ".pem");
	assert_int_equal(fs_pattern_parse("a*b", &kind, &fixed, &len, &why), -EINVAL);
	assert_int_equal(fs_pattern_parse("*a*", &kind, &fixed, &len, &why), -EINVAL);
	assert_int_equal(fs_pattern_parse("*", &kind, &fixed, &len, &why), -EINVAL);
	assert_int_equal(fs_pattern_parse("id_rsa?", &kind, &fixed, &len, &why), -EINVAL);
	expect_error(AGENT("{\"fs\":{\"deny\":[\"a*b\"]}}"), "agents.coder.fs.deny[0]",
		     "'*' must be at the start");
	/* the kernel hashes suffixes from the last byte backwards */
	assert_int_equal(fs_name_hash("mep.", 4, 0), fs_name_hash(".pem", 4, 1));
	assert_int_not_equal(fs_name_hash(".pem", 4, 0), fs_name_hash(".pem", 4, 1));
}

static const struct rule_entry *find_rule(const struct compiled_policy *c, uint32_t kind,
					  uint32_t agent, const char *path)
{
	struct file_id id;

	assert_int_equal(file_identity(path, &id), 0);
	for (size_t i = 0; i < c->n_rules; i++)
		if (c->rules[i].key.kind == kind && c->rules[i].key.agent == agent &&
		    c->rules[i].key.dev == id.dev && c->rules[i].key.ino == id.ino)
			return &c->rules[i];
	return NULL;
}

static void test_fs_compile(void **state)
{
	struct compiled_policy c;
	const struct rule_entry *r;
	bool have_child = false;

	assert_string_equal(compile_text(
		"{\"version\":1,\"agents\":{"
		"\"a\":{\"workspace\":\"/tmp\",\"binds\":[\"/etc:/etc:ro\"],"
		"  \"fs\":{\"workspaceOnly\":true,\"readOnly\":[\"/var\"],"
		"  \"deny\":[\".env\",\"*.pem\",\"id_rsa*\",\"/etc/passwd\",\"/var/lib\"]}},"
		"\"b\":{\"workspace\":\"/dev\"}}}", &c), "");
	assert_non_null(r = find_rule(&c, RULE_FS_DIR, id_of("a"), "/tmp"));
	assert_int_equal(r->value.fs.access, FS_READ | FS_WRITE);
	assert_non_null(r = find_rule(&c, RULE_FS_DIR, id_of("a"), "/etc"));
	assert_int_equal(r->value.fs.access, FS_READ);
	assert_non_null(r = find_rule(&c, RULE_FS_DIR, id_of("a"), "/usr")); /* the baseline */
	assert_int_equal(r->value.fs.access, FS_READ);
	/* a deny wins over the baseline's read of the same file */
	assert_non_null(r = find_rule(&c, RULE_FS_PATH, id_of("a"), "/etc/passwd"));
	assert_int_equal(r->value.fs.access, FS_DENY);
	assert_non_null(r = find_rule(&c, RULE_FS_DIR, id_of("a"), "/var/lib"));
	assert_int_equal(r->value.fs.access, FS_DENY);
	/* the other agent's workspace is denied to a, and a's to b */
	assert_non_null(r = find_rule(&c, RULE_FS_DIR, id_of("a"), "/dev"));
	assert_int_equal(r->value.fs.access, FS_DENY);
	assert_non_null(r = find_rule(&c, RULE_FS_DIR, id_of("b"), "/tmp"));
	assert_int_equal(r->value.fs.access, FS_DENY);
	assert_int_equal(count_kind(&c, RULE_FS_NAME), 3);
	for (size_t i = 0; i < c.n_rules; i++) {
		const struct rule_entry *e = &c.rules[i];

		if (e->key.kind == RULE_AGENT && e->key.agent == id_of("a")) {
			assert_int_equal(e->value.agent.fs_flags & FS_WORKSPACE_ONLY, FS_WORKSPACE_ONLY);
			assert_true(e->value.agent.fs_flags & FS_HAS_NAMES);
			assert_true(e->value.agent.fs_flags & FS_HAS_DENY_DIRS);
			assert_int_equal(e->value.agent.prefix_lens[0], 6); /* id_rsa */
			assert_int_equal(e->value.agent.suffix_lens[0], 4); /* .pem */
		}
		if (e->key.kind == RULE_FS_CHILD && e->key.agent == id_of("a") &&
		    e->key.name_hash == fs_name_hash("passwd", 6, 0))
			have_child = true;
		if (e->key.kind == RULE_FS_NAME && e->key.dev == NAME_EXACT)
			assert_int_equal(e->key.name_hash, fs_name_hash(".env", 4, 0));
	}
	assert_true(have_child);
	assert_true(c.n_pinned > 0);
	compiled_policy_free(&c);

	assert_non_null(strstr(compile_text(AGENT("{\"fs\":{\"readOnly\":[\"/no/such/dir\"]}}"),
					    &c),
			       "readOnly \"/no/such/dir\": no such file or directory"));
	assert_non_null(strstr(compile_text(AGENT("{\"binds\":[\"/no/such:/x:ro\"]}"), &c),
			       "bind source \"/no/such\""));
	/* conflicting rules: what the agent must read, a deny takes away */
	assert_non_null(strstr(compile_text(AGENT("{\"fs\":{\"mustRead\":[\"/etc/passwd\"],"
						  "\"deny\":[\"/etc\"]}}"), &c),
			       "agents.coder: mustRead \"/etc/passwd\" is denied by fs.deny \"/etc\""));
	assert_non_null(strstr(compile_text(AGENT("{\"fs\":{\"deny\":[\"*wd\"]},"
						  "\"binds\":[\"/etc/passwd:/p:ro\"]}"), &c),
			       "bind \"/etc/passwd:/p:ro\" is denied by fs.deny \"*wd\""));
	assert_non_null(strstr(compile_text(AGENT("{\"workspace\":\"/tmp/x\","
						  "\"fs\":{\"deny\":[\"/tmp\"]}}"), &c),
			       "workspace \"/tmp/x\" is denied"));
	/* a prefix of a name is not its parent directory */
	assert_string_equal(compile_text(AGENT("{\"fs\":{\"mustRead\":[\"/etc/passwd\"],"
					       "\"deny\":[\"/etc/pass\"]}}"), &c), "");
	compiled_policy_free(&c);
}

static void test_load_missing_file(void **state)
{
	assert_null(policy_load("/no/such/policy.json", err, sizeof(err)));
	assert_non_null(strstr(err, "/no/such/policy.json: cannot read"));
}

/* A fresh directory on tmpfs (a filesystem the file cache keeps files of). */
static void make_shm_dir(char *dir, size_t len, const char *tag)
{
	char cmd[256];

	snprintf(dir, len, "/dev/shm/warden-unit-%s-%d", tag, (int)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s.old", dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
}

static void write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	FILE *f;

	/* a new inode under the name, as an editor's save makes */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	assert_non_null(f = fopen(tmp, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static int cache_dir_of(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), h;

	assert_true(fd >= 0);
	h = file_cache_dir(dir, fd);
	close(fd);
	return h;
}

/* Tells the cache dir is watched, as the daemon's watch.c does: with the identity of its inode now. */
static void watch_only(char *dir)
{
	struct file_cache_dir_id id;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(file_cache_dir_key(fd, &id), 0);
	close(fd);
	file_cache_watching(&dir, &id, 1);
}

/* The daemon's file cache: kept only for watched local directories, forgotten on any sign of change. */
static void test_file_cache(void **state)
{
	char dir[128], old[160], a[160];
	struct file_id id = { .dev = 1, .ino = 2 }, got;
	int h;

	(void)state;
	make_shm_dir(dir, sizeof(dir), "cache");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(old, sizeof(old), "%s.old", dir);
	/* not the daemon (nothing watched): off */
	file_cache_watching(NULL, NULL, 0);
	file_cache_begin();
	assert_int_equal(cache_dir_of(dir), -1);

	watch_only(dir);
	file_cache_begin();
	assert_true((h = cache_dir_of(dir)) >= 0);
	assert_false(file_cache_get(h, a, &got));
	file_cache_put(h, a, &id);
	assert_true(file_cache_get(h, a, &got));
	assert_int_equal(got.ino, 2);
	assert_int_equal(file_cache_reused(), 1);
	file_cache_end();
	/* the next compile, nothing changed, the same watch renewed: still there */
	watch_only(dir);
	file_cache_begin();
	assert_int_equal(file_cache_reused(), 0);
	assert_true((h = cache_dir_of(dir)) >= 0);
	assert_true(file_cache_get(h, a, &got));
	/* an inotify event on the directory */
	file_cache_changed(dir);
	assert_false(file_cache_get(h, a, &got));
	file_cache_put(h, a, &id);
	assert_true(file_cache_get(h, a, &got));
	/* the directory renamed away and another made under its name: not the watched inode */
	assert_int_equal(rename(dir, old), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	file_cache_begin();
	assert_int_equal(cache_dir_of(dir), -1);
	/* and once the new one is watched, nothing of the old one is there */
	watch_only(dir);
	assert_true((h = cache_dir_of(dir)) >= 0);
	assert_false(file_cache_get(h, a, &got));
	file_cache_put(h, a, &id);
	/* no longer watched, then watched again: what was kept went */
	file_cache_watching(NULL, NULL, 0);
	assert_int_equal(cache_dir_of(dir), -1);
	watch_only(dir);
	assert_true((h = cache_dir_of(dir)) >= 0);
	assert_false(file_cache_get(h, a, &got));
	file_cache_put(h, a, &id);
	file_cache_forget();
	assert_false(file_cache_get(h, a, &got));
	/* a network or pseudo filesystem: never kept */
	watch_only("/proc");
	assert_int_equal(cache_dir_of("/proc"), -1);
	file_cache_watching(NULL, NULL, 0);
	rmdir(dir);
	rmdir(old);
}

/* Through the compile: reused identities, and a symlink is never kept. */
static void test_file_cache_compile(void **state)
{
	char dir[128], other[128], a[160], link[160], target[160], text[1024];
	struct compiled_policy c;
	const struct rule_entry *r;

	(void)state;
	make_shm_dir(dir, sizeof(dir), "kb");
	make_shm_dir(other, sizeof(other), "elsewhere");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(target, sizeof(target), "%s/t", other);
	write_file(a, "a");
	write_file(target, "t");
	unlink(link);
	assert_int_equal(symlink(target, link), 0);
	snprintf(text, sizeof(text), AGENT("{\"fs\":{\"readOnly\":[\"%s\",\"%s\"]}}"), a, link);
	watch_only(dir);
	assert_string_equal(compile_text(text, &c), "");
	assert_int_equal(file_cache_reused(), 0);
	compiled_policy_free(&c);
	assert_string_equal(compile_text(text, &c), "");
	assert_int_equal(file_cache_reused(), 1); /* a, not the symlink */
	assert_non_null(find_rule(&c, RULE_FS_PATH, id_of("coder"), a));
	compiled_policy_free(&c);
	/* the symlink's target replaced: no event on the watched directory */
	write_file(target, "t2");
	assert_string_equal(compile_text(text, &c), "");
	assert_non_null(r = find_rule(&c, RULE_FS_PATH, id_of("coder"), target));
	assert_int_equal(r->value.fs.access, FS_READ);
	compiled_policy_free(&c);
	file_cache_watching(NULL, NULL, 0);
	unlink(a);
	unlink(link);
	unlink(target);
	rmdir(dir);
	rmdir(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_policy_merges_defaults),
		cmocka_unit_test(test_builtin_defaults),
		cmocka_unit_test(test_name_filter),
		cmocka_unit_test(test_syntax_error_has_line_and_column),
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_agent_keys),
		cmocka_unit_test(test_exec_keys),
		cmocka_unit_test(test_fs_and_env_keys),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_unresolvable_names),
		cmocka_unit_test(test_compile_rules),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_directory_entries),
		cmocka_unit_test(test_file_identity_matches_stat_on_plain_fs),
		cmocka_unit_test(test_agent_ids_are_stable),
		cmocka_unit_test(test_fs_patterns),
		cmocka_unit_test(test_fs_compile),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_file_cache),
		cmocka_unit_test(test_file_cache_compile),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
