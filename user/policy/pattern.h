/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Basename patterns of fs.deny (".env", ".env.*", "*.pem"), as the kernel
 * matches them on a final dentry name: validated by the policy parser,
 * hashed into RULE_FS_NAME entries by the compiler.
 */
#ifndef WARDEN_PATTERN_H
#define WARDEN_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "warden.h"

/*
 * A basename pattern: "name" (exact), "prefix*" or "*suffix". Returns 0 and
 * the match kind and fixed part, or -EINVAL with the reason in why.
 */
int fs_pattern_parse(const char *pattern, enum name_match *kind, const char **fixed,
		     size_t *len, const char **why);

/* FNV-1a 64 over len bytes, forwards or (suffixes) backwards. */
uint64_t fs_name_hash(const char *s, size_t len, int backwards);

#endif
