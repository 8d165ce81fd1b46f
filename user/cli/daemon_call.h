/* SPDX-License-Identifier: GPL-2.0-only */
/* The commands' one way to ask the daemon something. */
#ifndef WARDEN_DAEMON_CALL_H
#define WARDEN_DAEMON_CALL_H

#include <json-c/json.h>

/*
 * Sends req (consumed) over the control socket. The reply when the daemon
 * says "ok"; else NULL, after printing one error: "warden: WHAT: why" (no
 * daemon, no valid reply, or the daemon's own "error").
 */
json_object *daemon_call(json_object *req, const char *what);

#endif
