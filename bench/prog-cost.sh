#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What each sockaccel program costs per connection, from the kernel's own BPF
# run-time statistics (kernel.bpf_stats_enabled: run count and nanoseconds per
# program), over sa-connrate's connect / one exchange / close loop. Not a
# throughput measurement: time spent in the programs and the helpers they call
# (map updates, socket-map insertion, storage allocation), which the
# connection-rate ratio in bench/run.sh cannot split up.
#
#   bench/prog-cost.sh [-r SIZE] [-t SECONDS] [-j]
#   BUILD=$PWD/build-bare bench/prog-cost.sh    # the floor build (make SA_BARE=1)
#
#   -r SIZE   bytes of the one request/response per connection (default 64; 0: none)
#   -t SEC    measured seconds (default 3), after as long again to fill the maps
#   -j        JSON
#
# The statistics are switched on with a BPF_ENABLE_STATS fd for the measured
# run only (bench/lib.sh stats_on), never with the host-wide sysctl; they add
# two clock reads to every BPF program run of the host while on.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SIZE=64 SECS=3 JSON=
while getopts "r:t:jh" o; do
	case $o in
	r) SIZE=$OPTARG ;;
	t) SECS=$OPTARG ;;
	j) JSON=1 ;;
	*) sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done

# The programs of this run's pins only (another sockaccel may run on the host).
our_ids() {
	local f
	for f in prog_sockops prog_sk_msg prog_sock_create; do
		bpftool -j prog show pinned "$PIN/$f" | jq .id
	done
	for f in link_rx_track link_sock_destroy; do
		[ -e "$PIN/$f" ] && bpftool -j link show pinned "$PIN/$f" | jq .prog_id
	done
}
progs() {
	bpftool -j prog show | jq -c --argjson ids "$IDS" '[.[] | select(.id as $i | $ids | index($i)) |
		{id, name, run_cnt: (.run_cnt // 0), run_time_ns: (.run_time_ns // 0)}]'
}

bench_setup
IDS=$(our_ids | jq -s -c .)

port=7390
start_bg accel "$TMPD/server.log" $(cpu server) "$BUILD/sa-connrate" server -l 127.0.0.1 -p $port -r "$SIZE"
srv=$BG_PID
wait_listen $port "$srv" || die "sa-connrate server did not start"
run_in accel $(cpu client) "$BUILD/sa-connrate" client -c 127.0.0.1 -p $port -r "$SIZE" -t "$SECS" -j ||
	die "sa-connrate (fill) failed"
stats_on
before=$(progs)
run_in accel $(cpu client) "$BUILD/sa-connrate" client -c 127.0.0.1 -p $port -r "$SIZE" -t "$SECS" -j ||
	die "sa-connrate failed"
result=$FG_OUT
after=$(progs)
stats_off
stop_bg "$srv"

report=$(jq -n --argjson a "$after" --argjson b "$before" --argjson r "$result" --arg build "$BUILD" '
	($r.conns) as $n |
	[ $a[] as $x | ($b[] | select(.id == $x.id)) as $y |
	  select($x.run_cnt > $y.run_cnt) |
	  { program: $x.name,
	    runs_per_conn: (($x.run_cnt - $y.run_cnt) / $n),
	    ns_per_run: (($x.run_time_ns - $y.run_time_ns) / ($x.run_cnt - $y.run_cnt)),
	    ns_per_conn: (($x.run_time_ns - $y.run_time_ns) / $n) } ] as $p |
	{ build: $build, conns: $n, conns_per_s: $r.conns_per_s, p50_us: $r.p50_us,
	  programs: $p, total_ns_per_conn: ([$p[].ns_per_conn] | add // 0) }')
if [ -n "$JSON" ]; then
	echo "$report"
else
	jq -r '"build \(.build): \(.conns) connections, \(.conns_per_s | floor)/s, p50 \(.p50_us) us\n" +
		"program          runs/conn   ns/run  ns/conn",
		(.programs[] | "\(.program | .[0:16] | . + " " * (16 - length)) \(.runs_per_conn * 100 | round / 100 | tostring | " " * (9 - length) + .)  \(.ns_per_run | round | tostring | " " * (7 - length) + .)  \(.ns_per_conn | round | tostring | " " * (7 - length) + .)"),
		"total                                \(.total_ns_per_conn | round | tostring | " " * (7 - length) + .)"' <<<"$report"
fi
