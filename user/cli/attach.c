// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden attach --agent NAME --cgroup PATH`: puts an existing cgroup (a
 * Docker container's scope, a systemd unit's) under NAME's kernel policy.
 * Every process in that cgroup is judged from then on. The namespaces,
 * mounts, user and environment stay the container runtime's business.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "control.h"
#include "daemon_call.h"
#include "log.h"

static void attach_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden attach --agent NAME --cgroup PATH\n"
		"\n"
		"Puts the existing cgroup PATH (e.g. /sys/fs/cgroup/system.slice/docker-ID.scope)\n"
		"under agent NAME's kernel policy: exec allowlist, file rules, process guards.\n"
		"Processes already in it are covered from now on. Only that cgroup is managed,\n"
		"not cgroups created below it later. The sandbox (namespaces, binds, user,\n"
		"environment) is not built: that stays with the container runtime.\n"
		"\n"
		"  -a, --agent NAME    the agent whose policy applies\n"
		"  -c, --cgroup PATH   the cgroup directory (cgroup2)\n"
		"  -h, --help          this text\n");
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *agent = NULL, *cgroup = NULL;
	json_object *req, *reply = NULL;
	char abs[PATH_MAX];
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "a:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': agent = optarg; break;
		case 'c': cgroup = optarg; break;
		case 'h': attach_usage(stdout); return 0;
		default: attach_usage(stderr); return 2;
		}
	}
	if (!agent || !cgroup || optind != argc) {
		attach_usage(stderr);
		return 2;
	}
	if (!realpath(cgroup, abs)) {
		log_error("attach: %s: %m", cgroup);
		return 1;
	}
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("attach"));
	json_object_object_add(req, "agent", json_object_new_string(agent));
	json_object_object_add(req, "cgroup", json_object_new_string(abs));
	reply = daemon_call(req, "attach");
	if (reply) {
		printf("%s is now confined as agent %s\n", abs, agent);
		ret = 0;
	}
	json_object_put(reply);
	return ret;
}
