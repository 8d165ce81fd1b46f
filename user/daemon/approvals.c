// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "approvals.h"
#include "array.h"
#include "events.h"

/* Every field a human is shown is equal (a field missing on both sides is equal too). */
static bool same_request(json_object *a, json_object *b)
{
	static const char *const keys[] = { APPROVAL_MERGE_KEYS, NULL };

	for (size_t i = 0; keys[i]; i++) {
		json_object *x = NULL, *y = NULL;
		bool hx = json_object_object_get_ex(a, keys[i], &x);
		bool hy = json_object_object_get_ex(b, keys[i], &y);

		if (hx != hy || (hx && !json_object_equal(x, y)))
			return false;
	}
	return true;
}

/* A new request at the end of q (room for one pid when it holds processes); info is kept. */
static struct approval *queue_new(struct approval_queue *q, uint32_t agent_id, const char *agent,
				  json_object *info, uint64_t now_ms, uint64_t timeout_ms,
				  bool holds)
{
	struct approval *a;

	if (ARRAY_GROW(q->v, NULL, q->n + 1))
		return NULL;
	a = &q->v[q->n];
	memset(a, 0, sizeof(*a));
	a->agent = strdup(agent);
	if (holds) {
		a->pids = malloc(sizeof(*a->pids));
		a->pidfds = malloc(sizeof(*a->pidfds));
	}
	if (!a->agent || (holds && (!a->pids || !a->pidfds))) {
		free(a->pids);
		free(a->pidfds);
		free(a->agent);
		return NULL;
	}
	a->id = ++q->next_id;
	a->agent_id = agent_id;
	a->info = info;
	a->created_ms = now_ms;
	a->deadline_ms = now_ms + timeout_ms;
	q->n++;
	return a;
}

struct approval *approvals_add(struct approval_queue *q, uint32_t agent_id, const char *agent,
			       pid_t pid, int pidfd, uint64_t dev, uint64_t ino, json_object *info,
			       uint64_t now_ms, uint64_t timeout_ms, bool fallback_allow,
			       bool *merged)
{
	struct approval *a;

	*merged = false;
	for (size_t i = 0; i < q->n; i++) {
		a = &q->v[i];
		if (a->agent_id != agent_id || a->dev != dev || a->ino != ino ||
		    a->n_pids >= APPROVAL_PIDS_MAX || !same_request(a->info, info))
			continue;
		if (ARRAY_GROW(a->pids, NULL, a->n_pids + 1) ||
		    ARRAY_GROW(a->pidfds, NULL, a->n_pids + 1))
			return NULL;
		a->pids[a->n_pids] = pid;
		a->pidfds[a->n_pids++] = pidfd;
		json_object_put(info);
		*merged = true;
		return a;
	}
	a = queue_new(q, agent_id, agent, info, now_ms, timeout_ms, true);
	if (!a)
		return NULL;
	a->pids[0] = pid;
	a->pidfds[0] = pidfd;
	a->n_pids = 1;
	a->dev = dev;
	a->ino = ino;
	a->fallback_allow = fallback_allow;
	return a;
}

struct approval *approvals_add_net(struct approval_queue *q, uint32_t agent_id, const char *agent,
				   json_object *info, uint64_t now_ms, uint64_t timeout_ms,
				   bool *merged)
{
	struct approval *a;

	*merged = false;
	for (size_t i = 0; i < q->n; i++) {
		a = &q->v[i];
		if (a->kind == APPROVAL_NET && a->agent_id == agent_id && same_request(a->info, info)) {
			json_object_put(info);
			*merged = true;
			return a;
		}
	}
	a = queue_new(q, agent_id, agent, info, now_ms, timeout_ms, false);
	if (!a)
		return NULL;
	a->kind = APPROVAL_NET;
	a->fallback_allow = false; /* nothing waits: a timeout grants nothing */
	return a;
}

struct approval *approvals_find(struct approval_queue *q, uint64_t id)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].id == id)
			return &q->v[i];
	return NULL;
}

static void approval_free(struct approval *a)
{
	free(a->agent);
	free(a->pids);
	free(a->pidfds);
	json_object_put(a->info);
}

void approvals_remove(struct approval_queue *q, size_t i)
{
	approval_free(&q->v[i]);
	memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof(q->v[0]));
	q->n--;
}

ssize_t approvals_expired(const struct approval_queue *q, uint64_t now_ms)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].deadline_ms <= now_ms)
			return (ssize_t)i;
	return -1;
}

bool approvals_drop_pid(struct approval_queue *q, size_t i, size_t j)
{
	struct approval *a = &q->v[i];

	a->n_pids--;
	memmove(&a->pids[j], &a->pids[j + 1], (a->n_pids - j) * sizeof(a->pids[0]));
	memmove(&a->pidfds[j], &a->pidfds[j + 1], (a->n_pids - j) * sizeof(a->pidfds[0]));
	return a->n_pids == 0;
}

bool approvals_find_pidfd(const struct approval_queue *q, int pidfd, size_t *i, size_t *j)
{
	for (*i = 0; *i < q->n; (*i)++)
		for (*j = 0; *j < q->v[*i].n_pids; (*j)++)
			if (q->v[*i].pidfds[*j] == pidfd)
				return true;
	return false;
}

void approvals_free(struct approval_queue *q)
{
	for (size_t i = 0; q && i < q->n; i++)
		approval_free(&q->v[i]);
	free(q->v);
	q->v = NULL;
	q->n = 0;
}

json_object *approval_to_json(const struct approval *a, uint64_t now_ms)
{
	json_object *o = json_object_new_object(), *pids = json_object_new_array();
	char created[64], deadline[64];

	json_object_object_foreach(a->info, key, value)
		json_object_object_add(o, key, json_object_get(value));
	for (size_t i = 0; i < a->n_pids; i++)
		json_object_array_add(pids, json_object_new_int(a->pids[i]));
	realtime_to_iso8601(a->created_ms, created, sizeof(created));
	realtime_to_iso8601(a->deadline_ms, deadline, sizeof(deadline));
	json_object_object_add(o, "id", json_object_new_uint64(a->id));
	json_object_object_add(o, "agent", json_object_new_string(a->agent));
	if (a->kind == APPROVAL_EXEC)
		json_object_object_add(o, "pid", json_object_new_int(a->n_pids ? a->pids[0] : 0));
	json_object_object_add(o, "pids", pids);
	json_object_object_add(o, "time", json_object_new_string(created));
	json_object_object_add(o, "deadline", json_object_new_string(deadline));
	json_object_object_add(o, "expiresInSeconds",
			       json_object_new_int64(a->deadline_ms > now_ms
							     ? (int64_t)((a->deadline_ms - now_ms) / 1000)
							     : 0));
	json_object_object_add(o, "fallback",
			       json_object_new_string(a->fallback_allow ? "allow" : "deny"));
	return o;
}

bool approval_is_shell(const char *path)
{
	static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "mksh", "fish",
					      "busybox", "env", "python3", "python", "perl", "node",
					      "ruby", "php", "lua", "tclsh", "Rscript", "awk", "gawk",
					      "mawk", NULL };
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; shells[i]; i++)
		if (!strcmp(base, shells[i]) ||
		    (!strncmp(base, shells[i], strlen(shells[i])) && base[strlen(shells[i])] == '.'))
			return true;
	return false;
}
