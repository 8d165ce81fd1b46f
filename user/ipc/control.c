// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "control.h"
#include "fileio.h"

/* a request read whole, and a reply sent whole: the daemon serves one client at a time */
#define READ_TIMEOUT_MS 2000
#define REPLY_TIMEOUT_MS 60000 /* a reload of a big policy takes a while; a hung daemon does not get forever */

static int socket_address(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int fd, err = socket_address(path, &sa);

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int control_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd, err = socket_address(path, &sa);

	if (err)
		return err;
	fd = connect_to(path);
	if (fd >= 0) {
		close(fd);
		return -EADDRINUSE; /* a live daemon owns it */
	}
	unlink(path); /* stale, from a daemon that died */
	mkdir(WARDEN_RUN_DIR, 0700);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* root only: the socket can place processes into agents and change policy */
	mode_t old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		err = -errno;
		umask(old);
		close(fd);
		return err;
	}
	umask(old);
	return fd;
}

/*
 * Takes the bytes that have arrived, up to and including the first '\n' and
 * never past it: what follows stays in the socket for whoever reads next
 * (the next line of the same peer, e.g. the events after a subscription's
 * reply). Hence a peek, then a read of just that much: one line's buffer
 * needs no state kept between calls. The bytes taken (*eol when the '\n'
 * is among them), -EAGAIN when none have arrived, -ECONNRESET at the end
 * of the stream, or -errno.
 */
static ssize_t take_line_part(int fd, char *buf, size_t room, bool *eol)
{
	ssize_t n = recv(fd, buf, room, MSG_PEEK | MSG_DONTWAIT);
	const char *nl = NULL;

	*eol = false;
	if (n > 0) {
		nl = memchr(buf, '\n', (size_t)n);
		n = recv(fd, buf, nl ? (size_t)(nl - buf + 1) : (size_t)n, MSG_DONTWAIT);
		*eol = nl && n == nl - buf + 1;
	}
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	return n ? n : -ECONNRESET;
}

/* Room for more of a line in *buf: 4 KiB first, doubling up to CONTROL_MAX_LINE in all. */
static int line_room(char **buf, size_t *cap, size_t len)
{
	if (len >= CONTROL_MAX_LINE)
		return -EMSGSIZE;
	return array_grow(buf, cap, len < 4096 ? 4096 : len + 1, 1);
}

/*
 * One line from the stream socket fd, up to and excluding its '\n', as a
 * malloc'd string in *line; all of it within timeout_ms, whatever the
 * pace of the bytes. 0, -ETIMEDOUT, -EMSGSIZE (no '\n' in CONTROL_MAX_LINE bytes),
 * -ECONNRESET (the peer closed before the '\n'), -ENOMEM or -errno.
 */
static int read_line(int fd, char **line, int timeout_ms)
{
	uint64_t deadline = monotonic_ms() + (uint64_t)timeout_ms;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	bool eol = false;
	int err = 0;

	while (!err && !eol) {
		ssize_t n;

		if (len == cap && (err = line_room(&buf, &cap, len)))
			break;
		n = take_line_part(fd, buf + len, cap - len, &eol);
		if (n > 0)
			len += (size_t)n;
		else if (n == -EAGAIN)
			err = fd_wait(fd, POLLIN, deadline);
		else
			err = (int)n;
	}
	if (err) {
		free(buf);
		return err;
	}
	buf[len - 1] = '\0';
	*line = buf;
	return 0;
}

static int parse_line(const char *line, json_object **msg)
{
	*msg = json_tokener_parse(line);
	if (!*msg || !json_object_is_type(*msg, json_type_object)) {
		json_object_put(*msg);
		*msg = NULL;
		return -EBADMSG;
	}
	return 0;
}

int control_read_within(int fd, json_object **msg, int timeout_ms)
{
	char *line;
	int err;

	*msg = NULL;
	err = read_line(fd, &line, timeout_ms);
	if (err)
		return err;
	err = parse_line(line, msg);
	free(line);
	return err;
}

int control_read(int fd, json_object **msg)
{
	return control_read_within(fd, msg, READ_TIMEOUT_MS);
}

/* All of p, by the deadline: never a blocking send, so a peer that does not read cannot hold us. */
static int send_all(int fd, const char *p, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int err;

		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		err = fd_wait(fd, POLLOUT, deadline);
		if (err)
			return err;
	}
	return 0;
}

int control_send_within(int fd, json_object *obj, int timeout_ms)
{
	uint64_t deadline = monotonic_ms() + (uint64_t)timeout_ms;
	const char *text;
	int err;

	if (!json_object_object_get_ex(obj, "v", NULL))
		json_object_object_add(obj, "v", json_object_new_int(CONTROL_VERSION));
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
	err = send_all(fd, text, strlen(text), deadline);
	return err ?: send_all(fd, "\n", 1, deadline);
}

int control_send(int fd, json_object *obj)
{
	return control_send_within(fd, obj, READ_TIMEOUT_MS);
}

json_object *control_check_version(json_object *req)
{
	json_object *v;
	int64_t version;

	if (!json_object_object_get_ex(req, "v", &v))
		return NULL; /* a client from before the version field: v1 */
	if (!json_object_is_type(v, json_type_int) || (version = json_object_get_int64(v)) < 1)
		return control_error("bad request: \"v\" must be a positive integer (this daemon "
				     "speaks version %d of the control protocol)", CONTROL_VERSION);
	if (version > CONTROL_VERSION)
		return control_error("this warden client speaks version %" PRId64 " of the control "
				     "protocol, newer than the daemon's %d: the daemon runs an "
				     "older build; restart it from the same build as this client "
				     "(enforcement stays in place while it restarts)",
				     version, CONTROL_VERSION);
	return NULL;
}

int control_peer(int fd, pid_t *pid, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	*pid = cred.pid;
	*uid = cred.uid;
	return 0;
}

int control_connect(char *err, size_t errlen)
{
	int fd = connect_to(WARDEN_SOCKET);

	if (fd >= 0)
		return fd;
	if (fd == -ENOENT || fd == -ECONNREFUSED)
		snprintf(err, errlen, "the warden daemon is not running (no answer on %s): start it "
			 "with `warden daemon --policy FILE`", WARDEN_SOCKET);
	else
		snprintf(err, errlen, "cannot reach the warden daemon at %s: %s", WARDEN_SOCKET,
			 strerror(-fd));
	return fd;
}

int control_call(json_object *req, json_object **reply, char *err, size_t errlen)
{
	int fd, ret;

	fd = control_connect(err, errlen);
	if (fd < 0)
		return fd;
	/* the daemon serves one client at a time: a big request waits for it as a reply does */
	ret = control_send_within(fd, req, REPLY_TIMEOUT_MS);
	ret = ret ?: control_read_within(fd, reply, REPLY_TIMEOUT_MS);
	if (ret)
		snprintf(err, errlen, "no valid reply from the warden daemon: %s", strerror(-ret));
	close(fd);
	return ret;
}

json_object *control_error(const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}
