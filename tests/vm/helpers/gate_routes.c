// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate_routes MODE PROG [ARGS...]: the routes a hijacked agent takes around
 * the approval gate, each starting PROG (an exec that gets held):
 *
 *   traceme       the child asks to be traced (PTRACE_TRACEME) and execs PROG;
 *                 the parent, its tracer, resumes every stop with PTRACE_CONT
 *   orphan-ignore the child, in its own process group with SIGHUP ignored,
 *                 execs PROG; once it is stopped its parent exits, so the
 *                 kernel sends the orphaned group SIGHUP + SIGCONT
 *   orphan-block  the same with SIGHUP blocked
 *   orphan-dfl    the same with SIGHUP at its default (the kernel's SIGHUP kills it)
 *   many          15 identical children of one parent; prints how many were killed
 *   sigio         the parent makes the kernel send SIGCONT to the stopped
 *                 child through F_SETOWN + F_SETSIG on a pipe
 *   race N        N children, each execs PROG with argv[1] flipped by a second
 *                 thread between two strings of equal length during the execve
 *
 * Prints "exec-failed rc" when an exec is refused (the child exits 126).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static char **prog;

static void exec_prog(void)
{
	execv(prog[0], prog);
	printf("exec-failed %d (%s)\n", errno, strerror(errno));
	fflush(stdout);
	_exit(126);
}

/* Waits (up to 10 s) until pid is stopped (state T); 0 when it is. */
static int wait_stopped(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (!f || !p)
			return -1;
		if (p[2] == 'T')
			return 0;
		if (p[2] == 'Z')
			return -1;
		usleep(10000);
	}
	return -1;
}

static int traceme(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		exec_prog();
	}
	while (waitpid(pid, &status, 0) == pid) {
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		if (WIFSIGNALED(status))
			return 128 + WTERMSIG(status);
		/* suppress every stop, SIGSTOP included: the tracer's way around a hold */
		ptrace(PTRACE_CONT, pid, NULL, NULL);
	}
	return 1;
}

static pid_t orphan_child(const char *how, pid_t pgid)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t set;

		setpgid(0, pgid);
		if (!strcmp(how, "ignore"))
			signal(SIGHUP, SIG_IGN);
		if (!strcmp(how, "block")) {
			sigemptyset(&set);
			sigaddset(&set, SIGHUP);
			sigprocmask(SIG_BLOCK, &set, NULL);
		}
		exec_prog();
	}
	setpgid(pid, pgid ? pgid : pid);
	return pid;
}

static int orphan(const char *how, int n)
{
	pid_t first = 0, pid;

	for (int i = 0; i < n; i++) {
		pid = orphan_child(how, first);
		if (!first)
			first = pid;
	}
	if (wait_stopped(first) == 0)
		printf("stopped %d\n", first);
	else
		printf("not-stopped %d\n", first);
	return 0; /* the parent exits: the group is orphaned with stopped members */
}

/* n identical children of one parent: one request of n pids; prints how each ended. */
static int many(int n)
{
	int killed = 0, ran = 0, status;

	for (int i = 0; i < n; i++)
		if (fork() == 0)
			exec_prog();
	for (int i = 0; i < n; i++) {
		if (wait(&status) < 0)
			break;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
		else
			ran++;
	}
	printf("killed=%d ran=%d\n", killed, ran);
	return 0;
}

static int sigio(void)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return 1;
	pid = fork();
	if (pid == 0)
		exec_prog();
	if (wait_stopped(pid))
		return 1;
	fcntl(p[0], F_SETOWN, pid);
	fcntl(p[0], F_SETSIG, SIGCONT);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC);
	if (write(p[1], "x", 1) != 1)
		return 1;
	printf("sigio-sent %d\n", pid);
	waitpid(pid, NULL, 0); /* until the test decides */
	return 0;
}

static char race_buf[64];
static const char *race_a = "print-the-readme-please";
static const char *race_b = "rm-rf-/workspace--exfil";

static void *flipper(void *arg)
{
	for (unsigned long i = 0;; i++)
		memcpy(race_buf, (i & 1) ? race_b : race_a, strlen(race_a) + 1);
	return NULL;
}

static int race(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			pthread_t t;
			char *argv[] = { prog[0], race_buf, NULL };

			memcpy(race_buf, race_a, strlen(race_a) + 1);
			pthread_create(&t, NULL, flipper, NULL);
			usleep(1000);
			execv(argv[0], argv);
			_exit(126);
		}
		waitpid(pid, &status, 0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: gate_routes MODE PROG [ARGS...]\n");
		return 2;
	}
	if (!strcmp(argv[1], "race")) {
		if (argc < 4)
			return 2;
		prog = argv + 3;
		return race(atoi(argv[2]));
	}
	prog = argv + 2;
	if (!strcmp(argv[1], "traceme"))
		return traceme();
	if (!strncmp(argv[1], "orphan-", 7)) {
		return orphan(argv[1] + 7, 1);
	}
	if (!strcmp(argv[1], "many"))
		return many(15);
	if (!strcmp(argv[1], "sigio"))
		return sigio();
	fprintf(stderr, "gate_routes: unknown mode %s\n", argv[1]);
	return 2;
}
