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

finish
