/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Text for people's terminals. Anything an agent controls (a directory
 * name, an argument, a comm) can hold terminal escape sequences, carriage
 * returns or bidirectional overrides that make a line read as something it
 * is not. Every human-readable output of warden goes through here; JSON
 * output is escaped by json-c and stays as it is.
 */
#ifndef WARDEN_TEXT_H
#define WARDEN_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Copies s into out (len bytes, always NUL-terminated) with every C0/C1
 * control character, DEL, invalid UTF-8 byte, bidirectional control and
 * backslash written as a visible escape (\n, \t, \e, \xHH, \u202e, \\).
 * Returns the length the whole escaped text needs (like snprintf).
 */
size_t text_escape(char *out, size_t len, const char *s);

/* The same to a stream, without a length limit. */
void text_fputs(const char *s, FILE *f);

/* s as one shell-style word for display: escaped, and quoted when it has spaces or is empty. */
void text_fputs_word(const char *s, FILE *f);

#endif
