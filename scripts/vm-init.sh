#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Second stage of the vmtest guest, run as PID 1 on the overlay root: mounts
# the kernel filesystems the tests need, runs the job's command, records its
# exit status in the job directory and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# what udev would add: bash's process substitution needs /dev/fd
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs shm /dev/shm
mount -t securityfs securityfs /sys/kernel/security
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t tmpfs -o mode=1777 tmp /tmp
# A working directory the fresh /tmp (or /run) hides: vmtest.sh shares it
# on its own; mounted at its own path, copy-on-write like the root.
if [ -f /run/vmtest/extra-path ]; then
	extra=$(cat /run/vmtest/extra-path)
	mkdir -p /run/vmtest-extra/lower /run/vmtest-extra/rw "$extra"
	mount -t tmpfs -o mode=755 extra-rw /run/vmtest-extra/rw
	mkdir -p /run/vmtest-extra/rw/upper /run/vmtest-extra/rw/work
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose extra \
		/run/vmtest-extra/lower &&
	mount -t overlay overlay -o lowerdir=/run/vmtest-extra/lower,upperdir=/run/vmtest-extra/rw/upper,workdir=/run/vmtest-extra/rw/work,xino=on \
		"$extra" || echo "vmtest: cannot mount the shared $extra" >/dev/ttyS0
fi
# The guest kernel's modules (veth, loop, ...) from the vmtest cache.
modules=$(cat /run/vmtest/modules-dir)
mkdir -p "/lib/modules/$(uname -r)"
mount --bind "$modules" "/lib/modules/$(uname -r)"
ip link set lo up 2>/dev/null
hostname vmtest
# Plain line endings on the console, so output reads as it would on the host.
stty -F /dev/ttyS0 -onlcr -echo 2>/dev/null

(setsid bash /run/vmtest/cmd.sh </dev/null >/dev/ttyS0 2>&1)
echo $? >/run/vmtest/rc
sync
echo o >/proc/sysrq-trigger
sleep 30
