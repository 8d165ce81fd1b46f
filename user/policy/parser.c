// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy parser's tools: typed reads of json-c values that fail with
 * "FILE: LOCATION: reason", a key table walk, and reading the file whole.
 * policy.c (the schema) and its profiles use them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parser.h"

#define MAX_POLICY_BYTES (16 << 20)

void join_where(char *out, size_t len, const char *where, const char *key)
{
	snprintf(out, len, "%s%s%s", where, where[0] ? "." : "", key);
}

bool expect_type(struct parser *ps, json_object *o, json_type type, const char *where)
{
	static const char *const words[] = {
		[json_type_boolean] = "a boolean", [json_type_int] = "an integer",
		[json_type_object] = "an object",  [json_type_array] = "an array",
		[json_type_string] = "a string",
	};

	if (json_object_is_type(o, type))
		return true;
	fail(ps, where, "expected %s, got %s", words[type], json_type_word(o));
	return false;
}

/* One of a fixed set of words; returns its index or -1 (after failing). */
int parse_enum(struct parser *ps, json_object *o, const char *where,
		      const char *const *words, size_t n)
{
	char choices[256] = "";

	if (!expect_type(ps, o, json_type_string, where))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(json_object_get_string(o), words[i]))
			return (int)i;
	for (size_t i = 0; i < n; i++)
		snprintf(choices + strlen(choices), sizeof(choices) - strlen(choices), "%s\"%s\"",
			 i ? (i + 1 == n ? " or " : ", ") : "", words[i]);
	fail(ps, where, "expected %s, got \"%s\"", choices, json_object_get_string(o));
	return -1;
}

char *parse_string(struct parser *ps, json_object *o, const char *where)
{
	char *s;

	if (!expect_type(ps, o, json_type_string, where))
		return NULL;
	s = strdup(json_object_get_string(o));
	if (!s)
		fail(ps, where, "out of memory");
	return s;
}

bool is_absolute(const char *s)
{
	return s[0] == '/';
}

/* An array of strings appended to out; where_out (optional) gets each entry's location. */
void parse_string_array(struct parser *ps, json_object *o, const char *where,
			       enum string_rule rule, struct strv *out, struct strv *where_out)
{
	char at[512];

	if (!expect_type(ps, o, json_type_array, where))
		return;
	for (size_t i = 0; i < json_object_array_length(o) && !ps->e.failed; i++) {
		json_object *item = json_object_array_get_idx(o, i);
		const char *s;

		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		if (!expect_type(ps, item, json_type_string, at))
			return;
		s = json_object_get_string(item);
		if (!s[0]) {
			fail(ps, at, "empty string");
			return;
		}
		if (rule == ABSOLUTE_PATH && !is_absolute(s)) {
			fail(ps, at, "\"%s\" is not an absolute path", s);
			return;
		}
		if (strv_push(out, s) || (where_out && strv_push(where_out, at)))
			fail(ps, at, "out of memory");
	}
}

/* Calls fn for every key of o; an unknown key (fn returns false) fails. */
void for_each_key(struct parser *ps, json_object *o, const char *where, key_fn fn,
			 void *ctx, const char *known)
{
	char at[512];

	if (!expect_type(ps, o, json_type_object, where))
		return;
	json_object_object_foreach(o, key, val) {
		if (ps->e.failed)
			return;
		join_where(at, sizeof(at), where, key);
		if (!fn(ps, key, val, at, ctx))
			fail(ps, at, "unknown key \"%s\" (known here: %s)", key, known);
	}
}

static void locate_offset(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

json_object *parse_json(struct parser *ps, const char *text)
{
	json_tokener *tok = json_tokener_new();
	size_t len = strlen(text);
	json_object *root;
	int line, col;

	if (!tok) {
		fail(ps, "", "out of memory");
		return NULL;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		char at[64];

		locate_offset(text, json_tokener_get_parse_end(tok), &line, &col);
		snprintf(at, sizeof(at), "line %d, column %d", line, col);
		fail(ps, at, "invalid JSON: %s",
		     jerr == json_tokener_continue ? "unexpected end of file"
						   : json_tokener_error_desc(jerr));
		json_object_put(root);
		root = NULL;
	} else if (json_tokener_get_parse_end(tok) < len) {
		const char *rest = text + json_tokener_get_parse_end(tok);

		rest += strspn(rest, " \t\r\n");
		if (*rest) {
			locate_offset(text, (size_t)(rest - text), &line, &col);
			char at[64];

			snprintf(at, sizeof(at), "line %d, column %d", line, col);
			fail(ps, at, "invalid JSON: text after the policy object");
			json_object_put(root);
			root = NULL;
		}
	}
	json_tokener_free(tok);
	return root;
}

/* The whole of a policy-sized text file, or NULL with "FILE: reason" in err. */
char *read_text_file(const char *file, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	f = fopen(file, "re");
	if (!f) {
		snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
		return NULL;
	}
	text = malloc(MAX_POLICY_BYTES + 1);
	if (text)
		len = fread(text, 1, MAX_POLICY_BYTES + 1, f);
	if (!text || ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno ?: ENOMEM));
	} else if (len > MAX_POLICY_BYTES) {
		snprintf(err, errlen, "%s: larger than %d MiB", file, MAX_POLICY_BYTES >> 20);
	} else if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: not a text file (contains a NUL byte)", file);
	} else {
		text[len] = '\0';
		fclose(f);
		return text;
	}
	free(text);
	fclose(f);
	return NULL;
}
