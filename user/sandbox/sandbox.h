/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layer 3: the container an agent runs in, built by bubblewrap (bwrap).
 * bwrap is a small, widely used setuid-free sandbox tool (Flatpak's); it
 * does the namespace and mount work so warden does not hand-roll it.
 *
 * The sandbox: new user, mount, PID, IPC and UTS namespaces (and network,
 * unless "network": "host"); a root of read-only system paths; the
 * workspace read-write at /workspace; every `binds` entry; a fresh /proc,
 * a minimal /dev; a private /tmp; an environment of env.set and the
 * env.pass names only; the policy's unprivileged user, no capabilities,
 * no_new_privs, no further user namespaces.
 */
#ifndef WARDEN_SANDBOX_H
#define WARDEN_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "paths.h"
#include "policy.h"
#include "strv.h"
#include "user.h"

#define SANDBOX_WORKSPACE "/workspace"
#define SANDBOX_STAGE "/.warden/warden" /* warden itself, the first program inside */

/* What `warden run` needs to build an agent's sandbox; sent by the daemon. */
struct sandbox_spec {
	char *agent;
	char *workspace;  /* host path bound at /workspace; NULL = none */
	char *tmp_dir;    /* host directory bound at /tmp; NULL = a tmpfs */
	char *home;       /* the agent's home (agent_home.h), HOME unless env.set has one */
	char *user;
	bool share_network;
	struct strv read_only; /* host paths bound read-only at the same path */
	struct strv binds;     /* "SRC:DST[:ro|:rw]" */
	struct strv env_set;   /* "NAME=VALUE" */
	struct strv env_pass;  /* names taken from the caller's environment */
};

/*
 * Where bubblewrap is looked for, by `warden run` and by the policy
 * compiler (RULE_SETUP_EXEC): fixed places, never the caller's PATH.
 */
extern const char *const sandbox_bwrap_paths[];
/* The first of them that exists, or NULL. */
const char *sandbox_bwrap_path(void);

/* The spec of agent a as JSON (daemon side). */
json_object *sandbox_spec_to_json(const struct agent_policy *a);
/* Parses it back (run side); 0 or -EINVAL. */
int sandbox_spec_from_json(json_object *o, struct sandbox_spec *s);
void sandbox_spec_free(struct sandbox_spec *s);

/* The per-agent directory bound at /tmp: WARDEN_STATE_DIR/tmp/NAME. */
void sandbox_tmp_dir(const char *agent, char *out, size_t len);

#define SANDBOX_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/*
 * The agent's whole environment as "NAME=VALUE" strings: the env.pass
 * names the caller has (environ), then env.set (which wins), and PATH
 * (SANDBOX_DEFAULT_PATH) unless env.set has one. Nothing else of the
 * caller's. 0, -EINVAL (an env.set entry without '='), -ENOMEM.
 */
int sandbox_environment(const struct sandbox_spec *s, char *const *environ, struct strv *out);

/*
 * The bwrap command line for s running cmd: stage is the host path of the
 * warden binary (bound at SANDBOX_STAGE, it checks the cgroup and execs
 * cmd). environ is the caller's environment, for env.pass.
 */
int sandbox_argv(const struct sandbox_spec *s, const char *stage, char *const cmd[],
		 char *const *environ, struct strv *argv);

#endif
