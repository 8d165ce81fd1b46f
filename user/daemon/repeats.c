// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "repeats.h"

/*
 * Remembered records take at most WARDEN_REPEATS_MAX slots (a flood of
 * distinct denials while the kernel's map is full must not crowd out its
 * keys), the kernel's keys at most as many again: every kernel key always
 * finds a slot, so what was reported of it is never forgotten and
 * reported twice.
 */
#define SLOTS (2 * WARDEN_REPEATS_MAX + 2)

struct repeat_entry {
	struct repeat_key key;
	uint64_t reported; /* of the kernel's count, what was reported */
	uint64_t sweep;    /* the last sweep that saw its kernel entry */
	bool has_record;
	struct file_event record; /* the denial the kernel reported */
};

bool repeat_key_of(const struct file_event *e, struct repeat_key *k)
{
	const struct event_head *h = &e->head;

	if (h->type != EVENT_FILE || h->verdict != VERDICT_DENY || !e->ino)
		return false;
	/* bpf/ipc.bpf.c reports these itself, never through fs_deny's fold */
	if (h->reason == REASON_HOST_IPC || h->reason == REASON_SHM_OTHER)
		return false;
	/* field for field what fs_deny() fills in (bpf/fs.bpf.c) */
	*k = (struct repeat_key){
		.cgroup_id = h->cgroup_id,
		.generation = h->generation,
		.dev = e->dev,
		.ino = e->ino,
		.tgid = h->pid,
		.agent = h->agent,
		.op = e->op,
		.access = e->access,
		.reason = h->reason,
		.uid = h->uid,
	};
	return true;
}

/* FNV-1a over the key's bytes (it has no padding: its layout is asserted) */
static size_t home_of(const struct repeat_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h % SLOTS;
}

/* The slot of k, or the empty one where it would go (linear probing). */
static size_t slot_of(const struct repeats *r, const struct repeat_key *k)
{
	size_t i = home_of(k);

	while (r->slots[i] && memcmp(&r->slots[i]->key, k, sizeof(*k)))
		i = (i + 1) % SLOTS;
	return i;
}

static struct repeat_entry *find(const struct repeats *r, const struct repeat_key *k)
{
	return r->slots ? r->slots[slot_of(r, k)] : NULL;
}

/* NULL when out of memory or full (more entries than the kernel's map can hold) */
static struct repeat_entry *find_or_add(struct repeats *r, const struct repeat_key *k)
{
	size_t i;

	if (!r->slots && !(r->slots = calloc(SLOTS, sizeof(*r->slots))))
		return NULL;
	i = slot_of(r, k);
	if (r->slots[i])
		return r->slots[i];
	if (r->used >= SLOTS - 1 || !(r->slots[i] = calloc(1, sizeof(*r->slots[i]))))
		return NULL;
	r->slots[i]->key = *k;
	r->used++;
	return r->slots[i];
}

/* Removes the entry of k, shifting back the ones its slot pushed further on. */
static void forget(struct repeats *r, const struct repeat_key *k)
{
	size_t hole, i;

	if (!r->slots || !r->slots[hole = slot_of(r, k)])
		return;
	free(r->slots[hole]);
	r->slots[hole] = NULL;
	r->used--;
	for (i = (hole + 1) % SLOTS; r->slots[i]; i = (i + 1) % SLOTS) {
		size_t home = home_of(&r->slots[i]->key);

		/* an entry may move into the hole unless its home lies between hole and i */
		if (hole <= i ? (home <= hole || home > i) : (home <= hole && home > i)) {
			r->slots[hole] = r->slots[i];
			r->slots[i] = NULL;
			hole = i;
		}
	}
}

void repeats_remember(struct repeats *r, const struct file_event *e)
{
	struct repeat_key k;
	struct repeat_entry *en;

	if (!repeat_key_of(e, &k))
		return;
	en = find(r, &k);
	if (!en && r->used >= WARDEN_REPEATS_MAX)
		return; /* its reports are then made of the key alone */
	if (!en && !(en = find_or_add(r, &k)))
		return;
	/* what was reported stays: the kernel's count under k goes on until the sweep deletes it */
	en->sweep = r->sweeps;
	en->has_record = true;
	en->record = *e;
}

void repeats_report(const struct repeats *r, const struct repeat_key *k, uint64_t n,
		    uint64_t last_ns, struct file_event *out)
{
	const struct repeat_entry *en = find(r, k);

	if (en && en->has_record) {
		*out = en->record;
	} else {
		memset(out, 0, sizeof(*out));
		out->head.type = EVENT_FILE;
		out->head.verdict = VERDICT_DENY;
		out->head.reason = k->reason;
		out->head.agent = k->agent;
		out->head.cgroup_id = k->cgroup_id;
		out->head.generation = k->generation;
		out->head.pid = k->tgid;
		out->head.uid = k->uid;
		out->dev = k->dev;
		out->ino = k->ino;
		out->op = k->op;
		out->access = k->access;
	}
	out->head.ts_ns = last_ns;
	out->head.count = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Reports what the kernel counted under k beyond what was reported. */
static void report_new(struct repeats *r, struct repeat_entry *en, const struct repeat_seen *s,
		       repeat_emit_fn emit, void *ctx)
{
	uint64_t reported = en ? en->reported : 0;
	struct file_event report;

	if (s->count.folded <= reported)
		return;
	repeats_report(r, &s->key, s->count.folded - reported, s->count.last_ns, &report);
	emit(ctx, &report);
	if (en)
		en->reported = s->count.folded;
}

size_t repeats_account(struct repeats *r, struct repeat_seen *seen, size_t n, uint64_t now_ns,
		       bool all, repeat_emit_fn emit, void *ctx)
{
	size_t doomed = 0;

	r->sweeps++;
	for (size_t i = 0; i < n; i++) {
		struct repeat_entry *en = find_or_add(r, &seen[i].key);

		report_new(r, en, &seen[i], emit, ctx);
		if (en)
			en->sweep = r->sweeps;
		if (all || (now_ns > seen[i].count.last_ns &&
			    now_ns - seen[i].count.last_ns >= REPEAT_IDLE_NS))
			seen[doomed++] = seen[i];
	}
	/* records whose kernel entry was never made (its map was full): nothing folds into them */
	for (size_t i = 0; r->slots && i < SLOTS;) {
		struct repeat_entry *en = r->slots[i];

		if (en && en->sweep != r->sweeps)
			forget(r, &en->key); /* may shift another entry into slot i */
		else
			i++;
	}
	return doomed;
}

void repeats_retire(struct repeats *r, const struct repeat_seen *gone, size_t n,
		    repeat_emit_fn emit, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		report_new(r, find(r, &gone[i].key), &gone[i], emit, ctx);
		forget(r, &gone[i].key);
	}
}

int repeats_sweep(struct repeats *r, int map_fd, uint64_t now_ns, bool all, repeat_emit_fn emit,
		  void *ctx)
{
	struct repeat_seen *seen;
	size_t n = 0, doomed, gone = 0;

	if (!r->seen && !(r->seen = calloc(WARDEN_REPEATS_MAX, sizeof(*r->seen))))
		return -ENOMEM;
	seen = r->seen;
	/* keys first: deleting while walking would restart the walk */
	for (void *prev = NULL; n < WARDEN_REPEATS_MAX; prev = &seen[n++].key)
		if (bpf_map_get_next_key(map_fd, prev, &seen[n].key))
			break;
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_lookup_elem(map_fd, &seen[i].key, &seen[i].count))
			seen[gone++] = seen[i];
	doomed = repeats_account(r, seen, gone, now_ns, all, emit, ctx);
	gone = 0;
	for (size_t i = 0; i < doomed; i++)
		/* the count as the deletion found it: an increment since the read is in it */
		if (!bpf_map_lookup_and_delete_elem(map_fd, &seen[i].key, &seen[i].count))
			seen[gone++] = seen[i];
	repeats_retire(r, seen, gone, emit, ctx);
	return 0;
}

void repeats_free(struct repeats *r)
{
	for (size_t i = 0; r->slots && i < SLOTS; i++)
		free(r->slots[i]);
	free(r->slots);
	free(r->seen);
	*r = (struct repeats){ 0 };
}
