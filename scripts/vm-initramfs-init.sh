#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the vmtest initramfs (busybox). Mounts the host root read-only
# over virtio-9p as the lower layer of an overlay with a tmpfs upper layer,
# then switch_root's into it (not chroot: namespaces such as bubblewrap's
# refuse to work under a chroot) and runs vm-init.sh from the checkout.
bb=/bin/busybox
fail() {
	echo "vmtest-init: $*"
	$bb echo o >/proc/sysrq-trigger
	$bb sleep 10
}
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev
for m in $($bb cat /modules/order); do
	$bb insmod /modules/$m || fail "insmod $m failed"
done
stage2=
for arg in $($bb cat /proc/cmdline); do
	case $arg in vmtest.stage2=*) stage2=${arg#vmtest.stage2=} ;; esac
done
# msize: 9p's default 8 KiB payload makes every read a round trip; 512 KiB
# is the virtio transport's maximum.
$bb mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose host /lower ||
	fail "cannot mount the host root over 9p"
$bb mount -t tmpfs -o mode=755 rw /rw
$bb mkdir -p /rw/upper /rw/work
$bb mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,xino=on /newroot ||
	fail "cannot mount the overlay root"
$bb mount -t tmpfs -o mode=755 run /newroot/run
$bb mkdir -p /newroot/run/vmtest
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 job /newroot/run/vmtest ||
	fail "cannot mount the job directory"
$bb umount /proc /sys /dev
exec $bb switch_root /newroot /bin/bash "$stage2"
