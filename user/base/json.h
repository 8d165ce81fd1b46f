/* SPDX-License-Identifier: GPL-2.0-only */
/* Typed reads of json-c objects, one set for the whole tree. */
#ifndef WARDEN_JSON_H
#define WARDEN_JSON_H

#include <json-c/json.h>

/* "a string", "an array", ... for error messages about a JSON value's type. */
const char *json_type_word(json_object *o);

#endif
