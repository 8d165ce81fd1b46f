#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs every tests/vm/test_*.sh (inside the VM: scripts/vmtest.sh runs this)
# and ends with "vm: N passed, M failed". Exit 0 only when all passed and at
# least one test ran.
cd "$(dirname "$0")/../.." || exit 1
export VMTEST_RESULTS=/tmp/vm-results
: >"$VMTEST_RESULTS"
grep -qw bpf /sys/kernel/security/lsm || { echo "vm: the BPF LSM is not active here"; exit 1; }
for t in tests/vm/test_*.sh; do
	[ -n "${VMTEST_ONLY:-}" ] && ! grep -qw "$(basename "$t" .sh)" <<<"$VMTEST_ONLY" && continue
	echo "# $t"
	start=$SECONDS
	# a file may ask for more than 600 s with a "# vm-timeout: SECONDS" line
	limit=$(sed -n 's/^# vm-timeout: \([0-9]*\)$/\1/p' "$t" | head -1)
	# VMTEST_TRACE=1: every command of the file with the seconds since it began, on stderr
	if [ -n "${VMTEST_TRACE:-}" ]; then
		# (bash takes no PS4 from the environment as root: set it inside)
		timeout "${limit:-600}" bash -c 'PS4="+ \${SECONDS}s "; set -x; . "$0"' "$t" ||
			echo "# $t failed (exit $?)"
	else
		timeout "${limit:-600}" bash "$t" || echo "# $t failed (exit $?)"
	fi
	echo "# $t took $((SECONDS - start)) s"
done
read -r pass fail < <(awk '{ p += $1; f += $2 } END { print p + 0, f + 0 }' "$VMTEST_RESULTS")
echo "vm: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
