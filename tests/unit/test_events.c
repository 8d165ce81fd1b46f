// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ring-buffer records to the event stream's JSON and to the one line a
 * person reads (ipc/events.c): the fields the README promises, paths put
 * back together from the kernel's leaf-first walk, records that are too
 * short, and agent-controlled text escaped on a terminal.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "events.h"
#include "json_assert.h"

static void head(struct event_head *h, uint32_t type, uint32_t verdict, uint32_t reason)
{
	h->type = type;
	h->verdict = verdict;
	h->reason = reason;
	h->pid = 4242;
	h->ppid = 1;
	h->uid = 65534;
	h->generation = 3;
	h->cgroup_id = 77;
	memcpy(h->comm, "make", 4);
}

static void test_exec_event(void **state)
{
	static struct exec_event e;
	static const char args[] = "make\0-j2\0all";
	json_object *o, *argv;

	memset(&e, 0, sizeof(e));
	head(&e.head, EVENT_EXEC, VERDICT_DENY, REASON_NOT_ALLOWLISTED);
	snprintf(e.path, sizeof(e.path), "bin/make"); /* relative: joined to the cwd */
	memcpy(e.args, args, sizeof(args));
	e.argc = 3;
	e.args_len = sizeof(args);
	snprintf(e.cwd, sizeof(e.cwd), "proj/workspace/"); /* leaf first, as the kernel walks */
	e.cwd_len = strlen(e.cwd);
	e.dev = 8;
	e.ino = 42;

	o = event_to_json(&e, sizeof(e), "coder", 17);
	assert_non_null(o);
	assert_string_equal(get_str(o, "type"), "exec");
	assert_int_equal(get_int(o, "seq"), 17);
	assert_string_equal(get_str(o, "verdict"), "deny");
	assert_string_equal(get_str(o, "reason"), "not-allowlisted");
	assert_string_equal(get_str(o, "agent"), "coder");
	assert_int_equal(get_int(o, "pid"), 4242);
	assert_string_equal(get_str(o, "comm"), "make");
	assert_string_equal(get_str(o, "cwd"), "/workspace/proj");
	assert_string_equal(get_str(o, "path"), "/workspace/proj/bin/make");
	assert_non_null(get_str(o, "ts"));
	assert_int_equal(get_int(o, "dev"), 8);
	assert_int_equal(get_int(o, "ino"), 42);
	assert_true(json_object_object_get_ex(o, "argv", &argv));
	assert_int_equal(json_object_array_length(argv), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(argv, 1)), "-j2");
	assert_false(json_object_object_get_ex(o, "argvTruncated", NULL));
	json_object_put(o);

	e.truncated = 1;
	o = event_to_json(&e, sizeof(e), NULL, 18);
	assert_string_equal(get_str(o, "agent"), "?");
	assert_true(json_object_get_boolean(json_object_object_get(o, "argvTruncated")));
	json_object_put(o);
}

static void test_file_event(void **state)
{
	static struct file_event e;
	json_object *o;

	memset(&e, 0, sizeof(e));
	head(&e.head, EVENT_FILE, VERDICT_DENY, REASON_FS_DENIED_NAME);
	snprintf(e.path, sizeof(e.path), ".env/proj/workspace/");
	e.path_len = strlen(e.path);
	e.op = FILE_OP_OPEN_READ;
	e.access = FS_READ | FS_WRITE;
	o = event_to_json(&e, sizeof(e), "coder", 1);
	assert_non_null(o);
	assert_string_equal(get_str(o, "type"), "file");
	assert_string_equal(get_str(o, "op"), "open-read");
	assert_string_equal(get_str(o, "path"), "/workspace/proj/.env");
	assert_string_equal(get_str(o, "access"), "read,write");
	assert_string_equal(get_str(o, "reason"), "denied-name");
	json_object_put(o);

	/* a process event names its target instead of a path */
	e.head.type = EVENT_PROCESS;
	e.op = FILE_OP_IOCTL;
	e.access = 0x5412; /* TIOCSTI */
	e.target_pid = 99;
	o = event_to_json(&e, sizeof(e), "coder", 2);
	assert_string_equal(get_str(o, "type"), "process");
	assert_string_equal(get_str(o, "op"), "ioctl");
	assert_string_equal(get_str(o, "ioctl"), "0x5412");
	assert_int_equal(get_int(o, "targetPid"), 99);
	assert_string_equal(get_str(o, "path"), "");
	json_object_put(o);
}

static void test_short_and_unknown_records(void **state)
{
	static struct exec_event e;

	memset(&e, 0, sizeof(e));
	head(&e.head, EVENT_EXEC, VERDICT_ALLOW, REASON_ALLOWLISTED);
	errno = 0;
	assert_null(event_to_json(&e, sizeof(e) - 1, "a", 1));
	assert_int_equal(errno, EINVAL);
	assert_null(event_to_json(&e, sizeof(e.head) - 1, "a", 1));
	e.head.type = 99;
	errno = 0;
	assert_null(event_to_json(&e, sizeof(e), "a", 1));
	assert_int_equal(errno, EINVAL);
}

static void test_names(void **state)
{
	assert_string_equal(verdict_name(VERDICT_ALLOW), "allow");
	assert_string_equal(verdict_name(VERDICT_HOLD), "hold");
	assert_string_equal(reason_name(REASON_MAX + 5), "unknown");
	assert_string_equal(file_op_name(FILE_OP_MAX), "unknown");
	assert_string_equal(file_op_name(FILE_OP_RENAME), "rename");
}

static void test_format_line(void **state)
{
	static struct exec_event e;
	static const char args[] = "sh\0-c\0printf '\x1b[2J'";
	char line[512], small[40];
	json_object *o;

	memset(&e, 0, sizeof(e));
	head(&e.head, EVENT_EXEC, VERDICT_HOLD, REASON_NOT_ALLOWLISTED);
	memset(e.head.comm, 0, sizeof(e.head.comm));
	memcpy(e.head.comm, "a\rb", 3);
	snprintf(e.path, sizeof(e.path), "/tmp/\x1b[2Jsh");
	memcpy(e.args, args, sizeof(args));
	e.argc = 3;
	e.args_len = sizeof(args);
	snprintf(e.cwd, sizeof(e.cwd), "workspace/");
	e.cwd_len = strlen(e.cwd);
	o = event_to_json(&e, sizeof(e), "coder", 1);
	event_format_line(o, line, sizeof(line));
	/* agent-controlled text (comm, path) never reaches the terminal raw */
	assert_non_null(strstr(line, " hold  exec agent=coder pid=4242 comm=a\\rb path=/tmp/\\e[2Jsh"));
	assert_non_null(strstr(line, " cwd=/workspace"));
	assert_null(strchr(line, '\x1b'));
	assert_null(strchr(line, '\r'));

	event_format_line(o, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_string_equal(small + sizeof(small) - 4, "..."); /* a cut line says so */
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_event),
		cmocka_unit_test(test_file_event),
		cmocka_unit_test(test_short_and_unknown_records),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_format_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
