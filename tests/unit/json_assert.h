/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading the JSON a unit test got back: a member's text, or an integer that must be there. */
#ifndef WARDEN_TEST_JSON_ASSERT_H
#define WARDEN_TEST_JSON_ASSERT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>

static inline const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static inline int64_t get_int(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_int64(v);
}

#endif
