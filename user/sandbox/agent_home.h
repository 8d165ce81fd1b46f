/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-agent home: WARDEN_STATE_DIR/home/NAME, outside the workspace,
 * at HOME for the agent (unless env.set names a HOME), writable by it for
 * its runtime's state (sessions, caches, history).
 *
 * The configuration files the operator names in homeFiles ("SRC:NAME") are
 * what a hijacked agent would rewrite to own its next session (a provider's
 * base URL, an approval mode, a hook). They are kept out of its reach
 * twice: the daemon keeps a root-owned copy of SRC at HOME/NAME whose inode
 * the kernel rules make read-only (a write is refused with an event, with
 * or without a sandbox), and a sandbox binds SRC itself read-only over it
 * at every start, so a copy the agent replaced in a previous session is
 * not what the next one reads.
 */
#ifndef WARDEN_AGENT_HOME_H
#define WARDEN_AGENT_HOME_H

#include <stddef.h>

#include "policy.h"

/* WARDEN_STATE_DIR/home/NAME */
void agent_home_dir(const char *agent, char *out, size_t len);

/* Where homeFiles entry "SRC:NAME" lands: src and the host path in the home. */
int agent_home_file(const char *agent, const char *entry, char *src, size_t srclen, char *dst,
		    size_t dstlen);

/*
 * Creates the home (owned by the agent's user, 0700) and brings every
 * homeFiles copy up to date with its source: a file rewritten only when
 * its content differs, so the inode the rules hold stays the same. 0 or
 * -errno, with err saying which file.
 */
int agent_home_sync(const struct agent_policy *a, char *err, size_t errlen);

#endif
