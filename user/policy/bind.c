// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "bind.h"

int bind_parse(const char *spec, struct bind *b)
{
	size_t n = strcspn(spec, ":");
	const char *rest = spec[n] ? spec + n + 1 : NULL;
	size_t m = rest ? strcspn(rest, ":") : 0;
	const char *mode = rest && rest[m] ? rest + m + 1 : NULL;

	if (!n || !m || spec[0] != '/' || rest[0] != '/' || (mode && strchr(mode, ':')))
		return -EINVAL;
	if (mode && strcmp(mode, "ro") && strcmp(mode, "rw"))
		return -ENOTSUP;
	if (n >= sizeof(b->src) || m >= sizeof(b->dst))
		return -ENAMETOOLONG;
	memcpy(b->src, spec, n);
	b->src[n] = '\0';
	memcpy(b->dst, rest, m);
	b->dst[m] = '\0';
	b->rw = mode && !strcmp(mode, "rw");
	return 0;
}
