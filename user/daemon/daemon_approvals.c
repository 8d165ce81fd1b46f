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
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "array.h"
#include "clock.h"
#include "control.h"
#include "daemon.h"
#include "enforcer.h"
#include "events.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "resolve.h"
#include "spawn.h"

#define ARGV_SHOWN_MAX (64 << 10)  /* argv bytes shown whole; beyond: argvTruncated */
#define STOP_WAIT_MS 5000          /* a hold that never reaches its stop is killed */
#define SETTLE_POLL_NS 5000000     /* 5 ms */
#define SCRIPT_HASH_MAX (16 << 20) /* scripts hashed for a request */
#define BINARY_HASH_MAX (1ULL << 31)

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) ? -errno : 0;
}

/* State letter and voluntary context switches from /proc/PID/status; false when gone. */
static bool proc_sched(pid_t pid, char *state, uint64_t *nvcsw)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_buf(path, buf, sizeof(buf)) <= 0)
		return false;
	p = strstr(buf, "\nState:\t");
	*state = p ? p[8] : 0;
	p = strstr(buf, "\nvoluntary_ctxt_switches:\t");
	if (!p || !*state)
		return false;
	*nvcsw = strtoull(p + strlen("\nvoluntary_ctxt_switches:\t"), NULL, 10);
	return true;
}

/* /proc/PID/stat starttime (clock ticks since boot); 0 when gone. */
static uint64_t proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	read_first_line(path, buf, sizeof(buf));
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			       "%*d %*d %*d %llu", &start) != 1)
		start = 0;
	return start;
}

enum held_check {
	HC_WAIT,    /* still on its way to the stop */
	HC_STOPPED, /* in the stop it entered when held, never woken */
	HC_ESCAPED, /* it ran while held */
	HC_GONE,
};

/*
 * Where held process pid is, from the kernel's record and /proc: the kernel
 * marks the stop right before the task sleeps (nvcsw then), the sleep adds
 * one voluntary switch, and only a wake-up (it ran) adds more.
 */
static enum held_check held_check(struct daemon *d, pid_t pid)
{
	struct held_exec h;
	uint64_t nvcsw;
	char state;

	if (enforcer_held_get(d->enforcer, pid, &h) || h.exited)
		return HC_GONE;
	if (h.state == HELD_ESCAPED)
		return HC_ESCAPED;
	if (!proc_sched(pid, &state, &nvcsw) || state == 'Z' || state == 'X')
		return HC_GONE;
	if (h.state == HELD_COMMITTED)
		return HC_WAIT;
	if (h.state != HELD_STOPPED)
		return HC_ESCAPED;
	if (nvcsw == h.nvcsw && state != 'T')
		return HC_WAIT; /* marked, not asleep yet */
	if (nvcsw == h.nvcsw + 1 && state == 'T')
		return HC_STOPPED;
	return HC_ESCAPED;
}

/* argv of a held process, whole up to ARGV_SHOWN_MAX bytes. */
json_object *cmdline_json(pid_t pid, size_t max, bool *truncated)
{
	json_object *argv = json_object_new_array();
	char path[64], *buf = malloc(max + 1);
	size_t n = 0;
	int fd;

	*truncated = false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return argv;
	}
	while (n < max + 1) {
		ssize_t r = read(fd, buf + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	if (n > max) {
		*truncated = true;
		n = max;
	}
	for (size_t off = 0; off < n;) {
		size_t len = strnlen(buf + off, n - off);

		if (off + len >= n && *truncated) {
			/* the cut argument is shown as far as it goes */
			json_object_array_add(argv, json_object_new_string_len(buf + off, (int)len));
			break;
		}
		json_object_array_add(argv, json_object_new_string_len(buf + off, (int)len));
		off += len + 1;
	}
	free(buf);
	return argv;
}

/* What a human needs beyond the exec event: binary, user, parent. */
static void describe(json_object *info, pid_t pid, pid_t ppid, uid_t uid)
{
	json_object *parent = json_object_new_object();
	char path[64], buf[PATH_MAX];
	struct passwd *pw = getpwuid(uid);
	bool cut;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	json_object_object_add(info, "binary", json_object_new_string(buf));
	json_object_object_add(info, "user", json_object_new_string(pw ? pw->pw_name : "?"));
	snprintf(path, sizeof(path), "/proc/%d/comm", ppid);
	read_first_line(path, buf, sizeof(buf));
	json_object_object_add(parent, "pid", json_object_new_int(ppid));
	json_object_object_add(parent, "comm", json_object_new_string(buf));
	json_object_object_add(parent, "argv", cmdline_json(ppid, 4096, &cut));
	json_object_object_add(info, "parent", parent);
}

/*
 * Opens path as held process pid would: inside its root, relative to its
 * working directory (cwd, as the kernel read it) when not absolute, never
 * blocking on a FIFO. -errno on failure.
 */
static int open_in_process(pid_t pid, const char *cwd, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char root[64], full[PATH_MAX * 2];
	int rootfd, fd;

	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", cwd, path);
	fd = (int)syscall(SYS_openat2, rootfd, full, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(rootfd);
	return fd;
}

/* The script an interpreter's argv names: the first argument that is not an option. */
static const char *script_argument(json_object *argv)
{
	for (size_t i = 1; i < json_object_array_length(argv); i++) {
		const char *arg = json_object_get_string(json_object_array_get_idx(argv, i));

		if (arg[0] == '-') {
			/* inline code (sh -c, python -c, perl -e, node -e): no script file */
			if (!strcmp(arg, "-c") || !strcmp(arg, "-e") || !strcmp(arg, "-m") ||
			    !strcmp(arg, "--eval"))
				return NULL;
			continue;
		}
		return arg;
	}
	return NULL;
}

/*
 * {"path", "dev", "ino", "sha256"} of the script held process pid was
 * given, or NULL when it names none. *err says why when the named script
 * cannot be what the kernel started (a shebang script no longer at its
 * path): the request is then `changed` at once.
 */
static json_object *script_json(pid_t pid, json_object *info, uint32_t flags, uint64_t kdev,
				uint64_t kino, const char **err)
{
	json_object *argv, *v, *o;
	const char *arg, *cwd = "";
	char hex[SHA256_HEX_LEN];
	struct file_id id;
	int fd;

	*err = NULL;
	if (!json_object_object_get_ex(info, "argv", &argv) ||
	    !json_object_object_get_ex(info, "binary", &v))
		return NULL;
	if (!(flags & EXEC_F_SCRIPT) && !approval_is_shell(json_object_get_string(v)))
		return NULL;
	arg = script_argument(argv);
	if (!arg) {
		if (flags & EXEC_F_SCRIPT)
			*err = "the script the kernel started is not in its argv";
		return NULL;
	}
	if (json_object_object_get_ex(info, "cwd", &v))
		cwd = json_object_get_string(v);
	fd = open_in_process(pid, cwd, arg);
	if (fd < 0 || file_identity_fd_of(fd, pid, &id) || sha256_fd(fd, SCRIPT_HASH_MAX, hex)) {
		if (fd >= 0)
			close(fd);
		if (flags & EXEC_F_SCRIPT)
			*err = "the script the kernel started cannot be read at its path";
		return NULL; /* an argument that is no readable regular file: not a script */
	}
	close(fd);
	if ((flags & EXEC_F_SCRIPT) && (id.dev != kdev || id.ino != kino)) {
		*err = "the file at the script's path is not the one the kernel started";
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(arg));
	json_object_object_add(o, "dev", json_object_new_uint64(id.dev));
	json_object_object_add(o, "ino", json_object_new_uint64(id.ino));
	json_object_object_add(o, "sha256", json_object_new_string(hex));
	return o;
}

/* Whether the script of request a is still what it was when it was shown. */
static bool script_unchanged(const struct approval *a)
{
	json_object *script, *v;
	const char *path, *cwd = "";
	char hex[SHA256_HEX_LEN];
	struct file_id id;
	bool same = true;

	if (!json_object_object_get_ex(a->info, "script", &script))
		return true;
	path = json_object_get_string(json_object_object_get(script, "path"));
	if (json_object_object_get_ex(a->info, "cwd", &v))
		cwd = json_object_get_string(v);
	for (size_t j = 0; same && j < a->n_pids; j++) {
		int fd = open_in_process(a->pids[j], cwd, path);

		same = fd >= 0 && !file_identity_fd_of(fd, a->pids[j], &id) &&
		       id.dev == json_object_get_uint64(json_object_object_get(script, "dev")) &&
		       id.ino == json_object_get_uint64(json_object_object_get(script, "ino")) &&
		       !sha256_fd(fd, SCRIPT_HASH_MAX, hex) &&
		       !strcmp(hex, json_object_get_string(json_object_object_get(script, "sha256")));
		if (fd >= 0)
			close(fd);
	}
	return same;
}

/*
 * Whether the agent may change the binary: the kernel's verdict (its
 * closest file rule grants write) or plain permissions (owned by the
 * process's user, or writable by everyone).
 */
static bool binary_writable(pid_t pid, uint32_t flags, uid_t uid)
{
	char path[64];
	struct stat st;

	if (flags & EXEC_F_WRITABLE)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st))
		return true; /* cannot tell: the safe side */
	return (uid != 0 && st.st_uid == uid) || (st.st_mode & S_IWOTH);
}

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

static void watch_pidfd(struct daemon *d, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = pidfd };

	if (d->epoll_fd >= 0)
		epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, pidfd, &ev);
}

/* The process is done with: no longer watched, no longer held in the kernel. */
static void forget_process(struct daemon *d, pid_t pid, int pidfd)
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
static void kill_escaped(struct daemon *d, uint64_t id, const char *agent, json_object *info,
			 pid_t pid, int pidfd, const char *detail)
{
	pidfd_signal(pidfd, SIGKILL);
	log_error("held pid %d of agent %s ran before any decision (%s): killed", pid, agent,
		  detail);
	publish_decision(d, id, agent, info, &pid, 1, false, "escaped", detail);
	forget_process(d, pid, pidfd);
}

/* ---- holds on their way to the stop ---- */

static void drop_waiting(struct daemon *d, size_t i)
{
	json_object_put(d->waiting[i].ev);
	d->waiting[i] = d->waiting[--d->n_waiting];
}

static void arm_settle_timer(struct daemon *d)
{
	struct itimerspec t = { .it_value.tv_nsec = d->n_waiting ? SETTLE_POLL_NS : 0 };

	if (d->settle_fd >= 0)
		timerfd_settime(d->settle_fd, 0, &t, NULL);
}

/* The held process has stopped: the request is made from what it has. */
static void make_request(struct daemon *d, struct held_wait *w)
{
	const struct agent_policy *ap;
	json_object *info = NULL, *ev = w->ev, *v, *script;
	const char *agent, *why;
	struct approval *a;
	bool merged, cut;
	pid_t ppid;
	uid_t uid;

	json_object_object_get_ex(ev, "agent", &v);
	agent = json_object_get_string(v);
	ap = policy_agent(d->policy, agent);
	ppid = json_object_get_int(json_object_object_get(ev, "ppid"));
	uid = json_object_get_int(json_object_object_get(ev, "uid"));
	/* argv as the process has it, not as the caller's memory said */
	json_object_object_add(ev, "argv", cmdline_json(w->pid, ARGV_SHOWN_MAX, &cut));
	json_object_object_del(ev, "argvTruncated");
	if (cut)
		json_object_object_add(ev, "argvTruncated", json_object_new_boolean(1));
	if (json_object_deep_copy(ev, &info, NULL)) {
		log_error("out of memory describing a held exec of pid %d: killing it", w->pid);
		pidfd_signal(w->pidfd, SIGKILL);
		forget_process(d, w->pid, w->pidfd);
		return;
	}
	describe(info, w->pid, ppid, uid);
	json_object_object_add(info, "writable",
			       json_object_new_boolean(binary_writable(w->pid, w->flags, uid)));
	script = script_json(w->pid, info, w->flags, w->script_dev, w->script_ino, &why);
	if (script)
		json_object_object_add(info, "script", script);
	json_object_object_del(info, "seq");
	json_object_object_del(info, "verdict");
	json_object_object_del(info, "type");
	json_object_object_del(info, "generation");
	if (why) {
		publish(d, json_object_get(ev));
		pidfd_signal(w->pidfd, SIGKILL);
		publish_decision(d, 0, agent, info, &w->pid, 1, false, "changed", why);
		forget_process(d, w->pid, w->pidfd);
		json_object_put(info);
		return;
	}
	a = approvals_add(&d->queue, w->agent_id, agent, w->pid, w->pidfd, w->dev, w->ino, info,
			  realtime_ms(), ap ? (uint64_t)ap->exec.ask_timeout_ms : 300000,
			  ap && ap->exec.ask_fallback == ASK_FALLBACK_ALLOW, &merged);
	if (!a) {
		log_error("out of memory queueing a held exec of pid %d: killing it", w->pid);
		pidfd_signal(w->pidfd, SIGKILL);
		forget_process(d, w->pid, w->pidfd);
		json_object_put(info);
		return;
	}
	watch_pidfd(d, w->pidfd);
	json_object_object_add(ev, "approval", json_object_new_uint64(a->id));
	if (merged)
		json_object_object_add(ev, "merged", json_object_new_boolean(1));
	if (json_object_object_get_ex(a->info, "script", &v))
		json_object_object_add(ev, "script", json_object_get(v));
	publish(d, json_object_get(ev));
	if (!merged)
		approvals_notify(d, a);
}

/* Looks at every hold still on its way to its stop; re-arms the timer while any is left. */
static void check_waiting(struct daemon *d)
{
	for (size_t i = 0; i < d->n_waiting;) {
		struct held_wait *w = &d->waiting[i];
		const char *agent = json_object_get_string(json_object_object_get(w->ev, "agent"));

		switch (held_check(d, w->pid)) {
		case HC_STOPPED:
			make_request(d, w);
			drop_waiting(d, i);
			continue;
		case HC_GONE:
			publish(d, json_object_get(w->ev));
			publish_decision(d, 0, agent, w->ev, &w->pid, 1, false, "gone",
					 "the process ended before it was shown");
			forget_process(d, w->pid, w->pidfd);
			drop_waiting(d, i);
			continue;
		case HC_ESCAPED:
			publish(d, json_object_get(w->ev));
			kill_escaped(d, 0, agent, w->ev, w->pid, w->pidfd, "it ran before it was shown");
			drop_waiting(d, i);
			continue;
		case HC_WAIT:
			if (monotonic_ms() - w->since_ms > STOP_WAIT_MS) {
				publish(d, json_object_get(w->ev));
				kill_escaped(d, 0, agent, w->ev, w->pid, w->pidfd,
					     "it never reached its stop");
				drop_waiting(d, i);
				continue;
			}
			break;
		}
		i++;
	}
	arm_settle_timer(d);
}

void approvals_on_settle_timer(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->settle_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("settle timer: %m");
	check_waiting(d);
}

/*
 * A hold from the kernel, or taken up from an earlier daemon. ev is
 * consumed; e is the kernel's record (NULL when adopted: no script or
 * writable flags are known then).
 */
static void take_hold(struct daemon *d, json_object *ev, uint32_t agent_id, uint64_t dev,
		      uint64_t ino, uint32_t flags, uint64_t script_dev, uint64_t script_ino)
{
	pid_t pid = json_object_get_int(json_object_object_get(ev, "pid"));
	const char *agent = json_object_get_string(json_object_object_get(ev, "agent"));
	long ticks = sysconf(_SC_CLK_TCK);
	struct held_wait w = {
		.ev = ev, .pid = pid, .agent_id = agent_id, .flags = flags, .dev = dev, .ino = ino,
		.script_dev = script_dev, .script_ino = script_ino, .since_ms = monotonic_ms(),
	};
	struct held_exec h;

	w.pidfd = pidfd_open_(pid);
	/* the pidfd is of the held task, not of a process that took its pid since */
	if (w.pidfd < 0 || enforcer_held_get(d->enforcer, pid, &h) || h.exited ||
	    (ticks > 0 && proc_starttime(pid) != h.start_ns / (1000000000ULL / (uint64_t)ticks))) {
		publish(d, json_object_get(ev));
		publish_decision(d, 0, agent, ev, &pid, 1, false, "gone",
				 "the process ended before it was shown");
		if (w.pidfd >= 0)
			close(w.pidfd);
		enforcer_release_held(d->enforcer, pid);
		json_object_put(ev);
		return;
	}
	if (ARRAY_GROW(d->waiting, NULL, d->n_waiting + 1)) {
		log_error("out of memory taking a held exec of pid %d: killing it", pid);
		pidfd_signal(w.pidfd, SIGKILL);
		forget_process(d, pid, w.pidfd);
		json_object_put(ev);
		return;
	}
	d->waiting[d->n_waiting++] = w;
	check_waiting(d);
}

void approvals_on_hold(struct daemon *d, json_object *ev, const struct exec_event *e)
{
	take_hold(d, ev, e->head.agent, e->dev, e->ino, e->flags, e->script_dev, e->script_ino);
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

/* ---- --always: identity and content, never a path alone ---- */

/*
 * The SHA-256 of the file open at fd, from the cache while its metadata
 * is unchanged (a reload re-checks every --always entry).
 */
static int cached_sha256(struct daemon *d, int fd, const struct file_id *id, char *hex)
{
	struct hash_cache_entry e = { .dev = id->dev, .ino = id->ino };
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	e.size = st.st_size;
	e.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec;
	e.ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000ULL + st.st_ctim.tv_nsec;
	for (size_t i = 0; i < d->n_hashes; i++) {
		struct hash_cache_entry *c = &d->hashes[i];

		if (c->dev == e.dev && c->ino == e.ino && c->size == e.size &&
		    c->mtime_ns == e.mtime_ns && c->ctime_ns == e.ctime_ns) {
			memcpy(hex, c->sha256, SHA256_HEX_LEN);
			return 0;
		}
	}
	ret = sha256_fd(fd, BINARY_HASH_MAX, hex);
	if (ret)
		return ret;
	memcpy(e.sha256, hex, SHA256_HEX_LEN);
	if (!ARRAY_GROW(d->hashes, NULL, d->n_hashes + 1))
		d->hashes[d->n_hashes++] = e;
	return 0;
}

void approvals_add_always(struct daemon *d, const struct policy *p, struct compiled_policy *c)
{
	json_object *root = json_object_from_file(APPROVED_OVERLAY), *list;

	if (!root)
		return;
	if (!json_object_object_get_ex(root, "approved", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		if (json_object_object_get_ex(root, "agents", NULL))
			log_error("%s holds approvals by path only (an older warden): they are "
				  "ignored; approve those binaries again", APPROVED_OVERLAY);
		json_object_put(root);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *o = json_object_array_get_idx(list, i);
		const char *agent = json_object_get_string(json_object_object_get(o, "agent"));
		const char *path = json_object_get_string(json_object_object_get(o, "path"));
		const char *want = json_object_get_string(json_object_object_get(o, "sha256"));
		const struct agent_policy *ap = agent ? policy_agent(p, agent) : NULL;
		struct rule_entry r = { .key = { .kind = RULE_EXEC_ALLOW } };
		char hex[SHA256_HEX_LEN];
		struct file_id id;
		int fd;

		if (!ap || !ap->confined || !path || !want)
			continue; /* an agent no longer in the policy: its approvals wait */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || file_identity_fd(fd, &id) ||
		    id.dev != json_object_get_uint64(json_object_object_get(o, "dev")) ||
		    id.ino != json_object_get_uint64(json_object_object_get(o, "ino")) ||
		    cached_sha256(d, fd, &id, hex) || strcmp(hex, want)) {
			log_info("%s approved for agent %s is not the approved file any more "
				 "(replaced or changed): it needs a new decision", path, agent);
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		r.key.agent = agent_ids_get(&d->ids, agent);
		r.key.dev = id.dev;
		r.key.ino = id.ino;
		if (compiled_push(c, &r.key, &r.value))
			log_error("out of memory adding the approval of %s", path);
	}
	json_object_put(root);
}

/* Appends {agent, path, dev, ino, sha256} to the approvals file, atomically. */
static int persist_always(const char *agent, const char *path, const struct file_id *id,
			  const char *sha256, char *err, size_t errlen)
{
	json_object *root = json_object_from_file(APPROVED_OVERLAY), *list, *o;
	char tmp[PATH_MAX];
	int ret = 0;

	if (!root || !json_object_object_get_ex(root, "approved", &list)) {
		json_object_put(root);
		root = json_object_new_object();
		json_object_object_add(root, "version", json_object_new_int(2));
		list = json_object_new_array();
		json_object_object_add(root, "approved", list);
	}
	o = json_object_new_object();
	json_object_object_add(o, "agent", json_object_new_string(agent));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "dev", json_object_new_uint64(id->dev));
	json_object_object_add(o, "ino", json_object_new_uint64(id->ino));
	json_object_object_add(o, "sha256", json_object_new_string(sha256));
	json_object_array_add(list, o);
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

/*
 * Identity and SHA-256 of the binary request a holds, read through the
 * held process's own /proc/PID/exe (the exact inode it runs).
 */
static int held_binary(struct daemon *d, const struct approval *a, struct file_id *id, char *hex)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/%d/exe", a->pids[0]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = file_identity_fd_of(fd, a->pids[0], id);
	if (!ret && (id->dev != a->dev || id->ino != a->ino))
		ret = -ESTALE;
	ret = ret ?: cached_sha256(d, fd, id, hex);
	close(fd);
	return ret;
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
