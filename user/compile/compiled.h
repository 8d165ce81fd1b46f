/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The compiled set: the rules-map entries a policy compiles to, the agent
 * ids they are keyed by, and the O_PATH descriptors that keep their inodes
 * alive. What compile.c and its parts (fs_rules.c, net_rules.c) fill in and
 * the enforcer loads.
 */
#ifndef WARDEN_COMPILED_H
#define WARDEN_COMPILED_H

#include <stddef.h>
#include <stdint.h>

#include "warden.h"

/* Agent names to the ids the kernel knows, stable for the daemon's life. */
struct agent_ids {
	char **names;
	uint32_t *ids;
	size_t n;
	uint32_t next;
};

/* The id of name, assigning the next free one; 0 when out of memory. */
uint32_t agent_ids_get(struct agent_ids *ids, const char *name);
/* The name of id, or NULL. */
const char *agent_ids_name(const struct agent_ids *ids, uint32_t id);
void agent_ids_free(struct agent_ids *ids);

struct rule_entry {
	struct rule_key key;
	union rule_value value;
};

struct compiled_policy {
	struct rule_entry *rules;
	size_t n_rules;
	size_t cap;
	uint64_t generation;
	int *pinned;	 /* O_PATH fds holding the fs rules' inodes (see fs_rules.c) */
	size_t n_pinned;
};

/* Keeps fd open as long as the compiled policy lives; 0 or -ENOMEM. */
int compiled_pin(struct compiled_policy *c, int fd);

/* Appends one entry; 0 or -ENOMEM. */
int compiled_push(struct compiled_policy *c, const struct rule_key *key,
		  const union rule_value *value);

void compiled_policy_free(struct compiled_policy *c);

#endif
