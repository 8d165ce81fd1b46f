# SPDX-License-Identifier: GPL-2.0-only
#
# The human report of `make bench`, from build/bench.json (jq -r): one table
# of ratios to the no-warden baseline, the targets, per-hook costs, events.

def fixed($d):
  pow(10; $d) as $p | (. * $p | round) as $m | ($m | fabs) as $a
  | (if $m < 0 then "-" else "" end) + (($a / $p) | floor | tostring)
    + (if $d > 0 then "." + (($a % $p) | tostring | ("0" * ($d - length)) + .) else "" end);
def lpad($n): tostring | (" " * ([$n - length, 0] | max)) + .;
def rpad($n): tostring | . + (" " * ([$n - length, 0] | max));
# a time in ns, in a unit that keeps 3 significant digits or so
def human:
  if . == null then "-"
  elif fabs >= 1e9 then "\(. / 1e9 | fixed(2)) s"
  elif fabs >= 1e6 then "\(. / 1e6 | fixed(2)) ms"
  elif fabs >= 1e3 then "\(. / 1e3 | fixed(1)) us"
  else "\(fixed(0)) ns" end;
def pct: . * 100 | fixed(1) + "%";
def count: tostring | if length > 3 then .[:-3] + "," + .[-3:] else . end
           | if length > 7 then .[:-7] + "," + .[-7:] else . end;

def configs: ["none", "unmanaged", "std", "big", "tri", "landlock"];
def heads: { none: "none", unmanaged: "unmanaged", std: "default policy", big: "10k rules",
             tri: "3 agents", landlock: "Landlock" };
def W: 16;

. as $r
| "warden bench: kernel \($r.kernel), \($r.cpus) vCPUs, Landlock ABI \($r.landlockAbi); \($r.params)",
  "policy: \($r.policy)",
  "NOTE: \($r.note)",
  (if ($r.host.samplesWithOtherVMs // 0) > 0 then
     "WARNING: other VMs shared this host's \($r.host.cpus) CPUs during \($r.host.samplesWithOtherVMs * 100 / $r.host.samples | round)% of the run (up to \($r.host.maxOtherVMs) at once, load up to \($r.host.maxLoad1)): spreads are wider than on a quiet host"
   else "host: \($r.host.cpus) CPUs, no other VM ran alongside (load up to \($r.host.maxLoad1))" end),
  "",
  ("" | rpad(30)) + (configs | map(heads[.] | lpad(W)) | add),
  ("" | rpad(30)) + ("median" | lpad(W)) + (configs[1:] | map("ratio" | lpad(W)) | add),
  ($r.results | to_entries[] | .value as $row
   | select($row.configs.none.median != null) # workloads with WARDEN_BENCH_WORK_ROUNDS=0
   | ($row.label | rpad(30))
     + ("\($row.configs.none.median | human) ±\((($row.configs.none.p75 - $row.configs.none.p25) / 2 / $row.configs.none.median) | pct)" | lpad(W))
     + (configs[1:] | map(. as $c | $row.ratios[$c]
         | if .median == null then "-" | lpad(W)
           else "\(.median | fixed(3)) ±\((.p75 - .p25) / 2 | pct)" | lpad(W) end) | add)),
  "",
  "none: median time per call (per run for the workloads) in this VM, ± half the interquartile range of its samples.",
  "Other columns: that configuration's median divided by none's median in the same round, median over the rounds,",
  "± half the interquartile range of the per-round ratios. 1.000 = no cost. Columns:",
  ($r.configs | to_entries[] | "  \(heads[.key] | rpad(15)) \(.value)"),
  "",
  "Targets (reported, never enforced: the bench fails only when it cannot run)",
  ($r.targets[] | "  \(if .met == true then "met   " elif .met == false then "MISSED" else "n/a   " end)  \(.name): " +
     (if .measured == null then "not measured in this run"
      elif (.name | test("ns")) then "\(.measured | human) vs \(.target | human)"
      elif (.name | test("events")) then "\(.measured // 0 | count)/s vs \(.target | count)/s"
      else "\(.measured | fixed(3)) vs \(.target | fixed(2))" end) +
     (if .met == false then
        (if (.name | test("ns")) then ", over by \(.missedBy | human)"
         elif (.name | test("events")) then ", short by \(.missedBy | count)/s"
         else ", over by \(.missedBy | pct) points" end)
      elif .why then " (\(.why))" else "" end)),
  "",
  "Per-hook cost (kernel.bpf_stats_enabled, run time / run count over the loops; ns in this VM)",
  ("  program" | rpad(32)) + (["unmanaged", "default policy", "10k rules"] | map(lpad(22)) | add),
  ("" | rpad(32)) + ([range(3)] | map("runs" | lpad(12)) | map(. + ("avg" | lpad(10))) | add),
  (($r.hooks.perProgram // {}) as $pp
   | ([$pp[]] | map(keys) | add // [] | unique) as $names
   | $names[] as $p
   | select(([$pp[][$p].runs // 0] | add) > 0)
   | ("  " + $p | rpad(32)) + (["unmanaged", "std", "big"] | map($pp[.][$p] as $x
       | if $x == null or $x.runs == 0 then ("-" | lpad(12)) + ("-" | lpad(10))
         else ($x.runs | count | lpad(12)) + ($x.avgNs | human | lpad(10)) end) | add)),
  "",
  "Per call, warden against Landlock (ns in this VM)",
  ("" | rpad(32)) + (["BPF run time/call", "timed cost/call", "Landlock"] | map(lpad(22)) | add),
  ("" | rpad(32)) + (["default", "10k rules", "default", "10k rules"] | map(lpad(11)) | add) + ("timed cost/call" | lpad(22)),
  (($r.hooks.vsLandlock // [])[] |
    ({ open: "  open+close, workspace", "open-denied": "  open, denied file", exec: "  fork+execve" }[.op] | rpad(32))
    + ([.wardenBpfNsPerCall.std, .wardenBpfNsPerCall.big, .wardenTimedNsPerCall.std, .wardenTimedNsPerCall.big]
       | map(human | lpad(11)) | add)
    + (.landlockTimedNsPerCall | human | lpad(22))),
  "  BPF run time/call: every warden program's run time in the window / calls; timed cost/call: configuration's",
  "  median minus none's (includes trampolines, event delivery and noise); Landlock has no per-hook accounting.",
  "",
  "Events: \($r.events.producers // 1) confined loop(s) of denied opens at paced rates, \($r.events.steps | length) steps of \($r.events.stepSeconds) s each, to `warden events --follow --json`",
  "  (identical denials are folded in the kernel: \"delivered\" counts the denials the lines stand for, each line's \"count\" or 1)",
  ("  target/s" | rpad(12)) + (["generated/s", "delivered", "to stdout", "kernel drops", "sub. drops", "delivered/s", "lossless"] | map(lpad(13)) | add),
  ($r.events.steps[] | ("  " + (if .targetPerSec == 0 then "max" else (.targetPerSec | count) end) | rpad(12))
     + ([(.generatedPerSec | count), (.delivered | count), (.deliveredToStdout | count), (.droppedInKernel | count),
         (.droppedToSubscriber | count), (.deliveredPerSec | count),
         (if .lossless then "yes" else "NO" end)] | map(lpad(13)) | add)),
  "  highest rate without loss: \($r.events.maxLosslessPerSec // 0 | count)/s to the subscriber, \($r.events.maxLosslessToStdoutPerSec | count)/s to the daemon's stdout;",
  "  losses begin at \($r.events.dropsBeganAtPerSec // "-" | if type == "number" then count else . end)/s sustained for \($r.events.stepSeconds) s;",
  "  best delivery rate to the subscriber: \($r.events.maxDeliveredPerSec | count)/s, one event per \(1e9 / $r.events.maxDeliveredPerSec | human)\(if $r.results.open.configs.none.median then ", \(1e9 / $r.events.maxDeliveredPerSec / $r.results.open.configs.none.median | fixed(1)) times this VM's baseline open+close" else "" end)",
  "",
  ($r.resolver as $d
   | "Resolver: \(if $d.allowed then "allowed name \($d.allowed.queriesPerSec | count) queries/s (\($d.allowed.nsPerQuery | human) each, forwarded to a local upstream, \($d.allowed.failures) failed)" else "allowed name: not measured" end); \(if $d.refused then "refused name \($d.refused.queriesPerSec | count) queries/s (\($d.refused.nsPerQuery | human) each, \($d.refused.failures) failed)" else "refused name: not measured" end)\(if ($d.note // "") != "" then " [\($d.note)]" else "" end)"),
  "",
  ($r.results as $x | def q($op; $c): ($x[$op].ratios[$c].median // null) | if . == null then "-" else fixed(2) end;
   "headline: open \(q("open"; "std")) default / \(q("open"; "big")) 10k rules / \(q("open"; "tri")) 3 agents (target 1.05); exec \(q("exec"; "std")) (1.03); connect \(q("connect"; "std")), UDP \(q("udp"; "std")) (1.05); unmanaged open \(q("open"; "unmanaged")), exec \(q("exec"; "unmanaged")), connect \(q("connect"; "unmanaged")), UDP \(q("udp"; "unmanaged")) (1.01); events \($r.events.maxLosslessPerSec // 0 | count)/s lossless (200,000); resolver \($r.resolver.allowed.queriesPerSec // "-" | if type == "number" then count else . end)/s allowed, \($r.resolver.refused.queriesPerSec // "-" | if type == "number" then count else . end)/s refused")
