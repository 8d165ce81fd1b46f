/* SPDX-License-Identifier: GPL-2.0-only */
/* Layer 6 kernel events (struct net_event) to the event stream's JSON. */
#ifndef WARDEN_NET_EVENTS_H
#define WARDEN_NET_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "warden.h"

typedef void (*net_head_fn)(json_object *o, const struct event_head *h, const char *type,
			    const char *agent, uint64_t seq);

/*
 * type "net": op, proto, family, addr, port (inet), path (unix; abstract
 * names start with '@'). NULL (errno EINVAL) for a short record.
 */
json_object *net_event_to_json(const void *data, size_t len, const char *agent, uint64_t seq,
			       net_head_fn add_head);

#endif
