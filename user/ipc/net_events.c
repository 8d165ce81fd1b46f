// SPDX-License-Identifier: GPL-2.0-only
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"
#include "jsonw.h"
#include "net_addr.h"
#include "net_events.h"

static const char *op_name(uint32_t op)
{
	static const char *const names[NET_OP_MAX] = {
		[NET_OP_CONNECT] = "connect",	       [NET_OP_SENDMSG] = "sendmsg",
		[NET_OP_SOCKET] = "socket",	       [NET_OP_UNIX_CONNECT] = "unix-connect",
		[NET_OP_UNIX_SEND] = "unix-send",
	};

	return op < NET_OP_MAX && names[op] ? names[op] : "unknown";
}

static void proto_name(const struct net_event *e, char *out, size_t len)
{
	if (e->family == AF_UNIX)
		snprintf(out, len, "unix");
	else if (e->type == SOCK_STREAM && (e->protocol == IPPROTO_TCP || !e->protocol))
		snprintf(out, len, "tcp");
	else if (e->type == SOCK_DGRAM && (e->protocol == IPPROTO_UDP || !e->protocol))
		snprintf(out, len, "udp");
	else if (e->type == SOCK_RAW)
		snprintf(out, len, "raw");
	else
		snprintf(out, len, "type%u/proto%u", e->type, e->protocol);
}

static const char *family_name(uint32_t family)
{
	switch (family) {
	case AF_UNIX: return "unix";
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_NETLINK: return "netlink";
	case AF_PACKET: return "packet";
	}
	return "other";
}

void net_event_write(struct jsonw *w, const struct net_event *e, const char *agent, uint64_t seq,
		     net_head_fn write_head)
{
	char proto[32], addr[64] = "", path[WARDEN_UNIX_PATH_LEN + 2] = "";

	write_head(w, &e->head, "net", agent, seq);
	proto_name(e, proto, sizeof(proto));
	if (e->family == AF_UNIX) {
		size_t n = e->path_len < WARDEN_UNIX_PATH_LEN ? e->path_len : WARDEN_UNIX_PATH_LEN;

		memcpy(path, e->path, n);
		path[n] = '\0'; /* abstract names arrive with '@' for their leading NUL */
		for (char *c = path; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '.';
	} else if (e->op != NET_OP_SOCKET) {
		net_addr_format(e->addr, addr, sizeof(addr));
	}
	jsonw_kv_string(w, "op", op_name(e->op));
	jsonw_kv_string(w, "proto", proto);
	jsonw_kv_string(w, "family", family_name(e->family));
	jsonw_kv_string(w, "addr", addr);
	jsonw_kv_int(w, "port", e->port);
	jsonw_kv_string(w, "path", path);
}
