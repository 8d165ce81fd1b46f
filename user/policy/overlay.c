// SPDX-License-Identifier: GPL-2.0-only
/*
 * The approved overlay (`warden approve --always` writes it): safeBins added
 * to the agents of a loaded policy.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "policy.h"

int policy_apply_overlay(struct policy *p, const char *file, char *err, size_t errlen)
{
	struct policy *o;

	if (access(file, F_OK))
		return 0;
	o = policy_load(file, err, errlen);
	if (!o)
		return -EINVAL;
	for (size_t i = 0; i < o->n_agents; i++) {
		struct agent_policy *a = (struct agent_policy *)policy_agent(p, o->agents[i].name);
		const struct exec_policy *add = &o->agents[i].exec;

		if (!a)
			continue; /* an agent no longer in the policy: its grants wait */
		for (size_t j = 0; j < add->safe_bins.n; j++) {
			char where[1024];

			snprintf(where, sizeof(where), "%s: %s", file, add->safe_bins_where.v[j]);
			if (strv_contains(&a->exec.safe_bins, add->safe_bins.v[j]))
				continue;
			if (strv_push(&a->exec.safe_bins, add->safe_bins.v[j]) ||
			    strv_push(&a->exec.safe_bins_where, where)) {
				policy_free(o);
				snprintf(err, errlen, "%s: out of memory", file);
				return -ENOMEM;
			}
		}
	}
	policy_free(o);
	return 0;
}
