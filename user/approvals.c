// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "approvals.h"
#include "events.h"

static bool same_argv(json_object *a, json_object *b)
{
	json_object *x, *y;

	if (!json_object_object_get_ex(a, "argv", &x) || !json_object_object_get_ex(b, "argv", &y))
		return false;
	return json_object_equal(x, y);
}

struct approval *approvals_add(struct approval_queue *q, uint32_t agent_id, const char *agent,
			       pid_t pid, uint64_t dev, uint64_t ino, json_object *info,
			       uint64_t now_ms, uint64_t timeout_ms, bool fallback_allow,
			       bool *merged)
{
	struct approval *a;
	pid_t *pids;

	*merged = false;
	for (size_t i = 0; i < q->n; i++) {
		a = &q->v[i];
		if (a->agent_id != agent_id || a->dev != dev || a->ino != ino || !same_argv(a->info, info))
			continue;
		pids = realloc(a->pids, (a->n_pids + 1) * sizeof(*pids));
		if (!pids)
			return NULL;
		a->pids = pids;
		a->pids[a->n_pids++] = pid;
		json_object_put(info);
		*merged = true;
		return a;
	}
	a = realloc(q->v, (q->n + 1) * sizeof(*a));
	if (!a)
		return NULL;
	q->v = a;
	a = &q->v[q->n];
	memset(a, 0, sizeof(*a));
	a->pids = malloc(sizeof(*a->pids));
	a->agent = strdup(agent);
	if (!a->pids || !a->agent) {
		free(a->pids);
		free(a->agent);
		return NULL;
	}
	a->id = ++q->next_id;
	a->agent_id = agent_id;
	a->pids[0] = pid;
	a->n_pids = 1;
	a->dev = dev;
	a->ino = ino;
	a->info = info;
	a->created_ms = now_ms;
	a->deadline_ms = now_ms + timeout_ms;
	a->fallback_allow = fallback_allow;
	q->n++;
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

void approvals_forget_pid(struct approval_queue *q, pid_t pid)
{
	for (size_t i = 0; i < q->n;) {
		struct approval *a = &q->v[i];

		for (size_t j = 0; j < a->n_pids;) {
			if (a->pids[j] == pid)
				a->pids[j] = a->pids[--a->n_pids];
			else
				j++;
		}
		if (!a->n_pids)
			approvals_remove(q, i);
		else
			i++;
	}
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
	json_object_object_add(o, "pid", json_object_new_int(a->pids[0]));
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
	static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "fish", "busybox",
					      "env", "python3", "python", "perl", "node", NULL };
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; shells[i]; i++)
		if (!strcmp(base, shells[i]) ||
		    (!strncmp(base, shells[i], strlen(shells[i])) && base[strlen(shells[i])] == '.'))
			return true;
	return false;
}
