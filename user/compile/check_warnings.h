/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `warden check` warnings about valid policies that will not do what their
 * author expects on this host: a program the agent may run but not read, a
 * script whose interpreter is not allowed, a deny pattern that also hides
 * files of the baseline (CA certificates), a workspace or bind source the
 * agent's user cannot reach. Printed to stderr; they never fail a check.
 */
#ifndef WARDEN_CHECK_WARNINGS_H
#define WARDEN_CHECK_WARNINGS_H

#include <stdio.h>

#include "policy.h"

/* Warnings for agent a of p, each one line on out; returns how many. */
int check_agent_warnings(const struct policy *p, const struct agent_policy *a, FILE *out);

/*
 * Up to max paths below dir (depth-first, at most budget entries visited)
 * whose basename matches a deny pattern of a, into found; returns the count.
 */
size_t deny_matches_under(const struct agent_policy *a, const char *dir, char found[][4096],
			  size_t max, size_t *budget);

#endif
