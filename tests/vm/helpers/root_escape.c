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
 */
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
	fprintf(stderr, "usage: root_escape clone3-cgroup DIR | setown PID | setown-ex PID | "
			"tiocsti | reboot | sethostname NAME | setflags FILE | connect PATH\n");
	return 2;
}
