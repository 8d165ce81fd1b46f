// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binaries changing on disk: inotify on the directories allowlisted
 * binaries were resolved in, and one recompile after a burst of changes.
 * The same watches tell the compile's file cache (file_cache.c) which
 * directories changed, so a reload re-resolves only those.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "daemon.h"
#include "file_cache.h"
#include "log.h"

/* ---- binaries changing on disk ---- */

#define RERESOLVE_DELAY_MS 500 /* a package upgrade renames many files: one recompile */

/* The directories to watch, each once: 100,000 readOnly files live in a few hundred. */
struct watch_dirs {
	struct strv dirs;
};

static int watch_dir(struct watch_dirs *w, const char *dir)
{
	return strv_push(&w->dirs, dir);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* IN_MOVE_SELF, IN_DELETE_SELF: the directory itself moved or went; paths through it changed */
#define WATCH_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | \
		    IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF | IN_ONLYDIR)

/*
 * A watch on dir, made through an open descriptor so that the identity
 * handed to the file cache is the watched inode's, whatever dir's path
 * leads to a moment later. The wd, or -1.
 */
static int watch_one(int inotify_fd, const char *dir, struct file_cache_dir_id *id)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), wd = -1;
	char proc[64];

	if (fd < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!file_cache_dir_key(fd, id))
		wd = inotify_add_watch(inotify_fd, proc, WATCH_MASK);
	close(fd);
	return wd;
}

/*
 * One watch per distinct directory, each remembered with its wd in ws;
 * the file cache keeps files of these directories only.
 */
static void watch_add_all(struct watch_set *ws, struct watch_dirs *w)
{
	struct file_cache_dir_id *ids = calloc(w->dirs.n + 1, sizeof(*ids)), unused;
	char **dirs;

	qsort(w->dirs.v, w->dirs.n, sizeof(*w->dirs.v), compare_strings);
	for (size_t i = 0; i < w->dirs.n; i++) {
		char *dir;
		int wd;

		if (i && !strcmp(w->dirs.v[i], w->dirs.v[i - 1]))
			continue;
		/* a watch not recorded (out of memory) is an unknown wd: everything forgotten */
		wd = watch_one(ws->fd, w->dirs.v[i], ids ? &ids[ws->n] : &unused);
		if (wd < 0 || ARRAY_GROW(ws->v, NULL, ws->n + 1) || !(dir = strdup(w->dirs.v[i])))
			continue;
		ws->v[ws->n++] = (struct watched_dir){ .wd = wd, .dir = dir };
	}
	strv_free(&w->dirs);
	dirs = calloc(ws->n + 1, sizeof(*dirs));
	for (size_t i = 0; dirs && i < ws->n; i++)
		dirs[i] = ws->v[i].dir;
	file_cache_watching(dirs, ids, dirs && ids ? ws->n : 0);
	free(dirs);
	free(ids);
}

/* The parent directory of each path (a bind's SRC for "SRC:DST[:mode]"). */
static void watch_parents(struct watch_dirs *w, const struct strv *paths)
{
	const char *last = NULL;
	size_t last_len = 0;

	for (size_t i = 0; i < paths->n; i++) {
		char *copy = strdup(paths->v[i]), *dir;

		if (!copy)
			continue;
		copy[strcspn(copy, ":")] = '\0';
		dir = dirname(copy);
		/* listed files come grouped by directory: skip the repeats before sorting */
		if (!last || strlen(dir) != last_len || strcmp(dir, last)) {
			last = watch_dir(w, dir) ? NULL : w->dirs.v[w->dirs.n - 1];
			last_len = last ? strlen(last) : 0;
		}
		free(copy);
	}
}

/*
 * Watches every directory an allowlist entry of p was resolved in: the
 * agent's PATH for bare names, the parent of an absolute file, a listed
 * directory itself (not its subdirectories). A change there (a package
 * upgrade replaces inodes) re-resolves the policy, so an upgraded binary
 * keeps working and a replaced file does not inherit the old one's
 * allowance. The parents of readOnly, mustRead and bind paths are watched
 * too: a knowledge file saved by an editor is a new inode the agent must
 * still read.
 *
 * Made before the policy's names are resolved and installed only when it
 * is applied (watch_install): a change while the policy compiles is queued
 * on the new descriptor and re-resolves again, never lost between the
 * resolution and the watch. -1 when inotify is unavailable (no watching).
 */
int watch_policy(const struct policy *p, struct watch_set *ws)
{
	struct watch_dirs w = { 0 };

	*ws = (struct watch_set){ .fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC) };
	if (ws->fd < 0) {
		file_cache_watching(NULL, NULL, 0); /* nothing watched: nothing kept */
		return -1;
	}
	for (size_t i = 0; i < p->n_agents; i++) {
		const struct agent_policy *a = &p->agents[i];

		for (size_t j = 0; j < a->exec.safe_bins.n; j++) {
			char *copy = strdup(a->exec.safe_bins.v[j]), *save = NULL;

			if (!copy)
				continue;
			if (copy[0] != '/') {
				char *path = strdup(agent_exec_path(a));

				for (char *dir = path ? strtok_r(path, ":", &save) : NULL; dir;
				     dir = strtok_r(NULL, ":", &save))
					watch_dir(&w, dir);
				free(path);
			} else if (copy[strlen(copy) - 1] == '/') {
				watch_dir(&w, copy);
			} else {
				watch_dir(&w, dirname(copy));
			}
			free(copy);
		}
		/* files the agent must read, replaced by editors and atomic writers */
		watch_parents(&w, &a->fs.read_only);
		watch_parents(&w, &a->fs.must_read);
		watch_parents(&w, &a->binds);
	}
	watch_add_all(ws, &w);
	return ws->fd;
}

void watch_set_close(struct watch_set *ws)
{
	if (ws->fd >= 0)
		close(ws->fd); /* which also takes it out of the epoll set */
	for (size_t i = 0; i < ws->n; i++)
		free(ws->v[i].dir);
	free(ws->v);
	*ws = (struct watch_set){ .fd = -1 };
}

/*
 * A compile or load that failed: its watches go, and with them what the
 * file cache kept under them (the watches in force may not cover it).
 * changed: the old watches had seen changes (watch_drain), which the
 * policy in force still has to follow: re-resolved again shortly.
 */
void watch_fail(struct daemon *d, struct watch_set *ws, bool changed)
{
	watch_set_close(ws);
	file_cache_forget();
	if (changed && !d->reresolve_due)
		d->reresolve_due = monotonic_ms() + RERESOLVE_DELAY_MS;
}

/* The applied policy's watches (from watch_policy) replace the previous ones. */
void watch_install(struct daemon *d, struct watch_set *ws)
{
	watch_set_close(&d->watch);
	d->watch = *ws;
	*ws = (struct watch_set){ .fd = -1 };
	if (d->watch.fd >= 0 && d->epoll_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = d->watch.fd };

		epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->watch.fd, &ev);
	}
}

/* The event's directory has changed, for the file cache. */
static void watch_note(struct daemon *d, const struct inotify_event *ev)
{
	bool known = false;

	if (ev->mask & IN_Q_OVERFLOW) {
		file_cache_forget(); /* events were lost */
		return;
	}
	/* two paths to one directory (a symlink) share a wd */
	for (size_t i = 0; i < d->watch.n; i++)
		if (d->watch.v[i].wd == ev->wd) {
			file_cache_changed(d->watch.v[i].dir);
			known = true;
		}
	if (!known)
		file_cache_forget();
}

/*
 * Reads every queued event of the installed watches; true if there was
 * one. Each names its directory to the file cache, which forgets it.
 * Before a compile, this runs after the compile's own watches exist: a
 * change after that point shows on the new watches too, so none falls
 * between the two.
 */
bool watch_drain(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t n;

	if (d->watch.fd < 0)
		return false;
	while ((n = read(d->watch.fd, buf, sizeof(buf))) > 0) {
		for (char *at = buf; at < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)at;

			watch_note(d, ev);
			at += sizeof(*ev) + ev->len;
		}
		any = true;
	}
	return any;
}

void on_inotify(struct daemon *d)
{
	if (watch_drain(d) && !d->reresolve_due)
		d->reresolve_due = monotonic_ms() + RERESOLVE_DELAY_MS;
}

void reresolve_if_due(struct daemon *d)
{
	char err[2048];

	if (!d->reresolve_due || monotonic_ms() < d->reresolve_due)
		return;
	d->reresolve_due = 0;
	log_info("binaries changed on disk: re-resolving the policy");
	daemon_reload(d, d->policy_file, err, sizeof(err));
}
