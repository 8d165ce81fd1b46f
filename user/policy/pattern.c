// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "pattern.h"

uint64_t fs_name_hash(const char *s, size_t len, int backwards)
{
	uint64_t h = FNV64_OFFSET;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[backwards ? len - 1 - i : i]) * FNV64_PRIME;
	return h;
}

int fs_pattern_parse(const char *pattern, enum name_match *kind, const char **fixed,
		     size_t *len, const char **why)
{
	size_t n = strlen(pattern);
	const char *star = strchr(pattern, '*');

	if (strpbrk(pattern, "?[]\\/")) {
		*why = "only '*' at the start or the end is supported in a basename pattern";
		return -EINVAL;
	}
	if (star && strchr(star + 1, '*')) {
		*why = "a basename pattern may hold one '*'";
		return -EINVAL;
	}
	if (!star) {
		*kind = NAME_EXACT;
		*fixed = pattern;
		*len = n;
	} else if (star == pattern) {
		*kind = NAME_SUFFIX;
		*fixed = pattern + 1;
		*len = n - 1;
	} else if (star == pattern + n - 1) {
		*kind = NAME_PREFIX;
		*fixed = pattern;
		*len = n - 1;
	} else {
		*why = "'*' must be at the start (\"*.pem\") or the end (\"id_rsa*\")";
		return -EINVAL;
	}
	if (*len == 0 || *len > WARDEN_NAME_PATTERN_MAX) {
		*why = "the fixed part of a basename pattern must be 1-63 bytes";
		return -EINVAL;
	}
	return 0;
}
