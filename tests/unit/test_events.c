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
#include "repeats.h"
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
	f.head.count = 4000000000u; /* a report of folded denials */
	o = written(&f, sizeof(f), "coder", 6, NULL);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "count")), 4000000000LL);
	json_object_put(o);
	f.head.count = 0;
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


/* ---- identical denials the kernel folded (daemon/repeats.c) ---- */

static void denial(struct file_event *e, uint32_t pid, uint64_t ino, const char *leaf_first)
{
	memset(e, 0, sizeof(*e));
	head(&e->head, EVENT_FILE, VERDICT_DENY, REASON_FS_DENIED_NAME);
	e->head.pid = pid;
	e->head.agent = 2;
	e->head.ts_ns = 1000;
	e->dev = 8;
	e->ino = ino;
	e->op = FILE_OP_OPEN_READ;
	e->access = FS_READ;
	snprintf(e->path, sizeof(e->path), "%s", leaf_first);
	e->path_len = strlen(e->path);
}

static void test_repeat_key_is_what_the_kernel_folds(void **state)
{
	struct file_event e;
	struct repeat_key k, k2;

	denial(&e, 10, 99, ".env/ws/");
	assert_true(repeat_key_of(&e, &k));
	assert_int_equal(k.tgid, 10);
	assert_int_equal(k.ino, 99);
	assert_int_equal(k.cgroup_id, 77);
	assert_int_equal(k.generation, 3);
	assert_int_equal(k.reason, REASON_FS_DENIED_NAME);
	/* every field that tells two denials apart is in the key */
	e.access = FS_READ | FS_WRITE;
	assert_true(repeat_key_of(&e, &k2));
	assert_memory_not_equal(&k, &k2, sizeof(k));
	/* nothing is folded without an inode (a denied create: two names would look alike) */
	e.ino = 0;
	assert_false(repeat_key_of(&e, &k));
	/* nor what is not a file denial */
	denial(&e, 10, 99, ".env/ws/");
	e.head.type = EVENT_PROCESS;
	assert_false(repeat_key_of(&e, &k));
	denial(&e, 10, 99, ".env/ws/");
	e.head.verdict = VERDICT_ALLOW;
	assert_false(repeat_key_of(&e, &k));
	/* nor the IPC denials bpf/ipc.bpf.c reports without fs_deny's fold */
	denial(&e, 10, 99, ".env/ws/");
	e.head.reason = REASON_SHM_OTHER;
	assert_false(repeat_key_of(&e, &k));
	e.head.reason = REASON_HOST_IPC;
	assert_false(repeat_key_of(&e, &k));
}

static void test_repeat_report_is_the_remembered_denial_with_its_count(void **state)
{
	static struct file_event e, out;
	struct repeats r = { 0 };
	struct repeat_key k;
	json_object *o;

	denial(&e, 10, 99, ".env/ws/");
	repeats_remember(&r, &e);
	assert_true(repeat_key_of(&e, &k));
	repeats_report(&r, &k, 41, 5000, &out);
	assert_int_equal(out.head.count, 41);
	assert_int_equal(out.head.ts_ns, 5000); /* when the last of them was refused */
	o = event_to_json(&out, sizeof(out), "coder", 1);
	assert_string_equal(get_str(o, "path"), "/ws/.env");
	assert_int_equal(get_int(o, "count"), 41);
	assert_string_equal(get_str(o, "comm"), "make");
	json_object_put(o);

	/* another process's denial of the same file is not its report */
	denial(&e, 11, 99, ".other/ws/");
	repeats_remember(&r, &e);
	repeats_report(&r, &k, 41, 5000, &out);
	assert_int_equal(out.head.pid, 10);
	repeats_free(&r);
}

static void test_repeat_report_without_its_denial_is_made_of_the_key(void **state)
{
	static struct file_event out;
	struct repeats r = { 0 };
	struct repeat_key k = { .cgroup_id = 5, .generation = 9, .dev = 8, .ino = 99, .tgid = 12,
				.agent = 2, .op = FILE_OP_OPEN_WRITE, .access = FS_WRITE,
				.reason = REASON_FS_DENIED, .uid = 1000 };
	json_object *o;

	/* a daemon that restarted never saw the reported one: what is known still counts */
	repeats_report(&r, &k, 7, 2, &out);
	o = event_to_json(&out, sizeof(out), "coder", 1);
	assert_string_equal(get_str(o, "type"), "file");
	assert_string_equal(get_str(o, "verdict"), "deny");
	assert_string_equal(get_str(o, "path"), "");
	assert_int_equal(get_int(o, "pid"), 12);
	assert_int_equal(get_int(o, "ino"), 99);
	assert_int_equal(get_int(o, "count"), 7);
	assert_string_equal(get_str(o, "access"), "write");
	json_object_put(o);
}

struct reports {
	int n;
	uint64_t total;
	struct file_event last;
};

static void collect(void *ctx, const struct file_event *report)
{
	struct reports *got = ctx;

	got->n++;
	got->total += report->head.count;
	got->last = *report;
}

static void test_repeats_report_each_count_once(void **state)
{
	static struct file_event a, b;
	struct repeats r = { 0 };
	struct repeat_seen seen[2];
	struct reports got = { 0 };
	size_t doomed;

	denial(&a, 10, 99, ".env/ws/");
	denial(&b, 11, 98, "key/ws/");
	repeats_remember(&r, &a);
	repeats_remember(&r, &b);
	assert_true(repeat_key_of(&a, &seen[0].key));
	assert_true(repeat_key_of(&b, &seen[1].key));

	/* a: 500 folded, b: none (one denial, already an event) */
	seen[0].count = (struct repeat_count){ .last_ns = 9000, .folded = 500 };
	seen[1].count = (struct repeat_count){ .last_ns = 1000, .folded = 0 };
	doomed = repeats_account(&r, seen, 2, 10000, false, collect, &got);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.total, 500);
	assert_int_equal(got.last.head.pid, 10);
	assert_int_equal(got.last.head.ts_ns, 9000);
	assert_int_equal(doomed, 0);

	/* the kernel's count goes on: only what it added since is reported */
	seen[0].count = (struct repeat_count){ .last_ns = 19000, .folded = 520 };
	seen[1].count = (struct repeat_count){ .last_ns = 1000, .folded = 0 };
	doomed = repeats_account(&r, seen, 2, 20000, false, collect, &got);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.total, 520);
	/* nothing new: no report */
	doomed = repeats_account(&r, seen, 2, 30000, false, collect, &got);
	assert_int_equal(got.n, 2);

	/* idle for REPEAT_IDLE_NS: to be deleted; what the deletion found is reported too */
	seen[0].count = (struct repeat_count){ .last_ns = 19000, .folded = 520 };
	seen[1].count = (struct repeat_count){ .last_ns = 1000, .folded = 0 };
	doomed = repeats_account(&r, seen, 2, 19000 + REPEAT_IDLE_NS, false, collect, &got);
	assert_int_equal(doomed, 2);
	assert_int_equal(got.n, 2);
	seen[0].count.folded = 523; /* three more before the delete */
	repeats_retire(&r, seen, doomed, collect, &got);
	assert_int_equal(got.n, 3);
	assert_int_equal(got.total, 523);
	assert_int_equal(r.used, 0);
	repeats_free(&r);
}

static void test_repeats_forget_what_the_kernel_does_not_hold(void **state)
{
	static struct file_event e;
	struct repeats r = { 0 };
	struct repeat_seen seen = { 0 };
	struct reports got = { 0 };

	/* 3000 denials the kernel could not open an entry for (its map was full) */
	for (uint32_t i = 0; i < 3000; i++) {
		denial(&e, 10, 1000 + i, ".env/ws/");
		repeats_remember(&r, &e);
	}
	assert_int_equal(r.used, 3000);
	denial(&e, 10, 1000 + 1234, ".env/ws/");
	assert_true(repeat_key_of(&e, &seen.key));
	seen.count = (struct repeat_count){ .last_ns = 5, .folded = 2 };
	repeats_account(&r, &seen, 1, 10, false, collect, &got);
	assert_int_equal(r.used, 1); /* only the one the kernel holds is left */
	assert_int_equal(got.total, 2);
	assert_string_equal(got.last.path, ".env/ws/");
	assert_int_equal(got.last.ino, 1000 + 1234);
	/* at exit, everything goes: all are to be deleted */
	assert_int_equal(repeats_account(&r, &seen, 1, 11, true, collect, &got), 1);
	repeats_free(&r);
}

static void test_repeats_kernel_keys_keep_their_slots_in_a_flood(void **state)
{
	static struct file_event e;
	struct repeats r = { 0 };
	struct repeat_seen seen = { 0 };
	struct reports got = { 0 };

	/* more distinct denials than the kernel's map holds, none of them yet swept */
	for (uint32_t i = 0; i < 2 * WARDEN_REPEATS_MAX; i++) {
		denial(&e, 10, 100000 + i, ".env/ws/");
		repeats_remember(&r, &e);
	}
	assert_int_equal(r.used, WARDEN_REPEATS_MAX);
	/* a kernel key the daemon has no record of still gets its slot: reported once */
	denial(&e, 99, 7, "key/ws/");
	assert_true(repeat_key_of(&e, &seen.key));
	seen.count = (struct repeat_count){ .last_ns = 5, .folded = 3 };
	repeats_account(&r, &seen, 1, 10, false, collect, &got);
	repeats_account(&r, &seen, 1, 20, false, collect, &got);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.total, 3);
	repeats_free(&r);
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
		cmocka_unit_test(test_repeat_key_is_what_the_kernel_folds),
		cmocka_unit_test(test_repeat_report_is_the_remembered_denial_with_its_count),
		cmocka_unit_test(test_repeat_report_without_its_denial_is_made_of_the_key),
		cmocka_unit_test(test_repeats_report_each_count_once),
		cmocka_unit_test(test_repeats_forget_what_the_kernel_does_not_hold),
		cmocka_unit_test(test_repeats_kernel_keys_keep_their_slots_in_a_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
