/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Identical file denials the kernel folded (bpf/fs.bpf.c, warden_repeats):
 * the daemon keeps the last reported record of each and what it reported
 * of its count; once a loop tick it reports what the kernel added since,
 * as one event with "count", and deletes entries that stayed idle.
 */
#ifndef WARDEN_REPEATS_H
#define WARDEN_REPEATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "warden.h"

#define REPEAT_IDLE_NS 3000000000ULL /* an entry untouched this long is deleted */

struct repeat_entry;

/* What a sweep saw of one kernel entry. */
struct repeat_seen {
	struct repeat_key key;
	struct repeat_count count;
};

struct repeats {
	struct repeat_entry **slots; /* open addressing, twice WARDEN_REPEATS_MAX and 2 */
	size_t used;
	uint64_t sweeps;
	struct repeat_seen *seen; /* the sweep's scratch */
};

/* The key the kernel folds a record's repeats under; false: it folds none (not a file denial, no inode). */
bool repeat_key_of(const struct file_event *e, struct repeat_key *k);

/* Keeps a file denial the kernel reported: what it folds after it is reported like it. */
void repeats_remember(struct repeats *r, const struct file_event *e);

/*
 * The report of n denials under k, the last at last_ns: the record
 * remembered for k (or, when the daemon never saw it, one made of k
 * alone, with no path), with count and ts set.
 */
void repeats_report(const struct repeats *r, const struct repeat_key *k, uint64_t n,
		    uint64_t last_ns, struct file_event *out);

typedef void (*repeat_emit_fn)(void *ctx, const struct file_event *report);

/*
 * Accounts for the kernel's entries as they are now (seen, n of them, at
 * now_ns): each one's count beyond what was reported is reported. Returns
 * the keys to delete (idle for REPEAT_IDLE_NS, or all when all) in
 * seen[0..return). The caller deletes those and passes what the
 * deletions returned to repeats_retire().
 */
size_t repeats_account(struct repeats *r, struct repeat_seen *seen, size_t n, uint64_t now_ns,
		       bool all, repeat_emit_fn emit, void *ctx);

/* The last counts of deleted entries: reported beyond what was, then forgotten. */
void repeats_retire(struct repeats *r, const struct repeat_seen *gone, size_t n,
		    repeat_emit_fn emit, void *ctx);

/* Reads, reports and deletes from the kernel's map (map_fd): the loop's tick, and at exit (all). */
int repeats_sweep(struct repeats *r, int map_fd, uint64_t now_ns, bool all, repeat_emit_fn emit,
		  void *ctx);

void repeats_free(struct repeats *r);

#endif
