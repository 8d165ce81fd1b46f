// SPDX-License-Identifier: GPL-2.0-only
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Length of the valid UTF-8 sequence at s (2-4), its code point in *cp; 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0; /* overlong or a surrogate */
	*cp = c;
	return n;
}

/* Code points a terminal treats as controls or that reorder what is shown. */
static bool hidden_code_point(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) ||                     /* C1 controls (CSI, OSC, ...) */
	       c == 0x200e || c == 0x200f ||                   /* LRM, RLM */
	       (c >= 0x202a && c <= 0x202e) ||                 /* embeddings, overrides */
	       (c >= 0x2066 && c <= 0x2069) ||                 /* isolates */
	       c == 0x061c || c == 0xfeff || c == 0x2028 || c == 0x2029;
}

struct sink {
	char *out;
	size_t len, used;
	FILE *f;
};

static void put(struct sink *k, const char *s, size_t n)
{
	if (k->f) {
		fwrite(s, 1, n, k->f);
	} else {
		for (size_t i = 0; i < n; i++, k->used++)
			if (k->used + 1 < k->len)
				k->out[k->used] = s[i];
		return;
	}
	k->used += n;
}

static void escape(struct sink *k, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;

	while (s && *s) {
		char buf[12];
		uint32_t cp;
		size_t n;

		if (*s == '\\') {
			put(k, "\\\\", 2);
			s++;
		} else if (*s >= 0x20 && *s < 0x7f) {
			put(k, (const char *)s, 1);
			s++;
		} else if (*s < 0x80 || !(n = utf8_seq(s, &cp))) {
			const char *named = *s == '\n' ? "\\n" : *s == '\t' ? "\\t" : *s == '\r' ? "\\r"
					  : *s == 0x1b ? "\\e" : NULL;

			if (named) {
				put(k, named, 2);
			} else {
				buf[0] = '\\', buf[1] = 'x', buf[2] = hex[*s >> 4], buf[3] = hex[*s & 15];
				put(k, buf, 4);
			}
			s++;
		} else if (hidden_code_point(cp)) {
			snprintf(buf, sizeof(buf), "\\u%04x", cp);
			put(k, buf, strlen(buf));
			s += n;
		} else {
			put(k, (const char *)s, n);
			s += n;
		}
	}
}

size_t text_escape(char *out, size_t len, const char *s)
{
	struct sink k = { .out = out, .len = len };

	escape(&k, s);
	if (len)
		out[k.used < len ? k.used : len - 1] = '\0';
	return k.used;
}

void text_fputs(const char *s, FILE *f)
{
	struct sink k = { .f = f };

	escape(&k, s);
}

void text_fputs_word(const char *s, FILE *f)
{
	size_t need = text_escape(NULL, 0, s) + 1;
	char *e = malloc(need);

	if (!e) {
		fputs("?", f);
		return;
	}
	text_escape(e, need, s);
	/* escaping adds no spaces or quotes: quote what the word itself has */
	if (*e && !strpbrk(e, " '\"")) {
		fputs(e, f);
	} else {
		fputc('\'', f);
		for (const char *p = e; *p; p++)
			if (*p == '\'')
				fputs("'\\''", f);
			else
				fputc(*p, f);
		fputc('\'', f);
	}
	free(e);
}
