// SPDX-License-Identifier: GPL-2.0-only
/*
 * stop_race MS CMD [ARGS...]: runs CMD as a child on CPU 0, itself on CPU 0
 * too, with a SIGCHLD handler that keeps that CPU busy for MS ms. When a
 * held CMD stops, the kernel marks it stopped and wakes this parent
 * (CLD_STOPPED) before the child has slept; the woken parent preempts it
 * there and spins, so the child sits in 'T' without its sleep's switch for
 * MS ms: the window in which a daemon that took 'T' for "asleep" saw an
 * escape. Exits with CMD's status (128 + signal when killed).
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long spin_ms;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void on_child(int sig)
{
	long long end = now_ns() + spin_ms * 1000000LL;

	(void)sig;
	while (now_ns() < end)
		;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_child, .sa_flags = SA_RESTART };
	cpu_set_t cpu0;
	pid_t child;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: stop_race MS CMD [ARGS...]\n");
		return 2;
	}
	spin_ms = atol(argv[1]);
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0)) {
		perror("stop_race: sched_setaffinity");
		return 2;
	}
	sigaction(SIGCHLD, &sa, NULL);
	child = fork();
	if (child < 0) {
		perror("stop_race: fork");
		return 2;
	}
	if (!child) {
		execv(argv[2], argv + 2);
		perror("stop_race: exec");
		_exit(127);
	}
	while (waitpid(child, &status, 0) < 0)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
