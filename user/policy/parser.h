/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy parser's tools (parser.c), for policy.c and nothing outside
 * policy/: every read checks the value's type and, on the first error,
 * records "FILE: LOCATION: reason" (LOCATION a JSON path such as
 * agents.coder.exec.safeBins[2]); later reads see ps->e.failed and stop.
 */
#ifndef WARDEN_PARSER_H
#define WARDEN_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "json.h"
#include "strv.h"

struct parser {
	struct json_error e; /* the file's name for messages, and its first error */
};

/* Records the first error; an empty where is "(top level)". */
#define fail(ps, where, ...) json_fail(&(ps)->e, (where), __VA_ARGS__)

/* where + "." + key, the location of a member. */
void join_where(char *out, size_t len, const char *where, const char *key);
/* Whether o has type; fails when not ("expected an array, got a string"). */
bool expect_type(struct parser *ps, json_object *o, json_type type, const char *where);
/* One of a fixed set of words; returns its index or -1 (after failing). */
int parse_enum(struct parser *ps, json_object *o, const char *where,
	       const char *const *words, size_t n);
/* A copy of a string value, or NULL (after failing). */
char *parse_string(struct parser *ps, json_object *o, const char *where);
bool is_absolute(const char *s);

enum string_rule { ANY_STRING, ABSOLUTE_PATH, NON_EMPTY };
/* An array of strings appended to out; where_out (optional) gets each entry's location. */
void parse_string_array(struct parser *ps, json_object *o, const char *where,
			enum string_rule rule, struct strv *out, struct strv *where_out);

/* Calls fn for every key of o; an unknown key (fn returns false) fails. */
typedef bool (*key_fn)(struct parser *ps, const char *key, json_object *val, const char *where,
		       void *ctx);
void for_each_key(struct parser *ps, json_object *o, const char *where, key_fn fn,
		  void *ctx, const char *known);

/* The one JSON object text holds, or NULL (after failing with its line and column). */
json_object *parse_json(struct parser *ps, const char *text);
/* The whole of a policy-sized text file, or NULL with "FILE: reason" in err. */
char *read_text_file(const char *file, char *err, size_t errlen);

#endif
