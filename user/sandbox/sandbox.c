// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_home.h"
#include "baseline.h"
#include "sandbox.h"

const char *const sandbox_bwrap_paths[] = { "/usr/local/bin/bwrap", "/usr/bin/bwrap", "/bin/bwrap",
					    NULL };

const char *sandbox_bwrap_path(void)
{
	for (size_t i = 0; sandbox_bwrap_paths[i]; i++)
		if (!access(sandbox_bwrap_paths[i], X_OK))
			return sandbox_bwrap_paths[i];
	return NULL;
}

void sandbox_tmp_dir(const char *agent, char *out, size_t len)
{
	snprintf(out, len, "%s/tmp/%s", WARDEN_STATE_DIR, agent);
}

static json_object *strv_json(const struct strv *sv)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sv->n; i++)
		json_object_array_add(a, json_object_new_string(sv->v[i]));
	return a;
}

static void add_string(json_object *o, const char *key, const char *value)
{
	if (value)
		json_object_object_add(o, key, json_object_new_string(value));
}

json_object *sandbox_spec_to_json(const struct agent_policy *a)
{
	json_object *o = json_object_new_object();
	struct strv ro = {}, binds = {};
	char tmp[PATH_MAX], home[PATH_MAX], src[PATH_MAX], dst[PATH_MAX], bind[3 * PATH_MAX];

	for (size_t i = 0; fs_baseline_read[i]; i++)
		if (strncmp(fs_baseline_read[i], "/dev/", 5)) /* --dev provides devices */
			strv_push(&ro, fs_baseline_read[i]);
	strv_extend(&ro, &a->fs.read_only);
	strv_extend(&ro, &a->fs.must_read);
	sandbox_tmp_dir(a->name, tmp, sizeof(tmp));
	add_string(o, "agent", a->name);
	add_string(o, "workspace", a->workspace);
	add_string(o, "tmpDir", access(tmp, F_OK) ? NULL : tmp);
	agent_home_dir(a->name, home, sizeof(home));
	if (!access(home, F_OK)) {
		add_string(o, "home", home);
		/* the home first, then the operator's files over their copies in it */
		snprintf(bind, sizeof(bind), "%s:%s:rw", home, home);
		strv_push(&binds, bind);
		for (size_t i = 0; i < a->home_files.n; i++)
			if (!agent_home_file(a->name, a->home_files.v[i], src, sizeof(src), dst,
					     sizeof(dst))) {
				snprintf(bind, sizeof(bind), "%s:%s:ro", src, dst);
				strv_push(&binds, bind);
			}
	}
	strv_extend(&binds, &a->binds);
	add_string(o, "user", a->user ? a->user : DEFAULT_AGENT_USER);
	/* the object form shares the host's namespace: the kernel filters (layer 6) */
	json_object_object_add(o, "network",
			       json_object_new_string(a->network != NETWORK_NONE ? "host" : "none"));
	json_object_object_add(o, "readOnly", strv_json(&ro));
	json_object_object_add(o, "binds", strv_json(&binds));
	json_object_object_add(o, "envSet", strv_json(&a->env.set));
	json_object_object_add(o, "envPass", strv_json(&a->env.pass));
	strv_free(&ro);
	strv_free(&binds);
	return o;
}

static int json_strv(json_object *o, const char *key, struct strv *out)
{
	json_object *a;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (strv_push(out, json_object_get_string(json_object_array_get_idx(a, i))))
			return -ENOMEM;
	return 0;
}

static char *json_strdup(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? strdup(json_object_get_string(v)) : NULL;
}

int sandbox_spec_from_json(json_object *o, struct sandbox_spec *s)
{
	json_object *v;
	int ret;

	memset(s, 0, sizeof(*s));
	s->agent = json_strdup(o, "agent");
	s->workspace = json_strdup(o, "workspace");
	s->tmp_dir = json_strdup(o, "tmpDir");
	s->home = json_strdup(o, "home");
	s->user = json_strdup(o, "user");
	s->share_network = json_object_object_get_ex(o, "network", &v) &&
			   !strcmp(json_object_get_string(v), "host");
	ret = json_strv(o, "readOnly", &s->read_only);
	ret = ret ?: json_strv(o, "binds", &s->binds);
	ret = ret ?: json_strv(o, "envSet", &s->env_set);
	ret = ret ?: json_strv(o, "envPass", &s->env_pass);
	if (!ret && (!s->agent || !s->user))
		ret = -EINVAL;
	return ret;
}

void sandbox_spec_free(struct sandbox_spec *s)
{
	if (!s)
		return;
	free(s->agent);
	free(s->workspace);
	free(s->tmp_dir);
	free(s->home);
	free(s->user);
	strv_free(&s->read_only);
	strv_free(&s->binds);
	strv_free(&s->env_set);
	strv_free(&s->env_pass);
}

static int push_all(struct strv *argv, const char *const *words)
{
	for (; *words; words++)
		if (strv_push(argv, *words))
			return -ENOMEM;
	return 0;
}

#define PUSH(...) push_all(argv, (const char *const[]){ __VA_ARGS__, NULL })

/*
 * A read-only system path at the same place. Top-level symlinks of a
 * merged-/usr system (/bin -> usr/bin) are recreated as symlinks, so the
 * sandbox's /bin is the host's /usr/bin as on the host.
 */
static int add_read_only(struct strv *argv, const char *path)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(path, &st))
		return 0; /* not on this host */
	if (S_ISLNK(st.st_mode) && strchr(path + 1, '/') == NULL) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			return 0;
		target[n] = '\0';
		return PUSH("--symlink", target, path);
	}
	return PUSH("--ro-bind", path, path);
}

static int add_binds(struct strv *argv, const struct strv *binds)
{
	for (size_t i = 0; i < binds->n; i++) {
		char *copy = strdup(binds->v[i]), *save = NULL, *src, *dst, *mode;
		int ret;

		if (!copy)
			return -ENOMEM;
		src = strtok_r(copy, ":", &save);
		dst = src ? strtok_r(NULL, ":", &save) : NULL;
		mode = dst ? strtok_r(NULL, ":", &save) : NULL;
		/* read-only unless the policy says rw */
		ret = !dst ? -EINVAL
			   : PUSH(mode && !strcmp(mode, "rw") ? "--bind" : "--ro-bind", src, dst);
		free(copy);
		if (ret)
			return ret;
	}
	return 0;
}

int sandbox_environment(const struct sandbox_spec *s, char *const *environ, struct strv *out)
{
	bool has_path = false, has_home = false;
	int ret = 0;

	for (size_t i = 0; !ret && i < s->env_pass.n; i++) {
		size_t len = strlen(s->env_pass.v[i]);
		bool set = false;

		/* env.set wins over a passed name of the same spelling */
		for (size_t j = 0; j < s->env_set.n && !set; j++)
			set = !strncmp(s->env_set.v[j], s->env_pass.v[i], len) &&
			      s->env_set.v[j][len] == '=';
		for (char *const *e = environ; !set && e && *e; e++)
			if (!strncmp(*e, s->env_pass.v[i], len) && (*e)[len] == '=') {
				ret = strv_push(out, *e);
				break;
			}
	}
	for (size_t i = 0; !ret && i < s->env_set.n; i++) {
		if (!strchr(s->env_set.v[i], '='))
			return -EINVAL;
		has_path |= !strncmp(s->env_set.v[i], "PATH=", 5);
		has_home |= !strncmp(s->env_set.v[i], "HOME=", 5);
		ret = strv_push(out, s->env_set.v[i]);
	}
	if (!ret && !has_path)
		ret = strv_push(out, "PATH=" SANDBOX_DEFAULT_PATH);
	if (!ret && !has_home && s->home) {
		char home[PATH_MAX + 8];

		snprintf(home, sizeof(home), "HOME=%s", s->home);
		ret = strv_push(out, home);
	}
	return ret;
}

/* --clearenv, then the agent's environment, one --setenv each. */
static int add_environment(struct strv *argv, const struct sandbox_spec *s,
			   char *const *environ)
{
	struct strv env = {};
	int ret = PUSH("--clearenv");

	ret = ret ?: sandbox_environment(s, environ, &env);
	for (size_t i = 0; !ret && i < env.n; i++) {
		char *copy = strdup(env.v[i]), *eq = copy ? strchr(copy, '=') : NULL;

		if (!eq) {
			free(copy);
			ret = -ENOMEM;
			break;
		}
		*eq = '\0';
		ret = PUSH("--setenv", copy, eq + 1);
		free(copy);
	}
	strv_free(&env);
	return ret;
}

int sandbox_argv(const struct sandbox_spec *s, const char *stage, char *const cmd[],
		 char *const *environ, struct strv *argv)
{
	int ret;

	ret = PUSH("bwrap", "--unshare-user", "--disable-userns", "--unshare-pid", "--unshare-ipc",
		   "--unshare-uts", "--hostname", s->agent, "--die-with-parent", "--new-session",
		   "--proc", "/proc", "--dev", "/dev");
	if (!ret && !s->share_network)
		ret = PUSH("--unshare-net");
	for (size_t i = 0; !ret && i < s->read_only.n; i++)
		ret = add_read_only(argv, s->read_only.v[i]);
	if (!ret)
		ret = s->tmp_dir ? PUSH("--bind", s->tmp_dir, "/tmp") : PUSH("--tmpfs", "/tmp");
	if (!ret && s->workspace)
		ret = PUSH("--bind", s->workspace, SANDBOX_WORKSPACE, "--chdir", SANDBOX_WORKSPACE);
	ret = ret ?: add_binds(argv, &s->binds);
	ret = ret ?: add_environment(argv, s, environ);
	ret = ret ?: PUSH("--ro-bind", stage, SANDBOX_STAGE, "--", SANDBOX_STAGE, "sandbox-stage",
			  "--agent", s->agent, "--");
	for (size_t i = 0; !ret && cmd[i]; i++)
		ret = strv_push(argv, cmd[i]);
	return ret;
}
