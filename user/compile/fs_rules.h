/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Compiling an agent's `fs` section, workspace and binds into RULE_FS_*
 * entries, and the built-in baseline that lets ordinary programs run.
 */
#ifndef WARDEN_FS_RULES_H
#define WARDEN_FS_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "baseline.h"
#include "compiled.h"
#include "pattern.h"
#include "policy.h"

/* What the agent rule must say about the fs rules compiled. */
struct fs_summary {
	uint32_t flags; /* FS_* of warden.h */
	uint8_t prefix_lens[WARDEN_PATTERN_LENS];
	uint8_t suffix_lens[WARDEN_PATTERN_LENS];
	struct name_filter_rule names; /* first and last bytes of the deny patterns */
};

/* Pushes agent a's fs rules into out. 0, or -errno with a message in err. */
int fs_compile(const struct policy *p, const struct agent_policy *a, uint32_t id,
	       struct compiled_policy *out, struct fs_summary *sum, char *err, size_t errlen);

#endif
