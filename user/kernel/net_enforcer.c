// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "array.h"
#include "cgroup.h"
#include "net_enforcer.h"
#include "warden.skel.h"

int net_attach_cgroup_programs(struct warden *skel)
{
	struct { struct bpf_program *prog; struct bpf_link **link; } progs[] = {
		{ skel->progs.net_dns_connect4, &skel->links.net_dns_connect4 },
		{ skel->progs.net_dns_sendmsg4, &skel->links.net_dns_sendmsg4 },
		{ skel->progs.net_dns_connect6, &skel->links.net_dns_connect6 },
		{ skel->progs.net_dns_sendmsg6, &skel->links.net_dns_sendmsg6 },
		{ skel->progs.net_dns_recvmsg4, &skel->links.net_dns_recvmsg4 },
		{ skel->progs.net_dns_recvmsg6, &skel->links.net_dns_recvmsg6 },
		{ skel->progs.net_dns_getpeername4, &skel->links.net_dns_getpeername4 },
		{ skel->progs.net_dns_getpeername6, &skel->links.net_dns_getpeername6 },
	};
	int fd = open(CGROUP2_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]) && !ret; i++) {
		struct bpf_link *link = bpf_program__attach_cgroup(progs[i].prog, fd);

		if (!link)
			ret = -errno;
		else
			*progs[i].link = link;
	}
	close(fd);
	return ret;
}

/* Keys of one map matching the slot test, collected first: deleting while iterating skips keys. */
static int clear_map(int fd, size_t key_size, size_t slot_off, uint32_t slot, int keep)
{
	uint8_t key[64], next[64], *prev = NULL;
	uint8_t *doomed = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		if ((next[slot_off] == slot) == !keep) {
			ret = array_grow(&doomed, &cap, n + 1, key_size);
			if (ret)
				break;
			memcpy(doomed + n++ * key_size, next, key_size);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, doomed + i * key_size) && errno != ENOENT)
			ret = -errno;
	free(doomed);
	return ret;
}

int net_maps_clear_slot(int cidrs_fd, int addrs_fd, uint32_t slot, int keep)
{
	int ret = clear_map(cidrs_fd, sizeof(struct net_cidr_key),
			    offsetof(struct net_cidr_key, slot), slot, keep);
	int ret2 = clear_map(addrs_fd, sizeof(struct net_addr_key),
			     offsetof(struct net_addr_key, slot), slot, keep);

	return ret ?: ret2;
}
