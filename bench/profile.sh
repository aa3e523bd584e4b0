#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Where the time of a small request/response round trip goes: plain TCP, the
# bare floor build and sockaccel, one after the other in one run, each
# profiled with `perf record -e cpu-clock -a -g` (the software clock: no
# hardware counters needed) and, in a second run without perf, with the
# kernel's BPF run-time statistics (run count and ns per program). Prints per mode the
# CPU time of sa-pingpong (client and server) per round trip, split into cost
# buckets (bench/profile-buckets.awk), and what each BPF program costs per
# round trip. Not a benchmark: a profile of one run of each mode.
#
#   bench/profile.sh [-s SIZE] [-t SEC] [-F HZ] [-r REPS] [-m MODES] [-p same|cross] [-k DIR] [-j]
#
#   -s SIZE   bytes each way (default 64)
#   -t SEC    seconds per profiled run (default 3)
#   -F HZ     perf sampling frequency (default 2999)
#   -r REPS   profiled runs per mode, alternating, summed (default 1)
#   -m MODES  comma-separated subset of plain,bare,accel (default all three;
#             bare needs `make SA_BARE=1 OUTPUT=build-bare`)
#   -p PLACE  same: client and server on CPU 0 (default; the round trip is
#             then all CPU work, nothing idles); cross: client 0, server 1
#   -k DIR    keep the perf data and the bucket files in DIR
#   -j        JSON
#
# perf record -a sees the whole machine; only samples of this run's two
# sa-pingpong processes (by pid) and of kworkers running sk_psock_backlog are
# counted. The BPF run-time statistics are host-wide and add two clock reads
# per program run while on (held on with a BPF_ENABLE_STATS fd, closed at the
# end). The tp_btf read-tracking program runs on
# every recv on the host, also in the plain mode's sockets while sockaccel is
# loaded for the accel cgroup: its BPF statistics in the plain row show that.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SIZE=64 SECS=3 HZ=2999 REPS=1 MODES=plain,bare,accel PLACE=same KEEP= JSON=
while getopts "s:t:F:r:m:p:k:jh" o; do
	case $o in
	s) SIZE=$OPTARG ;;
	t) SECS=$OPTARG ;;
	F) HZ=$OPTARG ;;
	r) REPS=$OPTARG ;;
	m) MODES=$OPTARG ;;
	p) PLACE=$OPTARG ;;
	k) KEEP=$OPTARG ;;
	j) JSON=1 ;;
	*) sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
[[ $SIZE =~ ^[1-9][0-9]*$ && $HZ =~ ^[1-9][0-9]*$ && $REPS =~ ^[1-9][0-9]*$ && $SECS =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
	{ echo "profile.sh: -s, -F, -r need positive integers, -t seconds" >&2; exit 2; }
case $PLACE in same | cross) ;; *) echo "profile.sh: -p same or cross" >&2; exit 2 ;; esac
IFS=, read -ra MODE_LIST <<<"$MODES"
for m in "${MODE_LIST[@]}"; do
	case $m in plain | accel | bare) ;; *) echo "profile.sh: unknown mode $m (plain, bare, accel)" >&2; exit 2 ;; esac
done
# Debian packages, installed when missing (as bench/run.sh does)
command -v perf >/dev/null && command -v bpftool >/dev/null && command -v jq >/dev/null ||
	"$ROOT/scripts/deps.sh" linux-perf bpftool jq
for c in perf bpftool jq; do
	command -v $c >/dev/null || { echo "profile.sh: $c is required (Debian: linux-perf, bpftool, jq)" >&2; exit 2; }
done
if [[ ,$MODES, == *,bare,* ]]; then
	[ -x "$BUILD_BARE/sockaccel-loader" ] ||
		{ echo "profile.sh: mode bare needs the floor build: make SA_BARE=1 OUTPUT=build-bare" >&2; exit 2; }
	BENCH_BARE=1
fi
[ -n "$KEEP" ] && { mkdir -p "$KEEP" || exit 2; }

# ids of the programs pinned in PIN (sockops, sk_msg, sock_create, and the
# links' programs: read tracking, destroy)
prog_ids() {
	local pin=$1 f
	for f in prog_sockops prog_sk_msg prog_sock_create; do
		[ -e "$pin/$f" ] && bpftool -j prog show pinned "$pin/$f" | jq .id
	done
	for f in "$pin"/link_*; do
		[ -e "$f" ] && bpftool -j link show pinned "$f" | jq .prog_id
	done
}
prog_stats() { # [{id, name (with its build), run_cnt, run_time_ns}] of our programs
	bpftool -j prog show | jq -c --argjson a "$IDS_ACCEL" --argjson b "$IDS_BARE" '[.[]
		| (if (.id as $i | $a | index($i)) then "accel" elif (.id as $i | $b | index($i)) then "bare" else null end) as $build
		| select($build != null)
		| {id, name: "\(.name) (\($build))", run_cnt: (.run_cnt // 0), run_time_ns: (.run_time_ns // 0)}]'
}

bench_setup
IDS_ACCEL=$(prog_ids "$PIN" | jq -s -c .)
IDS_BARE=$( [ -n "$PIN_BARE" ] && prog_ids "$PIN_BARE" | jq -s -c . || echo '[]')
OLD_KSYMS=$(sysctl -n net.core.bpf_jit_kallsyms 2>/dev/null || echo)
trap '[ -n "$OLD_KSYMS" ] && sysctl -qw net.core.bpf_jit_kallsyms="$OLD_KSYMS"; bench_cleanup' EXIT
# BPF programs by name in the profile
[ -n "$OLD_KSYMS" ] && sysctl -qw net.core.bpf_jit_kallsyms=1
# The statistics are on only during a second client run of each mode, never
# while perf records: every program run then reads the clock twice (pvclock in
# a VM), which showed as the largest item of the read-tracking bucket when
# both were on at once. stats_on/stats_off: bench/lib.sh.
# client MODE PORT SECS: one timed sa-pingpong client run, in the background
# for its pid (the profile counts the samples of this run's two processes
# only: other sessions may run sa-pingpong too); sets CLI and RESULT
client() {
	start_bg "$1" "$TMPD/client.out" $(cpu client) "$BUILD/sa-pingpong" client -c 127.0.0.1 -p "$2" \
		-s "$SIZE" -n 1000000000 -t "$3" -w 1000 -j
	CLI=$BG_PID
	wait "$CLI" || die "sa-pingpong client ($1) failed: $(tail -n 3 "$TMPD/client.out")"
	_forget "$CLI"
	RESULT=$(grep '^{' "$TMPD/client.out")
}
PLACEMENT=$PLACE
DATA=${KEEP:-$TMPD}
: >"$TMPD/buckets.tsv"
: >"$TMPD/runs.jsonl"

port=7500
for rep in $(seq "$REPS"); do
	for mode in $(order "$rep" "${MODE_LIST[@]}"); do
		port=$((port + 1))
		start_bg "$mode" "$TMPD/server.log" $(cpu server) "$BUILD/sa-pingpong" server -l 127.0.0.1 -p $port -s "$SIZE"
		srv=$BG_PID
		wait_listen $port "$srv" || die "sa-pingpong server did not start"
		[ "$(sysctl -n kernel.bpf_stats_enabled)" = 1 ] &&
			log "WARNING: kernel.bpf_stats_enabled is 1 (set by someone else): the profile includes its clock reads"
		# perf runs a little longer than the client; samples outside its run
		# are the idle server's, which sleeps in read()
		perf record -q -a -g -e cpu-clock -F "$HZ" -o "$DATA/perf-$mode-$rep.data" -- sleep "$(awk -v s="$SECS" 'BEGIN { print s + 1.5 }')" \
			>"$TMPD/perf.log" 2>&1 &
		perfpid=$!
		BG_PIDS+=("$perfpid")
		sleep 0.5
		client "$mode" $port "$SECS"
		result=$RESULT
		wait "$perfpid" || die "perf record failed: $(tail -n 3 "$TMPD/perf.log")"
		_forget "$perfpid"
		perf script -i "$DATA/perf-$mode-$rep.data" -F comm,tid,period,ip,sym 2>/dev/null |
			awk -v pids="$srv $CLI" -f "$BENCH_DIR/profile-buckets.awk" |
			sed "s/^/$mode\t/" >>"$TMPD/buckets.tsv"
		stop_bg "$srv"	# it served its one connection
		# the BPF statistics: a second run, without perf
		port=$((port + 1))
		start_bg "$mode" "$TMPD/server.log" $(cpu server) "$BUILD/sa-pingpong" server -l 127.0.0.1 -p $port -s "$SIZE"
		srv=$BG_PID
		wait_listen $port "$srv" || die "sa-pingpong server did not start"
		stats_on
		before=$(prog_stats)
		client "$mode" $port "$SECS"
		after=$(prog_stats)
		stats_off
		stop_bg "$srv"
		jq -c -n --arg mode "$mode" --argjson rep "$rep" --argjson r "$result" --argjson s "$RESULT" \
			--argjson a "$after" --argjson b "$before" '
			{mode: $mode, rep: $rep, rounds: $r.rounds, mean_us: $r.mean_us, p50_us: $r.p50_us,
			 stats_rounds: $s.rounds, stats_p50_us: $s.p50_us,
			 progs: [$a[] as $x | ($b[] | select(.id == $x.id)) as $y | select($x.run_cnt > $y.run_cnt)
				| {name: $x.name, runs: ($x.run_cnt - $y.run_cnt), ns: ($x.run_time_ns - $y.run_time_ns)}]}' \
			>>"$TMPD/runs.jsonl"
		log "profiled $mode rep $rep: $(jq -c '{rounds, mean_us, p50_us}' <<<"$result")"
	done
done
[ -n "$KEEP" ] && cp "$TMPD/buckets.tsv" "$TMPD/runs.jsonl" "$KEEP/"

# buckets.tsv: MODE GROUP BUCKET SAMPLES PERIOD_NS
report=$(jq -R -s -c 'split("\n") | map(select(length > 0) | split("\t")
		| {mode: .[0], group: .[1], bucket: .[2], samples: (.[3] | tonumber), ns: (.[4] | tonumber)})
		| group_by([.mode, .group, .bucket]) | map(.[0] + {samples: (map(.samples) | add), ns: (map(.ns) | add)})' "$TMPD/buckets.tsv" |
	jq -c --slurpfile runs "$TMPD/runs.jsonl" --arg size "$SIZE" --arg place "$PLACE" --argjson hz "$HZ" '. as $b |
	($runs | group_by(.mode) | map({key: .[0].mode, value: {
		rounds: (map(.rounds) | add), stats_rounds: (map(.stats_rounds) | add), stats_p50_us: (map(.stats_p50_us) | sort | .[length / 2 | floor]), mean_us: (map(.mean_us) | add / length * 1000 | round / 1000), p50_us: (map(.p50_us) | sort | .[length / 2 | floor]),
		progs: (map(.progs[]) | group_by(.name) | map({name: .[0].name, runs: (map(.runs) | add), ns: (map(.ns) | add)}))}})
	 | from_entries) as $r |
	{size: ($size | tonumber), placement: $place, hz: $hz,
	 modes: [$r | to_entries[] | .key as $m | .value as $v |
		([$b[] | select(.mode == $m and .group == "app")]) as $app |
		($app | map(.ns) | add // 0) as $tot |
		{mode: $m, rounds: $v.rounds, mean_us: $v.mean_us, p50_us: $v.p50_us,
		 cpu_us_per_rt: ($tot / 1000 / $v.rounds),
		 samples: ($app | map(.samples) | add // 0),
		 buckets: ($app | sort_by(-.ns) | map({bucket, share_pct: (100 * .ns / $tot), us_per_rt: (.ns / 1000 / $v.rounds)})),
		 kworker_backlog_us_per_rt: (([$b[] | select(.mode == $m and .group == "kworker") | .ns] | add // 0) / 1000 / $v.rounds),
		 stats_rounds: $v.stats_rounds, stats_p50_us: $v.stats_p50_us,
		 bpf_stats: ($v.progs | map(. + {runs_per_rt: (.runs / $v.stats_rounds), ns_per_run: (if .runs > 0 then .ns / .runs else 0 end),
			ns_per_rt: (.ns / $v.stats_rounds)})),
		 bpf_profile: ([$b[] | select(.mode == $m and (.group | startswith("bpf_prog:")))]
			| map({prog: (.group | ltrimstr("bpf_prog:")), samples}))}]}')

if [ -n "$JSON" ]; then
	echo "$report"
	exit 0
fi
jq -r '
	def r2: . * 100 | round / 100;
	def pad($n): tostring | if length < $n then . + " " * ($n - length) else . end;
	def lpad($n): tostring | if length < $n then " " * ($n - length) + . else . end;
	. as $all | [.modes[].mode] as $ms |
	"\(.size) B request/response, \(.placement) CPU placement, perf cpu-clock at \(.hz) Hz",
	"",
	(.modes[] | "\(.mode): \(.rounds) round trips, p50 \(.p50_us) us, mean \(.mean_us) us; sa-pingpong CPU \(.cpu_us_per_rt | r2) us per round trip (\(.samples) samples)"),
	"",
	"us of CPU per round trip (share of the mode'"'"'s sa-pingpong samples)",
	(("bucket" | pad(44)) + ($ms | map(lpad(16)) | join(""))),
	(([.modes[].buckets[].bucket] | unique) as $bs | $bs
	 | map(. as $k | {k: $k, v: [$all.modes[] | (.buckets[] | select(.bucket == $k)) // {us_per_rt: 0, share_pct: 0}]})
	 | sort_by(-(.v | map(.us_per_rt) | max))[]
	 | (.k | pad(44)) + (.v | map("\(.us_per_rt | r2) (\(.share_pct | round)%)" | lpad(16)) | join(""))),
	(("total" | pad(44)) + (.modes | map(.cpu_us_per_rt | r2 | lpad(16)) | join(""))),
	(("kworker sk_psock_backlog (not in total)" | pad(44)) + (.modes | map(.kworker_backlog_us_per_rt | r2 | lpad(16)) | join(""))),
	"",
	"BPF run-time statistics of this run'"'"'s programs (accel and bare builds) during a second run of each mode",
	"without perf (p50 with the statistics on: \([.modes[] | "\(.mode) \(.stats_p50_us) us"] | join(", ")))",
	(("mode" | pad(8)) + ("program" | pad(18)) + ("runs/rt" | lpad(9)) + ("ns/run" | lpad(9)) + ("ns/rt" | lpad(9))),
	(.modes[] as $m | $m.bpf_stats[] | ($m.mode | pad(8)) + (.name | pad(18)) + (.runs_per_rt | r2 | lpad(9))
		+ (.ns_per_run | round | lpad(9)) + (.ns_per_rt | round | lpad(9)))' <<<"$report"
