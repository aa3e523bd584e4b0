#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# sockaccel benchmarks: plain TCP vs sockaccel vs AF_UNIX, side by side, in one
# run, alternating, repeated. Reports figures; never passes or fails on them.
#
#   bench/run.sh [--quick] [--reps N] [--only LIST] [--out DIR] [--no-deps]
#
#   --quick      short runs and a smaller matrix (3-4 minutes)
#   --reps N     repetitions of every measurement (default 3; medians need >= 3)
#   --only LIST  comma-separated subset of:
#                iperf3,demo,rr,connrate,redis,nginx,memcached,pgbench,latency
#   --out DIR    results directory (default bench/results)
#   --no-deps    do not install missing Debian packages
#   --no-pin     let the scheduler place processes (default: client on CPU 0,
#                server on CPU 1; request/response also both on CPU 0)
#   --no-bare    do not load the floor build (build-bare, `make SA_BARE=1
#                OUTPUT=build-bare`) as a third mode "bare" next to plain and
#                accel (it is loaded, when built, for every item but iperf3)
#   --aa         iperf3 also runs an A/A mode: plain TCP again, on its own
#                server ("aa"), to show what the noise alone makes of a ratio
#
# Writes DIR/<date>-<host>.json (every repetition), DIR/latest.md and PNG plots
# (a --quick run writes *-quick.json, latest-quick.md and *-quick.png instead).
# Everything runs in a fresh network namespace; "plain" and "accel" are two
# cgroups, sockaccel attached to the second one only, with a private pin dir.
# Needs root. Exit status 0 unless the harness itself failed.
set -uo pipefail

. "$(dirname "$0")/lib.sh"
. "$BENCH_DIR/m-iperf3.sh"
. "$BENCH_DIR/m-rr.sh"
. "$BENCH_DIR/m-connrate.sh"
. "$BENCH_DIR/m-servers.sh"
. "$BENCH_DIR/m-services.sh"
. "$BENCH_DIR/m-latency.sh"

IPERF_AA= QUICK= REPS=3 ONLY=iperf3,demo,rr,connrate,redis,nginx,memcached,pgbench,latency OUT=$ROOT/bench/results DEPS=1 BARE=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--reps) REPS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--out) OUT=$2; shift ;;
	--no-deps) DEPS= ;;
	--no-pin) PIN_CPUS=0 ;;
	--no-bare) BARE= ;;
	--aa) IPERF_AA=1 ;;
	-h | --help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
# Narrowing a matrix for an experiment: BENCH_IPERF_SIZES="64 1048576" etc.
if [ -n "${BENCH_IPERF_SIZES:-}" ]; then read -ra BENCH_IPERF_SIZES_A <<<"$BENCH_IPERF_SIZES"; fi
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --reps needs a positive number" >&2; exit 2; }

if [ -n "$QUICK" ]; then
	IPERF_SIZES=(64 131072) IPERF_TIME=1
	RR_SIZES=(64 1024 16384) RR_ROUNDS=1000000 RR_TIME=0.2 RR_WARMUP=200 RR_PLACEMENTS=(cross same)
	SOCKPERF_SIZES=(64) SOCKPERF_TIME=1 SOCKPERF_REPS=1
	CONNRATE_VARIANTS=(0) CONNRATE_TIME=0.5
	REDIS_REQUESTS=10000 REDIS_CLIENTS=50
	WRK_TIME=1 WRK_CONNS=16 DEMO_TIME=1
	MC_TIME=1 MC_CONNS=16 PG_TIME=1 PG_CLIENTS=4
else
	IPERF_SIZES=(64 256 1024 4096 16384 65536 131072 1048576) IPERF_TIME=3
	RR_SIZES=(64 1024 16384) RR_ROUNDS=1000000 RR_TIME=2 RR_WARMUP=1000 RR_PLACEMENTS=(cross same)
	SOCKPERF_SIZES=(64 1024 16384) SOCKPERF_TIME=3 SOCKPERF_REPS=$REPS
	CONNRATE_VARIANTS=(0 64) CONNRATE_TIME=2
	REDIS_REQUESTS=100000 REDIS_CLIENTS=50
	WRK_TIME=4 WRK_CONNS=16 DEMO_TIME=2
	MC_TIME=3 MC_CONNS=16 PG_TIME=3 PG_CLIENTS=4
fi
[ -n "${BENCH_IPERF_SIZES_A:-}" ] && IPERF_SIZES=("${BENCH_IPERF_SIZES_A[@]}")

install_deps() {
	local pkgs=(iperf3 sockperf redis-server redis-tools wrk gnuplot-nox jq memcached libmemcached-tools postgresql)
	local before after p made_policy=
	command -v nginx >/dev/null || pkgs+=(nginx-light)
	before=$( (pgrep -x nginx; pgrep -x redis-server; pgrep -x memcached; pgrep -x postgres) | sort)
	# keep package scripts from starting services (Debian policy-rc.d protocol)
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
	fi
	"$ROOT/scripts/deps.sh" "${pkgs[@]}" || log "WARNING: could not install all of: ${pkgs[*]}"
	[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
	# anything the installation started anyway: stop it by pid
	after=$( (pgrep -x nginx; pgrep -x redis-server; pgrep -x memcached; pgrep -x postgres) | sort)
	for p in $(comm -13 <(echo "$before") <(echo "$after")); do
		log "stopping service started by package installation: pid $p ($(ps -o comm= -p "$p"))"
		kill "$p" 2>/dev/null
	done
}

wanted() { [[ ,$ONLY, == *,$1,* ]]; }

[ -n "$DEPS" ] && install_deps
command -v jq >/dev/null || die "jq is required"
command -v iperf3 >/dev/null || die "iperf3 is required"

# the floor build, where it has been built, as a third mode (the floor every
# target is read against: docs/benchmarks.md, "Targets")
SVC_MODES=(plain accel)
if [ -n "$BARE" ] && [ -x "$BUILD_BARE/sockaccel-loader" ] && [ -x "$BUILD_BARE/sockaccelctl" ]; then
	# loaded after iperf3: its (empty) read-tracking tracepoint program runs on
	# every recv of the host, plain ones included; iperf3's 64 B cells make
	# millions of them and have no floor target
	BENCH_BARE=1 BENCH_BARE_LOAD=later SVC_MODES=(plain accel bare)
fi

# The kernel's BPF run-time statistics (host-wide; anyone may switch them on)
# add two clock reads to every program run: the accelerated runs pay them,
# the plain ones hardly. Recorded and flagged, never changed here.
BPF_STATS0=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo unknown)
[ "$BPF_STATS0" = 1 ] && log "WARNING: kernel.bpf_stats_enabled is 1 (someone switched it on): accelerated figures pay two clock reads per BPF program run"

T0=$(date +%s)
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
HOST=$(hostname -s 2>/dev/null || hostname)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
bench_setup
log "bench: netns $NS, cgroups $CG_PLAIN (plain) and $CG_ACCEL (accel), pin dir $PIN${QUICK:+, quick}"

wanted iperf3 && bench_iperf3
[ "$BENCH_BARE" = 1 ] && bare_load
wanted demo && bench_demo
wanted rr && bench_rr
wanted connrate && bench_connrate
wanted redis && bench_redis
wanted nginx && bench_nginx
wanted memcached && bench_memcached
wanted pgbench && bench_pgbench
bare_unload
wanted latency && bench_latency

DURATION=$(($(date +%s) - T0))
mkdir -p "$OUT"
STAMP=$(date -u -d "$START" +%Y%m%d-%H%M%S)
SUFFIX=${QUICK:+-quick}
JSON=$OUT/$STAMP-$HOST$SUFFIX.json
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
lscpu=$(lscpu -J 2>/dev/null | jq -c '[.lscpu[] | {(.field | rtrimstr(":")): .data}] | add' 2>/dev/null) || lscpu=null
[ -n "$lscpu" ] || lscpu=null
vers=$(jq -n \
	--arg iperf3 "$(iperf3 --version 2>/dev/null | head -1)" \
	--arg sockperf "$(sockperf --version 2>&1 | grep -o 'version #[^ ]*' | head -1)" \
	--arg redis "$(redis-server --version 2>/dev/null)" \
	--arg nginx "$(nginx -v 2>&1)" \
	--arg wrk "$(wrk -v 2>&1 | head -1)" \
	--arg memcached "$(memcached -V 2>/dev/null)" \
	--arg postgres "$("$PG_BIN/postgres" -V 2>/dev/null)" \
	--arg clang "$(clang --version 2>/dev/null | head -1)" \
	'$ARGS.named')
jq -s --arg date "$START" --arg host "$HOST" --arg kernel "$(uname -r)" --arg kver "$(uname -v)" \
	--arg cpu "$cpu" --argjson ncpu "$(nproc)" --arg load0 "$LOAD0" --arg load1 "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--argjson quick "$([ -n "$QUICK" ] && echo true || echo false)" --argjson reps "$REPS" \
	--argjson duration "$DURATION" --argjson versions "$vers" --argjson lscpu "$lscpu" \
	--arg mem "$(awk '/^MemTotal/ { print $2 " " $3 }' /proc/meminfo)" \
	--arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)" \
	--arg plain_warning "${PLAIN_WARNING:-}" \
	--arg bpf_stats "$BPF_STATS0/$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo unknown)" \
	--argjson params "$(jq -n \
		--arg iperf_sizes "${IPERF_SIZES[*]}" --argjson iperf_time "$IPERF_TIME" \
		--arg rr_sizes "${RR_SIZES[*]}" --argjson rr_rounds "$RR_ROUNDS" --argjson rr_time "$RR_TIME" --argjson rr_warmup "$RR_WARMUP" \
		--arg sockperf_sizes "${SOCKPERF_SIZES[*]}" --argjson sockperf_time "$SOCKPERF_TIME" \
		--arg connrate_variants "${CONNRATE_VARIANTS[*]}" --argjson connrate_time "$CONNRATE_TIME" \
		--argjson redis_requests "$REDIS_REQUESTS" --argjson redis_clients "$REDIS_CLIENTS" \
		--argjson wrk_time "$WRK_TIME" --argjson demo_time "$DEMO_TIME" --argjson wrk_conns "$WRK_CONNS" --arg only "$ONLY" --argjson pin_cpus "$PIN_CPUS" --argjson mc_time "$MC_TIME" --argjson mc_conns "$MC_CONNS" --argjson pg_time "$PG_TIME" --argjson pg_clients "$PG_CLIENTS" --arg svc_modes "${SVC_MODES[*]}" --arg build_bare "$([ "$BENCH_BARE" = 1 ] && echo "$BUILD_BARE")" --arg rr_placements "${RR_PLACEMENTS[*]}" --argjson sockperf_reps "$SOCKPERF_REPS" '$ARGS.named')" \
	'{schema: 1,
	  meta: ({date: $date, host: $host, kernel: $kernel, kernel_version: $kver, cpu: $cpu, ncpu: $ncpu,
	         lscpu: $lscpu, memory: $mem,
	         loadavg_start: $load0, loadavg_end: $load1, quick: $quick, reps: $reps, duration_s: $duration,
	         git_commit: $commit, versions: $versions, params: $params, bpf_stats_enabled: $bpf_stats}
	        + ([(if $plain_warning != "" then $plain_warning else empty end),
	            (if ($bpf_stats | test("1")) then "kernel.bpf_stats_enabled was on (start/end: \($bpf_stats)): every BPF program run paid two clock reads" else empty end)]
	           | if length > 0 then {warning: join("; ")} else {} end)),
	  runs: .}' "$RAW" >"$JSON" || die "could not write $JSON"
log "wrote $JSON ($(jq '.runs | length' "$JSON") runs, ${DURATION}s)"
# a full run into the default directory also refreshes docs/benchmarks.md
docs=()
[ -z "$QUICK" ] && [ "$(cd "$OUT" && pwd)" = "$ROOT/bench/results" ] && [ -f "$ROOT/docs/benchmarks.md" ] &&
	docs=(--docs "$ROOT/docs/benchmarks.md")
"$BENCH_DIR/report.sh" "${docs[@]}" "$JSON" "$OUT" || log "WARNING: report.sh failed"
