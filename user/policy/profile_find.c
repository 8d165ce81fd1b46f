// SPDX-License-Identifier: GPL-2.0-only
/* Where a profile named in a policy is read from (policy.h: profile_find). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static int try_profile_dir(const char *dir, const char *name, char *out, size_t outlen,
			   char *tried, size_t triedlen)
{
	size_t used = strlen(tried);

	snprintf(out, outlen, "%s/%s.json", dir, name);
	if (!access(out, R_OK))
		return 0;
	snprintf(tried + used, triedlen - used, "%s%s", used ? ", " : "", out);
	return -ENOENT;
}

int profile_find(const char *name, const char *policy_path, char *out, size_t outlen)
{
	static const char *const fixed[] = { "/etc/warden/profiles", "/usr/share/warden/profiles" };
	const char *env = getenv("WARDEN_PROFILES");
	char tried[2048] = "", dir[4096], exe[4096];
	const char *slash;
	ssize_t n;

	if (env && env[0]) {
		char *copy = strdup(env), *save = NULL;

		if (!copy)
			return -ENOMEM;
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
			if (!try_profile_dir(d, name, out, outlen, tried, sizeof(tried))) {
				free(copy);
				return 0;
			}
		free(copy);
		snprintf(out, outlen, "%s", tried);
		return -ENOENT; /* an explicit list is the whole list */
	}
	slash = policy_path ? strrchr(policy_path, '/') : NULL;
	snprintf(dir, sizeof(dir), "%.*s/profiles", slash ? (int)(slash - policy_path) : 1,
		 slash ? policy_path : ".");
	if (!try_profile_dir(dir, name, out, outlen, tried, sizeof(tried)))
		return 0;
	if (!try_profile_dir(fixed[0], name, out, outlen, tried, sizeof(tried)))
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/'))) {
			/* a checkout's build/warden, and an installed PREFIX/bin/warden */
			snprintf(dir, sizeof(dir), "%.*s/../policy/profiles", (int)(slash - exe), exe);
			if (!try_profile_dir(dir, name, out, outlen, tried, sizeof(tried)))
				return 0;
			snprintf(dir, sizeof(dir), "%.*s/../share/warden/profiles", (int)(slash - exe),
				 exe);
			if (!try_profile_dir(dir, name, out, outlen, tried, sizeof(tried)))
				return 0;
		}
	}
	if (!try_profile_dir(fixed[1], name, out, outlen, tried, sizeof(tried)))
		return 0;
	snprintf(out, outlen, "%s", tried);
	return -ENOENT;
}
