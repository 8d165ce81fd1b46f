// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a held process is, read from /proc and the kernel's record while it
 * stays stopped: its state (still on its way to the stop, stopped, escaped),
 * argv, parent and user, the script it runs and whether it may change its
 * own binary.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include "daemon.h"
#include "enforcer.h"
#include "fileio.h"
#include "hash.h"
#include "resolve.h"

#define SCRIPT_HASH_MAX (16 << 20) /* scripts hashed for a request */

int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) ? -errno : 0;
}

/* State letter and voluntary context switches from /proc/PID/status; false when gone. */
static bool proc_sched(pid_t pid, char *state, uint64_t *nvcsw)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_buf(path, buf, sizeof(buf)) <= 0)
		return false;
	p = strstr(buf, "\nState:\t");
	*state = p ? p[8] : 0;
	p = strstr(buf, "\nvoluntary_ctxt_switches:\t");
	if (!p || !*state)
		return false;
	*nvcsw = strtoull(p + strlen("\nvoluntary_ctxt_switches:\t"), NULL, 10);
	return true;
}

/* /proc/PID/stat starttime (clock ticks since boot); 0 when gone. */
uint64_t proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	read_first_line(path, buf, sizeof(buf));
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			       "%*d %*d %*d %llu", &start) != 1)
		start = 0;
	return start;
}

/* Where held process pid is: the kernel's record against /proc (held_state.c). */
enum held_check held_check(struct daemon *d, pid_t pid)
{
	struct held_exec h;
	uint64_t nvcsw = 0;
	char state = 0;

	if (enforcer_held_get(d->enforcer, pid, &h) || h.exited)
		return HC_GONE;
	if (h.state != HELD_ESCAPED && !proc_sched(pid, &state, &nvcsw))
		return HC_GONE;
	return held_judge(h.state, h.nvcsw, state, nvcsw);
}

/* argv of a held process, whole up to ARGV_SHOWN_MAX bytes. */
json_object *cmdline_json(pid_t pid, size_t max, bool *truncated)
{
	json_object *argv = json_object_new_array();
	char path[64], *buf = malloc(max + 1);
	size_t n = 0;
	int fd;

	*truncated = false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return argv;
	}
	while (n < max + 1) {
		ssize_t r = read(fd, buf + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	if (n > max) {
		*truncated = true;
		n = max;
	}
	for (size_t off = 0; off < n;) {
		size_t len = strnlen(buf + off, n - off);

		if (off + len >= n && *truncated) {
			/* the cut argument is shown as far as it goes */
			json_object_array_add(argv, json_object_new_string_len(buf + off, (int)len));
			break;
		}
		json_object_array_add(argv, json_object_new_string_len(buf + off, (int)len));
		off += len + 1;
	}
	free(buf);
	return argv;
}

/* What a human needs beyond the exec event: binary, user, parent. */
void describe(json_object *info, pid_t pid, pid_t ppid, uid_t uid)
{
	json_object *parent = json_object_new_object();
	char path[64], buf[PATH_MAX];
	struct passwd *pw = getpwuid(uid);
	bool cut;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	json_object_object_add(info, "binary", json_object_new_string(buf));
	json_object_object_add(info, "user", json_object_new_string(pw ? pw->pw_name : "?"));
	snprintf(path, sizeof(path), "/proc/%d/comm", ppid);
	read_first_line(path, buf, sizeof(buf));
	json_object_object_add(parent, "pid", json_object_new_int(ppid));
	json_object_object_add(parent, "comm", json_object_new_string(buf));
	json_object_object_add(parent, "argv", cmdline_json(ppid, 4096, &cut));
	json_object_object_add(info, "parent", parent);
}

/*
 * Opens path as held process pid would: inside its root, relative to its
 * working directory (cwd, as the kernel read it) when not absolute, never
 * blocking on a FIFO. -errno on failure.
 */
static int open_in_process(pid_t pid, const char *cwd, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char root[64], full[PATH_MAX * 2];
	int rootfd, fd;

	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", cwd, path);
	fd = (int)syscall(SYS_openat2, rootfd, full, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(rootfd);
	return fd;
}

/* The script an interpreter's argv names: the first argument that is not an option. */
static const char *script_argument(json_object *argv)
{
	for (size_t i = 1; i < json_object_array_length(argv); i++) {
		const char *arg = json_object_get_string(json_object_array_get_idx(argv, i));

		if (arg[0] == '-') {
			/* inline code (sh -c, python -c, perl -e, node -e): no script file */
			if (!strcmp(arg, "-c") || !strcmp(arg, "-e") || !strcmp(arg, "-m") ||
			    !strcmp(arg, "--eval"))
				return NULL;
			continue;
		}
		return arg;
	}
	return NULL;
}

/*
 * {"path", "dev", "ino", "sha256"} of the script held process pid was
 * given, or NULL when it names none. *err says why when the named script
 * cannot be what the kernel started (a shebang script no longer at its
 * path): the request is then `changed` at once.
 */
json_object *script_json(pid_t pid, json_object *info, uint32_t flags, uint64_t kdev,
				uint64_t kino, const char **err)
{
	json_object *argv, *v, *o;
	const char *arg, *cwd = "";
	char hex[SHA256_HEX_LEN];
	struct file_id id;
	int fd;

	*err = NULL;
	if (!json_object_object_get_ex(info, "argv", &argv) ||
	    !json_object_object_get_ex(info, "binary", &v))
		return NULL;
	if (!(flags & EXEC_F_SCRIPT) && !approval_is_shell(json_object_get_string(v)))
		return NULL;
	arg = script_argument(argv);
	if (!arg) {
		if (flags & EXEC_F_SCRIPT)
			*err = "the script the kernel started is not in its argv";
		return NULL;
	}
	if (json_object_object_get_ex(info, "cwd", &v))
		cwd = json_object_get_string(v);
	fd = open_in_process(pid, cwd, arg);
	if (fd < 0 || file_identity_fd_of(fd, pid, &id) || sha256_fd(fd, SCRIPT_HASH_MAX, hex)) {
		if (fd >= 0)
			close(fd);
		if (flags & EXEC_F_SCRIPT)
			*err = "the script the kernel started cannot be read at its path";
		return NULL; /* an argument that is no readable regular file: not a script */
	}
	close(fd);
	if ((flags & EXEC_F_SCRIPT) && (id.dev != kdev || id.ino != kino)) {
		*err = "the file at the script's path is not the one the kernel started";
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(arg));
	json_object_object_add(o, "dev", json_object_new_uint64(id.dev));
	json_object_object_add(o, "ino", json_object_new_uint64(id.ino));
	json_object_object_add(o, "sha256", json_object_new_string(hex));
	return o;
}

/* Whether the script of request a is still what it was when it was shown. */
bool script_unchanged(const struct approval *a)
{
	json_object *script, *v;
	const char *path, *cwd = "";
	char hex[SHA256_HEX_LEN];
	struct file_id id;
	bool same = true;

	if (!json_object_object_get_ex(a->info, "script", &script))
		return true;
	path = json_object_get_string(json_object_object_get(script, "path"));
	if (json_object_object_get_ex(a->info, "cwd", &v))
		cwd = json_object_get_string(v);
	for (size_t j = 0; same && j < a->n_pids; j++) {
		int fd = open_in_process(a->pids[j], cwd, path);

		same = fd >= 0 && !file_identity_fd_of(fd, a->pids[j], &id) &&
		       id.dev == json_object_get_uint64(json_object_object_get(script, "dev")) &&
		       id.ino == json_object_get_uint64(json_object_object_get(script, "ino")) &&
		       !sha256_fd(fd, SCRIPT_HASH_MAX, hex) &&
		       !strcmp(hex, json_object_get_string(json_object_object_get(script, "sha256")));
		if (fd >= 0)
			close(fd);
	}
	return same;
}

/*
 * Whether the agent may change the binary: the kernel's verdict (its
 * closest file rule grants write) or plain permissions (owned by the
 * process's user, or writable by everyone).
 */
bool binary_writable(pid_t pid, uint32_t flags, uid_t uid)
{
	char path[64];
	struct stat st;

	if (flags & EXEC_F_WRITABLE)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st))
		return true; /* cannot tell: the safe side */
	return (uid != 0 && st.st_uid == uid) || (st.st_mode & S_IWOTH);
}
