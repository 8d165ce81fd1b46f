// SPDX-License-Identifier: GPL-2.0-only
/*
 * open_burst N PATH: opens PATH read-only N times (closing each), as fast
 * as it can. Prints how many opens failed with EPERM/EACCES, how many
 * succeeded, and the rate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n, denied = 0, opened = 0;
	struct timespec a, b;
	double secs;

	if (argc != 3) {
		fprintf(stderr, "usage: open_burst N PATH\n");
		return 2;
	}
	n = atol(argv[1]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			opened++;
			close(fd);
		} else if (errno == EPERM || errno == EACCES) {
			denied++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("denied=%ld opened=%ld seconds=%.3f rate=%.0f\n", denied, opened, secs, n / secs);
	return 0;
}
