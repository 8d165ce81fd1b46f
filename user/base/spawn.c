// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include "fileio.h"
#include "spawn.h"

pid_t fork_piped(enum spawn_pipe dir, int *ours, int *theirs)
{
	int fds[2], ret;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	*ours = dir == SPAWN_STDIN ? fds[1] : fds[0];
	*theirs = dir == SPAWN_STDIN ? fds[0] : fds[1];
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	close(pid ? *theirs : *ours);
	return pid;
}

pid_t spawn_piped(const char *file, char *const argv[], char *const envp[], enum spawn_pipe dir,
		  int *fd)
{
	int ours, theirs;
	pid_t pid = fork_piped(dir, &ours, &theirs);

	if (pid < 0)
		return pid;
	if (pid == 0) {
		if (dir == SPAWN_STDIN) {
			if (dup2(theirs, 0) < 0)
				_exit(126);
		} else {
			int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

			if (null < 0 || dup2(null, 0) < 0 || dup2(theirs, 1) < 0 || dup2(theirs, 2) < 0)
				_exit(126);
		}
		if (envp)
			execve(file, argv, envp);
		else
			execvp(file, argv);
		_exit(127);
	}
	*fd = ours;
	return pid;
}

int spawn_output(const char *file, char *const argv[], char *const envp[], int timeout_ms,
		 char **out)
{
	int fd, status = 0, ret;
	pid_t pid = spawn_piped(file, argv, envp, SPAWN_STDOUT, &fd);

	if (pid < 0)
		return pid;
	ret = read_fd_text(fd, out, timeout_ms);
	close(fd);
	if (ret)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret)
		return ret;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
