/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layer 6 in the kernel, seen from userspace: attaching the cgroup
 * sock_addr programs of bpf/net.bpf.c and clearing the egress maps
 * (warden_cidrs, warden_addrs) by slot (bpf/net.h). The entries themselves are
 * compiled in compile/net_rules.c.
 */
#ifndef WARDEN_NET_ENFORCER_H
#define WARDEN_NET_ENFORCER_H

#include <stddef.h>
#include <stdint.h>

#include "net_rules.h"

struct warden;

/*
 * Attaches the DNS redirect programs to the root cgroup (they then see
 * every cgroup below it) and stores their links in the skeleton, where
 * the enforcer pins them like every other link. 0 or -errno.
 */
int net_attach_cgroup_programs(struct warden *skel);

/* Deletes every entry of both egress maps whose slot is (keep ? not slot : slot). */
int net_maps_clear_slot(int cidrs_fd, int addrs_fd, uint32_t slot, int keep);

#endif
