#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Layer 3: `warden run` builds the agent's container (bubblewrap) inside its
# enforced cgroup; `warden attach` adopts an existing cgroup.
. "$(dirname "$0")/lib.sh"

mkdir -p /srv/knowledge /srv/ops /home/someone /srv/agents
echo "# how we work" >/srv/knowledge/notes.md
echo '[{"id": 1}]' >/srv/ops/tasks.json
echo "- never again" >/srv/ops/REGRESSIONS.md
echo "host secret" >/root/host-only.txt
echo "someone's" >/home/someone/file.txt

cat >"$WORK/policy.json" <<JSON
{
  "version": 1,
  "defaults": {
    "exec": { "safeBins": ["sh", "cat", "ls", "echo", "id", "env", "ps", "mount", "touch",
                           "grep", "sleep", "python3", "true", "wc", "sort", "readlink"] },
    "fs": { "workspaceOnly": true, "deny": [".env"] },
    "env": { "pass": ["LANG"], "set": { "PATH": "/usr/bin:/bin", "HOME": "/workspace" } }
  },
  "agents": {
    "coder": { "workspace": "/srv/agents/coder",
               "binds": ["/srv/knowledge:/knowledge:ro", "/srv/ops/tasks.json:/workspace/tasks.json:ro",
                         "/srv/ops/REGRESSIONS.md:/REGRESSIONS.md"] },
    "other": { "workspace": "/srv/agents/other" },
    "online": { "workspace": "/srv/agents/online", "network": "host" }
  }
}
JSON
start_daemon "$WORK/policy.json" || { finish; exit 1; }

# in_box AGENT CMD: a shell command in AGENT's sandbox
in_box() { OPENAI_API_KEY=sk-caller-secret LANG=C.UTF-8 "$WARDEN" run --agent "$1" -- sh -c "$2"; }

check_status "the workspace is writable" 0 in_box coder 'echo hi > /workspace/mine.txt && cat mine.txt'
check "the write landed in the host workspace" grep -q hi /srv/agents/coder/mine.txt
check_status "the workspace belongs to the agent's user" 0 in_box coder 'test -O /workspace'
check_status "/knowledge is readable" 0 in_box coder 'grep -q "how we work" /knowledge/notes.md'
check_status "/knowledge is not writable" 1 in_box coder 'echo x > /knowledge/new.md || exit 1'
check_status "the bound tasks.json is readable" 0 in_box coder 'grep -q id /workspace/tasks.json'
check_status "the bound tasks.json is not writable" 1 in_box coder 'echo x >> /workspace/tasks.json || exit 1'
check_status "REGRESSIONS.md is readable (binds default to :ro)" 0 in_box coder 'grep -q never /REGRESSIONS.md'
check_status "REGRESSIONS.md is not writable" 1 in_box coder 'echo x >> /REGRESSIONS.md || exit 1'
check_status "the host's /root is invisible" 1 in_box coder 'ls /root/host-only.txt 2>/dev/null || exit 1'
check_status "the host's /home is invisible" 1 in_box coder 'ls /home/someone 2>/dev/null || exit 1'
check_status "other workspaces are invisible" 1 in_box coder 'ls /srv/agents/other 2>/dev/null || exit 1'
check_status "ps shows only the sandbox's processes" 0 in_box coder \
	'n=$(ps -e --no-headers | wc -l); test "$n" -le 5 || { ps -e; exit 1; }'
check_status "env shows only the allowed variables" 0 in_box coder 'env | sort'
check_output "the API key of the caller is absent" '^HOME=/workspace$'
if grep -q sk-caller-secret <<<"$LAST_OUTPUT" || grep -qv -E '^(HOME|PATH|LANG|PWD|SHLVL|_)=' <<<"$LAST_OUTPUT"; then
	_result fail "nothing but env.set, env.pass (and the shell's own) inside" "$LAST_OUTPUT"
else
	_result ok "nothing but env.set, env.pass (and the shell's own) inside"
fi
check_status "id shows the unprivileged user" 0 in_box coder 'id'
check_output "uid nobody" 'uid=65534'
check_status "no capabilities" 0 in_box coder 'grep -q "^CapEff:	0000000000000000" /proc/self/status'
check_status "no_new_privs is set" 0 in_box coder 'grep -q "^NoNewPrivs:	1" /proc/self/status'
check_status "writing cgroup.procs fails" 1 in_box coder \
	'echo $$ > /sys/fs/cgroup/cgroup.procs 2>/dev/null || exit 1'
check_status "mount fails" 1 in_box coder 'mount -t tmpfs none /tmp 2>/dev/null || exit 1'
check_status "no network by default" 1 in_box coder 'python3 -c "import socket; socket.create_connection((\"10.0.2.2\", 80), 1)" 2>/dev/null || exit 1'
check_status "only loopback in the network namespace" 0 in_box coder \
	'python3 -c "import socket; print(socket.if_nameindex())"'
check_output "lo only" "^\[\(1, 'lo'\)\]$"
host_net=$(readlink /proc/self/ns/net)
check_status "network none has its own network namespace" 0 in_box coder 'readlink /proc/self/ns/net'
check "  (not the host's $host_net)" test "$LAST_OUTPUT" != "$host_net"
check_status "network host shares the host's network namespace" 0 in_box online \
	'readlink /proc/self/ns/net'
check "  (the host's $host_net)" test "$LAST_OUTPUT" = "$host_net"
check_status "the exit status of CMD is returned" 42 in_box coder 'exit 42'
check_status "exec rules apply inside the sandbox" 126 in_box coder '/usr/bin/curl --version'
check_status "a second agent cannot see the first's files" 1 in_box other \
	'cat /workspace/mine.txt 2>/dev/null || ls /srv/agents/coder 2>/dev/null || exit 1'
check_status "/tmp is private and writable" 0 in_box coder 'echo t > /tmp/t && cat /tmp/t'
check_status "another agent's /tmp is separate" 1 in_box other 'cat /tmp/t 2>/dev/null || exit 1'
check "the sandbox ran in the agent's cgroup" sh -c \
	"jq -e -s 'map(select(.agent==\"coder\" and .type==\"exec\")) | length > 5' $EVENTS"

# A half-finished run never runs the command unconfined: the stage refuses
# when its process is not in the agent's cgroup.
check_status "the sandbox stage refuses outside the agent's cgroup" 125 \
	"$WARDEN" sandbox-stage --agent coder -- true

# warden attach: a cgroup made elsewhere comes under the policy
mkdir -p /sys/fs/cgroup/elsewhere
mkfifo "$WORK/cmds"
(echo $BASHPID > /sys/fs/cgroup/elsewhere/cgroup.procs
 exec bash <"$WORK/cmds" >"$WORK/attach.out" 2>&1) &
attached=$!
exec 7>"$WORK/cmds"
echo '/usr/bin/curl --version >/dev/null; echo before=$?' >&7
sleep 1
check "attach" "$WARDEN" attach --agent coder --cgroup /sys/fs/cgroup/elsewhere
echo '/usr/bin/curl --version >/dev/null; echo after=$?' >&7
exec 7>&-
wait $attached
check "before attach the process ran curl" grep -q "before=0" "$WORK/attach.out"
check "after attach its exec of curl is refused" grep -q "after=126" "$WORK/attach.out"
check_status "attach of a missing cgroup fails" 1 "$WARDEN" attach --agent coder --cgroup /sys/fs/cgroup/nope
check_status "attach to an unknown agent fails" 1 "$WARDEN" attach --agent nobody --cgroup /sys/fs/cgroup/elsewhere
finish
