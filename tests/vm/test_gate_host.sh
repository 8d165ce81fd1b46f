#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The approval gate's red team with --no-sandbox, as root (gate_lib.sh), and
# what --always and --for are bound to.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
start_daemon "$WORK/policy.json" || { finish; exit 1; }
gate_routes no-sandbox

# 9. --always is bound to the binary's identity and content, not its path
cp /usr/bin/id /usr/local/bin/gatetool
"$WARDEN" run --no-sandbox --agent gate -- /usr/local/bin/gatetool -u >"$OUT" 2>&1 &
BG=$!
id=$(pending_id '.binary=="/usr/local/bin/gatetool"')
check "approve --always" "$WARDEN" approve "$id" --always
wait $BG
check_status "the approved binary then runs without a request" 0 \
	"$WARDEN" run --no-sandbox --agent gate -- /usr/local/bin/gatetool -u
cp /usr/bin/whoami /usr/local/bin/gatetool.new
mv -f /usr/local/bin/gatetool.new /usr/local/bin/gatetool
"$WARDEN" reload >/dev/null
"$WARDEN" run --no-sandbox --agent gate -- /usr/local/bin/gatetool >"$OUT" 2>&1 &
BG=$!
check "a different program at the approved path is held again" pending_id '.binary=="/usr/local/bin/gatetool"'
deny_all
wait $BG
check "  and did not run" sh -c "! grep -q root $OUT"

# --always and --for are refused for a binary the agent may write: a lasting
# grant would cover whatever it puts there next. Once is still possible.
cp /usr/bin/id /usr/local/bin/gatew
chmod 0777 /usr/local/bin/gatew
"$WARDEN" run --no-sandbox --agent gate -- /usr/local/bin/gatew -u >"$OUT" 2>&1 &
BG=$!
id=$(pending_id '.binary=="/usr/local/bin/gatew"')
check "a world-writable binary is held" test -n "$id"
check_status "approve --always of a binary the agent may write is refused" 1 \
	"$WARDEN" approve "$id" --always
check_output "  saying why and what to do" "may write /usr/local/bin/gatew.*approve this run only"
check_status "approve --for of it is refused too" 1 "$WARDEN" approve "$id" --for 10m
check "  the request is still pending" pending_id ".id==$id"
check "approve once of it is allowed" "$WARDEN" approve "$id"
wait $BG
check "  and it ran once" grep -qx 0 "$OUT"
"$WARDEN" run --no-sandbox --agent gate -- /usr/local/bin/gatew -u >/dev/null 2>&1 &
BG=$!
check "  nothing lasting was granted: the next run is held again" \
	pending_id '.binary=="/usr/local/bin/gatew"'
deny_all
wait $BG
rm -f /usr/local/bin/gatew

finish
