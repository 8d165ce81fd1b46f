// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "caps.h"
#include "warden.h"

static const char *const names[WARDEN_CAP_COUNT] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
	"SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
	"SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
	"AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

/*
 * What a policy may add: resource and scheduling knobs, low ports, locks.
 * Everything else outside the default set reaches past the agent's own
 * processes and files (NET_RAW included: raw packets skip the egress rules).
 */
#define BIT(c) (1ULL << (c))
static const uint64_t grantable = BIT(10) /* NET_BIND_SERVICE */ | BIT(11) /* NET_BROADCAST */ |
				  BIT(14) /* IPC_LOCK */ | BIT(15) /* IPC_OWNER */ |
				  BIT(23) /* SYS_NICE */ | BIT(24) /* SYS_RESOURCE */ |
				  BIT(26) /* SYS_TTY_CONFIG */ | BIT(28) /* LEASE */ |
				  BIT(35) /* WAKE_ALARM */ | BIT(36) /* BLOCK_SUSPEND */ |
				  BIT(37) /* AUDIT_READ */;

const char *cap_name(int cap)
{
	return cap >= 0 && cap < WARDEN_CAP_COUNT ? names[cap] : NULL;
}

int cap_from_name(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (int i = 0; i < WARDEN_CAP_COUNT; i++)
		if (!strcasecmp(name, names[i]))
			return i;
	return -1;
}

bool cap_grantable(int cap)
{
	return cap >= 0 && cap < WARDEN_CAP_COUNT && (grantable & BIT(cap));
}

const char *cap_default_names(void)
{
	static char out[256];
	size_t o = 0;

	if (out[0])
		return out;
	for (int i = 0; i < WARDEN_CAP_COUNT && o < sizeof(out); i++)
		if (WARDEN_CAPS_DEFAULT & BIT(i))
			o += snprintf(out + o, sizeof(out) - o, "%s%s", o ? ", " : "", names[i]);
	return out;
}
