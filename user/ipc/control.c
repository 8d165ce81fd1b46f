// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "array.h"
#include "control.h"

#define MAX_LINE (1 << 20)
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

/* Reads up to and excluding '\n'; the caller frees *line. */
static int read_line(int fd, char **line, int timeout_ms)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (timeout_ms >= 0) {
			int r = poll(&pfd, 1, timeout_ms);

			if (r == 0) {
				free(buf);
				return -ETIMEDOUT;
			}
			if (r < 0 && errno != EINTR) {
				free(buf);
				return -errno;
			}
		}
		if (len + 1 >= cap && (cap >= MAX_LINE || array_grow(&buf, &cap, cap + 1, 1))) {
			free(buf);
			return -EMSGSIZE;
		}
		n = read(fd, buf + len, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -ECONNRESET;
		}
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
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

int control_read(int fd, json_object **msg)
{
	char *line;
	int err = read_line(fd, &line, READ_TIMEOUT_MS);

	if (err)
		return err;
	err = parse_line(line, msg);
	free(line);
	return err;
}

int control_send(int fd, json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text), off = 0;

	while (off <= len) {
		/* the newline is sent with the last chunk */
		const char *chunk = off < len ? text + off : "\n";
		size_t n = off < len ? len - off : 1;
		ssize_t w = send(fd, chunk, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, READ_TIMEOUT_MS) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (w < 0)
			return -errno;
		off += off < len ? (size_t)w : 1;
	}
	return 0;
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
	char *line = NULL;
	int fd, ret;

	fd = control_connect(err, errlen);
	if (fd < 0)
		return fd;
	ret = control_send(fd, req);
	ret = ret ?: read_line(fd, &line, REPLY_TIMEOUT_MS);
	ret = ret ?: parse_line(line, reply);
	if (ret)
		snprintf(err, errlen, "no valid reply from the warden daemon: %s", strerror(-ret));
	free(line);
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
