/* SPDX-License-Identifier: GPL-2.0-only */
/* A policy's "user": a name or a number, to the ids an agent runs as. */
#ifndef WARDEN_USER_H
#define WARDEN_USER_H

#include <sys/types.h>

/*
 * uid and gid of user: a number is the uid (its group the passwd entry's,
 * else the same number), anything else a name in the passwd database. What
 * `warden run` switches to, so what the daemon chowns for and the audit
 * probes with too. 0 or -ENOENT (-errno when the lookup itself failed).
 */
/* Whom an agent runs as when its policy names no user. */
#define DEFAULT_AGENT_USER "nobody"

int user_ids(const char *user, uid_t *uid, gid_t *gid);

#endif
