/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy file: parsed with json-c, validated against the schema of
 * DESIGN.md, and merged per agent ("agent lists extend the defaults; scalar
 * values override them"). Nothing here touches the kernel or the filesystem
 * beyond reading the file.
 */
#ifndef WARDEN_POLICY_H
#define WARDEN_POLICY_H

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

/*
 * Parses and validates FILE. On error returns NULL and writes
 * "FILE: LOCATION: reason" into err.
 */
struct policy *policy_load(const char *file, char *err, size_t errlen);
/* Same, from a string; name is used in messages. */
struct policy *policy_parse(const char *text, const char *name, char *err, size_t errlen);
void policy_free(struct policy *p);

/*
 * Extends p's agents' exec.safeBins with those of the overlay file (same
 * schema; `warden approve --always` writes it). A missing file is no
 * overlay. 0, or -errno with a message in err.
 */
int policy_apply_overlay(struct policy *p, const char *file, char *err, size_t errlen);

const struct agent_policy *policy_agent(const struct policy *p, const char *name);

/*
 * Where profile NAME is read from: the first of $WARDEN_PROFILES (a
 * colon-separated list of directories), DIR-OF-POLICY/profiles,
 * /etc/warden/profiles, BINDIR/../policy/profiles (a checkout's build/),
 * BINDIR/../share/warden/profiles (`make install`), /usr/share/warden/profiles
 * that holds NAME.json. 0 and the path
 * in out, or -ENOENT with the places tried in out.
 */
int profile_find(const char *name, const char *policy_path, char *out, size_t outlen);

/* Value of NAME in the agent's env.set, or NULL. */
const char *agent_env_get(const struct agent_policy *a, const char *name);
/* The PATH bare safeBins names are looked up on. */
const char *agent_exec_path(const struct agent_policy *a);

const char *exec_security_name(int security);

/* "a string", "an array", ... for error messages about a JSON value's type. */
struct json_object;
const char *json_type_word(struct json_object *o);

/* "5m", "30s", "2h", "1d", "500ms" -> milliseconds; -1 on a bad duration. */
long long parse_duration_ms(const char *s);

#endif
