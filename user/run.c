// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden run --agent NAME -- CMD...`: asks the daemon to place this process
 * in a fresh cgroup of the agent, checks that it is really there, then execs
 * CMD, so CMD and everything it starts are judged from their first exec.
 * Never runs CMD unconfined by accident: any failure before the exec exits
 * 125 without running it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "commands.h"
#include "control.h"
#include "log.h"

static void run_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden run --agent NAME [--] CMD [ARGS...]\n"
		"\n"
		"Runs CMD confined as agent NAME of the daemon's policy. The exit status is\n"
		"CMD's; 125 when warden fails (daemon not running, unknown agent), 126 when\n"
		"CMD cannot be executed (e.g. not on the agent's allowlist), 127 when not found.\n"
		"\n"
		"  -a, --agent NAME  the agent to run as\n"
		"  -h, --help        this text\n");
}

/* The daemon's reply must match where the kernel says this process is. */
static int verify_cgroup(const char *expected)
{
	char mine[4096];
	size_t root_len = strlen(CGROUP2_ROOT);

	if (cgroup_of_pid(0, mine, sizeof(mine)))
		return -EIO;
	if (strncmp(expected, CGROUP2_ROOT, root_len) || strcmp(expected + root_len, mine))
		return -EPERM;
	return 0;
}

static int join_agent(const char *agent)
{
	json_object *req = json_object_new_object(), *reply = NULL, *v;
	char err[1024];
	int ret;

	json_object_object_add(req, "op", json_object_new_string("run"));
	json_object_object_add(req, "agent", json_object_new_string(agent));
	ret = control_call(req, &reply, err, sizeof(err));
	json_object_put(req);
	if (ret) {
		log_error("run: %s; not running the command", err);
		return -1;
	}
	if (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v)) {
		log_error("run: %s; not running the command",
			  json_object_object_get_ex(reply, "error", &v) ? json_object_get_string(v)
									 : "the daemon refused");
		ret = -1;
	} else if (json_object_object_get_ex(reply, "confined", &v) &&
		   !json_object_get_boolean(v)) {
		log_debug("agent %s is not confined by the policy", agent);
	} else if (!json_object_object_get_ex(reply, "cgroup", &v) ||
		   verify_cgroup(json_object_get_string(v))) {
		log_error("run: this process is not in the agent's cgroup as the daemon reported; "
			  "not running the command");
		ret = -1;
	}
	json_object_put(reply);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *agent = NULL;
	int c;

	/* '+': options end at CMD, whose own options are its business */
	while ((c = getopt_long(argc, argv, "+a:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': agent = optarg; break;
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
	if (join_agent(agent))
		return EXIT_WARDEN_FAILED;
	execvp(argv[optind], argv + optind);
	c = errno;
	if (c == EPERM)
		log_error("run: %s: %s (refused by agent %s's exec policy; see the daemon's events)",
			  argv[optind], strerror(c), agent);
	else
		log_error("run: %s: %s", argv[optind], strerror(c));
	return c == ENOENT ? 127 : 126;
}
