/* SPDX-License-Identifier: GPL-2.0-only */
/* Typed reads of json-c objects, one set for the whole tree. */
#ifndef WARDEN_JSON_H
#define WARDEN_JSON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* "a string", "an array", ... for error messages about a JSON value's type. */
const char *json_type_word(json_object *o);

/* Member key of o, or NULL (also when o is NULL). */
json_object *json_get(json_object *o, const char *key);
/* o's text when it is a string, else NULL: for replies where a type is the peer's word. */
const char *json_str(json_object *o);
/* Member key of o as json_object_get_string() gives it (any type), or def when missing. */
const char *json_get_string(json_object *o, const char *key, const char *def);

/* The first error found in a JSON document, for "NAME: LOCATION: reason". */
struct json_error {
	const char *name; /* the document's file name */
	char *err;
	size_t errlen;
	bool failed;
};

/*
 * Writes "NAME: WHERE: reason" into e->err unless an error came first (the
 * first is the one that matters); an empty where is "(top level)". -EINVAL.
 */
int json_fail(struct json_error *e, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int json_vfail(struct json_error *e, const char *where, const char *fmt, va_list ap);

#endif
