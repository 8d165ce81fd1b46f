/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's state and what its parts call of each other: daemon.c
 * (policy, cgroups, control requests, the loop), daemon_events.c
 * (publishing events to stdout, the log and subscribers),
 * daemon_approvals.c (the approval queue's decisions), net_daemon.c and
 * net_approvals.c (layer 6). One header for all of them, included by no
 * file outside daemon/: the parts of one program, not modules of their own.
 */
#ifndef WARDEN_DAEMON_H
#define WARDEN_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "approvals.h"
#include "held_state.h"
#include "jsonw.h"
#include "compile.h"
#include "paths.h"
#include "policy.h"
#include "repeats.h"
#include "sandbox.h"
#include "warden.h"

struct enforcer;
struct file_id;
struct ring_buffer;

struct managed_cgroup {
	uint64_t id;
	uint32_t agent;
	char *path;
	bool is_run; /* created by `warden run`: removed once empty */
};

/* A held exec whose SIGSTOP the kernel has not seen taken yet (it is still finishing its exec). */
struct held_wait {
	json_object *ev; /* its exec event */
	pid_t pid;
	int pidfd;
	uint32_t agent_id;
	uint32_t flags; /* EXEC_F_* */
	uint64_t dev, ino, script_dev, script_ino;
	uint64_t since_ms; /* CLOCK_MONOTONIC */
};

/* A content hash computed for an --always entry, kept while the file's metadata stays the same. */
struct hash_cache_entry {
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
	char sha256[65];
};

struct subscriber {
	int fd;
	char *agent;       /* only this agent's events, or NULL */
	struct jsonw out;  /* whole lines not yet sent: out.buf[sent..out.len) */
	size_t sent;
};

/* One inotify descriptor and what each of its watches is on (watch.c). */
struct watched_dir {
	int wd;
	char *dir;
};

struct watch_set {
	int fd; /* -1: no watching */
	struct watched_dir *v;
	size_t n;
};

struct daemon {
	char *policy_file; /* what SIGHUP and a plain `warden reload` read */
	bool json;
	struct policy *policy;
	struct agent_ids ids;
	uint64_t generation;
	size_t n_rules;
	uint64_t compile_ms, load_ms; /* of the last policy applied: parse+resolve, maps+swap */
	uint64_t files_reused;        /* file identities its compile took from the file cache */
	struct compiled_policy active; /* what the kernel holds; its pins keep fs inodes stable */
	struct enforcer *enforcer;
	struct ring_buffer *ring;
	int listen_fd;
	int signal_fd;
	int timer_fd;
	int epoll_fd;
	uint64_t seq;
	uint64_t run_serial;
	struct managed_cgroup *cgroups;
	size_t n_cgroups;
	/* approvals */
	struct approval_queue queue;
	struct held_wait *waiting; /* holds not yet stopped: polled every few ms */
	size_t n_waiting;
	int settle_fd;             /* timerfd for that polling, armed only while needed */
	struct hash_cache_entry *hashes;
	size_t n_hashes;
	struct rule_entry *grants; /* timed grants (--for), re-added on every policy swap */
	size_t n_grants;
	/* events */
	FILE *event_log;
	uint64_t log_bytes;  /* the log's size: rotation without an lseek per event */
	struct jsonw line;   /* the event being formatted (the ring buffer's path) */
	struct subscriber *subscribers;
	size_t n_subscribers;
	uint64_t subscriber_drops;
	struct repeats repeats; /* identical file denials the kernel folded */
	bool stop;
	bool unload; /* `warden unload`: remove the pins on the way out */
	/*
	 * The heartbeat has its own thread, so a long step of the loop (a
	 * 100,000-rule reload) does not make the kernel think nobody is there
	 * to decide. It beats while the loop turned recently, or while a
	 * bounded long step is running, never for a loop that is stuck.
	 */
	pthread_t heartbeat_thread;
	bool heartbeat_running;
	atomic_bool heartbeat_stop;
	_Atomic uint64_t loop_turn_ms; /* CLOCK_MONOTONIC of the loop's last turn */
	_Atomic uint64_t busy_since_ms; /* a long step started then; 0 = none */
	struct watch_set watch; /* directories of allowlisted binaries and listed files */
	uint64_t reresolve_due; /* CLOCK_MONOTONIC ms; 0 = nothing changed */
	struct net_state *net;  /* layer 6: egress sets and the resolver (net_daemon.c) */
};

/* daemon.c */
int daemon_reload(struct daemon *d, const char *file, char *err, size_t errlen);

/* cgroups.c: flags as for enforcer_add_cgroup */
int track_cgroup(struct daemon *d, const char *path, uint32_t agent, bool is_run,
		 uint32_t flags);
void untrack_cgroup(struct daemon *d, size_t i);
/* Forgets (and removes) runs' cgroups that emptied. */
void sweep_cgroups(struct daemon *d);
/* At start-up: the cgroups under WARDEN_CGROUP_DIR and those the pinned map registers. */
void adopt_existing_cgroups(struct daemon *d);
void adopt_registered_cgroups(struct daemon *d);

/* watch.c: inotify on the directories allowlisted binaries were found in */
int watch_policy(const struct policy *p, struct watch_set *ws);
void watch_set_close(struct watch_set *ws);
void watch_fail(struct daemon *d, struct watch_set *ws, bool changed);
void watch_install(struct daemon *d, struct watch_set *ws);
bool watch_drain(struct daemon *d);
void on_inotify(struct daemon *d);
void reresolve_if_due(struct daemon *d);

/* status.c: op "status" */
json_object *handle_status(struct daemon *d);

/* server.c: the control socket's clients */
void accept_clients(struct daemon *d);

/* daemon_events.c: ev gets a seq and goes everywhere; ev is consumed */
void publish(struct daemon *d, json_object *ev);
/*
 * One event already formatted (line, len bytes, no newline, its seq
 * taken): to the log, the subscribers of agent (NULL: only those of every
 * agent) and stdout. ev is its object when the caller has one, else NULL.
 */
void publish_line(struct daemon *d, const char *agent, const char *line, size_t len,
		  json_object *ev);
/* Writes out what publish buffered: after each batch of ring-buffer records. */
void events_flush(struct daemon *d);
int events_open_log(struct daemon *d);
void events_close(struct daemon *d);
/* op "events": the client stays connected and receives every event line */
json_object *handle_events(struct daemon *d, json_object *req, int client, bool *keep);

/* daemon_approvals.c */
void approvals_on_hold(struct daemon *d, json_object *ev, const struct exec_event *e);
/* A pidfd of a held process became readable (it exited); true when fd was one. */
bool approvals_on_pidfd(struct daemon *d, int fd);
/* settle_fd fired: holds that were still finishing their exec are looked at again. */
void approvals_on_settle_timer(struct daemon *d);
/* Rules for the --always approvals (of policy p's agents) whose file is still the approved content. */
void approvals_add_always(struct daemon *d, const struct policy *p, struct compiled_policy *c);
void approvals_tick(struct daemon *d);
void approvals_shutdown(struct daemon *d);
void approvals_add_grants(struct daemon *d, struct compiled_policy *c);
/* Held processes a crashed daemon left behind become requests again. */
void approvals_adopt_held(struct daemon *d);
json_object *handle_approvals(struct daemon *d);
json_object *handle_decision(struct daemon *d, json_object *req, bool allow);
/* Runs approvals.notify with request a on stdin; never waits for it. */
void approvals_notify(struct daemon *d, const struct approval *a);
/* An "approval" event: request id (0: none), the processes it applied to, what was shown. */
void publish_decision(struct daemon *d, uint64_t id, const char *agent, json_object *info,
		      const pid_t *pids, size_t n, bool allow, const char *decision,
		      const char *detail);

#define ARGV_SHOWN_MAX (64 << 10) /* argv bytes shown whole; beyond: argvTruncated */

/* held_process.c: what a held process is, from /proc and the kernel's record */
/* Where held process pid is: its hold's record against /proc (held_state.c). */
enum held_check held_check(struct daemon *d, pid_t pid);
/* argv of a running process from /proc/PID/cmdline, at most max bytes (*truncated beyond). */
json_object *cmdline_json(pid_t pid, size_t max, bool *truncated);
/* /proc/PID/stat starttime (clock ticks since boot); 0 when gone. */
uint64_t proc_starttime(pid_t pid);
int pidfd_open_(pid_t pid);
int pidfd_signal(int pidfd, int sig);
/* What a human needs beyond the exec event: binary, user, parent. */
void describe(json_object *info, pid_t pid, pid_t ppid, uid_t uid);
/* The script a held interpreter runs (flags EXEC_F_*), or NULL with why in *err. */
json_object *script_json(pid_t pid, json_object *info, uint32_t flags, uint64_t kdev,
			 uint64_t kino, const char **err);
/* Whether every process of a still runs the script its request showed. */
bool script_unchanged(const struct approval *a);
/* Whether the agent may change the binary pid runs (uid: the process's). */
bool binary_writable(pid_t pid, uint32_t flags, uid_t uid);

/* holds.c: held execs on their way to the stop */
void drop_waiting(struct daemon *d, size_t i);
void take_hold(struct daemon *d, json_object *ev, uint32_t agent_id, uint64_t dev,
	       uint64_t ino, uint32_t flags, uint64_t script_dev, uint64_t script_ino);

/* daemon_approvals.c, for holds.c */
void watch_pidfd(struct daemon *d, int pidfd);
void forget_process(struct daemon *d, pid_t pid, int pidfd);
void kill_escaped(struct daemon *d, uint64_t id, const char *agent, json_object *info,
		  pid_t pid, int pidfd, const char *detail);

/* always.c: --always, bound to a file's identity and content */
int persist_always(const char *agent, const char *path, const struct file_id *id,
		   const char *sha256, char *err, size_t errlen);
/* The identity and content hash of the binary a's processes run. */
int held_binary(struct daemon *d, const struct approval *a, struct file_id *id, char *hex);

/*
 * net_daemon.c, layer 6 in the daemon: the egress sets in the kernel maps,
 * swapped with every policy; warden's DNS resolver (resolver.c), whose
 * answers for allowed names put addresses in the agent's set for their
 * TTL; and the annotation of net events with the name an address was
 * looked up as.
 *
 * The daemon calls, in this order for every policy it applies:
 * net_prepare (after compiling: writes the new policy's egress entries
 * under the new slot and fills the resolver ports into the compiled
 * RULE_NET_AGENT entries), then enforcer_apply, then net_commit (the old
 * slot's entries go) or net_abort (the new slot's go).
 */
struct net_state;
/* NULL with errno set. */
struct net_state *net_open(struct daemon *d, struct enforcer *e, uint64_t generation);
void net_close(struct net_state *ns);

int net_prepare(struct net_state *ns, const struct policy *p, struct agent_ids *ids,
		struct compiled_policy *c, char *err, size_t errlen);
void net_commit(struct net_state *ns);
void net_abort(struct net_state *ns);

/* One descriptor (an epoll set of the resolver's sockets) for the daemon's loop. */
int net_fd(struct net_state *ns);
/* Serves whatever is ready on net_fd. */
void net_on_ready(struct net_state *ns);
/* Once a second: expired addresses and queries whose upstream did not answer. */
void net_tick(struct net_state *ns);

/*
 * The name the resolver gave a net event's address ("" when none), for its
 * "name" member; NULL when the record is not a net event or layer 6 is off.
 */
const char *net_event_name(struct net_state *ns, const void *data, size_t len);

/*
 * Grants one agent (addr, port) as an approval does: once (the first
 * connection uses it up) or until expires_ns (CLOCK_BOOTTIME; 0 = for the
 * daemon's life). 0 or -errno.
 */
int net_grant(struct net_state *ns, uint32_t agent, const uint8_t addr[16], uint16_t port,
	      bool once, uint64_t expires_ns);

/*
 * Grants one agent a name it may not resolve, on any port (a DNS query
 * carries none): once (answered lookups of the next NET_NAME_ONCE_S
 * seconds, each address of their answers good for one connection within
 * its TTL), until expires_ns, or (0) for the daemon's life. 0 or -errno.
 */
int net_grant_name(struct net_state *ns, uint32_t agent, const char *name, bool once,
		   uint64_t expires_ns);
#define NET_NAME_ONCE_S 10

/* net_approvals.c: ask "on-miss" of layer 6 (nothing waits: a retry after approval passes) */
struct net_event;
void net_ask_destination(struct daemon *d, json_object *ev, const struct net_event *e);
/* returns the request's id, 0 when none could be made */
uint64_t net_ask_name(struct daemon *d, uint32_t agent, const char *name, const char *qtype);
json_object *net_decision(struct daemon *d, json_object *req, size_t i, bool allow);

#endif
