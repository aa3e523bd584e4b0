#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Project-internal companion of run.sh (NOT part of the standalone reproducer):
# the t_setup_race.sh traffic (sa-integrity, 32 parallel, 2 KiB each way,
# --connect-send-now) with plain TCP, the floor build (make SA_BARE=1), the
# full sockaccel programs and the reproducer's own bare insertion, in the same
# run, one after the other, each in a fresh netns (tbf on lo, CPU hog,
# tcp_tw_reuse=0), with repro-bpf tracing resets and discarded children.
#
#   tests/repro/compare-sockaccel.sh [-n CONNS] [-r ROUNDS] [-t] [MODE...]
#   MODE: plain | repro | repromsg | bare | full | full+guard | plain+guard   (default: plain bare full)
#   (+guard: also the reproducer's reset guard, repro.bpf.c repro_rst_guard)
#   (repro: the reproducer's bare insertion, repromsg: plus its naive sk_msg redirect)
#   SA_BUILD (default <repo>/build), SA_BUILD_BARE (default <repo>/build-bare)
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
B=${REPRO_BUILD:-$HERE/build}
SA_BUILD=${SA_BUILD:-$ROOT/build}
SA_BUILD_BARE=${SA_BUILD_BARE:-$ROOT/build-bare}
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
[ ${#MODES[@]} -gt 0 ] || MODES=(plain bare full)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
awk '$5 == "/sys/fs/bpf" && $9 == "bpf" { f = 1 } END { exit !f }' /proc/self/mountinfo ||
	mount -t bpf bpf /sys/fs/bpf

TAG=repro-cmp-$$
TMP=$(mktemp -d "/tmp/$TAG.XXXXXX")
PIDS=() NSS=() CGS=() PINS=()
cleanup() {
	local p c ns i pin
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for pin in "${PINS[@]}"; do
		[ -d "$pin" ] || continue
		"$SA_BUILD/sockaccelctl" --pin-dir "$pin" teardown --force >/dev/null 2>&1
		rm -rf "$pin"
	done
	for c in "${CGS[@]}"; do
		[ -d "$c" ] || continue
		[ -w "$c/cgroup.kill" ] && echo 1 >"$c/cgroup.kill"
		for i in $(seq 50); do rmdir "$c" 2>/dev/null && break; sleep 0.1; done
	done
	for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ "$KEEP" = 1 ]; then echo "traces kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_line() { local i; for ((i = 0; i < $3 * 10; i++)); do grep -q "$2" "$1" 2>/dev/null && return 0; kill -0 "$4" 2>/dev/null || return 1; sleep 0.1; done; return 1; }
in_cg_ns() { local cg=$1 ns=$2; shift 2; echo "$BASHPID" >"$cg/cgroup.procs" || exit 126; exec ip netns exec "$ns" "$@"; }
wait_listen() {	# NS
	local i
	for ((i = 0; i < 200; i++)); do
		ip netns exec "$1" ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

hogcg=$CG2/$TAG-hog
mkdir "$hogcg" && CGS+=("$hogcg")
( echo "$BASHPID" >"$hogcg/cgroup.procs"; exec bash -c 'while :; do :; done' ) &
PIDS+=($!)

printf '%-10s %7s %7s %6s %6s %8s %6s %6s %6s %s\n' mode conns ok reset other passive dupchild hsrst guard "sent resets by state/reason"
run_one() {	# IDX MODE
	local msg= w i=$1 mode=$2 ns=$TAG-$1 cg=$CG2/$TAG-$1 pin=/sys/fs/bpf/$TAG-$1 ino bpid spid tmode=plain
	local common=(-p $PORT --conns "$CONNS" --parallel 32 --bytes 2K --sizes 1,7,100,512,1500 -t 600 --json)
	ip netns add "$ns" && NSS+=("$ns") || return 1
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=0 "net.ipv4.ip_local_port_range=1024 65000"
	tc -n "$ns" qdisc add dev lo root tbf rate ${TBF_RATE:-20mbit} burst 3000 latency 50ms || return 1
	mkdir "$cg" && CGS+=("$cg") || return 1
	ino=$(ip netns exec "$ns" stat -L -c %i /proc/self/ns/net)
	case $mode in
	plain) ;;
	repro) tmode=both ;;
	repromsg) tmode=both; msg=--msg ;;
	bare) PINS+=("$pin"); "$SA_BUILD_BARE/sockaccel-loader" --pin-dir "$pin" "$cg" >/dev/null || return 1 ;;
	full) PINS+=("$pin"); "$SA_BUILD/sockaccel-loader" --pin-dir "$pin" "$cg" >/dev/null || return 1 ;;
	full+guard) PINS+=("$pin"); "$SA_BUILD/sockaccel-loader" --pin-dir "$pin" "$cg" >/dev/null || return 1; msg=--guard ;;
	plain+guard) msg=--guard ;;
	*) echo "unknown mode $mode" >&2; return 1 ;;
	esac
	"$B/repro-bpf" --mode $tmode $msg --cgroup "$cg" --netns-ino "$ino" --trace "$TMP/trace-$i.txt" \
		${TRACE_RX:+--trace-rx} >"$TMP/bpf-$i.out" 2>&1 &
	bpid=$!; PIDS+=($bpid)
	wait_line "$TMP/bpf-$i.out" ready 30 $bpid || { cat "$TMP/bpf-$i.out" >&2; return 1; }
	( in_cg_ns "$cg" "$ns" "$SA_BUILD/sa-integrity" server -l 127.0.0.1 "${common[@]}" ) \
		>"$TMP/server-$i.json" 2>"$TMP/server-$i.err" &
	spid=$!; PIDS+=($spid)
	wait_listen "$ns" || return 1
	( in_cg_ns "$cg" "$ns" "$SA_BUILD/sa-integrity" client -c 127.0.0.1 --connect-send-now "${common[@]}" ) \
		>"$TMP/client-$i.json" 2>"$TMP/client-$i.err"
	# a connection reset during its handshake may never reach the server's
	# accept(): the server would wait for it until its timeout
	for ((w = 0; w < 200; w++)); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
	ip netns exec "$ns" nstat -asz >"$TMP/nstat-$i.txt" 2>/dev/null
	tc -n "$ns" -s qdisc show dev lo >"$TMP/tc-$i.txt" 2>/dev/null
	sleep 0.5
	kill -TERM "$bpid"; wait "$bpid" 2>/dev/null
	local guard=-
	if [ -d "$pin" ]; then
		guard=$("$SA_BUILD/sockaccelctl" --pin-dir "$pin" -j stats 2>/dev/null | jq -r '.rst_guard_dropped // "-"')
		"$SA_BUILD/sockaccelctl" --pin-dir "$pin" teardown --force >/dev/null 2>&1
		rm -rf "$pin"
	fi
	local ok rs other pas dup hs
	ok=$(jq .conns_ok "$TMP/client-$i.json")
	rs=$(jq -r '[.errors[]? | select(.msg | test("ECONNRESET"))] | length' "$TMP/client-$i.json")
	other=$(jq -r '[.errors[]? | select(.msg | test("ECONNRESET") | not)] | length' "$TMP/client-$i.json")
	pas=$(awk '$1 == "TcpPassiveOpens" { print $2 }' "$TMP/nstat-$i.txt")
	dup=$(grep -c 'STATE .* a=3 b=7' "$TMP/trace-$i.txt")
	# resets the listener sent for a segment that carries no FIN of a finished connection:
	# counted per client port that also shows up in a client-side RECV_RST in SYN_SENT/ESTABLISHED
	hs=$(grep -c 'RECV_RST .* r=5000 a=1 ' "$TMP/trace-$i.txt")
	printf '%-10s %7s %7s %6s %6s %8s %6s %6s %6s %s\n' "$mode" "$CONNS" "$ok" "$rs" "$other" "$pas" "$dup" "$hs" "$guard" \
		"$(awk '/SEND_RST/ { split($6, a, "="); split($7, b, "="); n["s" a[2] "/r" b[2]]++ }
			END { for (k in n) printf "%s:%d ", k, n[k] }' "$TMP/trace-$i.txt")"
	{ echo "== $mode (run $i) $(date +%T): $(tail -1 "$TMP/bpf-$i.out") $(jq -c '{conns_ok, timed_out, errors: [.errors[]?.msg][0:3]}' "$TMP/client-$i.json")"
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
