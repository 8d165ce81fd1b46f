// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <json-c/json.h>

#include "json.h"

json_object *json_get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *json_str(json_object *o)
{
	return json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

const char *json_get_string(json_object *o, const char *key, const char *def)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : def;
}

const char *json_type_word(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "a value";
}

int json_vfail(struct json_error *e, const char *where, const char *fmt, va_list ap)
{
	char reason[512];

	if (e->failed)
		return -EINVAL;
	e->failed = true;
	vsnprintf(reason, sizeof(reason), fmt, ap);
	snprintf(e->err, e->errlen, "%s: %s: %s", e->name, where[0] ? where : "(top level)", reason);
	return -EINVAL;
}

int json_fail(struct json_error *e, const char *where, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = json_vfail(e, where, fmt, ap);
	va_end(ap);
	return ret;
}
