// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "file_cache.h"
#include "sandbox.h"
#include "fs_rules.h"
#include "net_rules.h"
#include "resolve.h"

static const char *self_binary;

void compile_set_self_binary(const char *path)
{
	self_binary = path;
}

/* warden's own binary, readable and executable for agent id. */
static int allow_self(struct compiled_policy *out, uint32_t id)
{
	struct rule_key key = { .agent = id };
	union rule_value value = {};
	struct file_id self;
	int ret;

	if (!self_binary)
		return 0;
	ret = file_identity(self_binary, &self);
	if (ret)
		return ret;
	key.dev = self.dev;
	key.ino = self.ino;
	key.kind = RULE_EXEC_ALLOW;
	ret = compiled_push(out, &key, &value);
	key.kind = RULE_FS_PATH;
	value.fs.access = FS_READ;
	return ret ?: compiled_push(out, &key, &value);
}

/*
 * The sandbox builder may run while a `warden run` cgroup is in setup
 * (CGROUP_SETUP). Found where `warden run` finds it; absent = no sandboxes.
 */
static int allow_sandbox_builder(struct compiled_policy *out)
{
	struct rule_key key = { .kind = RULE_SETUP_EXEC };
	union rule_value value = {};
	struct file_id id;

	for (size_t i = 0; sandbox_bwrap_paths[i]; i++) {
		if (file_identity(sandbox_bwrap_paths[i], &id))
			continue;
		key.dev = id.dev;
		key.ino = id.ino;
		return compiled_push(out, &key, &value);
	}
	return 0;
}

static uint32_t exec_mode(int security)
{
	switch (security) {
	case EXEC_SECURITY_ALLOWLIST: return EXEC_MODE_ALLOWLIST;
	case EXEC_SECURITY_FULL: return EXEC_MODE_FULL;
	default: return EXEC_MODE_DENY;
	}
}

static int compile_agent(const struct policy *p, const struct agent_policy *a, uint32_t id,
			 struct compiled_policy *out, char *err, size_t errlen)
{
	struct rule_key key = { .kind = RULE_AGENT, .agent = id };
	union rule_value value = { .agent = { .exec_mode = exec_mode(a->exec.security) } };
	struct resolved_bins bins = {}, quiet = {};
	struct fs_summary fs;
	int ret;

	ret = fs_compile(p, a, id, out, &fs, err, errlen);
	if (ret)
		goto out;
	value.agent.fs_flags = fs.flags;
	value.agent.ask = a->exec.ask == EXEC_ASK_ALWAYS    ? ASK_ALWAYS
			  : a->exec.ask == EXEC_ASK_ON_MISS ? ASK_ON_MISS
							    : ASK_OFF;
	memcpy(value.agent.prefix_lens, fs.prefix_lens, sizeof(fs.prefix_lens));
	memcpy(value.agent.suffix_lens, fs.suffix_lens, sizeof(fs.suffix_lens));
	ret = compiled_push(out, &key, &value);
	key = (struct rule_key){ .kind = RULE_AGENT_NAMES, .agent = id };
	value = (union rule_value){ .names = fs.names };
	ret = ret ?: compiled_push(out, &key, &value);
	key = (struct rule_key){ .kind = RULE_AGENT_CAPS, .agent = id };
	value = (union rule_value){ .caps = { .allowed = WARDEN_CAPS_DEFAULT | a->capabilities } };
	ret = ret ?: compiled_push(out, &key, &value);
	ret = ret ?: allow_self(out, id);
	ret = ret ?: net_compile_agent(p, a, id, out->generation, out, err, errlen);
	if (ret || a->exec.security != EXEC_SECURITY_ALLOWLIST)
		goto out;
	ret = resolve_safe_bins(p, a, &bins, err, errlen);
	for (size_t i = 0; !ret && i < bins.n; i++) {
		key = (struct rule_key){ .kind = RULE_EXEC_ALLOW, .agent = id,
					 .dev = bins.v[i].id.dev, .ino = bins.v[i].id.ino };
		memset(&value, 0, sizeof(value));
		ret = compiled_push(out, &key, &value);
	}
	ret = ret ?: resolve_quiet_bins(a, &quiet);
	for (size_t i = 0; !ret && i < quiet.n; i++) {
		bool allowed = false;

		/* a binary both allowed and quiet is allowed: safeBins says yes */
		for (size_t j = 0; j < bins.n && !allowed; j++)
			allowed = bins.v[j].id.dev == quiet.v[i].id.dev &&
				  bins.v[j].id.ino == quiet.v[i].id.ino;
		if (allowed)
			continue;
		key = (struct rule_key){ .kind = RULE_EXEC_ALLOW, .agent = id,
					 .dev = quiet.v[i].id.dev, .ino = quiet.v[i].id.ino };
		value = (union rule_value){ .exec_allow = { .flags = EXEC_ALLOW_QUIET } };
		ret = compiled_push(out, &key, &value);
	}
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory compiling agent %s", p->path, a->name);
	resolved_bins_free(&bins);
	resolved_bins_free(&quiet);
	return ret;
}

static int compare_keys(const void *a, const void *b)
{
	return memcmp(&((const struct rule_entry *)a)->key, &((const struct rule_entry *)b)->key,
		      sizeof(struct rule_key));
}

/*
 * One map entry per key: two rules on one inode (a readOnly path that is
 * also a workspace, a deny inside the baseline) combine, and a deny wins.
 */
static void merge_duplicates(struct compiled_policy *c)
{
	size_t w = 0;

	if (!c->n_rules)
		return;
	qsort(c->rules, c->n_rules, sizeof(*c->rules), compare_keys);
	for (size_t r = 1; r < c->n_rules; r++) {
		struct rule_entry *kept = &c->rules[w], *next = &c->rules[r];

		if (compare_keys(kept, next)) {
			c->rules[++w] = *next;
			continue;
		}
		if (kept->key.kind == RULE_FS_PATH || kept->key.kind == RULE_FS_DIR) {
			uint32_t access = kept->value.fs.access | next->value.fs.access;

			kept->value.fs.access = (access & FS_DENY) ? FS_DENY : access;
		} else {
			kept->value = next->value; /* the later one says it last */
		}
	}
	c->n_rules = w + 1;
}

int policy_compile(const struct policy *p, struct agent_ids *ids, uint64_t generation,
		   struct compiled_policy *out, char *err, size_t errlen)
{
	struct rule_key key = { .kind = RULE_GLOBAL };
	union rule_value value = { .global = { .generation = generation } };
	int ret;

	err[0] = '\0';
	resolve_cache_reset();
	file_cache_begin();
	memset(out, 0, sizeof(*out));
	out->generation = generation;
	ret = compiled_push(out, &key, &value);
	/* the daemon's start-up self-test: an agent that may exec nothing */
	key = (struct rule_key){ .kind = RULE_AGENT, .agent = WARDEN_AGENT_SELFTEST };
	value = (union rule_value){ .agent = { .exec_mode = EXEC_MODE_DENY } };
	ret = ret ?: compiled_push(out, &key, &value);
	ret = ret ?: allow_sandbox_builder(out);
	for (size_t i = 0; !ret && i < p->n_agents; i++) {
		const struct agent_policy *a = &p->agents[i];
		uint32_t id;

		if (!a->confined)
			continue;
		id = agent_ids_get(ids, a->name);
		if (!id) {
			snprintf(err, errlen, "%s: agents.%s: cannot give this agent an id (its name's "
				 "hash equals another agent's, or out of memory): rename it", p->path,
				 a->name);
			ret = -EINVAL;
		} else
			ret = compile_agent(p, a, id, out, err, errlen);
	}
	file_cache_end();
	if (ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "%s: out of memory", p->path);
	if (ret)
		compiled_policy_free(out);
	else
		merge_duplicates(out);
	return ret;
}
