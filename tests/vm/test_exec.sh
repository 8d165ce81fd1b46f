#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Layer 1, the exec allowlist, with real execs in a managed cgroup.
. "$(dirname "$0")/lib.sh"

# An allowed tool on tmpfs (not the overlay root), so hard links and copies
# are made on one filesystem and keep or change the inode as they would on
# a host's disk.
mkdir -p "$WORK/bin" "$WORK/scripts"
cp /bin/true "$WORK/bin/tool"
cat >"$WORK/policy.json" <<JSON
{
  "version": 1,
  "defaults": { "exec": { "safeBins": ["sh", "cat", "ls", "echo", "cp", "chmod", "ln",
                                        "$WORK/bin/tool", "$HELPERS/memfd_exec"] } },
  "agents": {
    "t": {},
    "nothing": { "exec": { "security": "deny" } },
    "anything": { "exec": { "security": "full" } },
    "free": { "confined": false }
  }
}
JSON
printf '#!/usr/bin/perl\nprint "perl ran\\n";\n' >"$WORK/scripts/perl-script"
printf '#!/bin/sh\necho "sh script ran"\n' >"$WORK/scripts/sh-script"
chmod +x "$WORK/scripts/"*

# Before the daemon: warden run must refuse, never run unconfined.
check_status "run without a daemon exits 125" 125 \
	"$WARDEN" run --no-sandbox --agent t -- sh -c "touch $WORK/ran-unconfined"
check_output "run without a daemon says why" "daemon is not running"
check "run without a daemon did not run the command" test ! -e "$WORK/ran-unconfined"

echo '{"version": 1, "agents": {"t": {"exec": {"safeBins": ["sh", 3]}}}}' >"$WORK/broken.json"
check_status "daemon refuses a broken policy" 1 "$WARDEN" daemon --policy "$WORK/broken.json"
check_output "the error names file, location and reason" \
	"broken.json: agents.t.exec.safeBins\[1\]: expected a string, got an integer"
check_status "run after the broken daemon exits 125" 125 \
	"$WARDEN" run --no-sandbox --agent t -- sh -c "touch $WORK/ran-unconfined"
check "run after the broken daemon did not run the command" test ! -e "$WORK/ran-unconfined"

start_daemon "$WORK/policy.json" || { finish; exit 1; }
check "status exits 0 while enforcing" "$WARDEN" status

check_status "an allowed binary runs" 0 "$WARDEN" run --no-sandbox --agent t -- echo allowed-ran
check_output "its output is intact" "^allowed-ran$"
check_status "run returns the command's exit status" 7 "$WARDEN" run --no-sandbox --agent t -- sh -c 'exit 7'

check_status "a binary not on the list fails, the shell reports 126" 126 \
	"$WARDEN" run --no-sandbox --agent t -- sh -c 'echo $$ >'"$WORK/pid"'; exec /usr/bin/curl --version'
check_output "the denial is EPERM" "Operation not permitted"
pid=$(cat "$WORK/pid")
check_event "the denial is an event naming agent, path, pid and reason" \
	".type==\"exec\" and .verdict==\"deny\" and .agent==\"t\" and .path==\"/usr/bin/curl\" and .pid==$pid and .reason==\"not-allowlisted\" and .argv==[\"/usr/bin/curl\",\"--version\"]"
check_event "allowed execs are events too" \
	'.verdict=="allow" and .agent=="t" and .argv==["echo","allowed-ran"] and (.cwd|length)>0'
check_status "warden run itself reports a refused command with 126" 126 \
	"$WARDEN" run --no-sandbox --agent t -- /usr/bin/curl --version
check_status "the same binary runs fine outside any managed cgroup" 0 /usr/bin/curl --version

ln -s "$WORK/bin/tool" "$WORK/bin/symlink"
ln "$WORK/bin/tool" "$WORK/bin/hardlink"
cp "$WORK/bin/tool" "$WORK/bin/copy"
check_status "a symlink to an allowed binary works" 0 "$WARDEN" run --no-sandbox --agent t -- "$WORK/bin/symlink"
check_status "a hard link to an allowed binary works (same inode)" 0 \
	"$WARDEN" run --no-sandbox --agent t -- "$WORK/bin/hardlink"
check_status "a copy of an allowed binary is denied (new inode)" 126 \
	"$WARDEN" run --no-sandbox --agent t -- "$WORK/bin/copy"
check_status "a copy made by the agent itself is denied" 126 \
	"$WARDEN" run --no-sandbox --agent t -- sh -c "cp /bin/ls $WORK/mine && $WORK/mine"
check_status "an ELF written by the agent into a writable dir is denied" 126 \
	"$WARDEN" run --no-sandbox --agent t -- sh -c "cat /bin/true >$WORK/written; chmod +x $WORK/written; $WORK/written"
check_status "a symlink to a binary not on the list is denied" 126 \
	"$WARDEN" run --no-sandbox --agent t -- sh -c "ln -s /usr/bin/curl $WORK/curl-link; $WORK/curl-link --version"

check_status "a shebang script with an allowed interpreter runs" 0 \
	"$WARDEN" run --no-sandbox --agent t -- sh -c "$WORK/scripts/sh-script"
check_output "and prints" "sh script ran"
check_status "a shebang script whose interpreter is not allowed is denied" 126 \
	"$WARDEN" run --no-sandbox --agent t -- sh -c "$WORK/scripts/perl-script"
check_event "the event names the interpreter" \
	'.verdict=="deny" and .agent=="t" and .path=="/usr/bin/perl"'
check_status "the same script runs outside" 0 "$WORK/scripts/perl-script"

check_status "memfd_create + execveat is denied" 126 \
	"$WARDEN" run --no-sandbox --agent t -- "$HELPERS/memfd_exec" /bin/true
check_output "with EPERM" "execveat: Operation not permitted"
check_event "reported as a memfd exec" '.verdict=="deny" and .agent=="t" and .reason=="memfd-exec"'
check_status "memfd exec works outside (the helper is sound)" 0 "$HELPERS/memfd_exec" /bin/true

check_status "exec.security deny refuses every exec" 126 "$WARDEN" run --no-sandbox --agent nothing -- /bin/true
check_status "exec.security full allows any binary" 0 \
	"$WARDEN" run --no-sandbox --agent anything -- /usr/bin/curl --version
check_status "an unconfined agent runs anything" 0 "$WARDEN" run --no-sandbox --agent free -- /usr/bin/curl --version
check_status "an agent not in the policy exits 125" 125 "$WARDEN" run --no-sandbox --agent nobody -- /bin/true
check_output "and says so" 'agent "nobody" is not in the policy'

check "children of the agent stay confined" sh -c \
	"! $WARDEN run --no-sandbox --agent t -- sh -c 'sh -c \"sh -c /usr/bin/curl\"' 2>/dev/null"

check "status --json reports enforcing and counters" sh -c \
	"$WARDEN status --json | jq -e '.enforcing == true and .counters.execDenied > 0 and .generation >= 1 and .pinned == true and (.drift|length) == 0'"

stop_daemon
check_status "status exits 1 when the daemon is stopped" 1 "$WARDEN" status
finish
