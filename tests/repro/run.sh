#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Reproducer: handshake resets and children built twice with a bare SOCKHASH
# insertion at PASSIVE_ESTABLISHED (see README.md). As root:
#
#   make -C tests/repro && tests/repro/run.sh [-n CONNS] [-r ROUNDS] [-t] [MODE...]
#
# MODE (default: plain both both+guard): see repro-bpf.c (plain noop passive
# active both; suffix +msg also attaches the naive sk_msg redirect, +guard the
# reset guard (the workaround), e.g. both+guard).
# Each round runs every mode once, one after the other, each in a fresh netns
# whose lo has `tbf rate 20mbit burst 3000 latency 50ms`, with a CPU hog
# running, tcp_tw_reuse=0. -t: keep the traces (resets with their kernel stacks).
# Cleans up (processes by pid, netns, cgroups) on any exit.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
B=${REPRO_BUILD:-$HERE/build}
CONNS=10000 ROUNDS=1 KEEP=0 PORT=5000
while getopts "n:r:t" o; do
	case $o in
	n) CONNS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	t) KEEP=1 ;;
	*) echo "usage: $0 [-n CONNS] [-r ROUNDS] [-t] [MODE...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(plain both both+guard)

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for b in repro-bpf repro-churn; do
	[ -x "$B/$b" ] || { echo "$B/$b missing: make -C $HERE" >&2; exit 1; }
done
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$CG2" ] || { echo "no cgroup2 mount" >&2; exit 1; }
if ! awk '$5 == "/sys/kernel/tracing" { f = 1 } END { exit !f }' /proc/self/mountinfo; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi

TAG=repro-$$
TMP=$(mktemp -d "/tmp/$TAG.XXXXXX")
PIDS=() NSS=() CGS=()

cleanup() {
	local p c ns i
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for c in "${CGS[@]}"; do
		[ -d "$c" ] || continue
		# our cgroups only: anything still inside was started by this script
		[ -w "$c/cgroup.kill" ] && echo 1 >"$c/cgroup.kill"
		for i in $(seq 50); do rmdir "$c" 2>/dev/null && break; sleep 0.1; done
	done
	for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ "$KEEP" = 1 ]; then echo "traces kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_line() {	# FILE REGEX SECONDS PID
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

in_cg_ns() {	# CG NS CMD... (exec; cgroup first: `ip netns exec` hides cgroup2)
	local cg=$1 ns=$2
	shift 2
	echo "$BASHPID" >"$cg/cgroup.procs" || exit 126
	exec ip netns exec "$ns" "$@"
}

hogcg=$CG2/$TAG-hog
mkdir "$hogcg" && CGS+=("$hogcg")
( echo "$BASHPID" >"$hogcg/cgroup.procs"; exec bash -c 'while :; do :; done' ) &
PIDS+=($!)

printf '%-11s %7s %6s %6s %6s %8s %8s %6s %6s %s\n' mode conns ok reset other passive active dupchild guard "resets sent in the netns, by state/reason (s10/r6: listener, TCP_FLAGS)"
run_one() {	# IDX MODE
	local i=$1 mode=$2 ns=$TAG-$1 cg=$CG2/$TAG-$1 ino bpid spid msg=() m=${2%%+*} c s
	[[ $mode == *+msg* ]] && msg+=(--msg)
	[[ $mode == *+guard* ]] && msg+=(--guard)
	ip netns add "$ns" && NSS+=("$ns") || return 1
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=0 "net.ipv4.ip_local_port_range=1024 65000"
	tc -n "$ns" qdisc add dev lo root tbf rate ${TBF_RATE:-20mbit} burst 3000 latency 50ms || return 1
	mkdir "$cg" && CGS+=("$cg") || return 1
	ino=$(ip netns exec "$ns" stat -L -c %i /proc/self/ns/net)
	"$B/repro-bpf" --mode "$m" --cgroup "$cg" "${msg[@]}" --netns-ino "$ino" \
		--trace "$TMP/trace-$i.txt" >"$TMP/bpf-$i.out" 2>&1 &
	bpid=$!; PIDS+=($bpid)
	wait_line "$TMP/bpf-$i.out" ready 30 $bpid || { cat "$TMP/bpf-$i.out" >&2; return 1; }
	( in_cg_ns "$cg" "$ns" "$B/repro-churn" server -p $PORT ) >"$TMP/server-$i.out" 2>&1 &
	spid=$!; PIDS+=($spid)
	wait_line "$TMP/server-$i.out" listening 10 $spid || { cat "$TMP/server-$i.out" >&2; return 1; }
	( in_cg_ns "$cg" "$ns" "$B/repro-churn" client -p $PORT -n "$CONNS" ) >"$TMP/client-$i.out" 2>&1
	sleep 1
	kill -TERM "$spid"; wait "$spid" 2>/dev/null
	ip netns exec "$ns" nstat -asz >"$TMP/nstat-$i.txt" 2>/dev/null
	tc -n "$ns" -s qdisc show dev lo >"$TMP/tc-$i.txt" 2>/dev/null
	kill -TERM "$bpid"; wait "$bpid" 2>/dev/null
	c=$(cat "$TMP/client-$i.out")
	get() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
	nst() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$TMP/nstat-$i.txt"; }
	printf '%-11s %7s %6s %6s %6s %8s %8s %6s %6s %s\n' "$mode" "$CONNS" "$(get ok "$c")" \
		"$(get reset "$c")" "$(get other "$c")" "$(nst TcpPassiveOpens)" "$(nst TcpActiveOpens)" \
		"$(grep -c 'STATE .* a=3 b=7' "$TMP/trace-$i.txt")" \
		"$(get guard_dropped_rst "$(tail -1 "$TMP/bpf-$i.out")")" \
		"$(awk '/SEND_RST/ { split($6, a, "="); split($7, b, "="); n["state" a[2] "/reason" b[2]]++ }
			END { for (k in n) printf "%s:%d ", k, n[k] }' "$TMP/trace-$i.txt")"
	{ echo "== $mode (run $i): $c / $(head -1 "$TMP/server-$i.out") / bpf: $(tail -1 "$TMP/bpf-$i.out")"
	  grep -o 'Sent.*' "$TMP/tc-$i.txt" | head -1
	  awk '$1 ~ /Rst|Reset|Abort|Overflow|Drop|Passive|Active|Retrans|Embryonic/ && $2 != 0 { printf "%s=%s ", $1, $2 }' "$TMP/nstat-$i.txt"; echo
	} >>"$TMP/details.txt"
	ip netns del "$ns"
	rmdir "$cg" 2>/dev/null
}

idx=0
for ((r = 0; r < ROUNDS; r++)); do
	for mode in "${MODES[@]}"; do
		idx=$((idx + 1))
		run_one $idx "$mode" || echo "$mode: setup failed" >&2
	done
done
echo
cat "$TMP/details.txt"
