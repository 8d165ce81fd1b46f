/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy file: parsed with json-c, validated against the schema of the
 * README ("Policy file"), and merged per agent (model.c: "agent lists extend
 * the defaults; scalar values override them"). Nothing here touches the
 * kernel or the filesystem beyond reading the policy and its profiles.
 */
#ifndef WARDEN_POLICY_H
#define WARDEN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/*
 * Parses and validates FILE. On error returns NULL and writes
 * "FILE: LOCATION: reason" into err.
 */
struct policy *policy_load(const char *file, char *err, size_t errlen);
/* Same, from a string; name is used in messages. */
struct policy *policy_parse(const char *text, const char *name, char *err, size_t errlen);

/*
 * Extends p's agents' exec.safeBins with those of the overlay file (same
 * schema; `warden approve --always` writes it). A missing file is no
 * overlay. 0, or -errno with a message in err.
 */
int policy_apply_overlay(struct policy *p, const char *file, char *err, size_t errlen);

/*
 * Where profile NAME is read from: the first of $WARDEN_PROFILES (a
 * colon-separated list of directories), DIR-OF-POLICY/profiles,
 * /etc/warden/profiles, BINDIR/../policy/profiles (a checkout's build/),
 * BINDIR/../share/warden/profiles (`make install`), /usr/share/warden/profiles
 * that holds NAME.json. 0 and the path
 * in out, or -ENOENT with the places tried in out.
 */
int profile_find(const char *name, const char *policy_path, char *out, size_t outlen);

/* "5m", "30s", "2h", "1d", "500ms" -> milliseconds; -1 on a bad duration. */
long long parse_duration_ms(const char *s);

#endif
