/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layer 4: the approval queue. A held exec (stopped in the kernel before
 * its new program runs) becomes a request a human answers: once, always,
 * for a while, or no. Identical pending requests of one agent (same binary,
 * same argv) merge into one, so a retry loop does not flood the human.
 * This module is bookkeeping only; the daemon resumes or kills processes.
 */
#ifndef WARDEN_APPROVALS_H
#define WARDEN_APPROVALS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

struct approval {
	uint64_t id;
	uint32_t agent_id;
	char *agent;
	pid_t *pids; /* every held process this answer releases */
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
 * Adds a held pid. When a pending request of the same agent has the same
 * binary and argv, the pid joins it; *merged says which happened. info is
 * taken over. Returns the request, or NULL when out of memory.
 */
struct approval *approvals_add(struct approval_queue *q, uint32_t agent_id, const char *agent,
			       pid_t pid, uint64_t dev, uint64_t ino, json_object *info,
			       uint64_t now_ms, uint64_t timeout_ms, bool fallback_allow,
			       bool *merged);
struct approval *approvals_find(struct approval_queue *q, uint64_t id);
/* Removes the request at index i (after it was answered). */
void approvals_remove(struct approval_queue *q, size_t i);
/* Index of the first request whose deadline is past, or -1. */
ssize_t approvals_expired(const struct approval_queue *q, uint64_t now_ms);
/* Drops pid from every request (it exited); empty requests go away. */
void approvals_forget_pid(struct approval_queue *q, pid_t pid);
void approvals_free(struct approval_queue *q);

/* The request as shown to people and sent to the notify command. */
json_object *approval_to_json(const struct approval *a, uint64_t now_ms);

/* Binaries that run anything they are given: allowing them "always" allows everything. */
bool approval_is_shell(const char *path);

#endif
