// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's framing (ipc/control.c), over a socketpair: one JSON
 * object a line each way, nothing else accepted, bounded in size and time,
 * and the peer known by the kernel's word.
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
	json_object_put(got);
	json_object_put(req);
	close(sv[0]);
	close(sv[1]);
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
		cmocka_unit_test(test_peer_and_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
