// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's framing (ipc/control.c), over a socketpair: one JSON
 * object a line each way, nothing else accepted, bounded in size and in time
 * (one deadline for a whole message, however it is paced), never a byte past
 * the line taken, the protocol version checked, and the peer known by the
 * kernel's word.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "control.h"

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void put(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static void test_round_trip(void **state)
{
	json_object *req = json_object_new_object(), *got = NULL, *v;
	int sv[2];

	pair(sv);
	json_object_object_add(req, "op", json_object_new_string("status"));
	json_object_object_add(req, "path", json_object_new_string("/a/b")); /* no "\/" on the wire */
	assert_int_equal(control_send(sv[0], req), 0);
	assert_int_equal(control_read(sv[1], &got), 0);
	assert_true(json_object_object_get_ex(got, "op", &v));
	assert_string_equal(json_object_get_string(v), "status");
	assert_true(json_object_object_get_ex(got, "path", &v));
	assert_string_equal(json_object_get_string(v), "/a/b");
	assert_true(json_object_object_get_ex(got, "v", &v)); /* every message says its version */
	assert_int_equal(json_object_get_int(v), CONTROL_VERSION);
	json_object_put(got);
	json_object_put(req);
	close(sv[0]);
	close(sv[1]);
}

/* A child that writes into fd as fn says, while the test reads the other end. */
static pid_t writer(int sv[2], void (*fn)(int fd))
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[1]);
		signal(SIGPIPE, SIG_DFL); /* the reader gave up: so does the writer */
		fn(sv[0]);
		_exit(0);
	}
	close(sv[0]);
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* What control_read_within makes of what the child fn writes. */
static int read_from_child(void (*fn)(int fd), int timeout_ms, json_object **got)
{
	int sv[2], err;
	pid_t pid;

	pair(sv);
	pid = writer(sv, fn);
	err = control_read_within(sv[1], got, timeout_ms);
	close(sv[1]);
	reap(pid);
	return err;
}

static void write_bytewise(int fd)
{
	const char *text = "{\"op\":\"status\",\"agent\":\"coder\"}\n";

	for (const char *p = text; *p; p++) {
		if (write(fd, p, 1) != 1)
			_exit(1);
		usleep(1000);
	}
}

static void test_split_request(void **state)
{
	json_object *got = NULL, *v;

	/* one write a byte: many reads, one line */
	assert_int_equal(read_from_child(write_bytewise, 10000, &got), 0);
	assert_true(json_object_object_get_ex(got, "agent", &v));
	assert_string_equal(json_object_get_string(v), "coder");
	json_object_put(got);
}

/* {"a":"aaa…"} and a newline, exactly len bytes in all. */
static char *line_of(size_t len)
{
	char *text = malloc(len + 1);

	assert_non_null(text);
	memset(text, 'a', len);
	memcpy(text, "{\"a\":\"", 6);
	memcpy(text + len - 3, "\"}\n", 3);
	text[len] = '\0';
	return text;
}

static void write_all_of(int fd, const char *text)
{
	for (size_t off = 0, len = strlen(text); off < len;) {
		ssize_t n = write(fd, text + off, len - off < 1000 ? len - off : 1000);

		if (n <= 0)
			_exit(1);
		off += (size_t)n;
	}
}

static void write_max_line(int fd)
{
	write_all_of(fd, line_of(CONTROL_MAX_LINE));
}

static void write_max_line_and_one(int fd)
{
	write_all_of(fd, line_of(CONTROL_MAX_LINE + 1));
}

static void test_longest_line(void **state)
{
	json_object *got = NULL, *v;

	/* the buffer grows from 4 KiB to the limit, and no further */
	assert_int_equal(read_from_child(write_max_line, 10000, &got), 0);
	assert_true(json_object_object_get_ex(got, "a", &v));
	assert_int_equal(json_object_get_string_len(v), CONTROL_MAX_LINE - 9);
	json_object_put(got);
	assert_int_equal(read_from_child(write_max_line_and_one, 10000, &got), -EMSGSIZE);
	assert_null(got);
}

static void test_reply_then_events(void **state)
{
	const char *events = "{\"seq\":1}\n{\"seq\":2}\n";
	json_object *got = NULL, *v;
	char rest[64] = "";
	int sv[2];

	pair(sv);
	/* a subscription's reply and the first events in one segment: the reply is
	 * taken, not a byte of what follows it */
	put(sv[0], "{\"ok\":true}\n");
	put(sv[0], events);
	assert_int_equal(control_read_within(sv[1], &got, 2000), 0);
	assert_true(json_object_object_get_ex(got, "ok", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(got);
	close(sv[0]);
	assert_int_equal(read(sv[1], rest, sizeof(rest) - 1), (ssize_t)strlen(events));
	assert_string_equal(rest, events);
	close(sv[1]);
}

static void test_one_per_connection(void **state)
{
	json_object *got[2] = { NULL, NULL }, *v;
	int a[2], b[2];

	pair(a);
	pair(b);
	put(a[0], "{\"op\":\"st");
	put(b[0], "{\"op\":\"approvals\"}\n");
	put(a[0], "atus\"}\n");
	assert_int_equal(control_read(b[1], &got[1]), 0);
	assert_int_equal(control_read(a[1], &got[0]), 0);
	assert_true(json_object_object_get_ex(got[0], "op", &v));
	assert_string_equal(json_object_get_string(v), "status");
	assert_true(json_object_object_get_ex(got[1], "op", &v));
	assert_string_equal(json_object_get_string(v), "approvals");
	json_object_put(got[0]);
	json_object_put(got[1]);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void test_one_line_at_a_time(void **state)
{
	json_object *got = NULL, *v;
	int sv[2];

	pair(sv);
	/* two requests in one write: each read takes one, never more */
	put(sv[0], "{\"op\":\"a\"}\n{\"op\":\"b\"}\n");
	assert_int_equal(control_read(sv[1], &got), 0);
	assert_true(json_object_object_get_ex(got, "op", &v));
	assert_string_equal(json_object_get_string(v), "a");
	json_object_put(got);
	assert_int_equal(control_read(sv[1], &got), 0);
	assert_true(json_object_object_get_ex(got, "op", &v));
	assert_string_equal(json_object_get_string(v), "b");
	json_object_put(got);
	close(sv[0]);
	close(sv[1]);
}

static void test_only_objects(void **state)
{
	json_object *got = (json_object *)1;
	int sv[2];

	pair(sv);
	put(sv[0], "not json\n[1,2]\n\"op\"\n");
	assert_int_equal(control_read(sv[1], &got), -EBADMSG);
	assert_null(got);
	assert_int_equal(control_read(sv[1], &got), -EBADMSG); /* an array is not a request */
	assert_int_equal(control_read(sv[1], &got), -EBADMSG);
	close(sv[0]);
	close(sv[1]);
}

static void test_cut_short(void **state)
{
	json_object *got = NULL;
	int sv[2];

	pair(sv);
	put(sv[0], "{\"op\":\"sta");
	close(sv[0]); /* the client went away mid-line */
	assert_int_equal(control_read(sv[1], &got), -ECONNRESET);
	assert_null(got);
	close(sv[1]);

	pair(sv);
	close(sv[0]); /* or before a byte */
	assert_int_equal(control_read(sv[1], &got), -ECONNRESET);
	close(sv[1]);
}

static void test_too_long(void **state)
{
	json_object *got = NULL;
	int sv[2], status;
	pid_t pid;

	pair(sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char chunk[65536];

		memset(chunk, 'a', sizeof(chunk));
		close(sv[1]);
		signal(SIGPIPE, SIG_DFL);
		for (int i = 0; i < 32; i++) /* 2 MiB without a newline */
			if (write(sv[0], chunk, sizeof(chunk)) < 0)
				_exit(0);
		_exit(0);
	}
	close(sv[0]);
	assert_int_equal(control_read(sv[1], &got), -EMSGSIZE);
	assert_null(got);
	close(sv[1]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void test_silent_client(void **state)
{
	json_object *got = NULL;
	int sv[2];

	pair(sv);
	put(sv[0], "{\"op\":"); /* and then nothing: the server does not wait forever */
	assert_int_equal(control_read(sv[1], &got), -ETIMEDOUT);
	assert_null(got);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A byte every 20 ms: each wait is short, the line takes 2 s. Were the
 * deadline per wait, the request would arrive whole and parse.
 */
static void trickle(int fd)
{
	if (write(fd, "{\"op\":\"status\"", 14) != 14)
		_exit(1);
	for (int i = 0; i < 100; i++) {
		if (write(fd, " ", 1) != 1)
			_exit(1);
		usleep(20000);
	}
	if (write(fd, "}\n", 2) != 2)
		_exit(1);
}

static void test_trickling_client(void **state)
{
	json_object *got = NULL;

	assert_int_equal(read_from_child(trickle, 200, &got), -ETIMEDOUT);
	assert_null(got);
}

/* A reader that reads nothing for 3 s, then all: a blocking send would wait for it and succeed. */
static void read_late(int fd)
{
	char buf[65536];

	sleep(3);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void test_reader_that_does_not_read(void **state)
{
	json_object *big = json_object_new_object();
	char *text = line_of(4 << 20); /* more than a socket buffer holds */
	int sv[2], sndbuf = 4096;
	pid_t pid;

	pair(sv);
	/* the child is the reader here: it gets sv[1] */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		read_late(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	json_object_object_add(big, "a", json_object_new_string(text));
	assert_int_equal(control_send_within(sv[0], big, 200), -ETIMEDOUT);
	json_object_put(big);
	free(text);
	close(sv[0]);
	reap(pid);
}

static json_object *request_of(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static void assert_refused(const char *request, const char *says)
{
	json_object *req = request_of(request), *reply = control_check_version(req), *v;

	assert_non_null(reply);
	assert_true(json_object_object_get_ex(reply, "ok", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(reply, "error", &v));
	assert_non_null(strstr(json_object_get_string(v), says));
	json_object_put(reply);
	json_object_put(req);
}

static void assert_spoken(const char *request)
{
	json_object *req = request_of(request);

	assert_null(control_check_version(req));
	json_object_put(req);
}

static void test_version(void **state)
{
	json_object *req = request_of("{\"op\":\"status\",\"v\":7}"), *got = NULL, *v;
	int sv[2];

	assert_spoken("{\"op\":\"status\"}"); /* a client from before the field */
	assert_spoken("{\"op\":\"status\",\"v\":1}");
	assert_refused("{\"op\":\"status\",\"v\":2}", "newer than the daemon's 1");
	assert_refused("{\"op\":\"status\",\"v\":2}", "restart it from the same build");
	assert_refused("{\"op\":\"status\",\"v\":\"1\"}", "must be a positive integer");
	assert_refused("{\"op\":\"status\",\"v\":0}", "must be a positive integer");

	/* a message that says its version keeps it: the stamp is for those that do not */
	pair(sv);
	assert_int_equal(control_send(sv[0], req), 0);
	assert_int_equal(control_read(sv[1], &got), 0);
	assert_true(json_object_object_get_ex(got, "v", &v));
	assert_int_equal(json_object_get_int(v), 7);
	json_object_put(got);
	json_object_put(req);
	close(sv[0]);
	close(sv[1]);
}

static void test_peer_and_error(void **state)
{
	json_object *e, *v;
	pid_t pid;
	uid_t uid;
	int sv[2];

	pair(sv);
	assert_int_equal(control_peer(sv[1], &pid, &uid), 0);
	assert_int_equal(pid, getpid());
	assert_int_equal(uid, getuid());
	close(sv[0]);
	close(sv[1]);

	e = control_error("no agent %s", "x");
	assert_true(json_object_object_get_ex(e, "ok", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(e, "error", &v));
	assert_string_equal(json_object_get_string(v), "no agent x");
	json_object_put(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_one_line_at_a_time),
		cmocka_unit_test(test_only_objects),  cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_too_long),      cmocka_unit_test(test_silent_client),
		cmocka_unit_test(test_peer_and_error), cmocka_unit_test(test_split_request),
		cmocka_unit_test(test_longest_line),  cmocka_unit_test(test_reply_then_events),
		cmocka_unit_test(test_one_per_connection), cmocka_unit_test(test_trickling_client),
		cmocka_unit_test(test_reader_that_does_not_read), cmocka_unit_test(test_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
