#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Layer 4: approval gates. A held exec is stopped in the kernel before its
# new program runs; a human (here: the test) approves once, always, for a
# while, or denies; the event stream shows it all.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/policy.json" <<JSON
{
  "version": 1,
  "approvals": { "notify": "cat > $WORK/notified-\$\$.json" },
  "defaults": { "exec": { "safeBins": ["sh", "echo", "sleep", "cat", "kill", "$HELPERS/open_burst", "$HELPERS/stop_race"] } },
  "agents": {
    "ask": { "exec": { "ask": "on-miss", "askTimeout": "60s" } },
    "quick": { "exec": { "ask": "on-miss", "askTimeout": "2s", "askFallback": "deny" } },
    "lenient": { "exec": { "ask": "on-miss", "askTimeout": "2s", "askFallback": "allow" } },
    "strict": { "exec": { "ask": "always" } },
    "burst": { "fs": { "workspaceOnly": true, "readOnly": ["$HELPERS"] } }
  }
}
JSON
rm -f /var/lib/warden/approved.json
start_daemon "$WORK/policy.json" || { finish; exit 1; }

# pending_id: waits for a pending request (optionally of agent $1), prints its id
pending_id() {
	for _ in $(seq 100); do
		id=$("$WARDEN" approvals --json | jq -r "select(${1:-true}) | .id" | head -1)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}
held() { # agent cmd... in the background, output to $WORK/$1.out
	local agent=$1
	shift
	"$WARDEN" run --no-sandbox --agent "$agent" -- sh -c "$*" >"$WORK/$agent.out" 2>&1 &
	HELD="$HELD $!"
}
# wait_held: waits for every held() command (not for the daemon)
wait_held() {
	for p in $HELD; do wait "$p"; done
	HELD=
}

held ask '/usr/bin/whoami; echo rc=$?'
id=$(pending_id '.agent=="ask"')
check "a miss becomes a pending request" test -n "$id"
pid=$("$WARDEN" approvals --json | jq -r "select(.id==$id) | .pid")
sleep 0.5
check "the held command printed nothing yet" test ! -s "$WORK/ask.out"
check "the held process is stopped (state T)" sh -c "ps -o stat= -p $pid | grep -q T"
"$WARDEN" approvals --json >"$WORK/request.json"
check "the request shows argv, cwd, binary, user and parent" sh -c \
	"$WARDEN approvals --json | jq -e 'select(.id==$id) | .argv==[\"/usr/bin/whoami\"] and (.cwd|length>0) and .binary==\"/usr/bin/whoami\" and .user==\"root\" and .parent.comm==\"sh\" and .expiresInSeconds>0'"
check_status "SIGCONT from the agent's own shell is refused" 1 \
	"$WARDEN" run --no-sandbox --agent ask -- sh -c "kill -CONT $pid 2>/dev/null || exit 1"
check_status "SIGCONT from root outside is refused too" 1 sh -c "kill -CONT $pid 2>/dev/null || exit 1"
check "still stopped after those attempts" sh -c "ps -o stat= -p $pid | grep -q T"
check "the notify command received the request JSON" sh -c \
	"cat $WORK/notified-*.json | jq -e 'select(.id==$id) | .agent==\"ask\" and .argv==[\"/usr/bin/whoami\"]'"
check "approve runs it" "$WARDEN" approve "$id"
wait_held
check "the command ran after the approval" grep -q "^root$" "$WORK/ask.out"
check "and exited 0" grep -q "^rc=0$" "$WORK/ask.out"
check_event "events show the hold with the request id" \
	".type==\"exec\" and .verdict==\"hold\" and .approval==$id and .agent==\"ask\" and .argv==[\"/usr/bin/whoami\"]"
check_event "and the decision with the same id" \
	".type==\"approval\" and .approval==$id and .decision==\"once\" and .verdict==\"allow\""
check "warden events --json shows both" sh -c \
	"$WARDEN events --json --agent ask | jq -s -e '[.[] | select(.approval==$id)] | length == 2'"

held ask '/usr/bin/whoami; echo rc=$?'
id=$(pending_id '.agent=="ask"')
check "deny" "$WARDEN" deny "$id"
wait_held
check "a denied command never prints" sh -c "! grep -q root $WORK/ask.out"
check "the agent sees it fail (killed)" grep -q "^rc=137$" "$WORK/ask.out"
check_event "the denial is an event" ".type==\"approval\" and .approval==$id and .verdict==\"deny\""

held quick '/usr/bin/whoami; echo rc=$?'
id=$(pending_id '.agent=="quick"')
sleep 3.5
wait_held
check "the timeout applies askFallback deny" grep -q "^rc=137$" "$WORK/quick.out"
check_event "as a timeout decision" ".approval==$id and .decision==\"timeout\" and .verdict==\"deny\""
held lenient '/usr/bin/whoami; echo rc=$?'
pending_id '.agent=="lenient"' >/dev/null
sleep 3.5
wait_held
check "askFallback allow lets it run after the timeout" grep -q "^rc=0$" "$WORK/lenient.out"

# identical requests (same parent, argv, cwd, user) merge
held ask "/usr/bin/id -u >$WORK/ask1.out & /usr/bin/id -u >$WORK/ask2.out & wait"
sleep 1.5
check "two identical held execs are one request with two pids" sh -c \
	"$WARDEN approvals --json | jq -s -e 'length == 1 and (.[0].pids|length) == 2'"
id=$(pending_id '.agent=="ask"')
check "approve --always" "$WARDEN" approve "$id" --always
wait_held
check "both ran" sh -c "grep -q '^0$' $WORK/ask1.out && grep -q '^0$' $WORK/ask2.out"
check "the overlay file holds the grant: identity and hash" sh -c \
	"jq -e '.approved[] | select(.agent==\"ask\" and .path==\"/usr/bin/id\" and (.sha256|length)==64 and .ino>0)' /var/lib/warden/approved.json"
check "status shows the overlay" sh -c "$WARDEN status --json | jq -e '.approvedOverlay == \"/var/lib/warden/approved.json\"'"
check_status "--always lets the next run through without a prompt" 0 \
	"$WARDEN" run --no-sandbox --agent ask -- /usr/bin/id -u
stop_daemon
start_daemon "$WORK/policy.json" || { finish; exit 1; }
check_status "and survives a daemon restart" 0 "$WARDEN" run --no-sandbox --agent ask -- /usr/bin/id -u
check_status "grants are per agent: another agent is still asked (and falls back)" 126 \
	"$WARDEN" run --no-sandbox --agent quick -- sh -c '/usr/bin/id -u; r=$?; [ $r = 137 ] && exit 126; exit $r'

held strict 'echo in-strict'
id=$(pending_id '.agent=="strict"')
check "ask always holds even an allowlisted binary" test -n "$id"
"$WARDEN" approve "$id" >/dev/null
wait_held
check "  and runs it once approved" grep -q "^in-strict$" "$WORK/strict.out"

held ask '/bin/bash -c "echo in-bash"'
id=$(pending_id '.agent=="ask"')
out=$("$WARDEN" approve "$id" --always 2>&1)
check "--always on a shell warns" grep -q "every command run through it" <<<"$out"
wait_held

held ask '/usr/bin/uname; echo rc=$?'
id=$(pending_id '.agent=="ask"')
check "approve --for 2s" "$WARDEN" approve "$id" --for 2s
wait_held
check_status "within the grant the next run needs no prompt" 0 \
	"$WARDEN" run --no-sandbox --agent ask -- /usr/bin/uname
sleep 2.5
held ask '/usr/bin/uname; echo rc=$?'
check "after it expired the exec is held again" pending_id '.agent=="ask"'
"$WARDEN" deny "$(pending_id '.agent=="ask"')" >/dev/null
wait_held

# No approver: a miss is denied at once, never held with nobody to answer.
# The agent's shell is already running (in its cgroup) when the daemon stops.
mkfifo "$WORK/go"
held ask "read x <$WORK/go; /usr/bin/whoami; echo rc=\$?"
sleep 1
kill -STOP "$DAEMON_PID"
sleep 3.5
start=$(date +%s%N)
echo go >"$WORK/go"
wait_held
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill -CONT "$DAEMON_PID"
check "with the daemon stopped a miss fails at once with EPERM" grep -q "^rc=126$" "$WORK/ask.out"
check "  (and fast: ${elapsed_ms} ms)" test "$elapsed_ms" -lt 3000
check_event "reported as no approver" '.agent=="ask" and .reason=="no-approver"'

# A held process that has set its stopped state but not yet slept, its
# parent woken (SIGCHLD, CLD_STOPPED) on the same CPU and busy there: it
# may show 'T' without the sleep's switch, a process on its way to the
# stop, not one that ran (held_state.c; the race itself is decided by
# held_judge, whose cases are unit tests: under this kernel's voluntary
# preemption the window is microseconds wide). Approved, each one runs.
race_ok=0 race_from=$(wc -l <"$EVENTS")
for round in 1 2 3 4; do
	"$WARDEN" run --no-sandbox --agent ask -- "$HELPERS/stop_race" 300 /usr/bin/whoami \
		>"$WORK/race.out" 2>&1 &
	race=$!
	id=$(pending_id '.agent=="ask"') && "$WARDEN" approve "$id" >/dev/null 2>&1
	wait "$race" && grep -q "^root$" "$WORK/race.out" && race_ok=$((race_ok + 1))
done
check "a hold stopping while its parent holds its CPU is approved and runs, 4 of 4" \
	test "$race_ok" = 4
check "and none of them was taken for an escape" sh -c \
	"tail -n +$((race_from + 1)) $EVENTS | jq -e 'select(.type==\"approval\" and .decision==\"escaped\")' && exit 1; exit 0"

# A burst of denials: each is accounted for in the stream, or the drop
# counter says how many were not. Identical ones are folded in the kernel
# and reported with their "count" once their second is over. Run twice:
# one thread, then 4 threads of one process racing the same file (one fold
# key, added to atomically: the sum must still be exact).
echo secret >"$WORK/secret"
burst_lines() { # FROM: the burst's events after line FROM
	tail -n +$(($1 + 1)) "$EVENTS" |
		jq -c "select(.agent==\"burst\" and .type==\"file\" and .path==\"$WORK/secret\")"
}
for threads in 1 4; do
	B="a burst of 100,000 denied opens ($threads thread$([ $threads = 1 ] || echo s))"
	before=$("$WARDEN" status --json | jq '.counters.eventsDropped')
	burst_from=$(wc -l <"$EVENTS")
	check_status "$B" 0 \
		"$WARDEN" run --no-sandbox --agent burst -- "$HELPERS/open_burst" 100000 "$WORK/secret" $threads
	check_output "  all denied" "denied=100000 "
	sleep 3
	got=$(burst_lines "$burst_from" | jq -n '[inputs | .count // 1] | add // 0')
	lines=$(burst_lines "$burst_from" | wc -l)
	dropped=$(( $("$WARDEN" status --json | jq '.counters.eventsDropped') - before ))
	check "  every denial arrived or was counted as dropped ($got arrived + $dropped dropped)" \
		test $((got + dropped)) -eq 100000
	check "  identical denials were folded into a few lines ($lines), each report naming the file" \
		test "$lines" -ge 1 -a "$lines" -le 200
	check "  a report says how many it stands for" sh -c \
		"tail -n +$((burst_from + 1)) $EVENTS | jq -e 'select(.agent==\"burst\" and .count > 1)' >/dev/null"
done
finish
