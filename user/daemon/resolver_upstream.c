// SPDX-License-Identifier: GPL-2.0-only
/*
 * The resolver's upstream side: the host's nameservers, one socket with a
 * fresh source port a forwarded query, and only the answer that repeats the
 * query's id and question is relayed (its addresses granted first).
 */
#include <arpa/inet.h>

#include "clock.h"
#include "resolver.h"
#include "resolver_impl.h"

int resolver_load_upstreams(struct resolver *r, const char *resolv_conf)
{
	FILE *f = fopen(resolv_conf, "re");
	char line[512];

	r->n_upstreams = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && r->n_upstreams < MAX_UPSTREAMS) {
		char addr[256];
		struct sockaddr_in *sin = (struct sockaddr_in *)&r->upstreams[r->n_upstreams];
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r->upstreams[r->n_upstreams];

		if (sscanf(line, " nameserver %255s", addr) != 1)
			continue;
		addr[strcspn(addr, "%")] = '\0'; /* a zone index: not for loopback use */
		memset(&r->upstreams[r->n_upstreams], 0, sizeof(r->upstreams[0]));
		if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(53);
			r->upstream_len[r->n_upstreams++] = sizeof(*sin);
		} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(53);
			r->upstream_len[r->n_upstreams++] = sizeof(*sin6);
		}
	}
	fclose(f);
	return r->n_upstreams ? 0 : -ENOENT;
}

int res_forward(struct resolver *r, struct pending *p)
{
	const struct sockaddr_storage *up = &r->upstreams[p->upstream];
	int fd = socket(up->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)up, r->upstream_len[p->upstream]) ||
	    send(fd, p->query, p->query_len, 0) != (ssize_t)p->query_len || res_watch(r, fd, ROLE_UPSTREAM)) {
		int ret = -errno;

		close(fd);
		return ret ?: -EIO;
	}
	p->fd = fd;
	p->deadline_ms = monotonic_ms() + UPSTREAM_TIMEOUT_MS;
	return 0;
}

static void collect_addrs(const ldns_pkt *a, struct dns_addr *out, size_t *n, size_t max)
{
	ldns_rr_list *answer = ldns_pkt_answer(a);

	*n = 0;
	for (size_t i = 0; answer && i < ldns_rr_list_rr_count(answer) && *n < max; i++) {
		ldns_rr *rr = ldns_rr_list_rr(answer, i);
		ldns_rdf *rd = ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, 0) : NULL;
		struct dns_addr *d = &out[*n];

		if (!rd)
			continue;
		memset(d->addr, 0, sizeof(d->addr));
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(rd) == 4) {
			d->addr[10] = d->addr[11] = 0xff;
			memcpy(&d->addr[12], ldns_rdf_data(rd), 4);
		} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rd) == 16) {
			memcpy(d->addr, ldns_rdf_data(rd), 16);
		} else {
			continue;
		}
		d->ttl = ldns_rr_ttl(rr);
		(*n)++;
	}
}

void res_on_upstream(struct resolver *r, int fd)
{
	uint8_t *buf = malloc(DNS_MAX);
	struct dns_addr addrs[64];
	struct pending *p = NULL;
	ldns_pkt *a = NULL;
	char name[256];
	size_t i, n_addrs;
	int qtype;
	ssize_t n;

	for (i = 0; i < r->n_pending && !p; i++)
		if (r->pending[i].fd == fd)
			p = &r->pending[i];
	if (!p || !buf) {
		free(buf);
		return;
	}
	i--;
	n = recv(fd, buf, DNS_MAX, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		free(buf);
		return;
	}
	/* only the answer to this query: same id, an answer, the same question */
	if (n <= 0 || ldns_wire2pkt(&a, buf, (size_t)n) != LDNS_STATUS_OK || !ldns_pkt_qr(a) ||
	    ldns_pkt_id(a) != p->id || ldns_pkt_qdcount(a) != 1) {
		ldns_pkt_free(a);
		free(buf);
		return; /* wait for the real answer or the deadline */
	}
	res_question_name(a, name, sizeof(name), &qtype);
	if (strcmp(name, p->name) || qtype != p->qtype) {
		ldns_pkt_free(a);
		free(buf);
		return;
	}
	collect_addrs(a, addrs, &n_addrs, sizeof(addrs) / sizeof(addrs[0]));
	/* the addresses are allowed before the agent learns them */
	r->ops->answered(r->ctx, p->agent, p->name, p->qtype, addrs, n_addrs);
	res_reply(r, p->udp_fd, &p->client, p->client_len, p->tcp_fd, buf, (size_t)n);
	{
		int tcp_fd = p->tcp_fd;

		res_drop_pending(r, i);
		if (!res_client_waits(r, tcp_fd))
			res_finish_tcp(r, tcp_fd);
	}
	ldns_pkt_free(a);
	free(buf);
}
