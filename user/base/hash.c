// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "hash.h"

int sha256_fd(int fd, uint64_t max, char hex[SHA256_HEX_LEN])
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx;
	struct stat st;
	off_t off = 0;
	int ret = 0;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		off += n;
		if ((uint64_t)off > max) {
			ret = -EFBIG; /* grew while being read */
			break;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
	if (!ret && !EVP_DigestFinal_ex(ctx, md, &md_len))
		ret = -EIO;
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; !ret && i < md_len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return ret;
}
