#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Reload benchmark (part of `make bench`): policies of 1,000, 10,000 and
# 100,000 file rules; for each, the time from `warden reload` to enforced
# (the command returns once the new rules map is in the policy slot), and
# the daemon's own split: compile (parse, resolve every path to an inode)
# and load (fill the new map in batches of 1,024, swap the slot). Runs
# inside the test VM (scripts/vmtest.sh); prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
WARDEN=$PWD/build/warden
WORK=/tmp/bench-reload
mkdir -p "$WORK/files"

policy() { # n -> file with n readOnly paths
	local n=$1 f=$WORK/p$1.json
	python3 - "$n" "$WORK/files" >"$f" <<'PY'
import json, os, sys
n, d = int(sys.argv[1]), sys.argv[2]
paths = []
for i in range(n):
    p = f"{d}/{i // 1000}/{i}"
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if not os.path.exists(p):
        open(p, "w").close()
    paths.append(p)
print(json.dumps({"version": 1, "defaults": {"exec": {"safeBins": ["sh"]}},
                  "agents": {"bench": {"fs": {"workspaceOnly": True, "readOnly": paths}}}}))
PY
	echo "$f"
}

small=$(policy 10)
"$WARDEN" daemon --policy "$small" >/dev/null 2>"$WORK/daemon.log" &
daemon=$!
for _ in $(seq 300); do "$WARDEN" status >/dev/null 2>&1 && break; sleep 0.1; done

printf '%-10s %12s %12s %12s %10s\n' rules "enforced ms" "compile ms" "load ms" target
for n in 1000 10000 100000; do
	f=$(policy $n)
	best=""
	for round in 1 2 3; do
		start=$(date +%s%N)
		out=$("$WARDEN" reload --policy "$f")
		total=$(( ($(date +%s%N) - start) / 1000000 ))
		compile=$(sed -E 's/.*compiled in ([0-9]+) ms.*/\1/' <<<"$out")
		load=$(sed -E 's/.*loaded in ([0-9]+) ms.*/\1/' <<<"$out")
		if [ -z "$best" ] || [ "$total" -lt "${best%% *}" ]; then best="$total $compile $load"; fi
	done
	read -r total compile load <<<"$best"
	target=""
	[ $n = 100000 ] && target=$([ "$total" -lt 500 ] && echo "<500 ok" || echo "<500 MISSED")
	printf '%-10s %12s %12s %12s %10s\n' "$n" "$total" "$compile" "$load" "$target"
done
echo "(best of 3 rounds; software-emulated VM: absolute times are pessimistic)"
kill $daemon
wait $daemon 2>/dev/null || true
"$WARDEN" unload >/dev/null 2>&1 || true
