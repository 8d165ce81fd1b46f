/* SPDX-License-Identifier: GPL-2.0-only */
/* Content hashes of binaries and scripts shown to and approved by people (OpenSSL's SHA-256). */
#ifndef WARDEN_HASH_H
#define WARDEN_HASH_H

#include <stdint.h>

#define SHA256_HEX_LEN 65 /* 64 hex digits and a NUL */

/*
 * SHA-256 of the regular file open at fd, read from offset 0, as hex.
 * Refuses (-EFBIG) files over max bytes so a huge file cannot stall the
 * caller. 0 or -errno.
 */
int sha256_fd(int fd, uint64_t max, char hex[SHA256_HEX_LEN]);

#endif
