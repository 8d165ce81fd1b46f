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
                           "true", "mktemp", "id", "ps", "cp", "echo", "wc", "head", "stat", "/usr/lib/git-core/"] },
    "fs": { "deny": [".env", ".aws"] },
    "env": { "pass": ["LANG"], "set": { "PATH": "/usr/bin:/bin", "HOME": "/workspace" } }
  },
  "agents": {
    "box": { "workspace": "$BOX", "fs": { "workspaceOnly": true },
             "binds": ["/srv/knowledge:/knowledge:ro"] },
    "plain": { "workspace": "$PLAIN", "env": { "set": { "HOME": "$PLAIN" } } },
    "peer": { "workspace": "$PEER", "binds": ["/srv/knowledge:/knowledge:ro"] }
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

# ---- another agent's /dev/shm files and SysV segments ----
peer() { (cd "$PEER" && "$WARDEN" run --no-sandbox --agent peer -- sh -c "$1"); }
check_status "no-sandbox: agent peer writes and reads its own /dev/shm file" 0 peer \
	'echo peer-shm-data >/dev/shm/peer-file && cat /dev/shm/peer-file'
check_status "no-sandbox: agent plain cannot read peer's /dev/shm file" 1 plain \
	'cat /dev/shm/peer-file 2>/dev/null || exit 1'
check "  an event says so" \
	wait_event '.agent=="plain" and .reason=="shm-of-another-agent" and (.path|test("peer-file"))'
check_status "  nor unlink or overwrite it" 0 plain \
	'! rm -f /dev/shm/peer-file 2>/dev/null && ! sh -c "echo x >/dev/shm/peer-file" 2>/dev/null'
check "  (peer's data is intact)" grep -qx peer-shm-data /dev/shm/peer-file
echo host-shm-secret >/dev/shm/host-file
check_status "no-sandbox: nor a file the host left in /dev/shm" 1 plain 'cat /dev/shm/host-file 2>/dev/null || exit 1'
check_status "no-sandbox: shm_open-style use of /dev/shm still works for the agent itself" 0 plain \
	'python3 -c "
from multiprocessing import shared_memory as s
m = s.SharedMemory(create=True, size=64); m.buf[0] = 7
n = s.SharedMemory(name=m.name); assert n.buf[0] == 7; n.close(); m.close(); m.unlink()"'
cat >/srv/knowledge/sysv.py <<'PY'
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
key = int(sys.argv[1], 0)
id = libc.shmget(key, 4096, (IPC_CREAT | 0o666) if sys.argv[2] == "create" else 0)
if id < 0:
    print("shmget:", ctypes.get_errno()); sys.exit(1)
addr = libc.shmat(id, None, 0)
print("attached", id); sys.exit(0)
PY
host_seg=$(ipcmk -M 4096 -p 0666 | grep -o '[0-9]*$')
host_key=$(ipcs -m | awk -v id="$host_seg" '$2 == id { print $1 }')
check_status "no-sandbox: creating a SysV segment in the host namespace is refused" 1 peer \
	'python3 /srv/knowledge/sysv.py 0x5157 create'
check "  an event says so" wait_event '.agent=="peer" and .reason=="host-ipc-namespace"'
check_status "no-sandbox: attaching the host's segment $host_key is refused" 1 plain \
	"python3 /srv/knowledge/sysv.py $host_key get"
check_status "  (the probe attaches it outside any agent)" 0 python3 /srv/knowledge/sysv.py "$host_key" get
check_status "sandbox: SysV IPC in the sandbox's own namespace works" 0 \
	"$WARDEN" run --agent peer -- python3 /knowledge/sysv.py 0x5157 create
ipcrm -m "$host_seg"

# ---- W^X: no executable mapping of files the agent may write ----
cat >"$WORK/evil.c" <<'C'
#include <stdio.h>
__attribute__((constructor)) static void hello(void) { puts("evil-code-ran"); }
C
gcc -shared -fPIC -o /srv/knowledge/evil.so "$WORK/evil.c"
check_status "  (the .so runs its code where nothing confines it)" 0 env LD_PRELOAD=/srv/knowledge/evil.so /bin/true
check_output "  (evil-code-ran)" evil-code-ran
check_status "no-sandbox: a .so written to /var/tmp (no rule) cannot be mapped executable" 0 plain \
	'cp /srv/knowledge/evil.so /var/tmp/evil.so && LD_PRELOAD=/var/tmp/evil.so /bin/true 2>&1;
	 ! python3 -c "import ctypes; ctypes.CDLL(\"/var/tmp/evil.so\")" 2>/dev/null'
if grep -q evil-code-ran <<<"$LAST_OUTPUT"; then _result fail "  its code never ran" "$LAST_OUTPUT"
else _result ok "  its code never ran"; fi
check "  an event says so" wait_event '.agent=="plain" and .op=="mmap-exec" and .reason=="exec-mapping-of-writable-file"'
check_status "sandbox: nor one written to /dev/shm (an agent without workspaceOnly)" 0 \
	"$WARDEN" run --agent peer -- sh -c 'cp /knowledge/evil.so /dev/shm/e.so && LD_PRELOAD=/dev/shm/e.so /bin/true 2>&1'
if grep -q evil-code-ran <<<"$LAST_OUTPUT"; then _result fail "  its code never ran" "$LAST_OUTPUT"
else _result ok "  its code never ran"; fi

# ---- deny patterns hold for every component ----
for ws in "$PLAIN" "$BOX"; do
	mkdir -p "$ws/.aws" "$ws/app"
	echo aws-credentials-secret >"$ws/.aws/credentials"
	echo fine >"$ws/app/readme.txt"
done
chown -R nobody: "$BOX"
check_status "no-sandbox: .aws/credentials under a .aws deny is refused" 1 plain \
	'cat .aws/credentials 2>/dev/null || exit 1'
check "  an event says so" wait_event '.agent=="plain" and .reason=="denied-name" and (.path|test("credentials"))'
check_status "  also through a path that never names .aws" 1 plain \
	'cd .aws && cat ./credentials 2>/dev/null || exit 1'
check_status "sandbox: /workspace/.aws/credentials is refused" 1 box 'cat /workspace/.aws/credentials 2>/dev/null || exit 1'
check_status "  (files under other directories are readable)" 0 box 'cat /workspace/app/readme.txt'

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
