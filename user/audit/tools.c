// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host tools the checks read (nft, ufw, ss, journalctl, ...): run
 * with a deadline in the C locale, or read from fixtures below a test root.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "audit_checks.h"
#include "fileio.h"
#include "spawn.h"

#define TOOL_TIMEOUT_MS 20000    /* a hung tool must not hang the morning audit */

/* ---- tool outputs ---- */

static int find_tool(const char *name, char *out, size_t len)
{
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					    "/usr/bin", "/sbin", "/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(out, len, "%s/%s", dirs[i], name);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

static int run_tool(const char *path, const char *const argv[], char **out)
{
	/* C locale: the parsers read English words ("Status: active") */
	static char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL
	};

	return spawn_output(path, (char *const *)argv, env, TOOL_TIMEOUT_MS, out);
}

static int fixture_output(const struct audit_ctx *ctx, const char *name, char **out)
{
	char path[PATH_MAX], *code = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/cmd/%s.txt", ctx->root, name);
	ret = read_text(path, out);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/cmd/%s.exit", ctx->root, name);
	if (!read_text(path, &code) && atoi(code) != 0)
		ret = -EIO;
	free(code);
	return ret;
}

int audit_cmd_output(const struct audit_ctx *ctx, const char *name, const char *const argv[],
		     char **out)
{
	char path[PATH_MAX];

	*out = NULL;
	if (ctx->root[0])
		return fixture_output(ctx, name, out);
	if (find_tool(argv[0], path, sizeof(path)))
		return -ENOENT;
	return run_tool(path, argv, out);
}
