/* SPDX-License-Identifier: GPL-2.0-only */
/* Messages to the user: the one place that prints "warden: ...". */
#ifndef WARDEN_LOG_H
#define WARDEN_LOG_H

#include <stdbool.h>

extern bool log_verbose;

/* "warden: <fmt>\n" on stderr. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, only with --verbose. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "warden: <fmt>\n" on stderr, for progress and notices. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* libbpf's messages, shown with --verbose only. */
void log_setup_libbpf(void);

#endif
