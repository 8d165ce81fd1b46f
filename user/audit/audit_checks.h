/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The checks of `warden audit` (layer 5). Each check looks at one thing,
 * appends what is wrong to a report as findings (a stable id, a severity, a
 * message and a one-line fix) and returns 0; it returns -errno only when it
 * could not look at all, which is not a finding unless the check says so
 * (no firewall tool at all is one; no /proc/net/udp6 is not).
 *
 * Every host path a check reads goes through a root prefix (ctx->root: ""
 * on the host, a fixture tree in tests), and so do the outputs of the tools
 * it asks (nft, iptables, ufw, fail2ban-client, journalctl): under a root
 * they come from ROOT/cmd/NAME.txt (and ROOT/cmd/NAME.exit, the exit
 * status, 0 when absent), so every check runs on fixtures and none needs
 * the machine it runs on. The amnesia probe is the exception: it asks the
 * real daemon to confine a real process.
 */
#ifndef WARDEN_AUDIT_CHECKS_H
#define WARDEN_AUDIT_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "policy.h"
#include "strv.h"
#include "user.h"

enum audit_severity { AUDIT_CRITICAL, AUDIT_HIGH, AUDIT_MEDIUM, AUDIT_LOW };

struct audit_finding {
	const char *id; /* e.g. "host.docker-api"; string literals only */
	enum audit_severity severity;
	char *message;
	char *fix;
};

struct audit_report {
	struct audit_finding *v;
	size_t n, cap;
};

/* Appends a finding; 0 or -ENOMEM. */
int audit_add(struct audit_report *r, const char *id, enum audit_severity severity,
	      const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* How many findings carry this id. */
size_t audit_count(const struct audit_report *r, const char *id);
/* The first finding with this id, or NULL. */
const struct audit_finding *audit_find(const struct audit_report *r, const char *id);
/* Most severe first; findings of one severity keep the order they were found in. */
void audit_report_sort(struct audit_report *r);
/* Moves every finding of from to the end of to (from ends empty); 0 or -ENOMEM. */
int audit_report_move(struct audit_report *to, struct audit_report *from);
void audit_report_free(struct audit_report *r);
const char *audit_severity_name(enum audit_severity s);

/* The "audit" section of --config. */
struct audit_config {
	int *allowed_ports;
	size_t n_allowed_ports;
	int disk_max_percent;
	int ssh_failures_max;
	char *state_file;
};

#define AUDIT_DEFAULT_STATE_FILE "/var/lib/warden/audit-state.json"
#define AUDIT_DEFAULT_CONFIG "/etc/warden/audit.json"

/* The built-in defaults: ports [22], 90 %, 20 failures, AUDIT_DEFAULT_STATE_FILE. 0 or -ENOMEM. */
int audit_config_init(struct audit_config *c);
/*
 * Reads {"audit": {...}} over the defaults. Unknown keys and wrong types
 * are errors: -EINVAL with "NAME: LOCATION: reason" in err.
 */
int audit_config_parse(const char *text, const char *name, struct audit_config *c, char *err,
		       size_t errlen);
/* Same from a file; -ENOENT (err set) when it does not exist. */
int audit_config_load(const char *file, struct audit_config *c, char *err, size_t errlen);
void audit_config_free(struct audit_config *c);

struct audit_ctx {
	const char *root;                 /* "" on the host */
	const struct audit_config *cfg;
	const struct policy *policy;      /* NULL when it could not be loaded */
	const char *policy_path;          /* the file to stat (already under root) */
	json_object *status;              /* the daemon's status reply; NULL: none answered */
	int status_err;                   /* -errno: why there is no status */
	time_t now;
};

/* ctx->root + path into out; -ENAMETOOLONG if it does not fit. */
int audit_path(const struct audit_ctx *ctx, const char *path, char *out, size_t len);

/*
 * The combined stdout and stderr of a tool (argv[0] a bare name, looked up
 * in the sbin and bin directories, so cron's short PATH does not hide nft).
 * 0 with *out set when it exited 0; -EIO with *out set when it ran and
 * failed; -ENOENT when it is not installed; -ETIMEDOUT. Under a root, name
 * picks the fixture ROOT/cmd/NAME.txt.
 */
int audit_cmd_output(const struct audit_ctx *ctx, const char *name, const char *const argv[],
		     char **out);

/* 1. warden itself */
int audit_check_bpf_lsm(const struct audit_ctx *ctx, struct audit_report *r);
int audit_check_daemon(const struct audit_ctx *ctx, struct audit_report *r);
int audit_check_pinned(const struct audit_ctx *ctx, struct audit_report *r);
int audit_check_agent_cgroups(const struct audit_ctx *ctx, struct audit_report *r);
int audit_check_drift(const struct audit_ctx *ctx, struct audit_report *r);
/* Compares counters.eventsDropped with last (from the state file); *current for the next run. */
int audit_check_dropped_events(const struct audit_ctx *ctx, uint64_t last, uint64_t *current,
			       struct audit_report *r);
/* 2.-6. the host */
int audit_check_firewall(const struct audit_ctx *ctx, struct audit_report *r);
int audit_check_fail2ban(const struct audit_ctx *ctx, struct audit_report *r);
int audit_check_listening(const struct audit_ctx *ctx, struct audit_report *r);
int audit_check_ssh_failures(const struct audit_ctx *ctx, struct audit_report *r);
int audit_check_disk(const struct audit_ctx *ctx, struct audit_report *r);
/* 7. secrets */
int audit_check_secrets(const struct audit_ctx *ctx, struct audit_report *r);
/* 8. version and policy permissions */
int audit_check_version(const struct audit_ctx *ctx, struct audit_report *r);
int audit_check_policy_perms(const struct audit_ctx *ctx, struct audit_report *r);

/*
 * 9. Amnesia: forks a probe that the daemon places in a fresh cgroup of
 * agent a (as `warden run` is placed), becomes the agent's user and opens
 * every path of audit_amnesia_paths(). Needs the real daemon.
 */
int audit_check_amnesia(const struct audit_ctx *ctx, const struct agent_policy *a,
			struct audit_report *r);
/*
 * What the agent must be able to read, as host paths: the source of every
 * read-only bind (the sandbox shows the same inode at its destination) and
 * every fs.mustRead path. whats[i] says where paths[i] comes from. 0 or
 * -ENOMEM.
 */
int audit_amnesia_paths(const struct agent_policy *a, struct strv *paths, struct strv *whats);
/* The findings for the probe's results: errs[i] is 0 or the errno of paths[i]. */
int audit_amnesia_findings(const char *agent, const char *user, const struct strv *paths,
			   const struct strv *whats, const int *errs, struct audit_report *r);

/*
 * The probe behind 9 and 10: a child that the daemon places in a fresh
 * cgroup of agent, that becomes uid/gid and runs probe on every item;
 * errs[i] gets its result. 0, or -errno with msg saying why the probe
 * could not take the agent's place. uid/gid are user_ids() of the agent's
 * user, resolved before the fork: inside the agent's confinement
 * /etc/passwd may be out of reach.
 */
typedef int (*audit_probe_fn)(const char *item);
int audit_run_probe(const char *agent, uid_t uid, gid_t gid, const struct strv *paths,
		    audit_probe_fn probe, int *errs, char *msg, size_t msglen);
/*
 * audit_run_probe as agent a's user, saying in a finding (id) when it
 * cannot: the user is missing, or the probe cannot start ("cannot check
 * what agent A can VERB"). 1 when it ran (errs set), 0 when a finding says
 * why not, -errno.
 */
int audit_probe_agent(const struct agent_policy *a, const char *id, const char *verb,
		      const struct strv *items, audit_probe_fn probe, int *errs,
		      struct audit_report *r);

/*
 * 10. Reach: the same probe connects (TCP) to every network.mustReach
 * entry of agent a, names looked up as the agent would (its DNS goes to
 * warden's resolver). Needs the real daemon.
 */
int audit_check_reach(const struct audit_ctx *ctx, const struct agent_policy *a,
		      struct audit_report *r);
/* The finding for one probe result: err > 0 an errno of connect, < 0 a getaddrinfo code. */
int audit_reach_finding(const char *agent, const char *dest, int err, struct audit_report *r);

/* The parsers behind the firewall check, for the unit tests. */
#define AUDIT_FW_V4 1u
#define AUDIT_FW_V6 2u
/* The families whose incoming traffic an `nft list ruleset` drops by default. */
unsigned audit_nft_deny_families(const char *ruleset);
/* Whether `iptables -S` (or ip6tables -S) drops incoming traffic by default. */
bool audit_iptables_input_deny(const char *rules);
/* Families covered by an active ufw whose incoming default is deny or reject. */
unsigned audit_ufw_deny_families(const char *status);

/* Percent of a filesystem in use, as df(1) rounds it (up). */
int audit_used_percent(uint64_t used, uint64_t avail);

/* The state kept between runs. A missing file reads as 0 (and returns -ENOENT). */
int audit_state_load(const char *path, uint64_t *events_dropped);
/* Written atomically (rename), parent directories created 0700. */
int audit_state_save(const char *path, uint64_t events_dropped, time_t now);

/* Shared by the check files (report.c). */
/* The host's name for a path under the root, for messages. */
const char *audit_shown(const struct audit_ctx *ctx, const char *path);
/* Iterates over the lines of a mutable buffer, cutting it at each '\n'. */
#define for_each_line(line, next, buf) \
	for (char *line = (buf), *next = NULL; line; line = next) \
		if ((next = strchr(line, '\n')) ? (*next++ = '\0', 1) : 1)
/* s without leading and trailing white space (s itself is cut). */
char *audit_trim(char *s);
bool audit_starts_with(const char *s, const char *prefix);
/* The first line of a tool's output, for a message ("no output" for none). */
void audit_first_line(const char *text, char *out, size_t len);
/* The directory part of path ("." for a bare name). */
void audit_parent_dir(const char *path, char *out, size_t len);
/* A directory that holds at least one entry. */
bool audit_dir_has_entries(const char *path);

#endif
