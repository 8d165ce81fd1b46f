// SPDX-License-Identifier: GPL-2.0-only
/*
 * with_key SERIALFILE CMD [ARGS...]: joins a new session keyring, adds the
 * user key "warden-caller-key" (payload "caller-key-secret") that only its
 * possessors may use, checks it can read it back, writes its serial to
 * SERIALFILE and execs CMD: a caller whose session holds a secret key.
 */
#include <linux/keyctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAYLOAD "caller-key-secret"

int main(int argc, char **argv)
{
	char buf[64];
	long key, n;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: with_key SERIALFILE CMD [ARGS...]\n");
		return 2;
	}
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "warden-caller") < 0) {
		perror("with_key: join session keyring");
		return 1;
	}
	key = syscall(SYS_add_key, "user", "warden-caller-key", PAYLOAD, strlen(PAYLOAD),
		      KEY_SPEC_SESSION_KEYRING);
	if (key < 0 || syscall(SYS_keyctl, KEYCTL_SETPERM, key, 0x3f000000 /* possessor: all */)) {
		perror("with_key: add_key");
		return 1;
	}
	n = syscall(SYS_keyctl, KEYCTL_READ, key, buf, sizeof(buf));
	if (n != (long)strlen(PAYLOAD)) {
		perror("with_key: the caller cannot read its own key");
		return 1;
	}
	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%ld\n", key) < 0 || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
