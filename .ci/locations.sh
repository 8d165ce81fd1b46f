#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# CI self-check: `make test`'s machinery works from a checkout anywhere.
# Clones this repository under /root (which the agent's user cannot
# traverse) and under /tmp in a directory with a space in its name (the
# test VM mounts a fresh /tmp over it), and from each clone builds, runs
# the unit tests and one short VM test file (test_anywhere: warden and a
# bind source under /root). Kept cheap: one VM boot per place.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rc=0
for parent in /root "/tmp/warden ci"; do
	mkdir -p "$parent"
	dir=$(mktemp -d "$parent/clone.XXXXXX")
	echo "== a clone in $dir"
	if git clone -q "$src" "$dir/warden" &&
		(cd "$dir/warden" && make --no-print-directory test-build >/dev/null &&
			VMTEST_ONLY=test_anywhere scripts/run-tests.sh); then
		echo "== ok from $dir"
	else
		echo "== FAILED from $dir"
		rc=1
	fi
	rm -rf "$dir"
done
rmdir "/tmp/warden ci" 2>/dev/null
exit $rc
