/* SPDX-License-Identifier: GPL-2.0-only */
/* A growable, owned array of strings. */
#ifndef WARDEN_STRV_H
#define WARDEN_STRV_H

#include <stddef.h>

struct strv {
	char **v;
	size_t n;
	size_t cap;
};

/* Appends a copy of s; 0 or -ENOMEM. */
int strv_push(struct strv *sv, const char *s);
/* Appends every entry of from; 0 or -ENOMEM. */
int strv_extend(struct strv *sv, const struct strv *from);
int strv_contains(const struct strv *sv, const char *s);
void strv_free(struct strv *sv);

#endif
