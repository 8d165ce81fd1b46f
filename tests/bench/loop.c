// SPDX-License-Identifier: GPL-2.0-only
/*
 * The timed loops of `make bench`. Timing happens here, around tight loops,
 * with CLOCK_MONOTONIC, so what is measured is the syscall path alone: not
 * the start of this process, not `warden run` asking the daemon for a
 * cgroup, not the shell. Each configuration runs this same binary (directly,
 * under `warden run`, or under the Landlock wrapper), so the only thing that
 * differs between columns of the table is the enforcement.
 *
 *   loop ITERS SAMPLES OP PATH [OP PATH ...]
 *     open PATH         open(O_RDONLY) + close; every call must succeed
 *     open-denied PATH  open(O_RDONLY) (+ close if it succeeds); a refusal
 *                       is the expected outcome under enforcement, so here
 *                       FAILURES counts the opens that succeeded
 *     stat PATH         stat()
 *     exec PATH         fork() + execve(PATH) + waitpid(); must exit 0
 *     connect ADDR      TCP connect()+close() to a listener of this process
 *     udp ADDR          UDP sendto() to a socket of this process
 *     dns NAME          one A query for NAME to 127.0.0.1:53 and its answer
 *                       (warden's resolver answers a confined agent's
 *                       queries to any address); must answer NOERROR
 *     dns-refused NAME  the same; must answer an error (REFUSED, NXDOMAIN)
 *   prints "OP NS_PER_OP FAILURES" for each of SAMPLES samples of ITERS calls
 *   after one untimed warm-up sample of ITERS/10 calls (caches, lazy binding).
 *
 *   loop rate PATH RATE SECONDS [PRODUCERS]
 *     denied opens paced at RATE a second (bursts each millisecond) for
 *     SECONDS: the event generator. Prints "rate RATE ATTEMPTS REFUSED NS".
 *     RATE 0 means as fast as possible. PRODUCERS processes (default 1)
 *     share RATE: one vCPU alone cannot make denials fast enough.
 *
 *   loop time CMD [ARGS...]
 *     runs CMD, prints "time NS STATUS": a workload timed from inside the
 *     confined process, so `warden run`'s own start-up is not counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Runs argv to completion; its wait status, or -1 when fork fails. execvp
 * is execve for a path with a '/', and finds "sh" for `loop time sh ...`.
 */
static int spawn(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* "127.0.0.1:PORT" (IPv4 only: what the bench needs) */
static int loopback_addr(const char *text, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(text, ':');

	if (!colon || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

/*
 * n TCP connect()+close() to addr, each accepted and closed by a listener
 * of this process (so the backlog never fills): the hooks judge connect.
 */
static long run_connect(const char *addr, long n)
{
	struct sockaddr_in sin;
	long failures = 0;
	int one = 1, l;

	if (loopback_addr(addr, &sin))
		return n;
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 64)) {
		if (l >= 0)
			close(l);
		return n;
	}
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), a;

		if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin))) {
			failures++;
		} else if ((a = accept(l, NULL, NULL)) >= 0) {
			close(a);
		}
		if (c >= 0)
			close(c);
	}
	close(l);
	return failures;
}

/* n sendto() of one byte to addr, where a socket of this process is bound (and never reads) */
static long run_udp(const char *addr, long n)
{
	struct sockaddr_in sin;
	long failures = 0;
	char byte = 'x';
	int r, s;

	if (loopback_addr(addr, &sin))
		return n;
	r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r < 0 || s < 0 || bind(r, (struct sockaddr *)&sin, sizeof(sin))) {
		failures = n;
	} else {
		/* a full receive queue drops datagrams silently: sendto still succeeds */
		for (long i = 0; i < n; i++)
			if (sendto(s, &byte, 1, 0, (struct sockaddr *)&sin, sizeof(sin)) != 1)
				failures++;
	}
	if (r >= 0)
		close(r);
	if (s >= 0)
		close(s);
	return failures;
}

/*
 * n DNS queries for name, one at a time; returns those not answered as
 * want_ok says (NOERROR, or an error code). A query is the fixed 12-byte
 * header and one question, built here: this is a load generator, the
 * resolver under test parses with ldns.
 */
static long run_dns(const char *name, long n, int want_ok)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(53),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 2 };
	unsigned char q[300], a[512];
	size_t len = 12, nl = strlen(name);
	long failures = 0;
	int s;

	if (nl == 0 || nl > 250)
		return n;
	memset(q, 0, sizeof(q));
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	for (const char *p = name; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		q[len++] = (unsigned char)l;
		memcpy(&q[len], p, l);
		len += l;
		p += l + (dot ? 1 : 0);
	}
	q[len++] = 0;
	q[len++] = 0, q[len++] = 1; /* QTYPE A */
	q[len++] = 0, q[len++] = 1; /* QCLASS IN */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin))) {
		if (s >= 0)
			close(s);
		return n;
	}
	for (long i = 0; i < n; i++) {
		ssize_t got;
		int rcode;

		q[0] = (unsigned char)(i >> 8), q[1] = (unsigned char)i; /* the id */
		if (send(s, q, len, 0) != (ssize_t)len) {
			failures++;
			continue;
		}
		do
			got = recv(s, a, sizeof(a), 0);
		while (got >= 2 && (a[0] != q[0] || a[1] != q[1])); /* a late answer */
		if (got < 12) {
			failures++;
			continue;
		}
		rcode = a[3] & 0x0f;
		if ((rcode == 0) != want_ok)
			failures++;
	}
	close(s);
	return failures;
}

/* n calls of op on path; returns the calls that did not do what op expects. */
static long run_op(const char *op, const char *path, long n)
{
	char *argv[] = { (char *)path, NULL };
	struct stat st;
	long failures = 0;

	if (!strcmp(op, "open")) {
		for (long i = 0; i < n; i++) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				failures++;
			else
				close(fd);
		}
	} else if (!strcmp(op, "open-denied")) {
		for (long i = 0; i < n; i++) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			/* the caller knows whether this configuration should refuse */
			if (fd >= 0) {
				close(fd);
				failures++;
			}
		}
	} else if (!strcmp(op, "stat")) {
		for (long i = 0; i < n; i++)
			if (stat(path, &st))
				failures++;
	} else if (!strcmp(op, "connect")) {
		failures = run_connect(path, n);
	} else if (!strcmp(op, "udp")) {
		failures = run_udp(path, n);
	} else if (!strcmp(op, "dns") || !strcmp(op, "dns-refused")) {
		failures = run_dns(path, n, !strcmp(op, "dns"));
	} else if (!strcmp(op, "exec")) {
		for (long i = 0; i < n; i++)
			if (spawn(argv) != 0)
				failures++;
	} else {
		return -1;
	}
	return failures;
}

static int loops(int argc, char **argv)
{
	long iters = atol(argv[1]), samples = atol(argv[2]);

	if (iters <= 0 || samples <= 0 || argc < 5 || (argc - 3) % 2)
		return 2;
	for (int a = 3; a + 1 < argc; a += 2) {
		const char *op = argv[a], *path = argv[a + 1];

		if (run_op(op, path, iters / 10 + 1) < 0) {
			fprintf(stderr, "loop: unknown op %s\n", op);
			return 2;
		}
		for (long s = 0; s < samples; s++) {
			uint64_t t0 = now_ns();
			long failures = run_op(op, path, iters);
			uint64_t t1 = now_ns();

			printf("%s %.1f %ld\n", op, (double)(t1 - t0) / iters, failures);
			/*
			 * Each refused open is an event: give the daemon time to
			 * drain them, so the next sample measures a denial with
			 * its event and not the cheaper full-ring path.
			 */
			if (!strcmp(op, "open-denied"))
				usleep(200 * 1000);
		}
		fflush(stdout);
	}
	return 0;
}

/* One producer: opens of path at target a second (0: flat out) until end. */
static void produce(const char *path, long target, uint64_t end, long *attempts, long *refused)
{
	struct timespec tick;

	clock_gettime(CLOCK_MONOTONIC, &tick);
	for (long ms = 1;; ms++) {
		/* catch up to where the schedule says we should be, then sleep a tick */
		long due = target ? (long)((double)target * ms / 1000) : *attempts + 1000;

		while (*attempts < due) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			(*attempts)++;
			if (fd >= 0)
				close(fd);
			else
				(*refused)++;
		}
		if (now_ns() >= end)
			break;
		if (target) {
			tick.tv_nsec += 1000000;
			if (tick.tv_nsec >= 1000000000) {
				tick.tv_nsec -= 1000000000;
				tick.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
		}
	}
}

/* PRODUCERS processes share the rate: one CPU cannot make denials as fast as two. */
static int rate(int argc, char **argv)
{
	const char *path = argv[2];
	long target = atol(argv[3]), attempts = 0, refused = 0;
	int producers = argc > 5 ? atoi(argv[5]) : 1, pipefd[2];
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(atof(argv[4]) * 1e9);

	if (producers < 1 || pipe(pipefd))
		return 1;
	for (int i = 1; i < producers; i++) {
		if (fork() == 0) {
			long counts[2] = { 0, 0 };

			produce(path, target / producers, end, &counts[0], &counts[1]);
			_exit(write(pipefd[1], counts, sizeof(counts)) == sizeof(counts) ? 0 : 1);
		}
	}
	close(pipefd[1]);
	produce(path, target / producers, end, &attempts, &refused);
	for (int i = 1; i < producers; i++) {
		long counts[2];

		if (read(pipefd[0], counts, sizeof(counts)) == sizeof(counts)) {
			attempts += counts[0];
			refused += counts[1];
		}
	}
	while (wait(NULL) > 0)
		;
	printf("rate %ld %ld %ld %llu\n", target, attempts, refused,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}

static int timed(char **argv)
{
	uint64_t t0 = now_ns();
	int status = spawn(argv + 2);

	printf("time %llu %d\n", (unsigned long long)(now_ns() - t0),
	       status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 255);
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	if (argc >= 5 && !strcmp(argv[1], "rate"))
		ret = rate(argc, argv);
	else if (argc >= 3 && !strcmp(argv[1], "time"))
		ret = timed(argv);
	else if (argc >= 5)
		ret = loops(argc, argv);
	if (ret == 2)
		fprintf(stderr, "usage: loop ITERS SAMPLES OP PATH [OP PATH...] | "
				"loop rate PATH RATE SECONDS [PRODUCERS] | loop time CMD [ARGS...]\n");
	return ret;
}
