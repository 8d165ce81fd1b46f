/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What `warden run` prepares on the host, as root, before it becomes the
 * agent's user and execs bubblewrap: bwrap resolves every source path as
 * that user, and creates bind destinations inside trees the agent writes.
 */
#ifndef WARDEN_SANDBOX_HOST_H
#define WARDEN_SANDBOX_HOST_H

#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

/* Where staged sources are mounted, in warden run's own mount namespace only. */
#define SANDBOX_STAGE_DIR WARDEN_STATE_DIR "/stage"

/*
 * Refuses a bind destination that reaches a symlink inside a tree the
 * agent may write (its workspace, its /tmp, an rw bind mounted before it):
 * the agent could have planted it to make bwrap create or mount elsewhere.
 * 0, or -ELOOP with the destination and host path in why.
 */
int sandbox_check_destinations(const struct sandbox_spec *s, char *why, size_t len);

/*
 * Every --bind/--ro-bind source of a bwrap command line (up to "--") that
 * user uid/gid cannot reach (a checkout under /root, an npm prefix in a
 * home directory) is bind-mounted by root onto SANDBOX_STAGE_DIR/N in a
 * new mount namespace of this process, and argv names that instead; the
 * new strings are kept in keep. Sources that do not exist at all are an
 * error. Leaves supplementary groups cleared. 0, or -errno with the path
 * and the reason in why.
 */
int sandbox_stage_sources(char **argv, uid_t uid, gid_t gid, struct strv *keep, char *why,
			  size_t len);

#endif
