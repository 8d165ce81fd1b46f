// SPDX-License-Identifier: GPL-2.0-only
/*
 * Check 4: sockets listening on more than loopback, against audit.allowedPorts.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "audit_checks.h"
#include "fileio.h"


/* ---- 4. listening sockets ---- */

struct listener {
	const char *proto; /* "tcp", "udp" */
	int family;
	unsigned char addr[16];
	unsigned port;
	unsigned long inode;
};

/* /proc/net prints each 32-bit word of the address as the CPU holds it. */
static bool parse_hex_addr(const char *hex, int family, unsigned char *addr)
{
	size_t words = family == AF_INET ? 1 : 4;

	if (strlen(hex) != words * 8)
		return false;
	for (size_t i = 0; i < words; i++) {
		char word[9];
		uint32_t v;

		memcpy(word, hex + i * 8, 8);
		word[8] = '\0';
		v = (uint32_t)strtoul(word, NULL, 16);
		memcpy(addr + i * 4, &v, 4);
	}
	return true;
}

static bool is_loopback(const struct listener *l)
{
	const struct in6_addr *a6 = (const struct in6_addr *)l->addr;

	if (l->family == AF_INET)
		return l->addr[0] == 127;
	return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && l->addr[12] == 127);
}

static void format_endpoint(const struct listener *l, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(l->family, l->addr, ip, sizeof(ip));
	snprintf(out, len, l->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, l->port);
}

struct proc_net_table {
	const char *file;
	const char *proto;
	int family;
	unsigned listen_state; /* TCP_LISTEN; for UDP, TCP_CLOSE: bound and unconnected */
};

static const struct proc_net_table proc_net_tables[] = {
	{ "/proc/net/tcp", "tcp", AF_INET, 0x0A },
	{ "/proc/net/tcp6", "tcp", AF_INET6, 0x0A },
	{ "/proc/net/udp", "udp", AF_INET, 0x07 },
	{ "/proc/net/udp6", "udp", AF_INET6, 0x07 },
};

static int push_listener(struct listener **v, size_t *n, const struct listener *l)
{
	for (size_t i = 0; i < *n; i++) /* SO_REUSEPORT groups: one endpoint, many sockets */
		if ((*v)[i].proto == l->proto && (*v)[i].family == l->family &&
		    (*v)[i].port == l->port && !memcmp((*v)[i].addr, l->addr, 16))
			return 0;
	if (ARRAY_GROW(*v, NULL, *n + 1))
		return -ENOMEM;
	(*v)[(*n)++] = *l;
	return 0;
}

static int read_listeners(const struct audit_ctx *ctx, const struct proc_net_table *t,
			  struct listener **v, size_t *n)
{
	char path[PATH_MAX], *text = NULL;
	int ret;

	audit_path(ctx, t->file, path, sizeof(path));
	ret = read_text(path, &text);
	if (ret)
		return ret;
	for_each_line(line, next, text) {
		struct listener l = { .proto = t->proto, .family = t->family };
		char local[33];
		unsigned state;

		if (sscanf(line, " %*d: %32[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*x:%*x %*x:%*x %*x "
			   "%*u %*u %lu", local, &l.port, &state, &l.inode) != 4 ||
		    state != t->listen_state || !parse_hex_addr(local, t->family, l.addr))
			continue;
		ret = push_listener(v, n, &l);
		if (ret)
			break;
	}
	free(text);
	return ret;
}

/* " (dockerd, pid 812)" for the process holding the socket, or "". */
static void socket_owner(const struct audit_ctx *ctx, unsigned long inode, char *out, size_t len)
{
	char proc[PATH_MAX], want[64];
	struct dirent *de;
	DIR *d;

	out[0] = '\0';
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	audit_path(ctx, "/proc", proc, sizeof(proc));
	d = opendir(proc);
	while (inode && d && !out[0] && (de = readdir(d))) {
		char fds[PATH_MAX + 300], link[64], *comm = NULL;
		struct dirent *fe;
		DIR *fd_dir;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(fds, sizeof(fds), "%s/%s/fd", proc, de->d_name);
		fd_dir = opendir(fds);
		while (fd_dir && !out[0] && (fe = readdir(fd_dir))) {
			ssize_t n = readlinkat(dirfd(fd_dir), fe->d_name, link, sizeof(link) - 1);

			if (n <= 0 || (link[n] = '\0', strcmp(link, want)))
				continue;
			snprintf(fds, sizeof(fds), "%s/%s/comm", proc, de->d_name);
			if (!read_text(fds, &comm))
				audit_trim(comm);
			snprintf(out, len, " (%s, pid %s)", comm ? comm : "?", de->d_name);
			free(comm);
		}
		if (fd_dir)
			closedir(fd_dir);
	}
	if (d)
		closedir(d);
}

static bool port_allowed(const struct audit_config *cfg, unsigned port)
{
	for (size_t i = 0; i < cfg->n_allowed_ports; i++)
		if ((unsigned)cfg->allowed_ports[i] == port)
			return true;
	return false;
}

static int report_listener(const struct audit_ctx *ctx, const struct listener *l,
			   struct audit_report *r)
{
	char where[80], owner[300], fix[256];
	bool docker = !strcmp(l->proto, "tcp") && (l->port == 2375 || l->port == 2376);

	/* the Docker API is root on the host for anyone who reaches it: never allowed */
	if (!docker && port_allowed(ctx->cfg, l->port))
		return 0;
	format_endpoint(l, where, sizeof(where));
	socket_owner(ctx, l->inode, owner, sizeof(owner));
	if (docker)
		return audit_add(r, "host.docker-api", AUDIT_CRITICAL,
				 "remove tcp:// from dockerd's -H flags or from \"hosts\" in "
				 "/etc/docker/daemon.json and use the unix socket (or ssh://)",
				 "the Docker API listens on %s%s: whoever reaches it controls this host "
				 "as root", where, owner);
	snprintf(fix, sizeof(fix), "stop it or bind it to 127.0.0.1; if it is meant to be reachable, "
		 "add %u to audit.allowedPorts and allow it in the firewall", l->port);
	return audit_add(r, "host.listening", AUDIT_MEDIUM, fix,
			 "%s %s is open to the network%s and not in audit.allowedPorts", l->proto,
			 where, owner);
}

int audit_check_listening(const struct audit_ctx *ctx, struct audit_report *r)
{
	struct listener *v = NULL;
	size_t n = 0, tables = 0;
	int ret = 0;

	for (size_t i = 0; i < sizeof(proc_net_tables) / sizeof(proc_net_tables[0]); i++) {
		ret = read_listeners(ctx, &proc_net_tables[i], &v, &n);
		if (ret == -ENOMEM)
			goto out;
		tables += !ret;
	}
	ret = tables ? 0 : -ENOENT;
	for (size_t i = 0; !ret && i < n; i++)
		if (!is_loopback(&v[i]))
			ret = report_listener(ctx, &v[i], r);
out:
	free(v);
	return ret;
}
