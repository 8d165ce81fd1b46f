/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The parsed policy as data (what policy.c builds from the file): the
 * agents' settings, merged layer by layer, and their lookups.
 */
#ifndef WARDEN_MODEL_H
#define WARDEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_policy.h"
#include "strv.h"

enum exec_security { EXEC_SECURITY_UNSET = -1, EXEC_SECURITY_DENY, EXEC_SECURITY_ALLOWLIST,
		     EXEC_SECURITY_FULL };
enum exec_ask { EXEC_ASK_UNSET = -1, EXEC_ASK_OFF, EXEC_ASK_ON_MISS, EXEC_ASK_ALWAYS };
enum ask_fallback { ASK_FALLBACK_UNSET = -1, ASK_FALLBACK_DENY, ASK_FALLBACK_ALLOW };
/* NETWORK_FILTER: the object form; host namespace, egress judged in the kernel (layer 6) */
enum network_mode { NETWORK_UNSET = -1, NETWORK_NONE, NETWORK_HOST, NETWORK_FILTER };

struct exec_policy {
	int security;         /* enum exec_security */
	int ask;              /* enum exec_ask */
	long long ask_timeout_ms; /* -1 unset */
	int ask_fallback;     /* enum ask_fallback */
	struct strv safe_bins;
	struct strv safe_bins_where; /* JSON location of each entry, for errors */
	struct strv quiet; /* refused at once, never an approval request (still an event) */
};

struct fs_policy {
	int workspace_only; /* -1 unset, 0, 1 */
	struct strv read_only;
	struct strv deny;
	struct strv must_read;
};

struct env_policy {
	struct strv pass;
	struct strv set; /* "NAME=VALUE" entries, later ones win */
};

struct agent_policy {
	char *name;
	bool confined;
	char *workspace;
	char *user;
	int network; /* enum network_mode */
	struct net_policy net; /* NETWORK_FILTER: egress, unix, ask, mustReach */
	struct strv binds; /* "SRC:DST[:ro|:rw]" */
	uint64_t capabilities; /* beyond WARDEN_CAPS_DEFAULT, bit per CAP_* (caps.h) */
	struct exec_policy exec;
	struct fs_policy fs;
	struct env_policy env;
	/* profiles (policy/profiles/NAME.json) this agent extends, in order */
	struct strv profiles;
	struct strv commands;      /* a profile's CLI commands, resolved into safeBins/readOnly */
	struct strv commands_from; /* the profile that named each command */
	struct strv home_files;    /* "SRC:NAME": files bound read-only into the agent's home */
	struct strv contributed;   /* "PROFILE: KEY += VALUE", for `warden check` */
};

struct policy {
	char *path;
	struct strv notify; /* approvals.notify: argv of the command told of each request */
	struct agent_policy defaults;
	struct agent_policy *agents; /* merged with defaults, in file order */
	size_t n_agents;
};

/* Every setting unset, confined. */
void agent_init(struct agent_policy *a);
void agent_free(struct agent_policy *a);
/*
 * One layer under a: a's lists extend d's (d's entries first), a's scalars
 * override d's. Used for a profile under its agent and for the defaults
 * under every agent. 0 or -ENOMEM.
 */
int agent_merge_layer(struct agent_policy *a, const struct agent_policy *d);
/* The defaults under a, then the built-in values for what neither says. */
int agent_merge_defaults(struct agent_policy *a, const struct agent_policy *d);

void policy_free(struct policy *p);

const struct agent_policy *policy_agent(const struct policy *p, const char *name);

/* Value of NAME in the agent's env.set, or NULL. */
const char *agent_env_get(const struct agent_policy *a, const char *name);
/* The PATH bare safeBins names are looked up on. */
const char *agent_exec_path(const struct agent_policy *a);

const char *exec_security_name(int security);

#endif
