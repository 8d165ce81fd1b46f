/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ring-buffer records to the event stream's JSON objects (the README, `warden events`:
 * ts, seq, type, verdict, agent, pid, comm, path, reason; exec events also
 * argv and cwd) and to one human-readable line.
 */
#ifndef WARDEN_EVENTS_H
#define WARDEN_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "clock.h"
#include "warden.h"

const char *verdict_name(uint32_t verdict);
const char *reason_name(uint32_t reason);
const char *file_op_name(uint32_t op);

struct jsonw;

/*
 * Appends one ring-buffer record of len bytes as one JSON object (no
 * newline) to w, as the event stream carries it: agent is the agent's name,
 * net_name (net events only; NULL: none) the name the resolver knew for the
 * destination. -EINVAL for a record that is too short or of an unknown
 * type, -ENOMEM; w then holds what it held before.
 */
int event_write_json(struct jsonw *w, const void *data, size_t len, const char *agent,
		     uint64_t seq, const char *net_name);

/*
 * The JSON object for one ring-buffer record (event_write_json, parsed) of len bytes; agent is the
 * agent's name. NULL (errno EINVAL) for a record that is too short or of an
 * unknown type.
 */
json_object *event_to_json(const void *data, size_t len, const char *agent, uint64_t seq);

/* One line, no trailing newline, for people watching a terminal. */
void event_format_line(json_object *ev, char *out, size_t len);

#endif
