/* SPDX-License-Identifier: GPL-2.0-only */
/* The CLI's commands: each takes its own argv (argv[0] is the command name). */
#ifndef WARDEN_COMMANDS_H
#define WARDEN_COMMANDS_H

#define WARDEN_VERSION "0.1.0"

/* Exit status of `warden run` when warden itself fails (as env(1) and timeout(1) do). */
#define EXIT_WARDEN_FAILED 125

int cmd_daemon(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_approvals(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_deny(int argc, char **argv);
int cmd_sandbox_stage(int argc, char **argv);

#endif
