#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Syscall latency of plain TCP and sockaccel side by side, seen by
# `sockaccelctl latency`, and the cost of the probes themselves.
#
#   bench/latency-compare.sh [--quick] [--json FILE] [--reps N] [--time SEC]
#                            [--size BYTES] [--no-compare] [--no-overhead]
#
#   compare   request/response (sa-pingpong, SIZE bytes, TCP_NODELAY) and a
#             stream (sa-stream, 1 KiB writes, echoed), once in a plain cgroup and once
#             in a cgroup with sockaccel attached, each under
#             `sockaccelctl latency --cgroup` (read/write/sendto/recvfrom/...):
#             per syscall calls, blocked calls, p50 and p99, plain | accel.
#   overhead  the same request/response loop (plain TCP), and a loop of 1-byte
#             read()/write() calls that never block (dd bs=1), each without
#             probes, with probes filtered to its cgroup, and with probes on
#             every process; alternating, REPS times; medians and the ratio to
#             "no probes" (one run, same machine state). Then the BPF programs'
#             own run time per call (BPF statistics from a BPF_ENABLE_STATS fd).
#   --json F  everything as one JSON object (bench/run.sh uses it)
#   --quick   shorter runs (--time 0.5, --reps 3)
#
# Needs root and a build (make). Creates its own netns, cgroups and pin dir
# (bench/lib.sh) and removes them; loads nothing that outlives it.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

QUICK= JSON_OUT= REPS=5 TIME=2 SIZE=64 DO_COMPARE=1 DO_OVERHEAD=1 LOOP_BYTES=1000000
STREAM_BYTES=256M
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--json) JSON_OUT=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--time) TIME=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--no-compare) DO_COMPARE= ;;
	--no-overhead) DO_OVERHEAD= ;;
	-h | --help) sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "latency-compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -n "$QUICK" ]; then
	TIME=0.5 REPS=3 STREAM_BYTES=64M LOOP_BYTES=300000
fi
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "latency-compare.sh: --reps needs a positive number" >&2; exit 2; }
for b in sa-pingpong sa-stream sockaccelctl; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b missing: run make"
done
command -v jq >/dev/null || die "jq is required"

bench_setup
PORT=7300
MECH=unknown

# tracer_start CGROUP|- OUT: sockaccelctl latency in the background (usecs, JSON); TRACER_PID
tracer_start() {
	local cg=$1 out=$2 i filter=()
	[ "$cg" != - ] && filter=(--cgroup "$cg")
	# OUT is reused between repetitions: the old .err (with its "Tracing" line)
	# must not be seen before the new tracer's shell has truncated it
	rm -f "$out.err"
	"$CTL" latency -v -u -j "${filter[@]}" >"$out" 2>"$out.err" &
	TRACER_PID=$!
	for i in $(seq 200); do
		grep -q '^Tracing' "$out.err" 2>/dev/null && break
		kill -0 "$TRACER_PID" 2>/dev/null || { cat "$out.err" >&2; die "sockaccelctl latency failed"; }
		sleep 0.05
	done
	MECH=$(sed -n 's/^latency: using \([a-z_]*\):.*/\1/p' "$out.err")
}

tracer_stop() {
	kill -INT "$TRACER_PID" 2>/dev/null
	wait "$TRACER_PID" || log "sockaccelctl latency exited with $?"
}

# rr MODE: one sa-pingpong client/server run in MODE's cgroup; prints its JSON
rr() {
	local mode=$1 out spid
	PORT=$((PORT + 1))
	start_bg "$mode" "$TMPD/pp-server.log" "$BUILD/sa-pingpong" server -l 127.0.0.1 -p "$PORT" -s "$SIZE"
	spid=$BG_PID
	if wait_listen "$PORT" "$spid"; then
		out=$(inmode "$mode" timeout 120 "$BUILD/sa-pingpong" client -c 127.0.0.1 -p "$PORT" \
			-s "$SIZE" -n 100000000 -t "$TIME" -j)
	fi
	stop_bg "$spid"
	[ -n "${out:-}" ] && jq -c . <<<"$out" || echo '{"error":"sa-pingpong failed"}'
}

# stream MODE: one sa-stream run (1 KiB writes, BYTES each way, echoed); prints
# {bytes, secs, gbps} (gbps: one direction)
stream() {
	local mode=$1 spid t0 t1 rc
	PORT=$((PORT + 1))
	start_bg "$mode" "$TMPD/st-server.log" "$BUILD/sa-stream" server -l 127.0.0.1 -p "$PORT" \
		--bytes "$STREAM_BYTES" --echo -w 1K -q -t 120
	spid=$BG_PID
	wait_listen "$PORT" "$spid" || { stop_bg "$spid"; echo '{"error":"sa-stream server"}'; return; }
	t0=$(date +%s.%N)
	inmode "$mode" "$BUILD/sa-stream" client -c 127.0.0.1 -p "$PORT" --bytes "$STREAM_BYTES" \
		-w 1K -q -t 120 >"$TMPD/st-client.log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	stop_bg "$spid"
	[ $rc = 0 ] || { echo '{"error":"sa-stream failed"}'; return; }
	jq -cn --arg b "$STREAM_BYTES" --argjson t0 "$t0" --argjson t1 "$t1" \
		'($b | sub("M$"; "") | tonumber * 1048576) as $bytes |
		 {bytes: $bytes, secs: ($t1 - $t0), gbps: ($bytes * 8 / ($t1 - $t0) / 1e9)}'
}

# loop MODE: dd with 1-byte blocks in MODE's cgroup: LOOP_BYTES read()+write()
# pairs that never block; prints {ns_per_syscall}
loop() {
	local mode=$1 secs
	secs=$(LC_ALL=C inmode "$mode" dd if=/dev/zero of=/dev/null bs=1 count="$LOOP_BYTES" 2>&1 |
		sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p')
	[ -n "$secs" ] || { echo '{"error":"dd failed"}'; return; }
	jq -cn --argjson s "$secs" --argjson n "$LOOP_BYTES" '{secs: $s, ns_per_syscall: ($s * 1e9 / (2 * $n))}'
}

# prog_cost: run the loop once under a cgroup-filtered tracer with the BPF
# run-time statistics on (a BPF_ENABLE_STATS fd, bench/lib.sh stats_on) and
# print the programs' mean run time per call
prog_cost() {
	local ids out
	tracer_start "$CG_PLAIN" "$TMPD/cost.json"
	ids=$(sed -n 's/^latency: programs: //p' "$TMPD/cost.json.err" | grep -o 'id [0-9]*' | cut -d' ' -f2 | paste -sd,)
	stats_on
	loop plain >/dev/null
	out=$(bpftool -j prog show 2>/dev/null | jq -c --arg ids "$ids" '
		($ids | split(",") | map(tonumber)) as $want |
		[ .[] | select(.id as $i | $want | index($i)) | select(.run_cnt > 0) |
		  {name, run_cnt, ns_per_run: (.run_time_ns / .run_cnt | . * 10 | round / 10)} ]')
	stats_off
	tracer_stop
	echo "${out:-[]}"
}

RESULTS=$TMPD/results.jsonl
: >"$RESULTS"

# ------------------------------------------------------------ side by side
if [ -n "$DO_COMPARE" ]; then
	for wl in rr stream; do
		for mode in plain accel; do
			log "compare: $wl in $mode under sockaccelctl latency"
			tracer_start "$(cg_of "$mode")" "$TMPD/lat-$wl-$mode.json"
			res=$($wl "$mode")
			tracer_stop
			jq -c --arg wl "$wl" --arg mode "$mode" --argjson res "$res" --argjson size "$SIZE" \
				'{part: "compare", workload: $wl, mode: $mode, size: (if $wl == "rr" then $size else 1024 end),
				  result: $res, latency: .}' "$TMPD/lat-$wl-$mode.json" >>"$RESULTS" ||
				log "no latency JSON for $wl/$mode"
		done
	done
fi

# ------------------------------------------------------------ probe overhead
if [ -n "$DO_OVERHEAD" ]; then
	for wl in rr loop; do
		for ((rep = 0; rep < REPS; rep++)); do
			for variant in $(order "$rep" off cgroup all); do
				case $variant in
				off) res=$($wl plain) ;;
				cgroup) tracer_start "$CG_PLAIN" "$TMPD/ovh.json"; res=$($wl plain); tracer_stop ;;
				all) tracer_start - "$TMPD/ovh.json"; res=$($wl plain); tracer_stop ;;
				esac
				log "overhead $wl rep $rep $variant: $(jq -r '.mean_us // .ns_per_syscall // .error' <<<"$res")"
				jq -cn --arg wl "$wl" --arg v "$variant" --argjson rep "$rep" --argjson res "$res" \
					'{part: "overhead", workload: $wl, variant: $v, rep: $rep, result: $res}' >>"$RESULTS"
			done
		done
	done
	if command -v bpftool >/dev/null; then
		jq -cn --argjson c "$(prog_cost)" '{part: "prog_cost", programs: $c}' >>"$RESULTS"
	fi
fi

# ------------------------------------------------------------ report
ALL=$(jq -s --arg mech "$MECH" --argjson reps "$REPS" --arg time "$TIME" --argjson size "$SIZE" \
	--arg kernel "$(uname -r)" --argjson ncpu "$(nproc)" '
	def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	{ mechanism: $mech, kernel: $kernel, ncpu: $ncpu,
	  params: {reps: $reps, time_s: ($time | tonumber), size: $size},
	  compare: [ .[] | select(.part == "compare") | del(.part) ],
	  overhead: [ ( [ .[] | select(.part == "overhead") ] | group_by(.workload)[] ) as $o
		| { workload: $o[0].workload,
		    what: (if $o[0].workload == "rr" then "sa-pingpong TCP request/response \($size) B, plain, mean round trip (us)"
			   else "dd bs=1 /dev/zero to /dev/null: read()+write() that never block (ns per syscall)" end),
		    runs: [ $o[] | {variant, rep, value: (.result.mean_us // .result.ns_per_syscall)} ] }
		| .median = ( .runs as $r | reduce ("off", "cgroup", "all") as $v ({};
			.[$v] = ([ $r[] | select(.variant == $v) | .value // empty ] | median)) )
		| .ratio = ( if .median.off then
			{ cgroup: (.median.cgroup / .median.off), all: (.median.all / .median.off) }
			else null end ) ],
	  prog_cost: ([ .[] | select(.part == "prog_cost") | .programs ] | first) }' "$RESULTS")

if [ -n "$JSON_OUT" ]; then
	jq . <<<"$ALL" >"$JSON_OUT" || die "cannot write $JSON_OUT"
fi

# text
echo "sockaccelctl latency ($MECH), kernel $(uname -r), $(nproc) CPUs"
jq -r '
	def f: if . == null then "-" elif . < 10 then (. * 100 | round / 100 | tostring)
		else (. * 10 | round / 10 | tostring) end;
	def l(n): tostring | (if length < n then " " * (n - length) else "" end) + .;
	def r(n): tostring | . + (if length < n then " " * (n - length) else "" end);
	def row(a; b; c; d; e; f2; g; h; i): (a|r(15)) + (b|l(10)) + (c|l(9)) + (d|l(9)) + (e|l(10)) + "   |" +
		(f2|l(10)) + (g|l(9)) + (h|l(9)) + (i|l(10));
	(.compare | group_by(.workload)[] |
		(map(select(.mode == "plain"))[0]) as $p | (map(select(.mode == "accel"))[0]) as $a |
		"\n== \($p.workload) (\($p.size) B): " +
		(if $p.workload == "rr" then "plain \($p.result.mean_us|f) us/round trip, accel \($a.result.mean_us|f) us/round trip"
		 else "plain \($p.result.gbps|f) Gbit/s, accel \($a.result.gbps|f) Gbit/s each way" end),
		row("SYSCALL"; "plain:calls"; "blocked"; "p50_us"; "p99_us"; "accel:calls"; "blocked"; "p50_us"; "p99_us"),
		( [$p.latency.syscalls, $a.latency.syscalls] | transpose[] | select(.[0].count + .[1].count > 0) |
			row(.[0].name; .[0].count; .[0].blocked.count; (.[0].p50|f); (.[0].p99|f);
			    .[1].count; .[1].blocked.count; (.[1].p50|f); (.[1].p99|f)) ) ),
	(.overhead[] |
		"\n== probe overhead: \(.what), median of \(.runs | length / 3 | floor)",
		"no probes:          \(.median.off|f)",
		"probes, --cgroup:   \(.median.cgroup|f)  (x\(.ratio.cgroup // null | if . then . * 1000 | round / 1000 else "-" end))",
		"probes, all procs:  \(.median.all|f)  (x\(.ratio.all // null | if . then . * 1000 | round / 1000 else "-" end))"),
	(if (.prog_cost // []) | length > 0 then
		"\n== BPF program cost per call (BPF run-time statistics, dd loop, --cgroup)",
		(.prog_cost[] | "\(.name): \(.ns_per_run) ns x \(.run_cnt)")
	 else empty end)' <<<"$ALL"
