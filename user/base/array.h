/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one growable-array helper of the tree (as libbpf_ensure_mem and
 * systemd's GREEDY_REALLOC are theirs): every array that grows goes
 * through it, so the overflow check and the keep-the-old-on-failure rule
 * are written once.
 */
#ifndef WARDEN_ARRAY_H
#define WARDEN_ARRAY_H

#include <stddef.h>

/*
 * Makes the array *vp (of elements of size bytes) hold at least need
 * elements. With cap (the room it has, in elements) the room doubles,
 * from 8; with cap NULL it becomes exactly need (arrays that stay small
 * and are grown one element at a time). 0, or -ENOMEM with *vp (and *cap)
 * unchanged.
 */
int array_grow(void *vp, size_t *cap, size_t need, size_t size);

/* array_grow for an array variable v: ARRAY_GROW(d->cgroups, NULL, d->n_cgroups + 1) */
#define ARRAY_GROW(v, cap, need) array_grow(&(v), (cap), (need), sizeof(*(v)))

#endif
