// SPDX-License-Identifier: GPL-2.0-only
/*
 * Holds on their way to the stop: a held exec becomes a request once the
 * kernel says it took its SIGSTOP (polled every few ms while any waits);
 * one that never gets there is killed.
 */
#include <errno.h>
#include <signal.h>
#include <sys/timerfd.h>

#include "array.h"
#include "clock.h"
#include "daemon.h"
#include "enforcer.h"
#include "log.h"

#define STOP_WAIT_MS 5000          /* a hold that never reaches its stop is killed */
#define SETTLE_POLL_NS 5000000     /* 5 ms */

/* ---- holds on their way to the stop ---- */

void drop_waiting(struct daemon *d, size_t i)
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
void take_hold(struct daemon *d, json_object *ev, uint32_t agent_id, uint64_t dev,
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
