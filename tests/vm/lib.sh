#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers for the VM test files (sourced). Each check prints a TAP line;
# the counts go to $VMTEST_RESULTS so tests/vm/run-all.sh can sum them.
# Tests run as root inside scripts/vmtest.sh, on a throwaway overlay root.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Test files splice these paths into shell strings and JSON: a link with a
# plain name (the VM's /tmp is fresh) keeps a checkout path with spaces or
# quotes out of them. warden itself still runs from, and sees, the real path.
ln -sfn "$ROOT" /tmp/.warden-checkout
WARDEN=/tmp/.warden-checkout/build/warden
HELPERS=/tmp/.warden-checkout/build/tests/helpers
SUITE=$(basename "$0" .sh)
WORK=/tmp/$SUITE
DAEMON_PID=
EVENTS=$WORK/events.jsonl
DAEMON_LOG=$WORK/daemon.log
PASS=0
FAIL=0
mkdir -p "$WORK"

_result() { # ok|fail name [detail]
	if [ "$1" = ok ]; then
		PASS=$((PASS + 1))
		echo "ok - $SUITE: $2"
	else
		FAIL=$((FAIL + 1))
		echo "not ok - $SUITE: $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
	fi
}

# check NAME CMD...: passes when CMD exits 0
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then _result ok "$name"; else _result fail "$name" "$out"; fi
}

# check_status NAME WANT CMD...: passes when CMD exits WANT
check_status() {
	local name=$1 want=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" = "$want" ]; then
		_result ok "$name"
	else
		_result fail "$name" "exit $rc, wanted $want; output: $out"
	fi
	LAST_OUTPUT=$out
}

# check_output NAME REGEX: the output of the last check_status matches
check_output() {
	if grep -qE -- "$2" <<<"$LAST_OUTPUT"; then
		_result ok "$1"
	else
		_result fail "$1" "output lacks /$2/: $LAST_OUTPUT"
	fi
}

# start_daemon POLICY [ARGS...]: waits until it answers
start_daemon() {
	: >"$EVENTS"
	"$WARDEN" daemon --json --policy "$@" >>"$EVENTS" 2>"$DAEMON_LOG" &
	DAEMON_PID=$!
	for _ in $(seq 100); do
		"$WARDEN" status >/dev/null 2>&1 && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	_result fail "the daemon starts with $1" "$(cat "$DAEMON_LOG")"
	return 1
}

stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

# wait_event JQ_FILTER: waits (up to 5 s) for an event matching the filter
wait_event() {
	for _ in $(seq 50); do
		jq -e -c "select($1)" "$EVENTS" 2>/dev/null | head -1 | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# check_event NAME JQ_FILTER
check_event() {
	if wait_event "$2"; then
		_result ok "$1"
	else
		_result fail "$1" "no event matches $2; events: $(tail -n 5 "$EVENTS")"
	fi
}

finish() {
	stop_daemon
	# enforcement outlives the daemon (pinned): each test file starts clean
	"$WARDEN" unload >/dev/null 2>&1
	echo "$PASS $FAIL" >>"${VMTEST_RESULTS:-/dev/null}"
	[ "$FAIL" = 0 ]
}
