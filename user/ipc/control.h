/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: one JSON object a line over a unix stream socket,
 * root only. A client sends one request ({"op": ...}) and reads one reply
 * ({"ok": true, ...} or {"ok": false, "error": "..."}).
 */
#ifndef WARDEN_CONTROL_H
#define WARDEN_CONTROL_H

#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "paths.h"

/* Server: a listening socket at path; -EADDRINUSE if a daemon answers there. */
int control_listen(const char *path);
/* Server: reads one request line from a client, waiting at most 2 s. */
int control_read(int fd, json_object **msg);
/* Both: writes obj and a newline. */
int control_send(int fd, json_object *obj);
/* Server: the client's pid and uid, from the kernel (SO_PEERCRED), not from its words. */
int control_peer(int fd, pid_t *pid, uid_t *uid);

/*
 * Client: connects, sends req, reads the reply. Returns 0 with *reply set,
 * or -errno with a message in err (e.g. the daemon is not running).
 */
int control_call(json_object *req, json_object **reply, char *err, size_t errlen);
/* Client: connected fd, or -errno with a message in err. */
int control_connect(char *err, size_t errlen);

/* {"ok": false, "error": msg} */
json_object *control_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
