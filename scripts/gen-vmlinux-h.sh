#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Regenerates vmlinux/x86/vmlinux.h from the BTF of the kernel the test VM
# boots (Debian's linux-image-amd64), so CO-RE relocations are written
# against the kernel warden is tested on. Run after that kernel changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../vmlinux/x86/vmlinux.h
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$here/vmtest.sh" -- bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$tmp"
grep -q '#ifndef __VMLINUX_H__' "$tmp" || { echo "gen-vmlinux-h: bpftool output is not a vmlinux.h" >&2; exit 1; }
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(wc -l <"$out") lines)"
