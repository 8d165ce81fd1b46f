#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Nothing of the caller's, or of another agent's, reaches an agent: its
# environment (also through /proc/*/environ of every process it can see),
# descriptors, session keyring; another agent's /dev/shm files and SysV
# segments; code from files it may write. And legitimate work still runs.
# Each check is tried as the agent would: `nobody` in the sandbox, root
# with --no-sandbox.
. "$(dirname "$0")/lib.sh"

BOX=/srv/agents/box PLAIN=/srv/agents/plain PEER=/srv/agents/peer
mkdir -p /srv/knowledge "$BOX" "$PLAIN" "$PEER"
echo "# how we work" >/srv/knowledge/notes.md
echo "fd-secret-contents" >/srv/fd-secret.txt
chmod 600 /srv/fd-secret.txt
# reads the key by serial and looks for it by name: both must fail in an agent
cat >/srv/knowledge/keyprobe.py <<'PY'
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_keyctl, KEYCTL_READ, KEYCTL_SEARCH, SESSION = 250, 11, 10, -3
serial = int(open(sys.argv[1]).read())
buf = ctypes.create_string_buffer(64)
n = libc.syscall(SYS_keyctl, KEYCTL_READ, serial, buf, 64)
if n > 0:
    print("read:", buf.value.decode()); sys.exit(1)
found = libc.syscall(SYS_keyctl, KEYCTL_SEARCH, SESSION, b"user", b"warden-caller-key", 0)
if found > 0:
    print("found in the session keyring:", found); sys.exit(1)
keys = open("/proc/keys").read()
if "warden-caller-key" in keys:
    print("listed in /proc/keys"); sys.exit(1)
print("no caller key")
PY

cat >"$WORK/policy.json" <<JSON
{
  "version": 1,
  "defaults": {
    "exec": { "safeBins": ["sh", "cat", "ls", "env", "grep", "python3", "node", "git", "sort", "tr",
                           "true", "mktemp", "id", "ps", "echo", "wc", "head", "stat", "/usr/lib/git-core/"] },
    "fs": { "deny": [".env", ".aws"] },
    "env": { "pass": ["LANG"], "set": { "PATH": "/usr/bin:/bin", "HOME": "/workspace" } }
  },
  "agents": {
    "box": { "workspace": "$BOX", "fs": { "workspaceOnly": true },
             "binds": ["/srv/knowledge:/knowledge:ro"] },
    "plain": { "workspace": "$PLAIN", "env": { "set": { "HOME": "$PLAIN" } } },
    "peer": { "workspace": "$PEER" }
  }
}
JSON
start_daemon "$WORK/policy.json" || { finish; exit 1; }

export CALLER_SECRET=aws-caller-secret-4711
box() { "$WARDEN" run --agent box -- sh -c "$1"; }
plain() { (cd "$PLAIN" && "$WARDEN" run --no-sandbox --agent plain -- sh -c "$1"); }

# ---- the environment ----
check_status "sandbox: env is env.set + env.pass only" 0 box 'env'
if grep -q "$CALLER_SECRET" <<<"$LAST_OUTPUT" || grep -qv -E '^(HOME|PATH|LANG|PWD|SHLVL|_)=' <<<"$LAST_OUTPUT"; then
	_result fail "  (nothing else)" "$LAST_OUTPUT"
else
	_result ok "  (nothing else)"
fi
check_status "sandbox: pid 1 (bubblewrap) is readable to the agent" 0 box 'cat /proc/1/environ >/dev/null'
check_status "sandbox: no readable /proc/*/environ holds a caller variable" 0 box \
	'n=0; for f in /proc/[0-9]*/environ; do cat "$f" 2>/dev/null | tr "\0" "\n" | grep -q CALLER_SECRET && { echo "in $f"; n=1; }; done; exit $n'
check_status "sandbox: nor any /proc/*/cmdline" 0 box \
	'p=aws-; p=${p}caller; n=0; for f in /proc/[0-9]*/cmdline; do cat "$f" 2>/dev/null | tr "\0" "\n" | grep -q "$p" && { echo "in $f"; n=1; }; done; exit $n'
check_status "no-sandbox: env is env.set + env.pass + TMPDIR only" 0 plain 'env'
if grep -q "$CALLER_SECRET" <<<"$LAST_OUTPUT" || grep -qv -E '^(HOME|PATH|LANG|PWD|SHLVL|_|TMPDIR)=' <<<"$LAST_OUTPUT"; then
	_result fail "  (nothing else)" "$LAST_OUTPUT"
else
	_result ok "  (nothing else)"
fi
check_output "  TMPDIR is the agent's private tmp" '^TMPDIR=/var/lib/warden/tmp/plain$'
check_status "no-sandbox: the private tmp is writable (mktemp, python tempfile)" 0 plain \
	'f=$(mktemp) && echo x >"$f" && python3 -c "import tempfile; tempfile.NamedTemporaryFile()"'
check_status "no-sandbox: the parent's environ is out of reach" 0 plain \
	'! cat /proc/$PPID/environ 2>/dev/null | tr "\0" "\n" | grep -q CALLER_SECRET'

# ---- descriptors ----
exec 7</srv/fd-secret.txt
check_status "sandbox: a descriptor the caller left open is not open in the agent" 0 box \
	'if cat <&7 2>/dev/null; then exit 1; fi; test ! -e /proc/self/fd/7'
if grep -q fd-secret <<<"$LAST_OUTPUT"; then _result fail "  (nor its contents)" "$LAST_OUTPUT"
else _result ok "  (nor its contents)"; fi
check_status "no-sandbox: a descriptor the caller left open is not open in the agent" 0 plain \
	'if cat <&7 2>/dev/null; then exit 1; fi; test ! -e /proc/self/fd/7'
check_status "the agent's own descriptors 0-2 are there" 0 plain 'echo out; echo err >&2; test -e /proc/self/fd/0'
exec 7<&-

# ---- session keyring and session ----
check_status "sandbox: the caller's session key is absent" 0 "$HELPERS/with_key" "$BOX/serial" \
	"$WARDEN" run --agent box -- python3 /knowledge/keyprobe.py /workspace/serial
check_status "no-sandbox: the caller's session key is absent" 0 "$HELPERS/with_key" "$PLAIN/serial" \
	"$WARDEN" run --no-sandbox --agent plain -- python3 /srv/knowledge/keyprobe.py "$PLAIN/serial"
check_status "  (the probe finds the key when it is there)" 1 "$HELPERS/with_key" "$PLAIN/serial" \
	python3 /srv/knowledge/keyprobe.py "$PLAIN/serial"
cat >"$PLAIN/session.sh" <<'SH'
#!/bin/sh
# a session of its own: its session id is its own pid (sh execs ps last)
[ "$(ps -o sid= $$ | tr -d ' ')" = "$$" ] && exit 3
ps -o pid,sid,pgid $$
SH
check_status "no-sandbox: a new session" 3 plain 'exec sh ./session.sh'
check_status "no-sandbox from a process-group leader: a new session, status passed on" 3 \
	setsid -w "$WARDEN" run --no-sandbox --agent plain -- sh "$PLAIN/session.sh"

# ---- legitimate work still runs ----
cat >"$BOX/job.sh" <<'SH'
#!/bin/sh
echo "script ran in $(pwd)"
SH
cp "$BOX/job.sh" "$PLAIN/job.sh"
chmod 755 "$BOX/job.sh" "$PLAIN/job.sh"
chown -R nobody: "$BOX"
work='python3 -c "print(6*7)" && node -e "console.log(6*7)" && sh ./job.sh && ./job.sh &&
	git init -q repo && cd repo && echo hi >f && git add f &&
	git -c user.email=a@b -c user.name=a commit -qm one && git log --oneline | grep -q one'
check_status "sandbox: python3, node, a shell script and git in the workspace" 0 box "$work"
check_status "sandbox: the knowledge bind is readable" 0 box 'grep -q "how we work" /knowledge/notes.md'
check_status "no-sandbox: python3, node, a shell script and git in the workspace" 0 plain "$work"
check_status "no-sandbox: the knowledge directory is readable" 0 plain 'grep -q "how we work" /srv/knowledge/notes.md'
finish
