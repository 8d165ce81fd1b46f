// SPDX-License-Identifier: GPL-2.0-only
/* warden: one binary, daemon and CLI. Dispatches to the command table. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary; /* NULL: internal, not listed */
};

static const struct command commands[] = {
	{ "daemon", cmd_daemon, "load the BPF LSM programs, enforce a policy, stream events" },
	{ "run", cmd_run, "run a command confined as an agent" },
	{ "attach", cmd_attach, "put an existing cgroup (a container) under an agent's policy" },
	{ "status", cmd_status, "is enforcement active; agents, cgroups, counters" },
	{ "events", cmd_events, "the event stream: execs, holds, decisions, denials" },
	{ "approvals", cmd_approvals, "list execs held for a human decision" },
	{ "approve", cmd_approve, "let a held exec run: once, --always, or --for DURATION" },
	{ "deny", cmd_deny, "refuse a held exec" },
	{ "init", cmd_init, "print a ready policy for an agent runtime (a profile)" },
	{ "check", cmd_check, "validate a policy file" },
	{ "reload", cmd_reload, "switch the daemon to a new policy atomically" },
	{ "audit", cmd_audit, "daily host and warden audit; silent when clean" },
	{ "unload", cmd_unload, "remove enforcement: detach and unpin everything" },
	{ "sandbox-stage", cmd_sandbox_stage, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: warden COMMAND [OPTIONS]\n\n"
		     "Kernel enforcement (BPF LSM) for hosts that run AI agents.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].summary)
			fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n`warden COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
	log_setup_libbpf();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("warden %s\n", WARDEN_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	log_error("unknown command \"%s\" (see warden --help)", argv[1]);
	return 2;
}
