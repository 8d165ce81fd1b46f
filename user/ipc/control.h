/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: one JSON object a line over a unix stream socket,
 * root only. A client sends one request ({"op": ...}) and reads one reply
 * ({"ok": true, ...} or {"ok": false, "error": "..."}). Every message
 * carries the protocol version as "v"; a request without it is from a
 * client older than the field and is read as version 1.
 */
#ifndef WARDEN_CONTROL_H
#define WARDEN_CONTROL_H

#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "paths.h"

/* The version of the control protocol this build speaks. */
#define CONTROL_VERSION 1
/* A message's line, its '\n' included, at the most. */
#define CONTROL_MAX_LINE (1 << 20)

/* Server: a listening socket at path; -EADDRINUSE if a daemon answers there. */
int control_listen(const char *path);
/* Server: reads one request line from a client, all of it within 2 s. */
int control_read(int fd, json_object **msg);
/* Both: writes obj, given "v" when it has none, and a newline; all of it within 2 s. */
int control_send(int fd, json_object *obj);
/*
 * The same with the deadline given (control_call's, and the unit tests').
 * A read takes one line and leaves what follows it in the socket. Each
 * returns 0 or -errno: -ETIMEDOUT, -EMSGSIZE (a line over CONTROL_MAX_LINE),
 * -ECONNRESET (the peer closed mid-line), -EBADMSG (not a JSON object).
 */
int control_read_within(int fd, json_object **msg, int timeout_ms);
int control_send_within(int fd, json_object *obj, int timeout_ms);
/* Server: the client's pid and uid, from the kernel (SO_PEERCRED), not from its words. */
int control_peer(int fd, pid_t *pid, uid_t *uid);

/*
 * Client: connects, sends req, reads the reply, each within 60 s (a big
 * reload takes a while). Returns 0 with *reply set, or -errno with a
 * message in err (e.g. the daemon is not running).
 */
int control_call(json_object *req, json_object **reply, char *err, size_t errlen);
/* Client: connected fd, or -errno with a message in err. */
int control_connect(char *err, size_t errlen);

/*
 * Server: NULL when this daemon speaks req's version (none, or up to
 * CONTROL_VERSION), else the reply that says why not and what to do.
 */
json_object *control_check_version(json_object *req);

/* {"ok": false, "error": msg} */
json_object *control_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
