#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The test suite: cmocka unit tests on the host, then the enforcement tests
# in the real-kernel VM (scripts/vmtest.sh). Ends with one count line. A VM
# suite that cannot run is a failure, never a skip.
#   --unit-only   only the unit tests
#   VMTEST_ONLY="test_exec ..."  only these VM test files
#   VMTEST_TRACE=1               trace each VM test file, with seconds since it began
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

unit_pass=0 unit_fail=0 vm_pass=0 vm_fail=0 vm_state=""
for t in build/tests/unit/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) *\]|^\[  PASSED  \]' | sed "s|^|$(basename "$t"): |"
	p=$(grep -c '^\[       OK \]' <<<"$out")
	f=$(grep -c '^\[  FAILED  \] test' <<<"$out")
	[ "$rc" != 0 ] && [ "$f" = 0 ] && f=1 # crashed before reporting
	unit_pass=$((unit_pass + p)) unit_fail=$((unit_fail + f))
	[ "$f" != 0 ] && printf '%s\n' "$out" | grep -B2 -A6 'FAILED\|ERROR' | head -40
done
[ "$unit_pass" -gt 0 ] || { echo "no unit tests ran (make test-build first)"; unit_fail=$((unit_fail + 1)); }

if [ "${1:-}" != --unit-only ]; then
	log=$(mktemp)
	VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-3000} scripts/vmtest.sh tests/vm/run-all.sh 2>&1 | tee "$log"
	vm_rc=${PIPESTATUS[0]}
	if line=$(grep -E '^vm: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1); then
		read -r vm_pass vm_fail < <(sed -E 's/^vm: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/' <<<"$line")
	fi
	if [ "$vm_rc" != 0 ] && [ "$vm_fail" = 0 ]; then
		vm_fail=1
		vm_state=" (the VM suite did not complete: exit $vm_rc)"
	fi
	rm -f "$log"
fi

total_fail=$((unit_fail + vm_fail))
echo "tests: $((unit_pass + vm_pass)) passed, $total_fail failed (unit $unit_pass/$((unit_pass + unit_fail)), vm $vm_pass/$((vm_pass + vm_fail)))$vm_state"
[ "$total_fail" = 0 ]
