// SPDX-License-Identifier: GPL-2.0-only
/*
 * The resolver's sockets and messages. Everything is non-blocking and
 * driven by one epoll set that the daemon's loop watches, so a slow
 * upstream never stalls the daemon (approvals, events). Each forwarded
 * query gets its own upstream socket with a fresh source port, connected
 * to the upstream, and its answer must repeat the query's id and question
 * (resolver_upstream.c).
 */
#include <arpa/inet.h>
#include <sys/epoll.h>

#include "array.h"
#include "clock.h"
#include "resolver.h"
#include "resolver_impl.h"

/* epoll data: role in the top byte, the descriptor below */
int res_watch(struct resolver *r, int fd, enum fd_role role)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ((uint64_t)role << 32) | (uint32_t)fd };

	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void close_fd(struct resolver *r, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

struct resolver *resolver_new(const struct resolver_ops *ops, void *ctx)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->ops = ops;
	r->ctx = ctx;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		free(r);
		return NULL;
	}
	return r;
}

static void drop_client(struct resolver *r, size_t i)
{
	close_fd(r, &r->clients[i].fd);
	free(r->clients[i].buf);
	r->clients[i] = r->clients[--r->n_clients];
}

void res_drop_pending(struct resolver *r, size_t i)
{
	close_fd(r, &r->pending[i].fd);
	free(r->pending[i].query);
	r->pending[i] = r->pending[--r->n_pending];
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	while (r->n_pending)
		res_drop_pending(r, 0);
	while (r->n_clients)
		drop_client(r, 0);
	while (r->n_listeners)
		resolver_remove_agent(r, r->listeners[0].agent);
	free(r->listeners);
	free(r->clients);
	free(r->pending);
	close(r->epfd);
	free(r);
}

int resolver_fd(struct resolver *r)
{
	return r->epfd;
}

static int bound_socket(int af, int type, uint16_t port)
{
	int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_storage ss = {};
	socklen_t len;

	if (fd < 0)
		return -errno;
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	}
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || (type == SOCK_STREAM && listen(fd, 64))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	return getsockname(fd, (struct sockaddr *)&sin, &len) ? 0 : ntohs(sin.sin_port);
}

int resolver_add_agent(struct resolver *r, uint32_t agent, uint16_t *port, bool *v6)
{
	struct listener l = { .agent = agent, .udp4 = -1, .tcp4 = -1, .udp6 = -1, .tcp6 = -1 };
	int ret = -EADDRINUSE;

	for (size_t i = 0; i < r->n_listeners; i++) {
		if (r->listeners[i].agent == agent) {
			*port = r->listeners[i].port;
			*v6 = r->listeners[i].v6;
			return 0;
		}
	}
	/* a free UDP port, then TCP on the same number; another try when TCP has it */
	for (int attempt = 0; attempt < 16 && ret; attempt++) {
		l.udp4 = bound_socket(AF_INET, SOCK_DGRAM, 0);
		if (l.udp4 < 0)
			return l.udp4;
		l.port = local_port(l.udp4);
		l.tcp4 = bound_socket(AF_INET, SOCK_STREAM, l.port);
		if (l.tcp4 >= 0) {
			ret = 0;
			break;
		}
		close(l.udp4);
		l.udp4 = -1;
	}
	if (ret)
		return ret;
	l.udp6 = bound_socket(AF_INET6, SOCK_DGRAM, l.port);
	l.tcp6 = l.udp6 >= 0 ? bound_socket(AF_INET6, SOCK_STREAM, l.port) : -1;
	if (l.tcp6 < 0 && l.udp6 >= 0) {
		close(l.udp6);
		l.udp6 = -1;
	}
	l.v6 = l.udp6 >= 0;
	ret = res_watch(r, l.udp4, ROLE_UDP);
	ret = ret ?: res_watch(r, l.tcp4, ROLE_TCP_LISTEN);
	if (!ret && l.v6)
		ret = res_watch(r, l.udp6, ROLE_UDP) ?: res_watch(r, l.tcp6, ROLE_TCP_LISTEN);
	ret = ret ?: ARRAY_GROW(r->listeners, NULL, r->n_listeners + 1);
	if (ret) {
		close_fd(r, &l.udp4);
		close_fd(r, &l.tcp4);
		close_fd(r, &l.udp6);
		close_fd(r, &l.tcp6);
		return ret;
	}
	r->listeners[r->n_listeners++] = l;
	*port = l.port;
	*v6 = l.v6;
	return 0;
}

void resolver_remove_agent(struct resolver *r, uint32_t agent)
{
	for (size_t i = 0; i < r->n_listeners; i++) {
		struct listener *l = &r->listeners[i];

		if (l->agent != agent)
			continue;
		close_fd(r, &l->udp4);
		close_fd(r, &l->tcp4);
		close_fd(r, &l->udp6);
		close_fd(r, &l->tcp6);
		r->listeners[i] = r->listeners[--r->n_listeners];
		return;
	}
}

void resolver_counts(struct resolver *r, uint64_t *forwarded, uint64_t *refused)
{
	*forwarded = r->forwarded;
	*refused = r->refused;
}

static struct listener *listener_of(struct resolver *r, int fd)
{
	for (size_t i = 0; i < r->n_listeners; i++) {
		struct listener *l = &r->listeners[i];

		if (l->udp4 == fd || l->tcp4 == fd || l->udp6 == fd || l->tcp6 == fd)
			return l;
	}
	return NULL;
}

static void send_tcp(int fd, const uint8_t *msg, size_t len)
{
	uint8_t head[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct iovec iov[2] = { { head, 2 }, { (void *)msg, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	/* a small answer to a fresh socket: one send; a client that cannot take it loses it */
	sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* The answer to a client: over UDP (from the socket it asked) or its TCP connection. */
void res_reply(struct resolver *r, int udp_fd, const struct sockaddr_storage *to,
		  socklen_t to_len, int tcp_fd, const uint8_t *msg, size_t len)
{
	if (udp_fd >= 0)
		sendto(udp_fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)to, to_len);
	else if (tcp_fd >= 0)
		send_tcp(tcp_fd, msg, len);
}

/* A reply made here: the question repeated, no records, rcode. */
static void reply_rcode(struct resolver *r, const ldns_pkt *q, uint8_t rcode, int udp_fd,
			const struct sockaddr_storage *to, socklen_t to_len, int tcp_fd)
{
	ldns_pkt *a = ldns_pkt_new();
	uint8_t *wire = NULL;
	size_t len = 0;

	if (!a)
		return;
	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_opcode(a, ldns_pkt_get_opcode(q));
	ldns_pkt_set_rd(a, ldns_pkt_rd(q));
	ldns_pkt_set_ra(a, true);
	ldns_pkt_set_rcode(a, rcode);
	if (ldns_pkt_qdcount(q) == 1)
		ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION,
				 ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	if (ldns_pkt2wire(&wire, a, &len) == LDNS_STATUS_OK)
		res_reply(r, udp_fd, to, to_len, tcp_fd, wire, len);
	free(wire);
	ldns_pkt_free(a);
}

/* "api.example.test." -> "api.example.test", lower case */
void res_question_name(const ldns_pkt *q, char *out, size_t len, int *qtype)
{
	ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	char *s = rr ? ldns_rdf2str(ldns_rr_owner(rr)) : NULL;
	size_t n;

	*qtype = rr ? (int)ldns_rr_get_type(rr) : 0;
	snprintf(out, len, "%s", s ? s : "");
	free(s);
	n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
	for (char *c = out; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
}

/* One query from agent; the answer goes to (udp_fd, to) or tcp_fd. */
static void on_query(struct resolver *r, uint32_t agent, const uint8_t *msg, size_t len,
		     int udp_fd, const struct sockaddr_storage *to, socklen_t to_len, int tcp_fd)
{
	struct pending p = { .agent = agent, .udp_fd = udp_fd, .tcp_fd = tcp_fd, .fd = -1 };
	ldns_pkt *q = NULL;
	struct pending *v;

	if (ldns_wire2pkt(&q, msg, len) != LDNS_STATUS_OK)
		return; /* not DNS: nothing to answer */
	if (ldns_pkt_qr(q) || ldns_pkt_qdcount(q) != 1 || ldns_pkt_get_opcode(q) != LDNS_PACKET_QUERY) {
		r->refused++;
		r->ops->refused(r->ctx, agent, "", 0, "malformed-query");
		reply_rcode(r, q, LDNS_RCODE_FORMERR, udp_fd, to, to_len, tcp_fd);
		goto out;
	}
	res_question_name(q, p.name, sizeof(p.name), &p.qtype);
	if (!r->ops->allowed(r->ctx, agent, p.name)) {
		r->refused++;
		r->ops->refused(r->ctx, agent, p.name, p.qtype, "name-not-allowed");
		reply_rcode(r, q, LDNS_RCODE_REFUSED, udp_fd, to, to_len, tcp_fd);
		goto out;
	}
	if (!r->n_upstreams) {
		r->refused++;
		r->ops->refused(r->ctx, agent, p.name, p.qtype, "no-upstream-resolver");
		reply_rcode(r, q, LDNS_RCODE_SERVFAIL, udp_fd, to, to_len, tcp_fd);
		goto out;
	}
	p.id = ldns_pkt_id(q);
	if (to)
		memcpy(&p.client, to, to_len);
	p.client_len = to_len;
	p.query = malloc(len);
	if (!p.query || ARRAY_GROW(r->pending, NULL, r->n_pending + 1)) {
		free(p.query);
		goto out;
	}
	v = r->pending;
	memcpy(p.query, msg, len);
	p.query_len = len;
	if (res_forward(r, &p)) {
		free(p.query);
		reply_rcode(r, q, LDNS_RCODE_SERVFAIL, udp_fd, to, to_len, tcp_fd);
		goto out;
	}
	r->forwarded++;
	v[r->n_pending++] = p;
out:
	ldns_pkt_free(q);
}

static void on_udp(struct resolver *r, int fd)
{
	struct listener *l = listener_of(r, fd);
	uint8_t buf[4096];

	for (int i = 0; l && i < 64; i++) {
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);

		if (n < 0)
			return;
		on_query(r, l->agent, buf, (size_t)n, fd, &from, from_len, -1);
	}
}

static void on_tcp_listen(struct resolver *r, int fd)
{
	struct listener *l = listener_of(r, fd);

	for (int i = 0; l && i < 16; i++) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0)
			return;
		if (ARRAY_GROW(r->clients, NULL, r->n_clients + 1) || res_watch(r, c, ROLE_TCP_CLIENT)) {
			close(c);
			continue;
		}
		r->clients[r->n_clients++] = (struct tcp_client){ .fd = c, .agent = l->agent,
							 .deadline_ms = monotonic_ms() + TCP_CLIENT_TIMEOUT_MS };
	}
}

bool res_client_waits(struct resolver *r, int tcp_fd);
void res_finish_tcp(struct resolver *r, int tcp_fd);

static void on_tcp_client(struct resolver *r, int fd)
{
	struct tcp_client *c = NULL;
	size_t i, want;
	ssize_t n;

	for (i = 0; i < r->n_clients && !c; i++)
		if (r->clients[i].fd == fd)
			c = &r->clients[i];
	if (!c)
		return;
	i--;
	if (!c->buf && !(c->buf = malloc(DNS_MAX + 2))) {
		drop_client(r, i);
		return;
	}
	n = recv(fd, c->buf + c->have, DNS_MAX + 2 - c->have, 0);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			drop_client(r, i);
		return;
	}
	c->have += (size_t)n;
	if (c->waiting || c->have < 2)
		return;
	want = ((size_t)c->buf[0] << 8 | c->buf[1]) + 2;
	if (c->have < want)
		return;
	c->waiting = true;
	on_query(r, c->agent, c->buf + 2, want - 2, -1, NULL, 0, fd);
	if (!res_client_waits(r, fd))
		res_finish_tcp(r, fd); /* answered here (refused) */
}

bool res_client_waits(struct resolver *r, int tcp_fd)
{
	for (size_t i = 0; i < r->n_pending; i++)
		if (r->pending[i].tcp_fd == tcp_fd)
			return true;
	return false;
}

/* Answered or given up: a TCP client is done with. */
void res_finish_tcp(struct resolver *r, int tcp_fd)
{
	for (size_t i = 0; tcp_fd >= 0 && i < r->n_clients; i++) {
		if (r->clients[i].fd == tcp_fd) {
			shutdown(tcp_fd, SHUT_WR);
			drop_client(r, i);
			return;
		}
	}
}

void resolver_on_ready(struct resolver *r)
{
	struct epoll_event evs[32];
	int n = epoll_wait(r->epfd, evs, 32, 0);

	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;

		switch ((enum fd_role)(evs[i].data.u64 >> 32)) {
		case ROLE_UDP: on_udp(r, fd); break;
		case ROLE_TCP_LISTEN: on_tcp_listen(r, fd); break;
		case ROLE_TCP_CLIENT: on_tcp_client(r, fd); break;
		case ROLE_UPSTREAM: res_on_upstream(r, fd); break;
		}
	}
}

void resolver_tick(struct resolver *r)
{
	uint64_t now = monotonic_ms();

	for (size_t i = 0; i < r->n_pending;) {
		struct pending *p = &r->pending[i];

		if (p->deadline_ms > now) {
			i++;
			continue;
		}
		/* the next upstream, or SERVFAIL when all were tried */
		close_fd(r, &p->fd);
		if (++p->upstream < r->n_upstreams && !res_forward(r, p)) {
			i++;
			continue;
		}
		{
			ldns_pkt *q = NULL;
			int tcp_fd = p->tcp_fd;

			if (ldns_wire2pkt(&q, p->query, p->query_len) == LDNS_STATUS_OK) {
				r->ops->refused(r->ctx, p->agent, p->name, p->qtype, "upstream-timeout");
				reply_rcode(r, q, LDNS_RCODE_SERVFAIL, p->udp_fd, &p->client,
					    p->client_len, p->tcp_fd);
			}
			ldns_pkt_free(q);
			res_drop_pending(r, i);
			if (!res_client_waits(r, tcp_fd))
				res_finish_tcp(r, tcp_fd);
		}
	}
	for (size_t i = 0; i < r->n_clients;) {
		if (r->clients[i].deadline_ms <= now && !res_client_waits(r, r->clients[i].fd))
			drop_client(r, i);
		else
			i++;
	}
}
