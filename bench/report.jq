# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# jq functions for bench/report.sh: summary statistics and the markdown report
# of a bench/run.sh result file.

def median: sort | if length == 0 then null
	elif length % 2 == 1 then .[(length - 1) / 2]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;

def metrics: ["gbps", "sent_gbps", "cpu_sender_pct", "cpu_receiver_pct", "retransmits",
	"mean_us", "p50_us", "p99_us", "tps", "conns_per_s", "rps",
	"lat_mean_ms", "lat_p50_ms", "lat_p99_ms", "lat_max_ms",
	"lat_mean_us", "lat_p50_us", "lat_p99_us", "lat_max_us", "errors_total", "dropped", "redirect_pct", "conn_ms"];

# share of the sk_msg bytes that were redirected, in percent (null: no sk_msg traffic)
def redirect_pct: .counters as $c
	| if $c == null then null else ($c.redirected_bytes + $c.passed_bytes + $c.passed_no_peer_bytes) as $t
	| if $t > 0 then 100 * $c.redirected_bytes / $t else null end end;

def key: {bench, test, size, nodelay, placement, mode};	# missing fields are null

def summarize: [.runs[] | select(.error == null and .bench != "latency") | . + {redirect_pct: redirect_pct}]
	| group_by(key | [.bench, .test, .size, .nodelay, .placement, .mode] | tostring)
	| map(. as $g | ($g[0] | key) + {n: ($g | length), errors: ([$g[].errors_total // 0] | add)} + {stats: (
		reduce (metrics[]) as $m ({};
			[$g[] | .[$m] | select(type == "number")] as $v
			| if ($v | length) > 0
			  then . + {($m): {median: ($v | median), min: ($v | min), max: ($v | max)}}
			  else . end))});

# ---- formatting

# three significant digits, as a string
def sig: if . == null then "–"
	elif . == 0 then "0"
	else (if . < 0 then -. else . end | log10 | floor) as $e
	| (if $e >= 2 then 0 else 2 - $e end) as $d
	| (pow(10; $d)) as $p
	| ((. * $p | round) / $p) | tostring end;

# "median ±x%": x is half the min–max range in percent of the median
def pm: if . == null then "–"
	else (.median | sig) + (if .max > .min and .median != 0
		then " ±" + ((.max - .min) / 2 / (if .median < 0 then -.median else .median end) * 100 | round | tostring) + "%"
		else "" end) end;

def ratio($a; $b): if $a == null or $b == null or $b.median == 0 then "–"
	else ($a.median / $b.median * 100 | round / 100 | tostring) end;

# errors of a cell, summed over its runs: "0", or FAILED: a run with an error
# is not a figure (null: no runs)
def errfmt: if . == null then "–" elif . == 0 then "0" else "**FAILED (\(.))**" end;
def errsum($r; $q): [$r.runs[] | select(. as $e | all($q | to_entries[]; $e[.key] == .value)) | .errors_total // 0]
	| if length == 0 then null else add end;

def find($s; $q): [$s[] | select(. as $e | all($q | to_entries[]; $e[.key] == .value))] | first // null;
def st($s; $q; $m): find($s; $q) | if . == null then null else .stats[$m] end;

# per-repetition ratios a/b of metric m between the runs matching $qa and $qb
# (same rep), for the A/A check
def rep_ratios($r; $qa; $qb; $m):
	[$r.runs[] | select(.error == null and (. as $e | all($qa | to_entries[]; $e[.key] == .value)))] as $A
	| [$r.runs[] | select(.error == null and (. as $e | all($qb | to_entries[]; $e[.key] == .value)))] as $B
	| [$A[] as $a | ($B[] | select(.rep == $a.rep)) as $b | select(($b[$m] // 0) > 0) | $a[$m] / $b[$m]];

def sizefmt: if . >= 1048576 and . % 1048576 == 0 then "\(. / 1048576) MiB"
	elif . >= 1024 and . % 1024 == 0 then "\(. / 1024) KiB" else "\(.) B" end;

def table($head; $rows): ("| " + ($head | join(" | ")) + " |"),
	("|" + ($head | map("---") | join("|")) + "|"),
	($rows[] | "| " + (map(tostring) | join(" | ")) + " |");

# ---- the performance targets (docs/benchmarks.md, "Targets"), read against
# the floor build of the same run where one was measured

def rnum($a; $b): if $a == null or $b == null or $b.median == 0 then null else $a.median / $b.median end;
def r2: if . == null then "–" else (. * 100 | round / 100 | tostring) end;
# one row: what, goal text, measured ratio, floor ratio (or null), lower is better?, goal
def target_row($what; $m; $f; $lower; $goal):
	[$what, (if $lower then "≤ " else "≥ " end) + ($goal | tostring), ($m | r2), ($f | r2),
	 (if $m == null then "not measured"
	  elif (if $lower then $m <= $goal else $m >= $goal end) then "met"
	  elif $f != null and (if $lower then $f > $goal else $f < $goal end) then "floor misses it too"
	  else "**not met**" end)];

def targets($r; $s):
	def rr($pl; $m): st($s; {bench: "rr", size: 64, placement: $pl, mode: $m}; "p50_us");
	def cr($z; $m): st($s; {bench: "connrate", size: $z, mode: $m}; "conns_per_s");
	def sv($b; $t; $m): st($s; {bench: $b, test: $t, mode: $m}; "rps");
	def dm($m): st($s; {bench: "demo", mode: $m}; "gbps");
	[("same", "cross") as $pl | select(rr($pl; "accel") != null)
	 | (if $pl == "same" then "same CPU" else "different CPUs" end) as $where
	 | target_row("64 B request/response p50, \($where): accel/bare"; rnum(rr($pl; "accel"); rr($pl; "bare")); null; true; 1.05),
	   target_row("64 B request/response p50, \($where): accel/plain"; rnum(rr($pl; "accel"); rr($pl; "plain"));
		rnum(rr($pl; "bare"); rr($pl; "plain")); true; 0.8)]
	+ [(0, 64) as $z | select(cr($z; "accel") != null)
	 | target_row("connection rate, \(if $z == 0 then "no payload" else "one \($z) B exchange" end): accel/plain";
		rnum(cr($z; "accel"); cr($z; "plain")); rnum(cr($z; "bare"); cr($z; "plain")); false; 0.95)]
	+ [("GET", "SET") as $t | select(sv("redis"; $t; "accel") != null)
	 | target_row("redis \($t): accel/plain"; rnum(sv("redis"; $t; "accel"); sv("redis"; $t; "plain"));
		rnum(sv("redis"; $t; "bare"); sv("redis"; $t; "plain")); false; 1.2)]
	+ [select(dm("accel") != null)
	 | target_row("`make demo` iperf3 (unpinned, 128 KiB): accel/plain"; rnum(dm("accel"); dm("plain"));
		rnum(dm("bare"); dm("plain")); false; 1.5)]
	+ [select(sv("nginx"; "small"; "accel") != null)
	 | target_row("nginx small (128 B): accel/plain"; rnum(sv("nginx"; "small"; "accel"); sv("nginx"; "small"; "plain"));
		rnum(sv("nginx"; "small"; "bare"); sv("nginx"; "small"; "plain")); false; 1.2)]
	+ (([$s[] | select(.bench == "iperf3" and .mode == "accel") | {size, nodelay}] | sort_by(.size, .nodelay)) as $cells
	   | [$cells[] | select((rnum(st($s; {bench: "iperf3", size, nodelay, mode: "accel"}; "gbps");
			st($s; {bench: "iperf3", size, nodelay, mode: "plain"}; "gbps")) // 0) < 1)
	      | . as $c | (rep_ratios($r; $c + {bench: "iperf3", mode: "aa"}; $c + {bench: "iperf3", mode: "plain"}; "gbps")) as $aa
	      | (rep_ratios($r; $c + {bench: "iperf3", mode: "accel"}; $c + {bench: "iperf3", mode: "plain"}; "gbps") | median) as $ap
	      | . + {aa: (if ($aa | length) == 0 or $ap == null then null else ($ap >= ($aa | min) and $ap <= ($aa | max)) end)}] as $below
	   | if ($cells | length) == 0 then [] else
	   [["iperf3 cells with accel/plain ≥ 1.00", "all \($cells | length)", "\(($cells | length) - ($below | length)) of \($cells | length)", "–",
	     (if ($below | length) == 0 then "met"
	      elif all($below[]; .aa == true) then "met: the cells below 1.00 are equal by the A/A run"
	      else "below: " + ([$below[] | "\(.size | sizefmt)\(if .nodelay then " -N" else "" end)"
			+ (if .aa == true then " (equal by A/A)" elif .aa == false then " (below A/A)" else "" end)] | join(", "))
		+ (if any($below[]; .aa == null) then " (A/A check: `--aa`)" else "" end) end)]] end);

# ---- markdown report; input: the result file with .summary

def report:
	. as $r | $r.summary as $s | $r.meta as $meta
	| [$r.runs[] | select(.error != null)] as $failed
	| [$r.runs[] | select(.error == null and (.errors_total // 0) > 0)] as $errd
	| [$s[] | select(.bench == "pgbench") | .test] | unique as $pgtests
	| def hasbare($b): any($s[]; .bench == $b and .mode == "bare");
	  (hasbare("memcached") or hasbare("pgbench")) as $hasbare
	| any($s[]; .bench == "iperf3" and .mode == "aa") as $hasaa
	| [$s[] | select(.bench == "iperf3") | .size] | unique as $isizes
	| [$s[] | select(.bench == "rr") | .size] | unique as $rsizes
	| [$s[] | select(.bench == "rr") | .placement] | unique | sort | reverse as $places
	| [$s[] | select(.bench == "sockperf") | .size] | unique as $ssizes
	| [$s[] | select(.bench == "connrate") | .size] | unique as $csizes
	| [$s[] | select(.bench == "redis") | .test] | unique as $rtests
	| [$s[] | select(.bench == "nginx") | {test, size}] | unique | sort_by(.size) as $ntests
	| def pl($p): if $p == "cross" then "different CPUs" elif $p == "same" then "same CPU" else "scheduler's choice" end;
	"# sockaccel benchmark results\(if $meta.quick then " (quick run)" else "" end)",
	"",
	"\($meta.date), host `\($meta.host)`, kernel \($meta.kernel), \($meta.ncpu) × \($meta.cpu).",
	"Generated by `bench/run.sh\(if $meta.quick then " --quick" else "" end)` in \($meta.duration_s) s; raw data: `\($meta.file)`.",
	"Every cell is the median of \($meta.reps) alternating repetitions (sockperf: \($meta.params.sockperf_reps // $meta.reps));",
	"± is half the min–max range of the repetitions, in percent of the median.",
	"Ratios are medians divided by medians: accelerated/plain and accelerated/AF_UNIX",
	"(above 1 is more for throughput and rates, and slower for latencies).",
	(if $meta.warning then "", "**Warning:** \($meta.warning)" else empty end),
	(if ($failed | length) > 0 then "", "**\($failed | length) run(s) failed** (see `error` in the JSON): " +
		([$failed[] | "\(.bench) \(.mode) \(.size // .test // "")"] | unique | join(", ")) else empty end),
	(if ($errd | length) > 0 then "", "**\($errd | length) run(s) FAILED with errors** (`errors` in the JSON; their cells say FAILED): " +
		([$errd[] | "\(.bench) \(.mode) \(.size // .test // "") rep \(.rep): \(.errors_total)"] | join(", ")) else empty end),
	"",
	(targets($r; $s) as $t | if ($t | length) > 0 then
	"## Targets",
	"",
	"The targets of docs/benchmarks.md, \"Targets\", from this run's medians. floor: the same ratio for the floor",
	"build (bare: insertion and the redirect, nothing else), where this run measured it; \"floor misses it too\":",
	"the target is out of reach of any program on top of the kernel's sockmap path on this machine.",
	"",
	table(["target", "goal", "measured", "floor (bare)", "verdict"]; $t), "" else empty end),
	"## Throughput: iperf3, one stream, Gbit/s",
	"",
	"Client on CPU 0, server on CPU 1. AF_UNIX: `sa-pingpong ustream` (same write and read size; no Nagle).",
	"CPU: sender/receiver, % of one CPU, as iperf3 reports it. redirected: share of the bytes the sk_msg",
	"program saw; a stream that left the map (docs/design.md, \"Streams\") is plain TCP after that and unseen.",
	"",
	(if $hasaa then "A/A: plain TCP again on its own server, alternating with the others (`--aa`); \"equal\": the",
		"median of the per-repetition accel/plain ratios lies inside the range of the A/A/plain ratios.", "" else empty end),
	table(["write size", "Nagle", "plain", "accelerated", "AF_UNIX", "accel/plain", "accel/AF_UNIX"]
		+ (if $hasaa then ["A/A/plain (range)", "within A/A"] else [] end)
		+ ["CPU plain", "CPU accel", "redirected"];
		[$isizes[] as $z | (false, true) as $nd
		| st($s; {bench: "iperf3", size: $z, nodelay: $nd, mode: "plain"}; "gbps") as $p
		| st($s; {bench: "iperf3", size: $z, nodelay: $nd, mode: "accel"}; "gbps") as $a
		| st($s; {bench: "iperf3", size: $z, mode: "unix"}; "gbps") as $u
		| select($p != null or $a != null)
		| [($z | sizefmt), (if $nd then "off (-N)" else "on" end), ($p | pm), ($a | pm), ($u | pm),
		   ratio($a; $p), ratio($a; $u)]
		+ (if $hasaa then
			(rep_ratios($r; {bench: "iperf3", size: $z, nodelay: $nd, mode: "aa"}; {bench: "iperf3", size: $z, nodelay: $nd, mode: "plain"}; "gbps")) as $aa
			| (rep_ratios($r; {bench: "iperf3", size: $z, nodelay: $nd, mode: "accel"}; {bench: "iperf3", size: $z, nodelay: $nd, mode: "plain"}; "gbps") | median) as $ap
			| if ($aa | length) == 0 or $ap == null then ["–", "–"]
			  else ["\($aa | median | sig) (\($aa | min | sig)–\($aa | max | sig))",
				(if $ap >= ($aa | min) and $ap <= ($aa | max) then "equal (\($ap | sig))"
				 elif $ap > ($aa | max) then "above (\($ap | sig))" else "**below** (\($ap | sig))" end)] end
		  else [] end)
		+ [
		   "\(st($s; {bench: "iperf3", size: $z, nodelay: $nd, mode: "plain"}; "cpu_sender_pct").median | sig)/\(st($s; {bench: "iperf3", size: $z, nodelay: $nd, mode: "plain"}; "cpu_receiver_pct").median | sig)",
		   "\(st($s; {bench: "iperf3", size: $z, nodelay: $nd, mode: "accel"}; "cpu_sender_pct").median | sig)/\(st($s; {bench: "iperf3", size: $z, nodelay: $nd, mode: "accel"}; "cpu_receiver_pct").median | sig)",
		   ((st($s; {bench: "iperf3", size: $z, nodelay: $nd, mode: "accel"}; "redirect_pct").min | sig) + "%")]]),
	"",
	(if any($s[]; .bench == "demo") then
	"## `make demo`'s iperf3, unpinned",
	"",
	"iperf3 as scripts/demo.sh runs it: the scheduler places client and server, 128 KiB writes with Nagle,",
	"\($meta.params.demo_time // "–") s per run, server on [::], client to 127.0.0.1. Gbit/s; the demo's target is read against bare here.",
	"",
	table(["plain", "accelerated", "bare", "accel/plain", "bare/plain", "accel/bare", "CPU plain", "CPU accel", "redirected"];
		[[("plain", "accel", "bare") as $m | {g: st($s; {bench: "demo", mode: $m}; "gbps"),
			c: "\(st($s; {bench: "demo", mode: $m}; "cpu_sender_pct").median | sig)/\(st($s; {bench: "demo", mode: $m}; "cpu_receiver_pct").median | sig)"}] as [$p, $a, $b]
		| [($p.g | pm), ($a.g | pm), ($b.g | pm), ratio($a.g; $p.g), ratio($b.g; $p.g), ratio($a.g; $b.g), $p.c, $a.c,
		   (st($s; {bench: "demo", mode: "accel"}; "redirect_pct").min | if . == null then "–" else sig + "%" end)]]), "" else empty end),
	"## Request/response: sa-pingpong, full round trips",
	"",
	"One connection, TCP_NODELAY, SIZE bytes each way. µs per round trip (p50 / p99 / mean) and transactions/s.",
	"AF_UNIX is a socketpair with the same loop. Ratios compare p50.",
	(if hasbare("rr") then "bare: the floor build (`make SA_BARE=1 OUTPUT=build-bare`: insertion and the redirect, nothing else) in a third cgroup, same run." else empty end),
	"",
	(table(["size", "CPUs", "plain p50/p99/mean", "accel p50/p99/mean", "AF_UNIX p50/p99/mean",
		"trans/s plain / accel / AF_UNIX", "accel/plain", "accel/AF_UNIX"]
		+ (if hasbare("rr") then ["bare p50/p99/mean", "bare/plain", "accel/bare"] else [] end);
		[$places[] as $pl | $rsizes[] as $z
		| [("plain", "accel", "unix", "bare") as $m | {
			p50: st($s; {bench: "rr", size: $z, placement: $pl, mode: $m}; "p50_us"),
			p99: st($s; {bench: "rr", size: $z, placement: $pl, mode: $m}; "p99_us"),
			mean: st($s; {bench: "rr", size: $z, placement: $pl, mode: $m}; "mean_us"),
			tps: st($s; {bench: "rr", size: $z, placement: $pl, mode: $m}; "tps")}] as [$p, $a, $u, $b]
		| [($z | sizefmt), pl($pl),
		   "\($p.p50 | pm) / \($p.p99.median | sig) / \($p.mean.median | sig)",
		   "\($a.p50 | pm) / \($a.p99.median | sig) / \($a.mean.median | sig)",
		   "\($u.p50 | pm) / \($u.p99.median | sig) / \($u.mean.median | sig)",
		   "\($p.tps.median | sig) / \($a.tps.median | sig) / \($u.tps.median | sig)",
		   ratio($a.p50; $p.p50), ratio($a.p50; $u.p50)]
		  + (if hasbare("rr") then ["\($b.p50 | pm) / \($b.p99.median | sig) / \($b.mean.median | sig)",
			ratio($b.p50; $p.p50), ratio($a.p50; $b.p50)] else [] end)])),
	"",
	(if ($ssizes | length) > 0 then
	"### Outside check: sockperf ping-pong --full-rtt",
	"",
	"`sockperf pp --tcp --full-rtt --mps max`, client CPU 0, server CPU 1; µs per round trip.",
	"",
	table(["size", "plain p50 / p99", "accel p50 / p99", "accel/plain (p50)"];
		[$ssizes[] as $z
		| [("plain", "accel") as $m | {
			p50: st($s; {bench: "sockperf", size: $z, mode: $m}; "p50_us"),
			p99: st($s; {bench: "sockperf", size: $z, mode: $m}; "p99_us")}] as [$p, $a]
		| [($z | sizefmt), "\($p.p50 | pm) / \($p.p99.median | sig)", "\($a.p50 | pm) / \($a.p99.median | sig)",
		   ratio($a.p50; $p.p50)]]), ""
	else empty end),
	"## Connection setup rate: sa-connrate",
	"",
	"One connection at a time: connect, optional request/response, server closes, client closes.",
	"",
	table(["exchange", "plain conn/s", "accel conn/s", "accel/plain", "p50 µs per connection plain / accel", "p99 plain / accel"]
		+ (if hasbare("connrate") then ["bare conn/s", "bare/plain", "accel/bare"] else [] end);
		[$csizes[] as $z
		| [("plain", "accel", "bare") as $m | {
			r: st($s; {bench: "connrate", size: $z, mode: $m}; "conns_per_s"),
			p50: st($s; {bench: "connrate", size: $z, mode: $m}; "p50_us"),
			p99: st($s; {bench: "connrate", size: $z, mode: $m}; "p99_us")}] as [$p, $a, $b]
		| [(if $z == 0 then "none" else "\($z) B request/response" end), ($p.r | pm), ($a.r | pm), ratio($a.r; $p.r),
		   "\($p.p50.median | sig) / \($a.p50.median | sig)", "\($p.p99.median | sig) / \($a.p99.median | sig)"]
		  + (if hasbare("connrate") then [($b.r | pm), ratio($b.r; $p.r), ratio($a.r; $b.r)] else [] end)]),
	"",
	(if ($rtests | length) > 0 then
	"## redis: redis-benchmark",
	"",
	"`redis-benchmark -t set,get -d 64 -n \($meta.params.redis_requests) -c \($meta.params.redis_clients)`; server CPU 1, client CPU 0.",
	"Errors: error replies + rejected connections + commands missing from the server's count + error lines on stderr.",
	"",
	table(["test", "plain req/s", "accel req/s", "accel/plain", "p50 ms plain / accel", "p99 ms plain / accel", "errors plain / accel"]
		+ (if hasbare("redis") then ["bare req/s", "bare/plain", "accel/bare", "errors bare"] else [] end);
		[$rtests[] as $t
		| [("plain", "accel", "bare") as $m | {
			r: st($s; {bench: "redis", test: $t, mode: $m}; "rps"),
			p50: st($s; {bench: "redis", test: $t, mode: $m}; "lat_p50_ms"),
			p99: st($s; {bench: "redis", test: $t, mode: $m}; "lat_p99_ms"),
			e: ([$r.runs[] | select(.bench == "redis" and .test == $t and .mode == $m) | .errors_total] | add)}] as [$p, $a, $b]
		| [$t, ($p.r | pm), ($a.r | pm), ratio($a.r; $p.r), "\($p.p50.median | sig) / \($a.p50.median | sig)",
		   "\($p.p99.median | sig) / \($a.p99.median | sig)", "\($p.e | errfmt) / \($a.e | errfmt)"]
		  + (if hasbare("redis") then [($b.r | pm), ratio($b.r; $p.r), ratio($a.r; $b.r), ($b.e | errfmt)] else [] end)]), ""
	else empty end),
	(if ($ntests | length) > 0 then
	"## nginx: wrk",
	"",
	"nginx (1 worker, sendfile on, CPU 1), `wrk -t1 -c\($meta.params.wrk_conns) -d\($meta.params.wrk_time)s` (CPU 0), static files.",
	"Errors: wrk's connect + read + write + timeout + non-2xx counts.",
	"",
	table(["response", "plain req/s", "accel req/s", "accel/plain", "p50 µs plain / accel", "p99 µs plain / accel", "errors plain / accel"]
		+ (if hasbare("nginx") then ["bare req/s", "bare/plain", "accel/bare", "errors bare"] else [] end);
		[$ntests[] as $t
		| [("plain", "accel", "bare") as $m | {
			r: st($s; {bench: "nginx", test: $t.test, mode: $m}; "rps"),
			p50: st($s; {bench: "nginx", test: $t.test, mode: $m}; "lat_p50_us"),
			p99: st($s; {bench: "nginx", test: $t.test, mode: $m}; "lat_p99_us"),
			e: ([$r.runs[] | select(.bench == "nginx" and .test == $t.test and .mode == $m) | .errors_total] | add)}] as [$p, $a, $b]
		| ["\($t.test) (\($t.size | sizefmt))", ($p.r | pm), ($a.r | pm), ratio($a.r; $p.r), "\($p.p50.median | sig) / \($a.p50.median | sig)",
		   "\($p.p99.median | sig) / \($a.p99.median | sig)", "\($p.e | errfmt) / \($a.e | errfmt)"]
		  + (if hasbare("nginx") then [($b.r | pm), ratio($b.r; $p.r), ratio($a.r; $b.r), ($b.e | errfmt)] else [] end)]), ""
	else empty end),
	(def modes: if $hasbare then ["plain", "accel", "bare"] else ["plain", "accel"] end;
	 def svc_head($what): ["test"] + (modes | map("\(.) \($what)")) + ["accel/plain"]
		+ (if $hasbare then ["bare/plain", "accel/bare"] else [] end);
	 def svc_row($b; $t; $m; $lat): [modes[] as $mo | {r: st($s; {bench: $b, test: $t, mode: $mo}; $m),
		l: st($s; {bench: $b, test: $t, mode: $mo}; $lat), e: errsum($r; {bench: $b, test: $t, mode: $mo})}] as $c
		| [$t] + ($c | map(.r | pm)) + [ratio($c[1].r; $c[0].r)]
		+ (if $hasbare then [ratio($c[2].r; $c[0].r), ratio($c[1].r; $c[2].r)] else [] end)
		+ [($c | map(.l.median | sig) | join(" / ")), ($c | map(.e | errfmt) | join(" / "))];
	 (if any($s[]; .bench == "memcached") then
	"## memcached: memaslap",
	"",
	"memcached (1 thread, CPU 1), `memcaslap -T 1 -c \($meta.params.mc_conns) -X 64 -v 0.1` for \($meta.params.mc_time) s (CPU 0):",
	"90 % get, 10 % set, 64 B values, 10 % of the gets verified. ops/s; mean latency µs.",
	"Errors: verify failures + no operations + non-zero exit + error lines on stderr; any error fails the run.",
	(if $hasbare then "bare: the floor build (`make SA_BARE=1 OUTPUT=build-bare`) in a third cgroup, same run." else empty end),
	"",
	table(svc_head("ops/s") + ["mean µs " + (modes | join(" / ")), "errors " + (modes | join(" / "))];
		[svc_row("memcached"; "get/set"; "rps"; "lat_mean_us")]), ""
	 else empty end),
	 (if ($pgtests | length) > 0 then
	"## PostgreSQL: pgbench",
	"",
	"PostgreSQL \($meta.versions.postgres // "" | sub("^postgres \\(PostgreSQL\\) "; "")) (fsync off, CPU 1), `pgbench -S -c \($meta.params.pg_clients) -j 1 -T \($meta.params.pg_time)` (CPU 0),",
	"select-only on a scale-1 database. select: kept connections; select-connect: `-C`, a new connection per",
	"transaction (the connection-rate case: fork of a backend, authentication, one query, close). Transactions/s",
	"(`-C`: including reconnection times); mean latency ms.",
	"Errors: failed transactions + no transactions + non-zero exit + error lines on pgbench's stderr and in",
	"the server log; any error fails the run.",
	"",
	table(svc_head("tps") + ["mean ms " + (modes | join(" / ")), "errors " + (modes | join(" / "))];
		[$pgtests[] as $t | svc_row("pgbench"; $t; "rps"; "lat_mean_ms")]), ""
	 else empty end)),
	"## Syscall latency probes",
	"",
	([$r.runs[] | select(.bench == "latency")] | first) as $l
	| if $l == null then "not run"
	  elif $l.skipped then $l.skipped
	  elif $l.error then "bench/latency-compare.sh failed: " + ($l.error | gsub("\n"; " "))
	  elif ($l.result.compare | type) != "array" then "see the JSON (`bench: \"latency\"`)"
	  else
		"`bench/latency-compare.sh` (`sockaccelctl latency`, \($l.result.mechanism // "?")), one request/response and one",
		"streaming run per mode; syscalls with calls in either mode; µs.",
		"",
		table(["workload", "syscall", "plain calls", "plain p50 / p99", "accel calls", "accel p50 / p99"];
			[$l.result.compare as $c | ($c | map(.workload) | unique)[] as $w
			| ($c[] | select(.workload == $w and .mode == "plain")) as $p
			| ($c[] | select(.workload == $w and .mode == "accel")) as $a
			| ([$p.latency.syscalls[]?, $a.latency.syscalls[]? | select(.count > 0) | .name] | unique)[] as $n
			| ($p.latency.syscalls[]? | select(.name == $n)) as $ps
			| ($a.latency.syscalls[]? | select(.name == $n)) as $ac
			| [$w, $n, ($ps.count // 0), "\($ps.p50 | sig) / \($ps.p99 | sig)", ($ac.count // 0), "\($ac.p50 | sig) / \($ac.p99 | sig)"]]),
		(if ($l.result.overhead | type) == "array" and ($l.result.overhead | length) > 0 then
			"",
			"Cost of the probes themselves (median of the script's repetitions; ratio to no probes):",
			"",
			table(["workload", "measure", "no probes", "probes on the cgroup", "probes on everything", "ratio cgroup / everything"];
				[$l.result.overhead[] | [.workload, .what, (.median.off | sig), (.median.cgroup | sig), (.median.all | sig),
				  "\(.ratio.cgroup | sig) / \(.ratio.all | sig)"]])
		else empty end)
	  end,
	"",
	"## Acceleration check",
	"",
	"Share of the bytes seen by the sk_msg program that were redirected, lowest over the accelerated runs",
	"(plain runs are in a cgroup without the programs: nothing to see). A connection that left the map",
	"(stream detection, `unmapped_connections`) runs plain TCP afterwards, unseen by sk_msg: its share",
	"covers only the bytes sent before it left.",
	"",
	([$s[] | select(.mode == "accel") | {bench, v: .stats.redirect_pct.min}] | group_by(.bench)
	 | map("- \(.[0].bench): " + (if all(.v == null) then "no sk_msg traffic"
		else ([.[].v | select(. != null)] | min | sig) + "%" end)) | .[]),
	"",
	"Machine: load average \($meta.loadavg_start) at the start, \($meta.loadavg_end) at the end.";

# ---- gnuplot data

# throughput: 5 blocks (plain Nagle, accel Nagle, plain -N, accel -N, AF_UNIX): size median min max
def tput_dat: .summary as $s
	| ([false, "plain"], [false, "accel"], [true, "plain"], [true, "accel"], [null, "unix"]) as [$nd, $m]
	| ([$s[] | select(.bench == "iperf3" and .mode == $m and ($m == "unix" or .nodelay == $nd) and .stats.gbps != null)]
	   | sort_by(.size) | map("\(.size) \(.stats.gbps.median) \(.stats.gbps.min) \(.stats.gbps.max)") | join("\n"))
	  + "\n\n";

# rr bars for one placement: size plain(med min max) accel(...) unix(...)
def rr_dat($pl): .summary as $s
	| [$s[] | select(.bench == "rr" and .placement == $pl) | .size] | unique[] as $z
	| [("plain", "accel", "unix") as $m | st($s; {bench: "rr", size: $z, placement: $pl, mode: $m}; "p50_us")
	   | if . == null then "NaN NaN NaN" else "\(.median) \(.min) \(.max)" end]
	| "\"\($z | sizefmt)\" " + join(" ");
