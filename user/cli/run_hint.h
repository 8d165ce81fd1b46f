/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What `warden run` says when CMD fails: a runtime that dies inside warden
 * often prints nothing useful (a bare 127, a silent exit), while every
 * refusal that caused it is an event. One line names how many refusals the
 * run had and the command that lists them.
 */
#ifndef WARDEN_RUN_HINT_H
#define WARDEN_RUN_HINT_H

#include <stdint.h>
#include <stdio.h>

/*
 * Refusals (verdict "deny") of run (a cgroup id) in the event log file
 * path from byte from on (its size when the run started: a long log is
 * not read again for each run), -errno when it cannot be read. Waits
 * briefly for the daemon to write the run's last events (its log trails
 * its stream).
 */
int run_refusals(const char *path, uint64_t run, long from);

/* The log's size now (0 when there is none): from for run_refusals. */
long run_log_size(const char *path);

/* Prints the hint for agent's run that ended with status to out. */
void run_print_hint(FILE *out, const char *agent, uint64_t run, int status, int refusals);

#endif
