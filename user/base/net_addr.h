/* SPDX-License-Identifier: GPL-2.0-only */
/* Addresses in warden's 16-byte form: IPv6, or IPv4 mapped into IPv6 (::ffff:a.b.c.d). */
#ifndef WARDEN_NET_ADDR_H
#define WARDEN_NET_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* "192.0.2.1", "2001:db8::1" for an address in the 16-byte form. */
void net_addr_format(const uint8_t addr[16], char *out, size_t len);

#endif
