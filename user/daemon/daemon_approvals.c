// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's half of the approval gate. The kernel has stopped a held
 * exec before its new program ran (exec.bpf.c); here it becomes a request,
 * the notify command hears of it, and an answer resumes the process
 * (SIGCONT, which only the daemon may send it, and which the kernel lets
 * through only while the process is still in its first stop) or kills it.
 * A request not answered by its deadline gets the agent's askFallback. The
 * daemon never leaves a held process behind: on shutdown every pending
 * request gets its fallback too.
 *
 * What the human is shown is what the held process has: argv from
 * /proc/PID/cmdline (the kernel's copy in the new program's memory, which
 * nothing can write while it is held: it is stopped, it has no other
 * threads, its fs_struct is not shared and ptrace on it is refused), its
 * binary and, for an interpreter, the identity and SHA-256 of the script
 * it was given. A script whose identity or content changed by the time of
 * the answer is killed (`changed`), never resumed.
 *
 * Nothing here waits on a held process: every process is reached through a
 * pidfd (a reused pid is never signalled), a hold still finishing its exec
 * is looked at again on a short timer, and an exit is an epoll event.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "array.h"
#include "clock.h"
#include "control.h"
#include "daemon.h"
#include "enforcer.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "resolve.h"
#include "spawn.h"


/* Runs approvals.notify with the request on stdin; never waits for it. */
void approvals_notify(struct daemon *d, const struct approval *a)
{
	json_object *req;
	const char *text;
	char **argv;
	pid_t pid;
	int in;

	if (!d->policy->notify.n)
		return;
	argv = calloc(d->policy->notify.n + 1, sizeof(*argv));
	if (!argv) {
		log_error("notify: out of memory");
		return;
	}
	memcpy(argv, d->policy->notify.v, d->policy->notify.n * sizeof(*argv));
	pid = spawn_piped(argv[0], argv, NULL, SPAWN_STDIN, &in);
	free(argv);
	if (pid < 0) {
		log_error("notify: %s", strerror((int)-pid));
		return;
	}
	req = approval_to_json(a, realtime_ms());
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	/* a request can exceed a pipe's buffer: never let a slow notifier block the daemon */
	fcntl(in, F_SETFL, O_NONBLOCK);
	if (write(in, text, strlen(text)) < 0 || write(in, "\n", 1) < 0)
		log_error("notify: cannot send request %llu: %m", (unsigned long long)a->id);
	close(in);
	json_object_put(req);
}

/* Reaps finished notify commands and logs their failures. */
static void reap_notifiers(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			log_error("notify command (pid %d) failed with status %d", pid,
				  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

void watch_pidfd(struct daemon *d, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = pidfd };

	if (d->epoll_fd >= 0)
		epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, pidfd, &ev);
}

/* The process is done with: no longer watched, no longer held in the kernel. */
void forget_process(struct daemon *d, pid_t pid, int pidfd)
{
	if (pidfd >= 0) {
		if (d->epoll_fd >= 0)
			epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, pidfd, NULL);
		close(pidfd);
	}
	enforcer_release_held(d->enforcer, pid);
}

/*
 * A decision event: type "approval", the request's id (0 for a hold that
 * never became a request), the processes it applied to.
 */
void publish_decision(struct daemon *d, uint64_t id, const char *agent, json_object *info,
			     const pid_t *pids, size_t n, bool allow, const char *decision,
			     const char *detail)
{
	json_object *ev = json_object_new_object(), *v, *list = json_object_new_array();
	char ts[64];

	realtime_to_iso8601(realtime_ms(), ts, sizeof(ts));
	for (size_t j = 0; j < n; j++)
		json_object_array_add(list, json_object_new_int(pids[j]));
	json_object_object_add(ev, "ts", json_object_new_string(ts));
	json_object_object_add(ev, "type", json_object_new_string("approval"));
	json_object_object_add(ev, "verdict", json_object_new_string(allow ? "allow" : "deny"));
	json_object_object_add(ev, "decision", json_object_new_string(decision));
	json_object_object_add(ev, "approval", json_object_new_uint64(id));
	json_object_object_add(ev, "agent", json_object_new_string(agent));
	json_object_object_add(ev, "pid", json_object_new_int(n ? pids[0] : 0));
	json_object_object_add(ev, "pids", list);
	for (const char *const *k = (const char *const[]){ "comm", "path", "binary", "argv",
							   "argvTruncated", "cwd", "script",
							   "kind", "name", "addr", "port",
							   "proto", NULL };
	     *k; k++)
		if (info && json_object_object_get_ex(info, *k, &v))
			json_object_object_add(ev, *k, json_object_get(v));
	json_object_object_add(ev, "reason", json_object_new_string(decision));
	if (detail)
		json_object_object_add(ev, "detail", json_object_new_string(detail));
	publish(d, ev);
}

/* Kills a held process that ran before its release, and says so. */
void kill_escaped(struct daemon *d, uint64_t id, const char *agent, json_object *info,
			 pid_t pid, int pidfd, const char *detail)
{
	pidfd_signal(pidfd, SIGKILL);
	log_error("held pid %d of agent %s ran before any decision (%s): killed", pid, agent,
		  detail);
	publish_decision(d, id, agent, info, &pid, 1, false, "escaped", detail);
	forget_process(d, pid, pidfd);
}

/* ---- decisions ---- */

/*
 * Applies a decision to every process of request i, exactly those, then
 * drops the request. An allow resumes only processes still in their first
 * stop with an unchanged script; the rest are killed and reported. Returns
 * the decision that was applied ("changed" when the script changed) and in
 * *n how many processes it reached.
 */
static const char *settle(struct daemon *d, size_t i, bool allow, const char *decision,
			  size_t *n)
{
	struct approval *a = &d->queue.v[i];
	pid_t *done = calloc(a->n_pids ? a->n_pids : 1, sizeof(*done));
	size_t n_done = 0;

	if (allow && !script_unchanged(a)) {
		log_error("request %llu: its script changed since it was shown: killing it",
			  (unsigned long long)a->id);
		allow = false;
		decision = "changed";
	}
	for (size_t j = 0; j < a->n_pids; j++) {
		pid_t pid = a->pids[j];
		int fd = a->pidfds[j];

		if (!allow) {
			pidfd_signal(fd, SIGKILL); /* its program never runs a single instruction */
		} else if (held_check(d, pid) != HC_STOPPED || pidfd_signal(fd, SIGCONT)) {
			/* the kernel refuses the SIGCONT too when the process ran meanwhile */
			kill_escaped(d, a->id, a->agent, a->info, pid, fd, "it ran before the decision");
			continue;
		}
		if (done)
			done[n_done++] = pid;
		forget_process(d, pid, fd);
	}
	if (n_done || !a->n_pids)
		publish_decision(d, a->id, a->agent, a->info, done, n_done, allow, decision, NULL);
	free(done);
	approvals_remove(&d->queue, i);
	if (n)
		*n = n_done;
	return n_done || !allow ? decision : "escaped";
}

bool approvals_on_pidfd(struct daemon *d, int fd)
{
	size_t i, j;
	pid_t pid;

	if (!approvals_find_pidfd(&d->queue, fd, &i, &j))
		return false;
	pid = d->queue.v[i].pids[j];
	forget_process(d, pid, fd);
	if (approvals_drop_pid(&d->queue, i, j)) {
		struct approval *a = &d->queue.v[i];

		publish_decision(d, a->id, a->agent, a->info, &pid, 1, false, "gone",
				 "every process of the request ended");
		approvals_remove(&d->queue, i);
	}
	return true;
}

void approvals_adopt_held(struct daemon *d)
{
	int max = enforcer_max_held(d->enforcer);
	uint32_t *tgids = calloc(max, sizeof(*tgids));
	struct held_exec *info = calloc(max, sizeof(*info));
	int n = tgids && info ? enforcer_list_held(d->enforcer, tgids, info, max) : 0;

	for (int i = 0; i < n; i++) {
		const char *agent = agent_ids_name(&d->ids, info[i].agent);
		json_object *ev;
		char path[64], buf[PATH_MAX], statbuf[512], *p;
		struct file_id id;
		struct stat st;
		ssize_t len;
		int ppid = 0;

		if (info[i].exited) {
			enforcer_release_held(d->enforcer, tgids[i]);
			continue;
		}
		if (!agent) {
			/* its agent left the policy: nobody can answer it */
			int fd = pidfd_open_(tgids[i]);

			if (fd >= 0 && !pidfd_signal(fd, SIGKILL))
				log_info("held pid %u has no agent any more: killed", tgids[i]);
			if (fd >= 0)
				close(fd);
			enforcer_release_held(d->enforcer, tgids[i]);
			continue;
		}
		ev = json_object_new_object();
		snprintf(path, sizeof(path), "/proc/%u/exe", tgids[i]);
		len = readlink(path, buf, sizeof(buf) - 1);
		buf[len > 0 ? len : 0] = '\0';
		json_object_object_add(ev, "type", json_object_new_string("exec"));
		json_object_object_add(ev, "verdict", json_object_new_string("hold"));
		json_object_object_add(ev, "agent", json_object_new_string(agent));
		json_object_object_add(ev, "pid", json_object_new_int(tgids[i]));
		json_object_object_add(ev, "path", json_object_new_string(buf));
		snprintf(path, sizeof(path), "/proc/%u/cwd", tgids[i]);
		len = readlink(path, buf, sizeof(buf) - 1);
		buf[len > 0 ? len : 0] = '\0';
		json_object_object_add(ev, "cwd", json_object_new_string(buf));
		json_object_object_add(ev, "reason", json_object_new_string("adopted"));
		snprintf(path, sizeof(path), "/proc/%u/stat", tgids[i]);
		read_first_line(path, statbuf, sizeof(statbuf));
		p = strrchr(statbuf, ')');
		if (p)
			sscanf(p + 2, "%*c %d", &ppid);
		json_object_object_add(ev, "ppid", json_object_new_int(ppid));
		snprintf(path, sizeof(path), "/proc/%u", tgids[i]);
		json_object_object_add(ev, "uid", json_object_new_int(stat(path, &st) ? 0 : st.st_uid));
		snprintf(path, sizeof(path), "/proc/%u/exe", tgids[i]);
		if (file_identity(path, &id)) {
			json_object_put(ev);
			continue;
		}
		log_info("held pid %u of agent %s is waiting for a decision again", tgids[i], agent);
		/* the writable flag is not known any more: the permission check decides */
		take_hold(d, ev, info[i].agent, id.dev, id.ino, 0, 0, 0);
	}
	free(tgids);
	free(info);
}

/* Held processes caught running (or gone without an exit seen) leave their requests. */
static void check_requests(struct daemon *d)
{
	for (size_t i = 0; i < d->queue.n;) {
		struct approval *a = &d->queue.v[i];
		bool removed = false;

		for (size_t j = 0; j < a->n_pids && !removed;) {
			pid_t pid = a->pids[j];
			int fd = a->pidfds[j];
			enum held_check c = held_check(d, pid);

			if (c == HC_STOPPED) {
				j++;
				continue;
			}
			if (c == HC_GONE)
				forget_process(d, pid, fd);
			else
				kill_escaped(d, a->id, a->agent, a->info, pid, fd,
					     "it ran while waiting for a decision");
			if (approvals_drop_pid(&d->queue, i, j)) {
				if (c == HC_GONE)
					publish_decision(d, a->id, a->agent, a->info, &pid, 1, false,
							 "gone", "every process of the request ended");
				approvals_remove(&d->queue, i);
				removed = true;
			}
		}
		if (!removed)
			i++;
	}
}

void approvals_tick(struct daemon *d)
{
	ssize_t i;

	reap_notifiers();
	check_requests(d);
	while ((i = approvals_expired(&d->queue, realtime_ms())) >= 0)
		settle(d, i, d->queue.v[i].fallback_allow, "timeout", NULL);
	/* expired timed grants leave the list (the kernel already ignores them) */
	for (size_t g = 0; g < d->n_grants;) {
		if (d->grants[g].value.exec_allow.expires_ns <= boottime_ns())
			d->grants[g] = d->grants[--d->n_grants];
		else
			g++;
	}
}

void approvals_shutdown(struct daemon *d)
{
	/* holds not shown yet: their fallback is not known to anyone, so they are refused */
	while (d->n_waiting) {
		struct held_wait *w = &d->waiting[0];

		pidfd_signal(w->pidfd, SIGKILL);
		forget_process(d, w->pid, w->pidfd);
		drop_waiting(d, 0);
	}
	free(d->waiting);
	d->waiting = NULL;
	while (d->queue.n)
		settle(d, 0, d->queue.v[0].fallback_allow, "daemon-stopped", NULL);
	free(d->grants);
	d->grants = NULL;
	d->n_grants = 0;
	free(d->hashes);
	d->hashes = NULL;
	d->n_hashes = 0;
	approvals_free(&d->queue);
}

void approvals_add_grants(struct daemon *d, struct compiled_policy *c)
{
	for (size_t g = 0; g < d->n_grants; g++) {
		bool listed = false;

		for (size_t i = 0; i < c->n_rules && !listed; i++)
			listed = !memcmp(&c->rules[i].key, &d->grants[g].key, sizeof(c->rules[i].key));
		/* an allowlisted binary stays allowed for good, not until the grant ends */
		if (!listed && compiled_push(c, &d->grants[g].key, &d->grants[g].value))
			log_error("out of memory keeping a timed grant");
	}
}

json_object *handle_approvals(struct daemon *d)
{
	json_object *reply = json_object_new_object(), *list = json_object_new_array();
	uint64_t now = realtime_ms();

	for (size_t i = 0; i < d->queue.n; i++)
		json_object_array_add(list, approval_to_json(&d->queue.v[i], now));
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "approvals", list);
	return reply;
}

json_object *handle_decision(struct daemon *d, json_object *req, bool allow)
{
	json_object *v, *reply, *pids;
	const char *decision = allow ? "once" : "deny", *warning = NULL;
	char err[2048], binary[PATH_MAX] = "";
	struct approval *a;
	long long for_ms = 0;
	bool writable = false;
	uint64_t id;
	size_t i;

	if (!json_object_object_get_ex(req, "id", &v))
		return control_error("missing \"id\"");
	id = json_object_get_uint64(v);
	a = approvals_find(&d->queue, id);
	if (!a)
		return control_error("no pending request %s (see `warden approvals`)",
				     json_object_get_string(v));
	i = (size_t)(a - d->queue.v);
	if (a->kind == APPROVAL_NET)
		return net_decision(d, req, i, allow);
	if (json_object_object_get_ex(a->info, "binary", &v))
		snprintf(binary, sizeof(binary), "%s", json_object_get_string(v));
	if (!binary[0] && json_object_object_get_ex(a->info, "path", &v))
		snprintf(binary, sizeof(binary), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(a->info, "writable", &v))
		writable = json_object_get_boolean(v);
	if (allow && json_object_object_get_ex(a->info, "argvTruncated", &v) &&
	    json_object_get_boolean(v) &&
	    !(json_object_object_get_ex(req, "truncatedOk", &v) && json_object_get_boolean(v)))
		return control_error("request %llu shows only the first %d KiB of its arguments: "
				     "the rest would run unseen; approve with --truncated-ok to "
				     "allow it anyway", (unsigned long long)id, ARGV_SHOWN_MAX >> 10);
	if (allow && writable && (json_object_object_get_ex(req, "for", NULL) ||
				  json_object_object_get_ex(req, "always", NULL)))
		return control_error("agent %s may write %s: a lasting grant would cover whatever "
				     "it puts there next; approve this run only (no --always/--for)",
				     a->agent, binary);

	if (allow && json_object_object_get_ex(req, "for", &v)) {
		struct rule_entry grant = {
			.key = { .kind = RULE_EXEC_ALLOW, .agent = a->agent_id, .dev = a->dev,
				 .ino = a->ino },
		};

		for_ms = parse_duration_ms(json_object_get_string(v));
		if (for_ms <= 0)
			return control_error("bad duration \"%s\" (use e.g. 30s, 5m, 2h)",
					     json_object_get_string(v));
		grant.value.exec_allow.expires_ns = boottime_ns() + (uint64_t)for_ms * 1000000ULL;
		if (ARRAY_GROW(d->grants, NULL, d->n_grants + 1))
			return control_error("cannot add the grant: out of memory");
		if (enforcer_add_rule(d->enforcer, &grant))
			return control_error("cannot add the grant to the kernel");
		d->grants[d->n_grants++] = grant;
		decision = "for";
	} else if (allow && json_object_object_get_ex(req, "always", &v) && json_object_get_boolean(v)) {
		struct file_id fid;
		char hex[SHA256_HEX_LEN];
		int ret;

		if (approval_is_shell(binary))
			warning = "this binary runs whatever it is given: allowing it always allows "
				  "every command run through it";
		ret = held_binary(d, a, &fid, hex);
		if (ret)
			return control_error("cannot read the held binary %s: %s", binary,
					     strerror(-ret));
		if (persist_always(a->agent, binary, &fid, hex, err, sizeof(err)) ||
		    daemon_reload(d, d->policy_file, err, sizeof(err)))
			return control_error("%s", err);
		a = approvals_find(&d->queue, id);
		if (!a)
			return control_error("the request went away during the reload");
		i = (size_t)(a - d->queue.v);
		decision = "always";
	}
	reply = json_object_new_object();
	pids = json_object_new_array();
	for (size_t j = 0; j < a->n_pids; j++)
		json_object_array_add(pids, json_object_new_int(a->pids[j]));
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "id", json_object_new_uint64(a->id));
	json_object_object_add(reply, "binary", json_object_new_string(binary));
	json_object_object_add(reply, "agent", json_object_new_string(a->agent));
	json_object_object_add(reply, "pids", pids);
	if (for_ms)
		json_object_object_add(reply, "forSeconds", json_object_new_int64(for_ms / 1000));
	if (warning)
		json_object_object_add(reply, "warning", json_object_new_string(warning));
	{
		size_t n = 0;

		decision = settle(d, i, allow, decision, &n);
		json_object_object_add(reply, "decision", json_object_new_string(decision));
		json_object_object_add(reply, "applied", json_object_new_uint64(n));
	}
	return reply;
}
