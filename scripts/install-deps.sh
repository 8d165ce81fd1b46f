#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Installs the Debian packages warden needs to build and test, when missing.
# Idempotent and quick when everything is there (one dpkg query). Needs
# root for the install; never prompts.
set -euo pipefail

packages=(
	make gcc clang llvm pkg-config        # build
	libbpf-dev libelf-dev zlib1g-dev      # libbpf and what it links
	libjson-c-dev                         # the policy file
	libldns-dev                           # warden's DNS resolver (layer 6)
	libssl-dev                            # SHA-256 of approved binaries and held scripts (libcrypto)
	libcmocka-dev                         # unit tests
	bpftool                               # skeletons, vmlinux.h
	qemu-system-x86 busybox-static cpio kmod  # the test VM (scripts/vmtest.sh)
	bubblewrap                            # the agent sandbox
	git python3 jq curl tree nftables procps util-linux iproute2 # used by the tests and the demo
	dnsmasq-base socat bind9-dnsutils     # the fake internet of tests/vm/test_net.sh
	nodejs                                # test_inherit: node still runs for a confined agent
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/warden-apt.log 2>&1; then
	apt-get update -q >/tmp/warden-apt.log 2>&1 || true
	apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/warden-apt.log 2>&1 || {
		tail -n 20 /tmp/warden-apt.log >&2
		echo "install-deps: apt-get install failed (log: /tmp/warden-apt.log)" >&2
		exit 1
	}
fi
