// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "net_rules.h"
#include "pattern.h"
#include "resolve.h"

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
