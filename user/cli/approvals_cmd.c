// SPDX-License-Identifier: GPL-2.0-only
/* `warden approvals`, `warden approve ID [--always | --for DURATION]`, `warden deny ID`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "control.h"
#include "daemon_call.h"
#include "json.h"
#include "log.h"
#include "text.h"

/* "label value" with value escaped: agent-controlled text never reaches the terminal raw. */
static void print_field(const char *label, const char *value)
{
	printf("  %-9s ", label);
	text_fputs(value, stdout);
	putchar('\n');
}

static void print_argv(const char *label, json_object *argv)
{
	printf("  %-9s", label);
	for (size_t i = 0; argv && i < json_object_array_length(argv); i++) {
		putchar(' ');
		text_fputs_word(json_object_get_string(json_object_array_get_idx(argv, i)), stdout);
	}
	putchar('\n');
}

/* A destination or name of layer 6: nothing waits, a retry after approval passes. */
static void print_net_request(json_object *a)
{
	json_object *argv;
	bool dns = !strcmp(json_get_string(a, "op", ""), "dns");
	char line[512];

	printf("request %s: agent ", json_get_string(a, "id", ""));
	text_fputs(json_get_string(a, "agent", ""), stdout);
	if (dns) {
		printf(" looked up ");
		text_fputs(json_get_string(a, "name", ""), stdout);
		printf(" (refused; approving allows the name on any port: DNS carries no port)\n");
	} else {
		bool v6 = strchr(json_get_string(a, "addr", ""), ':');

		snprintf(line, sizeof(line), "%s%s%s:%s", v6 ? "[" : "", json_get_string(a, "addr", ""),
			 v6 ? "]" : "", json_get_string(a, "port", ""));
		printf(" wants to reach ");
		text_fputs(line, stdout);
		printf(" over %s (refused; a retry after approval passes)\n", json_get_string(a, "proto", ""));
		if (json_get_string(a, "name", "")[0])
			print_field("name:", json_get_string(a, "name", ""));
		json_object_object_get_ex(a, "argv", &argv);
		print_argv("argv:", argv);
		snprintf(line, sizeof(line), "%s (%s)", json_get_string(a, "pid", ""), json_get_string(a, "comm", ""));
		print_field("pid:", line);
	}
	printf("  %-9s %s; %s s until it lapses (nothing is granted then)\n", "since:",
	       json_get_string(a, "time", ""), json_get_string(a, "expiresInSeconds", ""));
}

static void print_request(json_object *a)
{
	json_object *argv, *parent, *script, *v;
	char line[256];

	if (!strcmp(json_get_string(a, "kind", ""), "net")) {
		print_net_request(a);
		return;
	}

	json_object_object_get_ex(a, "argv", &argv);
	json_object_object_get_ex(a, "parent", &parent);
	printf("request %s: agent ", json_get_string(a, "id", ""));
	text_fputs(json_get_string(a, "agent", ""), stdout);
	printf(" wants to run ");
	text_fputs(json_get_string(a, "binary", "")[0] ? json_get_string(a, "binary", "") : json_get_string(a, "path", ""), stdout);
	putchar('\n');
	print_argv("argv:", argv);
	if (json_object_object_get_ex(a, "argvTruncated", &v) && json_object_get_boolean(v))
		printf("  %-9s ONLY THE START OF THE ARGUMENTS IS SHOWN: the rest would run unseen "
		       "(approving needs --truncated-ok)\n", "warning:");
	print_field("cwd:", json_get_string(a, "cwd", ""));
	if (json_object_object_get_ex(a, "script", &script)) {
		snprintf(line, sizeof(line), "%s (inode %s:%s, sha256 %s)", json_get_string(script, "path", ""),
			 json_get_string(script, "dev", ""), json_get_string(script, "ino", ""), json_get_string(script, "sha256", ""));
		print_field("script:", line);
	}
	snprintf(line, sizeof(line), "%s (user %s), pids %s", json_get_string(a, "pid", ""), json_get_string(a, "user", ""),
		 json_get_string(a, "pids", ""));
	print_field("pid:", line);
	if (parent) {
		json_object *pargv;

		json_object_object_get_ex(parent, "argv", &pargv);
		printf("  %-9s %s ", "parent:", json_get_string(parent, "pid", ""));
		text_fputs(json_get_string(parent, "comm", ""), stdout);
		print_argv("", pargv);
	}
	if (json_object_object_get_ex(a, "writable", &v) && json_object_get_boolean(v))
		printf("  %-9s the agent may write this binary: only this run can be approved\n",
		       "note:");
	printf("  %-9s %s; %s s until the fallback (%s)\n", "since:", json_get_string(a, "time", ""),
	       json_get_string(a, "expiresInSeconds", ""), json_get_string(a, "fallback", ""));
}

static void approvals_usage(FILE *out)
{
	fprintf(out, "Usage: warden approvals [--json]\n\n"
		     "Lists the execs held for a human decision. --json: one object a line with\n"
		     "id, agent, pid, pids, path, binary, argv (argvTruncated when it did not\n"
		     "fit), cwd, user, parent, script (path, dev, ino, sha256 of an interpreter's\n"
		     "script), writable, time, deadline, expiresInSeconds and fallback. The\n"
		     "human view escapes control characters.\n\n"
		     "Network requests (network.ask \"on-miss\") have kind \"net\", op (connect,\n"
		     "sendmsg, dns), proto, addr, port, name (the name looked up, when known),\n"
		     "pid, comm and argv of the process (dns: name and qtype, pid 0, port 0 =\n"
		     "any). Their attempt was refused; a retry after approval passes.\n");
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
	reply = daemon_call(req, "approvals");
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
		fprintf(out, "Usage: warden approve ID [--always | --for DURATION] [--truncated-ok]\n\n"
			     "Lets held request ID run: exactly the processes it lists. Without options:\n"
			     "this once. --always: adds this binary (its identity and SHA-256, not its\n"
			     "path) to that agent's allowlist, live and persisted in\n"
			     "/var/lib/warden/approved.json; a replaced or changed file needs a new\n"
			     "decision. --for 10m: a grant of this binary for that agent that expires\n"
			     "in the kernel. Neither is possible for a binary the agent may write.\n"
			     "--truncated-ok: approve a request whose arguments were too long to show\n"
			     "whole.\n\n"
			     "A network request: without options, the agent's next connection to that\n"
			     "address and port (within 5 minutes); a name: its lookups for the next 10 s,\n"
			     "one connection to each address they return, any port. --for: until then.\n"
			     "--always: for the daemon's life, across reloads (not persisted).\n");
	else
		fprintf(out, "Usage: warden deny ID\n\n"
			     "Refuses held request ID: its process is killed before its program runs\n"
			     "a single instruction (the agent sees it die of SIGKILL). A network\n"
			     "request is dropped: nothing is granted, the next attempt is refused again.\n");
}

static int decide(int argc, char **argv, bool allow)
{
	static const struct option opts[] = {
		{ "always", no_argument, NULL, 'a' },
		{ "for", required_argument, NULL, 'f' },
		{ "truncated-ok", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_object *req, *reply;
	const char *duration = NULL;
	bool always = false, truncated_ok = false;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, allow ? "af:th" : "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': always = true; break;
		case 't': truncated_ok = true; break;
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
	if (truncated_ok)
		json_object_object_add(req, "truncatedOk", json_object_new_boolean(1));
	reply = daemon_call(req, allow ? "approve" : "deny");
	if (!reply)
		return 1;
	if (json_get_string(reply, "warning", "")[0])
		log_info("warning: %s", json_get_string(reply, "warning", ""));
	{
		const char *decision = json_get_string(reply, "decision", "");
		bool refused = !strcmp(decision, "changed") || !strcmp(decision, "escaped");

		printf("request %s: %s (%s for agent ", json_get_string(reply, "id", ""),
		       refused ? "killed instead" : allow ? "allowed" : "denied", decision);
		text_fputs(json_get_string(reply, "agent", ""), stdout);
		if (json_get_string(reply, "destination", "")[0]) {
			printf(", ");
			text_fputs(json_get_string(reply, "destination", ""), stdout);
			printf(")\n");
		} else {
			printf(", pids %s)\n", json_get_string(reply, "pids", ""));
		}
		if (refused) {
			json_object_put(reply);
			return 1;
		}
	}
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
