/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where a held process is, judged from the kernel's record of its hold and
 * what /proc says of it now: a pure function, so that every case of the
 * race it decides is a unit test (tests/unit/test_approvals.c).
 */
#ifndef WARDEN_HELD_STATE_H
#define WARDEN_HELD_STATE_H

#include <stdint.h>

enum held_check {
	HC_WAIT,    /* still on its way to the stop */
	HC_STOPPED, /* in the stop it entered when held, never woken */
	HC_ESCAPED, /* it ran while held */
	HC_GONE,
};

/*
 * held_state: the record's enum held_state; held_nvcsw: its voluntary
 * switches when it dequeued the hold's SIGSTOP; state: the /proc state
 * letter now; nvcsw: its voluntary switches now.
 */
enum held_check held_judge(uint32_t held_state, uint64_t held_nvcsw, char state, uint64_t nvcsw);

#endif
