/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A JSON writer into a growable buffer, for the event stream's hot path:
 * no object is built, each value is written once where it goes. Its output
 * is byte for byte what json-c prints with JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE (json-c 0.16's escaping: \b \n \r \t \f
 * \" \\, other bytes below 0x20 as \u00xx, everything else as it is), so
 * a line written here and one serialized by json-c read the same to every
 * consumer (tests/unit/test_events.c checks it).
 */
#ifndef WARDEN_JSONW_H
#define WARDEN_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonw {
	char *buf; /* NUL-terminated when len > 0 */
	size_t len, cap;
	bool comma;  /* the next member or element needs a ',' first */
	bool failed; /* out of memory: the text is incomplete */
};

/* Empties w, keeping its memory. */
void jsonw_reset(struct jsonw *w);
void jsonw_free(struct jsonw *w);

void jsonw_begin_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_begin_array(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
/* A member's key; its value follows. */
void jsonw_key(struct jsonw *w, const char *key);

void jsonw_string(struct jsonw *w, const char *s);
void jsonw_string_len(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_bool(struct jsonw *w, bool v);

/* key and value in one call */
void jsonw_kv_string(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_kv_uint(struct jsonw *w, const char *key, uint64_t v);
void jsonw_kv_bool(struct jsonw *w, const char *key, bool v);

/* Raw bytes, no separator or escaping (a newline after a line). */
void jsonw_raw(struct jsonw *w, const char *s, size_t n);

#endif
