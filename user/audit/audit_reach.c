// SPDX-License-Identifier: GPL-2.0-only
/*
 * Audit check 10, agent.unreachable: every network.mustReach destination
 * of a confined agent is really reachable from inside its confinement. A
 * tightened egress list that cuts an agent off from its model API is
 * caught the next morning, not when the agent stops working.
 *
 * The probe is the amnesia probe's (audit_run_probe): a child the daemon
 * places in a fresh cgroup of the agent, as the agent's user. It looks a
 * name up with getaddrinfo like any agent process; its DNS query is
 * redirected in the kernel to warden's resolver for that agent, so a name
 * the policy no longer allows fails here exactly as it would for the
 * agent. Then a TCP connect to each address returned, until one answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "audit_checks.h"
#include "net_policy.h"
#include "sandbox.h" /* DEFAULT_AGENT_USER */

#define REACH_CONNECT_MS 3000

static int connect_timed(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
	struct pollfd pfd = { .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (fd < 0)
		return errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		err = errno;
	} else {
		pfd.fd = fd;
		if (poll(&pfd, 1, REACH_CONNECT_MS) <= 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
	}
	close(fd);
	return err;
}

/* In the probe: 0 reached, > 0 the errno of the last connect, < 0 a getaddrinfo error. */
static int probe_reach(const char *entry)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	struct net_endpoint ep;
	char host[NET_NAME_MAX + 1], port[8], buf[256];
	const char *why;
	int err = EINVAL, g;

	if (net_endpoint_parse(entry, true, &ep, &why, buf, sizeof(buf)))
		return EINVAL; /* the policy was validated: not reached */
	if (ep.target == NET_TARGET_ADDR) {
		net_addr_format(ep.addr, host, sizeof(host));
		hints.ai_flags |= AI_NUMERICHOST;
	} else {
		snprintf(host, sizeof(host), "%s", ep.name);
	}
	snprintf(port, sizeof(port), "%u", ep.port);
	g = getaddrinfo(host, port, &hints, &res);
	if (g)
		return g == EAI_SYSTEM ? (errno ?: EIO) : (g < 0 ? g : -g);
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		err = connect_timed(ai);
		if (!err)
			break;
	}
	freeaddrinfo(res);
	return err;
}

int audit_reach_finding(const char *agent, const char *dest, int err, struct audit_report *r)
{
	char fix[512], why[256];

	if (!err)
		return 0;
	if (err < 0) {
		snprintf(why, sizeof(why), "the name does not resolve (%s)", gai_strerror(err));
		snprintf(fix, sizeof(fix), "warden's resolver answers only names in network.egress: "
			 "if a change removed it, add it back and warden reload; else check the "
			 "host's upstream resolvers; then warden audit --agent %s", agent);
	} else if (err == EPERM || err == EACCES) {
		snprintf(why, sizeof(why), "%s", strerror(err));
		snprintf(fix, sizeof(fix), "warden's policy refuses it: add it to "
			 "agents.%s.network.egress (or the defaults) and warden reload, then warden "
			 "audit --agent %s", agent, agent);
	} else {
		snprintf(why, sizeof(why), "%s", strerror(err));
		snprintf(fix, sizeof(fix), "warden lets it through but the destination does not "
			 "answer: check the service, the host's routes and firewall, then warden "
			 "audit --agent %s", agent);
	}
	return audit_add(r, "agent.unreachable", AUDIT_HIGH, fix,
			 "agent %s cannot reach %s (network.mustReach) from inside its confinement: %s",
			 agent, dest, why);
}

int audit_check_reach(const struct audit_ctx *ctx, const struct agent_policy *a,
		      struct audit_report *r)
{
	const struct strv *dests = &a->net.must_reach;
	int errs[64] = {}, ret;
	struct strv some = {};

	if (!a->confined || a->network != NETWORK_FILTER || !dests->n)
		return 0;
	if (!ctx->status || ctx->root[0])
		return -ENODATA; /* it needs the real daemon */
	/* one probe checks up to 64 destinations; more are not checked, and that is said */
	for (size_t i = 0; i < dests->n && i < 64; i++)
		if (strv_push(&some, dests->v[i])) {
			strv_free(&some);
			return -ENOMEM;
		}
	ret = audit_probe_agent(a, "agent.unreachable", "reach", &some, probe_reach, errs, r);
	if (ret <= 0)
		goto out;
	ret = 0;
	for (size_t i = 0; !ret && i < some.n; i++)
		ret = audit_reach_finding(a->name, some.v[i], errs[i], r);
	if (!ret && dests->n > some.n)
		ret = audit_add(r, "agent.unreachable", AUDIT_LOW, "split the list or shorten it",
				"agent %s lists %zu network.mustReach entries: only the first 64 "
				"were checked", a->name, dests->n);
out:
	strv_free(&some);
	return ret;
}
