# SPDX-License-Identifier: GPL-2.0-only
#
# The approval gate against a hijacked agent (issue 12), sourced by
# test_gate.sh (in the sandbox, as nobody), test_gate_host.sh (with
# --no-sandbox, as root) and test_gate_reload.sh: nothing held runs without
# a human's decision, and the human approves exactly what runs.

# The helpers by their real path: the sandbox has its own /tmp, where the
# checkout link of lib.sh does not exist.
HELPERS=$(readlink -f "$HELPERS")
WS=/srv/agents/gate
rm -rf "$WS" /srv/agents/always /var/lib/warden/approved.json
mkdir -p /srv/agents/always
cp /usr/bin/id /srv/agents/always/tool
cat >"$WORK/policy.json" <<JSON
{
  "version": 1,
  "defaults": { "exec": { "ask": "on-miss", "askTimeout": "30s",
                          "safeBins": ["sh", "cat", "sleep", "kill", "mkdir", "cp", "mv", "chmod",
                                       "$HELPERS/gate_routes"] },
                "fs": { "workspaceOnly": true, "readOnly": ["$HELPERS"] } },
  "agents": {
    "gate": { "workspace": "$WS" },
    "always": { "workspace": "/srv/agents/always", "user": "root",
                "exec": { "ask": "always", "safeBins": ["/srv/agents/always/tool"] } }
  }
}
JSON

# pending_id [JQ]: waits for a pending request matching JQ, prints its id
pending_id() {
	for _ in $(seq 100); do
		id=$("$WARDEN" approvals --json | jq -r "select(${1:-true}) | .id" | head -1)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}
deny_all() {
	for id in $("$WARDEN" approvals --json | jq -r .id); do "$WARDEN" deny "$id" >/dev/null 2>&1; done
}
no_pending() { [ -z "$("$WARDEN" approvals --json)" ]; }
OUT=$WORK/out
# gate MODE SCRIPT: runs SCRIPT as agent gate (sandboxed or not) in the background
gate() {
	local flag=
	[ "$1" = no-sandbox ] && flag=--no-sandbox
	"$WARDEN" run $flag --agent gate -- sh -c "cd $2 && $3" >"$OUT" 2>&1 &
	BG=$!
}


# Every route of the issue, as agent "gate" in MODE (sandbox | no-sandbox).
gate_routes() {
	local mode=$1 M IN id good dir ms st dpid start
	M="[$mode]"
	: >"$EVENTS" # the daemon appends: each mode's checks see only its own events
	# where the workspace is for the agent, and where the test (root, outside) sees it
	if [ $mode = sandbox ]; then IN=/workspace; else IN=$WS; fi
	mkdir -p "$WS"; chown nobody "$WS" 2>/dev/null

	# 1. a tracer the child chose resumes every stop
	gate $mode "$IN" "$HELPERS/gate_routes traceme /usr/bin/echo HELD-RAN"
	wait $BG
	check "$M PTRACE_TRACEME: the traced exec is refused at once" grep -q "^exec-failed 1 " "$OUT"
	check "$M   and the held program never ran" sh -c "! grep -q HELD-RAN $OUT"
	check_event "$M   reported as traced" '.reason=="traced" and .path=="/usr/bin/echo"'
	check "$M   no request was left" no_pending

	# 2. the kernel's own SIGCONT to an orphaned process group
	for how in ignore block; do
		gate $mode "$IN" "$HELPERS/gate_routes orphan-$how /usr/bin/echo HELD-RAN-$how"
		wait $BG
		sleep 1
		check "$M orphaned group, SIGHUP $how: refused to hold" grep -q "^exec-failed 1 " "$OUT"
		check "$M   and the program never ran" sh -c "! grep -rq HELD-RAN-$how $OUT"
	done
	check_event "$M   reported as unsafe to hold" '.reason=="unsafe-to-hold"'
	gate $mode "$IN" "$HELPERS/gate_routes orphan-dfl /usr/bin/echo HELD-RAN-DFL"
	wait $BG
	sleep 1.5
	deny_all
	sleep 0.5
	check "$M orphaned group, SIGHUP at its default: held, and never ran" \
		sh -c "grep -q '^stopped' $OUT && ! pgrep -f '^/usr/bin/echo HELD-RAN-DFL' && ! grep -q '^HELD-RAN-DFL' $OUT"

	# 2b. SIGCONT through F_SETOWN + F_SETSIG on a pipe
	gate $mode "$IN" "$HELPERS/gate_routes sigio /usr/bin/echo HELD-RAN-SIGIO"
	id=$(pending_id '.argv[1]=="HELD-RAN-SIGIO"')
	for _ in $(seq 50); do grep -q sigio-sent "$OUT" && break; sleep 0.1; done
	sleep 0.5
	check "$M SIGCONT by SIGIO is refused: still held" \
		sh -c "grep -q sigio-sent $OUT && $WARDEN approvals --json | jq -e 'select(.id==$id)' >/dev/null"
	"$WARDEN" deny "$id" >/dev/null
	wait $BG
	check "$M   and it never ran" sh -c "! grep -q '^HELD-RAN-SIGIO' $OUT"

	# 3. 15 held processes of one parent: one request, settled at once, status answers
	gate $mode "$IN" "$HELPERS/gate_routes many /usr/bin/echo HELD-RAN-MANY"
	id=$(pending_id '.argv[1]=="HELD-RAN-MANY" and (.pids|length)==15')
	check "$M 15 identical held execs of one parent are one request of 15 pids" test -n "$id"
	check "$M   warden status answers while they are held" "$WARDEN" status
	# no timed assertion (the VM's clock means nothing): the time is shown, and
	# the daemon's answering status meanwhile is what proves it never waits
	start=$(date +%s%N)
	check "$M   warden deny of all 15 succeeds" "$WARDEN" deny "$id"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "# $M warden deny of 15 pids took ${ms} ms"
	wait $BG
	check "$M   all 15 were killed, none ran" grep -q "^killed=15 ran=0$" "$OUT"

	# 4. argv flipped by a second thread during execve: shown == received
	: >"$WORK/shown"
	gate $mode "$IN" "$HELPERS/gate_routes race 12 /usr/bin/echo"
	for i in $(seq 12); do
		id=$(pending_id '.binary=="/usr/bin/echo" and (.argv|length)==2') || break
		"$WARDEN" approvals --json | jq -r "select(.id==$id) | .argv[1]" >>"$WORK/shown"
		"$WARDEN" approve "$id" >/dev/null
		sleep 0.2
	done
	wait $BG
	# a try whose exec the kernel refused (fail closed) shows nothing and runs nothing
	check "$M argv race: most of 12 tries were shown ($(wc -l <"$WORK/shown"))" \
		test "$(wc -l <"$WORK/shown")" -ge 10
	check "$M   every program received exactly the argv its request showed" \
		diff "$WORK/shown" "$OUT"

	# 5. long and many arguments: shown whole or flagged
	head -c 100000 /dev/zero | tr '\0' L >"$WS/long"
	for i in $(seq 40); do printf '%0300d ' "$i"; done >"$WS/many"
	gate $mode "$IN" '/usr/bin/echo $(cat many) >many.out; /usr/bin/echo $(cat long) | cat >long.out'
	id=$(pending_id '(.argv|length)==41')
	check "$M 40 arguments of 300 bytes are shown whole, not flagged" sh -c \
		"$WARDEN approvals --json | jq -e 'select(.id==$id) | (.argv[1:]|map(length)|unique)==[300] and (has(\"argvTruncated\")|not)'"
	"$WARDEN" approve "$id" >/dev/null
	id=$(pending_id '.argvTruncated==true')
	check "$M a 100 KB argument is flagged as truncated in --json" test -n "$id"
	check "$M   and in the human view" sh -c "$WARDEN approvals | grep -q 'ONLY THE START OF THE ARGUMENTS'"
	check_status "$M   approve without --truncated-ok is refused" 1 "$WARDEN" approve "$id"
	check_output "$M   saying why" "truncated-ok"
	check "$M   approve --truncated-ok runs it" "$WARDEN" approve "$id" --truncated-ok
	wait $BG
	check "$M   whole" test "$(wc -c <"$WS/long.out")" = 100001

	# 6. same argv, different cwd: two requests; approving one resumes only it
	rm -rf "$WS/good" "$WS/evil"
	gate $mode "$IN" 'mkdir -p good evil; cd good; /usr/bin/touch ran & cd ../evil; /usr/bin/touch ran & wait'
	pending_id '.cwd|endswith("/evil")' >/dev/null
	good=$(pending_id '.cwd|endswith("/good")')
	check "$M different working directories are two requests" sh -c \
		"test \$($WARDEN approvals --json | jq -s 'map(select(.binary==\"/usr/bin/touch\")) | length') = 2"
	"$WARDEN" approve "$good" >/dev/null
	sleep 1
	check "$M   approving the one shown ran it" test -e "$WS/good/ran"
	check "$M   and not the other" test ! -e "$WS/evil/ran"
	deny_all
	wait $BG
	check "$M   which never ran after its deny" test ! -e "$WS/evil/ran"

	# 7. a script swapped after the request is killed (changed)
	printf 'echo GOOD\n' >"$WS/s.sh"
	gate $mode "$IN" '/bin/bash s.sh'
	id=$(pending_id '.script.path=="s.sh"')
	check "$M an interpreter's request shows its script and hash" sh -c \
		"$WARDEN approvals --json | jq -e 'select(.id==$id) | .script.sha256==\"$(sha256sum "$WS/s.sh" | cut -d' ' -f1)\"'"
	printf 'echo EVIL\n' >"$WS/s.sh"
	check_status "$M   approving after the swap refuses" 1 "$WARDEN" approve "$id"
	check_output "$M   as changed" "changed"
	wait $BG
	check "$M   the swapped script never ran" sh -c "! grep -q EVIL $OUT"
	check_event "$M   the decision is changed" ".approval==$id and .decision==\"changed\""
	printf '#!/bin/bash\necho GOOD2\n' >"$WS/s2.sh"
	chmod 755 "$WS/s2.sh"
	gate $mode "$IN" './s2.sh'
	id=$(pending_id '.script.path|tostring|endswith("s2.sh")')
	printf '#!/bin/bash\necho EVIL2\n' >"$WS/s2.new"
	chmod 755 "$WS/s2.new"
	mv -f "$WS/s2.new" "$WS/s2.sh"
	check_status "$M a shebang script replaced by rename is refused too" 1 "$WARDEN" approve "$id"
	wait $BG
	check "$M   and never ran" sh -c "! grep -q EVIL2 $OUT"
	printf 'echo FINE\n' >"$WS/s3.sh"
	gate $mode "$IN" '/bin/bash s3.sh'
	id=$(pending_id '.script.path=="s3.sh"')
	check "$M an unchanged script is approved and runs" "$WARDEN" approve "$id"
	wait $BG
	check "$M   (its output)" grep -q "^FINE$" "$OUT"

	# 8. control characters in a directory name never reach the terminal raw
	dir=$(printf 'w\033[2K\rclean')
	mkdir -p "$WS/$dir"
	gate $mode "$IN" "cd \"\$(printf 'w\\033[2K\\rclean')\" && /usr/bin/id"
	id=$(pending_id '.cwd|contains("clean")')
	"$WARDEN" approvals >"$WORK/human"
	check "$M warden approvals shows the escape sequence escaped" grep -qF 'w\e[2K\rclean' "$WORK/human"
	check "$M   and no raw ESC or CR" sh -c "! grep -qP '[\\x1b\\x0d]' $WORK/human"
	"$WARDEN" deny "$id" >/dev/null
	wait $BG
	"$WARDEN" events --agent gate >"$WORK/human-events"
	check "$M warden events shows no raw ESC or CR either" sh -c \
		"grep -qF 'w\e[2K\rclean' $WORK/human-events && ! grep -qP '[\\x1b\\x0d]' $WORK/human-events"

	# 10. a binary the agent wrote is denied at once, not held; a held process that dies is gone
	gate $mode "$IN" 'cp /usr/bin/id ./dropped && chmod 755 dropped && ./dropped; echo rc=$?'
	wait $BG
	check "$M a dropped binary fails at once with EPERM" grep -q "^rc=126$" "$OUT"
	check_event "$M   reported as writable-binary" '.reason=="writable-binary" and (.path|endswith("/dropped"))'
	check "$M   and no human is asked" no_pending
	gate $mode "$IN" '/usr/bin/id & sleep 1; kill -9 $!; wait'
	id=$(pending_id '.binary=="/usr/bin/id"')
	wait $BG
	check_event "$M a held request whose process died is reported gone" \
		".approval==$id and .decision==\"gone\""
	check "$M   and leaves the queue" no_pending
}
