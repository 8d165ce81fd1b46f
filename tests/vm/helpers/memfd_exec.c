// SPDX-License-Identifier: GPL-2.0-only
/*
 * memfd_exec FILE [ARGS...]: copies FILE into an anonymous memory file and
 * executes it with execveat(AT_EMPTY_PATH), the fileless-payload route.
 * Exit 126 and "execveat: <error>" when the exec is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *envp[] = { NULL };
	struct stat st;
	int src, mem;

	if (argc < 2) {
		fprintf(stderr, "usage: memfd_exec FILE [ARGS...]\n");
		return 2;
	}
	src = open(argv[1], O_RDONLY | O_CLOEXEC);
	mem = memfd_create("payload", MFD_CLOEXEC);
	if (src < 0 || mem < 0 || fstat(src, &st) ||
	    sendfile(mem, src, NULL, st.st_size) != st.st_size) {
		perror("memfd_exec: copy");
		return 2;
	}
	syscall(SYS_execveat, mem, "", argv + 1, envp, AT_EMPTY_PATH);
	fprintf(stderr, "execveat: %s\n", strerror(errno));
	return errno == EPERM || errno == EACCES ? 126 : 127;
}
