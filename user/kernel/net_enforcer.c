// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "fs_rules.h"
#include "net_enforcer.h"
#include "resolve.h"
#include "warden.skel.h"

int net_attach_cgroup_programs(struct warden *skel)
{
	struct { struct bpf_program *prog; struct bpf_link **link; } progs[] = {
		{ skel->progs.net_dns_connect4, &skel->links.net_dns_connect4 },
		{ skel->progs.net_dns_sendmsg4, &skel->links.net_dns_sendmsg4 },
		{ skel->progs.net_dns_connect6, &skel->links.net_dns_connect6 },
		{ skel->progs.net_dns_sendmsg6, &skel->links.net_dns_sendmsg6 },
		{ skel->progs.net_dns_recvmsg4, &skel->links.net_dns_recvmsg4 },
		{ skel->progs.net_dns_recvmsg6, &skel->links.net_dns_recvmsg6 },
		{ skel->progs.net_dns_getpeername4, &skel->links.net_dns_getpeername4 },
		{ skel->progs.net_dns_getpeername6, &skel->links.net_dns_getpeername6 },
	};
	int fd = open(CGROUP2_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]) && !ret; i++) {
		struct bpf_link *link = bpf_program__attach_cgroup(progs[i].prog, fd);

		if (!link)
			ret = -errno;
		else
			*progs[i].link = link;
	}
	close(fd);
	return ret;
}

static int push_rule(struct compiled_policy *out, uint32_t kind, uint32_t agent,
		     const struct file_id *id, uint64_t hash)
{
	struct rule_key key = { .kind = kind, .agent = agent, .dev = id->dev, .ino = id->ino,
				.name_hash = hash };
	union rule_value value = {};

	return compiled_push(out, &key, &value);
}

int net_compile_agent(const struct policy *p, const struct agent_policy *a, uint32_t id,
		      uint64_t generation, struct compiled_policy *out, char *err, size_t errlen)
{
	struct rule_key key = { .kind = RULE_NET_AGENT, .agent = id };
	struct net_agent_rule nr = { .mode = NET_MODE_FILTER, .slot = net_slot(generation) };
	union rule_value value = {};
	struct file_id fid;
	int ret;

	_Static_assert(sizeof(nr) == sizeof(value), "net_agent_rule fits a rules-map value");
	if (a->network != NETWORK_FILTER)
		return 0;
	if (a->net.ask == NET_ASK_ON_MISS)
		nr.flags |= NET_FLAG_ASK;
	memcpy(&value, &nr, sizeof(nr));
	ret = compiled_push(out, &key, &value);
	for (size_t i = 0; !ret && i < a->net.unix_paths.n; i++) {
		char dir[PATH_MAX];
		const char *path = a->net.unix_paths.v[i], *base = strrchr(path, '/') + 1;

		snprintf(dir, sizeof(dir), "%.*s", (int)(base - path > 1 ? base - path - 1 : 1), path);
		/* a server's socket directory that does not exist yet: nothing to reach */
		if (file_identity(dir, &fid))
			continue;
		ret = push_rule(out, RULE_NET_UNIX, id, &fid, fs_name_hash(base, strlen(base), 0));
	}
	if (!ret && a->workspace && !file_identity(a->workspace, &fid))
		ret = push_rule(out, RULE_NET_UNIX_DIR, id, &fid, 0);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory compiling the network of agent %s", p->path,
			 a->name);
	return ret;
}

void net_cidr_key_make(struct net_cidr_key *k, uint32_t agent, uint32_t slot, uint16_t port,
		       const uint8_t addr[16], unsigned prefix)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = NET_CIDR_FIXED_BITS + prefix;
	k->agent = agent;
	k->slot = (uint8_t)slot;
	k->port = port;
	memcpy(k->addr, addr, 16);
}

/* Keys of one map matching the slot test, collected first: deleting while iterating skips keys. */
static int clear_map(int fd, size_t key_size, size_t slot_off, uint32_t slot, int keep)
{
	uint8_t key[64], next[64], *prev = NULL;
	uint8_t *doomed = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		if ((next[slot_off] == slot) == !keep) {
			if (n == cap) {
				uint8_t *v = realloc(doomed, (cap = cap ? cap * 2 : 64) * key_size);

				if (!v) {
					ret = -ENOMEM;
					break;
				}
				doomed = v;
			}
			memcpy(doomed + n++ * key_size, next, key_size);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, doomed + i * key_size) && errno != ENOENT)
			ret = -errno;
	free(doomed);
	return ret;
}

int net_maps_clear_slot(int cidrs_fd, int addrs_fd, uint32_t slot, int keep)
{
	int ret = clear_map(cidrs_fd, sizeof(struct net_cidr_key),
			    offsetof(struct net_cidr_key, slot), slot, keep);
	int ret2 = clear_map(addrs_fd, sizeof(struct net_addr_key),
			     offsetof(struct net_addr_key, slot), slot, keep);

	return ret ?: ret2;
}
