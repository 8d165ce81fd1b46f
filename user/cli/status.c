// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden status`: asks the daemon what it enforces. Exit 0 when the daemon
 * is up and enforcing, 1 when not (so scripts can gate agents on it).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "control.h"
#include "enforcer.h"
#include "log.h"
#include "text.h"

static void status_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden status [--json]\n"
		"\n"
		"Shows whether the daemon is up and enforcing, the policy and its generation,\n"
		"each agent with its cgroups, and the kernel's counters (allowed, denied,\n"
		"dropped events). Exit 0 when enforcing, 1 when not.\n"
		"\n"
		"  -j, --json  one JSON object\n"
		"  -h, --help  this text\n");
}

/* A field for the human view, escaped (a few at a time may be live in one printf). */
static const char *get_str(json_object *o, const char *key)
{
	static char bufs[8][1024];
	static unsigned int next;
	char *buf = bufs[next++ % 8];
	json_object *v;

	text_escape(buf, sizeof(bufs[0]),
		    json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "?");
	return buf;
}

static void print_human(json_object *st)
{
	json_object *agents, *counters;

	printf("enforcing: yes (daemon pid %s)\n", get_str(st, "daemonPid"));
	printf("policy:    %s (generation %s, %s rules)\n", get_str(st, "policy"),
	       get_str(st, "generation"), get_str(st, "rules"));
	if (json_object_object_get_ex(st, "agents", &agents)) {
		printf("agents:\n");
		for (size_t i = 0; i < json_object_array_length(agents); i++) {
			json_object *a = json_object_array_get_idx(agents, i), *cg;

			json_object_object_get_ex(a, "cgroups", &cg);
			if (strcmp(get_str(a, "confined"), "true")) {
				printf("  %-16s unconfined\n", get_str(a, "name"));
				continue;
			}
			printf("  %-16s confined   exec=%-9s cgroups=%zu (%s with processes)\n",
			       get_str(a, "name"), get_str(a, "execSecurity"),
			       cg ? json_object_array_length(cg) : 0, get_str(a, "activeCgroups"));
		}
	}
	if (json_object_object_get_ex(st, "counters", &counters))
		printf("counters:  exec allowed %s, exec denied %s, file denied %s, "
		       "process denied %s, events dropped %s\n",
		       get_str(counters, "execAllowed"), get_str(counters, "execDenied"),
		       get_str(counters, "fileDenied"), get_str(counters, "processDenied"),
		       get_str(counters, "eventsDropped"));
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_object *req, *reply = NULL, *v;
	char err[1024], lsm_err[1024];
	bool json = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': status_usage(stdout); return 0;
		default: status_usage(stderr); return 2;
		}
	}
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("status"));
	ret = control_call(req, &reply, err, sizeof(err));
	json_object_put(req);
	if (!ret && json_object_object_get_ex(reply, "ok", &v) && !json_object_get_boolean(v)) {
		/* the daemon answered, and refused (e.g. a caller inside an agent) */
		snprintf(err, sizeof(err), "the daemon refused: %s",
			 json_object_object_get_ex(reply, "error", &v) ? json_object_get_string(v) : "?");
		json_object_put(reply);
		ret = -EPERM;
	}
	if (ret) {
		bool lsm = !bpf_lsm_check(lsm_err, sizeof(lsm_err));

		if (json) {
			reply = json_object_new_object();
			json_object_object_add(reply, "enforcing", json_object_new_boolean(0));
			json_object_object_add(reply, "bpfLsm", json_object_new_boolean(lsm));
			json_object_object_add(reply, "error", json_object_new_string(err));
			puts(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
			json_object_put(reply);
		} else {
			printf("enforcing: no (%s)\n", err);
			printf("bpf lsm:   %s\n", lsm ? "active in this kernel" : lsm_err);
		}
		return 1;
	}
	if (json)
		puts(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_human(reply);
	json_object_put(reply);
	return 0;
}
