#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Agent runtime profiles (issue 16) with a runtime installed the way npm
# installs one: a bin/ symlink to a "#!/usr/bin/env node" launcher in
# lib/node_modules/, outside every path an agent reads by default. A policy of
# just the profile and a workspace runs it; exec.quiet refuses the runtime's
# probes at once (an event, no approval request) while another unknown
# command is still held for a human.
. "$(dirname "$0")/lib.sh"

PREFIX=/opt/fakert
PKG=$PREFIX/lib/node_modules/@test/fakert
WS=/srv/agents/rt
rm -rf "$PREFIX" "$WS"
mkdir -p "$PKG/vendor" "$PREFIX/bin" "$WS" "$WORK/profiles"
chown nobody "$WS"
# the launcher probes its host (getconf: quiet), runs its own native helper
# from vendor/, then a command nobody listed (held)
cat >"$PKG/cli.js" <<'JS'
#!/usr/bin/env node
const { spawnSync } = require('child_process');
const path = require('path');
const run = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' });
const probe = run('/usr/bin/getconf', ['PAGESIZE']);
console.log('probe-error=' + (probe.error ? probe.error.code : 'none'));
const helper = run(path.join(__dirname, 'vendor', 'helper'), ['helper-ran']);
console.log('helper=' + (helper.stdout || '').trim());
const id = run('/usr/bin/id', ['-u']);
console.log('id=' + (id.error ? id.error.code : (id.stdout || '').trim()));
JS
cp /usr/bin/echo "$PKG/vendor/helper" # a copy: allowed only as part of the package
chmod 755 "$PKG/cli.js" "$PKG/vendor/helper"
ln -s ../lib/node_modules/@test/fakert/cli.js "$PREFIX/bin/fakert"
cat >"$WORK/profiles/fakert.json" <<'JSON'
{ "version": 1,
  "profile": { "description": "a runtime installed like an npm CLI",
               "commands": ["fakert"],
               "exec": { "quiet": ["getconf"] } } }
JSON
cat >"$WORK/policy.json" <<JSON
{ "version": 1,
  "defaults": { "exec": { "ask": "on-miss", "askTimeout": "60s" },
                "fs": { "workspaceOnly": true },
                "env": { "set": { "PATH": "$PREFIX/bin:/usr/bin:/bin", "HOME": "/tmp" } } },
  "agents": { "rt": { "profile": "fakert", "workspace": "$WS" } } }
JSON
export WARDEN_PROFILES=$WORK/profiles

check_status "warden check accepts a policy of just the profile and a workspace" 0 \
	"$WARDEN" check "$WORK/policy.json"
check_output "  and shows what the profile contributed" \
	"agents.rt: from profile fakert: exec.quiet \+= getconf"
check_output "  including the launcher's interpreter" "exec.safeBins \+= node \(for fakert\)"
check_output "  and its install directory, readable" "fs.readOnly \+= $PKG \(for fakert\)"

start_daemon "$WORK/policy.json" || { finish; exit 1; }

pending_id() { # JQ: waits for a pending request matching it, prints its id
	for _ in $(seq 150); do
		id=$("$WARDEN" approvals --json | jq -r "select($1) | .id" | head -1)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}

for mode in ${PROFILE_MODES:-sandbox no-sandbox}; do
	M="[$mode]"
	flag=; [ $mode = no-sandbox ] && flag=--no-sandbox
	: >"$EVENTS"
	OUT=$WORK/out.$mode
	# --no-sandbox runs CMD with the caller's environment: its PATH finds the command
	PATH=$PREFIX/bin:$PATH "$WARDEN" run $flag --agent rt -- fakert >"$OUT" 2>&1 &
	BG=$!
	id=$(pending_id '.path=="/usr/bin/id"')
	check "$M the unknown command is held for a human" test -n "$id"
	# the probe came first: it was refused at once, not held until an answer
	check "$M the quiet probe was refused before the held command was asked about" \
		grep -qx "probe-error=EPERM" "$OUT"
	check "$M no approval request was made for the quiet probe" \
		sh -c "! $WARDEN approvals --json | jq -e 'select(.path==\"/usr/bin/getconf\")' >/dev/null"
	check_event "$M the quiet probe is an event marked quiet" \
		'.type=="exec" and .path=="/usr/bin/getconf" and .verdict=="deny" and .reason=="quiet" and .quiet==true'
	check "$M the package's own native helper ran (install directory executable)" \
		grep -qx "helper=helper-ran" "$OUT"
	if [ -n "$id" ]; then "$WARDEN" approve "$id" >/dev/null; else kill $BG; fi
	wait $BG
	rc=$?
	check "$M the runtime ends with exit 0" test "$rc" = 0
	check "$M the approved command ran and its output reached the runtime" grep -qE "^id=[0-9]+$" "$OUT"
	check "$M no request is left" sh -c "[ -z \"\$($WARDEN approvals --json)\" ]"
	[ "$rc" = 0 ] || sed 's/^/#   /' "$OUT"
	[ -n "${PROFILE_DEBUG:-}" ] && { sed 's/^/#   /' "$OUT"; tail -n 8 "$EVENTS" | cut -c1-300; }
done

# without the profile the same install does not run: the launcher needs it
cat >"$WORK/bare.json" <<JSON
{ "version": 1,
  "defaults": { "fs": { "workspaceOnly": true },
                "env": { "set": { "PATH": "$PREFIX/bin:/usr/bin:/bin" } } },
  "agents": { "rt": { "workspace": "$WS", "exec": { "safeBins": ["fakert"] } } } }
JSON
"$WARDEN" reload --policy "$WORK/bare.json" >/dev/null
check_status "without the profile, allowlisting the command alone does not run it" 126 \
	env PATH="$PREFIX/bin:$PATH" "$WARDEN" run --no-sandbox --agent rt -- fakert
# warden events --run: one run's events (its cgroup id), none of another run's
: >"$EVENTS"
"$WARDEN" run --no-sandbox --agent rt -- /usr/bin/env true >/dev/null 2>&1
"$WARDEN" run --no-sandbox --agent rt -- /usr/bin/env false >/dev/null 2>&1
wait_event '.path=="/usr/bin/env" and .argv[1]=="false"'
run=$(jq -r 'select(.path=="/usr/bin/env" and .argv[1]=="true") | .cgroup' "$EVENTS" | head -1)
for _ in $(seq 50); do # the daemon's log is written after its stream
	"$WARDEN" events --json --agent rt | jq -e 'select(.argv[1]=="false")' >/dev/null && break
	sleep 0.1
done
check "warden events --run shows that run's refusal and nothing of another run" sh -c \
	"$WARDEN events --json --agent rt --run ${run:-0} | jq -e -s 'length > 0 and all(.cgroup==${run:-0}) and all(.argv[1]!=\"false\")' >/dev/null"

finish
