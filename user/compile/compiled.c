// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "compiled.h"

/*
 * An agent's id is a hash of its name, so it is the same for every daemon
 * and every reload: cgroups registered by one daemon keep meaning the same
 * agent to the next one, which adopts them from the pinned maps.
 */
static uint32_t name_id(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	/* 0 means none; the top value is the self-test's */
	return h == 0 || h == WARDEN_AGENT_SELFTEST ? 1 : h;
}

uint32_t agent_ids_get(struct agent_ids *ids, const char *name)
{
	uint32_t id = name_id(name);

	for (size_t i = 0; i < ids->n; i++) {
		if (!strcmp(ids->names[i], name))
			return ids->ids[i];
		if (ids->ids[i] == id)
			return 0; /* two names, one hash: refused (see policy_compile) */
	}
	if (ARRAY_GROW(ids->names, NULL, ids->n + 1) || ARRAY_GROW(ids->ids, NULL, ids->n + 1))
		return 0;
	ids->names[ids->n] = strdup(name);
	if (!ids->names[ids->n])
		return 0;
	ids->ids[ids->n] = id;
	return ids->ids[ids->n++];
}

const char *agent_ids_name(const struct agent_ids *ids, uint32_t id)
{
	for (size_t i = 0; i < ids->n; i++)
		if (ids->ids[i] == id)
			return ids->names[i];
	return NULL;
}

void agent_ids_free(struct agent_ids *ids)
{
	if (!ids)
		return;
	for (size_t i = 0; i < ids->n; i++)
		free(ids->names[i]);
	free(ids->names);
	free(ids->ids);
	memset(ids, 0, sizeof(*ids));
}

int compiled_push(struct compiled_policy *c, const struct rule_key *key,
		  const union rule_value *value)
{
	if (ARRAY_GROW(c->rules, &c->cap, c->n_rules + 1))
		return -ENOMEM;
	c->rules[c->n_rules].key = *key;
	c->rules[c->n_rules++].value = *value;
	return 0;
}

int compiled_pin(struct compiled_policy *c, int fd)
{
	if (ARRAY_GROW(c->pinned, NULL, c->n_pinned + 1))
		return -ENOMEM;
	c->pinned[c->n_pinned++] = fd;
	return 0;
}

void compiled_policy_free(struct compiled_policy *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_pinned; i++)
		close(c->pinned[i]);
	free(c->pinned);
	free(c->rules);
	memset(c, 0, sizeof(*c));
}
