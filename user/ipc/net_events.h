/* SPDX-License-Identifier: GPL-2.0-only */
/* Layer 6 kernel events (struct net_event) to the event stream's JSON. */
#ifndef WARDEN_NET_EVENTS_H
#define WARDEN_NET_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "warden.h"

struct jsonw;

typedef void (*net_head_fn)(struct jsonw *w, const struct event_head *h, const char *type,
			    const char *agent, uint64_t seq);

/*
 * The members of type "net" (after the head, written by write_head): op,
 * proto, family, addr, port (inet), path (unix; abstract names start with
 * '@'). The caller checked the record's length.
 */
void net_event_write(struct jsonw *w, const struct net_event *e, const char *agent, uint64_t seq,
		     net_head_fn write_head);

#endif
