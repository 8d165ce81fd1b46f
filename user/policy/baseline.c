// SPDX-License-Identifier: GPL-2.0-only
#include <stddef.h>

#include "baseline.h"

/*
 * What ordinary programs need to start and run: the system's binaries and
 * libraries, the loader cache, locale and time zone data, TLS certificates,
 * user and host name lookups, and the harmless devices. Readable by every
 * agent; paths missing on this host are skipped. Nothing here holds a
 * secret (/etc/shadow, keys and tokens live elsewhere). /proc is readable
 * through a rule in the kernel (each sandbox has its own procfs); its
 * sensitive files are guarded by the ptrace check.
 */
const char *const fs_baseline_read[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
	"/etc/localtime", "/etc/timezone", "/etc/locale.alias", "/etc/default/locale",
	"/etc/ssl", "/etc/ca-certificates", "/etc/alternatives",
	"/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/host.conf",
	"/etc/resolv.conf", "/etc/gai.conf", "/etc/mime.types", "/etc/magic", "/etc/inputrc",
	"/etc/terminfo", "/etc/gitconfig", "/etc/python3", "/etc/mailcap",
	"/sys/devices/system/cpu", "/dev/urandom", "/dev/random",
	NULL,
};

const char *const fs_baseline_write[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx", "/dev/pts", "/dev/shm",
	NULL,
};
