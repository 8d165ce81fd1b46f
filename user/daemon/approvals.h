/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layer 4: the approval queue. A held exec (stopped in the kernel before
 * its new program runs) becomes a request a human answers: once, always,
 * for a while, or no. Pending requests of one agent merge only when
 * everything the human is shown is the same (binary, argv, cwd, user,
 * script and its hash, parent), so a retry loop does not flood the human
 * and an answer never covers a command nobody saw; a request holds at most
 * APPROVAL_PIDS_MAX processes. This module is bookkeeping only; the daemon
 * resumes or kills processes.
 */
#ifndef WARDEN_APPROVALS_H
#define WARDEN_APPROVALS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#define APPROVAL_PIDS_MAX 32

/* What must be equal for two held execs to be one request: what a human is shown. */
#define APPROVAL_MERGE_KEYS \
	"binary", "dev", "ino", "argv", "argvTruncated", "cwd", "uid", "user", "script", "parent", \
	"kind", "name", "addr", "port", "proto"

enum approval_kind {
	APPROVAL_EXEC = 0, /* a held exec: its processes wait in their stop */
	APPROVAL_NET,      /* a refused destination or name (net_approvals.c): nothing waits */
};

struct approval {
	uint64_t id;
	enum approval_kind kind;
	uint32_t agent_id;
	char *agent;
	pid_t *pids; /* every held process this answer releases, and only those */
	int *pidfds; /* pidfds[i] refers to pids[i]: signals never reach a reused pid */
	size_t n_pids;
	uint64_t dev, ino; /* the binary */
	json_object *info; /* path, argv, cwd, binary, user, parent, ... */
	uint64_t created_ms;  /* CLOCK_REALTIME */
	uint64_t deadline_ms; /* when the fallback applies */
	bool fallback_allow;
};

struct approval_queue {
	struct approval *v;
	size_t n;
	uint64_t next_id;
};

/*
 * Adds a held pid (and its pidfd, owned by the queue from then on). When a
 * pending request of the same agent shows exactly the same (every
 * APPROVAL_MERGE_KEYS field equal) and has room, the pid joins it; *merged
 * says which happened. info is taken over. Returns the request, or NULL
 * when out of memory.
 */
struct approval *approvals_add(struct approval_queue *q, uint32_t agent_id, const char *agent,
			       pid_t pid, int pidfd, uint64_t dev, uint64_t ino, json_object *info,
			       uint64_t now_ms, uint64_t timeout_ms, bool fallback_allow,
			       bool *merged);
/*
 * A network request (info has kind "net"): no process waits, so it holds
 * no pid; an identical pending request of the agent absorbs it (*merged).
 * info is taken over. NULL when out of memory.
 */
struct approval *approvals_add_net(struct approval_queue *q, uint32_t agent_id, const char *agent,
				   json_object *info, uint64_t now_ms, uint64_t timeout_ms,
				   bool *merged);
struct approval *approvals_find(struct approval_queue *q, uint64_t id);
/* Removes the request at index i (after it was answered). */
void approvals_remove(struct approval_queue *q, size_t i);
/* Index of the first request whose deadline is past, or -1. */
ssize_t approvals_expired(const struct approval_queue *q, uint64_t now_ms);
/*
 * Drops pid from request i (it exited; its pidfd is the caller's to close).
 * Returns true when the request is left without processes (the caller
 * reports it and removes it).
 */
bool approvals_drop_pid(struct approval_queue *q, size_t i, size_t j);
/* Where pidfd is: request *i, process *j. false when no request has it. */
bool approvals_find_pidfd(const struct approval_queue *q, int pidfd, size_t *i, size_t *j);
void approvals_free(struct approval_queue *q);

/* The request as shown to people and sent to the notify command. */
json_object *approval_to_json(const struct approval *a, uint64_t now_ms);

/* Binaries that run anything they are given: allowing them "always" allows everything. */
bool approval_is_shell(const char *path);

#endif
