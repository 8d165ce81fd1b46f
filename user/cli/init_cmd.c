// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden init`: a ready policy for one agent of a runtime profile, so a
 * user starts from a file that works rather than a blank one. The result is
 * parsed and resolved like any policy before it is printed or written: it
 * never hands out a file `warden check` would refuse.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "commands.h"
#include "log.h"
#include "policy.h"

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

static void init_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden init --agent NAME --profile P --workspace DIR [--knowledge DIR ...]\n"
		"                   [--policy FILE]\n"
		"\n"
		"Prints a policy for agent NAME running the runtime of profile P (claude-code,\n"
		"codex, gemini-cli: policy/profiles/P.json): its workspace, each knowledge\n"
		"directory bound read-only at /knowledge (several: /knowledge/BASENAME), the\n"
		"usual secrets denied, and PATH reaching the runtime's command where it is\n"
		"installed. With --policy FILE the agent is added to FILE instead, which is\n"
		"rewritten in place (json-c keeps no comments); an agent of that name already\n"
		"there is an error. The result is validated first, as `warden check` would.\n"
		"\n"
		"  -a, --agent NAME      the agent\n"
		"  -P, --profile P       the runtime profile (repeat for several)\n"
		"  -w, --workspace DIR   its workspace (absolute)\n"
		"  -k, --knowledge DIR   a directory it reads but cannot change (repeatable)\n"
		"  -p, --policy FILE     merge into FILE\n"
		"  -h, --help            this text\n");
}

static bool on_path(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	for (const char *p = path; p && *p; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL)
		if (!strncmp(p, dir, n) && (p[n] == ':' || p[n] == '\0'))
			return true;
	return false;
}

/*
 * PATH for the agent: the default, after the directory of each of the
 * profiles' commands found on the caller's PATH but not on the default
 * (an npm prefix such as /opt/npm/bin).
 */
static int agent_path(const char *agent, const struct strv *profiles, char *out, size_t outlen,
		      char *err, size_t errlen)
{
	const char *caller = getenv("PATH") ?: DEFAULT_PATH;
	json_object *probe = json_object_new_object(), *agents = json_object_new_object(),
		    *a = json_object_new_object(), *list = json_object_new_array();
	struct policy *p;
	char prefix[PATH_MAX] = "";

	for (size_t i = 0; i < profiles->n; i++)
		json_object_array_add(list, json_object_new_string(profiles->v[i]));
	json_object_object_add(a, "confined", json_object_new_boolean(0));
	json_object_object_add(a, "profile", list);
	json_object_object_add(agents, agent, a);
	json_object_object_add(probe, "version", json_object_new_int(1));
	json_object_object_add(probe, "agents", agents);
	/* an unconfined agent: the profiles are read, their commands not yet resolved */
	p = policy_parse(json_object_to_json_string(probe), "warden init", err, errlen);
	json_object_put(probe);
	if (!p)
		return -EINVAL;
	for (size_t i = 0; i < p->agents[0].commands.n; i++) {
		const char *cmd = p->agents[0].commands.v[i];
		char *copy = strdup(caller), *save = NULL;

		if (!copy) {
			policy_free(p);
			return -ENOMEM;
		}
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			char file[PATH_MAX];

			snprintf(file, sizeof(file), "%s/%s", d, cmd);
			if (d[0] != '/' || access(file, X_OK))
				continue;
			if (!on_path(d, DEFAULT_PATH) && !on_path(d, prefix))
				snprintf(prefix + strlen(prefix), sizeof(prefix) - strlen(prefix), "%s:",
					 d);
			break;
		}
		free(copy);
	}
	policy_free(p);
	snprintf(out, outlen, "%s%s", prefix, DEFAULT_PATH);
	return 0;
}

static json_object *string_array(const char *const *v)
{
	json_object *a = json_object_new_array();

	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *agent_object(const struct strv *profiles, const char *workspace,
				 const struct strv *knowledge, const char *path)
{
	static const char *const deny[] = { ".env", ".env.*", "id_rsa*", "id_ed25519*", "*.key",
					    "/etc/shadow", "/etc/gshadow", NULL };
	json_object *a = json_object_new_object(), *fs = json_object_new_object(),
		    *env = json_object_new_object(), *set = json_object_new_object(),
		    *binds = json_object_new_array(), *ro = json_object_new_array();

	if (profiles->n == 1) {
		json_object_object_add(a, "profile", json_object_new_string(profiles->v[0]));
	} else {
		json_object *list = json_object_new_array();

		for (size_t i = 0; i < profiles->n; i++)
			json_object_array_add(list, json_object_new_string(profiles->v[i]));
		json_object_object_add(a, "profile", list);
	}
	json_object_object_add(a, "workspace", json_object_new_string(workspace));
	for (size_t i = 0; i < knowledge->n; i++) {
		const char *base = strrchr(knowledge->v[i], '/') + 1;
		char bind[PATH_MAX * 2];

		if (knowledge->n == 1)
			snprintf(bind, sizeof(bind), "%s:/knowledge:ro", knowledge->v[i]);
		else
			snprintf(bind, sizeof(bind), "%s:/knowledge/%s:ro", knowledge->v[i], base);
		json_object_array_add(binds, json_object_new_string(bind));
		/* readable at its own path too: with --no-sandbox there are no binds */
		json_object_array_add(ro, json_object_new_string(knowledge->v[i]));
	}
	if (knowledge->n)
		json_object_object_add(a, "binds", binds);
	else
		json_object_put(binds);
	json_object_object_add(fs, "workspaceOnly", json_object_new_boolean(1));
	if (knowledge->n)
		json_object_object_add(fs, "readOnly", ro);
	else
		json_object_put(ro);
	/* not "*.pem": it would deny the CA certificates TLS needs */
	json_object_object_add(fs, "deny", string_array(deny));
	json_object_object_add(a, "fs", fs);
	json_object_object_add(set, "PATH", json_object_new_string(path));
	json_object_object_add(env, "pass", string_array((const char *const[]){ "LANG", "TERM", NULL }));
	json_object_object_add(env, "set", set);
	json_object_object_add(a, "env", env);
	return a;
}

/* Strips trailing slashes; DIR must be absolute. */
static int absolute_dir(const char *what, const char *in, char *out, size_t outlen)
{
	size_t n;

	if (in[0] != '/') {
		log_error("init: %s \"%s\" is not an absolute path", what, in);
		return -EINVAL;
	}
	snprintf(out, outlen, "%s", in);
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "profile", required_argument, NULL, 'P' },
		{ "workspace", required_argument, NULL, 'w' },
		{ "knowledge", required_argument, NULL, 'k' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct strv profiles = {}, knowledge = {};
	const char *agent = NULL, *file = NULL;
	char workspace[PATH_MAX] = "", dir[PATH_MAX], path[PATH_MAX * 2], err[4096];
	json_object *root = NULL, *agents;
	struct policy *check = NULL;
	const char *text;
	int c, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a:P:w:k:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': agent = optarg; break;
		case 'P':
			if (strv_push(&profiles, optarg))
				goto oom;
			break;
		case 'w':
			if (absolute_dir("workspace", optarg, workspace, sizeof(workspace)))
				goto out;
			break;
		case 'k':
			if (absolute_dir("knowledge directory", optarg, dir, sizeof(dir)))
				goto out;
			if (!strcmp(dir, "/")) {
				log_error("init: the knowledge directory cannot be /");
				goto out;
			}
			if (strv_push(&knowledge, dir))
				goto oom;
			break;
		case 'p': file = optarg; break;
		case 'h': init_usage(stdout); ret = 0; goto out;
		default: init_usage(stderr); ret = 2; goto out;
		}
	}
	if (!agent || !profiles.n || !workspace[0] || optind != argc) {
		init_usage(stderr);
		ret = 2;
		goto out;
	}
	if (agent_path(agent, &profiles, path, sizeof(path), err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (file) {
		root = json_object_from_file(file);
		if (!root || !json_object_is_type(root, json_type_object)) {
			log_error("init: %s: %s", file, root ? "not a JSON object" : json_util_get_last_err());
			goto out;
		}
	} else {
		root = json_object_new_object();
		json_object_object_add(root, "version", json_object_new_int(1));
	}
	if (!json_object_object_get_ex(root, "agents", &agents)) {
		agents = json_object_new_object();
		json_object_object_add(root, "agents", agents);
	}
	if (!json_object_is_type(agents, json_type_object)) {
		log_error("init: %s: agents: not an object", file);
		goto out;
	}
	if (json_object_object_get_ex(agents, agent, NULL)) {
		log_error("init: %s: agents.%s: already there; remove it or choose another name", file,
			  agent);
		goto out;
	}
	json_object_object_add(agents, agent, agent_object(&profiles, workspace, &knowledge, path));
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE);
	check = policy_parse(text, file ?: "(generated)", err, sizeof(err));
	if (!check) {
		log_error("init: the policy would not be valid: %s", err);
		goto out;
	}
	if (file) {
		char tmp[PATH_MAX + 16];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.new", file);
		f = fopen(tmp, "wex");
		if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) || rename(tmp, file)) {
			log_error("init: %s: %m", tmp);
			unlink(tmp);
			goto out;
		}
		fprintf(stderr, "warden: init: agent %s added to %s; `warden check %s`, then "
			"`warden reload`\n", agent, file, file);
	} else {
		printf("%s\n", text);
	}
	ret = 0;
	goto out;
oom:
	log_error("init: out of memory");
out:
	policy_free(check);
	json_object_put(root);
	strv_free(&profiles);
	strv_free(&knowledge);
	return ret;
}
