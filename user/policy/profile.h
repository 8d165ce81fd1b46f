/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Agent runtime profiles (policy/profiles/NAME.json): the part that looks at
 * this host. A profile names its runtime's commands ("claude", "codex"); an
 * agent may only run what its exec allowlist holds and read what its fs
 * rules grant, so each command is resolved here into what it takes to run:
 * the binary itself, or for a script its interpreter (and /usr/bin/env for
 * "#!/usr/bin/env node"), and its install directory, readable and (for an
 * npm package, whose launcher starts native helpers from its vendor tree)
 * executable.
 */
#ifndef WARDEN_PROFILE_H
#define WARDEN_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/*
 * Resolves a's commands on its PATH and adds what they need to its
 * exec.safeBins and fs.readOnly (noted in a->contributed). 0, or -errno
 * with "POLICY: LOCATION: reason" in err.
 */
int profile_resolve_commands(struct agent_policy *a, const char *policy_name, char *err,
			     size_t errlen);

/* Whether path is at or below one of the baseline read paths or of a's fs.readOnly. */
bool profile_path_readable(const struct agent_policy *a, const char *path);

/*
 * The interpreter of a "#!" script at path: interp gets the program the
 * kernel runs, prog (when interp is env) the program env looks up, else "".
 * 0, -ENOEXEC when path is not a script, or -errno.
 */
int script_interpreter(const char *path, char *interp, size_t ilen, char *prog, size_t plen);

/* The npm package directory path lies in (.../node_modules/[@scope/]name), or -ENOENT. */
int npm_package_root(const char *path, char *out, size_t outlen);

#endif
