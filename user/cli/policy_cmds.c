// SPDX-License-Identifier: GPL-2.0-only
/* `warden check FILE` and `warden reload [--policy FILE]`. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "check_warnings.h"
#include "commands.h"
#include "compile.h"
#include "control.h"
#include "daemon_call.h"
#include "log.h"
#include "policy.h"
#include "strv.h"

static void check_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden check FILE\n"
		"\n"
		"Validates a policy file: the schema, and that every safeBins entry resolves\n"
		"to a binary on this host. Errors name the file, the JSON location and the\n"
		"reason. Exit 0 and a summary when valid (the agents, the kernel rules, and\n"
		"the deny patterns, which match every component of a path), 1 otherwise.\n");
}

/* What a deny pattern means is easy to get wrong: say it with the summary. */
static void print_deny_patterns(const struct policy *p)
{
	struct strv seen = {};

	for (size_t i = 0; i <= p->n_agents; i++) {
		const struct agent_policy *a = i < p->n_agents ? &p->agents[i] : &p->defaults;

		for (size_t j = 0; j < a->fs.deny.n; j++)
			if (a->fs.deny.v[j][0] != '/' && !strv_contains(&seen, a->fs.deny.v[j]))
				strv_push(&seen, a->fs.deny.v[j]);
	}
	if (seen.n) {
		printf("  deny patterns match every component of a path (\"%s\" also refuses "
		       "everything below a directory of that name):", seen.v[0]);
		for (size_t i = 0; i < seen.n; i++)
			printf(" %s", seen.v[i]);
		printf("\n");
	}
	strv_free(&seen);
}

static bool is_root_user(const char *user)
{
	return user && (!strcmp(user, "root") || !strcmp(user, "0"));
}

/*
 * Things that are valid but that a reader of the policy should know:
 * unrestricted egress; an agent whose sandbox user is root keeps only the default capabilities
 * and the kernel's other root limits (README: "Root inside an agent"),
 * but root is still more than most agents need.
 */
static void check_warnings(const struct policy *p)
{
	for (size_t i = 0; i < p->n_agents; i++) {
		const struct agent_policy *a = &p->agents[i];

		check_agent_warnings(p, a, stderr);
		if (a->confined && a->network == NETWORK_HOST)
			fprintf(stderr, "warden: warning: %s: agents.%s.network: \"host\" is unrestricted "
				"egress: any allowed program can send anything anywhere; list what it "
				"may reach with {\"egress\": [...]}\n", p->path, a->name);
		if (!a->confined || !is_root_user(a->user))
			continue;
		fprintf(stderr, "warden: warning: %s: agents.%s.user: the agent runs as root; warden "
			"holds it to its policy and the capabilities %s%s, but an unprivileged "
			"user (the default, \"nobody\") is safer\n", p->path, a->name,
			cap_default_names(), a->capabilities ? " plus its \"capabilities\"" : "");
	}
}

int cmd_check(int argc, char **argv)
{
	struct agent_ids ids = {};
	struct compiled_policy compiled;
	size_t confined = 0;
	struct policy *p;
	char err[2048];
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		check_usage(stdout);
		return 0;
	}
	if (argc != 2) {
		check_usage(stderr);
		return 2;
	}
	p = policy_load(argv[1], err, sizeof(err));
	if (!p) {
		log_error("%s", err);
		return 1;
	}
	ret = policy_compile(p, &ids, 1, &compiled, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		policy_free(p);
		agent_ids_free(&ids);
		return 1;
	}
	for (size_t i = 0; i < p->n_agents; i++)
		confined += p->agents[i].confined;
	check_warnings(p);
	for (size_t i = 0; i < p->n_agents; i++)
		for (size_t j = 0; j < p->agents[i].contributed.n; j++)
			printf("agents.%s: from profile %s\n", p->agents[i].name,
			       p->agents[i].contributed.v[j]);
	printf("%s: valid: %zu agents (%zu confined), %zu kernel rules\n", argv[1], p->n_agents,
	       confined, compiled.n_rules);
	print_deny_patterns(p);
	compiled_policy_free(&compiled);
	policy_free(p);
	agent_ids_free(&ids);
	return 0;
}

static void reload_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden reload [--policy FILE]\n"
		"\n"
		"Makes the daemon compile FILE (default: the file it runs) and switch the\n"
		"kernel to it in one step. A policy that fails to validate or compile changes\n"
		"nothing; the error is printed and the exit status is 1.\n"
		"\n"
		"  -p, --policy FILE  the new policy\n"
		"  -h, --help         this text\n");
}

int cmd_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_object *req = json_object_new_object(), *reply = NULL;
	char abs[PATH_MAX];
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			/* the daemon has its own working directory */
			if (!realpath(optarg, abs)) {
				log_error("reload: %s: %m", optarg);
				goto out;
			}
			json_object_object_add(req, "policy", json_object_new_string(abs));
			break;
		case 'h': reload_usage(stdout); ret = 0; goto out;
		default: reload_usage(stderr); ret = 2; goto out;
		}
	}
	json_object_object_add(req, "op", json_object_new_string("reload"));
	reply = daemon_call(req, "reload");
	req = NULL; /* consumed */
	if (!reply)
		goto out;
	printf("policy %s in force (generation %s, %s rules; compiled in %s ms, loaded in %s ms; "
	       "%s file identities reused)\n",
	       json_object_get_string(json_object_object_get(reply, "policy")),
	       json_object_get_string(json_object_object_get(reply, "generation")),
	       json_object_get_string(json_object_object_get(reply, "rules")),
	       json_object_get_string(json_object_object_get(reply, "compileMs")),
	       json_object_get_string(json_object_object_get(reply, "loadMs")),
	       json_object_get_string(json_object_object_get(reply, "filesReused")));
	ret = 0;
out:
	json_object_put(req);
	json_object_put(reply);
	return ret;
}
