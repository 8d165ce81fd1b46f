#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The in-VM half of `make bench` (scripts/bench.sh boots the VM and runs
# this once). Prints raw results as "@bench KIND ..." lines and progress as
# "# ..." lines on stdout, the only channel the VM has back to the host;
# scripts/bench.sh turns them into build/bench.json and the table.
#
# Configurations (the columns of the table):
#   none       no warden loaded: the baseline every ratio is taken against
#   landlock   no warden; the process confined by an equivalent Landlock ruleset
#   unmanaged  warden loaded, the process in a cgroup no policy manages
#   std        a managed agent with a default-like policy
#   big        a managed agent with 10,000 readOnly file rules and 1,000+ binaries
#   tri        a managed agent of a 3-agent policy: the two other agents'
#              workspaces are denied to it (deny directories: the walk goes to
#              the root), as on a host that runs several agents. Measured under
#              its own policy (POLICY3, switched to with `warden reload`) right
#              after std and big in each round, because adding agents to POLICY
#              would change std and big too.
# One round runs none and landlock, starts the daemon, runs unmanaged, std
# and big, reloads the daemon with POLICY3, runs tri, and stops the daemon,
# so every round holds every column
# under the same conditions and drift over the run (emulator warm-up, page
# cache) shows up as spread between rounds, not as a bias of one column.
# (A reload, not a second daemon: under emulation a daemon start, which
# loads and verifies every BPF program, takes about a minute.)
# The order within each half rotates from round to round for the same reason.
#
# Knobs (environment, passed through by scripts/vmtest.sh):
#   WARDEN_BENCH_ROUNDS      rounds (default 5)
#   WARDEN_BENCH_SAMPLES     samples per round of each loop (default 3)
#   WARDEN_BENCH_WORK_ROUNDS rounds that also run the workloads (default 3:
#                            the 2,000-command script alone takes ~20 s a round)
#   WARDEN_BENCH_OPEN_ITERS  open/stat calls per sample (default 10000)
#   WARDEN_BENCH_DENY_ITERS  denied opens per sample (default 1000: each is an
#                            event, and the ring buffer must not overflow)
#   WARDEN_BENCH_EXEC_ITERS  fork+execs per sample (default 60)
#   WARDEN_BENCH_NET_ITERS   connect+close and UDP sendto calls per sample (default 2000)
#   WARDEN_BENCH_RULES       readOnly files of the big agent (default 10000)
#   WARDEN_BENCH_BINS        allowlisted copies of true of the big agent (default 1000)
#   WARDEN_BENCH_DNS_ITERS   resolver queries per sample (default 300)
#   WARDEN_BENCH_EVENT_RATES paced rates of the event phase, 0 = flat out
#                            (default "5000 20000 50000 100000 200000 0")
#   WARDEN_BENCH_EVENT_SECONDS seconds of each rate (default 2)
#   WARDEN_BENCH_EVENT_PRODUCERS processes making the denials (default: the
#                            vCPUs; they share the rate)
#   WARDEN_BENCH_PHASES      which phases run (default "rounds hooks resolver
#                            events"; e.g. "events" alone while working on them)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WARDEN=$ROOT/build/warden
BIN=$ROOT/build/tests/bench
LOOP=$BIN/loop
LLRUN=$BIN/landlock_run
B=/srv/bench
WS=$B/ws
EVENTS=/tmp/bench-events.jsonl
DAEMON_LOG=/tmp/bench-daemon.log
POLICY=$B/policy.json
POLICY3=$B/policy-3agents.json
DNS_ALLOWED=allowed.bench.test
DNS_REFUSED=refused.bench.test

ROUNDS=${WARDEN_BENCH_ROUNDS:-5}
SAMPLES=${WARDEN_BENCH_SAMPLES:-3}
WORK_ROUNDS=${WARDEN_BENCH_WORK_ROUNDS:-3}
OPEN_ITERS=${WARDEN_BENCH_OPEN_ITERS:-10000}
DENY_ITERS=${WARDEN_BENCH_DENY_ITERS:-1000}
EXEC_ITERS=${WARDEN_BENCH_EXEC_ITERS:-60}
NET_ITERS=${WARDEN_BENCH_NET_ITERS:-2000}
# loopback destinations of the connect and sendto rows: the managed agents may reach them
NET_TCP=127.0.0.1:18765
NET_UDP=127.0.0.1:18766
# PATH of every column (the managed agents' env.set)
AGENT_PATH=/usr/bin:/bin
N_RULES=${WARDEN_BENCH_RULES:-10000}
N_BINS=${WARDEN_BENCH_BINS:-1000}
DNS_ITERS=${WARDEN_BENCH_DNS_ITERS:-300}
PHASES=" ${WARDEN_BENCH_PHASES:-rounds hooks resolver events} "
phase() { [[ $PHASES == *" $1 "* ]]; }
DAEMON_PID=

say() { echo "# $*"; }
emit() { echo "@bench $*"; }
die() {
	emit error "$*"
	echo "bench: $*" >&2
	stop_daemon
	exit 1
}
now_ns() { date +%s%N; }

start_daemon() {
	local t0

	t0=$(now_ns)

	"$WARDEN" daemon --json --policy "$POLICY" >>"$EVENTS" 2>"$DAEMON_LOG" &
	DAEMON_PID=$!
	for _ in $(seq 600); do
		"$WARDEN" status >/dev/null 2>&1 && {
			emit info daemon_start_ns $(($(now_ns) - t0))
			return 0
		}
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	die "the daemon did not start: $(tail -n 5 "$DAEMON_LOG")"
}

# Enforcement is pinned and outlives the daemon on purpose: `warden unload`
# detaches it and stops the daemon, which the next baseline round needs.
stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	"$WARDEN" unload >/dev/null 2>&1
	kill "$DAEMON_PID" 2>/dev/null # if unload could not reach it
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

# Waits until the daemon has written every event (its output stops growing).
drain() {
	local last=-1 size stable=0

	for _ in $(seq 300); do
		size=$(stat -c %s "$EVENTS")
		if [ "$size" = "$last" ]; then
			stable=$((stable + 1))
			[ "$stable" -ge 3 ] && return 0
		else
			stable=0
		fi
		last=$size
		sleep 0.1
	done
}

# losses: in the kernel (ring buffer full) and to `warden events` subscribers
dropped() { "$WARDEN" status --json | jq -r '.counters.eventsDropped'; }
sub_dropped() { "$WARDEN" status --json | jq -r '.counters.subscriberDrops // 0'; }

# ---- the test tree ---------------------------------------------------------

# The VM's root is an overlay on 9p without a page cache that survives an
# open: every exec of a dynamic binary would re-read its libraries over
# virtio, and the emulator would re-translate their code, which costs ~5x
# the exec itself and drowns what is measured. The files the measured
# programs run are copied to tmpfs and bind-mounted over themselves (in the
# VM only), as a host's page cache would hold them. The paths stay the
# same, so policies and rules are written as on a host.
localize() {
	local f real

	for f; do
		real=$(readlink -f "$f")
		[ -e "$B/local$real" ] && continue
		if ! { mkdir -p "$(dirname "$B/local$real")" && cp -a "$real" "$B/local$real" &&
			mount --bind "$B/local$real" "$real"; }; then
			die "cannot localize $real"
		fi
	done
}

setup() {
	local t0 bins

	t0=$(now_ns)
	# tmpfs, not the 9p-backed overlay root: a workspace on a local
	# filesystem, as on a real host, and no network filesystem noise
	mkdir -p "$B" || die "cannot create $B"
	mount -t tmpfs -o size=1536m bench "$B" || die "cannot mount a tmpfs on $B"
	bins=(/usr/bin/true /bin/sh /usr/bin/cat /usr/bin/ls /usr/bin/grep /usr/bin/tar
	      "$LOOP" "$LLRUN" "$WARDEN")
	# shellcheck disable=SC2046 # one library path a word
	localize "${bins[@]}" /etc/ld.so.cache /lib64/ld-linux-x86-64.so.2 \
		$(ldd "${bins[@]}" 2>/dev/null | awk '$3 ~ /^\// { print $3 }')

	mkdir -p "$WS" "$B/data" "$B/ro" "$B/bins" "$B/secret"
	echo "workspace file" >"$WS/file.txt"
	echo "OPENAI_API_KEY=sk-bench" >"$B/secret/.env"
	echo "small file" >"$B/data/small.txt"
	(cd "$B/ro" && seq -f 'r%05g' "$N_RULES" | xargs touch) || die "cannot create $B/ro"
	# distinct inodes with true's contents: one tee a batch, not 1,000 cp
	seq -f "$B/bins/t%04g" "$N_BINS" | xargs sh -c 'tee "$@" </bin/true >/dev/null' tee ||
		die "cannot create $B/bins"
	chmod 755 "$B"/bins/* || die "cannot create $B/bins"
	# a source tree to unpack: the kernel's uapi headers, ~800 files, 6 MB
	tar cf "$B/data/src.tar" -C /usr/include linux || die "cannot make the source tarball"
	# 2,000 short commands as an agent's shell runs them: builtins, file
	# reads and writes through redirections, and one fork+exec in ten
	for i in $(seq 200); do
		cat <<SH
true
echo "step $i" >/dev/null
x=\$((i + $i))
[ -f $WS/file.txt ]
read -r line <$WS/file.txt
echo "\$line $i" >>$WS/script.log
cd $WS
printf '%s\\n' "$i" >/dev/null
test -d $B/data
cat $B/data/small.txt >/dev/null
SH
	done >"$B/data/script.sh"

	cat >"$POLICY" <<JSON
{
  "version": 1,
  "defaults": {
    "exec": { "security": "allowlist",
              "safeBins": ["sh", "bash", "cat", "ls", "grep", "tar", "true", "echo", "head",
                           "tail", "wc", "sed", "find", "mkdir", "rm", "cp", "mv", "env",
                           "sort", "git", "python3", "$LOOP"] },
    "fs": { "workspaceOnly": true,
            "readOnly": ["$B/data", "$BIN"],
            "deny": [".env", ".env.*", "id_rsa*", "*.pem", "/etc/shadow"] },
    "env": { "set": { "PATH": "$AGENT_PATH" } }
  },
  "agents": {
    "std": { "workspace": "$WS",
             "network": { "egress": ["$NET_TCP", "$NET_UDP", "$DNS_ALLOWED:443"] } },
    "big": { "workspace": "$WS",
             "network": { "egress": ["$NET_TCP", "$NET_UDP", "$DNS_ALLOWED:443"] },
             "exec": { "safeBins": ["$B/bins/"] },
             "fs": { "readOnly": [
$(find "$B/ro" -type f | sort | sed 's/.*/"&"/' | paste -sd, -)
             ] } }
  }
}
JSON
	# the same defaults; tri shares nothing with the other two agents
	mkdir -p "$B/o1" "$B/o2"
	jq --arg ws "$WS" --arg o1 "$B/o1" --arg o2 "$B/o2" '.agents = {
		tri: (.agents.std), o1: { workspace: $o1 }, o2: { workspace: $o2 } }' \
		"$POLICY" >"$POLICY3" || die "cannot write $POLICY3"
	"$WARDEN" check "$POLICY3" >/dev/null 2>&1 || die "the 3-agent policy is invalid"
	"$WARDEN" check "$POLICY" >/tmp/bench-check.txt 2>&1 ||
		die "the bench policy is invalid: $(cat /tmp/bench-check.txt)"
	emit info policy "$(cat /tmp/bench-check.txt)"
	emit info setup_ns $(($(now_ns) - t0))
}

# Landlock's equivalent of the std agent: read the system, run /usr/bin and
# the bench's own binaries, read the data, read and write the workspace.
LL_RULES=(--ro /usr --ro /etc --rx /usr/bin --rx /usr/lib --rx "$BIN" --ro "$B/data"
	--rw "$WS" --rw /dev/null)

# Runs CMD in a cgroup of its own that no policy manages. Every column
# runs in a child cgroup, as the managed ones must, so none of them is
# measured from the root cgroup, which the kernel treats specially.
PLAIN_CGROUP=/sys/fs/cgroup/bench
in_plain_cgroup() { (echo "$BASHPID" >"$PLAIN_CGROUP/cgroup.procs" && exec "$@"); }

# prefix CFG: the command that runs something in configuration CFG
prefix() {
	case $1 in
	# the managed agents' PATH (env.set) for the others too: the VM's own
	# PATH starts with three directories of the 9p-backed root, where every
	# command a shell looks up first misses (the 2,000-command script ran
	# 2.7 times slower with it than the managed agents did)
	none|unmanaged) PREFIX=(in_plain_cgroup env PATH="$AGENT_PATH") ;;
	# --no-sandbox: the kernel enforcement alone is measured here, not
	# bubblewrap building namespaces (a one-off cost per agent session)
	std|big|tri) PREFIX=("$WARDEN" run --agent "$1" --no-sandbox --) ;;
	landlock) PREFIX=(in_plain_cgroup env PATH="$AGENT_PATH" "$LLRUN" "${LL_RULES[@]}" --) ;;
	esac
}

enforcing() { [ "$1" = std ] || [ "$1" = big ] || [ "$1" = tri ] || [ "$1" = landlock ]; }

# measure CFG ROUND: the per-call loops, then the workloads, in configuration CFG
measure() {
	local cfg=$1 round=$2 op ns fails out t

	prefix "$cfg"
	out=$("${PREFIX[@]}" "$LOOP" "$OPEN_ITERS" "$SAMPLES" open "$WS/file.txt" \
		stat "$WS/file.txt" 2>&1 &&
	      "${PREFIX[@]}" "$LOOP" "$EXEC_ITERS" "$SAMPLES" exec /usr/bin/true 2>&1 &&
	      "${PREFIX[@]}" "$LOOP" "$NET_ITERS" "$SAMPLES" connect "$NET_TCP" udp "$NET_UDP" 2>&1 &&
	      "${PREFIX[@]}" "$LOOP" "$DENY_ITERS" "$SAMPLES" open-denied "$B/secret/.env" 2>&1) ||
		die "$cfg: the loops failed: $out"
	while read -r op ns fails; do
		case $op in
		open-denied)
			# the third field counts opens that succeeded
			if enforcing "$cfg" && [ "$fails" != 0 ]; then
				die "$cfg: $fails opens of the denied file succeeded"
			fi ;;
		*) [ "$fails" = 0 ] || die "$cfg: $fails of the $op calls failed" ;;
		esac
		emit loop "$cfg" "$round" "$op" "$ns"
	done <<<"$out"
	[ -n "$DAEMON_PID" ] && drain
	[ "$round" -le "$WORK_ROUNDS" ] || return 0

	mkdir -p "$WS/tree"
	t=$("${PREFIX[@]}" "$LOOP" time sh -c \
		"tar xf $B/data/src.tar -C $WS/tree && grep -r -c define $WS/tree >/dev/null" 2>&1)
	[ "${t##* }" = 0 ] || die "$cfg: untar and grep failed: $t"
	emit work "$cfg" "$round" untar-grep "$(cut -d' ' -f2 <<<"$t")"
	rm -rf "$WS/tree"
	t=$("${PREFIX[@]}" "$LOOP" time sh "$B/data/script.sh" 2>&1)
	[ "${t##* }" = 0 ] || die "$cfg: the 2,000-command script failed: $t"
	emit work "$cfg" "$round" script-2000 "$(cut -d' ' -f2 <<<"$t")"
	rm -f "$WS/script.log"
	[ -n "$DAEMON_PID" ] && drain
	return 0
}

# rotate N WORDS...: WORDS rotated left by N
rotate() {
	local n=$1 a k i
	shift
	a=("$@")
	k=${#a[@]}

	for ((i = 0; i < k; i++)); do printf '%s ' "${a[$(((i + n) % k))]}"; done
}

# BPF links left in the kernel: a program outlives its link for a moment
# (it is freed after an RCU grace period), so links say what is attached.
links() { n=$(bpftool link show --json | jq length) && echo "${n:-0}"; }

# The baseline needs nothing of warden attached.
wait_unloaded() {
	for i in $(seq 100); do
		[ "$(links)" = 0 ] && return 0
		[ "$i" = 20 ] && "$WARDEN" unload >/dev/null 2>&1
		sleep 0.1
	done
	die "BPF programs are still attached after warden unload: $(bpftool link show | head -5)"
}

# ---- per-hook cost: the kernel's own accounting ---------------------------

# Every warden program's cumulative run time and count, saved raw: parsing
# happens after the window closes, so jq's own syscalls are not counted.
snapshot() { bpftool prog show --json >"$1" || die "bpftool prog show failed"; }

# hook_window CFG WHAT CALLS FILE_BEFORE FILE_AFTER: per-program deltas
hook_window() {
	jq -r --arg cfg "$1" --arg what "$2" --arg calls "$3" --slurpfile a "$5" '
		def progs: map(select(.type == "lsm" and (.name | test("^(exec|fs|process|confine|ipc|shm|net|cache)_"))))
			| map({ key: .name, value: { t: (.run_time_ns // 0), n: (.run_cnt // 0) } })
			| from_entries;
		(progs) as $b | ($a[0] | progs) as $a
		| $a | to_entries[]
		| "@bench hook \($cfg) \($what) \($calls) \(.key) \(.value.n - ($b[.key].n // 0)) \(.value.t - ($b[.key].t // 0))"
	' "$4" || die "cannot read the program statistics"
}

# One window per operation and configuration, with kernel.bpf_stats_enabled
# on only here: the accounting itself costs two clock reads a program run,
# which must not leak into the timed rounds.
hook_costs() {
	local cfg op path iters calls

	sysctl -qw kernel.bpf_stats_enabled=1 || die "cannot enable kernel.bpf_stats_enabled"
	for cfg in unmanaged std big; do
		prefix "$cfg"
		for op in open stat exec open-denied connect udp; do
			# half the timed loops' counts: averages, not spreads, are wanted here
			path=$WS/file.txt iters=$((OPEN_ITERS / 2))
			[ "$op" = exec ] && path=/usr/bin/true iters=$((EXEC_ITERS / 2))
			[ "$op" = open-denied ] && path=$B/secret/.env iters=$DENY_ITERS
			[ "$op" = connect ] && path=$NET_TCP iters=$((NET_ITERS / 2))
			[ "$op" = udp ] && path=$NET_UDP iters=$((NET_ITERS / 2))
			calls=$((iters + iters / 10 + 1)) # with the loop's warm-up
			snapshot /tmp/bench-before.json
			"${PREFIX[@]}" "$LOOP" "$iters" 1 "$op" "$path" >/dev/null ||
				die "$cfg: the $op loop failed"
			snapshot /tmp/bench-after.json
			hook_window "$cfg" "$op" "$calls" /tmp/bench-before.json /tmp/bench-after.json
			drain
		done
	done
	sysctl -qw kernel.bpf_stats_enabled=0
}

# ---- event throughput --------------------------------------------------------

# A confined loop of refused opens, paced at rising rates for a few seconds
# each, with a `warden events --follow --json` subscriber attached: how many
# denials reach the subscriber (and the daemon's own stdout), and from which
# rate they start to be lost, in the kernel (ring buffer full) or on the way
# to the subscriber. Rate 0 is as fast as the loop goes.
EVENT_RATES=${WARDEN_BENCH_EVENT_RATES:-"5000 20000 50000 100000 200000 0"}
EVENT_SECONDS=${WARDEN_BENCH_EVENT_SECONDS:-2}
EVENT_PRODUCERS=${WARDEN_BENCH_EVENT_PRODUCERS:-$(nproc)}
SUBSCRIBED=/tmp/bench-subscriber.jsonl

# denials of the generator's file among the lines of FILE past byte OFFSET
# (file events only: the generator's own exec event names the file too);
# a report of identical denials the kernel folded stands for "count" of them
denials_since() {
	tail -c +$(($2 + 1)) "$1" | grep '"type":"file".*secret/\.env' |
		jq -n '[inputs | .count // 1] | add // 0'
}

event_throughput() {
	local rate out t_end last size t_last sub_pid
	local size0 sub0 drop0 subdrop0 attempts refused gen_ns

	emit info event_seconds "$EVENT_SECONDS"
	emit info event_producers "$EVENT_PRODUCERS"
	: >"$SUBSCRIBED"
	"$WARDEN" events --follow --json >"$SUBSCRIBED" 2>/tmp/bench-subscriber.log &
	sub_pid=$!
	sleep 1
	kill -0 "$sub_pid" 2>/dev/null || die "warden events --follow failed: $(cat /tmp/bench-subscriber.log)"
	for rate in $EVENT_RATES; do
		drain
		size0=$(stat -c %s "$EVENTS")
		sub0=$(stat -c %s "$SUBSCRIBED")
		drop0=$(dropped)
		subdrop0=$(sub_dropped)
		out=$("$WARDEN" run --agent std --no-sandbox -- "$LOOP" rate "$B/secret/.env" "$rate" \
			"$EVENT_SECONDS" "$EVENT_PRODUCERS") || die "the event generator failed: $out"
		t_end=$(now_ns)
		# when the last event reached the subscriber: its output stops growing
		last=-1 t_last=$t_end
		for _ in $(seq 600); do
			size=$(stat -c %s "$SUBSCRIBED")
			# folded denials are reported once their entry is swept: up to 2 s later
			[ "$size" = "$last" ] && [ $(($(now_ns) - t_last)) -gt 2500000000 ] && break
			[ "$size" != "$last" ] && t_last=$(now_ns)
			last=$size
			sleep 0.05
		done
		read -r _ _ attempts refused gen_ns <<<"$out"
		# events TARGET ATTEMPTS REFUSED GEN_NS TO_SUBSCRIBER TO_STDOUT
		#        KERNEL_DROPS SUBSCRIBER_DROPS DELIVERY_NS
		emit events "$rate" "$attempts" "$refused" "$gen_ns" \
			"$(denials_since "$SUBSCRIBED" "$sub0")" "$(denials_since "$EVENTS" "$size0")" \
			$(($(dropped) - drop0)) $(($(sub_dropped) - subdrop0)) $((t_last - t_end + gen_ns))
	done
	kill "$sub_pid" 2>/dev/null
	wait "$sub_pid" 2>/dev/null
}

# ---- the resolver -------------------------------------------------------------

# A local dnsmasq is the upstream (/etc/resolv.conf, the VM's own copy): a
# confined agent's queries go to warden's resolver whatever address they
# are sent to; an allowed name is forwarded, any other is refused there.
DNSMASQ_PID=
start_upstream() {
	command -v dnsmasq >/dev/null || { emit info resolver "no dnsmasq: resolver rows skipped"; return 1; }
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --user=root --bind-interfaces \
		--listen-address=127.0.0.1 --port=53 --address=/bench.test/127.0.0.1 \
		2>/tmp/bench-dnsmasq.log &
	DNSMASQ_PID=$!
	sleep 0.5
	kill -0 "$DNSMASQ_PID" 2>/dev/null || {
		emit info resolver "dnsmasq did not start: $(head -c 200 /tmp/bench-dnsmasq.log)"
		DNSMASQ_PID=
		return 1
	}
	echo "nameserver 127.0.0.1" >/etc/resolv.conf
}

resolver_rate() {
	local kind name out op ns fails

	for kind in dns dns-refused; do
		name=$DNS_ALLOWED
		[ "$kind" = dns-refused ] && name=$DNS_REFUSED
		out=$("$WARDEN" run --agent std --no-sandbox -- "$LOOP" "$DNS_ITERS" "$SAMPLES" \
			"$kind" "$name" 2>&1) || { emit info resolver "$kind failed: $out"; continue; }
		while read -r op ns fails; do
			emit resolver "$op" "$ns" "$fails"
		done <<<"$out"
	done
}

# ---- main ------------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "must run as root (in the VM: scripts/vmtest.sh)"
# warden holds descriptors on rule paths while a policy is in force
# (user/compile/fs_rules.c), and `warden check` compiles as the daemon does: 10,000
# rules can need more than the default 1,024 descriptors
ulimit -n 65536 || die "cannot raise the descriptor limit to 65536"
# Under software emulation, address space randomization makes the emulator
# translate every new process's code afresh (its cache is keyed by virtual
# address): an exec costs 4x more and varies by 30% between samples. On
# hardware it costs nothing measurable, so it is off here, in the VM only.
echo 0 >/proc/sys/kernel/randomize_va_space || die "cannot turn off address randomization"
grep -qw bpf /sys/kernel/security/lsm || die "the BPF LSM is not active in this kernel"
for f in "$WARDEN" "$LOOP" "$LLRUN"; do [ -x "$f" ] || die "$f missing: make test-build"; done
emit info kernel "$(uname -r)"
emit info cpus "$(nproc)"
emit info landlock_abi "$("$LLRUN" --abi 2>/dev/null || echo 0)"
emit info params "rounds=$ROUNDS (workloads in $WORK_ROUNDS) samples=$SAMPLES open_iters=$OPEN_ITERS deny_iters=$DENY_ITERS exec_iters=$EXEC_ITERS net_iters=$NET_ITERS dns_iters=$DNS_ITERS"
: >"$EVENTS"
mkdir -p "$PLAIN_CGROUP" || die "cannot create $PLAIN_CGROUP"
say "setting up $B: $N_RULES rule files, $N_BINS binaries, the policy"
setup
have_upstream=0
start_upstream && have_upstream=1

if phase rounds; then
	t_phase=$(now_ns)
	for round in $(seq "$ROUNDS"); do
		say "round $round of $ROUNDS"
		wait_unloaded
		for cfg in $(rotate "$round" none landlock); do measure "$cfg" "$round"; done
		start_daemon
		for cfg in $(rotate "$round" unmanaged std big); do measure "$cfg" "$round"; done
		emit info round_dropped "$round" "$(dropped)"
		t0=$(now_ns)
		"$WARDEN" reload --policy "$POLICY3" >/tmp/bench-reload.txt 2>&1 ||
			die "warden reload --policy $POLICY3 failed: $(tail -n 5 /tmp/bench-reload.txt)"
		emit info reload3_ns $(($(now_ns) - t0))
		measure tri "$round"
		stop_daemon
	done
	emit info rounds_ns $(($(now_ns) - t_phase))
fi

start_daemon
if phase hooks; then
	say "per-hook costs (kernel.bpf_stats_enabled)"
	t_phase=$(now_ns)
	hook_costs
	emit info hooks_ns $(($(now_ns) - t_phase))
fi
if [ "$have_upstream" = 1 ] && phase resolver; then
	say "resolver queries"
	resolver_rate
fi
[ "$have_upstream" = 1 ] && kill "$DNSMASQ_PID" 2>/dev/null
if phase events; then
	say "event throughput"
	t_phase=$(now_ns)
	event_throughput
	emit info events_ns $(($(now_ns) - t_phase))
fi
stop_daemon
say "done"
