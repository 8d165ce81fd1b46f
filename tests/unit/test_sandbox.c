// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bwrap command line of an agent's sandbox: namespaces, read-only
 * system paths, the workspace, binds (:ro by default), and an environment
 * of env.set and env.pass only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"
#include "run_hint.h"
#include "sandbox_host.h"

/* Index of the first occurrence of the words a, b, c in argv, or -1. */
static int find3(const struct strv *argv, const char *a, const char *b, const char *c)
{
	for (size_t i = 0; i + 2 < argv->n; i++)
		if (!strcmp(argv->v[i], a) && (!b || !strcmp(argv->v[i + 1], b)) &&
		    (!c || !strcmp(argv->v[i + 2], c)))
			return (int)i;
	return -1;
}

static bool has(const struct strv *argv, const char *word)
{
	return strv_contains(argv, word);
}

static void build(struct sandbox_spec *s, struct strv *argv, char *const *env)
{
	char *cmd[] = { "python3", "-c", "print(1)", NULL };

	assert_int_equal(sandbox_argv(s, "/usr/local/bin/warden", cmd, env, argv), 0);
}

static void spec(struct sandbox_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->agent = strdup("coder");
	s->user = strdup("nobody");
	s->workspace = strdup("/srv/agents/coder");
	strv_push(&s->read_only, "/usr");
	strv_push(&s->read_only, "/no/such/path/anywhere");
	strv_push(&s->binds, "/srv/knowledge:/knowledge:ro");
	strv_push(&s->binds, "/srv/out:/out:rw");
	strv_push(&s->binds, "/srv/REGRESSIONS.md:/REGRESSIONS.md");
	strv_push(&s->env_set, "HOME=/workspace");
	strv_push(&s->env_pass, "LANG");
}

static void test_namespaces_and_identity(void **state)
{
	struct sandbox_spec s;
	struct strv argv = {};

	spec(&s);
	build(&s, &argv, NULL);
	assert_string_equal(argv.v[0], "bwrap");
	for (const char *const *w = (const char *const[]){ "--unshare-user", "--disable-userns",
							    "--unshare-pid", "--unshare-ipc",
							    "--unshare-uts", "--unshare-net",
							    "--die-with-parent", "--new-session",
							    "--clearenv", NULL };
	     *w; w++)
		if (!has(&argv, *w))
			fail_msg("missing %s", *w);
	assert_true(find3(&argv, "--proc", "/proc", NULL) >= 0);
	assert_true(find3(&argv, "--dev", "/dev", NULL) >= 0);
	assert_true(find3(&argv, "--tmpfs", "/tmp", NULL) >= 0);
	/* the first program inside is warden's stage, then the command */
	assert_true(find3(&argv, "--ro-bind", "/usr/local/bin/warden", SANDBOX_STAGE) >= 0);
	assert_true(find3(&argv, SANDBOX_STAGE, "sandbox-stage", "--agent") >= 0);
	assert_string_equal(argv.v[argv.n - 3], "python3");
	strv_free(&argv);
	s.share_network = true;
	build(&s, &argv, NULL);
	assert_false(has(&argv, "--unshare-net"));
	strv_free(&argv);
	sandbox_spec_free(&s);
}

static void test_paths_and_binds(void **state)
{
	struct sandbox_spec s;
	struct strv argv = {};

	spec(&s);
	build(&s, &argv, NULL);
	assert_true(find3(&argv, "--ro-bind", "/usr", "/usr") >= 0);
	assert_int_equal(find3(&argv, "--ro-bind", "/no/such/path/anywhere", NULL), -1);
	assert_true(find3(&argv, "--bind", "/srv/agents/coder", SANDBOX_WORKSPACE) >= 0);
	assert_true(find3(&argv, "--chdir", SANDBOX_WORKSPACE, NULL) >= 0);
	assert_true(find3(&argv, "--ro-bind", "/srv/knowledge", "/knowledge") >= 0);
	assert_true(find3(&argv, "--bind", "/srv/out", "/out") >= 0);
	/* no mode: read-only */
	assert_true(find3(&argv, "--ro-bind", "/srv/REGRESSIONS.md", "/REGRESSIONS.md") >= 0);
	strv_free(&argv);
	free(s.tmp_dir);
	s.tmp_dir = strdup("/var/lib/warden/tmp/coder");
	build(&s, &argv, NULL);
	assert_true(find3(&argv, "--bind", "/var/lib/warden/tmp/coder", "/tmp") >= 0);
	strv_free(&argv);
	sandbox_spec_free(&s);
}

static void test_environment(void **state)
{
	char *env[] = { "LANG=C.UTF-8", "OPENAI_API_KEY=sk-secret", "LD_PRELOAD=/x.so",
			"LANGUAGE=en", NULL };
	struct sandbox_spec s;
	struct strv argv = {};

	spec(&s);
	build(&s, &argv, env);
	assert_true(find3(&argv, "--setenv", "HOME", "/workspace") >= 0);
	assert_true(find3(&argv, "--setenv", "LANG", "C.UTF-8") >= 0);
	/* a default PATH when the policy sets none */
	assert_true(find3(&argv, "--setenv", "PATH", NULL) >= 0);
	for (size_t i = 0; i < argv.n; i++) {
		assert_null(strstr(argv.v[i], "sk-secret"));
		assert_null(strstr(argv.v[i], "LD_PRELOAD"));
		assert_string_not_equal(argv.v[i], "LANGUAGE");
	}
	/* --clearenv comes before every --setenv */
	assert_true(find3(&argv, "--clearenv", NULL, NULL) < find3(&argv, "--setenv", NULL, NULL));
	strv_free(&argv);
	sandbox_spec_free(&s);
}

static void test_spec_round_trip(void **state)
{
	struct sandbox_spec in, out;
	json_object *o = json_object_new_object(), *ro = json_object_new_array();

	spec(&in);
	json_object_object_add(o, "agent", json_object_new_string(in.agent));
	json_object_object_add(o, "user", json_object_new_string(in.user));
	json_object_object_add(o, "network", json_object_new_string("host"));
	json_object_array_add(ro, json_object_new_string("/usr"));
	json_object_object_add(o, "readOnly", ro);
	json_object_object_add(o, "binds", json_object_new_array());
	json_object_object_add(o, "envSet", json_object_new_array());
	json_object_object_add(o, "envPass", json_object_new_array());
	assert_int_equal(sandbox_spec_from_json(o, &out), 0);
	assert_string_equal(out.agent, "coder");
	assert_true(out.share_network);
	assert_int_equal(out.read_only.n, 1);
	assert_null(out.workspace);
	sandbox_spec_free(&out);
	json_object_object_del(o, "user");
	assert_int_not_equal(sandbox_spec_from_json(o, &out), 0);
	sandbox_spec_free(&out);
	json_object_put(o);
	sandbox_spec_free(&in);
}

/* The agent's environment as handed to CMD: env.pass the caller has, env.set wins, PATH. */
static void test_agent_environment(void **state)
{
	char *env[] = { "LANG=C.UTF-8", "HOME=/root", "AWS_SECRET_ACCESS_KEY=x", NULL };
	struct sandbox_spec s;
	struct strv out = {};

	spec(&s);
	strv_push(&s.env_pass, "HOME"); /* also set: env.set wins */
	strv_push(&s.env_pass, "TERM"); /* the caller has none: absent */
	assert_int_equal(sandbox_environment(&s, env, &out), 0);
	assert_int_equal(out.n, 3);
	assert_true(strv_contains(&out, "LANG=C.UTF-8"));
	assert_true(strv_contains(&out, "HOME=/workspace"));
	assert_true(strv_contains(&out, "PATH=" SANDBOX_DEFAULT_PATH));
	strv_free(&out);
	/* the per-agent home is HOME only when env.set names none */
	s.home = strdup("/var/lib/warden/home/coder");
	assert_int_equal(sandbox_environment(&s, env, &out), 0);
	assert_true(strv_contains(&out, "HOME=/workspace"));
	assert_false(strv_contains(&out, "HOME=/var/lib/warden/home/coder"));
	strv_free(&out);
	strv_free(&s.env_set);
	assert_int_equal(sandbox_environment(&s, env, &out), 0);
	assert_true(strv_contains(&out, "HOME=/var/lib/warden/home/coder"));
	strv_free(&out);
	sandbox_spec_free(&s);
}

/* The hint of a failed run counts that run's refusals, no other run's, no allows. */
static void test_run_hint(void **state)
{
	char path[] = "/tmp/warden-events-XXXXXX", *text = NULL;
	int fd = mkstemp(path);
	size_t len = 0;
	FILE *f = fdopen(fd, "w"), *out;

	assert_non_null(f);
	fputs("{\"cgroup\":42,\"verdict\":\"deny\",\"type\":\"file\"}\n"
	      "{\"cgroup\":42,\"verdict\":\"allow\",\"type\":\"exec\"}\n"
	      "{\"cgroup\":421,\"verdict\":\"deny\",\"type\":\"exec\"}\n"
	      "{\"cgroup\":42,\"verdict\":\"deny\",\"type\":\"net\"}\n"
	      "not json 42 \"deny\"\n", f);
	fclose(f);
	assert_int_equal(run_refusals(path, 42, 0), 2);
	assert_int_equal(run_refusals(path, 7, 0), 0);
	/* from the start of the run's part of the log: the first line is before it */
	assert_int_equal(run_refusals(path, 42, (long)strlen("{\"cgroup\":42,\"verdict\":\"deny\",\"type\":\"file\"}\n")), 1);
	/* from inside a line: that line is not counted */
	assert_int_equal(run_refusals(path, 42, 3), 1);
	unlink(path);
	assert_true(run_refusals(path, 42, 0) < 0);
	out = open_memstream(&text, &len);
	run_print_hint(out, "coder", 42, 1, 2);
	fclose(out);
	assert_non_null(strstr(text, "2 refusals"));
	assert_non_null(strstr(text, "warden events --agent coder --run 42"));
	free(text);
}

/* A symlink where bwrap would create a bind destination in a tree the agent writes. */
static void test_destinations(void **state)
{
	char dir[] = "/tmp/warden-dest-XXXXXX", path[PATH_MAX], why[2 * PATH_MAX];
	struct sandbox_spec s = {};

	assert_non_null(mkdtemp(dir));
	s.agent = strdup("coder");
	s.user = strdup("nobody");
	s.workspace = strdup(dir);
	strv_push(&s.binds, "/srv/ops/tasks.json:/workspace/sub/tasks.json:ro");
	strv_push(&s.binds, "/srv/knowledge:/knowledge:ro");
	/* nothing there yet: bwrap creates it */
	assert_int_equal(sandbox_check_destinations(&s, why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/tasks.json", dir);
	assert_int_equal(symlink("/elsewhere/planted", path), 0);
	assert_int_equal(sandbox_check_destinations(&s, why, sizeof(why)), -ELOOP);
	assert_non_null(strstr(why, "/workspace/sub/tasks.json"));
	assert_non_null(strstr(why, path));
	unlink(path);
	/* a symlinked directory on the way counts as well */
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(symlink("/tmp", path), 0);
	assert_int_equal(sandbox_check_destinations(&s, why, sizeof(why)), -ELOOP);
	unlink(path);
	rmdir(dir);
	sandbox_spec_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespaces_and_identity),
		cmocka_unit_test(test_paths_and_binds),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_spec_round_trip),
		cmocka_unit_test(test_agent_environment),
		cmocka_unit_test(test_destinations),
		cmocka_unit_test(test_run_hint),
	};

	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
