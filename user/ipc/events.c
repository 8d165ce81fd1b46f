// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "events.h"
#include "json.h"
#include "jsonw.h"
#include "net_events.h"
#include "text.h"

const char *verdict_name(uint32_t verdict)
{
	switch (verdict) {
	case VERDICT_ALLOW: return "allow";
	case VERDICT_DENY: return "deny";
	case VERDICT_HOLD: return "hold";
	}
	return "unknown";
}

const char *reason_name(uint32_t reason)
{
	static const char *const names[REASON_MAX] = {
		[REASON_ALLOWLISTED] = "allowlisted",
		[REASON_EXEC_FULL] = "exec-security-full",
		[REASON_NOT_ALLOWLISTED] = "not-allowlisted",
		[REASON_EXEC_DISABLED] = "exec-security-deny",
		[REASON_MEMFD] = "memfd-exec",
		[REASON_NO_POLICY] = "no-policy-for-agent",
		[REASON_FS_DENIED] = "denied-path",
		[REASON_FS_DENIED_NAME] = "denied-name",
		[REASON_FS_NOT_ALLOWED] = "outside-allowed-paths",
		[REASON_FS_READ_ONLY] = "read-only",
		[REASON_FS_WALK_LIMIT] = "path-too-deep",
		[REASON_FS_WX] = "exec-mapping-of-writable-file",
		[REASON_FS_CGROUPFS] = "cgroupfs-write",
		[REASON_OTHER_PROCESS] = "other-process",
		[REASON_BPF_SYSCALL] = "bpf-syscall",
		[REASON_SANDBOX_SETUP] = "sandbox-setup",
		[REASON_ASK_ALWAYS] = "ask-always",
		[REASON_NO_APPROVER] = "no-approver",
		[REASON_HELD_PROCESS] = "held-process",
		[REASON_CAPABILITY] = "capability",
		[REASON_CGROUP_ESCAPE] = "cgroup-escape",
		[REASON_MOUNT] = "mount",
		[REASON_CONTROL_SOCKET] = "control-socket",
		[REASON_KERNEL_FS] = "kernel-filesystem-write",
		[REASON_DEVICE] = "device",
		[REASON_TTY_INJECT] = "terminal-injection",
		[REASON_NET_NOT_ALLOWED] = "destination-not-allowed",
		[REASON_NET_SOCKET] = "socket-type-not-allowed",
		[REASON_NET_UNIX] = "unix-socket-not-allowed",
		[REASON_NET_ASK] = "destination-not-allowed-ask",
		[REASON_NET_NO_RESOLVER] = "no-resolver",
		[REASON_WRITABLE_BINARY] = "writable-binary",
		[REASON_TRACED] = "traced",
		[REASON_UNSAFE_HOLD] = "unsafe-to-hold",
		[REASON_HOST_IPC] = "host-ipc-namespace",
		[REASON_SHM_OTHER] = "shm-of-another-agent",
		[REASON_SETUP_SYMLINK] = "symlink-in-agent-writable-place",
		[REASON_QUIET] = "quiet",
	};

	return reason < REASON_MAX && names[reason] ? names[reason] : "unknown";
}

/* A bounded copy of a kernel string field that may lack its NUL. */
static void field_string(char *out, size_t outlen, const char *field, size_t fieldlen)
{
	size_t n = strnlen(field, fieldlen);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, field, n);
	out[n] = '\0';
}

static void write_head(struct jsonw *w, const struct event_head *h, const char *type,
		       const char *agent, uint64_t seq)
{
	char ts[40], comm[WARDEN_COMM_LEN + 1];

	boottime_to_iso8601(h->ts_ns, ts, sizeof(ts));
	field_string(comm, sizeof(comm), h->comm, sizeof(h->comm));
	jsonw_kv_string(w, "ts", ts);
	jsonw_kv_uint(w, "seq", seq);
	jsonw_kv_string(w, "type", type);
	jsonw_kv_string(w, "verdict", verdict_name(h->verdict));
	jsonw_kv_string(w, "agent", agent ? agent : "?");
	jsonw_kv_int(w, "pid", h->pid);
	jsonw_kv_int(w, "ppid", h->ppid);
	jsonw_kv_int(w, "uid", h->uid);
	jsonw_kv_string(w, "comm", comm);
	jsonw_kv_string(w, "reason", reason_name(h->reason));
	jsonw_kv_uint(w, "generation", h->generation);
	jsonw_kv_uint(w, "cgroup", h->cgroup_id);
	if (h->count)
		jsonw_kv_uint(w, "count", h->count); /* a report of folded denials */
}

/*
 * The process's working directory, read while it is still alive (a denied
 * exec returns to the caller; an allowed one keeps the cwd).
 */
static void process_cwd(uint32_t pid, char *out, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/cwd", pid);
	n = readlink(link, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* "c/b/a/" (leaf first, as the kernel walks) -> "/a/b/c" */
static void reverse_components(const char *in, size_t len, char *out, size_t outlen)
{
	size_t end = len, o = 0;

	out[0] = '\0';
	while (end > 0) {
		size_t start;

		if (in[end - 1] == '/')
			end--;
		start = end;
		while (start > 0 && in[start - 1] != '/')
			start--;
		if (end > start && o + 1 + (end - start) < outlen) {
			out[o++] = '/';
			memcpy(out + o, in + start, end - start);
			o += end - start;
			out[o] = '\0';
		}
		end = start;
	}
	if (!o && outlen > 1)
		snprintf(out, outlen, "/");
}

static void write_exec(struct jsonw *w, const struct exec_event *e, const char *agent,
		       uint64_t seq)
{
	char path[WARDEN_PATH_LEN + 1], cwd[PATH_MAX], full[PATH_MAX + WARDEN_PATH_LEN + 2];
	size_t off = 0, used = e->args_len < WARDEN_ARGS_SIZE ? e->args_len : WARDEN_ARGS_SIZE;

	write_head(w, &e->head, "exec", agent, seq);
	field_string(path, sizeof(path), e->path, sizeof(e->path));
	if (e->cwd_len)
		reverse_components(e->cwd, strnlen(e->cwd, e->cwd_len < sizeof(e->cwd) ? e->cwd_len
										: sizeof(e->cwd)),
				   cwd, sizeof(cwd));
	else
		process_cwd(e->head.pid, cwd, sizeof(cwd));
	if (path[0] != '/' && cwd[0])
		snprintf(full, sizeof(full), "%s/%s", cwd, path);
	else
		snprintf(full, sizeof(full), "%s", path);
	jsonw_kv_string(w, "path", full);
	jsonw_key(w, "argv");
	jsonw_begin_array(w);
	for (uint32_t i = 0; i < e->argc && off < used; i++) {
		size_t n = strnlen(e->args + off, used - off);

		jsonw_string_len(w, e->args + off, n);
		off += n + 1;
	}
	jsonw_end_array(w);
	if (e->truncated)
		jsonw_kv_bool(w, "argvTruncated", true);
	if (e->head.reason == REASON_QUIET)
		jsonw_kv_bool(w, "quiet", true);
	jsonw_kv_string(w, "cwd", cwd);
	jsonw_kv_uint(w, "dev", e->dev);
	jsonw_kv_uint(w, "ino", e->ino);
}

const char *file_op_name(uint32_t op)
{
	static const char *const names[FILE_OP_MAX] = {
		[FILE_OP_OPEN_READ] = "open-read",   [FILE_OP_OPEN_WRITE] = "open-write",
		[FILE_OP_CREATE] = "create",	      [FILE_OP_MKDIR] = "mkdir",
		[FILE_OP_UNLINK] = "unlink",	      [FILE_OP_RMDIR] = "rmdir",
		[FILE_OP_RENAME] = "rename",	      [FILE_OP_LINK] = "link",
		[FILE_OP_SYMLINK] = "symlink",	      [FILE_OP_TRUNCATE] = "truncate",
		[FILE_OP_CHMOD] = "chmod",	      [FILE_OP_CHOWN] = "chown",
		[FILE_OP_MMAP_EXEC] = "mmap-exec",    [FILE_OP_MPROTECT_EXEC] = "mprotect-exec",
		[FILE_OP_PTRACE] = "ptrace",	      [FILE_OP_SIGNAL] = "signal",
		[FILE_OP_BPF] = "bpf",		      [FILE_OP_CAPABILITY] = "capability",
		[FILE_OP_CLONE] = "clone-into-cgroup", [FILE_OP_MOUNT] = "mount",
		[FILE_OP_UMOUNT] = "umount",	      [FILE_OP_PIVOT_ROOT] = "pivot-root",
		[FILE_OP_CONNECT] = "connect",	      [FILE_OP_IOCTL] = "ioctl",
		[FILE_OP_SETOWN] = "set-owner",	      [FILE_OP_SIGIO] = "sigio",
		[FILE_OP_SETXATTR] = "setxattr",      [FILE_OP_SETATTR] = "setattr",
		[FILE_OP_IPC] = "ipc",
		[FILE_OP_FOLLOW_LINK] = "follow-link",
	};

	return op < FILE_OP_MAX && names[op] ? names[op] : "unknown";
}

/* What a process event's op was about, named: the capability, the ioctl, the signal. */
static void write_process_detail(struct jsonw *w, const struct file_event *e)
{
	char hex[16];

	switch (e->op) {
	case FILE_OP_CAPABILITY:
		jsonw_kv_string(w, "capability", cap_name((int)e->access) ?: "unknown");
		break;
	case FILE_OP_IOCTL:
		snprintf(hex, sizeof(hex), "0x%x", e->access);
		jsonw_kv_string(w, "ioctl", hex);
		break;
	case FILE_OP_SIGIO:
		jsonw_kv_int(w, "signal", e->access);
		break;
	case FILE_OP_SETOWN:
		jsonw_kv_int(w, "owner", (int32_t)e->access);
		break;
	}
}

static void write_file(struct jsonw *w, const struct file_event *e, const char *agent,
		       uint64_t seq)
{
	char path[WARDEN_FILE_PATH_LEN + 2];
	size_t len = e->path_len < WARDEN_FILE_PATH_LEN ? e->path_len : WARDEN_FILE_PATH_LEN;

	write_head(w, &e->head, e->head.type == EVENT_FILE ? "file" : "process", agent, seq);
	jsonw_kv_string(w, "op", file_op_name(e->op));
	if (e->head.type == EVENT_FILE) {
		/* no names at all: a report of folded denials whose first the daemon never saw */
		reverse_components(e->path, strnlen(e->path, len), path, sizeof(path));
		jsonw_kv_string(w, "path", e->path_len ? path : "");
		jsonw_kv_string(w, "access",
				(e->access & FS_WRITE) ? ((e->access & FS_READ) ? "read,write" : "write")
						       : "read");
		jsonw_kv_uint(w, "dev", e->dev);
		jsonw_kv_uint(w, "ino", e->ino);
	} else {
		jsonw_kv_string(w, "path", "");
		jsonw_kv_int(w, "targetPid", e->target_pid);
		write_process_detail(w, e);
	}
}

int event_write_json(struct jsonw *w, const void *data, size_t len, const char *agent,
		     uint64_t seq, const char *net_name)
{
	const struct event_head *h = data;
	size_t start = w->len;

	w->comma = false;
	if (len < sizeof(*h))
		return -EINVAL;
	if (h->type == EVENT_EXEC && len >= sizeof(struct exec_event)) {
		jsonw_begin_object(w);
		write_exec(w, data, agent, seq);
	} else if (h->type == EVENT_NET && len >= sizeof(struct net_event)) {
		jsonw_begin_object(w);
		net_event_write(w, data, agent, seq, write_head);
		if (net_name)
			jsonw_kv_string(w, "name", net_name);
	} else if ((h->type == EVENT_FILE || h->type == EVENT_PROCESS) &&
		   len >= sizeof(struct file_event)) {
		jsonw_begin_object(w);
		write_file(w, data, agent, seq);
	} else {
		return -EINVAL;
	}
	jsonw_end_object(w);
	if (w->failed) {
		w->len = start;
		return -ENOMEM;
	}
	return 0;
}

json_object *event_to_json(const void *data, size_t len, const char *agent, uint64_t seq)
{
	struct jsonw w = { 0 };
	json_object *o = NULL;
	int err = event_write_json(&w, data, len, agent, seq, NULL);

	if (!err && !(o = json_tokener_parse(w.buf)))
		err = -EINVAL;
	jsonw_free(&w);
	if (err)
		errno = -err;
	return o;
}

/* Appends key=value with value escaped (agent-controlled text). */
static size_t add_field(char *out, size_t len, size_t n, const char *key, const char *value)
{
	if (n >= len)
		return n;
	n += snprintf(out + n, len - n, "%s", key);
	if (n >= len)
		return n;
	return n + text_escape(out + n, len - n, value);
}

void event_format_line(json_object *ev, char *out, size_t len)
{
	json_object *argv, *v;
	size_t n;

	n = (size_t)snprintf(out, len, "%s %-5s %s%s%s", json_get_string(ev, "ts", ""),
			     json_get_string(ev, "verdict", ""), json_get_string(ev, "type", ""),
			     json_object_object_get_ex(ev, "op", NULL) ? ":" : "", json_get_string(ev, "op", ""));
	n = add_field(out, len, n, " agent=", json_get_string(ev, "agent", ""));
	n = add_field(out, len, n, " pid=", json_get_string(ev, "pid", ""));
	n = add_field(out, len, n, " comm=", json_get_string(ev, "comm", ""));
	n = add_field(out, len, n, " path=", json_get_string(ev, "path", ""));
	n = add_field(out, len, n, " reason=", json_get_string(ev, "reason", ""));
	if (json_object_object_get_ex(ev, "count", NULL))
		n = add_field(out, len, n, " count=", json_get_string(ev, "count", ""));
	if (json_object_object_get_ex(ev, "addr", NULL)) {
		n = add_field(out, len, n, " proto=", json_get_string(ev, "proto", ""));
		n = add_field(out, len, n, " dest=", json_get_string(ev, "addr", ""));
		n = add_field(out, len, n, " port=", json_get_string(ev, "port", ""));
		n = add_field(out, len, n, " name=", json_get_string(ev, "name", ""));
	}
	if (json_object_object_get_ex(ev, "targetPid", NULL))
		n = add_field(out, len, n, " target=", json_get_string(ev, "targetPid", ""));
	if (json_object_object_get_ex(ev, "capability", NULL))
		n = add_field(out, len, n, " capability=", json_get_string(ev, "capability", ""));
	if (json_object_object_get_ex(ev, "approval", NULL))
		n = add_field(out, len, n, " approval=", json_get_string(ev, "approval", ""));
	if (json_object_object_get_ex(ev, "cwd", NULL))
		n = add_field(out, len, n, " cwd=", json_get_string(ev, "cwd", ""));
	if (json_object_object_get_ex(ev, "argv", &argv))
		n = add_field(out, len, n, " argv=",
			      json_object_to_json_string_ext(argv, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	if (json_object_object_get_ex(ev, "argvTruncated", &v) && json_object_get_boolean(v))
		n = add_field(out, len, n, " argv-truncated", "");
	if (json_object_object_get_ex(ev, "detail", NULL))
		n = add_field(out, len, n, " detail=", json_get_string(ev, "detail", ""));
	if (n >= len && len > 4)
		memcpy(out + len - 4, "...", 4); /* a cut line says it is cut */
}
