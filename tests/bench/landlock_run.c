// SPDX-License-Identifier: GPL-2.0-only
/*
 * landlock_run [--ro PATH]... [--rx PATH]... [--rw PATH]... -- CMD [ARGS...]
 * landlock_run --abi   prints the kernel's Landlock ABI version (0: none)
 *
 * Confines itself with a Landlock ruleset and execs CMD: the in-kernel peer
 * `make bench` compares warden with, on the same loops and workloads. In the
 * manner of the kernel's samples/landlock/sandboxer.c: every right the
 * running kernel's ABI knows is handled (so anything not granted below is
 * refused), then
 *   --ro  read files and list directories beneath PATH,
 *   --rx  the same plus execute,
 *   --rw  everything beneath PATH (the workspace).
 * On a file, only the rights that apply to files are granted. Exits 125
 * without running CMD when Landlock is unavailable: a bench column must
 * never silently run unconfined.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

#define ACCESS_FILE (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)
#define ACCESS_RO (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define ACCESS_RX (ACCESS_RO | LANDLOCK_ACCESS_FS_EXECUTE)

/* Rights by ABI version: 1 up to MAKE_SYM, 2 adds REFER, 3 adds TRUNCATE. */
static uint64_t handled_for_abi(int abi)
{
	uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;

	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	return all;
}

static int add_rule(int ruleset, const char *path, uint64_t access, uint64_t handled)
{
	struct landlock_path_beneath_attr attr = { .allowed_access = access & handled };
	struct stat st;
	int ret;

	attr.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (attr.parent_fd < 0) {
		/* an absent optional path (/lib32 on some hosts) is no rule, not an error */
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "landlock_run: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(attr.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		attr.allowed_access &= ACCESS_FILE;
	ret = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
	if (ret)
		fprintf(stderr, "landlock_run: rule on %s: %s\n", path, strerror(errno));
	close(attr.parent_fd);
	return ret;
}

int main(int argc, char **argv)
{
	struct landlock_ruleset_attr rs = {};
	int abi, ruleset, i;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (argc == 2 && !strcmp(argv[1], "--abi")) {
		printf("%d\n", abi < 0 ? 0 : abi);
		return 0;
	}
	if (abi < 1) {
		fprintf(stderr, "landlock_run: Landlock is not available (%s): boot with "
				"lsm=...,landlock,... on a kernel built with CONFIG_SECURITY_LANDLOCK\n",
			strerror(errno));
		return 125;
	}
	rs.handled_access_fs = handled_for_abi(abi);
	ruleset = syscall(SYS_landlock_create_ruleset, &rs, sizeof(rs), 0);
	if (ruleset < 0) {
		perror("landlock_run: landlock_create_ruleset");
		return 125;
	}
	for (i = 1; i + 1 < argc && strcmp(argv[i], "--"); i += 2) {
		uint64_t access;

		if (!strcmp(argv[i], "--ro"))
			access = ACCESS_RO;
		else if (!strcmp(argv[i], "--rx"))
			access = ACCESS_RX;
		else if (!strcmp(argv[i], "--rw"))
			access = rs.handled_access_fs;
		else
			break;
		if (add_rule(ruleset, argv[i + 1], access, rs.handled_access_fs))
			return 125;
	}
	if (i >= argc - 1 || strcmp(argv[i], "--")) {
		fprintf(stderr, "usage: landlock_run [--ro|--rx|--rw PATH]... -- CMD [ARGS...]\n");
		return 125;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0)) {
		perror("landlock_run: restricting itself");
		return 125;
	}
	close(ruleset);
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "landlock_run: %s: %s\n", argv[i + 1], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
