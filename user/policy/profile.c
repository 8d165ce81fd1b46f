// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "baseline.h"
#include "profile.h"

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/' || n == 1);
}

bool profile_path_readable(const struct agent_policy *a, const char *path)
{
	for (size_t i = 0; fs_baseline_read[i]; i++)
		if (under(path, fs_baseline_read[i]))
			return true;
	for (size_t i = 0; i < a->fs.read_only.n; i++)
		if (under(path, a->fs.read_only.v[i]))
			return true;
	return false;
}

int script_interpreter(const char *path, char *interp, size_t ilen, char *prog, size_t plen)
{
	char buf[256], *line, *save = NULL, *tok;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	line = buf + 2;
	line[strcspn(line, "\n")] = '\0';
	tok = strtok_r(line, " \t", &save);
	if (!tok)
		return -ENOEXEC;
	snprintf(interp, ilen, "%s", tok);
	prog[0] = '\0';
	if (strcmp(strrchr(tok, '/') ? strrchr(tok, '/') + 1 : tok, "env"))
		return 0;
	/* env [-S] [-options] PROG [ARGS]: the first word not an option */
	while ((tok = strtok_r(NULL, " \t", &save)))
		if (tok[0] != '-' && !strchr(tok, '=')) {
			snprintf(prog, plen, "%s", tok);
			break;
		}
	return 0;
}

int npm_package_root(const char *path, char *out, size_t outlen)
{
	const char *nm = NULL, *p = path, *end;

	/* the innermost node_modules: a package nested in another is its own root */
	while ((p = strstr(p, "/node_modules/")))
		nm = p++;
	if (!nm)
		return -ENOENT;
	p = nm + strlen("/node_modules/");
	end = strchr(p, '/');
	if (end && p[0] == '@')
		end = strchr(end + 1, '/');
	if (!end)
		return -ENOENT; /* node_modules/NAME is the file itself: not a package */
	snprintf(out, outlen, "%.*s", (int)(end - path), path);
	return 0;
}

static int find_executable(const char *name, const char *search, char *out, size_t outlen)
{
	char *copy, *save = NULL;
	struct stat st;

	if (name[0] == '/') {
		snprintf(out, outlen, "%s", name);
		return !stat(out, &st) && S_ISREG(st.st_mode) && (st.st_mode & 0111) ? 0 : -ENOENT;
	}
	copy = strdup(search);
	if (!copy)
		return -ENOMEM;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, outlen, "%s/%s", d, name);
		if (d[0] == '/' && !stat(out, &st) && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -ENOENT;
}

struct adder {
	struct agent_policy *a;
	const char *profile;
	const char *command;
	const char *where;
};

static int add_bin(struct adder *ad, const char *entry)
{
	char line[PATH_MAX + 256];

	if (strv_contains(&ad->a->exec.safe_bins, entry))
		return 0;
	snprintf(line, sizeof(line), "%s (profile %s, command %s)", ad->where, ad->profile,
		 ad->command);
	if (strv_push(&ad->a->exec.safe_bins, entry) || strv_push(&ad->a->exec.safe_bins_where, line))
		return -ENOMEM;
	snprintf(line, sizeof(line), "%s: exec.safeBins += %s (for %s)", ad->profile, entry,
		 ad->command);
	return strv_push(&ad->a->contributed, line);
}

static int add_readable(struct adder *ad, const char *dir)
{
	char line[PATH_MAX + 256];

	if (profile_path_readable(ad->a, dir))
		return 0;
	snprintf(line, sizeof(line), "%s: fs.readOnly += %s (for %s)", ad->profile, dir, ad->command);
	return strv_push(&ad->a->fs.read_only, dir) ?: strv_push(&ad->a->contributed, line);
}

static int add_dir_of(struct adder *ad, const char *file)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0; /* never "/" */
	*slash = '\0';
	return add_readable(ad, dir);
}

/*
 * The installed dependencies of the package at pkg, one level: npm puts a
 * runtime's native half in a platform package beside it (Codex's
 * @openai/codex-linux-x64 holds the real codex binary; Claude Code's and
 * Gemini CLI's native helpers are optional dependencies too), under the
 * package's own node_modules/ or next to it in the same node_modules/.
 * Each is readable and executable like the package itself.
 */
static int add_package_deps(struct adder *ad, const char *pkg)
{
	static const char *const kinds[] = { "optionalDependencies", "dependencies" };
	char file[PATH_MAX + 16], nm[PATH_MAX], *at;
	json_object *root;
	int ret = 0;

	snprintf(file, sizeof(file), "%s/package.json", pkg);
	root = json_object_from_file(file);
	if (!root)
		return 0; /* not an npm package after all: nothing more to add */
	/* the node_modules/ holding pkg ("/@scope/name" or "/name" off its end) */
	snprintf(nm, sizeof(nm), "%s", pkg);
	at = strstr(nm, "/node_modules/");
	for (char *p = at; p; p = strstr(p + 1, "/node_modules/"))
		at = p;
	if (at)
		at[strlen("/node_modules")] = '\0';
	for (size_t k = 0; k < 2 && !ret; k++) {
		json_object *deps;

		if (!json_object_object_get_ex(root, kinds[k], &deps) ||
		    !json_object_is_type(deps, json_type_object))
			continue;
		json_object_object_foreach(deps, name, value) {
			char dir[2 * PATH_MAX + 16], entry[2 * PATH_MAX + 17];
			struct stat st;

			(void)value;
			if (strstr(name, "..") || name[0] == '/')
				continue;
			snprintf(dir, sizeof(dir), "%s/node_modules/%s", pkg, name);
			if ((stat(dir, &st) || !S_ISDIR(st.st_mode)) && at)
				snprintf(dir, sizeof(dir), "%s/%s", nm, name);
			if (stat(dir, &st) || !S_ISDIR(st.st_mode))
				continue; /* another platform's, not installed */
			snprintf(entry, sizeof(entry), "%s/", dir);
			ret = add_readable(ad, dir) ?: add_bin(ad, entry);
			if (ret)
				break;
		}
	}
	json_object_put(root);
	return ret;
}

static int resolve_command(struct adder *ad, const char *search, char *err, size_t errlen,
			   const char *policy_name)
{
	char found[PATH_MAX], real[PATH_MAX], interp[PATH_MAX], prog[PATH_MAX], pkg[PATH_MAX];
	int ret;

	if (find_executable(ad->command, search, found, sizeof(found)) ||
	    !realpath(found, real)) {
		snprintf(err, errlen, "%s: %s: profile \"%s\": command \"%s\" not found on the "
			 "agent's PATH (%s): install it (README: \"Agent runtimes\") or put its "
			 "directory on env.set.PATH", policy_name, ad->where, ad->profile, ad->command,
			 search);
		return -ENOENT;
	}
	/* where it was found: a sandbox shows the agent only what it may read */
	ret = add_bin(ad, found) ?: add_dir_of(ad, found);
	if (ret)
		return ret;
	ret = script_interpreter(real, interp, sizeof(interp), prog, sizeof(prog));
	if (!ret) {
		char ireal[PATH_MAX], ifound[PATH_MAX];

		ret = add_bin(ad, interp);
		if (!ret && prog[0]) {
			/* env looks prog up on the PATH it inherits: the agent's */
			if (find_executable(prog, search, ifound, sizeof(ifound))) {
				snprintf(err, errlen, "%s: %s: profile \"%s\": %s starts \"%s\", which is "
					 "not on the agent's PATH (%s)", policy_name, ad->where,
					 ad->profile, real, prog, search);
				return -ENOENT;
			}
			ret = add_bin(ad, prog);
			if (!ret && realpath(ifound, ireal))
				ret = add_dir_of(ad, ireal);
		} else if (!ret && realpath(interp, ireal)) {
			ret = add_dir_of(ad, ireal);
		}
	} else if (ret == -ENOEXEC) {
		ret = 0; /* a native binary: itself */
	}
	if (ret)
		return ret;
	if (!npm_package_root(real, pkg, sizeof(pkg))) {
		char entry[PATH_MAX + 1];

		/* its launcher may start native helpers from the package (vendor/) */
		snprintf(entry, sizeof(entry), "%s/", pkg);
		ret = add_readable(ad, pkg) ?: add_bin(ad, entry);
		return ret ?: add_package_deps(ad, pkg);
	}
	return add_dir_of(ad, real);
}

int profile_resolve_commands(struct agent_policy *a, const char *policy_name, char *err,
			     size_t errlen)
{
	char where[512];

	if (!a->confined)
		return 0;
	snprintf(where, sizeof(where), "agents.%s.profile", a->name);
	for (size_t i = 0; i < a->commands.n; i++) {
		struct adder ad = { .a = a, .profile = a->commands_from.v[i],
				    .command = a->commands.v[i], .where = where };
		int ret;

		if (a->exec.security != EXEC_SECURITY_ALLOWLIST)
			break; /* nothing to allow */
		ret = resolve_command(&ad, agent_exec_path(a), err, errlen, policy_name);
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", policy_name);
		if (ret)
			return ret;
	}
	return 0;
}
