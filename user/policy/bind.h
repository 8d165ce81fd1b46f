/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A `binds` entry, "SRC:DST[:ro|:rw]": read once, the same way, by the
 * parser that validates it and by everyone who uses it (the compiler, the
 * sandbox's destination check, the audit).
 */
#ifndef WARDEN_BIND_H
#define WARDEN_BIND_H

#include <limits.h>
#include <stdbool.h>

struct bind {
	char src[PATH_MAX]; /* host path */
	char dst[PATH_MAX]; /* where the agent sees it */
	bool rw;            /* ":rw"; no mode is read-only */
};

/*
 * Splits spec into b. 0; -EINVAL when it is not SRC:DST[:MODE] with
 * absolute paths, -ENOTSUP when MODE (what follows the last ':') is
 * neither ro nor rw, -ENAMETOOLONG for a path of PATH_MAX or more.
 */
int bind_parse(const char *spec, struct bind *b);

#endif
