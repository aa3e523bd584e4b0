#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What each sockaccel program costs per unit of work, from the kernel's own BPF
# run-time statistics (run count and nanoseconds per program). Not a
# throughput measurement: time spent in the programs and the helpers they call
# (map lookups and updates, socket-map insertion, storage allocation), which
# the ratios in bench/run.sh cannot split up. Workloads (-w):
#   connrate  sa-connrate's connect / one exchange / close loop; per connection
#   nginx     nginx (1 worker, CPU 1) serving 128 B, wrk -t1 -c16 (CPU 0) over
#             keep-alive connections, as in bench/run.sh; per request
#   rr        sa-pingpong request/response of SIZE bytes on one connection,
#             client and server on CPU 0, as bench/run.sh's rr; per round trip
#
#   bench/prog-cost.sh [-w WORKLOAD] [-r SIZE] [-t SECONDS] [-j]
#   BUILD=$PWD/build-bare bench/prog-cost.sh    # the floor build (make SA_BARE=1)
#
#   -w WORKLOAD  connrate (default), nginx or rr
#   -r SIZE   connrate: bytes of the one request/response per connection
#             (default 64; 0: none); rr: bytes each way (default 64)
#   -t SEC    measured seconds (default 3), after as long again to warm up
#   -j        JSON
#
# The statistics are switched on with a BPF_ENABLE_STATS fd for the measured
# run only (bench/lib.sh stats_on), never with the host-wide sysctl; they add
# two clock reads to every BPF program run of the host while on.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SIZE=64 SECS=3 JSON= WORK=connrate
while getopts "w:r:t:jh" o; do
	case $o in
	w) WORK=$OPTARG ;;
	r) SIZE=$OPTARG ;;
	t) SECS=$OPTARG ;;
	j) JSON=1 ;;
	*) sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
case $WORK in
connrate | nginx | rr) ;;
*) echo "prog-cost.sh: -w takes connrate, nginx or rr, not '$WORK'" >&2; exit 2 ;;
esac

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

# window CMD...: run the workload's client once to warm up (fill the maps),
# then once more with the statistics on; BEFORE/AFTER are the programs' counts
# around the second run, FG_OUT its output.
window() {
	run_in accel $(cpu client) "$@" || die "$1 (warm-up) failed"
	stats_on
	BEFORE=$(progs)
	run_in accel $(cpu client) "$@" || die "$1 failed"
	AFTER=$(progs)
	stats_off
}
# serve PORT NAME CMD...: the workload's server in the accel cgroup, on the
# server CPU, until it listens on PORT; sets SRV.
serve() {
	local port=$1 name=$2
	shift 2
	start_bg accel "$TMPD/$name.log" $(cpu server) "$@"
	SRV=$BG_PID
	wait_listen "$port" "$SRV" || die "$name did not start"
}
# measure_WORKLOAD: serve, window its client, stop the server;
# sets RESULT {units, unit, rate[, p50_us]}.
measure_connrate() {
	local port=7390
	serve $port sa-connrate "$BUILD/sa-connrate" server -l 127.0.0.1 -p $port -r "$SIZE"
	window "$BUILD/sa-connrate" client -c 127.0.0.1 -p $port -r "$SIZE" -t "$SECS" -j
	stop_bg "$SRV"
	RESULT=$(jq -c '{units: .conns, unit: "connection", rate: .conns_per_s, p50_us}' <<<"$FG_OUT")
}
measure_nginx() {
	command -v nginx >/dev/null && command -v wrk >/dev/null || die "nginx and wrk are needed for -w nginx"
	. "$BENCH_DIR/m-servers.sh"
	mkdir -p "$TMPD/www"
	head -c 128 /dev/urandom >"$TMPD/www/small.bin"
	chmod -R a+rX "$TMPD/www"
	serve "${NGINX_PORT[accel]}" nginx nginx -c "$(nginx_conf accel)" -e "$TMPD/nginx-accel/error.log"
	window wrk -t1 -c16 -d"${SECS}s" "http://127.0.0.1:${NGINX_PORT[accel]}/small.bin"
	stop_bg "$SRV"
	grep -q 'Non-2xx\|Socket errors' <<<"$FG_OUT" && die "wrk saw errors: $FG_OUT"
	RESULT=$(jq -n -c --argjson n "$(awk '/requests in/ { print $1 }' <<<"$FG_OUT")" \
		--argjson r "$(awk '/Requests\/sec/ { print $2 }' <<<"$FG_OUT")" '{units: $n, unit: "request", rate: $r}')
}

measure_rr() {
	local port=7391 PLACEMENT=same	# one CPU, as the target "64 B rr, one CPU"
	# -n 2: window runs the client twice
	serve $port sa-pingpong "$BUILD/sa-pingpong" server -l 127.0.0.1 -p $port -s "$SIZE" -n 2
	window "$BUILD/sa-pingpong" client -c 127.0.0.1 -p $port -s "$SIZE" -n 1000000000 -t "$SECS" -w 1000 -j
	stop_bg "$SRV"
	RESULT=$(grep '^{' <<<"$FG_OUT" | jq -c --argjson t "$SECS" '{units: .rounds, unit: "round trip", rate: (.rounds / $t), p50_us}')
}

bench_setup
IDS=$(our_ids | jq -s -c .)
"measure_$WORK"

report=$(jq -n --argjson a "$AFTER" --argjson b "$BEFORE" --argjson r "$RESULT" --arg build "$BUILD" --arg w "$WORK" '
	($r.units) as $n |
	[ $a[] as $x | ($b[] | select(.id == $x.id)) as $y |
	  select($x.run_cnt > $y.run_cnt) |
	  { program: $x.name,
	    runs_per_unit: (($x.run_cnt - $y.run_cnt) / $n),
	    ns_per_run: (($x.run_time_ns - $y.run_time_ns) / ($x.run_cnt - $y.run_cnt)),
	    ns_per_unit: (($x.run_time_ns - $y.run_time_ns) / $n) } ] as $p |
	{ build: $build, workload: $w, unit: $r.unit, units: $n, per_s: $r.rate, p50_us: $r.p50_us,
	  programs: $p, total_ns_per_unit: ([$p[].ns_per_unit] | add // 0) }')
if [ -n "$JSON" ]; then
	echo "$report"
else
	jq -r '({request: "req", connection: "conn", "round trip": "rt"}[.unit]) as $u |
		"build \(.build), \(.workload): \(.units) \(.unit)s, \(.per_s | floor)/s\(if .p50_us then ", p50 \(.p50_us) us" else "" end)\n" +
		"program          runs/\($u)   ns/run  ns/\($u)",
		(.programs[] | "\(.program | .[0:16] | . + " " * (16 - length)) \(.runs_per_unit * 100 | round / 100 | tostring | " " * (9 - length) + .)  \(.ns_per_run | round | tostring | " " * (7 - length) + .)  \(.ns_per_unit | round | tostring | " " * (7 - length) + .)"),
		"total                                \(.total_ns_per_unit | round | tostring | " " * (7 - length) + .)"' <<<"$report"
fi
