#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The daemon's heartbeat during a long reload: another agent's miss meanwhile
# is held for a human, not refused because nobody seemed to be there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
start_daemon "$WORK/policy.json" || { finish; exit 1; }

# the heartbeat stays fresh during a long reload: a miss meanwhile is held, not refused
python3 - "$WORK/files" >"$WORK/big.json" <<PY
import json, os, sys
d = sys.argv[1]
paths = []
for i in range(100000):
    p = f"{d}/{i // 1000}/{i}"
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").close()
    paths.append(p)
pol = json.load(open("$WORK/policy.json"))
pol["agents"]["big"] = {"fs": {"readOnly": paths}}
print(json.dumps(pol))
PY
start=$(date +%s%N)
"$WARDEN" reload --policy "$WORK/big.json" >"$WORK/reload.out" 2>&1 &
rpid=$!
sleep 4
"$WARDEN" run --no-sandbox --agent gate -- /usr/bin/echo DURING-RELOAD >"$OUT" 2>&1 &
BG=$!
wait $rpid
rrc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "a 100,000-rule reload (${ms} ms)" test $rrc = 0
check "  a miss during it is held for a human, not refused as no-approver" \
	pending_id '.argv==["/usr/bin/echo","DURING-RELOAD"]'
check "  (no no-approver event)" sh -c "! jq -e 'select(.reason==\"no-approver\")' $EVENTS >/dev/null"
"$WARDEN" approve "$(pending_id '.argv[1]=="DURING-RELOAD"')" >/dev/null
wait $BG
check "  and runs once approved" grep -q "^DURING-RELOAD$" "$OUT"
finish
