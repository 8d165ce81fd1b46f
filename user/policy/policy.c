// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy parsing and validation. Every object is checked against a table of
 * the keys it may hold, so a typo ("safebins") is an error rather than a rule
 * silently not applied. The first error stops parsing and is reported as
 * "FILE: LOCATION: reason", LOCATION being a JSON path such as
 * agents.coder.exec.safeBins[2].
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bind.h"
#include "caps.h"
#include "parser.h"
#include "pattern.h"
#include "policy.h"
#include "profile.h"

#define POLICY_VERSION 1

long long parse_duration_ms(const char *s)
{
	static const struct { const char *unit; long long ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	char *end;
	long long n;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || n < 0 || n > 1000000000LL)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			return n * units[i].ms;
	return -1;
}

static bool exec_key(struct parser *ps, const char *key, json_object *val, const char *where,
		     void *ctx)
{
	static const char *const security[] = { "deny", "allowlist", "full" };
	static const char *const ask[] = { "off", "on-miss", "always" };
	static const char *const fallback[] = { "deny", "allow" };
	struct exec_policy *e = ctx;

	if (!strcmp(key, "security")) {
		e->security = parse_enum(ps, val, where, security, 3);
	} else if (!strcmp(key, "ask")) {
		e->ask = parse_enum(ps, val, where, ask, 3);
	} else if (!strcmp(key, "askFallback")) {
		e->ask_fallback = parse_enum(ps, val, where, fallback, 2);
	} else if (!strcmp(key, "askTimeout")) {
		if (!expect_type(ps, val, json_type_string, where))
			return true;
		e->ask_timeout_ms = parse_duration_ms(json_object_get_string(val));
		if (e->ask_timeout_ms <= 0)
			fail(ps, where, "bad duration \"%s\" (use e.g. \"30s\", \"5m\", \"2h\")",
			     json_object_get_string(val));
	} else if (!strcmp(key, "safeBins")) {
		parse_string_array(ps, val, where, NON_EMPTY, &e->safe_bins, &e->safe_bins_where);
	} else if (!strcmp(key, "quiet")) {
		parse_string_array(ps, val, where, NON_EMPTY, &e->quiet, NULL);
	} else {
		return false;
	}
	return true;
}

/* A basename pattern (no '/') or an absolute path. */
static void check_deny_entries(struct parser *ps, const struct strv *deny, size_t from,
			       const char *where)
{
	char at[512];

	for (size_t i = from; i < deny->n && !ps->e.failed; i++) {
		const char *s = deny->v[i];

		enum name_match kind;
		const char *fixed, *why;
		size_t len;

		snprintf(at, sizeof(at), "%s[%zu]", where, i - from);
		if (is_absolute(s))
			continue;
		if (strchr(s, '/'))
			fail(ps, at, "\"%s\" is neither an absolute path nor a basename pattern", s);
		else if (fs_pattern_parse(s, &kind, &fixed, &len, &why))
			fail(ps, at, "\"%s\": %s", s, why);
	}
}

static bool fs_key(struct parser *ps, const char *key, json_object *val, const char *where,
		   void *ctx)
{
	struct fs_policy *f = ctx;

	if (!strcmp(key, "workspaceOnly")) {
		if (expect_type(ps, val, json_type_boolean, where))
			f->workspace_only = json_object_get_boolean(val);
	} else if (!strcmp(key, "readOnly")) {
		parse_string_array(ps, val, where, ABSOLUTE_PATH, &f->read_only, NULL);
	} else if (!strcmp(key, "mustRead")) {
		parse_string_array(ps, val, where, ABSOLUTE_PATH, &f->must_read, NULL);
	} else if (!strcmp(key, "deny")) {
		size_t from = f->deny.n;

		parse_string_array(ps, val, where, NON_EMPTY, &f->deny, NULL);
		check_deny_entries(ps, &f->deny, from, where);
	} else {
		return false;
	}
	return true;
}

static bool valid_env_name(const char *s)
{
	if (!s[0] || isdigit((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool env_key(struct parser *ps, const char *key, json_object *val, const char *where,
		    void *ctx)
{
	struct env_policy *env = ctx;
	char at[512];

	if (!strcmp(key, "pass")) {
		size_t from = env->pass.n;

		parse_string_array(ps, val, where, NON_EMPTY, &env->pass, NULL);
		for (size_t i = from; i < env->pass.n && !ps->e.failed; i++) {
			snprintf(at, sizeof(at), "%s[%zu]", where, i - from);
			if (!valid_env_name(env->pass.v[i]))
				fail(ps, at, "\"%s\" is not a variable name", env->pass.v[i]);
		}
	} else if (!strcmp(key, "set")) {
		if (!expect_type(ps, val, json_type_object, where))
			return true;
		json_object_object_foreach(val, name, value) {
			char *kv;

			join_where(at, sizeof(at), where, name);
			if (!valid_env_name(name)) {
				fail(ps, at, "\"%s\" is not a variable name", name);
				return true;
			}
			if (!expect_type(ps, value, json_type_string, at))
				return true;
			if (asprintf(&kv, "%s=%s", name, json_object_get_string(value)) < 0 ||
			    strv_push(&env->set, kv))
				fail(ps, at, "out of memory");
			free(kv);
		}
	} else {
		return false;
	}
	return true;
}

/* "SRC:DST[:ro|:rw]" with absolute SRC and DST. */
static void check_binds(struct parser *ps, const struct strv *binds, const char *where)
{
	char at[512];

	for (size_t i = 0; i < binds->n && !ps->e.failed; i++) {
		struct bind b;
		int ret = bind_parse(binds->v[i], &b);

		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		if (ret == -EINVAL)
			fail(ps, at, "\"%s\" is not SRC:DST[:ro|:rw] with absolute paths", binds->v[i]);
		else if (ret == -ENOTSUP)
			fail(ps, at, "bind mode \"%s\" is neither \"ro\" nor \"rw\"",
			     strrchr(binds->v[i], ':') + 1);
		else if (ret)
			fail(ps, at, "\"%s\": a path of PATH_MAX bytes or more", binds->v[i]);
	}
}

/* ["NET_BIND_SERVICE", ...]: names a policy may give back (caps.h). */
static void parse_capabilities(struct parser *ps, json_object *val, const char *where,
			       uint64_t *out)
{
	struct strv names = {};
	char at[512];

	parse_string_array(ps, val, where, NON_EMPTY, &names, NULL);
	for (size_t i = 0; i < names.n && !ps->e.failed; i++) {
		int cap = cap_from_name(names.v[i]);

		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		if (cap < 0)
			fail(ps, at, "unknown capability \"%s\" (names as in capabilities(7), "
				 "e.g. \"NET_BIND_SERVICE\")", names.v[i]);
		else if ((WARDEN_CAPS_DEFAULT >> cap) & 1)
			; /* every agent has it already */
		else if (!cap_grantable(cap))
			fail(ps, at, "capability %s cannot be given to an agent: it reaches past the "
				 "agent's own processes and files", cap_name(cap));
		else
			*out |= 1ULL << cap;
	}
	strv_free(&names);
}

struct agent_ctx {
	struct agent_policy *agent;
	bool is_defaults;
	bool is_profile; /* a profile file: no "profile" of its own */
};

static bool valid_profile_name(const char *s)
{
	if (!s[0] || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

/* "profile": "NAME" or ["NAME", ...] */
static void parse_profile_names(struct parser *ps, json_object *val, const char *where,
				struct strv *out)
{
	char at[512];
	size_t from = out->n;

	if (json_object_is_type(val, json_type_string)) {
		if (strv_push(out, json_object_get_string(val)))
			fail(ps, where, "out of memory");
	} else if (json_object_is_type(val, json_type_array)) {
		parse_string_array(ps, val, where, NON_EMPTY, out, NULL);
	} else {
		fail(ps, where, "expected a profile name or an array of them, got %s",
		     json_type_word(val));
	}
	for (size_t i = from; i < out->n && !ps->e.failed; i++) {
		if (json_object_is_type(val, json_type_array))
			snprintf(at, sizeof(at), "%s[%zu]", where, i - from);
		else
			snprintf(at, sizeof(at), "%s", where);
		if (!valid_profile_name(out->v[i]))
			fail(ps, at, "profile name \"%s\" must be 1-64 of [a-z0-9-] (a file "
				 "NAME.json under policy/profiles/)", out->v[i]);
	}
}

/* "SRC:NAME": an absolute file, and a relative path inside the agent's home. */
static void check_home_files(struct parser *ps, const struct strv *files, const char *where)
{
	char at[512];

	for (size_t i = 0; i < files->n && !ps->e.failed; i++) {
		const char *s = files->v[i], *colon = strchr(s, ':');

		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		if (!is_absolute(s) || !colon || !colon[1] || strchr(colon + 1, ':') ||
		    colon[1] == '/')
			fail(ps, at, "\"%s\" is not SRC:NAME with an absolute SRC and NAME relative "
				 "to the agent's home (e.g. \"/etc/warden/claude.json:.claude.json\")", s);
		else if (strstr(colon + 1, "..") || colon[strlen(colon) - 1] == '/')
			fail(ps, at, "\"%s\": NAME must be a file path inside the home, without \"..\"",
			     s);
	}
}

static bool agent_key(struct parser *ps, const char *key, json_object *val, const char *where,
		      void *ctx)
{
	static const char *const network[] = { "none", "host" };
	struct agent_ctx *ac = ctx;
	struct agent_policy *a = ac->agent;

	if (!strcmp(key, "exec")) {
		for_each_key(ps, val, where, exec_key, &a->exec,
			     "security, ask, askTimeout, askFallback, safeBins, quiet");
	} else if (!strcmp(key, "fs")) {
		for_each_key(ps, val, where, fs_key, &a->fs,
			     "workspaceOnly, readOnly, deny, mustRead");
	} else if (!strcmp(key, "env")) {
		for_each_key(ps, val, where, env_key, &a->env, "pass, set");
	} else if (!strcmp(key, "network")) {
		if (json_object_is_type(val, json_type_object)) {
			char at[512], why[512];

			a->network = NETWORK_FILTER;
			if (net_policy_parse(val, where, &a->net, at, sizeof(at), why, sizeof(why)))
				fail(ps, at, "%s", why);
		} else if (json_object_is_type(val, json_type_string)) {
			a->network = parse_enum(ps, val, where, network, 2);
		} else {
			fail(ps, where, "expected \"none\", \"host\" or an object {egress, unix, ask, "
				 "mustReach}, got %s", json_type_word(val));
		}
	} else if (!strcmp(key, "user")) {
		a->user = parse_string(ps, val, where);
	} else if (!strcmp(key, "capabilities")) {
		parse_capabilities(ps, val, where, &a->capabilities);
	} else if (!strcmp(key, "profile") && !ac->is_profile) {
		parse_profile_names(ps, val, where, &a->profiles);
	} else if (!strcmp(key, "homeFiles") && !ac->is_profile) {
		parse_string_array(ps, val, where, NON_EMPTY, &a->home_files, NULL);
		check_home_files(ps, &a->home_files, where);
	} else if (ac->is_defaults) {
		return false;
	} else if (!strcmp(key, "confined")) {
		if (expect_type(ps, val, json_type_boolean, where))
			a->confined = json_object_get_boolean(val);
	} else if (!strcmp(key, "workspace")) {
		a->workspace = parse_string(ps, val, where);
		if (a->workspace && !is_absolute(a->workspace))
			fail(ps, where, "\"%s\" is not an absolute path", a->workspace);
	} else if (!strcmp(key, "binds")) {
		parse_string_array(ps, val, where, NON_EMPTY, &a->binds, NULL);
		check_binds(ps, &a->binds, where);
	} else {
		return false;
	}
	return true;
}

/*
 * Profiles: policy/profiles/NAME.json, {"version": 1, "profile": {...}}
 * where the object holds what "defaults" may hold, plus "description" and
 * "commands" (the runtime's CLI, resolved by profile.c into safeBins and
 * readOnly entries once the agent's PATH is known).
 */
static bool profile_key(struct parser *ps, const char *key, json_object *val, const char *where,
			void *ctx)
{
	struct agent_ctx *ac = ctx;

	if (!strcmp(key, "description")) {
		expect_type(ps, val, json_type_string, where);
	} else if (!strcmp(key, "commands")) {
		size_t from = ac->agent->commands.n;

		parse_string_array(ps, val, where, NON_EMPTY, &ac->agent->commands, NULL);
		for (size_t i = from; i < ac->agent->commands.n && !ps->e.failed; i++)
			if (strchr(ac->agent->commands.v[i], '/') && !is_absolute(ac->agent->commands.v[i]))
				fail(ps, where, "\"%s\" is neither a bare name nor an absolute path",
				     ac->agent->commands.v[i]);
	} else {
		return agent_key(ps, key, val, where, ctx);
	}
	return true;
}

static bool profile_top_key(struct parser *ps, const char *key, json_object *val,
			    const char *where, void *ctx)
{
	struct agent_ctx *ac = ctx;

	if (!strcmp(key, "version")) {
		if (expect_type(ps, val, json_type_int, where) &&
		    json_object_get_int64(val) != POLICY_VERSION)
			fail(ps, where, "unsupported version %lld (this warden reads version %d)",
			     (long long)json_object_get_int64(val), POLICY_VERSION);
	} else if (!strcmp(key, "profile")) {
		for_each_key(ps, val, where, profile_key, ac,
			     "description, commands, exec, fs, env, network, user, capabilities");
	} else {
		return false;
	}
	return true;
}


/* What a profile brings, one line a value, for `warden check`. */
static int note_contributions(struct agent_policy *prof, const char *name)
{
	static const struct { const char *key; size_t off; } lists[] = {
		{ "exec.safeBins", offsetof(struct agent_policy, exec.safe_bins) },
		{ "exec.quiet", offsetof(struct agent_policy, exec.quiet) },
		{ "fs.readOnly", offsetof(struct agent_policy, fs.read_only) },
		{ "fs.deny", offsetof(struct agent_policy, fs.deny) },
		{ "env.pass", offsetof(struct agent_policy, env.pass) },
		{ "env.set", offsetof(struct agent_policy, env.set) },
		{ "network.egress", offsetof(struct agent_policy, net.egress) },
		{ "commands", offsetof(struct agent_policy, commands) },
	};
	char line[1024];

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const struct strv *sv = (const struct strv *)((const char *)prof + lists[i].off);

		for (size_t j = 0; j < sv->n; j++) {
			snprintf(line, sizeof(line), "%s: %s += %s", name, lists[i].key, sv->v[j]);
			if (strv_push(&prof->contributed, line))
				return -ENOMEM;
		}
	}
	for (size_t j = 0; j < prof->commands.n; j++)
		if (strv_push(&prof->commands_from, name))
			return -ENOMEM;
	return 0;
}

/* Loads profile name (found from the policy at policy_path) as a layer under a. */
static int apply_profile(struct parser *ps, struct agent_policy *a, const char *name,
			 const char *where)
{
	struct agent_policy prof;
	struct agent_ctx ac = { .agent = &prof, .is_defaults = true, .is_profile = true };
	char file[4096], perr[1024];
	struct parser pps = { .e = { .err = perr, .errlen = sizeof(perr) } };
	json_object *root = NULL, *version;
	char *text;
	int ret = 0;

	if (profile_find(name, ps->e.name, file, sizeof(file))) {
		fail(ps, where, "no profile \"%s\" (looked for %s)", name, file);
		return -ENOENT;
	}
	text = read_text_file(file, perr, sizeof(perr));
	if (!text) {
		fail(ps, where, "profile \"%s\": %s", name, perr);
		return -EINVAL;
	}
	pps.e.name = file;
	agent_init(&prof);
	root = parse_json(&pps, text);
	if (root && expect_type(&pps, root, json_type_object, "")) {
		if (!json_object_object_get_ex(root, "version", &version))
			fail(&pps, "version", "missing (add \"version\": %d)", POLICY_VERSION);
		else if (!json_object_object_get_ex(root, "profile", &version))
			fail(&pps, "profile", "missing: a profile file is {\"version\": 1, "
			     "\"profile\": {...}}");
		else
			for_each_key(&pps, root, "", profile_top_key, &ac, "version, profile");
	}
	/* the safeBins of a profile are located in its own file */
	for (size_t i = 0; !pps.e.failed && i < prof.exec.safe_bins_where.n; i++) {
		char *w;

		if (asprintf(&w, "%s: %s", file, prof.exec.safe_bins_where.v[i]) < 0) {
			fail(&pps, "", "out of memory");
			break;
		}
		free(prof.exec.safe_bins_where.v[i]);
		prof.exec.safe_bins_where.v[i] = w;
	}
	if (pps.e.failed) {
		fail(ps, where, "profile \"%s\": %s", name, perr);
		ret = -EINVAL;
	} else if (note_contributions(&prof, name) || agent_merge_layer(a, &prof)) {
		fail(ps, where, "out of memory");
		ret = -ENOMEM;
	}
	json_object_put(root);
	agent_free(&prof);
	free(text);
	return ret;
}

/* Each of a's profiles as a layer under it, the last named closest to the agent. */
static int apply_profiles(struct parser *ps, struct agent_policy *a, const char *where)
{
	struct strv names = a->profiles;
	int ret = 0;

	/* layer by layer: a over the last, over the one before, ... */
	for (size_t i = names.n; !ret && i-- > 0;)
		ret = apply_profile(ps, a, names.v[i], where);
	return ret;
}

static bool valid_agent_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64 || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static bool approvals_key(struct parser *ps, const char *key, json_object *val,
			  const char *where, void *ctx)
{
	struct policy *p = ctx;

	if (strcmp(key, "notify"))
		return false;
	if (json_object_is_type(val, json_type_string)) {
		/* a string is a shell command line */
		if (strv_push(&p->notify, "/bin/sh") || strv_push(&p->notify, "-c") ||
		    strv_push(&p->notify, json_object_get_string(val)))
			fail(ps, where, "out of memory");
	} else if (json_object_is_type(val, json_type_array)) {
		parse_string_array(ps, val, where, NON_EMPTY, &p->notify, NULL);
	} else {
		fail(ps, where, "expected a string (a shell command) or an array (argv), got %s",
		     json_type_word(val));
	}
	return true;
}

static bool top_key(struct parser *ps, const char *key, json_object *val, const char *where,
		    void *ctx)
{
	struct policy *p = ctx;

	if (!strcmp(key, "approvals")) {
		for_each_key(ps, val, where, approvals_key, p, "notify");
	} else if (!strcmp(key, "version")) {
		if (expect_type(ps, val, json_type_int, where) &&
		    json_object_get_int64(val) != POLICY_VERSION)
			fail(ps, where, "unsupported version %lld (this warden reads version %d)",
			     (long long)json_object_get_int64(val), POLICY_VERSION);
	} else if (!strcmp(key, "defaults")) {
		struct agent_ctx ac = { .agent = &p->defaults, .is_defaults = true };

		for_each_key(ps, val, where, agent_key, &ac,
			     "exec, fs, env, network, user, capabilities, profile, homeFiles");
	} else if (!strcmp(key, "agents")) {
		size_t n = 0;

		if (!expect_type(ps, val, json_type_object, where))
			return true;
		p->agents = calloc(json_object_object_length(val) + 1, sizeof(*p->agents));
		if (!p->agents) {
			fail(ps, where, "out of memory");
			return true;
		}
		json_object_object_foreach(val, name, spec) {
			struct agent_ctx ac = { .agent = &p->agents[n] };
			char at[512];

			join_where(at, sizeof(at), where, name);
			agent_init(&p->agents[n]);
			p->n_agents = ++n;
			p->agents[n - 1].name = strdup(name);
			if (!valid_agent_name(name)) {
				fail(ps, at, "agent name \"%s\" must be 1-64 of [A-Za-z0-9._-], "
					     "not starting with '.' or '-'", name);
				return true;
			}
			for_each_key(ps, spec, at, agent_key, &ac,
				     "confined, workspace, user, binds, network, capabilities, profile, "
				     "homeFiles, exec, fs, env");
			if (ps->e.failed)
				return true;
		}
	} else {
		return false;
	}
	return true;
}

struct policy *policy_parse(const char *text, const char *name, char *err, size_t errlen)
{
	struct parser ps = { .e = { .name = name, .err = err, .errlen = errlen } };
	struct policy *p = calloc(1, sizeof(*p));
	json_object *root = NULL, *version;

	if (!p || !(p->path = strdup(name))) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	agent_init(&p->defaults);
	root = parse_json(&ps, text);
	if (!root)
		goto fail;
	if (!expect_type(&ps, root, json_type_object, ""))
		goto fail;
	if (!json_object_object_get_ex(root, "version", &version)) {
		fail(&ps, "version", "missing (add \"version\": %d)", POLICY_VERSION);
		goto fail;
	}
	for_each_key(&ps, root, "", top_key, p, "version, defaults, agents, approvals");
	if (ps.e.failed || apply_profiles(&ps, &p->defaults, "defaults.profile"))
		goto fail;
	for (size_t i = 0; i < p->n_agents; i++) {
		char where[512];

		snprintf(where, sizeof(where), "agents.%s.profile", p->agents[i].name);
		if (apply_profiles(&ps, &p->agents[i], where))
			goto fail;
		if (agent_merge_defaults(&p->agents[i], &p->defaults)) {
			snprintf(err, errlen, "%s: out of memory", name);
			goto fail;
		}
		if (profile_resolve_commands(&p->agents[i], name, err, errlen))
			goto fail;
	}
	json_object_put(root);
	return p;
fail:
	json_object_put(root);
	policy_free(p);
	errno = EINVAL;
	return NULL;
}

struct policy *policy_load(const char *file, char *err, size_t errlen)
{
	struct policy *p;
	char *text = read_text_file(file, err, errlen);

	if (!text)
		return NULL;
	p = policy_parse(text, file, err, errlen);
	free(text);
	return p;
}
