// SPDX-License-Identifier: GPL-2.0-only
/*
 * open_burst N PATH [THREADS]: opens PATH read-only N times (closing each),
 * as fast as it can, split over THREADS threads of one process (default 1):
 * threads of one process racing the same denied file share the kernel's
 * fold key, so their counts must add up exactly. Prints how many opens
 * failed with EPERM/EACCES, how many succeeded, and the rate.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

struct burst {
	const char *path;
	long n, denied, opened;
	pthread_t thread;
};

static void *open_loop(void *arg)
{
	struct burst *b = arg;

	for (long i = 0; i < b->n; i++) {
		int fd = open(b->path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			b->opened++;
			close(fd);
		} else if (errno == EPERM || errno == EACCES) {
			b->denied++;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct burst bursts[MAX_THREADS];
	long n, denied = 0, opened = 0, threads = 1;
	struct timespec a, b;
	double secs;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: open_burst N PATH [THREADS]\n");
		return 2;
	}
	n = atol(argv[1]);
	if (argc == 4)
		threads = atol(argv[3]);
	if (n < 0 || threads < 1 || threads > MAX_THREADS) {
		fprintf(stderr, "open_burst: N >= 0 and 1 <= THREADS <= %d\n", MAX_THREADS);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long t = 0; t < threads; t++) {
		bursts[t].path = argv[2];
		bursts[t].n = n / threads + (t < n % threads);
		if (t && pthread_create(&bursts[t].thread, NULL, open_loop, &bursts[t])) {
			perror("open_burst: pthread_create");
			return 1;
		}
	}
	open_loop(&bursts[0]);
	for (long t = 0; t < threads; t++) {
		if (t)
			pthread_join(bursts[t].thread, NULL);
		denied += bursts[t].denied;
		opened += bursts[t].opened;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("denied=%ld opened=%ld seconds=%.3f rate=%.0f\n", denied, opened, secs, n / secs);
	return 0;
}
