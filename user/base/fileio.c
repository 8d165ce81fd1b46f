// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "fileio.h"

ssize_t read_buf(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n > 0)
		buf[n] = '\0';
	return n;
}

void read_first_line(const char *path, char *out, size_t len)
{
	if (read_buf(path, out, len) <= 0)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/*
 * A whole file (or pipe) into a NUL-terminated string; /proc files report
 * size 0. Past READ_TEXT_MAX the rest is read and dropped, so a talkative tool
 * never blocks on a full pipe: a lower bound is enough for every check.
 */
int read_fd_text(int fd, char **out, int timeout_ms)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), drop[65536];
	uint64_t deadline = monotonic_ms() + (timeout_ms > 0 ? (uint64_t)timeout_ms : 0);
	bool full = false;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (timeout_ms >= 0 && (ret = fd_wait(fd, POLLIN, deadline)))
			break;
		if (len + 1 == cap && !full)
			full = cap >= READ_TEXT_MAX || array_grow(&buf, &cap, cap + 1, 1);
		n = full ? read(fd, drop, sizeof(drop)) : read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		if (!full)
			len += (size_t)n;
	}
	if (ret) {
		free(buf);
		return ret;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int fd_wait(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int64_t left = (int64_t)(deadline_ms - monotonic_ms());
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int read_text(const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), ret;

	if (fd < 0)
		return -errno;
	ret = read_fd_text(fd, out, -1);
	close(fd);
	return ret;
}
