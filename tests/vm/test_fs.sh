#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Layer 2, filesystem isolation, and the process guards, with real syscalls
# from a confined agent: every bypass route to a secret is refused with an
# event, and the agent can still do its work (the "no lobotomy" half).
. "$(dirname "$0")/lib.sh"

WS=/srv/agents/a
mkdir -p /srv/secrets /srv/knowledge /srv/ops /srv/agents/b "$WS" /srv/rw-share
echo "OPENAI_API_KEY=sk-secret" >/srv/secrets/.env
echo "token" >/srv/secrets/api.txt
echo "# how we work" >/srv/knowledge/notes.md
echo '[{"id": 1}]' >/srv/ops/tasks.json
echo "- never again" >/srv/ops/REGRESSIONS.md
echo "b's notes" >/srv/agents/b/private.txt
echo "KEY=1" >"$WS/.env"
# a path 100 directories deep in a readable tree: only the walk limit refuses it
deep=/srv/deep
for i in $(seq 100); do deep=$deep/d; done
mkdir -p "$deep" && echo deep >"$deep/f"

cat >"$WORK/policy.json" <<JSON
{
  "version": 1,
  "defaults": {
    "exec": { "safeBins": ["sh", "cat", "ls", "echo", "cp", "mv", "rm", "mkdir", "rmdir", "ln",
                           "touch", "grep", "tree", "head", "sleep", "git", "python3", "env", "id", "kill",
                           "/usr/lib/git-core/", "$HELPERS/uring_open",
                           "/lib64/ld-linux-x86-64.so.2"] },
    "fs": { "workspaceOnly": true,
            "readOnly": ["/srv/ops/REGRESSIONS.md", "/srv/deep", "$HELPERS"],
            "deny": [".env", ".env.*", "id_rsa*", "*.pem", "/etc/shadow", "/srv/secrets"] },
    "env": { "set": { "PATH": "/usr/bin:/bin" } }
  },
  "agents": {
    "a": { "workspace": "$WS",
           "binds": ["/srv/knowledge:/knowledge:ro", "/srv/ops/tasks.json:/workspace/tasks.json:ro",
                     "/srv/rw-share:/share:rw"] },
    "b": { "workspace": "/srv/agents/b" },
    "tools": { "workspace": "/srv/agents/tools", "exec": { "security": "full" } }
  }
}
JSON
start_daemon "$WORK/policy.json" || { finish; exit 1; }

# in_agent CMD: runs a shell command confined as agent a, in its workspace
in_agent() { (cd "$WS" && HOME=$WS "$WARDEN" run --no-sandbox --agent a -- sh -c "$1"); }
# denied NAME CMD [EVENT_FILTER]: CMD must fail, and an event match when given
denied() {
	check_status "denied: $1" 1 in_agent "$2 >/dev/null 2>&1 && exit 0; exit 1"
	[ -n "${3:-}" ] && check_event "event: $1" "$3"
	return 0
}
allowed() { check_status "allowed: $1" 0 in_agent "$2"; }

ev_file() { # path [reason] -> jq filter for a file denial by agent a
	echo ".type==\"file\" and .verdict==\"deny\" and .agent==\"a\" and .path==\"$1\"${2:+ and .reason==\"$2\"}"
}

denied "read /srv/secrets/.env" "cat /srv/secrets/.env" "$(ev_file /srv/secrets/.env denied-name)"
denied "read a .env.local by pattern" "echo x > /srv/agents/a/.env.local; cat .env.local"
denied "read a .env in the workspace itself" "cat $WS/.env" "$(ev_file $WS/.env denied-name)"
denied "read another file of a denied directory" "cat /srv/secrets/api.txt" \
	"$(ev_file /srv/secrets/api.txt denied-path)"
denied "read through a symlink in the workspace" "ln -sf /srv/secrets/api.txt link && cat link"
denied "read through .." "cat $WS/../../secrets/api.txt"
denied "read through /proc/self/root" "cat /proc/self/root/srv/secrets/api.txt"
denied "make a hard link to a secret in the workspace" "ln /srv/secrets/api.txt hl" \
	'.type=="file" and .agent=="a" and .op=="link"'
check "the hard link was not made" test ! -e "$WS/hl"
mkdir -p "$WS/mnt" && mount --bind /srv/secrets "$WS/mnt"
denied "read through a bind mount of its directory" "cat mnt/api.txt"
denied "read .env through that bind mount" "cat mnt/.env"
umount "$WS/mnt"
denied "reopen an O_PATH fd through /proc/self/fd" \
	"python3 -c 'import os; fd = os.open(\"/srv/secrets/api.txt\", os.O_PATH); print(open(\"/proc/self/fd/%d\" % fd).read())'"
check_status "denied: io_uring openat" 13 in_agent "$HELPERS/uring_open /srv/secrets/api.txt"
check_status "denied: io_uring openat on an io-wq worker" 13 \
	in_agent "$HELPERS/uring_open --async /srv/secrets/api.txt"
check_status "io_uring openat works outside (the helper is sound)" 0 \
	"$HELPERS/uring_open" --async /srv/secrets/api.txt
denied "write into a readOnly path" "echo x >> /srv/ops/REGRESSIONS.md" \
	"$(ev_file /srv/ops/REGRESSIONS.md read-only)"
denied "create a file in an :ro bind" "echo x > /srv/knowledge/new.md"
denied "write a file in an :ro bind" "echo x >> /srv/knowledge/notes.md"
denied "delete from an :ro bind" "rm -f /srv/knowledge/notes.md"
check "the :ro bind is intact" test -f /srv/knowledge/notes.md
denied "rename from the workspace into a read-only tree" \
	"echo x > moved.txt && mv moved.txt /srv/knowledge/moved.txt" \
	'.agent=="a" and .op=="rename" and .path=="/srv/knowledge/moved.txt"'
denied "rename out of a read-only tree" "mv /srv/knowledge/notes.md $WS/stolen.md"
denied "read another agent's workspace" "cat /srv/agents/b/private.txt" \
	"$(ev_file /srv/agents/b/private.txt denied-path)"
denied "list another agent's workspace" "ls /srv/agents/b"
denied "write outside the workspace" "echo x > /srv/outside.txt" \
	"$(ev_file /srv/outside.txt outside-allowed-paths)"
denied "read /etc/shadow" "cat /etc/shadow" "$(ev_file /etc/shadow denied-path)"
denied "read a path 100 directories deep" "cat $deep/f" \
	'.agent=="a" and .reason=="path-too-deep"'
check "the deep file is readable outside" cat "$deep/f"
denied "read the daemon's /proc/PID/environ" "cat /proc/$DAEMON_PID/environ" \
	".type==\"process\" and .agent==\"a\" and .op==\"ptrace\" and .targetPid==$DAEMON_PID"
denied "readlink the daemon's /proc/PID/cwd" "ls /proc/$DAEMON_PID/cwd/"
denied "signal the daemon" "kill -0 $DAEMON_PID" \
	".type==\"process\" and .agent==\"a\" and .op==\"signal\" and .targetPid==$DAEMON_PID"
denied "write cgroup.procs to leave the agent's cgroup" "echo \$\$ > /sys/fs/cgroup/cgroup.procs" \
	'.agent=="a" and .reason=="cgroupfs-write"'
check_status "denied: the bpf() syscall" 1 "$WARDEN" run --no-sandbox --agent tools -- sh -c \
	'/usr/sbin/bpftool prog show >/dev/null 2>&1 && exit 0; exit 1'
check_event "event: the bpf() syscall" '.agent=="tools" and .op=="bpf" and .reason=="bpf-syscall"'

# W^X: executable mappings of files the agent can write
cp /bin/true "$WS/payload" && cp "$(ls /usr/lib/x86_64-linux-gnu/libz.so.1* | head -1)" "$WS/libdropped.so"
denied "ld.so ./payload" "/lib64/ld-linux-x86-64.so.2 ./payload" \
	'.agent=="a" and .op=="mmap-exec" and .reason=="exec-mapping-of-writable-file"'
denied "ctypes loads a dropped .so" "python3 -c 'import ctypes; ctypes.CDLL(\"./libdropped.so\")'"
allowed "ctypes loads a system library" "python3 -c 'import ctypes; ctypes.CDLL(\"libz.so.1\")'"

# The agent keeps doing its work.
allowed "create, write, rename, delete, mkdir, rmdir in the workspace" \
	"echo one > f && echo two >> f && mv f g && grep -q two g && mkdir -p d/e && touch d/e/x && rm d/e/x && rmdir d/e d && rm g"
allowed "read the :ro binds and the readOnly list" \
	"cat /srv/knowledge/notes.md /srv/ops/tasks.json /srv/ops/REGRESSIONS.md"
allowed "write into an :rw bind" "echo shared > /srv/rw-share/out.txt && cat /srv/rw-share/out.txt"
allowed "python3 in the workspace" "python3 -c 'open(\"py.txt\", \"w\").write(\"ok\"); print(open(\"py.txt\").read())'"
allowed "git init, add, commit in the workspace" \
	"git init -q repo && cd repo && echo hi > README && git add README && git -c user.name=a -c user.email=a@x commit -qm first && git log --oneline | grep -q first"
allowed "grep -r in the workspace" "mkdir -p src && echo needle > src/a.txt && grep -r needle src"
allowed "tree in the workspace" "tree src"
allowed "/dev/null, /dev/urandom and /proc/self" \
	"echo x > /dev/null && head -c 4 /dev/urandom >/dev/null && cat /proc/self/status >/dev/null"
allowed "signal its own processes" "sleep 5 & kill \$!"
check "an unconfined process reads the secret" grep -q sk-secret /srv/secrets/.env
check "an unconfined process reads another workspace" cat /srv/agents/b/private.txt
# A rule on one file is only as unique as the kernel's number for it: on an
# overlay of two filesystems without xino, an upper file can take a lower
# file's number. `warden check` says so (the VM's own root has xino=on).
mkdir -p /srv/ovl-lower /srv/ovl-rw /srv/ovl
mount -t tmpfs lower /srv/ovl-lower && echo tool >/srv/ovl-lower/tool.txt
mount -t tmpfs rw /srv/ovl-rw && mkdir -p /srv/ovl-rw/upper /srv/ovl-rw/work
mount -t overlay overlay -o lowerdir=/srv/ovl-lower,upperdir=/srv/ovl-rw/upper,workdir=/srv/ovl-rw/work,xino=off /srv/ovl
cat >"$WORK/ovl.json" <<JSON
{ "version": 1, "agents": { "o": { "workspace": "$WS",
  "fs": { "readOnly": ["/srv/ovl/tool.txt", "/etc/hostname"] } } } }
JSON
check_status "a rule on a file of an overlay without xino is valid" 0 "$WARDEN" check "$WORK/ovl.json"
check_output "check warns that its number may repeat" \
	"agents.o.fs.readOnly: /srv/ovl/tool.txt lies on a filesystem whose inode numbers repeat"
check "no such warning for a file of an overlay with xino" \
	sh -c '! printf %s "$1" | grep -q "hostname lies on"' _ "$LAST_OUTPUT"
umount /srv/ovl /srv/ovl-rw /srv/ovl-lower
# The verdict cache (bpf/fs_cache.bpf.h): a cached allow must never outlive
# what it was judged on. Each case reads a file twice as agent a (fill, hit),
# changes the world from outside, and must see the change at once.
cache_hits() { "$WARDEN" status --json | jq '.counters.fileCacheHits'; }
hits_before=$(cache_hits)
echo cached >"$WS/c1.txt"
allowed "read a workspace file twice (the second from the cache)" "cat c1.txt && cat c1.txt"
check "the second read was a cache hit" test "$(cache_hits)" -gt "$hits_before"
mv "$WS/c1.txt" /srv/secrets/c1.txt
denied "a cached file renamed into a denied directory" "cat /srv/secrets/c1.txt" \
	"$(ev_file /srv/secrets/c1.txt denied-path)"
mkdir -p "$WS/dir1" && echo cached >"$WS/dir1/f"
allowed "read a file of a workspace directory twice" "cat dir1/f && cat dir1/f"
mv "$WS/dir1" /srv/secrets/dir1
denied "its directory renamed into a denied directory" "cat /srv/secrets/dir1/f" \
	"$(ev_file /srv/secrets/dir1/f denied-path)"
echo cached >"$WS/h1.txt"
allowed "read a file twice before a hard link is made to it" "cat h1.txt && cat h1.txt"
ln "$WS/h1.txt" /srv/secrets/h1.txt
denied "the same file through a new hard link in a denied directory" "cat /srv/secrets/h1.txt"
allowed "and still through its workspace name (nlink 2: judged, not cached)" "cat h1.txt"
echo cached >"$WS/r1.txt"
allowed "read a file twice before a reload denies it" "cat r1.txt && cat r1.txt"
jq '.defaults.fs.deny += ["r1.txt"]' "$WORK/policy.json" >"$WORK/deny-r1.json"
check "reload with r1.txt denied" "$WARDEN" reload --policy "$WORK/deny-r1.json"
denied "the cached file after the reload that denies it" "cat r1.txt" \
	"$(ev_file $WS/r1.txt denied-name)"
check "reload the first policy back" "$WARDEN" reload --policy "$WORK/policy.json"
echo cached >"$WS/u1.txt"
allowed "read a file twice before it is unlinked" "cat u1.txt && cat u1.txt"
rm "$WS/u1.txt" && ln -s /srv/secrets/api.txt "$WS/u1.txt"
denied "the same name re-created as a link to a secret" "cat u1.txt" \
	"$(ev_file /srv/secrets/api.txt denied-path)"
# an executable mapping (mmap_file, file_mprotect) takes the walk's answer
# from the same cache: it must follow a rename into a writable tree too
printf '__attribute__((constructor)) static void f(void) {}\n' >"$WORK/lib.c"
gcc -shared -fPIC -o /srv/deep/lib.so "$WORK/lib.c"
dl() { echo "python3 -c 'import ctypes; ctypes.CDLL(\"$1\")'"; }
allowed "map a read-only library executable, twice (the second from the cache)" \
	"$(dl /srv/deep/lib.so) && $(dl /srv/deep/lib.so)"
mv /srv/deep/lib.so "$WS/lib.so"
denied "the library moved into the workspace (writable) cannot be mapped executable" \
	"$(dl "$WS/lib.so")" \
	'.agent=="a" and .op=="mmap-exec" and .reason=="exec-mapping-of-writable-file"'
# /etc/magic: a baseline file still in the VM root's lower layer
allowed "read a lower-layer file twice (/etc/magic)" "cat /etc/magic && cat /etc/magic"
echo "# copied-up" >>/etc/magic
allowed "read it after the host's write copied it up" "grep -q copied-up /etc/magic"
denied "and a write to it is still refused" "echo x >> /etc/magic" "$(ev_file /etc/magic)"
check "status counts file denials" sh -c \
	"$WARDEN status --json | jq -e '.counters.fileDenied > 0 and .counters.processDenied > 0'"
finish
