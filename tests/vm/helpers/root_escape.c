// SPDX-License-Identifier: GPL-2.0-only
/*
 * root_escape SUBCOMMAND [ARGS]: the routes a root process inside an agent
 * would take out of it, one real syscall each. Prints "ok" when the route
 * worked, else the errno name (EPERM when warden refused it), and exits 0
 * either way unless the call could not even be attempted (exit 2).
 *
 *   clone3-cgroup DIR   clone3(CLONE_INTO_CGROUP) into the cgroup DIR
 *   setown PID          F_SETOWN PID, F_SETSIG SIGKILL, O_ASYNC on a pipe, write
 *   setown-ex PID       the same with F_SETOWN_EX
 *   tiocsti             type a character into a terminal (own pty as ctty)
 *   reboot              reboot(2) with bad magic: EINVAL means it passed the check
 *   sethostname NAME
 *   setflags FILE       FS_IOC_SETFLAGS (chattr) on FILE, opened read-only
 *   connect PATH        connect to a unix stream socket
 *   uring-personality   an io_uring NOP run with registered credentials
 *   setown-race PID     a pipe armed with F_SETSIG SIGKILL and O_ASYNC while
 *                       it is its own owner, then F_SETOWN_EX while a thread
 *                       flips the pid between self and PID; once the kernel
 *                       took PID, a write (prints "won" or "lost")
 *   async-later PID READY GO
 *                       sets PID as a pipe's owner now, touches READY, waits
 *                       for GO, then F_SETSIG SIGKILL, O_ASYNC, write
 *                       (prints both results)
 */
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int report(int ret)
{
	puts(ret == 0 ? "ok" : strerrorname_np(errno));
	return 0;
}

static int clone3_cgroup(const char *dir)
{
	struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	long pid;

	if (fd < 0)
		return perror(dir), 2;
	args.cgroup = (unsigned)fd;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		execlp("cat", "cat", "/proc/self/cgroup", (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return report(-1);
	waitpid((pid_t)pid, NULL, 0);
	return report(0);
}

static int setown(pid_t target, bool ex)
{
	int p[2], ret;

	if (pipe(p))
		return perror("pipe"), 2;
	if (ex) {
		struct f_owner_ex o = { .type = F_OWNER_PID, .pid = target };

		ret = fcntl(p[0], F_SETOWN_EX, &o);
	} else {
		ret = fcntl(p[0], F_SETOWN, target);
	}
	if (ret)
		return report(-1);
	if (fcntl(p[0], F_SETSIG, SIGKILL) || fcntl(p[0], F_SETFL, O_ASYNC))
		return report(-1);
	if (write(p[1], "x", 1) != 1)
		return report(-1);
	usleep(100000);
	return report(0);
}

static int tiocsti(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int m = posix_openpt(O_RDWR | O_NOCTTY), s;
		char c = 'x';

		if (m < 0 || grantpt(m) || unlockpt(m) || setsid() < 0)
			_exit(2);
		s = open(ptsname(m), O_RDWR);
		if (s < 0 || ioctl(s, TIOCSCTTY, 0))
			_exit(2);
		report(ioctl(s, TIOCSTI, &c));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

static int setflags(const char *file)
{
	int fd = open(file, O_RDONLY), flags = 0;

	if (fd < 0)
		return perror(file), 2;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		flags = 0;
	flags |= FS_NOATIME_FL;
	return report(ioctl(fd, FS_IOC_SETFLAGS, &flags));
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	return report(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
}

static void *ring_map(int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

/* The NOP's completion result: 0, or what refused the personality. */
static int uring_personality(void)
{
	struct io_uring_params p = { 0 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	unsigned *tail, *array, *ctail;
	char *sq, *cq;
	int fd, id;

	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return perror("io_uring_setup"), 2;
	id = (int)syscall(__NR_io_uring_register, fd, IORING_REGISTER_PERSONALITY, NULL, 0);
	if (id < 0)
		return perror("IORING_REGISTER_PERSONALITY"), 2;
	sq = ring_map(fd, p.sq_off.array + p.sq_entries * sizeof(unsigned), IORING_OFF_SQ_RING);
	cq = ring_map(fd, p.cq_off.cqes + p.cq_entries * sizeof(*cqe), IORING_OFF_CQ_RING);
	sqe = ring_map(fd, p.sq_entries * sizeof(*sqe), IORING_OFF_SQES);
	if (!sq || !cq || !sqe)
		return perror("mmap"), 2;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_NOP;
	sqe->personality = (__u16)id;
	sqe->user_data = 1;
	tail = (unsigned *)(sq + p.sq_off.tail);
	array = (unsigned *)(sq + p.sq_off.array);
	array[*tail & *(unsigned *)(sq + p.sq_off.ring_mask)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return report(-1);
	ctail = (unsigned *)(cq + p.cq_off.tail);
	if (__atomic_load_n(ctail, __ATOMIC_ACQUIRE) == *(unsigned *)(cq + p.cq_off.head))
		return fputs("no completion\n", stderr), 2;
	cqe = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	errno = -cqe->res;
	return report(cqe->res ? -1 : 0);
}

static struct f_owner_ex race_owner = { .type = F_OWNER_PID };
static volatile int race_stop;
static pid_t race_self, race_victim;

static void *race_flipper(void *unused)
{
	while (!race_stop) {
		__atomic_store_n(&race_owner.pid, race_victim, __ATOMIC_RELAXED);
		__atomic_store_n(&race_owner.pid, race_self, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int setown_race(pid_t victim)
{
	struct f_owner_ex got;
	pthread_t t;
	int p[2], won = 0;

	if (pipe(p))
		return perror("pipe"), 2;
	race_self = getpid();
	race_victim = victim;
	race_owner.pid = race_self;
	/* armed while the owner is itself (allowed): only the owner changes in the race */
	if (fcntl(p[0], F_SETOWN, race_self) || fcntl(p[0], F_SETSIG, SIGKILL) ||
	    fcntl(p[0], F_SETFL, O_ASYNC))
		return perror("arming"), 2;
	pthread_create(&t, NULL, race_flipper, NULL);
	for (int i = 0; i < 200000 && !won; i++)
		won = !fcntl(p[0], F_SETOWN_EX, &race_owner) &&
		      !fcntl(p[0], F_GETOWN_EX, &got) && got.pid == victim;
	race_stop = 1;
	pthread_join(t, NULL);
	puts(won ? "won" : "lost");
	fflush(stdout);
	if (won) {
		(void)!write(p[1], "x", 1); /* SIGIO (as SIGKILL) to the owner the race left */
		usleep(200000);
	}
	return 0;
}

static int async_later(pid_t owner, const char *ready, const char *go)
{
	struct stat st;
	int p[2];

	if (pipe(p) || fcntl(p[0], F_SETOWN, owner))
		return perror("pipe/F_SETOWN"), 2;
	close(open(ready, O_CREAT | O_WRONLY, 0644));
	while (stat(go, &st))
		usleep(20000);
	printf("F_SETSIG %s\n", fcntl(p[0], F_SETSIG, SIGKILL) ? strerrorname_np(errno) : "ok");
	printf("O_ASYNC %s\n", fcntl(p[0], F_SETFL, O_ASYNC) ? strerrorname_np(errno) : "ok");
	fflush(stdout);
	(void)!write(p[1], "x", 1);
	usleep(200000);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "clone3-cgroup") && argc == 3)
		return clone3_cgroup(argv[2]);
	if (!strcmp(cmd, "setown") && argc == 3)
		return setown(atoi(argv[2]), false);
	if (!strcmp(cmd, "setown-ex") && argc == 3)
		return setown(atoi(argv[2]), true);
	if (!strcmp(cmd, "tiocsti"))
		return tiocsti();
	if (!strcmp(cmd, "reboot"))
		return report((int)syscall(SYS_reboot, 0x12345678, 0x87654321, 0, NULL));
	if (!strcmp(cmd, "sethostname") && argc == 3)
		return report(sethostname(argv[2], strlen(argv[2])));
	if (!strcmp(cmd, "setflags") && argc == 3)
		return setflags(argv[2]);
	if (!strcmp(cmd, "connect") && argc == 3)
		return unix_connect(argv[2]);
	if (!strcmp(cmd, "uring-personality"))
		return uring_personality();
	if (!strcmp(cmd, "setown-race") && argc == 3)
		return setown_race(atoi(argv[2]));
	if (!strcmp(cmd, "async-later") && argc == 5)
		return async_later(atoi(argv[2]), argv[3], argv[4]);
	fprintf(stderr, "usage: root_escape clone3-cgroup DIR | setown PID | setown-ex PID | "
			"tiocsti | reboot | sethostname NAME | setflags FILE | connect PATH | "
			"uring-personality | setown-race PID | async-later PID READY GO\n");
	return 2;
}
