/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The built-in baseline every confined agent may read (and the devices it may
 * write): compiled into fs rules, bound into the sandbox, and the measure of
 * what a profile's commands or `warden check` find readable.
 */
#ifndef WARDEN_BASELINE_H
#define WARDEN_BASELINE_H

/* NULL-terminated lists of absolute paths. */
extern const char *const fs_baseline_read[];
extern const char *const fs_baseline_write[];

#endif
