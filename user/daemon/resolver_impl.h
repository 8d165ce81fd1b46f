/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The resolver's state, shared by its two files: resolver.c (agents'
 * listeners, queries, TCP clients) and resolver_upstream.c (the upstream
 * servers, forwarding, checking and relaying their answers).
 */
#ifndef WARDEN_RESOLVER_IMPL_H
#define WARDEN_RESOLVER_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <ldns/ldns.h>

struct resolver_ops;


#define MAX_UPSTREAMS 3
#define UPSTREAM_TIMEOUT_MS 2500
#define TCP_CLIENT_TIMEOUT_MS 5000
#define DNS_MAX 65535

enum fd_role { ROLE_UDP = 1, ROLE_TCP_LISTEN, ROLE_TCP_CLIENT, ROLE_UPSTREAM };

struct listener {
	uint32_t agent;
	uint16_t port;
	bool v6;
	int udp4, tcp4, udp6, tcp6;
};

/* a TCP client: a 2-byte length, the message; answered once, then closed */
struct tcp_client {
	int fd;
	uint32_t agent;
	uint8_t *buf;
	size_t have;
	uint64_t deadline_ms;
	bool waiting; /* its query went upstream */
};

struct pending {
	int fd; /* upstream socket */
	uint32_t agent;
	uint16_t id;
	int qtype;
	char name[256];
	uint64_t deadline_ms;
	size_t upstream; /* index tried */
	uint8_t *query;
	size_t query_len;
	/* where the answer goes */
	int udp_fd; /* the listener's socket, or -1 for a TCP client */
	struct sockaddr_storage client;
	socklen_t client_len;
	int tcp_fd;
};

struct resolver {
	const struct resolver_ops *ops;
	void *ctx;
	int epfd;
	struct sockaddr_storage upstreams[MAX_UPSTREAMS];
	socklen_t upstream_len[MAX_UPSTREAMS];
	size_t n_upstreams;
	struct listener *listeners;
	size_t n_listeners;
	struct tcp_client *clients;
	size_t n_clients;
	struct pending *pending;
	size_t n_pending;
	uint64_t forwarded, refused;
};

/* resolver.c */
int res_watch(struct resolver *r, int fd, enum fd_role role);
void res_question_name(const ldns_pkt *q, char *out, size_t len, int *qtype);
void res_reply(struct resolver *r, int udp_fd, const struct sockaddr_storage *to, socklen_t to_len,
	   int tcp_fd, const uint8_t *msg, size_t len);
void res_drop_pending(struct resolver *r, size_t i);
bool res_client_waits(struct resolver *r, int tcp_fd);
void res_finish_tcp(struct resolver *r, int tcp_fd);

/* resolver_upstream.c: a query (p) sent to upstream p->upstream; 0 or -errno */
int res_forward(struct resolver *r, struct pending *p);
/* an upstream socket is readable: the answer, if it is the one asked for, is relayed */
void res_on_upstream(struct resolver *r, int fd);

#endif
