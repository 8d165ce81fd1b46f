/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading files whole, /proc's among them (they report size 0, so nothing
 * here trusts st_size), and pipes with a deadline.
 */
#ifndef WARDEN_FILEIO_H
#define WARDEN_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What read_text and read_fd_text keep at the most; the rest is read and dropped. */
#define READ_TEXT_MAX (16 << 20)

/*
 * One read of at most len - 1 bytes of path into buf, NUL-terminated (""
 * on failure): enough for a /proc file of known small size. The bytes
 * read, or -errno.
 */
ssize_t read_buf(const char *path, char *buf, size_t len);
/* The first line of path, without its '\n', into out; "" when unreadable. */
void read_first_line(const char *path, char *out, size_t len);

/*
 * All of fd (a file or a pipe, to its end) as a malloc'd NUL-terminated
 * string in *out, waiting at most timeout_ms in all (< 0: no limit). 0,
 * -ETIMEDOUT, -ENOMEM or -errno.
 */
int read_fd_text(int fd, char **out, int timeout_ms);
/* The same for the file at path. */
int read_text(const char *path, char **out);

/*
 * Waits until fd is ready for events (POLLIN, POLLOUT) or deadline_ms
 * (monotonic_ms()) has passed: 0, -ETIMEDOUT or -errno. One deadline for
 * a whole exchange, however many waits it takes, so a peer that sends a
 * byte at a time cannot stretch it.
 */
int fd_wait(int fd, short events, uint64_t deadline_ms);

#endif
