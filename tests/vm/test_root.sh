#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Root inside an agent is contained too: each route a root process in a
# confined agent would take out of it (`--no-sandbox` from root, and in a
# cgroup adopted with `warden attach`) is refused with an event, while
# ordinary root work in its workspace keeps working.
. "$(dirname "$0")/lib.sh"

ESC=$HELPERS/root_escape
mkdir -p /srv/agents/rooty /srv/agents/other /srv/agents/porter /srv/ro /srv/secrets
echo "API_KEY=sk-root-secret" >/srv/secrets/.env
echo "knowledge" >/srv/ro/file.txt
echo "other's notes" >/srv/agents/other/notes.txt
echo "innocent" >/srv/agents/rooty/innocent.txt

cat >"$WORK/policy.json" <<JSON
{
  "version": 1,
  "defaults": { "exec": { "security": "full" } },
  "agents": {
    "rooty": { "workspace": "/srv/agents/rooty", "user": "root",
               "fs": { "readOnly": ["/srv/ro", "$HELPERS"], "deny": ["/srv/secrets", "/srv/agents/other"] } },
    "other": { "workspace": "/srv/agents/other" },
    "porter": { "workspace": "/srv/agents/porter", "capabilities": ["NET_BIND_SERVICE"] }
  }
}
JSON

# ---- policy ----
check_status "check warns that an agent runs as root" 0 "$WARDEN" check "$WORK/policy.json"
check_output "the warning names the agent and the capabilities it keeps" \
	"agents.rooty.user: the agent runs as root.*DAC_OVERRIDE"
echo '{"version": 1, "agents": {"a": {"capabilities": ["SYS_ADMIN"]}}}' >"$WORK/admin.json"
check_status "a dangerous capability cannot be given" 1 "$WARDEN" check "$WORK/admin.json"
check_output "the error names the location and why" \
	"agents.a.capabilities\[0\]: capability SYS_ADMIN cannot be given"
echo '{"version": 1, "agents": {"a": {"capabilities": ["FLY"]}}}' >"$WORK/bogus.json"
check_status "an unknown capability is an error" 1 "$WARDEN" check "$WORK/bogus.json"
check_output "the error names it" 'unknown capability "FLY"'

start_daemon "$WORK/policy.json" || { finish; exit 1; }
gen_before=$("$WARDEN" status --json | jq .generation)
hostname_before=$(hostname)
core_before=$(cat /proc/sys/kernel/core_pattern)

# other agent's process and an outside victim, to aim at
"$WARDEN" run --no-sandbox --agent other -- sleep 300 &
other_run=$!
sleep 0.5
# the agent's process is warden run's child (warden run waits outside the cgroup)
other_pid=$(pgrep -P "$other_run" -x sleep || echo "$other_run")
sleep 300 &
victim=$!

# The routes, from a confined root process; $1 names the place in the test names.
routes() {
	local where=$1 run=$2

	check_status "$where: the control socket is refused by the kernel" 0 \
		$run "$ESC" connect /run/warden/warden.sock
	check_output "$where: connect gets EPERM" "^EPERM"
	check_status "$where: warden unload from inside fails" 125 \
		sh -c "$run '$WARDEN' unload >/dev/null 2>&1; [ \$? = 0 ] && exit 0 || exit 125"
	check "$where: enforcement is still pinned after the unload attempt" \
		test -e /sys/fs/bpf/warden
	check_status "$where: clone3 into the root cgroup" 0 $run "$ESC" clone3-cgroup /sys/fs/cgroup
	check_output "$where: clone3 gets EPERM" "^EPERM"
	check_status "$where: SIGIO owner set to the daemon" 0 $run "$ESC" setown "$DAEMON_PID"
	check_output "$where: F_SETOWN gets EPERM" "^EPERM"
	check_status "$where: SIGIO owner via F_SETOWN_EX" 0 $run "$ESC" setown-ex "$DAEMON_PID"
	check_output "$where: F_SETOWN_EX gets EPERM" "^EPERM"
	check_status "$where: SIGIO at another agent's process as nobody" 0 \
		$run setpriv --reuid=65534 --regid=65534 --clear-groups "$ESC" setown "$other_pid"
	check_output "$where: nobody's F_SETOWN gets EPERM" "^EPERM"
	# The fcntl check reads F_SETOWN_EX's pid from user memory; a racing
	# thread changes it before the kernel copies it. The delivery check is
	# what stops the signal then.
	check_status "$where: SIGIO owner raced past the fcntl check" 0 \
		$run "$ESC" setown-race "$other_pid"
	check_output "$where:   the race was won (so the delivery check is what is tested)" "^won"
	check_status "$where: an io_uring request with registered credentials" 0 \
		$run "$ESC" uring-personality
	check_output "$where:   the personality gets EPERM" "^EPERM"
	check "$where: the daemon is alive" kill -0 "$DAEMON_PID"
	check "$where: the other agent's process is alive" kill -0 "$other_pid"
	check_status "$where: reboot(2) with bad magic" 0 $run "$ESC" reboot
	check_output "$where: reboot gets EPERM, not EINVAL" "^EPERM"
	check_status "$where: sethostname" 0 $run "$ESC" sethostname pwned
	check_output "$where: sethostname gets EPERM" "^EPERM"
	check "$where: the host name is unchanged" test "$(hostname)" = "$hostname_before"
	check_status "$where: core_pattern write fails" 2 \
		$run sh -c 'echo "|/bin/sh -c id" >/proc/sys/kernel/core_pattern'
	check "$where: core_pattern unchanged" test "$(cat /proc/sys/kernel/core_pattern)" = "$core_before"
	check_status "$where: bind mount of a denied file fails" 32 \
		$run mount --bind /srv/secrets/.env /srv/agents/rooty/innocent.txt
	check "$where: the workspace file still has its own content" \
		grep -qx innocent /srv/agents/rooty/innocent.txt
	check_status "$where: mknod of a block device fails" 1 $run mknod /srv/agents/rooty/disk b 8 0
	check "$where: no device node was made" test ! -e /srv/agents/rooty/disk
	check_status "$where: unlinking a pin fails" 1 $run rm /sys/fs/bpf/warden/links/exec_bprm_check_security
	check "$where: the pin is still there" test -e /sys/fs/bpf/warden/links/exec_bprm_check_security
	check_status "$where: setxattr on a read-only file fails" 1 \
		$run python3 -c 'import os; os.setxattr("/srv/ro/file.txt", "user.x", b"1")'
	check_status "$where: utime on a read-only file fails" 1 \
		$run python3 -c 'import os; os.utime("/srv/ro/file.txt", (0, 0))'
	check_status "$where: chattr on a read-only file" 0 $run "$ESC" setflags /srv/ro/file.txt
	check_output "$where: FS_IOC_SETFLAGS gets EPERM" "^EPERM"
	check_status "$where: TIOCSTI into a terminal" 0 $run "$ESC" tiocsti
	check_output "$where: TIOCSTI gets EPERM" "^EPERM"
	# ordinary root work in its workspace
	check "$where: create, chown, delete in the workspace" \
		$run sh -c 'cd /srv/agents/rooty && echo hi >f && chown nobody f && chmod 600 f && touch f && rm f'
	check "$where: python3 runs" $run python3 -c 'print(6 * 7)'
	check "$where: git works in the workspace" \
		$run sh -c 'cd /srv/agents/rooty && rm -rf repo && git init -q repo && cd repo && git -c user.email=a@b -c user.name=a commit -q --allow-empty -m x'
	check "$where: listening on port 8080 works" \
		$run python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 8080)); s.listen()'
	check_status "$where: port 80 needs NET_BIND_SERVICE, which it lacks" 1 \
		$run python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 80))'
}

# The helper does what it says when nothing stops it (so the checks above can fail).
check_status "unconfined: TIOCSTI works" 0 "$ESC" tiocsti
check_output "unconfined: TIOCSTI says ok" "^ok"
check_status "unconfined: reboot with bad magic gets EINVAL" 0 "$ESC" reboot
check_output "unconfined: EINVAL" "^EINVAL"
check_status "unconfined: F_SETOWN + F_SETSIG(SIGKILL) kills the victim" 0 "$ESC" setown "$victim"
sleep 0.2
check "unconfined: the victim is dead" sh -c "! kill -0 $victim 2>/dev/null"
wait "$victim" 2>/dev/null

routes "no-sandbox root" "$WARDEN run --no-sandbox --agent rooty --"

# warden run waits as the agent's parent, outside its cgroup, as the caller
# (root): the agent's signals to it are refused like to any outside process.
check_status "the agent cannot signal the warden run that waits for it" 0 \
	"$WARDEN" run --no-sandbox --agent rooty -- sh -c 'kill -USR1 $PPID 2>/dev/null && exit 9; exit 0'

check_event "an event for the control socket connect" \
	'.type == "process" and .op == "connect" and .reason == "control-socket" and .agent == "rooty"'
check_event "an event for clone3 into a cgroup" '.op == "clone-into-cgroup" and .reason == "cgroup-escape"'
check_event "an event for the SIGIO owner" '.op == "set-owner" and .agent == "rooty"'
check_event "an event for reboot's capability" '.reason == "capability" and .capability == "SYS_BOOT"'
check_event "an event for the mount" '.op == "mount" and .reason == "mount"'
check_event "an event for core_pattern" '.type == "file" and .reason == "kernel-filesystem-write" and (.path | endswith("core_pattern"))'
check_event "an event for the device node" '.reason == "device" and .op == "create"'
check_event "an event for the raced SIGIO, refused at delivery" \
	'.op == "sigio" and .agent == "rooty" and .reason == "other-process"'
check_event "an event for TIOCSTI" '.reason == "terminal-injection" and .ioctl == "0x5412"'
check_event "an event for the setxattr" '.op == "setxattr" and .reason == "read-only"'

check "a policy may give NET_BIND_SERVICE back" \
	"$WARDEN" run --no-sandbox --agent porter -- \
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 80)); s.listen()'

# ---- an attached cgroup: a container's root ----
mkdir -p /sys/fs/cgroup/ct-root
mkfifo "$WORK/ct-cmds"
(echo $BASHPID >/sys/fs/cgroup/ct-root/cgroup.procs
 exec bash <"$WORK/ct-cmds" >"$WORK/ct.out" 2>&1) &
ct_shell=$!
exec 8>"$WORK/ct-cmds"
check "attach a container-like cgroup to rooty" \
	"$WARDEN" attach --agent rooty --cgroup /sys/fs/cgroup/ct-root
# in_ct CMD...: runs CMD in the attached shell, prints its output, keeps its status
in_ct() {
	local n=$RANDOM
	printf '%q ' "$@" >&8
	printf '>%q 2>&1; echo $? >%q\n' "$WORK/ct-$n.out" "$WORK/ct-$n.rc" >&8
	for _ in $(seq 100); do [ -s "$WORK/ct-$n.rc" ] && break; sleep 0.1; done
	cat "$WORK/ct-$n.out"
	return "$(cat "$WORK/ct-$n.rc" 2>/dev/null || echo 124)"
}
routes "attached root" "in_ct"

# A pipe whose owner an unconfined process set (here: before it was moved
# into the attached cgroup): choosing the signal or switching on O_ASYNC
# from inside would aim SIGKILL at that owner.
sleep 300 &
victim=$!
rm -f "$WORK/async-ready" "$WORK/async-go"
"$ESC" async-later "$victim" "$WORK/async-ready" "$WORK/async-go" >"$WORK/async.out" 2>&1 &
async_pid=$!
for _ in $(seq 100); do [ -e "$WORK/async-ready" ] && break; sleep 0.1; done
echo "$async_pid" >/sys/fs/cgroup/ct-root/cgroup.procs
touch "$WORK/async-go"
wait "$async_pid"
check "an inherited file owned by another: F_SETSIG is refused" grep -qx "F_SETSIG EPERM" "$WORK/async.out"
check "  and O_ASYNC is refused" grep -qx "O_ASYNC EPERM" "$WORK/async.out"
check "  the owner survived" kill -0 "$victim"
kill "$victim" 2>/dev/null
exec 8>&-
wait "$ct_shell" 2>/dev/null

# ---- the daemon refuses a confined client even when the kernel does not know its cgroup ----
# A cgroup below an attached one is not in the kernel's map (attach manages
# the cgroup given); the daemon still sees whose it is.
mkdir -p /sys/fs/cgroup/ct-root/sub
check_status "a client in a cgroup below an attached one is refused by the daemon" 1 \
	sh -c 'echo $$ >/sys/fs/cgroup/ct-root/sub/cgroup.procs && cat /proc/self/cgroup && exec "$1" status' sh "$WARDEN"
check_output "the refusal says why" "refused: the control socket serves no process of a confined agent"
check_event "the daemon's refusal is an event" \
	'.type == "process" and .op == "control-request" and .request == "status" and .agent == "rooty"'

check "the daemon is alive at the end" kill -0 "$DAEMON_PID"
check "the other agent's process is alive at the end" kill -0 "$other_pid"
check "the policy generation is unchanged" test "$("$WARDEN" status --json | jq .generation)" = "$gen_before"
kill "$other_pid" 2>/dev/null
finish
