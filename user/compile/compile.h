/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Compiling a parsed policy into the entries of one rules map: what the
 * kernel will enforce. Pure userspace (it resolves names to inodes but never
 * touches BPF), so a policy can be compiled completely, and fail, before
 * anything in the kernel changes.
 */
#ifndef WARDEN_COMPILE_H
#define WARDEN_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "warden.h"
#include "policy.h"

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

/*
 * warden's own binary: every confined agent may read and exec it, because
 * it is the first program in a sandbox (it checks the cgroup, then execs
 * the command). Without root it can do nothing. NULL (the default) adds
 * nothing, as in unit tests and `warden check`.
 */
void compile_set_self_binary(const char *path);

/* Keeps fd open as long as the compiled policy lives; 0 or -ENOMEM. */
int compiled_pin(struct compiled_policy *c, int fd);

/* Appends one entry; 0 or -ENOMEM. */
int compiled_push(struct compiled_policy *c, const struct rule_key *key,
		  const union rule_value *value);

/*
 * Compiles p. Agents with "confined": false get no rules (their cgroups are
 * never registered). Returns 0, or -errno with a message in err.
 */
int policy_compile(const struct policy *p, struct agent_ids *ids, uint64_t generation,
		   struct compiled_policy *out, char *err, size_t errlen);
void compiled_policy_free(struct compiled_policy *c);

#endif
