#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Policy lifecycle: atomic reload, enforcement that outlives the daemon,
# adoption by a new daemon, re-resolution of replaced binaries, drift,
# processes older than the daemon, unload, install.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/bin"
cp /bin/true "$WORK/bin/tool"
policy() { # file allowed-binary denied-binary
	cat >"$1" <<JSON
{ "version": 1,
  "defaults": { "exec": { "safeBins": ["sh", "echo", "cat", "sleep", "seq", "$WORK/bin/tool", "$2"] } },
  "agents": { "t": {} } }
JSON
}
policy "$WORK/a.json" /usr/bin/id
policy "$WORK/b.json" /usr/bin/uname

# A process that exists before the daemon, in a cgroup the policy manages.
mkdir -p /sys/fs/cgroup/warden/t/preexisting
mkfifo "$WORK/pre.in"
(echo $BASHPID >/sys/fs/cgroup/warden/t/preexisting/cgroup.procs
 exec bash <"$WORK/pre.in" >"$WORK/pre.out" 2>&1) &
PRE=$!
exec 7>"$WORK/pre.in"
# pre CMD: runs CMD in the older process and waits until it has finished
PRE_N=0
pre() {
	PRE_N=$((PRE_N + 1))
	echo "$1; echo done-$PRE_N" >&7
	for _ in $(seq 200); do grep -q "^done-$PRE_N\$" "$WORK/pre.out" && return 0; sleep 0.05; done
}

start_daemon "$WORK/a.json" || { finish; exit 1; }
pre '/usr/bin/curl --version >/dev/null 2>&1; echo pre-curl=$?'
check "a process older than the daemon is covered once the policy applies" \
	grep -q "pre-curl=126" "$WORK/pre.out"

# Atomic reload: policies a (id allowed, uname denied) and b (the reverse)
# swap while execs run; every exec's verdict matches the generation it saw.
"$WARDEN" run --no-sandbox --agent t -- sh -c \
	'for i in $(seq 150); do /usr/bin/id >/dev/null 2>&1; /usr/bin/uname >/dev/null 2>&1; done' &
loop=$!
: >"$WORK/generations"
for i in $(seq 8); do
	f=$([ $((i % 2)) = 1 ] && echo b || echo a)
	"$WARDEN" reload --policy "$WORK/$f.json" | sed -E "s/.*generation ([0-9]+).*/\1 $f/" >>"$WORK/generations"
	sleep 0.3
done
wait $loop
gen_a=$(awk '$2=="a"{print $1}' "$WORK/generations" | paste -sd, -)
mixed=$(jq -c "select(.agent==\"t\" and .type==\"exec\" and (.path==\"/usr/bin/id\" or .path==\"/usr/bin/uname\"))
	| . as \$e | ([$gen_a,1] | index(\$e.generation)) as \$isa
	| select((\$isa != null and ((.path==\"/usr/bin/id\") != (.verdict==\"allow\"))) or
	         (\$isa == null and ((.path==\"/usr/bin/uname\") != (.verdict==\"allow\"))))" "$EVENTS" | wc -l)
total=$(jq -c 'select(.agent=="t" and .type=="exec" and (.path=="/usr/bin/id" or .path=="/usr/bin/uname"))' "$EVENTS" | wc -l)
check "every exec during 8 reloads matched its generation's policy ($total execs, $mixed mismatched)" \
	test "$mixed" = 0 -a "$total" -ge 100
check "generations advanced with each reload" test "$(wc -l <"$WORK/generations")" = 8

echo '{"version": 1, "agents": {"t": {"exec": {"safeBins": ["nope-not-here"]}}}}' >"$WORK/bad.json"
gen=$("$WARDEN" status --json | jq .generation)
check_status "a broken policy on reload exits non-zero" 1 "$WARDEN" reload --policy "$WORK/bad.json"
check_output "with the error" 'bad.json: agents.t.exec.safeBins\[0\]: "nope-not-here" not found'
check "and the old policy stays in force" sh -c \
	"test \$($WARDEN status --json | jq .generation) = $gen && $WARDEN run --no-sandbox --agent t -- /usr/bin/id >/dev/null"
"$WARDEN" reload --policy "$WORK/a.json" >/dev/null

# Binaries replaced on disk are re-resolved.
ln "$WORK/bin/tool" "$WORK/old-tool"
cp /bin/false "$WORK/bin/tool.new" && mv "$WORK/bin/tool.new" "$WORK/bin/tool"
sleep 2.5
check_status "a replaced allowed binary keeps working (re-resolved)" 1 \
	"$WARDEN" run --no-sandbox --agent t -- "$WORK/bin/tool"
check_status "the old inode no longer inherits the allowance" 126 \
	"$WARDEN" run --no-sandbox --agent t -- "$WORK/old-tool"

# The daemon keeps listed files' identities from one compile to the next
# (user/compile/file_cache.c): reused while nothing changed, never across
# a sign of change, including the ones inotify does not raise on the
# watched directory (a symlink's target, the directory replaced, a mount).
mkdir -p "$WORK/kb" "$WORK/elsewhere" "$WORK/ws"
echo a >"$WORK/kb/a.txt"
echo b >"$WORK/kb/b.txt"
echo t >"$WORK/elsewhere/t.txt"
ln -s "$WORK/elsewhere/t.txt" "$WORK/kb/link.txt"
cat >"$WORK/c.json" <<JSON
{ "version": 1,
  "defaults": { "exec": { "safeBins": ["sh", "cat", "echo", "sleep", "seq"] } },
  "agents": { "t": { "workspace": "$WORK/ws", "fs": { "workspaceOnly": true,
      "readOnly": ["$WORK/kb/a.txt", "$WORK/kb/b.txt", "$WORK/kb/link.txt"] } } } }
JSON
# replace FILE TEXT: a new inode under the name, as an editor saves
replace() { echo "$2" >"$1.new" && mv "$1.new" "$1"; }
kb_reads() { "$WARDEN" run --no-sandbox --agent t -- cat "$WORK/kb/a.txt" "$WORK/kb/b.txt" "$WORK/kb/link.txt" | paste -sd' ' -; }
"$WARDEN" reload --policy "$WORK/c.json" >/dev/null
check_status "an unchanged policy reloads" 0 "$WARDEN" reload --policy "$WORK/c.json"
check_output "  reusing the two files' identities (not the symlink's)" "; 2 file identities reused"
check "  and the agent reads them" test "$(kb_reads)" = "a b t"
replace "$WORK/elsewhere/t.txt" t2
check_status "a symlink's target replaced (no event on the watched directory), reload" 0 \
	"$WARDEN" reload --policy "$WORK/c.json"
check "  the new target is readable" test "$(kb_reads)" = "a b t2"
mv "$WORK/kb" "$WORK/kb.old"
mkdir "$WORK/kb"
echo a2 >"$WORK/kb/a.txt"
echo b2 >"$WORK/kb/b.txt"
ln -s "$WORK/elsewhere/t.txt" "$WORK/kb/link.txt"
check_status "the watched directory replaced by another, reload" 0 "$WARDEN" reload --policy "$WORK/c.json"
check_output "  reuses nothing of it" "; 0 file identities reused"
check "  and the new files are readable" test "$(kb_reads)" = "a2 b2 t2"
# a mount on a listed name raises no event: a deny of it names what is
# mounted there now, as a fresh compile finds it (here a workspace file)
echo secret >"$WORK/kb/secret"
echo other >"$WORK/ws/other.txt"
jq --arg s "$WORK/kb/secret" '.agents.t.fs.deny = [$s]' "$WORK/c.json" >"$WORK/c2.json"
"$WARDEN" reload --policy "$WORK/c2.json" >/dev/null
check_status "a deny in the watched directory, unchanged reload" 0 "$WARDEN" reload --policy "$WORK/c2.json"
check_output "  reuses its identity too" "; 3 file identities reused"
check "  the workspace file is readable" "$WARDEN" run --no-sandbox --agent t -- cat "$WORK/ws/other.txt"
mount --bind "$WORK/ws/other.txt" "$WORK/kb/secret"
check_status "the workspace file mounted on the denied name, reload" 0 "$WARDEN" reload --policy "$WORK/c2.json"
check_status "  the deny follows the mount: the workspace file is refused" 1 \
	"$WARDEN" run --no-sandbox --agent t -- cat "$WORK/ws/other.txt"
umount "$WORK/kb/secret"
"$WARDEN" reload --policy "$WORK/c.json" >/dev/null
replace "$WORK/kb/a.txt" a3
sleep 2.5
check "a listed file replaced (an event): re-resolved without a reload" test "$(kb_reads)" = "a3 b2 t2"
check_status "  and the next reload" 0 "$WARDEN" reload --policy "$WORK/c.json"
check_output "  reuses both files' identities again" "; 2 file identities reused"
"$WARDEN" reload --policy "$WORK/a.json" >/dev/null

# Drift: a map changed behind the daemon's back.
check "no drift on a clean run" sh -c "$WARDEN status --json | jq -e '.drift == []'"
bpftool map update pinned /sys/fs/bpf/warden/maps/warden_cgroups \
	key 0x39 0x30 0 0 0 0 0 0 value 1 0 0 0 0 0 0 0
check "status --json reports drift after a map is changed" sh -c \
	"$WARDEN status --json | jq -e '.drift | map(select(test(\"12345\"))) | length == 1'"
bpftool map delete pinned /sys/fs/bpf/warden/maps/warden_cgroups key 0x39 0x30 0 0 0 0 0 0

# kill -9: enforcement stays; a new daemon adopts it.
check "programs and maps are pinned" test -e /sys/fs/bpf/warden/links/exec_bprm_check_security
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
pre '/usr/bin/curl --version >/dev/null 2>&1; echo after-kill=$?'
check "kill -9 of the daemon leaves denials in force" grep -q "after-kill=126" "$WORK/pre.out"
pre '/usr/bin/id >/dev/null 2>&1; echo allowed-after-kill=$?'
check "  and allowances" grep -q "allowed-after-kill=0" "$WORK/pre.out"
gen=$(bpftool map dump pinned /sys/fs/bpf/warden/maps/warden_policy >/dev/null 2>&1; echo ok)
start_daemon "$WORK/a.json" || { finish; exit 1; }
check "a restarted daemon adopts the pinned state" grep -q "adopted the pinned state" "$DAEMON_LOG"
pre '/usr/bin/curl --version >/dev/null 2>&1; echo after-restart=$?'
check "  and the old process is still confined" grep -q "after-restart=126" "$WORK/pre.out"
check "  with its cgroup managed again" sh -c \
	"$WARDEN status --json | jq -e '.agents[] | select(.name==\"t\") | .cgroups | index(\"/sys/fs/cgroup/warden/t/preexisting\")'"

# Stopping is not unloading; unload is.
stop_daemon
pre '/usr/bin/curl --version >/dev/null 2>&1; echo after-stop=$?'
check "a stopped daemon leaves enforcement in place" grep -q "after-stop=126" "$WORK/pre.out"
check_status "warden unload removes it" 0 "$WARDEN" unload
check_output "and says so" "no longer confined"
pre '/usr/bin/curl --version >/dev/null 2>&1; echo after-unload=$?'
check "after unload the process is free" grep -q "after-unload=0" "$WORK/pre.out"
check "and nothing is pinned" test ! -e /sys/fs/bpf/warden
exec 7>&-
wait $PRE

# make install / uninstall, honouring DESTDIR and PREFIX, keeping a policy.
check "make install" make -s install DESTDIR="$WORK/root" PREFIX=/usr/local
check "  installs the binary" test -x "$WORK/root/usr/local/bin/warden"
check "  the default policy" test -f "$WORK/root/etc/warden/policy.json"
check "  and the service" test -f "$WORK/root/etc/systemd/system/warden.service"
check "  whose policy is valid" build/warden check "$WORK/root/etc/warden/policy.json"
echo '{"version": 1, "agents": {}}' >"$WORK/root/etc/warden/policy.json"
make -s install DESTDIR="$WORK/root" PREFIX=/usr/local >/dev/null 2>&1
check "a second install never overwrites the policy" grep -q '"agents": {}' "$WORK/root/etc/warden/policy.json"
check "make uninstall" make -s uninstall DESTDIR="$WORK/root" PREFIX=/usr/local
check "  removes the binary and the service" sh -c \
	"test ! -e $WORK/root/usr/local/bin/warden && test ! -e $WORK/root/etc/systemd/system/warden.service"
check "  and keeps the policy" test -f "$WORK/root/etc/warden/policy.json"
finish
