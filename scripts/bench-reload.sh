#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Reload benchmark (`make bench-reload`): policies of 1,000, 10,000 and
# 100,000 file rules; for each, the time from `warden reload` to enforced
# (the command returns once the new rules map is in the policy slot), and
# the daemon's own split: compile (parse, resolve every path to an inode)
# and load (fill the new map in batches of 1,024, swap the slot). Each
# size lists files of its own, so its first reload is cold (no identity
# the daemon kept fits it); the two after it are unchanged reloads (the
# best is shown), which take the kept identities (user/compile/file_cache.c).
# Runs inside the test VM (scripts/vmtest.sh); prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
WARDEN=$PWD/build/warden
WORK=/tmp/bench-reload
mkdir -p "$WORK/files"

policy() { # n -> file with n readOnly paths, files of its own
	local n=$1 f=$WORK/p$1.json
	python3 - "$n" "$WORK/files$n" >"$f" <<'PY'
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

# reload_ms FILE: "TOTAL COMPILE LOAD" of one reload
reload_ms() {
	local start out total

	start=$(date +%s%N)
	out=$("$WARDEN" reload --policy "$1")
	total=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "$total $(sed -E 's/.*compiled in ([0-9]+) ms.*/\1/' <<<"$out")" \
		"$(sed -E 's/.*loaded in ([0-9]+) ms.*/\1/' <<<"$out")"
}

printf '%-8s | %-28s | %-28s | %s\n' "" "cold reload (ms)" "unchanged reload (ms)" ""
printf '%-8s | %8s %9s %9s | %8s %9s %9s | %s\n' rules enforced compile load \
	enforced compile load targets
for n in 1000 10000 100000; do
	f=$(policy $n)
	read -r c_total c_compile c_load <<<"$(reload_ms "$f")"
	best=""
	for round in 1 2; do
		r=$(reload_ms "$f")
		if [ -z "$best" ] || [ "${r%% *}" -lt "${best%% *}" ]; then best=$r; fi
	done
	read -r u_total u_compile u_load <<<"$best"
	target=""
	if [ $n = 100000 ]; then
		target="cold <1000 $([ "$c_total" -lt 1000 ] && echo ok || echo MISSED)"
		target+=", unchanged <200 $([ "$u_total" -lt 200 ] && echo ok || echo MISSED)"
	fi
	printf '%-8s | %8s %9s %9s | %8s %9s %9s | %s\n' "$n" "$c_total" "$c_compile" "$c_load" \
		"$u_total" "$u_compile" "$u_load" "$target"
done
echo "(unchanged: best of 2; software-emulated VM: absolute times are pessimistic)"
kill $daemon
wait $daemon 2>/dev/null || true
"$WARDEN" unload >/dev/null 2>&1 || true
