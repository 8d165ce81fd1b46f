/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fork + pipe + exec, once: the audit's tools (their output read with a
 * deadline) and the approvals' notify command (the request on its stdin).
 */
#ifndef WARDEN_SPAWN_H
#define WARDEN_SPAWN_H

#include <sys/types.h>

enum spawn_pipe {
	SPAWN_STDIN,  /* *fd writes to the child's stdin */
	SPAWN_STDOUT, /* *fd reads the child's stdout and stderr; its stdin is /dev/null */
};

/*
 * fork() with a pipe between parent and child: *ours is the parent's end
 * (dir as for spawn_piped: SPAWN_STDOUT, the child writes), *theirs the
 * child's; each side gets only its own (close-on-exec). stdio is flushed
 * first so the child cannot write the parent's buffers again. What fork()
 * returns, or -errno.
 */
pid_t fork_piped(enum spawn_pipe dir, int *ours, int *theirs);

/*
 * Starts file with argv, connected to the caller by one pipe (*fd, close-
 * on-exec). envp NULL: the caller's environment, and file is looked up on
 * PATH (execvp); else exactly envp (execve). The child's pid, or -errno.
 * The caller reaps it.
 */
pid_t spawn_piped(const char *file, char *const argv[], char *const envp[], enum spawn_pipe dir,
		  int *fd);

/*
 * Runs file to its end with its output (stdout and stderr, read as
 * read_fd_text does) in *out; killed when it takes longer than timeout_ms.
 * 0 when it exits 0, -EIO when it fails (*out still set), -ETIMEDOUT or
 * -errno (*out unset).
 */
int spawn_output(const char *file, char *const argv[], char *const envp[], int timeout_ms,
		 char **out);

#endif
