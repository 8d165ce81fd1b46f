// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pure parts of the approval gate: what a human is shown (escaping of
 * agent-controlled text) and when two held execs may be one request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "approvals.h"
#include "text.h"

static const char *escaped(const char *s)
{
	static char out[512];

	text_escape(out, sizeof(out), s);
	return out;
}

static void test_escape_controls(void **state)
{
	assert_string_equal(escaped("ls -la"), "ls -la");
	/* a carriage return and an erase-line would repaint what the human reads */
	assert_string_equal(escaped("rm -rf /w\r\x1b[2Kls -la"), "rm -rf /w\\r\\e[2Kls -la");
	assert_string_equal(escaped("a\nb\tc"), "a\\nb\\tc");
	assert_string_equal(escaped("back\\slash"), "back\\\\slash");
	assert_string_equal(escaped("del\x7f"), "del\\x7f");
	/* a right-to-left override (U+202E) reverses the rest of the line */
	assert_string_equal(escaped("txt\xe2\x80\xae" "exe.sh"), "txt\\u202eexe.sh");
	/* invalid UTF-8 is shown byte by byte; valid UTF-8 as it is */
	assert_string_equal(escaped("\xff\xfe"), "\\xff\\xfe");
	assert_string_equal(escaped("caf\xc3\xa9"), "caf\xc3\xa9");
}

static void test_escape_length(void **state)
{
	char small[8];
	size_t need = text_escape(small, sizeof(small), "\x1b\x1b\x1b\x1b");

	assert_int_equal(need, strlen("\\e\\e\\e\\e"));
	assert_int_equal(strlen(small), sizeof(small) - 1); /* cut, NUL-terminated */
}

static json_object *request(const char *argv0, const char *cwd)
{
	json_object *o = json_object_new_object(), *argv = json_object_new_array();

	json_object_array_add(argv, json_object_new_string(argv0));
	json_object_object_add(o, "argv", argv);
	json_object_object_add(o, "cwd", json_object_new_string(cwd));
	json_object_object_add(o, "uid", json_object_new_int(65534));
	return o;
}

static struct approval *add(struct approval_queue *q, pid_t pid, json_object *info, bool *merged)
{
	return approvals_add(q, 1, "a", pid, -1, 8, 42, info, 1000, 60000, false, merged);
}

static void test_merge_only_what_is_shown_alike(void **state)
{
	struct approval_queue q = {};
	struct approval *first, *a;
	bool merged;

	first = add(&q, 100, request("job", "/workspace/good"), &merged);
	assert_non_null(first);
	assert_false(merged);
	/* the same argv in another directory is another request (observation 6) */
	a = add(&q, 101, request("job", "/workspace/evil"), &merged);
	assert_false(merged);
	assert_int_equal(q.n, 2);
	/* exactly the same: one request, and its decision covers exactly both pids */
	a = add(&q, 102, request("job", "/workspace/good"), &merged);
	assert_true(merged);
	assert_int_equal(a->id, q.v[0].id);
	assert_int_equal(q.v[0].n_pids, 2);
	assert_int_equal(q.v[0].pids[0], 100);
	assert_int_equal(q.v[0].pids[1], 102);
	assert_int_equal(q.v[1].n_pids, 1);
	approvals_free(&q);
}

static void test_merge_is_capped(void **state)
{
	struct approval_queue q = {};
	bool merged;

	for (pid_t p = 1; p <= APPROVAL_PIDS_MAX + 1; p++)
		assert_non_null(add(&q, p, request("job", "/w"), &merged));
	assert_int_equal(q.n, 2);
	assert_int_equal(q.v[0].n_pids, APPROVAL_PIDS_MAX);
	assert_int_equal(q.v[1].n_pids, 1);
	approvals_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_controls),
		cmocka_unit_test(test_escape_length),
		cmocka_unit_test(test_merge_only_what_is_shown_alike),
		cmocka_unit_test(test_merge_is_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
