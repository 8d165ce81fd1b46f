// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lsm.h"

int bpf_lsm_active(const char *path, char *lsms, size_t len)
{
	char copy[512];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	if (!fgets(lsms, (int)len, f))
		lsms[0] = '\0';
	fclose(f);
	n = strlen(lsms);
	while (n && isspace((unsigned char)lsms[n - 1]))
		lsms[--n] = '\0';
	snprintf(copy, sizeof(copy), "%s", lsms);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, "bpf"))
			return 1;
	return 0;
}

int bpf_lsm_check(char *err, size_t errlen)
{
	char list[512] = "";
	int ret = bpf_lsm_active(LSM_LIST, list, sizeof(list));

	if (ret < 0) {
		snprintf(err, errlen, "cannot read %s (%s): mount securityfs "
			 "(mount -t securityfs securityfs /sys/kernel/security)", LSM_LIST,
			 strerror(-ret));
		return -ENOENT;
	}
	if (ret)
		return 0;
	snprintf(err, errlen, "the BPF LSM is not active (active LSMs: %s): boot with "
		 "\"bpf\" added to the lsm= kernel parameter, e.g. lsm=%s,bpf "
		 "(and CONFIG_BPF_LSM=y)", list, list);
	return -ENOTSUP;
}
