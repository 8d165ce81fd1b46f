// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"

int cgroup2_check(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf))
		return -errno;
	return sf.f_type == CGROUP2_SUPER_MAGIC ? 0 : -ENOTSUP;
}

int cgroup_id(const char *path, uint64_t *id)
{
	struct stat st;

	/* cgroup2 directory inode numbers are the kernfs node ids the kernel reports */
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = st.st_ino;
	return 0;
}

int cgroup_mkdir(const char *path)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(text))
		err = -EIO;
	close(fd);
	return err;
}

int cgroup_move(const char *path, pid_t pid)
{
	char file[4096], text[32];

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	snprintf(text, sizeof(text), "%d\n", pid);
	return write_file(file, text);
}

int cgroup_populated(const char *path)
{
	char file[4096], line[128];
	int populated = -ENODATA;
	FILE *f;

	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "populated %d", &populated) == 1)
			break;
	fclose(f);
	return populated;
}

int cgroup_of_pid(pid_t pid, char *out, size_t len)
{
	char file[64], line[4096];
	int err = -ENOENT;
	FILE *f;

	if (pid)
		snprintf(file, sizeof(file), "/proc/%d/cgroup", pid);
	else
		snprintf(file, sizeof(file), "/proc/self/cgroup");
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue; /* the cgroup2 line is "0::/path" */
		line[strcspn(line, "\n")] = '\0';
		err = snprintf(out, len, "%s", line + 3) >= (int)len ? -ENAMETOOLONG : 0;
		break;
	}
	fclose(f);
	return err;
}
