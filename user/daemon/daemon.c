// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden daemon`: loads the BPF programs, applies the policy, serves the
 * control socket and streams events. One epoll loop handles the ring buffer,
 * the socket, signals (SIGHUP reloads, SIGINT/SIGTERM stop) and a timer that
 * removes the cgroups of finished runs; a thread keeps the heartbeat.
 * Here: start-up, policy application, the loop. The rest of the daemon is
 * in the files daemon.h lists.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <bpf/libbpf.h>

#include "agent_home.h"
#include "cgroup.h"
#include "daemon.h"
#include "file_cache.h"
#include "control.h"
#include "enforcer.h"
#include "events.h"
#include "log.h"
#include "net.h"

#define DEFAULT_POLICY "/etc/warden/policy.json"
#define TICK_INTERVAL_S 1 /* heartbeat, approval deadlines, finished runs */


/* ---- policy ---- */

/* mkdir -p path, owned by the agent's user so the sandboxed agent can write it. */
static void make_agent_dir(const struct agent_policy *a, const char *path, const char *what)
{
	const char *user = a->user ? a->user : DEFAULT_AGENT_USER;
	uid_t uid;
	gid_t gid;
	int err;

	if (!access(path, F_OK))
		return;
	err = cgroup_mkdir(path); /* a plain mkdir -p */
	if (!err && !user_ids(user, &uid, &gid) && chown(path, uid, gid))
		err = -errno;
	if (!err && chmod(path, 0700))
		err = -errno;
	if (err)
		log_error("cannot create %s %s of agent %s: %s", what, path, a->name, strerror(-err));
	else
		log_info("created %s %s of agent %s (owner %s)", what, path, a->name, user);
}

/*
 * Workspaces and private /tmp directories the policy implies but the host
 * lacks are created, so their rules can be keyed by inode from the start.
 */
static void ensure_agent_dirs(const struct policy *p)
{
	for (size_t i = 0; i < p->n_agents; i++) {
		const struct agent_policy *a = &p->agents[i];
		char tmp[PATH_MAX], err[PATH_MAX + 256];

		if (!a->confined)
			continue;
		if (a->workspace)
			make_agent_dir(a, a->workspace, "workspace");
		sandbox_tmp_dir(a->name, tmp, sizeof(tmp));
		make_agent_dir(a, tmp, "private /tmp");
		if (agent_home_sync(a, err, sizeof(err)))
			log_error("%s", err);
	}
}

/*
 * Loads, compiles and applies file. Nothing changes unless every step
 * succeeds; on failure err says why.
 */
static int apply_policy_file(struct daemon *d, const char *file, char *err, size_t errlen)
{
	struct compiled_policy compiled;
	struct watch_set watch;
	struct policy *p;
	bool changed;
	int ret;

	uint64_t started = monotonic_ms();

	p = policy_load(file, err, errlen);
	if (!p)
		return -EINVAL;
	ensure_agent_dirs(p);
	/* the new watches first, then what the old ones saw: no change falls between */
	watch_policy(p, &watch);
	changed = watch_drain(d);
	ret = policy_compile(p, &d->ids, d->generation + 1, &compiled, err, errlen);
	if (ret) {
		watch_fail(d, &watch, changed);
		policy_free(p);
		return ret;
	}
	approvals_add_grants(d, &compiled);
	approvals_add_always(d, p, &compiled);
	d->compile_ms = monotonic_ms() - started;
	d->files_reused = file_cache_reused();
	started = monotonic_ms();
	/* layer 6: the new egress sets under the other slot, resolver ports in the rules */
	ret = d->net ? net_prepare(d->net, p, &d->ids, &compiled, err, errlen) : 0;
	if (ret) {
		watch_fail(d, &watch, changed);
		compiled_policy_free(&compiled);
		policy_free(p);
		return ret;
	}
	ret = enforcer_apply(d->enforcer, &compiled);
	d->load_ms = monotonic_ms() - started;
	if (ret) {
		snprintf(err, errlen, "cannot load the compiled policy into the kernel: %s",
			 strerror(-ret));
		if (d->net)
			net_abort(d->net);
		watch_fail(d, &watch, changed);
		compiled_policy_free(&compiled);
		policy_free(p);
		return ret;
	}
	if (d->net)
		net_commit(d->net);
	d->generation++;
	d->n_rules = compiled.n_rules;
	compiled_policy_free(&d->active);
	d->active = compiled;
	policy_free(d->policy);
	d->policy = p;
	watch_install(d, &watch);
	return 0;
}

int daemon_reload(struct daemon *d, const char *file, char *err, size_t errlen)
{
	int ret;

	atomic_store(&d->busy_since_ms, monotonic_ms());
	ret = apply_policy_file(d, file, err, errlen);
	atomic_store(&d->busy_since_ms, 0);

	if (ret) {
		log_error("reload of %s failed, the previous policy stays in force: %s", file, err);
		return ret;
	}
	if (file != d->policy_file) {
		char *copy = strdup(file);

		if (copy) {
			free(d->policy_file);
			d->policy_file = copy;
		}
	}
	log_info("policy %s applied (generation %llu, %zu rules)", d->policy->path,
		 (unsigned long long)d->generation, d->n_rules);
	return 0;
}

/* ---- events ---- */

/* A record that is not a hold or a network ask: formatted and published at once. */
static void publish_record(struct daemon *d, const void *data, size_t len, const char *agent)
{
	jsonw_reset(&d->line);
	if (event_write_json(&d->line, data, len, agent, d->seq + 1, net_event_name(d->net, data, len)))
		return;
	d->seq++;
	publish_line(d, agent, d->line.buf, d->line.len, NULL);
}

static void publish_repeats(void *ctx, const struct file_event *report)
{
	struct daemon *d = ctx;

	publish_record(d, report, sizeof(*report), agent_ids_name(&d->ids, report->head.agent));
}

/* What the kernel folded of identical file denials since the last tick (all: at exit, and deleted). */
static void sweep_repeats(struct daemon *d, bool all)
{
	int fd = enforcer_map_fd(d->enforcer, "warden_repeats");

	/* first the records still in the ring: a report is made of the denial it repeats */
	ring_buffer__consume(d->ring);
	if (fd >= 0)
		repeats_sweep(&d->repeats, fd, boottime_ns(), all, publish_repeats, d);
}

/*
 * A record from the ring buffer. Most are written straight to text and
 * published as they are; a hold and a network "ask" build an object first,
 * for the approval they start.
 */
static int on_event(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;
	const struct event_head *h = data;
	const char *agent;
	bool hold, net_ask;
	json_object *ev;

	if (len < sizeof(*h) || h->agent == WARDEN_AGENT_SELFTEST)
		return 0;
	agent = agent_ids_name(&d->ids, h->agent);
	hold = h->type == EVENT_EXEC && h->verdict == VERDICT_HOLD;
	net_ask = h->type == EVENT_NET && h->reason == REASON_NET_ASK;
	if (!hold && !net_ask) {
		if (h->type == EVENT_FILE && len >= sizeof(struct file_event))
			repeats_remember(&d->repeats, data);
		publish_record(d, data, len, agent);
		return 0;
	}
	jsonw_reset(&d->line);
	if (event_write_json(&d->line, data, len, agent, d->seq + 1,
			     net_event_name(d->net, data, len)))
		return 0;
	ev = json_tokener_parse(d->line.buf);
	if (!ev)
		return 0;
	if (net_ask)
		net_ask_destination(d, ev, data);
	if (hold) {
		approvals_on_hold(d, ev, data);
		return 0;
	}
	publish(d, ev);
	return 0;
}

/* ---- the loop ---- */

#define HEARTBEAT_EVERY_US 500000
#define LOOP_STALL_MS 3000      /* the loop turns at least every TICK_INTERVAL_S */
#define BUSY_MAX_MS (5 * 60000) /* a long step that takes longer is a stuck one */

static void *heartbeat_main(void *arg)
{
	struct daemon *d = arg;
	pid_t self = getpid();

	while (!atomic_load(&d->heartbeat_stop)) {
		uint64_t now = monotonic_ms(), busy = atomic_load(&d->busy_since_ms);

		if (now - atomic_load(&d->loop_turn_ms) < LOOP_STALL_MS ||
		    (busy && now - busy < BUSY_MAX_MS))
			enforcer_heartbeat(d->enforcer, self);
		usleep(HEARTBEAT_EVERY_US);
	}
	return NULL;
}

static int start_heartbeat(struct daemon *d)
{
	int err;

	atomic_store(&d->loop_turn_ms, monotonic_ms());
	err = pthread_create(&d->heartbeat_thread, NULL, heartbeat_main, d);
	if (err)
		return -err;
	d->heartbeat_running = true;
	return 0;
}

static void stop_heartbeat(struct daemon *d)
{
	if (!d->heartbeat_running)
		return;
	atomic_store(&d->heartbeat_stop, true);
	pthread_join(d->heartbeat_thread, NULL);
	d->heartbeat_running = false;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	char err[2048];

	while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			daemon_reload(d, d->policy_file, err, sizeof(err));
		else
			d->stop = true;
	}
}

static int watch(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_loop(struct daemon *d)
{
	struct itimerspec every = { .it_interval.tv_sec = TICK_INTERVAL_S,
				    .it_value.tv_sec = TICK_INTERVAL_S };
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->settle_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->signal_fd < 0 || d->timer_fd < 0 || d->settle_fd < 0 || d->epoll_fd < 0)
		return -errno;
	if (timerfd_settime(d->timer_fd, 0, &every, NULL))
		return -errno;
	d->ring = ring_buffer__new(enforcer_events_fd(d->enforcer), on_event, d, NULL);
	if (!d->ring)
		return -errno;
	err = watch(d->epoll_fd, d->signal_fd);
	err = err ?: watch(d->epoll_fd, d->timer_fd);
	err = err ?: watch(d->epoll_fd, d->settle_fd);
	err = err ?: watch(d->epoll_fd, d->listen_fd);
	err = err ?: watch(d->epoll_fd, ring_buffer__epoll_fd(d->ring));
	err = err ?: watch(d->epoll_fd, net_fd(d->net));
	/* the first policy's watches were made before the loop had its epoll set */
	if (!err && d->watch.fd >= 0)
		err = watch(d->epoll_fd, d->watch.fd);
	return err;
}

/*
 * Ordinary ring-buffer records do not wake the daemon (bpf/common.bpf.h
 * ring_wakeup): each turn of the loop drains the ring, and a turn comes at
 * least every DRAIN_MS. Holds, network asks and a ring an eighth full wake
 * it at once.
 */
#define DRAIN_MS 25

static int run_loop(struct daemon *d)
{
	while (!d->stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(d->epoll_fd, evs, 8, DRAIN_MS);

		if (n < 0 && errno != EINTR)
			return -errno;
		atomic_store(&d->loop_turn_ms, monotonic_ms());
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == d->signal_fd) {
				on_signal(d);
			} else if (fd == d->timer_fd) {
				uint64_t ticks;

				if (read(d->timer_fd, &ticks, sizeof(ticks)) > 0) {
					approvals_tick(d);
					sweep_cgroups(d);
					reresolve_if_due(d);
					net_tick(d->net);
					sweep_repeats(d, false);
				}
			} else if (fd == d->listen_fd) {
				accept_clients(d);
			} else if (fd == d->watch.fd) {
				on_inotify(d);
			} else if (fd == net_fd(d->net)) {
				net_on_ready(d->net);
			} else if (fd == d->settle_fd) {
				approvals_on_settle_timer(d);
			} else if (fd == ring_buffer__epoll_fd(d->ring)) {
				ring_buffer__consume(d->ring);
			} else if (!approvals_on_pidfd(d, fd)) {
				epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, fd, NULL); /* a stale pidfd */
			}
		}
		ring_buffer__consume(d->ring); /* no syscall when empty: the ring is mapped */
		events_flush(d); /* one write per sink a turn; a slow subscriber's backlog too */
	}
	ring_buffer__consume(d->ring); /* what arrived before the stop */
	sweep_repeats(d, true);
	events_flush(d);
	return 0;
}

static void daemon_cleanup(struct daemon *d)
{
	stop_heartbeat(d);
	if (d->enforcer) {
		/* no held process is left behind: each gets its fallback */
		approvals_shutdown(d);
		enforcer_heartbeat(d->enforcer, 0);
	}
	events_close(d);
	repeats_free(&d->repeats);
	ring_buffer__free(d->ring);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(WARDEN_SOCKET);
	}
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	if (d->settle_fd >= 0)
		close(d->settle_fd);
	if (d->epoll_fd >= 0)
		close(d->epoll_fd);
	watch_set_close(&d->watch);
	for (size_t i = 0; i < d->n_cgroups; i++)
		free(d->cgroups[i].path);
	free(d->cgroups);
	net_close(d->net);
	enforcer_close(d->enforcer);
	if (d->unload)
		enforcer_unpin();
	compiled_policy_free(&d->active);
	policy_free(d->policy);
	agent_ids_free(&d->ids);
	free(d->policy_file);
}

static void daemon_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden daemon [--policy FILE] [--json] [--verbose]\n"
		"\n"
		"Loads and pins the BPF LSM programs, applies FILE (default %s), serves\n"
		"the control socket %s and prints the events of confined agents.\n"
		"SIGHUP reloads FILE. SIGINT/SIGTERM stop the daemon, not enforcement: the\n"
		"pinned programs keep the policy in force (held execs get their askFallback)\n"
		"until a new daemon takes over; `warden unload` is what removes them.\n"
		"\n"
		"  -p, --policy FILE  policy to enforce\n"
		"  -j, --json         events as one JSON object a line\n"
		"  -v, --verbose      libbpf's log and more detail\n"
		"  -h, --help         this text\n",
		DEFAULT_POLICY, WARDEN_SOCKET);
}

int cmd_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct daemon d = { .listen_fd = -1, .signal_fd = -1, .timer_fd = -1, .epoll_fd = -1,
			    .settle_fd = -1,
			    .watch = { .fd = -1 } };
	const char *policy_file = DEFAULT_POLICY;
	char err[2048];
	int c, ret;

	while ((c = getopt_long(argc, argv, "p:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy_file = optarg; break;
		case 'j': d.json = true; break;
		case 'v': log_verbose = true; break;
		case 'h': daemon_usage(stdout); return 0;
		default: daemon_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		daemon_usage(stderr);
		return 2;
	}
	if (geteuid()) {
		log_error("daemon: must run as root (it loads BPF programs)");
		return 1;
	}
	{
		/* one descriptor per directory rule is held (fs_rules.c): room for big policies */
		struct rlimit nofile;

		if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
			nofile.rlim_cur = nofile.rlim_max;
			setrlimit(RLIMIT_NOFILE, &nofile);
		}
	}

	/* Everything that can be checked without the kernel, first. */
	d.policy_file = realpath(policy_file, NULL);
	d.policy = policy_load(policy_file, err, sizeof(err));
	if (!d.policy || !d.policy_file) {
		log_error("%s", d.policy ? strerror(errno) : err);
		ret = 1;
		goto out;
	}
	if (bpf_lsm_check(err, sizeof(err))) {
		log_error("%s", err);
		ret = 1;
		goto out;
	}
	if ((ret = cgroup2_check(CGROUP2_ROOT))) {
		log_error("%s is not a cgroup2 filesystem (%s): warden needs the unified hierarchy",
			  CGROUP2_ROOT, strerror(-ret));
		ret = 1;
		goto out;
	}
	d.listen_fd = control_listen(WARDEN_SOCKET);
	if (d.listen_fd < 0) {
		if (d.listen_fd == -EADDRINUSE)
			log_error("another warden daemon is already running (it answers on %s)",
				  WARDEN_SOCKET);
		else
			log_error("cannot listen on %s: %s", WARDEN_SOCKET, strerror(-d.listen_fd));
		ret = 1;
		goto out;
	}

	{
		static char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n > 0) {
			self[n] = '\0';
			compile_set_self_binary(self);
		}
	}
	d.enforcer = enforcer_open(err, sizeof(err));
	if (!d.enforcer) {
		log_error("%s", err);
		ret = 1;
		goto out;
	}
	d.generation = enforcer_generation(d.enforcer);
	d.net = net_open(&d, d.enforcer, d.generation);
	if (!d.net) {
		log_error("cannot set up the network layer: %s", strerror(errno));
		ret = 1;
		goto out;
	}
	if (enforcer_adopted(d.enforcer))
		log_info("adopted the pinned state of an earlier daemon: its policy (generation %llu), "
			 "cgroups and held processes stayed in force", (unsigned long long)d.generation);
	policy_free(d.policy);
	d.policy = NULL;
	if (apply_policy_file(&d, d.policy_file, err, sizeof(err)) ||
	    enforcer_self_test(d.enforcer, err, sizeof(err))) {
		log_error("%s", err);
		ret = 1;
		goto out;
	}
	if ((ret = cgroup_mkdir(WARDEN_CGROUP_DIR))) {
		log_error("cannot create %s: %s", WARDEN_CGROUP_DIR, strerror(-ret));
		ret = 1;
		goto out;
	}
	adopt_existing_cgroups(&d);
	adopt_registered_cgroups(&d);
	if ((ret = events_open_log(&d)))
		log_error("cannot open the event log %s: %s (events go to stdout only)", EVENT_LOG,
			  strerror(-ret));
	enforcer_heartbeat(d.enforcer, getpid());
	if ((ret = setup_loop(&d)) || (ret = start_heartbeat(&d))) {
		log_error("daemon: cannot set up the event loop: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	approvals_adopt_held(&d); /* after the loop's setup: their pidfds are watched */
	log_info("enforcing %s (generation %llu, %zu agents, %zu rules); control socket %s",
		 d.policy_file, (unsigned long long)d.generation, d.policy->n_agents, d.n_rules,
		 WARDEN_SOCKET);
	ret = run_loop(&d) ? 1 : 0;
	if (d.unload)
		log_info("unloading: pending approvals get their fallback, then the programs detach "
			 "and the pins under %s go", WARDEN_PIN_DIR);
	else
		log_info("stopping: enforcement stays in the kernel (pinned under %s); a new daemon "
			 "adopts it, `warden unload` removes it", WARDEN_PIN_DIR);
out:
	daemon_cleanup(&d);
	return ret;
}
