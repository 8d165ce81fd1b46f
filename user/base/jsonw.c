// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

/* Room for n more bytes and a NUL. */
static bool reserve(struct jsonw *w, size_t n)
{
	size_t need = w->len + n + 1, cap = w->cap ? w->cap : 512;
	char *p;

	if (w->failed)
		return false;
	if (need <= w->cap)
		return true;
	while (cap < need)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p) {
		w->failed = true;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void put_char(struct jsonw *w, char c)
{
	jsonw_raw(w, &c, 1);
}

void jsonw_reset(struct jsonw *w)
{
	w->len = 0;
	w->comma = false;
	w->failed = false;
	if (w->buf)
		w->buf[0] = '\0';
}

void jsonw_free(struct jsonw *w)
{
	free(w->buf);
	*w = (struct jsonw){ 0 };
}

/* The ',' before a member or an element that is not the first. */
static void separate(struct jsonw *w)
{
	if (w->comma)
		put_char(w, ',');
	w->comma = true;
}

static void open_container(struct jsonw *w, char c)
{
	separate(w);
	put_char(w, c);
	w->comma = false;
}

static void close_container(struct jsonw *w, char c)
{
	put_char(w, c);
	w->comma = true;
}

void jsonw_begin_object(struct jsonw *w) { open_container(w, '{'); }
void jsonw_end_object(struct jsonw *w) { close_container(w, '}'); }
void jsonw_begin_array(struct jsonw *w) { open_container(w, '['); }
void jsonw_end_array(struct jsonw *w) { close_container(w, ']'); }

/* The escape of byte c as json-c writes it, or NULL for a byte written as it is. */
static const char *escape_of(unsigned char c, char hex[7])
{
	static const char digits[] = "0123456789abcdef";

	switch (c) {
	case '\b': return "\\b";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	case '\f': return "\\f";
	case '"': return "\\\"";
	case '\\': return "\\\\";
	}
	if (c >= 0x20)
		return NULL;
	snprintf(hex, 7, "\\u00%c%c", digits[c >> 4], digits[c & 0xf]);
	return hex;
}

static void put_escaped(struct jsonw *w, const char *s, size_t n)
{
	size_t run = 0;

	put_char(w, '"');
	for (size_t i = 0; i < n; i++) {
		char hex[7];
		const char *esc = escape_of((unsigned char)s[i], hex);

		if (!esc)
			continue;
		jsonw_raw(w, s + run, i - run);
		jsonw_raw(w, esc, strlen(esc));
		run = i + 1;
	}
	jsonw_raw(w, s + run, n - run);
	put_char(w, '"');
}

void jsonw_key(struct jsonw *w, const char *key)
{
	separate(w);
	put_escaped(w, key, strlen(key));
	put_char(w, ':');
	w->comma = false;
}

void jsonw_string_len(struct jsonw *w, const char *s, size_t n)
{
	separate(w);
	put_escaped(w, s, n);
}

void jsonw_string(struct jsonw *w, const char *s)
{
	jsonw_string_len(w, s, strlen(s));
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char num[24];

	separate(w);
	jsonw_raw(w, num, (size_t)snprintf(num, sizeof(num), "%" PRId64, v));
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	char num[24];

	separate(w);
	jsonw_raw(w, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, v));
}

void jsonw_bool(struct jsonw *w, bool v)
{
	separate(w);
	jsonw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_kv_string(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_string(w, s);
}

void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void jsonw_kv_uint(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw_key(w, key);
	jsonw_uint(w, v);
}

void jsonw_kv_bool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}
