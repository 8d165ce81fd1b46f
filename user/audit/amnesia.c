// SPDX-License-Identifier: GPL-2.0-only
/*
 * Check 9, amnesia: a probe that stands where the agent stands (its cgroup,
 * its user) opens every read-only bind and fs.mustRead path. audit_reach.c
 * uses the same probe for network.mustReach.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "audit_checks.h"
#include "bind.h"
#include "cgroup.h"
#include "control.h"
#include "json.h"
#include "sandbox.h" /* DEFAULT_AGENT_USER */
#include "spawn.h"

#define PROBE_TIMEOUT_MS 10000

/* ---- 9. amnesia ---- */

static int push_path(struct strv *paths, struct strv *whats, const char *path, const char *what)
{
	if (strv_contains(paths, path))
		return 0;
	return strv_push(paths, path) ?: strv_push(whats, what);
}

int audit_amnesia_paths(const struct agent_policy *a, struct strv *paths, struct strv *whats)
{
	char what[PATH_MAX + 64];
	struct bind b;
	int err = 0;

	for (size_t i = 0; !err && i < a->binds.n; i++) {
		if (bind_parse(a->binds.v[i], &b) || b.rw)
			continue;
		snprintf(what, sizeof(what), "its read-only bind at %s", b.dst);
		err = push_path(paths, whats, b.src, what);
	}
	for (size_t i = 0; !err && i < a->fs.must_read.n; i++)
		err = push_path(paths, whats, a->fs.must_read.v[i], "fs.mustRead");
	return err;
}

/* Why the open failed decides the fix: warden's rules, file permissions, or a missing file. */
static void amnesia_fix(const char *agent, const char *user, int err, char *fix, size_t len)
{
	if (err == EPERM)
		snprintf(fix, len, "warden's policy refuses it: if a change cut it off, let it read "
			 "again (no fs.deny match; fs.readOnly or an :ro bind) and warden reload; a "
			 "file replaced on disk (a new inode) also needs warden reload; then warden "
			 "audit --agent %s", agent);
	else if (err == EACCES)
		snprintf(fix, len, "file permissions refuse it: make it readable by user %s (the "
			 "agent's), e.g. with a group and chmod g+r, then warden audit --agent %s",
			 user, agent);
	else if (err == ENOENT)
		snprintf(fix, len, "restore it, or take it out of the policy and warden reload");
	else
		snprintf(fix, len, "find out why it fails, then warden audit --agent %s", agent);
}

int audit_amnesia_findings(const char *agent, const char *user, const struct strv *paths,
			   const struct strv *whats, const int *errs, struct audit_report *r)
{
	char fix[512];
	int ret = 0;

	for (size_t i = 0; !ret && i < paths->n; i++) {
		if (!errs[i])
			continue;
		amnesia_fix(agent, user, errs[i], fix, sizeof(fix));
		ret = audit_add(r, "agent.amnesia", AUDIT_HIGH, fix,
				"agent %s cannot read %s (%s) from inside its confinement: %s",
				agent, paths->v[i], whats->v[i], strerror(errs[i]));
	}
	return ret;
}

struct probe_head {
	int err; /* errno: the probe could not take the agent's place */
	char msg[512];
};

/* What the agent would get from open() and a first read (or directory listing). */
static int probe_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), err = 0;
	struct stat st;
	char c;

	if (fd < 0)
		return errno;
	if (fstat(fd, &st)) {
		err = errno;
	} else if (S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);

		errno = 0;
		if (!d || (!readdir(d) && errno))
			err = errno ?: EIO;
		if (d)
			closedir(d);
		return err;
	} else if (S_ISREG(st.st_mode) && read(fd, &c, 1) < 0) {
		err = errno;
	}
	close(fd);
	return err;
}

/* The daemon places the caller (SO_PEERCRED) in a new cgroup of the agent, as for `warden run`. */
static int join_agent(const char *agent, char *msg, size_t len)
{
	json_object *req = json_object_new_object(), *reply = NULL, *v;
	const char *cgroup;
	char where[4096];
	int ret;

	json_object_object_add(req, "op", json_object_new_string("run"));
	json_object_object_add(req, "agent", json_object_new_string(agent));
	ret = control_call(req, &reply, msg, len);
	json_object_put(req);
	if (ret)
		return EIO;
	v = json_get(reply, "ok");
	if (!v || !json_object_get_boolean(v)) {
		snprintf(msg, len, "%s", json_str(json_get(reply, "error")) ?: "the daemon refused");
		ret = EPERM;
	} else if (!(cgroup = json_str(json_get(reply, "cgroup"))) || cgroup_of_pid(0, where, sizeof(where)) ||
		   !audit_starts_with(cgroup, CGROUP2_ROOT) || strcmp(cgroup + strlen(CGROUP2_ROOT), where)) {
		/* the kernel's word, not the daemon's: the probe must really be in the cgroup */
		snprintf(msg, len, "the daemon did not confine the probe in a cgroup of the agent "
			 "(is it confined in the daemon's policy?)");
		ret = EPERM;
	}
	json_object_put(reply);
	return ret;
}

static void write_all(int fd, const void *buf, size_t len)
{
	for (const char *p = buf; len;) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static __attribute__((noreturn)) void probe_child(const char *agent, uid_t uid, gid_t gid,
						  const struct strv *paths, audit_probe_fn probe,
						  int out)
{
	struct probe_head h = {};

	h.err = join_agent(agent, h.msg, sizeof(h.msg));
	/* the sandbox runs agents as their policy user: so must the probe */
	if (!h.err && (setgroups(0, NULL) || setgid(gid) || setuid(uid))) {
		h.err = errno;
		snprintf(h.msg, sizeof(h.msg), "cannot become uid %u: %s", (unsigned)uid,
			 strerror(h.err));
	}
	write_all(out, &h, sizeof(h));
	for (size_t i = 0; !h.err && i < paths->n; i++) {
		int e = probe(paths->v[i]);

		write_all(out, &e, sizeof(e));
	}
	_exit(h.err ? 1 : 0);
}

static int read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	for (char *p = buf; len;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int audit_run_probe(const char *agent, uid_t uid, gid_t gid, const struct strv *paths,
		    audit_probe_fn probe, int *errs, char *msg, size_t msglen)
{
	struct probe_head h = {};
	int ours, theirs, ret;
	pid_t pid = fork_piped(SPAWN_STDOUT, &ours, &theirs);

	if (pid < 0)
		return pid;
	if (pid == 0)
		probe_child(agent, uid, gid, paths, probe, theirs);
	ret = read_exact(ours, &h, sizeof(h), PROBE_TIMEOUT_MS);
	if (!ret && h.err) {
		snprintf(msg, msglen, "%s", h.msg);
		ret = -h.err;
	}
	if (!ret)
		ret = read_exact(ours, errs, paths->n * sizeof(*errs), PROBE_TIMEOUT_MS);
	if (ret == -ETIMEDOUT || ret == -EPIPE)
		snprintf(msg, msglen, "the probe %s", ret == -EPIPE ? "died" : "did not answer in time");
	close(ours);
	kill(pid, SIGKILL); /* it is done or stuck: either way it goes */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return ret;
}

int audit_probe_agent(const struct agent_policy *a, const char *id, const char *verb,
		      const struct strv *items, audit_probe_fn probe, int *errs,
		      struct audit_report *r)
{
	const char *user = a->user ?: DEFAULT_AGENT_USER;
	char msg[512] = "", fix[512];
	uid_t uid;
	gid_t gid;
	int ret;

	if (user_ids(user, &uid, &gid)) {
		snprintf(fix, sizeof(fix), "create the user or change agents.%s.user", a->name);
		return audit_add(r, id, AUDIT_HIGH, fix,
				 "agent %s runs as user \"%s\", which this host does not have",
				 a->name, user);
	}
	ret = audit_run_probe(a->name, uid, gid, items, probe, errs, msg, sizeof(msg));
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		snprintf(fix, sizeof(fix), "warden run --agent %s --no-sandbox -- true fails the "
			 "same way; fix that first", a->name);
		return audit_add(r, id, AUDIT_HIGH, fix, "cannot check what agent %s can %s: %s",
				 a->name, verb, msg[0] ? msg : strerror(-ret));
	}
	return 1;
}

int audit_check_amnesia(const struct audit_ctx *ctx, const struct agent_policy *a,
			struct audit_report *r)
{
	const char *user = a->user ?: DEFAULT_AGENT_USER;
	struct strv paths = {}, whats = {};
	int *errs = NULL, ret;

	if (!a->confined)
		return 0;
	if (!ctx->status || ctx->root[0])
		return -ENODATA; /* it needs the real daemon */
	ret = audit_amnesia_paths(a, &paths, &whats);
	if (ret || !paths.n)
		goto out;
	errs = calloc(paths.n, sizeof(*errs));
	if (!errs) {
		ret = -ENOMEM;
		goto out;
	}
	ret = audit_probe_agent(a, "agent.amnesia", "read", &paths, probe_open, errs, r);
	if (ret > 0)
		ret = audit_amnesia_findings(a->name, user, &paths, &whats, errs, r);
out:
	free(errs);
	strv_free(&paths);
	strv_free(&whats);
	return ret;
}
