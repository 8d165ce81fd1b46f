// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit's report (its findings, sorted and counted) and the helpers
 * every check group shares: paths below the test root, lines of text.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "audit_checks.h"


/* ---- the report ---- */

int audit_add(struct audit_report *r, const char *id, enum audit_severity severity,
	      const char *fix, const char *fmt, ...)
{
	struct audit_finding f = { .id = id, .severity = severity };
	va_list ap;
	int n;

	if (ARRAY_GROW(r->v, &r->cap, r->n + 1))
		return -ENOMEM;
	va_start(ap, fmt);
	n = vasprintf(&f.message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	f.fix = strdup(fix);
	if (!f.fix) {
		free(f.message);
		return -ENOMEM;
	}
	r->v[r->n++] = f;
	return 0;
}

size_t audit_count(const struct audit_report *r, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += !strcmp(r->v[i].id, id);
	return n;
}

const struct audit_finding *audit_find(const struct audit_report *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].id, id))
			return &r->v[i];
	return NULL;
}

void audit_report_sort(struct audit_report *r)
{
	/* insertion sort: stable, and reports are short */
	for (size_t i = 1; i < r->n; i++) {
		struct audit_finding f = r->v[i];
		size_t j = i;

		for (; j > 0 && r->v[j - 1].severity > f.severity; j--)
			r->v[j] = r->v[j - 1];
		r->v[j] = f;
	}
}

int audit_report_move(struct audit_report *to, struct audit_report *from)
{
	for (size_t i = 0; i < from->n; i++) {
		int err = audit_add(to, from->v[i].id, from->v[i].severity, from->v[i].fix, "%s",
				    from->v[i].message);

		if (err)
			return err;
	}
	audit_report_free(from);
	return 0;
}

void audit_report_free(struct audit_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].message);
		free(r->v[i].fix);
	}
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

const char *audit_severity_name(enum audit_severity s)
{
	switch (s) {
	case AUDIT_CRITICAL: return "critical";
	case AUDIT_HIGH: return "high";
	case AUDIT_MEDIUM: return "medium";
	case AUDIT_LOW: return "low";
	}
	return "?";
}

/* ---- small helpers ---- */

int audit_path(const struct audit_ctx *ctx, const char *path, char *out, size_t len)
{
	if (snprintf(out, len, "%s%s", ctx->root, path) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* The host's name for a path under the root, for messages. */
const char *audit_shown(const struct audit_ctx *ctx, const char *path)
{
	size_t n = strlen(ctx->root);

	return n && !strncmp(path, ctx->root, n) && path[n] == '/' ? path + n : path;
}

char *audit_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

bool audit_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The first line of a tool's output, for a message. */
void audit_first_line(const char *text, char *out, size_t len)
{
	const char *s = text ? text : "";

	while (*s == '\n' || *s == ' ')
		s++;
	snprintf(out, len, "%.*s", (int)strcspn(s, "\n"), *s ? s : "no output");
}

/* The directory part of path ("." for a bare name). */
void audit_parent_dir(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else
		snprintf(out, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* A directory that holds at least one entry. */
bool audit_dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return found;
}
