// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel marks the stop (exec.bpf.c, signal_deliver) right before the
 * task goes to sleep in do_signal_stop(): nvcsw then. Between that mark and
 * the sleep the task is still running on its CPU, first as 'R', then, once
 * do_signal_stop() has set TASK_STOPPED, as 'T' while it notifies its
 * parent (SIGCHLD, CLD_STOPPED) and until schedule() switches it out; the
 * parent it wakes may preempt it right there, for as long as the parent
 * runs. All of that is "not asleep yet": same nvcsw, either letter.
 *
 * The sleep itself adds exactly one voluntary switch. A task that ran after
 * it must have been woken, and every later switch adds more: nvcsw past
 * the mark + 1 is a wake-up, whatever the letter. A task woken before it
 * slept (a SIGCONT inside the window) keeps the mark's nvcsw and shows 'R':
 * it is "not asleep yet" here too, and is caught elsewhere: the kernel's
 * own SIGCONT follows a SIGHUP, whose delivery kills it (exec.bpf.c); a
 * user's is refused (process.bpf.c); and a hold that never reaches its
 * stop is killed after STOP_WAIT_MS (holds.c).
 */
#include "held_state.h"
#include "warden.h"

enum held_check held_judge(uint32_t held_state, uint64_t held_nvcsw, char state, uint64_t nvcsw)
{
	if (held_state == HELD_ESCAPED)
		return HC_ESCAPED;
	if (state == 'Z' || state == 'X' || !state)
		return HC_GONE;
	if (held_state == HELD_COMMITTED)
		return HC_WAIT; /* its SIGSTOP not dequeued yet */
	if (held_state != HELD_STOPPED)
		return HC_ESCAPED;
	if (nvcsw == held_nvcsw)
		return HC_WAIT; /* marked, not asleep yet ('R', or 'T' before schedule()) */
	if (nvcsw == held_nvcsw + 1 && state == 'T')
		return HC_STOPPED;
	return HC_ESCAPED;
}
