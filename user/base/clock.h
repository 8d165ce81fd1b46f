/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The clocks warden reads: CLOCK_BOOTTIME (what the kernel stamps events and
 * grant expiries with), CLOCK_MONOTONIC (deadlines and durations, which no
 * clock change moves) and CLOCK_REALTIME (what people read), and ISO 8601.
 */
#ifndef WARDEN_CLOCK_H
#define WARDEN_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_BOOTTIME now, in ns: bpf_ktime_get_boot_ns()'s clock. */
uint64_t boottime_ns(void);
/* CLOCK_MONOTONIC now, in milliseconds. */
uint64_t monotonic_ms(void);
/* CLOCK_REALTIME now, in milliseconds. */
uint64_t realtime_ms(void);

/* "2026-11-27T05:34:30.123Z" for a CLOCK_BOOTTIME timestamp in ns. */
void boottime_to_iso8601(uint64_t boot_ns, char *out, size_t len);
/* The same for CLOCK_REALTIME milliseconds. */
void realtime_to_iso8601(uint64_t ms, char *out, size_t len);

#endif
