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
#include <sys/socket.h>
#include <cmocka.h>

#include "events.h"
#include "jsonw.h"
#include "net.h"
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

/* What json-c prints for o: the serialization the writer must match byte for byte. */
static const char *json_c_text(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Every byte, in keys and in values, in the places events put agent text. */
static void test_writer_escapes_as_json_c(void **state)
{
	struct jsonw w = { 0 };

	for (int c = 1; c < 256; c++) {
		char text[8] = { 'a', (char)c, '/', (char)c, 'z' }, key[4] = { 'k', (char)c };
		json_object *ref = json_object_new_object(), *arr = json_object_new_array();

		json_object_object_add(ref, key, json_object_new_string(text));
		json_object_array_add(arr, json_object_new_string(text));
		json_object_array_add(arr, json_object_new_string(""));
		json_object_object_add(ref, "argv", arr);
		json_object_object_add(ref, "n", json_object_new_int64(-5));
		json_object_object_add(ref, "u", json_object_new_uint64(UINT64_MAX));
		json_object_object_add(ref, "b", json_object_new_boolean(1));
		json_object_object_add(ref, "empty", json_object_new_array());

		jsonw_reset(&w);
		jsonw_begin_object(&w);
		jsonw_kv_string(&w, key, text);
		jsonw_key(&w, "argv");
		jsonw_begin_array(&w);
		jsonw_string(&w, text);
		jsonw_string(&w, "");
		jsonw_end_array(&w);
		jsonw_kv_int(&w, "n", -5);
		jsonw_kv_uint(&w, "u", UINT64_MAX);
		jsonw_kv_bool(&w, "b", true);
		jsonw_key(&w, "empty");
		jsonw_begin_array(&w);
		jsonw_end_array(&w);
		jsonw_end_object(&w);
		assert_false(w.failed);
		assert_string_equal(w.buf, json_c_text(ref));
		json_object_put(ref);
	}
	jsonw_free(&w);
}

/*
 * One record through the writer: json-c reads it back and prints exactly
 * the same bytes (so consumers of either see the same line).
 */
static json_object *written(const void *rec, size_t len, const char *agent, uint64_t seq,
			    const char *net_name)
{
	struct jsonw w = { 0 };
	json_object *o;

	assert_int_equal(event_write_json(&w, rec, len, agent, seq, net_name), 0);
	o = json_tokener_parse(w.buf);
	assert_non_null(o);
	assert_string_equal(w.buf, json_c_text(o));
	jsonw_free(&w);
	return o;
}

static void test_every_event_type_written_as_json_c(void **state)
{
	static struct exec_event x;
	static struct file_event f;
	static struct net_event n;
	static const char args[] = "sh\0-c\0echo \"$HOME\" \\ \x01\t/x\xc3\xa9\xff";
	static const uint32_t ops[] = { FILE_OP_CAPABILITY, FILE_OP_IOCTL, FILE_OP_SIGIO,
					FILE_OP_SETOWN, FILE_OP_PTRACE };
	json_object *o;

	memset(&x, 0, sizeof(x));
	head(&x.head, EVENT_EXEC, VERDICT_ALLOW, REASON_ALLOWLISTED);
	memcpy(x.head.comm, "a\"b\\c\x1f", 6);
	snprintf(x.path, sizeof(x.path), "/usr/bin/\"quoted\"");
	memcpy(x.args, args, sizeof(args));
	x.argc = 3;
	x.args_len = sizeof(args);
	snprintf(x.cwd, sizeof(x.cwd), "w\nx/");
	x.cwd_len = strlen(x.cwd);
	o = written(&x, sizeof(x), "coder", 5, NULL);
	assert_string_equal(get_str(o, "comm"), "a\"b\\c\x1f");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
				    json_object_object_get(o, "argv"), 2)),
			    "echo \"$HOME\" \\ \x01\t/x\xc3\xa9\xff");
	assert_string_equal(get_str(o, "cwd"), "/w\nx");
	json_object_put(o);
	x.truncated = 1;
	x.head.reason = REASON_QUIET;
	x.argc = 0;
	o = written(&x, sizeof(x), NULL, UINT64_MAX, NULL);
	assert_true(json_object_get_boolean(json_object_object_get(o, "quiet")));
	assert_int_equal(json_object_array_length(json_object_object_get(o, "argv")), 0);
	json_object_put(o);

	memset(&f, 0, sizeof(f));
	head(&f.head, EVENT_FILE, VERDICT_DENY, REASON_FS_DENIED);
	snprintf(f.path, sizeof(f.path), "id_rsa/.ssh/root/");
	f.path_len = strlen(f.path);
	for (uint32_t access = FS_READ; access <= (FS_READ | FS_WRITE); access++) {
		f.access = access;
		json_object_put(written(&f, sizeof(f), "coder", 6, NULL));
	}
	f.head.type = EVENT_PROCESS;
	f.target_pid = -1;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		f.op = ops[i];
		f.access = ops[i] == FILE_OP_SETOWN ? (uint32_t)-7 : 21;
		json_object_put(written(&f, sizeof(f), "coder", 7, NULL));
	}

	memset(&n, 0, sizeof(n));
	head(&n.head, EVENT_NET, VERDICT_DENY, REASON_NET_NOT_ALLOWED);
	n.family = AF_INET6;
	n.type = SOCK_STREAM;
	n.op = NET_OP_CONNECT;
	n.port = 443;
	n.addr[15] = 1;
	o = written(&n, sizeof(n), "coder", 8, "api.example.com");
	assert_string_equal(get_str(o, "addr"), "::1");
	assert_string_equal(get_str(o, "name"), "api.example.com");
	json_object_put(o);
	n.family = AF_UNIX;
	n.op = NET_OP_UNIX_CONNECT;
	memcpy(n.path, "@bus\x01", 5);
	n.path_len = 5;
	o = written(&n, sizeof(n), "coder", 9, NULL);
	assert_string_equal(get_str(o, "path"), "@bus.");
	assert_null(get_str(o, "name"));
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
		cmocka_unit_test(test_writer_escapes_as_json_c),
		cmocka_unit_test(test_every_event_type_written_as_json_c),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
