// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden audit`'s own configuration (/etc/warden/audit.json) and the
 * state it keeps between runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "audit_checks.h"
#include "fileio.h"
#include "json.h"


/* ---- the audit config ---- */

int audit_config_init(struct audit_config *c)
{
	memset(c, 0, sizeof(*c));
	c->allowed_ports = malloc(sizeof(int));
	c->state_file = strdup(AUDIT_DEFAULT_STATE_FILE);
	if (!c->allowed_ports || !c->state_file) {
		audit_config_free(c);
		return -ENOMEM;
	}
	c->allowed_ports[0] = 22;
	c->n_allowed_ports = 1;
	c->disk_max_percent = 90;
	c->ssh_failures_max = 20;
	return 0;
}

void audit_config_free(struct audit_config *c)
{
	if (!c)
		return;
	free(c->allowed_ports);
	free(c->state_file);
	memset(c, 0, sizeof(*c));
}

static int config_int(struct json_error *cp, json_object *v, const char *where, long lo,
		      long hi, int *out)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return json_fail(cp, where, "expected an integer from %ld to %ld, got %s", lo, hi,
				   json_type_word(v));
	n = json_object_get_int64(v);
	if (n < lo || n > hi)
		return json_fail(cp, where, "%lld is not from %ld to %ld", (long long)n, lo, hi);
	*out = (int)n;
	return 0;
}

static int config_ports(struct json_error *cp, json_object *v, struct audit_config *c)
{
	size_t n;
	int *ports;

	if (!json_object_is_type(v, json_type_array))
		return json_fail(cp, "audit.allowedPorts", "expected an array, got %s", json_type_word(v));
	n = json_object_array_length(v);
	ports = calloc(n + 1, sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char at[64];
		int err;

		snprintf(at, sizeof(at), "audit.allowedPorts[%zu]", i);
		err = config_int(cp, json_object_array_get_idx(v, i), at, 1, 65535, &ports[i]);
		if (err) {
			free(ports);
			return err;
		}
	}
	free(c->allowed_ports);
	c->allowed_ports = ports;
	c->n_allowed_ports = n;
	return 0;
}

static int config_state_file(struct json_error *cp, json_object *v, struct audit_config *c)
{
	char *s;

	if (!json_object_is_type(v, json_type_string))
		return json_fail(cp, "audit.stateFile", "expected a string, got %s", json_type_word(v));
	if (json_object_get_string(v)[0] != '/')
		return json_fail(cp, "audit.stateFile", "\"%s\" is not an absolute path",
				   json_object_get_string(v));
	s = strdup(json_object_get_string(v));
	if (!s)
		return -ENOMEM;
	free(c->state_file);
	c->state_file = s;
	return 0;
}

static int config_section(struct json_error *cp, json_object *audit, struct audit_config *c)
{
	int err = 0;

	if (!json_object_is_type(audit, json_type_object))
		return json_fail(cp, "audit", "expected an object, got %s", json_type_word(audit));
	json_object_object_foreach(audit, key, val) {
		char at[512];

		snprintf(at, sizeof(at), "audit.%s", key);
		if (!strcmp(key, "allowedPorts"))
			err = config_ports(cp, val, c);
		else if (!strcmp(key, "diskMaxPercent"))
			err = config_int(cp, val, at, 1, 100, &c->disk_max_percent);
		else if (!strcmp(key, "sshFailuresMax"))
			err = config_int(cp, val, at, 0, INT_MAX, &c->ssh_failures_max);
		else if (!strcmp(key, "stateFile"))
			err = config_state_file(cp, val, c);
		else
			err = json_fail(cp, at, "unknown key \"%s\" (known here: allowedPorts, "
				     "diskMaxPercent, sshFailuresMax, stateFile)", key);
		if (err)
			return err;
	}
	return 0;
}

static void text_position(const char *text, size_t off, int *line, int *col)
{
	*line = *col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		*col = text[i] == '\n' ? 1 : *col + 1;
		*line += text[i] == '\n';
	}
}

int audit_config_parse(const char *text, const char *name, struct audit_config *c, char *err,
		       size_t errlen)
{
	struct json_error cp = { .name = name, .err = err, .errlen = errlen };
	json_tokener *tok = json_tokener_new();
	json_object *root;
	int ret = 0;

	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    text[json_tokener_get_parse_end(tok) + strspn(text + json_tokener_get_parse_end(tok),
							   " \t\r\n")]) {
		char at[64];
		int line, col;

		text_position(text, json_tokener_get_parse_end(tok), &line, &col);
		snprintf(at, sizeof(at), "line %d, column %d", line, col);
		ret = json_fail(&cp, at, "invalid JSON%s", root ? ": text after the object" : "");
	} else if (!json_object_is_type(root, json_type_object)) {
		ret = json_fail(&cp, "(top level)", "expected an object, got %s", json_type_word(root));
	} else {
		json_object_object_foreach(root, key, val) {
			ret = strcmp(key, "audit") ?
				json_fail(&cp, key, "unknown key \"%s\" (known here: audit)", key) :
				config_section(&cp, val, c);
			if (ret)
				break;
		}
	}
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

int audit_config_load(const char *file, struct audit_config *c, char *err, size_t errlen)
{
	char *text = NULL;
	int ret = read_text(file, &text);

	if (ret) {
		snprintf(err, errlen, "%s: cannot read: %s", file, strerror(-ret));
		return ret;
	}
	ret = audit_config_parse(text, file, c, err, errlen);
	free(text);
	return ret;
}

/* ---- the state between runs ---- */

int audit_state_load(const char *path, uint64_t *events_dropped)
{
	char *text = NULL;
	json_object *o, *v;
	int ret;

	*events_dropped = 0;
	ret = read_text(path, &text);
	if (ret)
		return ret;
	o = json_tokener_parse(text);
	v = json_get(o, "eventsDropped");
	if (v && json_object_is_type(v, json_type_int))
		*events_dropped = json_object_get_uint64(v);
	else
		ret = -EBADMSG;
	json_object_put(o);
	free(text);
	return ret;
}

static int mkdir_parents(const char *file, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", file) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int audit_state_save(const char *path, uint64_t events_dropped, time_t now)
{
	json_object *o = json_object_new_object();
	char tmp[PATH_MAX], ts[32];
	const char *text;
	struct tm tm;
	int fd, ret;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "eventsDropped", json_object_new_uint64(events_dropped));
	json_object_object_add(o, "lastAudit", json_object_new_string(ts));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ret = mkdir_parents(path, 0700);
	if (!ret && snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		ret = -ENAMETOOLONG;
	if (ret)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || write(fd, "\n", 1) != 1)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	json_object_put(o);
	return ret;
}
