// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "json.h"
#include "net_policy.h"

static int parse_port(const char *s, bool exact, uint16_t *port, const char **why)
{
	char *end;
	long n;

	if (!strcmp(s, "*")) {
		if (exact) {
			*why = "a port, not \"*\", is needed here: a reachability check probes one port";
			return -EINVAL;
		}
		*port = 0;
		return 0;
	}
	if (!isdigit((unsigned char)s[0])) {
		*why = "the port must be 1-65535 or *";
		return -EINVAL;
	}
	n = strtol(s, &end, 10);
	if (*end || n < 1 || n > 65535) {
		*why = "the port must be 1-65535 or *";
		return -EINVAL;
	}
	*port = (uint16_t)n;
	return 0;
}

/* DNS name syntax: labels of 1-63 of [a-z0-9_-], not starting or ending with '-'. */
static bool valid_name(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (!len || len > NET_NAME_MAX || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (!label || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			return false;
		if (c == '-' && label == 0)
			return false;
		label++;
	}
	/* "1.2.3" is neither an address nor a name anyone means */
	for (const char *last = strrchr(s, '.') ? strrchr(s, '.') + 1 : s; *last; last++)
		if (!isdigit((unsigned char)*last))
			return true;
	return false;
}

static bool host_bits_clear(const uint8_t addr[16], unsigned prefix)
{
	for (unsigned bit = prefix; bit < 128; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

/* ADDR or ADDR/LEN of family af into ep. */
static int parse_addr(const char *host, int af, bool exact, struct net_endpoint *ep,
		      const char **why)
{
	char copy[128], *slash;
	unsigned max = af == AF_INET ? 32 : 128;
	unsigned len = max;

	if (strlen(host) >= sizeof(copy)) {
		*why = "not an address";
		return -EINVAL;
	}
	strcpy(copy, host);
	slash = strchr(copy, '/');
	if (slash) {
		char *end;
		long n;

		if (exact) {
			*why = "an address, not a network, is needed here";
			return -EINVAL;
		}
		*slash++ = '\0';
		n = isdigit((unsigned char)*slash) ? strtol(slash, &end, 10) : -1;
		if (n < 0 || n > (long)max || *end) {
			*why = af == AF_INET ? "the prefix length of an IPv4 network must be 0-32"
					     : "the prefix length of an IPv6 network must be 0-128";
			return -EINVAL;
		}
		len = (unsigned)n;
	}
	memset(ep->addr, 0, sizeof(ep->addr));
	if (af == AF_INET) {
		ep->addr[10] = ep->addr[11] = 0xff;
		if (inet_pton(AF_INET, copy, &ep->addr[12]) != 1) {
			*why = "not an IPv4 address";
			return -EINVAL;
		}
		ep->prefix = 96 + len;
		ep->v4 = true;
	} else {
		if (inet_pton(AF_INET6, copy, ep->addr) != 1) {
			*why = "not an IPv6 address";
			return -EINVAL;
		}
		ep->prefix = len;
		ep->v4 = ep->addr[10] == 0xff && ep->addr[11] == 0xff &&
			 !memcmp(ep->addr, "\0\0\0\0\0\0\0\0\0\0", 10);
	}
	if (!host_bits_clear(ep->addr, ep->prefix)) {
		*why = "the address has bits set beyond the prefix length (write the network's "
		       "first address, e.g. 10.0.0.0/8)";
		return -EINVAL;
	}
	ep->target = NET_TARGET_ADDR;
	return 0;
}

int net_endpoint_parse(const char *s, bool exact, struct net_endpoint *ep, const char **why,
		       char *whybuf, size_t whylen)
{
	char host[NET_NAME_MAX + 8];
	const char *port, *colon;
	size_t hlen;
	int ret;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':') {
			*why = "an IPv6 destination is written [ADDRESS]:PORT or [NETWORK/LEN]:PORT";
			return -EINVAL;
		}
		hlen = (size_t)(close - s - 1);
		if (hlen >= sizeof(host)) {
			*why = "not an IPv6 address";
			return -EINVAL;
		}
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		ret = parse_port(close + 2, exact, &ep->port, why);
		return ret ?: parse_addr(host, AF_INET6, exact, ep, why);
	}
	colon = strrchr(s, ':');
	if (!colon) {
		*why = "expected HOST:PORT (PORT is 1-65535 or *)";
		return -EINVAL;
	}
	hlen = (size_t)(colon - s);
	if (!hlen || hlen >= sizeof(host)) {
		*why = hlen ? "the name is longer than 253 characters" : "no host before the ':'";
		return -EINVAL;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	port = colon + 1;
	if (strchr(host, ':')) {
		*why = "an IPv6 address goes in brackets: [2001:db8::1]:443";
		return -EINVAL;
	}
	ret = parse_port(port, exact, &ep->port, why);
	if (ret)
		return ret;
	if (strchr(host, '/') || isdigit((unsigned char)host[strlen(host) - 1])) {
		struct in_addr probe;
		char plain[NET_NAME_MAX + 8];

		snprintf(plain, sizeof(plain), "%.*s", (int)strcspn(host, "/"), host);
		if (strchr(host, '/') || inet_pton(AF_INET, plain, &probe) == 1)
			return parse_addr(host, AF_INET, exact, ep, why);
	}
	if (!strncmp(host, "*.", 2)) {
		if (exact) {
			*why = "a name, not a wildcard, is needed here";
			return -EINVAL;
		}
		ep->target = NET_TARGET_SUFFIX;
		memmove(host, host + 2, strlen(host + 2) + 1);
	} else {
		ep->target = NET_TARGET_NAME;
	}
	if (strchr(host, '*')) {
		*why = "a wildcard is only allowed as a whole first label: *.example.com:443";
		return -EINVAL;
	}
	for (char *c = host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!valid_name(host)) {
		snprintf(whybuf, whylen, "\"%s\" is not a valid DNS name, IPv4 address or CIDR", host);
		*why = whybuf;
		return -EINVAL;
	}
	snprintf(ep->name, sizeof(ep->name), "%s", host);
	return 0;
}

bool net_endpoint_matches_name(const struct net_endpoint *ep, const char *name)
{
	char lower[NET_NAME_MAX + 2];
	size_t n = 0, elen;

	for (; name[n] && n < sizeof(lower) - 1; n++)
		lower[n] = (char)tolower((unsigned char)name[n]);
	if (name[n])
		return false;
	if (n && lower[n - 1] == '.')
		n--;
	lower[n] = '\0';
	if (ep->target == NET_TARGET_NAME)
		return !strcmp(lower, ep->name);
	if (ep->target != NET_TARGET_SUFFIX)
		return false;
	elen = strlen(ep->name);
	return n > elen + 1 && lower[n - elen - 1] == '.' && !strcmp(lower + n - elen, ep->name);
}

static int string_list(json_object *val, const char *where, struct strv *out, struct strv *wout,
		       char *at, size_t atlen, char *why, size_t whylen)
{
	if (!json_object_is_type(val, json_type_array)) {
		snprintf(at, atlen, "%s", where);
		snprintf(why, whylen, "expected an array, got %s", json_type_word(val));
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(val); i++) {
		json_object *item = json_object_array_get_idx(val, i);

		snprintf(at, atlen, "%s[%zu]", where, i);
		if (!json_object_is_type(item, json_type_string)) {
			snprintf(why, whylen, "expected a string, got %s", json_type_word(item));
			return -EINVAL;
		}
		if (!json_object_get_string(item)[0]) {
			snprintf(why, whylen, "empty string");
			return -EINVAL;
		}
		if (strv_push(out, json_object_get_string(item)) || (wout && strv_push(wout, at))) {
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

/* Checks the entries from index `from` of list against the endpoint syntax. */
static int check_endpoints(const struct strv *list, size_t from, const char *where, bool exact,
			   char *at, size_t atlen, char *why, size_t whylen)
{
	for (size_t i = from; i < list->n; i++) {
		struct net_endpoint ep;
		const char *reason;
		char buf[320];

		if (net_endpoint_parse(list->v[i], exact, &ep, &reason, buf, sizeof(buf))) {
			snprintf(at, atlen, "%s[%zu]", where, i - from);
			snprintf(why, whylen, "\"%s\": %s", list->v[i], reason);
			return -EINVAL;
		}
	}
	return 0;
}

int net_policy_parse(json_object *o, const char *where, struct net_policy *np, char *at,
		     size_t atlen, char *why, size_t whylen)
{
	char key_at[512];
	int ret = 0;

	np->set = true;
	json_object_object_foreach(o, key, val) {
		size_t from;

		snprintf(key_at, sizeof(key_at), "%s.%s", where, key);
		if (!strcmp(key, "egress")) {
			from = np->egress.n;
			ret = string_list(val, key_at, &np->egress, &np->egress_where, at, atlen, why,
					  whylen);
			ret = ret ?: check_endpoints(&np->egress, from, key_at, false, at, atlen, why,
						     whylen);
		} else if (!strcmp(key, "mustReach")) {
			from = np->must_reach.n;
			ret = string_list(val, key_at, &np->must_reach, NULL, at, atlen, why, whylen);
			ret = ret ?: check_endpoints(&np->must_reach, from, key_at, true, at, atlen,
						     why, whylen);
		} else if (!strcmp(key, "unix")) {
			from = np->unix_paths.n;
			ret = string_list(val, key_at, &np->unix_paths, NULL, at, atlen, why, whylen);
			for (size_t i = from; !ret && i < np->unix_paths.n; i++) {
				const char *p = np->unix_paths.v[i];

				if (p[0] != '/' || p[strlen(p) - 1] == '/' ||
				    strlen(p) >= 108) {
					snprintf(at, atlen, "%s[%zu]", key_at, i - from);
					snprintf(why, whylen, "\"%s\" is not the absolute path of a socket "
						 "(shorter than 108 bytes)", p);
					ret = -EINVAL;
				}
			}
		} else if (!strcmp(key, "ask")) {
			const char *s = json_object_is_type(val, json_type_string)
						? json_object_get_string(val) : NULL;

			snprintf(at, atlen, "%s", key_at);
			if (s && !strcmp(s, "off")) {
				np->ask = NET_ASK_OFF;
			} else if (s && !strcmp(s, "on-miss")) {
				np->ask = NET_ASK_ON_MISS;
			} else {
				snprintf(why, whylen, "expected \"off\" or \"on-miss\", got %s%s%s",
					 s ? "\"" : json_type_word(val), s ? s : "", s ? "\"" : "");
				ret = -EINVAL;
			}
		} else {
			snprintf(at, atlen, "%s", key_at);
			snprintf(why, whylen, "unknown key \"%s\" (known here: egress, unix, ask, "
				 "mustReach)", key);
			ret = -EINVAL;
		}
		if (ret)
			return ret;
	}
	return 0;
}

int net_policy_merge(struct net_policy *a, const struct net_policy *d)
{
	struct net_policy m = { .set = a->set || d->set, .ask = a->ask };
	int err = 0;

	if (m.ask == NET_ASK_UNSET)
		m.ask = d->ask;
	if (m.ask == NET_ASK_UNSET)
		m.ask = NET_ASK_OFF;
	err = err ?: strv_extend(&m.egress, &d->egress);
	err = err ?: strv_extend(&m.egress, &a->egress);
	err = err ?: strv_extend(&m.egress_where, &d->egress_where);
	err = err ?: strv_extend(&m.egress_where, &a->egress_where);
	err = err ?: strv_extend(&m.unix_paths, &d->unix_paths);
	err = err ?: strv_extend(&m.unix_paths, &a->unix_paths);
	err = err ?: strv_extend(&m.must_reach, &d->must_reach);
	err = err ?: strv_extend(&m.must_reach, &a->must_reach);
	if (err) {
		net_policy_free(&m);
		return err;
	}
	net_policy_free(a);
	*a = m;
	return 0;
}

void net_policy_free(struct net_policy *np)
{
	if (!np)
		return;
	strv_free(&np->egress);
	strv_free(&np->egress_where);
	strv_free(&np->unix_paths);
	strv_free(&np->must_reach);
	np->set = false;
}
