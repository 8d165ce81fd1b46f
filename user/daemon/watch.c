// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binaries changing on disk: inotify on the directories allowlisted
 * binaries were resolved in, and one recompile after a burst of changes.
 */
#include <signal.h>
#include <string.h>
#include <libgen.h>
#include <sys/epoll.h>
#include <sys/inotify.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"

/* ---- binaries changing on disk ---- */

#define RERESOLVE_DELAY_MS 500 /* a package upgrade renames many files: one recompile */

static void watch_dir(struct daemon *d, const char *dir)
{
	inotify_add_watch(d->inotify_fd, dir, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
						    IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR);
}

/* The parent directory of each path (a bind's SRC for "SRC:DST[:mode]"). */
static void watch_parents(struct daemon *d, const struct strv *paths)
{
	for (size_t i = 0; i < paths->n; i++) {
		char *copy = strdup(paths->v[i]);

		if (!copy)
			continue;
		copy[strcspn(copy, ":")] = '\0';
		watch_dir(d, dirname(copy));
		free(copy);
	}
}

/*
 * Watches every directory an allowlist entry was resolved in: the agent's
 * PATH for bare names, the parent of an absolute file, a listed directory
 * itself (not its subdirectories). A change there (a package upgrade
 * replaces inodes) re-resolves the policy, so an upgraded binary keeps
 * working and a replaced file does not inherit the old one's allowance.
 * The parents of readOnly, mustRead and bind paths are watched too: a
 * knowledge file saved by an editor is a new inode the agent must still read.
 */
void rewatch(struct daemon *d)
{
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inotify_fd < 0)
		return;
	for (size_t i = 0; i < d->policy->n_agents; i++) {
		const struct agent_policy *a = &d->policy->agents[i];

		for (size_t j = 0; j < a->exec.safe_bins.n; j++) {
			char *copy = strdup(a->exec.safe_bins.v[j]), *save = NULL;

			if (!copy)
				continue;
			if (copy[0] != '/') {
				char *path = strdup(agent_exec_path(a));

				for (char *dir = path ? strtok_r(path, ":", &save) : NULL; dir;
				     dir = strtok_r(NULL, ":", &save))
					watch_dir(d, dir);
				free(path);
			} else if (copy[strlen(copy) - 1] == '/') {
				watch_dir(d, copy);
			} else {
				watch_dir(d, dirname(copy));
			}
			free(copy);
		}
		/* files the agent must read, replaced by editors and atomic writers */
		watch_parents(d, &a->fs.read_only);
		watch_parents(d, &a->fs.must_read);
		watch_parents(d, &a->binds);
	}
	if (d->epoll_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = d->inotify_fd };

		epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->inotify_fd, &ev);
	}
}

void on_inotify(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(d->inotify_fd, buf, sizeof(buf)) > 0)
		;
	if (!d->reresolve_due)
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
