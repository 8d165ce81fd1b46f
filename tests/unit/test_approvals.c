// SPDX-License-Identifier: GPL-2.0-only
/*
 * The approval queue's bookkeeping (daemon/approvals.c): ids, deadlines,
 * processes leaving a request, network requests, and what a request looks
 * like to a human and to the notify command. (Merging is test_gate.c's.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "approvals.h"
#include "held_state.h"
#include "warden.h"
#include "json_assert.h"

static json_object *exec_info(const char *path, const char *argv0)
{
	json_object *o = json_object_new_object(), *argv = json_object_new_array();

	json_object_array_add(argv, json_object_new_string(argv0));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "argv", argv);
	json_object_object_add(o, "cwd", json_object_new_string("/workspace"));
	return o;
}

static json_object *net_info(const char *addr, int port)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string("net"));
	json_object_object_add(o, "addr", json_object_new_string(addr));
	json_object_object_add(o, "port", json_object_new_int(port));
	return o;
}

static void test_ids_and_find(void **state)
{
	struct approval_queue q = {};
	struct approval *a, *b;
	bool merged;

	a = approvals_add(&q, 1, "coder", 100, 10, 8, 42, exec_info("/usr/bin/make", "make"), 1000,
			  60000, false, &merged);
	assert_non_null(a);
	assert_false(merged);
	b = approvals_add(&q, 1, "coder", 101, 11, 8, 43, exec_info("/usr/bin/gcc", "gcc"), 1000,
			  60000, true, &merged);
	assert_non_null(b);
	assert_false(merged); /* another binary: another request */
	assert_int_equal(q.n, 2);
	assert_int_equal(q.v[0].id, 1);
	assert_int_equal(q.v[1].id, 2);
	assert_ptr_equal(approvals_find(&q, 2), &q.v[1]);
	assert_null(approvals_find(&q, 3));
	assert_string_equal(q.v[0].agent, "coder");
	assert_int_equal(q.v[0].deadline_ms, 61000);
	assert_true(q.v[1].fallback_allow);

	/* ids are never reused, even after a removal */
	approvals_remove(&q, 0);
	assert_int_equal(q.n, 1);
	assert_int_equal(q.v[0].id, 2);
	a = approvals_add(&q, 1, "coder", 102, 12, 8, 44, exec_info("/usr/bin/ld", "ld"), 1000,
			  60000, false, &merged);
	assert_non_null(a);
	assert_int_equal(a->id, 3);
	approvals_free(&q);
	assert_int_equal(q.n, 0);
	assert_null(q.v);
}

static void test_deadlines(void **state)
{
	struct approval_queue q = {};
	bool merged;

	assert_int_equal(approvals_expired(&q, 0), -1);
	approvals_add(&q, 1, "a", 100, 10, 8, 42, exec_info("/bin/x", "x"), 1000, 5000, false,
		      &merged);
	approvals_add(&q, 1, "a", 101, 11, 8, 43, exec_info("/bin/y", "y"), 1000, 1000, false,
		      &merged);
	assert_int_equal(approvals_expired(&q, 1999), -1);
	assert_int_equal(approvals_expired(&q, 2000), 1); /* a deadline is inclusive */
	assert_int_equal(approvals_expired(&q, 6000), 0); /* the first one past, in queue order */
	approvals_free(&q);
}

static void test_processes_leave(void **state)
{
	struct approval_queue q = {};
	bool merged;
	size_t i, j;

	approvals_add(&q, 1, "a", 100, 10, 8, 42, exec_info("/bin/x", "x"), 1000, 5000, false,
		      &merged);
	approvals_add(&q, 1, "a", 101, 11, 8, 42, exec_info("/bin/x", "x"), 1000, 5000, false,
		      &merged);
	assert_true(merged);
	approvals_add(&q, 1, "a", 102, 12, 8, 42, exec_info("/bin/x", "x"), 1000, 5000, false,
		      &merged);
	assert_int_equal(q.n, 1);
	assert_int_equal(q.v[0].n_pids, 3);

	assert_true(approvals_find_pidfd(&q, 11, &i, &j));
	assert_int_equal(i, 0);
	assert_int_equal(j, 1);
	assert_false(approvals_find_pidfd(&q, 99, &i, &j));

	/* the middle one exits: the others keep their pidfds, in order */
	assert_false(approvals_drop_pid(&q, 0, 1));
	assert_int_equal(q.v[0].n_pids, 2);
	assert_int_equal(q.v[0].pids[0], 100);
	assert_int_equal(q.v[0].pidfds[0], 10);
	assert_int_equal(q.v[0].pids[1], 102);
	assert_int_equal(q.v[0].pidfds[1], 12);
	assert_false(approvals_drop_pid(&q, 0, 0));
	assert_true(approvals_drop_pid(&q, 0, 0)); /* left without processes */
	approvals_free(&q);
}

static void test_net_requests(void **state)
{
	struct approval_queue q = {};
	struct approval *a, *b;
	bool merged;

	a = approvals_add_net(&q, 1, "coder", net_info("10.0.0.1", 443), 1000, 60000, &merged);
	assert_non_null(a);
	assert_false(merged);
	assert_int_equal(a->kind, APPROVAL_NET);
	assert_int_equal(a->n_pids, 0);
	assert_false(a->fallback_allow); /* nothing waits: a timeout grants nothing */
	b = approvals_add_net(&q, 1, "coder", net_info("10.0.0.1", 443), 2000, 60000, &merged);
	assert_true(merged);
	assert_ptr_equal(a, b);
	approvals_add_net(&q, 1, "coder", net_info("10.0.0.1", 22), 2000, 60000, &merged);
	assert_false(merged);
	approvals_add_net(&q, 2, "other", net_info("10.0.0.1", 443), 2000, 60000, &merged);
	assert_false(merged); /* another agent's request is its own */
	assert_int_equal(q.n, 3);
	approvals_free(&q);
}

static void test_to_json(void **state)
{
	struct approval_queue q = {};
	json_object *o, *pids;
	struct approval *a;
	bool merged;

	a = approvals_add(&q, 7, "coder", 100, 10, 8, 42, exec_info("/usr/bin/make", "make"),
			  1764633600000ULL, 300000, false, &merged);
	approvals_add(&q, 7, "coder", 101, 11, 8, 42, exec_info("/usr/bin/make", "make"),
		      1764633600000ULL, 300000, false, &merged);
	o = approval_to_json(a, 1764633600000ULL + 60000);
	/* what `warden approvals --json` promises: id, agent, pid, path, argv */
	assert_int_equal(get_int(o, "id"), 1);
	assert_string_equal(get_str(o, "agent"), "coder");
	assert_int_equal(get_int(o, "pid"), 100);
	assert_string_equal(get_str(o, "path"), "/usr/bin/make");
	assert_non_null(get_str(o, "argv"));
	assert_true(json_object_object_get_ex(o, "pids", &pids));
	assert_int_equal(json_object_array_length(pids), 2);
	assert_string_equal(get_str(o, "time"), "2025-12-02T00:00:00.000Z");
	assert_string_equal(get_str(o, "deadline"), "2025-12-02T00:05:00.000Z");
	assert_int_equal(get_int(o, "expiresInSeconds"), 240);
	assert_string_equal(get_str(o, "fallback"), "deny");
	json_object_put(o);
	o = approval_to_json(a, 1764633600000ULL + 400000);
	assert_int_equal(get_int(o, "expiresInSeconds"), 0); /* past: never negative */
	json_object_put(o);

	a = approvals_add_net(&q, 7, "coder", net_info("10.0.0.1", 443), 1000, 1000, &merged);
	o = approval_to_json(a, 1000);
	assert_false(json_object_object_get_ex(o, "pid", NULL)); /* nothing is held */
	assert_string_equal(get_str(o, "kind"), "net");
	json_object_put(o);
	approvals_free(&q);
}

static void test_shells(void **state)
{
	assert_true(approval_is_shell("/bin/sh"));
	assert_true(approval_is_shell("/usr/bin/python3"));
	assert_true(approval_is_shell("/usr/bin/python3.11"));
	assert_true(approval_is_shell("bash"));
	assert_true(approval_is_shell("/usr/bin/env"));
	assert_false(approval_is_shell("/usr/bin/make"));
	assert_false(approval_is_shell("/usr/bin/shred")); /* a prefix is not a name */
	assert_false(approval_is_shell("/opt/bash/tool"));
}

/*
 * The hold's race (held_state.c): marked at nvcsw 10, a task that has not
 * slept yet is waiting whether /proc shows 'R' or already 'T' (stopping,
 * notifying its parent, or preempted by it before schedule()); one sleep
 * is the stop; anything more is a wake-up.
 */
static void test_held_judge(void **state)
{
	(void)state;
	assert_int_equal(held_judge(HELD_COMMITTED, 0, 'R', 3), HC_WAIT);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 'R', 10), HC_WAIT);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 'T', 10), HC_WAIT);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 'T', 11), HC_STOPPED);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 'R', 11), HC_ESCAPED);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 'S', 11), HC_ESCAPED);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 'T', 12), HC_ESCAPED);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 't', 11), HC_ESCAPED);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 'T', 9), HC_ESCAPED);
	assert_int_equal(held_judge(HELD_RELEASED, 10, 'T', 11), HC_ESCAPED);
	assert_int_equal(held_judge(HELD_ESCAPED, 10, 'T', 11), HC_ESCAPED);
	assert_int_equal(held_judge(HELD_ESCAPED, 10, 0, 0), HC_ESCAPED);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 'Z', 11), HC_GONE);
	assert_int_equal(held_judge(HELD_STOPPED, 10, 0, 0), HC_GONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_find),    cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_processes_leave), cmocka_unit_test(test_net_requests),
		cmocka_unit_test(test_to_json),         cmocka_unit_test(test_held_judge),         cmocka_unit_test(test_shells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
