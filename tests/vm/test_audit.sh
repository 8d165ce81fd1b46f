#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Layer 5, `warden audit`, against the real kernel and a real daemon: a
# clean setup is silent (no output, exit 0); then things are broken one at
# a time (a Docker API port, a world-readable .env in a workspace, a policy
# anyone can write, a policy change that cuts an agent off from its task
# registry, processes in an agent cgroup the daemon does not manage, no
# firewall, the kernel's maps changed behind the daemon's back, the daemon
# stopped) and each must be reported, and the audit silent again once it
# is repaired.
. "$(dirname "$0")/lib.sh"

BASE=/srv/audit
WS=$BASE/agents/coder
mkdir -p "$WS" "$BASE/knowledge" "$BASE/ops"
chmod 0755 /srv "$BASE" "$BASE/agents" "$WS" "$BASE/knowledge" "$BASE/ops"
echo "# how we work" >"$BASE/knowledge/notes.md"
echo '[{"id": 1}]' >"$BASE/ops/tasks.json"
chmod 0644 "$BASE/knowledge/notes.md" "$BASE/ops/tasks.json"

# write_policy FILE [EXTRA_DENY]: EXTRA_DENY is one more fs.deny entry
write_policy() {
	local extra=

	[ -n "${2:-}" ] && extra=", \"$2\""
	cat >"$1" <<JSON
{
  "version": 1,
  "defaults": {
    "exec": { "safeBins": ["sh", "cat", "true", "sleep"] },
    "fs": { "workspaceOnly": true,
            "deny": [".env", ".env.*", "id_rsa*", "*.pem", "/etc/shadow"$extra] },
    "env": { "set": { "PATH": "/usr/bin:/bin" } }
  },
  "agents": {
    "coder": { "workspace": "$WS", "binds": ["$BASE/knowledge:/knowledge:ro"],
               "fs": { "mustRead": ["$BASE/ops/tasks.json", "$BASE/knowledge/notes.md"] } },
    "main": { "confined": false }
  }
}
JSON
	chmod 0644 "$1"
}
chmod 0755 "$WORK"
write_policy "$WORK/policy.json"
# the same policy after a careless hardening: a deny pattern that also
# matches the task registry (deny wins over mustRead)
write_policy "$WORK/policy-amnesia.json" "tasks*"
# The VM has no sshd and no network but lo: only the state file needs a home.
cat >"$WORK/audit.json" <<JSON
{ "audit": { "allowedPorts": [22], "stateFile": "$WORK/audit-state.json" } }
JSON
AUDIT=("$WARDEN" audit --config "$WORK/audit.json")

# A firewall that denies incoming traffic by default, as a clean host has.
firewall_up() {
	nft -f - <<'NFT'
table inet warden_audit_test {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		tcp dport 22 accept
	}
}
NFT
}
firewall_down() { nft delete table inet warden_audit_test 2>/dev/null; }

SERVER_PID= SLEEP_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	[ -n "$SLEEP_PID" ] && kill "$SLEEP_PID" 2>/dev/null
	rmdir /sys/fs/cgroup/warden/coder/rogue 2>/dev/null
	command -v nft >/dev/null && firewall_down
}
trap cleanup EXIT

# Ids the host cannot make go away yet, each asserted below when it applies.
: >"$WORK/pending"
pending() { echo "$1" >>"$WORK/pending"; }

# ids [AUDIT_ARGS...]: the ids of the findings, one a line, minus the pending ones
ids() { "${AUDIT[@]}" --json "$@" 2>/dev/null | jq -r '.[].id' | grep -vxF -f "$WORK/pending"; }

# clean NAME: silent and exit 0 (with pending ids: nothing else reported)
clean() {
	if [ ! -s "$WORK/pending" ]; then
		check_status "$1: exit 0" 0 "${AUDIT[@]}"
		if [ -z "$LAST_OUTPUT" ]; then _result ok "$1: no output"; else
			_result fail "$1: no output" "$LAST_OUTPUT"; fi
		return
	fi
	local left
	left=$(ids)
	if [ -z "$left" ]; then
		_result ok "$1: nothing reported but $(paste -sd, "$WORK/pending") (pending)"
	else
		_result fail "$1: nothing reported" "$("${AUDIT[@]}" 2>&1)"
	fi
}

# reported NAME ID MESSAGE_REGEX [AUDIT_ARGS...]: exit 1 and a finding ID whose message matches
reported() {
	local name=$1 id=$2 re=$3 out rc=0
	shift 3
	out=$("${AUDIT[@]}" --json "$@" 2>&1) || rc=$?
	if [ "$rc" = 1 ] && jq -e --arg id "$id" --arg re "$re" \
		'any(.[]; .id == $id and (.message | test($re)))' <<<"$out" >/dev/null 2>&1; then
		_result ok "reported: $name"
	else
		_result fail "reported: $name" "exit $rc, no $id matching /$re/ in: $out"
	fi
}

# wait_listen PORT: until a TCP socket listens on it (hex in /proc/net/tcp)
wait_listen() {
	local hex
	hex=$(printf ':%04X ' "$1")
	for _ in $(seq 50); do
		grep -q "$hex[0-9A-F:]* 0A " /proc/net/tcp && return 0
		sleep 0.1
	done
	return 1
}

if command -v nft >/dev/null; then
	check "an nftables ruleset with input policy drop loads" firewall_up
else
	_result fail "nft is installed (Debian package nftables, for the clean run's firewall)"
	pending host.firewall
fi
start_daemon "$WORK/policy.json" || { finish; exit 1; }

status=$("$WARDEN" status --json)
# Fields of the daemon's status that a newer daemon reports; until then the
# audit must say so (and nothing else).
for field in pinned drift; do
	if ! jq -e "has(\"$field\")" <<<"$status" >/dev/null; then
		reported "a daemon without status.$field" "warden.$field" "does not report"
		pending "warden.$field"
	fi
done
if [ -e /usr/sbin/sshd ] && ! command -v fail2ban-client >/dev/null; then
	reported "sshd without fail2ban" host.fail2ban "fail2ban is not"
	pending host.fail2ban
fi

clean "a clean host"
check "the state file remembers the dropped-events counter" \
	jq -e '.eventsDropped >= 0' "$WORK/audit-state.json"
check_status "--agent: the agent reads what it must" 0 "${AUDIT[@]}" --agent coder
if [ -z "$LAST_OUTPUT" ]; then _result ok "--agent: silent"; else
	_result fail "--agent: silent" "$LAST_OUTPUT"; fi
check "--json: nothing at all when clean" sh -c "[ -z \"\$(${AUDIT[*]} --agent coder --json)\" ]"
check_status "--agent with an unknown agent is bad usage" 2 "${AUDIT[@]}" --agent nobody
check_output "--agent with an unknown agent says so" 'agent "nobody" is not in the policy'
echo '{"audit": {"allowedPort": [22]}}' >"$WORK/bad-audit.json"
check_status "a bad config is bad usage" 2 "$WARDEN" audit --config "$WORK/bad-audit.json"
check_output "a bad config names the location" 'bad-audit.json: audit.allowedPort: unknown key'

# 1. the Docker API on a network address
python3 -m http.server 2375 --bind 0.0.0.0 >/dev/null 2>&1 &
SERVER_PID=$!
if wait_listen 2375; then
	reported "a listener on 0.0.0.0:2375" host.docker-api '0\.0\.0\.0:2375 \(python3, pid [0-9]+\)'
	check_status "the text report exits 1" 1 "${AUDIT[@]}"
	check_output "the text report: severity, id, message" \
		'^critical host\.docker-api: the Docker API listens on 0\.0\.0\.0:2375'
	check_output "the text report: the fix" '^  fix: remove tcp://'
	check "--json is one array of findings with id, severity, message, fix" sh -c \
		"${AUDIT[*]} --json | jq -e 'type == \"array\" and length > 0 and
			all(.[]; has(\"id\") and has(\"severity\") and has(\"message\") and has(\"fix\"))'"
else
	_result fail "python3 listens on 2375"
fi
kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
python3 -m http.server 2375 --bind 127.0.0.1 >/dev/null 2>&1 &
SERVER_PID=$!
wait_listen 2375
clean "the Docker API port on loopback only"
kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null
SERVER_PID=

# 2. a secret in a workspace, readable by everyone
echo "OPENAI_API_KEY=sk-test" >"$WS/.env"
chmod 0644 "$WS/.env"
reported "a world-readable .env in a workspace" secrets.readable \
	"$WS/\\.env .*every user can read it"
reported "a .env in a workspace" secrets.in-workspace "$WS/\\.env .*agent coder's workspace"
rm -f "$WS/.env"
clean "the secret removed"

# 3. a policy others can write
chmod 0666 "$WORK/policy.json"
reported "a policy writable by everyone" warden.policy-perms "writable by group and others"
chmod 0644 "$WORK/policy.json"

# 4. amnesia: a policy change that would cut the agent off from its task
# registry is refused at reload (a deny over a mustRead path is a conflict),
# so the agent keeps reading it.
check_status "reload refuses a deny pattern that takes away a mustRead path" 1 \
	"$WARDEN" reload --policy "$WORK/policy-amnesia.json"
check_output "  and says which rules conflict" "mustRead .*tasks\.json.* is denied by fs\.deny"
check_status "--agent: the registry is still readable" 0 "${AUDIT[@]}" --agent coder
# file permissions cut it off too: the agent runs as its policy user (nobody)
chmod 0600 "$BASE/knowledge/notes.md"
reported "--agent: a knowledge file only root can read" agent.amnesia \
	"cannot read $BASE/knowledge/notes\\.md \\(fs\\.mustRead\\) .*Permission denied" --agent coder
chmod 0644 "$BASE/knowledge/notes.md"
check_status "--agent: readable again after chmod" 0 "${AUDIT[@]}" --agent coder
# Editors and atomic writers save by rename: a new inode, which rules keyed
# by inode when the policy was applied may not know. Whatever the daemon
# does about it, the audit must agree with what the agent really gets.
sleep 1 # the re-resolution the chmods above started is over
gen=$("$WARDEN" status --json | jq .generation)
cp "$BASE/ops/tasks.json" "$BASE/ops/.tasks.tmp" && mv "$BASE/ops/.tasks.tmp" "$BASE/ops/tasks.json"
# the daemon watches the registry's directory and re-resolves it by itself
# (a new generation; under emulation that can take several seconds)
for _ in $(seq 150); do
	[ "$("$WARDEN" status --json | jq .generation)" -gt "$gen" ] && break
	sleep 0.1
done
check "the replaced registry (a new inode) is readable again without a reload" \
	"$WARDEN" run --agent coder --no-sandbox -- cat "$BASE/ops/tasks.json"
check_status "--agent agrees" 0 "${AUDIT[@]}" --agent coder

# 5. processes in an agent's cgroup the daemon does not manage
mkdir -p /sys/fs/cgroup/warden/coder/rogue
sleep 300 &
SLEEP_PID=$!
echo "$SLEEP_PID" >/sys/fs/cgroup/warden/coder/rogue/cgroup.procs
reported "an unmanaged cgroup with processes" warden.agent-cgroups \
	"/sys/fs/cgroup/warden/coder/rogue of agent coder has processes the daemon does not manage"
kill "$SLEEP_PID" && wait "$SLEEP_PID" 2>/dev/null
SLEEP_PID=
rmdir /sys/fs/cgroup/warden/coder/rogue
clean "the rogue cgroup gone"

# 6. no default-deny firewall
if command -v nft >/dev/null; then
	firewall_down
	reported "no firewall rules" host.firewall "not denied by default"
	firewall_up
fi

# 7. drift: an entry of warden_cgroups deleted behind the daemon's back.
# Needs the daemon's status.drift (the policy-lifecycle work); until then
# this case does not run, and says so.
if jq -e 'has("drift")' <<<"$status" >/dev/null; then
	"$WARDEN" run --agent coder --no-sandbox -- sleep 60 &
	RUN_PID=$!
	for _ in $(seq 50); do
		# the agent's process is warden run's child (warden run waits outside the cgroup)
		agent_pid=$(pgrep -P "$RUN_PID" -x sleep)
		cg=$(grep -o '/warden/coder/run-[^ ]*' "/proc/${agent_pid:-0}/cgroup" 2>/dev/null) && break
		sleep 0.1
	done
	id=$(stat -c %i "/sys/fs/cgroup$cg" 2>/dev/null)
	# the u64 cgroup id as bpftool wants it: bytes, least significant first
	key=$(printf '%016x' "${id:-0}" | sed -E 's/(..)/\1 /g' |
		awk '{ for (i = NF; i; i--) printf "%s ", $i }')
	if [ -n "$cg" ] && bpftool map delete name warden_cgroups key hex $key 2>"$WORK/bpftool.err"; then
		reported "a map changed behind the daemon's back" warden.drift "."
	else
		_result fail "delete the run's warden_cgroups entry with bpftool" "$(cat "$WORK/bpftool.err")"
	fi
	kill "$RUN_PID" 2>/dev/null
	wait "$RUN_PID" 2>/dev/null
	check "reload restores the maps" "$WARDEN" reload
else
	echo "# SKIP drift: the daemon reports no status.drift yet (enable with the policy-lifecycle work)"
fi

# 8. the daemon stopped
stop_daemon
reported "the daemon stopped" warden.daemon "does not answer on /run/warden/warden.sock"
reported "--agent with the daemon stopped" warden.daemon "does not answer" --agent coder
finish
