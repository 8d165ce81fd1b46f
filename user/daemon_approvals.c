// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's half of the approval gate. The kernel has stopped a held
 * exec before its new program ran (exec.bpf.c); here it becomes a request,
 * the notify command hears of it, and an answer resumes the process
 * (SIGCONT, which only the daemon may send it) or kills it. A request not
 * answered by its deadline gets the agent's askFallback. The daemon never
 * leaves a held process behind: on shutdown every pending request gets its
 * fallback too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "enforcer.h"
#include "events.h"
#include "log.h"
#include "resolve.h"

#define STOP_WAIT_MS 2000

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The process state letter from /proc/PID/stat, or 0 when it is gone. */
static char process_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Waits until the kernel's SIGSTOP has taken effect: a SIGCONT sent before
 * it would be lost and leave the process stopped for good.
 */
static bool wait_stopped(pid_t pid)
{
	for (int waited = 0; waited < STOP_WAIT_MS; waited++) {
		char state = process_state(pid);

		if (!state || state == 'Z' || state == 'X')
			return false;
		if (state == 'T' || state == 't')
			return true;
		usleep(1000);
	}
	return false;
}

static void read_text(const char *path, char *out, size_t len, bool nul_to_space)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	out[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0)
		return;
	out[n] = '\0';
	for (ssize_t i = 0; nul_to_space && i + 1 < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	out[strcspn(out, "\n")] = '\0';
}

static json_object *cmdline_json(pid_t pid)
{
	json_object *argv = json_object_new_array();
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return argv;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	for (ssize_t off = 0; n > 0 && off < n; off += strlen(buf + off) + 1) {
		buf[n] = '\0';
		json_object_array_add(argv, json_object_new_string(buf + off));
	}
	return argv;
}

/* What a human needs beyond the exec event: binary, user, parent. */
static void describe(json_object *info, pid_t pid, pid_t ppid, uid_t uid)
{
	json_object *parent = json_object_new_object();
	char path[64], buf[PATH_MAX];
	struct passwd *pw = getpwuid(uid);
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	json_object_object_add(info, "binary", json_object_new_string(buf));
	json_object_object_add(info, "user", json_object_new_string(pw ? pw->pw_name : "?"));
	snprintf(path, sizeof(path), "/proc/%d/comm", ppid);
	read_text(path, buf, sizeof(buf), false);
	json_object_object_add(parent, "pid", json_object_new_int(ppid));
	json_object_object_add(parent, "comm", json_object_new_string(buf));
	json_object_object_add(parent, "argv", cmdline_json(ppid));
	json_object_object_add(info, "parent", parent);
}

/* Runs approvals.notify with the request on stdin; never waits for it. */
static void notify(struct daemon *d, const struct approval *a)
{
	json_object *req;
	const char *text;
	int in[2];
	pid_t pid;

	if (!d->policy->notify.n)
		return;
	if (pipe2(in, O_CLOEXEC)) {
		log_error("notify: %m");
		return;
	}
	pid = fork();
	if (pid == 0) {
		char **argv = calloc(d->policy->notify.n + 1, sizeof(*argv));

		dup2(in[0], 0);
		if (argv) {
			memcpy(argv, d->policy->notify.v, d->policy->notify.n * sizeof(*argv));
			execvp(argv[0], argv);
		}
		_exit(127);
	}
	close(in[0]);
	if (pid < 0) {
		log_error("notify: fork: %m");
		close(in[1]);
		return;
	}
	req = approval_to_json(a, realtime_ms());
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	/* a request is small next to a pipe's buffer: this write does not block */
	if (write(in[1], text, strlen(text)) < 0 || write(in[1], "\n", 1) < 0)
		log_error("notify: cannot send request %llu: %m", (unsigned long long)a->id);
	close(in[1]);
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

void approvals_on_hold(struct daemon *d, json_object *ev, uint32_t agent_id, uint64_t dev,
		       uint64_t ino)
{
	const struct agent_policy *ap;
	json_object *v, *info = NULL;
	const char *agent;
	struct approval *a;
	bool merged;
	pid_t pid, ppid;

	json_object_object_get_ex(ev, "agent", &v);
	agent = json_object_get_string(v);
	ap = policy_agent(d->policy, agent);
	pid = json_object_get_int(json_object_object_get(ev, "pid"));
	ppid = json_object_get_int(json_object_object_get(ev, "ppid"));
	wait_stopped(pid);
	if (json_object_deep_copy(ev, &info, NULL)) {
		log_error("out of memory describing a held exec of pid %d: killing it", pid);
		kill(pid, SIGKILL);
		enforcer_release_held(d->enforcer, pid);
		json_object_put(ev);
		return;
	}
	describe(info, pid, ppid, json_object_get_int(json_object_object_get(ev, "uid")));
	json_object_object_del(info, "seq");
	json_object_object_del(info, "verdict");
	json_object_object_del(info, "type");
	a = approvals_add(&d->queue, agent_id, agent, pid, dev, ino, info, realtime_ms(),
			  ap ? (uint64_t)ap->exec.ask_timeout_ms : 300000,
			  ap && ap->exec.ask_fallback == ASK_FALLBACK_ALLOW, &merged);
	if (!a) {
		log_error("out of memory queueing a held exec of pid %d: killing it", pid);
		kill(pid, SIGKILL);
		enforcer_release_held(d->enforcer, pid);
		json_object_put(ev);
		return;
	}
	json_object_object_add(ev, "approval", json_object_new_uint64(a->id));
	if (merged)
		json_object_object_add(ev, "merged", json_object_new_boolean(1));
	publish(d, ev);
	if (!merged)
		notify(d, a);
}

/* The decision event: type "approval", same id as the hold. */
static void publish_decision(struct daemon *d, const struct approval *a, bool allow,
			     const char *decision)
{
	json_object *ev = json_object_new_object(), *v;
	char ts[64];

	realtime_to_iso8601(realtime_ms(), ts, sizeof(ts));
	json_object_object_add(ev, "ts", json_object_new_string(ts));
	json_object_object_add(ev, "type", json_object_new_string("approval"));
	json_object_object_add(ev, "verdict", json_object_new_string(allow ? "allow" : "deny"));
	json_object_object_add(ev, "decision", json_object_new_string(decision));
	json_object_object_add(ev, "approval", json_object_new_uint64(a->id));
	json_object_object_add(ev, "agent", json_object_new_string(a->agent));
	json_object_object_add(ev, "pid", json_object_new_int(a->pids[0]));
	for (const char *const *k = (const char *const[]){ "comm", "path", "argv", "cwd", NULL }; *k;
	     k++)
		if (json_object_object_get_ex(a->info, *k, &v))
			json_object_object_add(ev, *k, json_object_get(v));
	json_object_object_add(ev, "reason", json_object_new_string(decision));
	publish(d, ev);
}

/* Resumes (allow) or kills (deny) every process of request i, then drops it. */
static void settle(struct daemon *d, size_t i, bool allow, const char *decision)
{
	struct approval *a = &d->queue.v[i];

	for (size_t j = 0; j < a->n_pids; j++) {
		pid_t pid = a->pids[j];

		/* only a process still stopped is ours: a gone pid may have been reused */
		if (!wait_stopped(pid))
			log_debug("held pid %d is gone", pid);
		else if (allow)
			kill(pid, SIGCONT);
		else
			kill(pid, SIGKILL); /* the program never runs a single instruction */
		enforcer_release_held(d->enforcer, pid);
	}
	publish_decision(d, a, allow, decision);
	approvals_remove(&d->queue, i);
}

void approvals_adopt_held(struct daemon *d)
{
	int max = enforcer_max_held(d->enforcer);
	uint32_t *tgids = calloc(max, sizeof(*tgids));
	struct held_exec *info = calloc(max, sizeof(*info));
	int n = tgids && info ? enforcer_list_held(d->enforcer, tgids, info, max) : 0;

	for (int i = 0; i < n; i++) {
		const char *agent = agent_ids_name(&d->ids, info[i].agent);
		json_object *ev = json_object_new_object();
		char path[64], buf[PATH_MAX];
		struct file_id id;
		struct stat st;
		ssize_t len;

		if (!agent || process_state(tgids[i]) != 'T') {
			/* gone, or its agent left the policy: nobody can answer it */
			if (agent == NULL)
				kill(tgids[i], SIGKILL);
			enforcer_release_held(d->enforcer, tgids[i]);
			json_object_put(ev);
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%u/exe", tgids[i]);
		len = readlink(path, buf, sizeof(buf) - 1);
		buf[len > 0 ? len : 0] = '\0';
		json_object_object_add(ev, "type", json_object_new_string("exec"));
		json_object_object_add(ev, "verdict", json_object_new_string("hold"));
		json_object_object_add(ev, "agent", json_object_new_string(agent));
		json_object_object_add(ev, "pid", json_object_new_int(tgids[i]));
		json_object_object_add(ev, "path", json_object_new_string(buf));
		json_object_object_add(ev, "argv", cmdline_json(tgids[i]));
		snprintf(path, sizeof(path), "/proc/%u/cwd", tgids[i]);
		len = readlink(path, buf, sizeof(buf) - 1);
		buf[len > 0 ? len : 0] = '\0';
		json_object_object_add(ev, "cwd", json_object_new_string(buf));
		json_object_object_add(ev, "reason", json_object_new_string("adopted"));
		snprintf(path, sizeof(path), "/proc/%u", tgids[i]);
		stat(path, &st);
		snprintf(path, sizeof(path), "/proc/%u/stat", tgids[i]);
		{
			char statbuf[512], *p;
			int ppid = 0;

			read_text(path, statbuf, sizeof(statbuf), false);
			p = strrchr(statbuf, ')');
			if (p)
				sscanf(p + 2, "%*c %d", &ppid);
			json_object_object_add(ev, "ppid", json_object_new_int(ppid));
		}
		json_object_object_add(ev, "uid", json_object_new_int(st.st_uid));
		snprintf(path, sizeof(path), "/proc/%u/exe", tgids[i]);
		if (!file_identity(path, &id))
			approvals_on_hold(d, ev, info[i].agent, id.dev, id.ino);
		else
			json_object_put(ev);
		log_info("held pid %u of agent %s is waiting for a decision again", tgids[i], agent);
	}
	free(tgids);
	free(info);
}

/* Held processes that died meanwhile (killed by the agent) leave their requests. */
static void forget_gone(struct daemon *d)
{
	for (size_t i = 0; i < d->queue.n; i++)
		for (size_t j = 0; j < d->queue.v[i].n_pids; j++) {
			pid_t pid = d->queue.v[i].pids[j];
			char state = process_state(pid);

			if (state && state != 'Z' && state != 'X')
				continue;
			enforcer_release_held(d->enforcer, pid);
			approvals_forget_pid(&d->queue, pid);
			forget_gone(d); /* the queue changed under the loops */
			return;
		}
}

void approvals_tick(struct daemon *d)
{
	ssize_t i;

	reap_notifiers();
	forget_gone(d);
	while ((i = approvals_expired(&d->queue, realtime_ms())) >= 0)
		settle(d, i, d->queue.v[i].fallback_allow, "timeout");
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
	while (d->queue.n)
		settle(d, 0, d->queue.v[0].fallback_allow, "daemon-stopped");
	free(d->grants);
	d->grants = NULL;
	d->n_grants = 0;
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

/* Appends path to agent's safeBins in the overlay file, atomically. */
static int persist_always(const char *agent, const char *path, char *err, size_t errlen)
{
	json_object *root = json_object_from_file(APPROVED_OVERLAY), *agents, *a, *exec, *bins;
	char tmp[PATH_MAX];
	int ret = 0;

	if (!root) {
		root = json_object_new_object();
		json_object_object_add(root, "version", json_object_new_int(1));
	}
	if (!json_object_object_get_ex(root, "agents", &agents)) {
		agents = json_object_new_object();
		json_object_object_add(root, "agents", agents);
	}
	if (!json_object_object_get_ex(agents, agent, &a)) {
		a = json_object_new_object();
		json_object_object_add(agents, agent, a);
	}
	if (!json_object_object_get_ex(a, "exec", &exec)) {
		exec = json_object_new_object();
		json_object_object_add(a, "exec", exec);
	}
	if (!json_object_object_get_ex(exec, "safeBins", &bins)) {
		bins = json_object_new_array();
		json_object_object_add(exec, "safeBins", bins);
	}
	json_object_array_add(bins, json_object_new_string(path));
	mkdir(WARDEN_STATE_DIR, 0755);
	snprintf(tmp, sizeof(tmp), "%s.tmp", APPROVED_OVERLAY);
	if (json_object_to_file_ext(tmp, root, JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_NOSLASHESCAPE) ||
	    rename(tmp, APPROVED_OVERLAY)) {
		snprintf(err, errlen, "cannot write %s: %s", APPROVED_OVERLAY, strerror(errno));
		ret = -EIO;
	}
	json_object_put(root);
	return ret;
}

json_object *handle_decision(struct daemon *d, json_object *req, bool allow)
{
	json_object *v, *reply;
	const char *decision = allow ? "once" : "deny", *warning = NULL;
	char err[2048], binary[PATH_MAX] = "";
	struct approval *a;
	long long for_ms = 0;
	size_t i;

	if (!json_object_object_get_ex(req, "id", &v))
		return control_error("missing \"id\"");
	a = approvals_find(&d->queue, json_object_get_uint64(v));
	if (!a)
		return control_error("no pending request %s (see `warden approvals`)",
				     json_object_get_string(v));
	i = (size_t)(a - d->queue.v);
	if (json_object_object_get_ex(a->info, "binary", &v))
		snprintf(binary, sizeof(binary), "%s", json_object_get_string(v));
	if (!binary[0] && json_object_object_get_ex(a->info, "path", &v))
		snprintf(binary, sizeof(binary), "%s", json_object_get_string(v));

	if (allow && json_object_object_get_ex(req, "for", &v)) {
		struct rule_entry grant = {
			.key = { .kind = RULE_EXEC_ALLOW, .agent = a->agent_id, .dev = a->dev,
				 .ino = a->ino },
		};
		struct rule_entry *g;

		for_ms = parse_duration_ms(json_object_get_string(v));
		if (for_ms <= 0)
			return control_error("bad duration \"%s\" (use e.g. 30s, 5m, 2h)",
					     json_object_get_string(v));
		grant.value.exec_allow.expires_ns = boottime_ns() + (uint64_t)for_ms * 1000000ULL;
		g = realloc(d->grants, (d->n_grants + 1) * sizeof(*g));
		if (!g)
			return control_error("cannot add the grant: out of memory");
		/* realloc may have moved the array: keep it before anything can fail */
		d->grants = g;
		if (enforcer_add_rule(d->enforcer, &grant))
			return control_error("cannot add the grant to the kernel");
		d->grants[d->n_grants++] = grant;
		decision = "for";
	} else if (allow && json_object_object_get_ex(req, "always", &v) && json_object_get_boolean(v)) {
		if (approval_is_shell(binary))
			warning = "this binary runs whatever it is given: allowing it always allows "
				  "every command run through it";
		if (persist_always(a->agent, binary, err, sizeof(err)) ||
		    daemon_reload(d, d->policy_file, err, sizeof(err)))
			return control_error("%s", err);
		a = approvals_find(&d->queue, json_object_get_uint64(json_object_object_get(req, "id")));
		if (!a)
			return control_error("the request went away during the reload");
		i = (size_t)(a - d->queue.v);
		decision = "always";
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "id", json_object_new_uint64(a->id));
	json_object_object_add(reply, "decision", json_object_new_string(decision));
	json_object_object_add(reply, "binary", json_object_new_string(binary));
	json_object_object_add(reply, "agent", json_object_new_string(a->agent));
	if (for_ms)
		json_object_object_add(reply, "forSeconds", json_object_new_int64(for_ms / 1000));
	if (warning)
		json_object_object_add(reply, "warning", json_object_new_string(warning));
	settle(d, i, allow, decision);
	return reply;
}
