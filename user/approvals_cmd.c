// SPDX-License-Identifier: GPL-2.0-only
/* `warden approvals`, `warden approve ID [--always | --for DURATION]`, `warden deny ID`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "control.h"
#include "log.h"

/* Sends req (consumed); the reply when ok, else prints the error and returns NULL. */
static json_object *call(json_object *req, const char *what)
{
	json_object *reply = NULL, *v;
	char err[1024];
	int ret = control_call(req, &reply, err, sizeof(err));

	json_object_put(req);
	if (ret) {
		log_error("%s: %s", what, err);
		return NULL;
	}
	if (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v)) {
		log_error("%s: %s", what, json_object_object_get_ex(reply, "error", &v)
						  ? json_object_get_string(v) : "refused");
		json_object_put(reply);
		return NULL;
	}
	return reply;
}

static const char *field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static void print_request(json_object *a)
{
	json_object *argv, *parent;

	json_object_object_get_ex(a, "argv", &argv);
	json_object_object_get_ex(a, "parent", &parent);
	printf("request %s: agent %s wants to run %s\n", field(a, "id"), field(a, "agent"),
	       field(a, "binary")[0] ? field(a, "binary") : field(a, "path"));
	printf("  argv:     %s\n", argv ? json_object_to_json_string_ext(argv, JSON_C_TO_STRING_PLAIN)
				       : "[]");
	printf("  cwd:      %s\n", field(a, "cwd"));
	printf("  pid:      %s (user %s), pids %s\n", field(a, "pid"), field(a, "user"),
	       field(a, "pids"));
	if (parent)
		printf("  parent:   %s %s %s\n", field(parent, "pid"), field(parent, "comm"),
		       field(parent, "argv"));
	printf("  since:    %s; %s s until the fallback (%s)\n", field(a, "time"),
	       field(a, "expiresInSeconds"), field(a, "fallback"));
}

static void approvals_usage(FILE *out)
{
	fprintf(out, "Usage: warden approvals [--json]\n\n"
		     "Lists the execs held for a human decision. --json: one object a line with\n"
		     "id, agent, pid, pids, path, binary, argv, cwd, user, parent, time, deadline,\n"
		     "expiresInSeconds and fallback.\n");
}

int cmd_approvals(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, {},
	};
	json_object *req = json_object_new_object(), *reply, *list;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': approvals_usage(stdout); json_object_put(req); return 0;
		default: approvals_usage(stderr); json_object_put(req); return 2;
		}
	}
	json_object_object_add(req, "op", json_object_new_string("approvals"));
	reply = call(req, "approvals");
	if (!reply)
		return 1;
	json_object_object_get_ex(reply, "approvals", &list);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *a = json_object_array_get_idx(list, i);

		if (json)
			puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_request(a);
	}
	if (!json && (!list || !json_object_array_length(list)))
		printf("no pending requests\n");
	json_object_put(reply);
	return 0;
}

static void decide_usage(FILE *out, bool allow)
{
	if (allow)
		fprintf(out, "Usage: warden approve ID [--always | --for DURATION]\n\n"
			     "Lets held request ID run. Without options: this once. --always: adds\n"
			     "the binary to that agent's allowlist, live and persisted in\n"
			     "/var/lib/warden/approved.json (review or delete it there). --for 10m:\n"
			     "a grant for that agent that expires in the kernel.\n");
	else
		fprintf(out, "Usage: warden deny ID\n\n"
			     "Refuses held request ID: its process is killed before its program runs\n"
			     "a single instruction (the agent sees it die of SIGKILL).\n");
}

static int decide(int argc, char **argv, bool allow)
{
	static const struct option opts[] = {
		{ "always", no_argument, NULL, 'a' },
		{ "for", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_object *req, *reply;
	const char *duration = NULL;
	bool always = false;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, allow ? "af:h" : "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': always = true; break;
		case 'f': duration = optarg; break;
		case 'h': decide_usage(stdout, allow); return 0;
		default: decide_usage(stderr, allow); return 2;
		}
	}
	if (optind + 1 != argc || (always && duration)) {
		decide_usage(stderr, allow);
		return 2;
	}
	strtoull(argv[optind], &end, 10);
	if (!argv[optind][0] || *end) {
		log_error("%s: \"%s\" is not a request id (see `warden approvals`)",
			  allow ? "approve" : "deny", argv[optind]);
		return 2;
	}
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string(allow ? "approve" : "deny"));
	json_object_object_add(req, "id", json_object_new_uint64(strtoull(argv[optind], NULL, 10)));
	if (always)
		json_object_object_add(req, "always", json_object_new_boolean(1));
	if (duration)
		json_object_object_add(req, "for", json_object_new_string(duration));
	reply = call(req, allow ? "approve" : "deny");
	if (!reply)
		return 1;
	if (field(reply, "warning")[0])
		log_info("warning: %s", field(reply, "warning"));
	printf("request %s: %s (%s for agent %s)\n", field(reply, "id"),
	       allow ? "allowed" : "denied", field(reply, "decision"), field(reply, "agent"));
	json_object_put(reply);
	return 0;
}

int cmd_approve(int argc, char **argv)
{
	return decide(argc, argv, true);
}

int cmd_deny(int argc, char **argv)
{
	return decide(argc, argv, false);
}
