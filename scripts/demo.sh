#!/usr/bin/env bash
# sockaccel demo: iperf3 and a 64-byte ping-pong in a fresh network namespace
# with two fresh cgroups, one attached: plain and accelerated runs alternate,
# medians are compared; then the counters.
# Everything it creates (cgroup, netns, pin dir, processes) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build

[ "$(id -u)" -eq 0 ] || { echo "demo: must be run as root" >&2; exit 1; }
. scripts/lib.sh
CG2=$(cg2_mount)
[ -n "$CG2" ] || { echo "demo: no cgroup v2 hierarchy mounted" >&2; exit 1; }

ID=$$
CG_PLAIN=$CG2/sockaccel-demo-plain-$ID
CG_ACCEL=$CG2/sockaccel-demo-accel-$ID
NS=sademo-$ID
PIN=/sys/fs/bpf/sockaccel-demo-$ID
CTL="$B/sockaccelctl --pin-dir $PIN"
REPS=${REPS:-3}
PIDS=()
TMP=$(mktemp -d)

cleanup() {
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -d "$PIN" ] && $CTL teardown --force >/dev/null
	ip netns del "$NS" 2>/dev/null
	for cg in "$CG_PLAIN" "$CG_ACCEL"; do [ -d "$cg" ] && rmdir "$cg" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run a command inside cgroup $1 and the demo netns. The cgroup comes first:
# `ip netns exec` remounts /sys, hiding the cgroup2 mount.
in_demo() { bash -c 'echo $$ > "$0/cgroup.procs" && exec ip netns exec "$1" "${@:2}"' "$1" "$NS" "${@:2}"; }

wait_listen() {
	for _ in $(seq 50); do ip netns exec "$NS" ss -ltn 2>/dev/null | grep -q ":$1 " && return; sleep 0.1; done
}

# iperf3 server on [::] (dual-stack), client to 127.0.0.1; prints Gbit/s.
run_iperf() {
	in_demo "$1" iperf3 -s -1 -p 5201 >/dev/null 2>&1 & PIDS+=($!)
	local srv=$!
	wait_listen 5201
	in_demo "$1" iperf3 -c 127.0.0.1 -p 5201 -t 2 -J > "$TMP/iperf.json"
	wait "$srv" 2>/dev/null || true
	jq -r '.end.sum_received.bits_per_second / 1e9' "$TMP/iperf.json"
}

# 64-byte request/response; prints the mean full round trip in microseconds.
run_pingpong() {
	in_demo "$1" "$B/sa-pingpong" server -l 127.0.0.1 -p 7000 & PIDS+=($!)
	local srv=$!
	wait_listen 7000
	in_demo "$1" "$B/sa-pingpong" client -c 127.0.0.1 -p 7000 -s 64 -n 30000 -j > "$TMP/pp.json"
	wait "$srv" 2>/dev/null || true
	jq -r '.mean_us' "$TMP/pp.json"
}

median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

mkdir "$CG_PLAIN" "$CG_ACCEL"
ip netns add "$NS"
ip -n "$NS" link set lo up

echo "== sockaccel demo"
echo "   netns $NS; cgroups $CG_PLAIN (plain) and $CG_ACCEL (accelerated)"
echo "-- attaching sockaccel to the accelerated cgroup only"
"$B/sockaccel-loader" --pin-dir "$PIN" "$CG_ACCEL"
echo "-- $REPS rounds, each: plain first, then accelerated (same netns, same moment)"
for r in $(seq "$REPS"); do
	for mode in plain accel; do
		cg=$CG_PLAIN; [ $mode = accel ] && cg=$CG_ACCEL
		run_iperf "$cg" >> "$TMP/tput.$mode"
		run_pingpong "$cg" >> "$TMP/rtt.$mode"
	done
	printf '   round %d: iperf3 %6.2f / %6.2f Gbit/s, 64 B ping-pong %6.2f / %6.2f us (plain / accelerated)\n' "$r" \
		"$(tail -1 "$TMP/tput.plain")" "$(tail -1 "$TMP/tput.accel")" \
		"$(tail -1 "$TMP/rtt.plain")" "$(tail -1 "$TMP/rtt.accel")"
done

pt=$(median < "$TMP/tput.plain"); at=$(median < "$TMP/tput.accel")
pr=$(median < "$TMP/rtt.plain"); ar=$(median < "$TMP/rtt.accel")
echo
printf '%-34s %12s %12s %8s\n' "median of $REPS" "plain TCP" "sockaccel" "ratio"
printf '%-34s %12s %12s %8s\n' "iperf3 throughput (Gbit/s)" "$pt" "$at" \
	"$(awk -v a="$at" -v p="$pt" 'BEGIN { printf "%.2fx", a / p }')"
printf '%-34s %12s %12s %8s\n' "64 B ping-pong round trip (us)" "$pr" "$ar" \
	"$(awk -v a="$ar" -v p="$pr" 'BEGIN { printf "%.2fx", a / p }')"
echo
echo "-- sockaccelctl stats"
$CTL stats
echo
echo "-- tearing down"
$CTL teardown
