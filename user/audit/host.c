// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks 5 and 6: failed SSH logins and disk usage.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "audit_checks.h"

#define DAY (24 * 60 * 60)

/* ---- 5. failed SSH logins ---- */

#define SSH_MAX_SOURCES 256

struct ssh_tally {
	unsigned long failures;
	struct {
		char ip[48];
		unsigned long n;
	} src[SSH_MAX_SOURCES];
	size_t n_src;
};

static void tally_source(struct ssh_tally *t, const char *line)
{
	const char *from = strstr(line, " from ");
	char ip[48];

	if (!from || sscanf(from, " from %47s", ip) != 1)
		return;
	for (size_t i = 0; i < t->n_src; i++) {
		if (!strcmp(t->src[i].ip, ip)) {
			t->src[i].n++;
			return;
		}
	}
	if (t->n_src < SSH_MAX_SOURCES) {
		snprintf(t->src[t->n_src].ip, sizeof(t->src[0].ip), "%s", ip);
		t->src[t->n_src++].n = 1;
	}
}

/* One failure per line of these kinds: sshd's own words, as fail2ban's filter reads them. */
static void tally_line(struct ssh_tally *t, const char *line)
{
	static const char *const markers[] = { "Failed password for ", "Failed publickey for ",
					       "Failed keyboard-interactive", "Invalid user " };

	/* sshd's own lines ("host sshd[12]: ..."), not another program quoting it */
	if (!strstr(line, " sshd[") && !strstr(line, " sshd-session["))
		return;
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		if (strstr(line, markers[i])) {
			t->failures++;
			tally_source(t, line);
			return;
		}
	}
}

static bool has_journal(const struct audit_ctx *ctx)
{
	static const char *const dirs[] = { "/var/log/journal", "/run/log/journal" };
	char path[PATH_MAX];

	for (size_t i = 0; i < 2; i++)
		if (!audit_path(ctx, dirs[i], path, sizeof(path)) && audit_dir_has_entries(path))
			return true;
	return false;
}

static int ssh_from_journal(const struct audit_ctx *ctx, struct ssh_tally *t)
{
	static const char *const argv[] = { "journalctl", "-q", "--no-pager", "-o", "short-iso",
					    "--since=-24h", "-u", "ssh", "-u", "sshd", NULL };
	char *out = NULL;
	int ret;

	if (!has_journal(ctx))
		return -ENOENT;
	ret = audit_cmd_output(ctx, "journalctl-ssh", argv, &out);
	if (!ret)
		for_each_line(line, next, out)
			tally_line(t, line);
	free(out);
	return ret;
}

/*
 * The time of a syslog line: RFC 3339 ("2026-11-27T05:52:49.123+00:00 host
 * sshd[1]: ...", Debian 12's rsyslog) or the classic "Nov 27 05:52:49", which
 * has no year: this year, unless that puts it in the future.
 */
static bool syslog_time(const char *line, time_t now, time_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = { .tm_isdst = -1 }, now_tm;
	char mon[4], *m;
	int n = 0;

	if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 6) {
		const char *p = line + n;
		int oh = 0, om = 0, sign;

		tm.tm_year -= 1900;
		tm.tm_mon--;
		if (*p == '.')
			p += 1 + strspn(p + 1, "0123456789");
		sign = *p == '-' ? -1 : 1;
		/* "+02:00" (RFC 3339) or "+0200" (journalctl -o short-iso) */
		if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 &&
		    sscanf(p + 1, "%2d%2d", &oh, &om) < 1)
			return false;
		if (*p != 'Z' && *p != '+' && *p != '-') {
			*t = mktime(&tm); /* no offset: local time */
			return *t != (time_t)-1;
		}
		*t = timegm(&tm) - sign * (oh * 3600 + om * 60);
		return true;
	}
	if (sscanf(line, "%3s %d %d:%d:%d", mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec) != 5 || strlen(mon) != 3 || !(m = strstr(months, mon)))
		return false;
	localtime_r(&now, &now_tm);
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_year = now_tm.tm_year;
	*t = mktime(&tm);
	if (*t > now + DAY) {
		struct tm last_year = tm;

		last_year.tm_year--;
		last_year.tm_isdst = -1;
		*t = mktime(&last_year);
	}
	return *t != (time_t)-1;
}

static int ssh_from_auth_log(const struct audit_ctx *ctx, struct ssh_tally *t)
{
	/* a rotation in the last day leaves part of it in auth.log.1 (delaycompress) */
	static const char *const files[] = { "/var/log/auth.log.1", "/var/log/auth.log" };
	int found = 0;

	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX], *line = NULL;
		size_t cap = 0;
		FILE *f;

		audit_path(ctx, files[i], path, sizeof(path));
		f = fopen(path, "re");
		if (!f)
			continue;
		found++;
		while (getline(&line, &cap, f) > 0) {
			time_t when;

			if (syslog_time(line, ctx->now, &when) && when >= ctx->now - DAY &&
			    when <= ctx->now + 3600)
				tally_line(t, line);
		}
		free(line);
		fclose(f);
	}
	return found ? 0 : -ENOENT;
}

static void top_sources(struct ssh_tally *t, char *out, size_t len)
{
	out[0] = '\0';
	for (int k = 0; k < 3 && t->n_src; k++) {
		size_t best = 0;

		for (size_t i = 1; i < t->n_src; i++)
			if (t->src[i].n > t->src[best].n)
				best = i;
		snprintf(out + strlen(out), len - strlen(out), "%s%s (%lu)", k ? ", " : "",
			 t->src[best].ip, t->src[best].n);
		t->src[best] = t->src[--t->n_src];
	}
}

int audit_check_ssh_failures(const struct audit_ctx *ctx, struct audit_report *r)
{
	struct ssh_tally *t = calloc(1, sizeof(*t));
	const char *source = "the journal";
	char top[256];
	int ret;

	if (!t)
		return -ENOMEM;
	ret = ssh_from_journal(ctx, t);
	if (ret) {
		memset(t, 0, sizeof(*t));
		source = "/var/log/auth.log";
		ret = ssh_from_auth_log(ctx, t);
	}
	if (!ret && t->failures > (unsigned long)ctx->cfg->ssh_failures_max) {
		top_sources(t, top, sizeof(top));
		ret = audit_add(r, "host.ssh-failures", AUDIT_MEDIUM,
				"check that fail2ban bans them (fail2ban-client status sshd); allow key "
				"logins only (PasswordAuthentication no) and, where you can, only known "
				"networks on port 22",
				"%lu failed SSH logins in the last 24 h (audit.sshFailuresMax: %d; %s), "
				"most from %s", t->failures, ctx->cfg->ssh_failures_max, source,
				top[0] ? top : "unknown addresses");
	}
	free(t);
	return ret;
}

/* ---- 6. disk usage ---- */

int audit_used_percent(uint64_t used, uint64_t avail)
{
	uint64_t total = used + avail;

	return total ? (int)((used * 100 + total - 1) / total) : 0;
}

/* The filesystem that holds path: path itself, or its nearest existing parent. */
static int nearest_existing(const char *path, char *out, size_t len, struct stat *st)
{
	snprintf(out, len, "%s", path);
	for (;;) {
		char *slash;

		if (!stat(out[0] ? out : "/", st))
			return 0;
		slash = strrchr(out, '/');
		if (!slash)
			return -ENOENT;
		*slash = '\0';
	}
}

static int check_one_disk(const struct audit_ctx *ctx, const char *host_path, const char *what,
			  dev_t *seen, size_t *n_seen, struct audit_report *r)
{
	char path[PATH_MAX], at[PATH_MAX], fix[PATH_MAX + 128];
	struct statvfs vfs;
	struct stat st;
	int blocks, inodes;

	audit_path(ctx, host_path, path, sizeof(path));
	if (nearest_existing(path, at, sizeof(at), &st) || statvfs(at[0] ? at : "/", &vfs))
		return -ENOENT;
	for (size_t i = 0; i < *n_seen; i++)
		if (seen[i] == st.st_dev)
			return 0;
	seen[(*n_seen)++] = st.st_dev;
	blocks = audit_used_percent(vfs.f_blocks - vfs.f_bfree, vfs.f_bavail);
	inodes = vfs.f_files ? audit_used_percent(vfs.f_files - vfs.f_ffree, vfs.f_favail) : 0;
	if (blocks <= ctx->cfg->disk_max_percent && inodes <= ctx->cfg->disk_max_percent)
		return 0;
	snprintf(fix, sizeof(fix), "free space there (du -xh -d 2 %s | sort -h | tail) or grow the "
		 "filesystem; a full disk stops agents' work and warden's logs",
		 audit_shown(ctx, at[0] ? at : "/"));
	return audit_add(r, "host.disk", AUDIT_MEDIUM, fix,
			 "the filesystem holding %s (%s) is %d%% full, %d%% of its inodes used "
			 "(audit.diskMaxPercent: %d)", host_path, what, blocks, inodes,
			 ctx->cfg->disk_max_percent);
}

int audit_check_disk(const struct audit_ctx *ctx, struct audit_report *r)
{
	size_t n = ctx->policy ? ctx->policy->n_agents : 0, n_seen = 0;
	dev_t *seen = calloc(n + 1, sizeof(*seen));
	char state_dir[PATH_MAX], what[128];
	int ret;

	if (!seen)
		return -ENOMEM;
	audit_parent_dir(ctx->cfg->state_file, state_dir, sizeof(state_dir));
	ret = check_one_disk(ctx, state_dir, "warden's state", seen, &n_seen, r);
	if (ret == -ENOENT)
		ret = 0;
	for (size_t i = 0; !ret && i < n; i++) {
		const struct agent_policy *a = &ctx->policy->agents[i];

		if (!a->workspace)
			continue;
		snprintf(what, sizeof(what), "agent %s's workspace", a->name);
		ret = check_one_disk(ctx, a->workspace, what, seen, &n_seen, r);
		if (ret == -ENOENT)
			ret = 0;
	}
	free(seen);
	return ret;
}
