#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/bench.sh: the host half of `make bench`. Boots the test VM once
# (scripts/vmtest.sh), runs tests/bench/run-bench.sh there, keeps its raw
# output in build/bench-vm.log, writes build/bench.json (medians, spreads,
# ratios, per-hook costs, events, targets) and prints the report, also kept
# in build/bench.txt. Exits non-zero only when the bench could not run:
# a missed target is reported, never a failure.
#
# Environment: WARDEN_BENCH_* (see tests/bench/run-bench.sh) are passed to
# the VM; VMTEST_TIMEOUT (default 900 s) bounds the VM.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

die() { echo "bench: $*" >&2; exit 1; }

for f in build/warden build/tests/bench/loop build/tests/bench/landlock_run; do
	[ -x "$f" ] || die "$f missing: run make bench (it builds them)"
done
command -v jq >/dev/null || die "jq not found: scripts/install-deps.sh installs it"

log=build/bench-vm.log
hostlog=build/bench-host.log
start=$(date +%s)

# Other VMs on this host (a test suite running alongside) take CPU from the
# emulated vCPUs in bursts and widen the spreads: sample how many there
# are every 5 s, to say so next to the results. Ours is in our session.
sid=$(ps -o sid= -p $$ | tr -d ' ')
: >"$hostlog"
(
	while :; do
		all=$(pgrep -f '^qemu-system' | wc -l)
		mine=$(pgrep -s "$sid" -f '^qemu-system' | wc -l)
		echo "$((all - mine)) $(cut -d' ' -f1 /proc/loadavg)" >>"$hostlog"
		sleep 5
	done
) &
watcher=$!
trap 'kill "$watcher" 2>/dev/null' EXIT
echo "bench: one VM run, 4-8 minutes; progress below, raw output in $log" >&2
# progress lines ("# ...") and errors are shown as they come; the rest is data
VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-900} scripts/vmtest.sh tests/bench/run-bench.sh 2>&1 |
	tee "$log" | grep --line-buffered -E '^(# |bench: |vmtest: )' | sed -u 's/^# /bench: /' >&2
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ] || ! grep -q '^# done' "$log"; then
	echo "bench: the VM run failed (exit $rc); last lines of $log:" >&2
	tail -n 15 "$log" >&2
	exit 1
fi

kill "$watcher" 2>/dev/null
host=$(awk -v cpus="$(nproc)" '{ n++; if ($1 > 0) busy++; if ($1 > max) max = $1; if ($2 > load) load = $2 }
	END { printf "{\"cpus\": %d, \"samples\": %d, \"samplesWithOtherVMs\": %d, \"maxOtherVMs\": %d, \"maxLoad1\": %s}",
		cpus, n, busy, max, load + 0 }' "$hostlog")
jq -R -s -f tests/bench/summarize.jq "$log" | jq --argjson host "$host" '. + { host: $host }' \
	>build/bench.json.tmp || die "cannot summarize $log"
mv build/bench.json.tmp build/bench.json
jq -r -f tests/bench/report.jq build/bench.json >build/bench.txt || die "cannot format the report"
cat build/bench.txt
echo
echo "bench: done in $(($(date +%s) - start)) s; raw data in build/bench.json"
