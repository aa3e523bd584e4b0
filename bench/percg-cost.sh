#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The per-message cost of one build against another (e.g. the per-cgroup
# counters against the commit before them): 64 B request/response
# (sa-pingpong, accelerated), the two builds alternated in one run, each rep
# loading that build afresh into the same pin dir and cgroup. Per rep: round
# trips per second, and the sk_msg program's own run time per message from
# the kernel's BPF statistics (on while the script runs, through a
# BPF_ENABLE_STATS fd: bench/lib.sh stats_on, not the host-wide sysctl).
# One build is loaded at a time: with two loaded, each tracepoint program
# runs on every read and the second runs on caches the first warmed
# (measured: ~50 ns per read faster, whichever build it is).
#
#   BASE=/tmp/base-build bench/percg-cost.sh [-r REPS] [-t SECONDS] [-s SIZE]
#
#   BASE      the other build's OUTPUT dir (make OUTPUT=... of a `git archive`)
#   BUILD     this build (default build/); its sa-pingpong drives both
#   -r REPS   alternations (default 6), -t SEC per run (default 3), -s SIZE (64)
#
# Prints each run and the medians: tps ratio (this/base) and ns per sk_msg run.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

REPS=6 SECS=3 SIZE=64
while getopts "r:t:s:h" o; do
	case $o in
	r) REPS=$OPTARG ;;
	t) SECS=$OPTARG ;;
	s) SIZE=$OPTARG ;;
	*) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
[ -n "${BASE:-}" ] && [ -x "$BASE/sockaccel-loader" ] || die "BASE=DIR: a build of the other commit"

bench_setup	# loads this build into $PIN, attached to $CG_ACCEL

reload() {	# reload BUILD_DIR: tear down what is loaded, load that build
	"$CTL" --pin-dir "$PIN" teardown --force >/dev/null 2>&1
	"$1/sockaccel-loader" --pin-dir "$PIN" "$CG_ACCEL" >"$TMPD/loader.log" 2>&1 ||
		{ cat "$TMPD/loader.log" >&2; die "load $1 failed"; }
}
skmsg() { bpftool -j prog show pinned "$PIN/prog_sk_msg" | jq -c '{c: (.run_cnt // 0), t: (.run_time_ns // 0)}'; }

port=7600
stats_on
for ((rep = 0; rep < REPS; rep++)); do
	for which in $(order "$rep" base this); do
		dir=$BUILD
		[ "$which" = base ] && dir=$BASE
		reload "$dir"
		port=$((port + 1))
		start_bg accel "$TMPD/srv.log" $(cpu server) "$BUILD/sa-pingpong" server -l 127.0.0.1 -p $port -s "$SIZE"
		srv=$BG_PID
		wait_listen $port "$srv" || die "server did not start"
		b=$(skmsg)
		run_in accel $(cpu client) "$BUILD/sa-pingpong" client -c 127.0.0.1 -p $port -s "$SIZE" \
			-n 100000000 -t "$SECS" -w 2000 -j || die "sa-pingpong failed"
		a=$(skmsg)
		stop_bg "$srv"
		red=$("$CTL" --pin-dir "$PIN" -j stats | jq .redirected_msgs)
		rec=$(jq -c -n --arg w "$which" --argjson rep "$rep" --argjson r "$FG_OUT" --argjson a "$a" --argjson b "$b" \
			--argjson red "$red" '{build: $w, rep: $rep, tps: $r.tps, p50_us: $r.p50_us, redirected_msgs: $red,
			ns_per_msg: (($a.t - $b.t) / ([($a.c - $b.c), 1] | max)), sk_msg_runs: ($a.c - $b.c)}')
		echo "$rec" >>"$RAW"
		log "$rec"
	done
done
stats_off
jq -s -r 'def med: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	group_by(.build) | map({key: .[0].build, value: {tps: ([.[].tps] | med), ns: ([.[].ns_per_msg] | med)}}) | from_entries |
	"median tps: base \(.base.tps | floor), this \(.this.tps | floor), ratio this/base \(.this.tps / .base.tps * 1000 | round / 1000)\n" +
	"median sk_msg ns/run: base \(.base.ns * 10 | round / 10), this \(.this.ns * 10 | round / 10), ratio \(.this.ns / .base.ns * 1000 | round / 1000)"' "$RAW"
