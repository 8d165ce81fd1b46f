// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden run --agent NAME -- CMD...`: starts CMD confined as an agent.
 *
 * Sandboxed (the default): asks the daemon for the agent's sandbox and to
 * place this process in a fresh cgroup of the agent in "setup" state
 * (CGROUP_SETUP in bpf/warden.h: file rules wait while bubblewrap builds
 * the sandbox), becomes the agent's user and execs bubblewrap. The first
 * program inside is warden's own stage: its exec ends the setup state in
 * the kernel, and it checks that it really is in the agent's cgroup before
 * it execs CMD. Every exec in the cgroup, the stage's included, is judged.
 *
 * --no-sandbox: kernel enforcement only (the agent's cgroup, no namespaces),
 * as for containers adopted with `warden attach`.
 *
 * Either way the next program (bwrap, or CMD itself) gets nothing of the
 * caller's but what the policy names: descriptors above 2 are closed first
 * thing, a new session keyring replaces the caller's, a new session (setsid)
 * leaves the caller's terminal behind, and the environment is exactly
 * env.pass + env.set (+ TMPDIR, the agent's private tmp, without a sandbox).
 * bwrap itself is started with an empty environment: its processes (the
 * sandbox's pid 1 is one) show what they were started with in
 * /proc/PID/environ, whatever --clearenv does to their copy.
 *
 * Any failure before CMD starts exits 125 and CMD never runs.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "commands.h"
#include "control.h"
#include "log.h"
#include "paths.h"
#include "sandbox.h"
#include "sandbox_host.h"
#include "run_hint.h"

extern char **environ;

/* The child's end of a pipe to the waiting parent: the run's cgroup id goes there. */
static int report_fd = -1;

static void run_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden run --agent NAME [--no-sandbox] [--] CMD [ARGS...]\n"
		"\n"
		"Runs CMD confined as agent NAME of the daemon's policy: in the agent's own\n"
		"cgroup (kernel rules), inside a bubblewrap sandbox (own namespaces, workspace\n"
		"at /workspace, read-only system paths and binds, scrubbed environment, the\n"
		"policy's unprivileged user). The exit status is CMD's; 125 when warden fails\n"
		"(daemon not running, unknown agent), 126 when CMD cannot be executed (e.g.\n"
		"not on the agent's allowlist), 127 when it is not found.\n"
		"\n"
		"  -a, --agent NAME  the agent to run as\n"
		"  -n, --no-sandbox  kernel enforcement only: no namespaces, caller's user\n"
		"  -v, --verbose     more detail\n"
		"  -h, --help        this text\n");
}

/* Sends req; returns the reply when it says ok, else logs and returns NULL. */
static json_object *ask_daemon(json_object *req)
{
	json_object *reply = NULL, *v;
	char err[1024];

	if (control_call(req, &reply, err, sizeof(err))) {
		log_error("run: %s; not running the command", err);
		return NULL;
	}
	if (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v)) {
		log_error("run: %s; not running the command",
			  json_object_object_get_ex(reply, "error", &v) ? json_object_get_string(v)
									 : "the daemon refused");
		json_object_put(reply);
		return NULL;
	}
	return reply;
}

static json_object *request(const char *op, const char *agent, bool setup)
{
	json_object *req = json_object_new_object();

	json_object_object_add(req, "op", json_object_new_string(op));
	json_object_object_add(req, "agent", json_object_new_string(agent));
	if (setup)
		json_object_object_add(req, "setup", json_object_new_boolean(1));
	return req;
}

/* The daemon's reply must match where the kernel says this process is. */
static int verify_cgroup(const char *expected)
{
	char actual[4096];
	size_t root_len = strlen(CGROUP2_ROOT);

	if (cgroup_of_pid(0, actual, sizeof(actual)))
		return -EIO;
	if (strncmp(expected, CGROUP2_ROOT, root_len) || strcmp(expected + root_len, actual))
		return -EPERM;
	return 0;
}

/* Asks the daemon to place this process in a new cgroup of agent. */
static int place(const char *agent, bool setup)
{
	json_object *req = request("run", agent, setup), *reply = ask_daemon(req), *v;
	int ret = 0;

	json_object_put(req);
	if (!reply)
		return -1;
	if (!json_object_object_get_ex(reply, "cgroup", &v) ||
	    verify_cgroup(json_object_get_string(v))) {
		log_error("run: the process is not in the agent's cgroup as the daemon reported; "
			  "not running the command");
		ret = -1;
	} else if (report_fd >= 0) {
		struct stat st;
		uint64_t id;

		/* a cgroup's id is its directory's inode number: the events' "cgroup" */
		if (!stat(json_object_get_string(v), &st)) {
			id = st.st_ino;
			if (write(report_fd, &id, sizeof(id)) != sizeof(id))
				log_debug("run: cannot report the run's id to warden run");
		}
		close(report_fd);
		report_fd = -1;
	}
	json_object_put(reply);
	return ret;
}

/*
 * Execs cmd with envp as its whole environment, PATH looked up in envp
 * (execvp reads environ).
 */
static int exec_command(const char *agent, char **cmd, char **envp)
{
	int err;

	environ = envp;
	execvp(cmd[0], cmd);
	err = errno;
	if (err == EPERM)
		log_error("run: %s: %s (refused by agent %s's policy; see the daemon's events)",
			  cmd[0], strerror(err), agent);
	else
		log_error("run: %s: %s", cmd[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* No descriptor of the caller's but 0, 1 and 2 goes further. */
static int close_inherited_fds(void)
{
	return close_range(3, ~0U, 0) ? -errno : 0;
}

/*
 * A new anonymous session keyring, owned by whoever calls it: the caller's
 * session keyring (and every key in it) is no longer possessed. A kernel
 * without keys has nothing to inherit.
 */
static int fresh_session_keyring(void)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) >= 0 || errno == ENOSYS)
		return 0;
	return -errno;
}

static char **strv_to_argv(struct strv *sv)
{
	char **argv = calloc(sv->n + 1, sizeof(*argv));

	if (argv)
		memcpy(argv, sv->v, sv->n * sizeof(*argv));
	return argv;
}

/* Signals a parent passes on to the child it waits for. */
static void forwarded_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGCHLD);
}

/* Waits for pid, passing on the signals the caller gets; its exit status (128+N if killed). */
static int wait_forwarding(pid_t pid, const sigset_t *set)
{
	siginfo_t info;
	int status;

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (w < 0 && errno != EINTR)
			return EXIT_WARDEN_FAILED;
		if (sigwaitinfo(set, &info) > 0 && info.si_signo != SIGCHLD)
			kill(pid, info.si_signo);
	}
}

/*
 * Confined without a sandbox: the agent's cgroup, a new session and
 * keyring, the agent's environment with TMPDIR at its private tmp (the
 * host's /tmp is not the agent's to use). setsid fails for a process
 * group leader (an interactive shell makes every command one): then a
 * child takes the session and this process waits for it, outside the
 * agent's cgroup, so the agent never sees its environment.
 */
static int run_without_sandbox(const struct sandbox_spec *s, char **cmd)
{
	struct strv env = {};
	char tmpdir[PATH_MAX + 8], **envp = NULL;
	sigset_t set, old;
	int ret = EXIT_WARDEN_FAILED;
	pid_t pid;

	if (!s->tmp_dir) {
		log_error("run: agent %s has no private tmp directory (the daemon creates it under "
			  "%s/tmp); not running the command", s->agent, WARDEN_STATE_DIR);
		return EXIT_WARDEN_FAILED;
	}
	snprintf(tmpdir, sizeof(tmpdir), "TMPDIR=%s", s->tmp_dir);
	if (sandbox_environment(s, environ, &env) || strv_push(&env, tmpdir) ||
	    !(envp = strv_to_argv(&env))) {
		log_error("run: cannot build the environment of agent %s", s->agent);
		goto out;
	}
	if (setsid() < 0) {
		forwarded_signals(&set);
		sigprocmask(SIG_BLOCK, &set, &old);
		pid = fork();
		if (pid < 0) {
			log_error("run: fork: %m");
			goto out;
		}
		if (pid > 0) {
			ret = wait_forwarding(pid, &set);
			goto out;
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (setsid() < 0) {
			log_error("run: setsid: %m");
			goto out;
		}
	}
	if (place(s->agent, false))
		goto out;
	if (fresh_session_keyring()) {
		log_error("run: cannot join a new session keyring: %m");
		goto out;
	}
	ret = exec_command(s->agent, cmd, envp);
out:
	free(envp);
	strv_free(&env);
	return ret;
}

/* Becomes the agent's user and execs bwrap; returns only on failure. */
static int run_in_sandbox(const struct sandbox_spec *s, char **cmd)
{
	const char *bwrap = sandbox_bwrap_path();
	char stage[PATH_MAX], why[2 * PATH_MAX + 128];
	struct strv args = {}, staged = {};
	char **argv = NULL;
	uid_t uid;
	gid_t gid;
	ssize_t n;

	n = readlink("/proc/self/exe", stage, sizeof(stage) - 1);
	if (n <= 0) {
		log_error("run: cannot find warden's own binary: %m");
		return EXIT_WARDEN_FAILED;
	}
	stage[n] = '\0';
	if (!bwrap) {
		log_error("run: bubblewrap is not installed (looked for %s); not running the command",
			  "/usr/local/bin/bwrap, /usr/bin/bwrap, /bin/bwrap");
		return EXIT_WARDEN_FAILED;
	}
	if (user_ids(s->user, &uid, &gid)) {
		log_error("run: no such user \"%s\" for agent %s", s->user, s->agent);
		return EXIT_WARDEN_FAILED;
	}
	if (sandbox_argv(s, stage, cmd, environ, &args) || !(argv = strv_to_argv(&args))) {
		log_error("run: cannot build the sandbox command line for agent %s", s->agent);
		strv_free(&args);
		return EXIT_WARDEN_FAILED;
	}
	if (sandbox_check_destinations(s, why, sizeof(why))) {
		log_error("run: %s; not running the command", why);
		goto fail;
	}
	if (place(s->agent, true))
		goto fail;
	/*
	 * Staged in the agent's cgroup, in setup: the kernel keeps these mounts
	 * off symlinks the agent could have planted, as it keeps bwrap's.
	 */
	if (sandbox_stage_sources(argv, uid, gid, &staged, why, sizeof(why))) {
		log_error("run: %s; not running the command", why);
		goto fail;
	}
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		log_error("run: cannot become user %s: %m", s->user);
		goto fail;
	}
	if (fresh_session_keyring()) {
		log_error("run: cannot join a new session keyring: %m");
		goto fail;
	}
	/* bwrap's processes keep the environment they were started with in /proc */
	execve(bwrap, argv, (char *[]){ NULL });
	log_error("run: cannot start %s: %m", bwrap);
fail:
	free(argv);
	strv_free(&args);
	strv_free(&staged);
	return EXIT_WARDEN_FAILED;
}

/*
 * Runs CMD in a child and waits for it outside the agent's cgroup, so
 * that when CMD fails it can say what the run's refusals were (run_hint.h):
 * the child reports its cgroup id once placed. Signals to warden run go on
 * to the child.
 */
static int run_and_wait(const struct sandbox_spec *s, char **cmd, bool sandbox)
{
	sigset_t set, old;
	long log_start = run_log_size(EVENT_LOG);
	uint64_t run = 0;
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		log_error("run: pipe: %m; not running the command");
		return EXIT_WARDEN_FAILED;
	}
	forwarded_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid < 0) {
		log_error("run: fork: %m; not running the command");
		close(fds[0]);
		close(fds[1]);
		return EXIT_WARDEN_FAILED;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(fds[0]);
		report_fd = fds[1];
		_exit(sandbox ? run_in_sandbox(s, cmd) : run_without_sandbox(s, cmd));
	}
	close(fds[1]);
	status = wait_forwarding(pid, &set);
	if (read(fds[0], &run, sizeof(run)) != sizeof(run))
		run = 0; /* never placed: warden's own failure, already said */
	close(fds[0]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (status != 0 && run)
		run_print_hint(stderr, s->agent, run, status, run_refusals(EVENT_LOG, run, log_start));
	return status;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "no-sandbox", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *agent = NULL;
	bool sandbox = true, confined;
	json_object *req, *reply, *v;
	struct sandbox_spec spec = {};
	int c, ret;

	/* '+': options end at CMD, whose own options are its business */
	while ((c = getopt_long(argc, argv, "+a:nvh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': agent = optarg; break;
		case 'n': sandbox = false; break;
		case 'v': log_verbose = true; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return EXIT_WARDEN_FAILED;
		}
	}
	if (!agent || optind >= argc) {
		log_error("run: %s", agent ? "no command given" : "--agent NAME is required");
		run_usage(stderr);
		return EXIT_WARDEN_FAILED;
	}
	if (close_inherited_fds()) {
		log_error("run: cannot close inherited descriptors: %m; not running the command");
		return EXIT_WARDEN_FAILED;
	}
	req = request("spec", agent, false);
	reply = ask_daemon(req);
	json_object_put(req);
	if (!reply)
		return EXIT_WARDEN_FAILED;
	confined = !json_object_object_get_ex(reply, "confined", &v) || json_object_get_boolean(v);
	if (!confined) {
		/* an unconfined agent runs as the caller is: the policy says so */
		json_object_put(reply);
		return exec_command(agent, argv + optind, environ);
	}
	if (!json_object_object_get_ex(reply, "sandbox", &v) || sandbox_spec_from_json(v, &spec)) {
		log_error("run: the daemon sent no sandbox for agent %s; not running the command",
			  agent);
		json_object_put(reply);
		sandbox_spec_free(&spec);
		return EXIT_WARDEN_FAILED;
	}
	json_object_put(reply);
	ret = run_and_wait(&spec, argv + optind, sandbox);
	sandbox_spec_free(&spec);
	return ret;
}

/*
 * `warden sandbox-stage --agent NAME -- CMD...`: the first program inside a
 * sandbox. Refuses to run CMD unless this process is in one of NAME's
 * cgroups, which is what makes a half-finished `warden run` fail closed.
 */
int cmd_sandbox_stage(int argc, char **argv)
{
	char mine[4096], prefix[512];

	if (argc < 5 || strcmp(argv[1], "--agent") || strcmp(argv[3], "--")) {
		log_error("sandbox-stage is started by `warden run`, not by hand");
		return EXIT_WARDEN_FAILED;
	}
	snprintf(prefix, sizeof(prefix), "%s/%s/", WARDEN_CGROUP_DIR + strlen(CGROUP2_ROOT),
		 argv[2]);
	if (cgroup_of_pid(0, mine, sizeof(mine)) || strncmp(mine, prefix, strlen(prefix))) {
		log_error("run: the sandbox is not in a cgroup of agent %s; not running the command",
			  argv[2]);
		return EXIT_WARDEN_FAILED;
	}
	/* bwrap's own descriptors, had it left any, stay behind too */
	if (close_inherited_fds()) {
		log_error("run: cannot close inherited descriptors: %m; not running the command");
		return EXIT_WARDEN_FAILED;
	}
	return exec_command(argv[2], argv + 4, environ);
}
