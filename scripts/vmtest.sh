#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vmtest.sh [--] CMD [ARGS...]
#
# Boots Debian's own kernel (linux-image-amd64, which runs the BPF LSM) in
# QEMU over the host's root filesystem and runs CMD there as root, in the
# same working directory. The host root is the read-only lower layer of an
# overlay whose upper layer is a tmpfs, so CMD may write anywhere and nothing
# reaches the host; /tmp and /run are fresh tmpfs (a working directory or
# checkout under them is shared on its own, copy-on-write as well). Works
# from a checkout anywhere, /root and paths with spaces included. CMD's
# output is shown and its exit status returned; 124 when VMTEST_TIMEOUT
# (seconds, default 600) runs out.
#
# Environment:
#   VMTEST_TIMEOUT  seconds before the VM is killed (default 600)
#   VMTEST_CACHE    where the kernel and initramfs are kept
#                   (default /var/cache/warden-vmtest, outside the checkout)
#   VMTEST_MEM      guest memory (default 2G)
#   VMTEST_SMP      guest CPUs (default: host CPUs)
#   VMTEST_VERBOSE  1 shows the kernel's boot messages
# Variables named WARDEN_* and VMTEST_* and V are passed to CMD.
set -euo pipefail

die() { echo "vmtest: $*" >&2; exit 125; }

[ "${1:-}" = "--" ] && shift
case "${1:-}" in
""|-h|--help)
	sed -n '4,23p' "$0" | sed 's/^# \{0,1\}//'
	[ -n "${1:-}" ] && exit 0 || exit 2 ;;
esac

[ "$(id -u)" = 0 ] || die "must run as root (the VM shares / and needs the kernel cache)"
here=$(cd "$(dirname "$0")" && pwd)
cache=${VMTEST_CACHE:-/var/cache/warden-vmtest}
timeout_s=${VMTEST_TIMEOUT:-600}
mem=${VMTEST_MEM:-2G}
smp=${VMTEST_SMP:-$(nproc)}

for tool in qemu-system-x86_64 busybox cpio apt-get dpkg-deb depmod; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: run scripts/install-deps.sh (or apt-get install the package that has it)"
done

# The kernel: whatever linux-image-amd64 currently depends on, fetched once.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

prepare_kernel() {
	local pkg
	pkg=$(cat "$cache/kernel-package" 2>/dev/null || true)
	if [ -z "$pkg" ] || [ ! -d "$cache/$pkg/root/boot" ]; then
		pkg=$(kernel_package)
		[ -n "$pkg" ] || die "cannot find the linux-image-amd64 kernel package: run apt-get update"
	fi
	if [ ! -d "$cache/$pkg/root/boot" ]; then
		echo "vmtest: fetching $pkg into $cache (once)" >&2
		rm -rf "$cache/$pkg.tmp" && mkdir -p "$cache/$pkg.tmp"
		(cd "$cache/$pkg.tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
			die "apt-get download $pkg failed: is the Debian mirror reachable?"
		dpkg-deb -x "$cache/$pkg.tmp/"*.deb "$cache/$pkg.tmp/root"
		rm -f "$cache/$pkg.tmp/"*.deb
		kver=$(ls "$cache/$pkg.tmp/root/lib/modules")
		depmod -b "$cache/$pkg.tmp/root" "$kver"
		mv "$cache/$pkg.tmp" "$cache/$pkg"
	fi
	echo "$pkg" >"$cache/kernel-package"
	kdir=$cache/$pkg/root
	kver=$(ls "$kdir/lib/modules")
}

# Modules needed to reach the host root over virtio-9p and build the overlay,
# in dependency order (busybox insmod does not resolve dependencies).
modules="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p overlay"

prepare_initramfs() {
	local stamp dir m f
	stamp=$( (echo "$kver"; cat "$here/vm-initramfs-init.sh"; sha256sum "$(command -v busybox)") |
		sha256sum | cut -c1-16)
	initrd=$cache/initramfs-$kver-$stamp.cpio.gz
	[ -f "$initrd" ] && return
	dir=$(mktemp -d)
	mkdir -p "$dir"/{bin,dev,proc,sys,lower,rw,newroot,modules}
	cp "$(command -v busybox)" "$dir/bin/busybox"
	ln -s busybox "$dir/bin/sh"
	cp "$here/vm-initramfs-init.sh" "$dir/init"
	chmod 755 "$dir/init"
	for m in $modules; do
		f=$(find "$kdir/lib/modules/$kver" -name "$m.ko*" | head -1)
		[ -n "$f" ] || die "module $m missing from $kver"
		cp "$f" "$dir/modules/"
		echo "${f##*/}" >>"$dir/modules/order"
	done
	(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$dir"
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one download/initramfs build at a time; the VMs themselves run in parallel
prepare_kernel
prepare_initramfs
flock -u 9

# The guest mounts fresh tmpfs on /tmp and /run, which hide whatever the
# host has there. A working directory (or checkout) under one of them is
# shared on its own: its top directory (/tmp/NAME) goes to the guest as a
# third 9p share, mounted at the same path under its own copy-on-write
# overlay. Anything else of the host is seen through the root share.
hidden_top() { # PATH: the /tmp/NAME or /run/NAME holding it, or nothing
	case $1 in
	/tmp/*|/run/*) printf '%s\n' "$1" | cut -d/ -f1-3 ;;
	/tmp|/run) die "cannot run in $1 itself: the VM mounts a fresh $1 there; use a directory below it" ;;
	esac
}
checkout=$(cd "$here/.." && pwd)
extra=$(hidden_top "$PWD")
extra_checkout=$(hidden_top "$checkout")
if [ -n "$extra_checkout" ] && [ "$extra_checkout" != "$extra" ]; then
	[ -z "$extra" ] || die "the working directory ($PWD) and the checkout ($checkout) are under two" \
		"directories the VM hides (/tmp, /run); run from inside the checkout"
	extra=$extra_checkout
fi
case ${extra:-} in
/run/vmtest*) die "$extra cannot be shared: the VM uses /run/vmtest itself; move the checkout" ;;
esac

# The job: what to run, where, and with which variables. The guest sees this
# directory read-write through a second 9p share and leaves CMD's status there.
# It also holds the guest's second stage, so no host path (which may hold
# spaces) goes on the kernel command line.
job=$(mktemp -d /tmp/vmtest-job.XXXXXX)
trap 'rm -rf "$job"' EXIT
cp "$here/vm-init.sh" "$job/vm-init.sh"
extra_share=()
if [ -n "$extra" ]; then
	printf '%s\n' "$extra" >"$job/extra-path"
	# QEMU's option syntax: a comma in a value is written twice
	extra_share=(-virtfs "local,path=${extra//,/,,},mount_tag=extra,security_model=none,readonly=on,multidevs=remap")
fi
{
	echo "cd $(printf '%q' "$PWD") || exit 125"
	while IFS= read -r -d '' kv; do
		name=${kv%%=*}
		case $name in
		WARDEN_*|VMTEST_*|V) printf 'export %s=%q\n' "$name" "${kv#*=}" ;;
		esac
	done < <(env -0)
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$job/cmd.sh"
printf '%s\n' "$kdir/lib/modules/$kver" >"$job/modules-dir"

# ttyS0 carries CMD's output only; the kernel's console goes to ttyS1, a log
# that is shown when the VM dies before CMD finishes (or always, verbose).
console="console=ttyS1 loglevel=4"
[ "${VMTEST_VERBOSE:-0}" = 1 ] && console="console=ttyS1 loglevel=7"

rc=0
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 \
	-nodefaults -no-user-config -display none -no-reboot \
	-machine q35 -accel tcg,thread=multi -cpu max -smp "$smp" -m "$mem" \
	-kernel "$kdir/boot/vmlinuz-$kver" -initrd "$initrd" \
	-append "$console panic=-1 lsm=lockdown,capability,landlock,bpf vmtest.stage2=/run/vmtest/vm-init.sh" \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$job",mount_tag=job,security_model=none,multidevs=remap \
	"${extra_share[@]}" \
	-chardev stdio,id=con,signal=off -serial chardev:con \
	-serial file:"$job/console.log" \
	</dev/null || rc=$?

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "vmtest: timed out after ${timeout_s}s" >&2
	exit 124
fi
if [ "${VMTEST_VERBOSE:-0}" = 1 ]; then
	echo "vmtest: kernel console:" >&2
	cat "$job/console.log" >&2
fi
if [ ! -f "$job/rc" ]; then
	echo "vmtest: the VM stopped before CMD finished (qemu exit $rc); the kernel said:" >&2
	tail -n 30 "$job/console.log" >&2
	exit 125
fi
exit "$(cat "$job/rc")"
