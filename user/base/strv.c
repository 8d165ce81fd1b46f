// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "strv.h"

int strv_push(struct strv *sv, const char *s)
{
	char *copy;

	if (ARRAY_GROW(sv->v, &sv->cap, sv->n + 1))
		return -ENOMEM;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	sv->v[sv->n++] = copy;
	return 0;
}

int strv_extend(struct strv *sv, const struct strv *from)
{
	for (size_t i = 0; i < from->n; i++) {
		int err = strv_push(sv, from->v[i]);

		if (err)
			return err;
	}
	return 0;
}

int strv_contains(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

void strv_free(struct strv *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
