# SPDX-License-Identifier: GPL-2.0-only
#
# Turns the "@bench ..." lines of tests/bench/run-bench.sh (read raw, jq -R -s)
# into build/bench.json: medians and spreads of every measurement, ratios to
# the no-warden baseline, per-hook costs, event throughput, and each target
# with whether this run met it. scripts/bench.sh prints the report from it.
#
# Ratios are taken round by round (a configuration against the baseline
# measured in the same round) and then summarized, so slow drift over the
# run cancels out instead of favouring whichever column ran last.

def quantile(q):
  sort as $s | ($s | length) as $n
  | if $n == 0 then null
    else (($n - 1) * q) as $p | ($p | floor) as $i
      | $s[$i] + ((($s[[$i + 1, $n - 1] | min]) - $s[$i]) * ($p - $i))
    end;
def median: quantile(0.5);
def stats: { median: median, p25: quantile(0.25), p75: quantile(0.75),
             min: min, max: max, n: length };
def round3: . * 1000 | round / 1000;

# the columns, in table order; "none" is the baseline
def configs: ["none", "unmanaged", "std", "big", "tri", "landlock"];
def rows: [
  { key: "open",        kind: "loop", label: "open+close, workspace file", unit: "ns/call" },
  { key: "open-denied", kind: "loop", label: "open, denied file (+event)", unit: "ns/call" },
  { key: "stat",        kind: "loop", label: "stat, workspace file",       unit: "ns/call" },
  { key: "exec",        kind: "loop", label: "fork+execve /bin/true",      unit: "ns/call" },
  { key: "connect",     kind: "loop", label: "TCP connect+close, loopback", unit: "ns/call" },
  { key: "udp",         kind: "loop", label: "UDP sendto, loopback",       unit: "ns/call" },
  { key: "untar-grep",  kind: "work", label: "untar + grep -r (800 files)", unit: "ns/run" },
  { key: "script-2000", kind: "work", label: "sh script, 2000 commands",   unit: "ns/run" }
];

(split("\n") | map(select(startswith("@bench ")) | .[7:] | split(" "))) as $lines
| ($lines | map(select(.[0] == "loop" or .[0] == "work")
                | { cfg: .[1], round: (.[2] | tonumber), op: .[3], v: (.[4] | tonumber) })) as $samples
| ($lines | map(select(.[0] == "info")) ) as $info
| def info($k): ($info | map(select(.[1] == $k)) | map(.[2:] | join(" ")));
  # median of one configuration's samples of one row in one round
  def round_median($cfg; $op; $r):
    $samples | map(select(.cfg == $cfg and .op == $op and .round == $r) | .v) | median;
  def rounds: $samples | map(.round) | unique;

  (rows | map(. as $row
    | { key: .key,
        value: ($row + {
          configs: (configs | map(. as $c | { key: $c,
            value: ($samples | map(select(.cfg == $c and .op == $row.key) | .v) | stats) })
            | from_entries),
          ratios: (configs[1:] | map(. as $c | { key: $c,
            value: ([rounds[] as $r
                     | (round_median($c; $row.key; $r)) as $x
                     | (round_median("none"; $row.key; $r)) as $base
                     | select($x != null and $base != null and $base > 0) | $x / $base]
                    | stats | with_entries(if .key == "n" or .value == null then . else .value |= round3 end)) })
            | from_entries)
        }) })
    | from_entries) as $results

  # per-program sums over every window of a configuration, and per-window totals
  | ($lines | map(select(.[0] == "hook")
                  | { cfg: .[1], what: .[2], calls: (.[3] | tonumber), prog: .[4],
                      runs: (.[5] | tonumber), ns: (.[6] | tonumber) })) as $hooks
  | ($hooks | group_by(.cfg) | map({ key: .[0].cfg,
      value: (group_by(.prog) | map({ key: .[0].prog,
        value: { runs: (map(.runs) | add), totalNs: (map(.ns) | add),
                 avgNs: ((map(.ns) | add) / ([(map(.runs) | add), 1] | max) | round) } })
        | from_entries) }) | from_entries) as $per_prog
  | ($hooks | group_by([.cfg, .what]) | map({ config: .[0].cfg, what: .[0].what,
      calls: .[0].calls, bpfNs: (map(.ns) | add),
      bpfNsPerCall: ((map(.ns) | add) / .[0].calls | round),
      programs: (map(select(.runs > 0)) | map({ key: .prog, value: { runs, ns,
        avgNs: (.ns / .runs | round) } }) | from_entries) })) as $windows

  # Landlock's and warden's cost per call, timed: configuration minus baseline
  | def marginal($cfg; $op): ($results[$op].configs[$cfg].median // null) as $x
      | ($results[$op].configs.none.median // null) as $b
      | if $x == null or $b == null then null else ($x - $b | round) end;
  def window($cfg; $what): ($windows | map(select(.config == $cfg and .what == $what)) | .[0]);
  ([["open", "fs_file_open"], ["open-denied", "fs_file_open"], ["exec", null]]
   | map(. as [$op, $prog] | {
       op: $op,
       wardenBpfNsPerCall: { std: window("std"; $op).bpfNsPerCall, big: window("big"; $op).bpfNsPerCall },
       wardenHookAvgNs: (if $prog then { program: $prog, std: window("std"; $op).programs[$prog].avgNs,
                                          big: window("big"; $op).programs[$prog].avgNs } else null end),
       wardenTimedNsPerCall: { std: marginal("std"; $op), big: marginal("big"; $op) },
       landlockTimedNsPerCall: marginal("landlock"; $op) })) as $vs_landlock

  # events: a step loses nothing when every refusal reached the subscriber
  # and nothing was dropped on the way
  | ($lines | map(select(.[0] == "events")) | map(
      { targetPerSec: (.[1] | tonumber), generated: (.[3] | tonumber),
        generatedPerSec: ((.[3] | tonumber) / (.[4] | tonumber) * 1e9 | round),
        delivered: (.[5] | tonumber), deliveredToStdout: (.[6] | tonumber),
        droppedInKernel: (.[7] | tonumber), droppedToSubscriber: (.[8] | tonumber),
        deliveredPerSec: ((.[5] | tonumber) / (.[9] | tonumber) * 1e9 | round) }
      | .lossless = (.droppedInKernel == 0 and .droppedToSubscriber == 0
                     and .delivered == .generated))) as $steps
  | ($steps | map(select(.lossless)) | map(.generatedPerSec) | max) as $lossless_max
  | ($steps | map(select(.lossless | not)) | .[0]) as $first_loss
  | ($steps | map(select(.droppedInKernel == 0 and .deliveredToStdout == .generated))
     | map(.generatedPerSec) | max // 0) as $stdout_lossless_max

  # resolver: queries one at a time from a confined agent, per kind
  | ($lines | map(select(.[0] == "resolver")
                  | { op: .[1], v: (.[2] | tonumber), fails: (.[3] | tonumber) })) as $dns
  | def dns($op): ($dns | map(select(.op == $op))) as $d
      | if ($d | length) == 0 then null
        else { nsPerQuery: ($d | map(.v) | median | round),
               queriesPerSec: (1e9 / ($d | map(.v) | median) | round),
               failures: ($d | map(.fails) | add), samples: ($d | length) } end;
    { allowed: dns("dns"), refused: dns("dns-refused"),
      note: (info("resolver") | join("; ")) } as $resolver

  | def target($name; $limit; $measured; $better):
      { name: $name, target: $limit, measured: $measured,
        met: (if $measured == null then null
              elif $better == "lower" then $measured <= $limit else $measured >= $limit end),
        missedBy: (if $measured == null then null
                   elif $better == "lower" then ([$measured - $limit, 0] | max)
                   else ([$limit - $measured, 0] | max) end) };
    # Landlock's cost comes from timing, as a difference of medians: when it
    # is not above zero it is lost in the noise and there is nothing to beat
    def target_vs_landlock($name; $landlock; $warden):
      if $landlock == null or $landlock <= 0 then
        { name: $name, target: $landlock, measured: $warden, met: null, missedBy: null,
          why: "Landlock's timed cost is within the noise of this run" }
      else target($name; $landlock; $warden; "lower") end;
    def ratio($op; $cfg): $results[$op].ratios[$cfg].median;
    ([rows[].key as $k | { row: $k, r: ratio($k; "unmanaged") } | select(.r != null)]
     | max_by(.r)) as $worst_unmanaged
  | ($vs_landlock | map(select(.op == "open")) | .[0]) as $open_vs
  | ($vs_landlock | map(select(.op == "exec")) | .[0]) as $exec_vs

  | {
      note: "Software-emulated VM (QEMU TCG): absolute times are meaningless; ratios to the no-warden column of the same run are what count.",
      kernel: (info("kernel")[0]), cpus: (info("cpus")[0] | tonumber? // null),
      landlockAbi: (info("landlock_abi")[0] | tonumber? // null),
      params: (info("params")[0]), policy: (info("policy")[0]),
      setupNs: (info("setup_ns")[0] | tonumber? // null),
      daemonStartNs: (info("daemon_start_ns") | map(tonumber) | stats),
      phasesNs: { rounds: (info("rounds_ns")[0] | tonumber? // null),
                  hooks: (info("hooks_ns")[0] | tonumber? // null),
                  events: (info("events_ns")[0] | tonumber? // null) },
      droppedDuringRounds: (info("round_dropped") | map(split(" ")[1] | tonumber) | add),
      configs: { none: "no warden loaded", unmanaged: "warden loaded, process in an unmanaged cgroup",
                 std: "managed agent, default-like policy",
                 big: "managed agent, 10,000 readOnly file rules + 1,000 allowlisted binaries",
                 tri: "managed agent of a 3-agent policy: the other two workspaces denied to it",
                 landlock: "no warden; an equivalent Landlock ruleset" },
      results: $results,
      hooks: { perProgram: $per_prog, windows: $windows, vsLandlock: $vs_landlock },
      resolver: $resolver,
      events: { stepSeconds: (info("event_seconds")[0] | tonumber? // null),
                producers: (info("event_producers")[0] | tonumber? // 1), steps: $steps, maxLosslessPerSec: ($lossless_max // 0),
                dropsBeganAtPerSec: ($first_loss.generatedPerSec // null),
                maxLosslessToStdoutPerSec: $stdout_lossless_max,
                maxDeliveredPerSec: ($steps | map(.deliveredPerSec) | max) },
      targets: [
        target("unmanaged within 1% of baseline (worst row: \($worst_unmanaged.row))"; 1.01;
               $worst_unmanaged.r; "lower"),
        target("managed open within 5%, default policy"; 1.05; ratio("open"; "std"); "lower"),
        target("managed open within 5%, 10,000 rules"; 1.05; ratio("open"; "big"); "lower"),
        target("managed open within 5%, 3 agents"; 1.05; ratio("open"; "tri"); "lower"),
        target("managed exec within 3%, default policy"; 1.03; ratio("exec"; "std"); "lower"),
        target("managed exec within 3%, 1,000 binaries"; 1.03; ratio("exec"; "big"); "lower"),
        target("unmanaged connect within 1%"; 1.01; ratio("connect"; "unmanaged"); "lower"),
        target("unmanaged UDP sendto within 1%"; 1.01; ratio("udp"; "unmanaged"); "lower"),
        target("managed connect within 5%, default policy"; 1.05; ratio("connect"; "std"); "lower"),
        target("managed UDP sendto within 5%, default policy"; 1.05; ratio("udp"; "std"); "lower"),
        target_vs_landlock("open: warden fs_file_open avg ns <= Landlock's ns per open";
               $open_vs.landlockTimedNsPerCall; $open_vs.wardenHookAvgNs.std),
        target_vs_landlock("exec: warden BPF ns per exec <= Landlock's ns per exec";
               $exec_vs.landlockTimedNsPerCall; $exec_vs.wardenBpfNsPerCall.std),
        target("events: >= 200,000/s delivered without loss"; 200000; ($lossless_max // 0); "higher")
      ],
      errors: ($lines | map(select(.[0] == "error") | .[1:] | join(" ")))
    }
