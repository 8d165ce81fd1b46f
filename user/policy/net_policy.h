/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The object form of an agent's "network" (layer 6): parsing and checking
 * its entries. Pure functions, no kernel, no DNS.
 *
 *   "network": { "egress": ["api.example.com:443", "*.example.org:443",
 *                           "10.0.0.0/8:5432", "[2001:db8::1]:443", "192.0.2.7:*"],
 *                "unix": ["/run/postgresql/.s.PGSQL.5432"],
 *                "ask": "off" | "on-miss",
 *                "mustReach": ["api.example.com:443"] }
 */
#ifndef WARDEN_NET_POLICY_H
#define WARDEN_NET_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_addr.h"
#include "strv.h"

#define NET_NAME_MAX 253

enum net_target {
	NET_TARGET_NAME = 1, /* api.example.com: that name only */
	NET_TARGET_SUFFIX,   /* *.example.com: any name below example.com (not example.com) */
	NET_TARGET_ADDR,     /* an address or a CIDR */
};

struct net_endpoint {
	int target;                   /* enum net_target */
	char name[NET_NAME_MAX + 1];  /* lower case, no trailing dot; SUFFIX: without the "*." */
	uint8_t addr[16];             /* IPv4 as IPv4-mapped IPv6 */
	unsigned prefix;              /* bits of addr that must match, in the 128-bit form */
	bool v4;
	uint16_t port;                /* 0 = any ("*") */
};

enum net_ask { NET_ASK_UNSET = -1, NET_ASK_OFF, NET_ASK_ON_MISS };

struct net_policy {
	bool set;                 /* the object form was given (here or in the defaults) */
	struct strv egress;
	struct strv egress_where; /* JSON location of each entry, for errors */
	struct strv unix_paths;
	struct strv must_reach;
	int ask;                  /* enum net_ask */
};

/*
 * Parses one egress entry. 0, or -EINVAL with a static reason in *why.
 * exact: mustReach, where only NAME:PORT and IP:PORT make sense.
 */
int net_endpoint_parse(const char *s, bool exact, struct net_endpoint *ep, const char **why,
		       char *whybuf, size_t whylen);

/* Whether a DNS name (any case, trailing dot or not) is what ep names. */
bool net_endpoint_matches_name(const struct net_endpoint *ep, const char *name);

/*
 * The object at `where`. 0, or -EINVAL with the failing location in at and
 * the reason in why.
 */
struct json_object;
int net_policy_parse(struct json_object *o, const char *where, struct net_policy *np, char *at,
		     size_t atlen, char *why, size_t whylen);

/* Agent lists extend the defaults' (defaults first), ask overrides. 0 or -ENOMEM. */
int net_policy_merge(struct net_policy *a, const struct net_policy *d);
void net_policy_free(struct net_policy *np);

#endif
