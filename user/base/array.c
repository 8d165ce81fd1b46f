// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "array.h"

int array_grow(void *vp, size_t *cap, size_t need, size_t size)
{
	void **v = vp, *grown;
	size_t room = need;

	if (cap) {
		if (need <= *cap)
			return 0;
		room = *cap ? *cap : 8;
		while (room < need) {
			if (room > SIZE_MAX / 2)
				return -ENOMEM;
			room *= 2;
		}
	}
	if (size && room > SIZE_MAX / size)
		return -ENOMEM;
	grown = realloc(*v, room * size);
	if (!grown)
		return -ENOMEM;
	*v = grown;
	if (cap)
		*cap = room;
	return 0;
}
