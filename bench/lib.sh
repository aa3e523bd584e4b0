# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared helpers for the sockaccel benchmarks; sourced by bench/run.sh.
#
# Environment after bench_setup:
#   NS            network namespace every TCP benchmark runs in (lo only)
#   CG_PLAIN      cgroup v2 directory without sockaccel ("plain")
#   CG_ACCEL      cgroup v2 directory with sockaccel attached ("accel")
#   CG_BARE       with BENCH_BARE=1: cgroup with the floor build attached ("bare":
#                 BUILD_BARE, default build-bare, `make SA_BARE=1 OUTPUT=build-bare`)
#   PIN_BARE      its pin directory (same bpffs instance); loaded by bench_setup,
#                 or with BENCH_BARE_LOAD=later by bare_load when needed
#   PIN           pin directory of this run, on a private bpffs instance mounted
#                 at $TMPD/bpffs (not /sys/fs/bpf: a bpffs mounted over
#                 /sys/fs/bpf by anyone else would hide the pins mid-run)
#   TMPD          scratch directory (configs, logs)
#   RAW           JSON-lines file: one record per measured run
# Modes: plain | accel | unix (AF_UNIX runs use the plain cgroup) | bare |
# aa (plain again, on its own server: iperf3's A/A check).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LOADER=$BUILD/sockaccel-loader
CTL=$BUILD/sockaccelctl
BUILD_BARE=${BUILD_BARE:-$ROOT/build-bare}
BENCH_BARE=${BENCH_BARE:-0}

BG_PIDS=()
NS= CG_BASE= CG_PLAIN= CG_ACCEL= CG_BARE= PIN= PIN_BARE= BPFFS= TMPD= RAW=

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

. "$ROOT/scripts/lib.sh"	# cg2_mount

cg_of() {
	case $1 in
	accel) echo "$CG_ACCEL" ;;
	plain | unix | aa) echo "$CG_PLAIN" ;;
	bare) [ -n "$CG_BARE" ] || die "no bare cgroup (BENCH_BARE=1 and a $BUILD_BARE build needed)"; echo "$CG_BARE" ;;
	*) die "unknown mode $1" ;;
	esac
}

# inmode MODE CMD...: run CMD in MODE's cgroup, inside the bench netns.
# The process joins the cgroup first (ip netns exec hides the cgroup2 mount).
_INMODE='cg=$1 ns=$2; shift 2; echo $$ > "$cg/cgroup.procs" && exec ip netns exec "$ns" "$@"'
inmode() {
	local cg
	cg=$(cg_of "$1") || return 1
	shift
	sh -c "$_INMODE" sh "$cg" "$NS" "$@"
}

# start_bg MODE LOG CMD...: like inmode, in the background; sets BG_PID.
# The pid stays the command's own (sh and ip netns exec both exec).
start_bg() {
	local cg log=$2
	cg=$(cg_of "$1") || return 1
	shift 2
	sh -c "$_INMODE" sh "$cg" "$NS" "$@" >"$log" 2>&1 </dev/null &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# run_fg CMD...: run CMD and wait for it with the `wait` builtin, so that an
# interrupt runs the trap at once (bash defers the trap, or skips it if CMD
# catches SIGINT itself, while a plain foreground command runs). CMD's stdout
# is left in FG_OUT; returns CMD's exit status.
run_fg() {
	local pid rc
	"$@" >"$TMPD/fg.out" </dev/null &
	pid=$!
	BG_PIDS+=("$pid")
	wait "$pid"
	rc=$?
	_forget "$pid"
	FG_OUT=$(<"$TMPD/fg.out")
	return $rc
}

# run_in MODE CMD...: run_fg in MODE's cgroup, inside the bench netns.
run_in() {
	local cg
	cg=$(cg_of "$1") || return 1
	shift
	run_fg sh -c "$_INMODE" sh "$cg" "$NS" "$@"
}

_forget() {
	local keep=() p
	for p in "${BG_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	BG_PIDS=("${keep[@]}")
}

# stop_bg PID: end one process we started (TERM, then KILL after 3 s).
stop_bg() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || break
			# a zombie child counts as alive for kill -0: reap it
			[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	_forget "$pid"
	return 0
}

# wait_listen PORT [PID]: wait (up to 10 s) until a TCP socket listens on PORT in NS.
wait_listen() {
	local port=$1 pid=${2:-} i
	for i in $(seq 500); do
		if ip netns exec "$NS" ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			log "server for port $port exited early"
			return 1
		fi
		sleep 0.02
	done
	log "nothing listens on port $port"
	return 1
}

# Counters recorded with every accelerated run (their differences).
STATS_KEYS=(redirected_bytes passed_bytes passed_no_peer_bytes sockets_added
	t_redirect_tcp_stream unmapped_connections t_redirect_tcp_slow_reader t_tcp_redirect t_slow_stream)

# stats [MODE]: the STATS_KEYS counters of this run's programs (of the bare
# build's for MODE bare), space-separated.
stats() {
	local q ctl=$CTL pin=$PIN
	[ "${1:-}" = bare ] && ctl=$BUILD_BARE/sockaccelctl pin=$PIN_BARE
	q=$(printf '\(.%s // 0) ' "${STATS_KEYS[@]}")
	"$ctl" --pin-dir "$pin" -j stats 2>/dev/null | jq -r "\"$q\"" 2>/dev/null ||
		printf '0 %.0s' "${STATS_KEYS[@]}"
}

# stats_delta BEFORE AFTER: JSON object with the counter differences.
stats_delta() {
	local -a b=($1) a=($2)
	local i out=
	for i in "${!STATS_KEYS[@]}"; do
		out+="${out:+,}\"${STATS_KEYS[$i]}\":$(( ${a[$i]:-0} - ${b[$i]:-0} ))"
	done
	printf '{%s}' "$out"
}

# record JSON...: append one run record (a JSON object) to RAW.
record() { jq -c . <<<"$*" >>"$RAW" || log "bad record: $*"; }

# order REP MODE...: the modes in the order of repetition REP (reversed on odd
# repetitions, so neither mode always runs first).
order() {
	local rep=$1
	shift
	if ((rep % 2)); then
		local i out=()
		for ((i = $#; i >= 1; i--)); do out+=("${!i}"); done
		echo "${out[@]}"
	else
		echo "$@"
	fi
}

# cpu client|server: "taskset -c N" placing the client on CPU 0 and the server
# on CPU 1 (different CPUs, the usual case for two busy processes), or nothing
# with --no-pin or on a single CPU. PLACEMENT=same puts the server on CPU 0 too.
NCPU=$(nproc)
PIN_CPUS=${PIN_CPUS:-1}
PLACEMENT=cross
cpu() {
	[ "$PIN_CPUS" = 1 ] && [ "$NCPU" -ge 2 ] || return 0
	if [ "$1" = server ] && [ "$PLACEMENT" = cross ]; then echo "taskset -c 1"; else echo "taskset -c 0"; fi
}
# cpupair: the "-a C1,C2" argument of sa-pingpong unix/ustream, or nothing
cpupair() {
	[ "$PIN_CPUS" = 1 ] && [ "$NCPU" -ge 2 ] || return 0
	if [ "$PLACEMENT" = cross ]; then echo "-a 0,1"; else echo "-a 0,0"; fi
}
placement() { if [ "$PIN_CPUS" = 1 ] && [ "$NCPU" -ge 2 ]; then echo "$PLACEMENT"; else echo any; fi; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

bench_cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	set +e
	for p in "${BG_PIDS[@]}"; do stop_bg "$p"; done
	[ -n "$PIN" ] && [ -d "$PIN" ] && "$CTL" --pin-dir "$PIN" teardown --force >/dev/null 2>&1
	[ -n "$PIN_BARE" ] && [ -d "$PIN_BARE" ] && "$BUILD_BARE/sockaccelctl" --pin-dir "$PIN_BARE" teardown --force >/dev/null 2>&1
	# unmounting our bpffs instance drops whatever a failed teardown left
	[ -n "$BPFFS" ] && mountpoint -q "$BPFFS" && { umount "$BPFFS" || umount -l "$BPFFS"; }
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	for p in "$CG_BARE" "$CG_ACCEL" "$CG_PLAIN" "$CG_BASE"; do
		[ -n "$p" ] && [ -d "$p" ] && rmdir "$p" 2>/dev/null
	done
	[ -n "$TMPD" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$TMPD"
	exit "$rc"
}

# cgroups_bpffs_setup NAME SUB...: the cgroup CG_BASE=<cgroup2>/sockaccel-NAME-$$
# with the subdirectories SUB..., and a private bpffs instance mounted at
# BPFFS=$TMPD/bpffs (not /sys/fs/bpf: a bpffs mounted over /sys/fs/bpf by
# anyone else would hide the pins mid-run). Shared by bench_setup and the
# soak's soak_setup; their cleanups remove both.
cgroups_bpffs_setup() {
	local cg2 name=$1 s subs=()
	shift
	cg2=$(cg2_mount)
	[ -n "$cg2" ] || die "no cgroup2 mount in /proc/self/mountinfo"
	CG_BASE=$cg2/sockaccel-$name-$$
	for s; do subs+=("$CG_BASE/$s"); done
	# the caller's cleanup knows the subdirectories only after we return
	mkdir "$CG_BASE" "${subs[@]}" || { rmdir "${subs[@]}" "$CG_BASE" 2>/dev/null; CG_BASE=; die "cannot create cgroups under $cg2"; }
	BPFFS=$TMPD/bpffs
	mkdir "$BPFFS" && mount -t bpf -o mode=0700 bpf "$BPFFS" || { BPFFS=; die "cannot mount bpffs on $TMPD/bpffs"; }
}

# stats_on / stats_off: the kernel's BPF run-time statistics (run count and ns
# per program), switched on with a bpf(BPF_ENABLE_STATS) fd held by a helper
# process for as long as it lives, not with the kernel.bpf_stats_enabled
# sysctl, which anyone on the host may set back to 0 mid-run and which would
# have to be restored. bpf() is syscall 321 on x86_64, 280 on arm64; command
# 32, BPF_STATS_RUN_TIME 0. Every program run reads the clock twice while on.
STATS_PID=
stats_on() {
	python3 -c 'import ctypes, os, sys, time
nr = {"x86_64": 321, "aarch64": 280}.get(os.uname().machine)
if nr is None:
    sys.exit("no bpf() syscall number for " + os.uname().machine)
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(16)
if libc.syscall(nr, 32, attr, 16) < 0:
    sys.exit("BPF_ENABLE_STATS: errno %d" % ctypes.get_errno())
print("on", flush=True)
time.sleep(86400)' >"$TMPD/stats.out" 2>&1 &
	STATS_PID=$!
	BG_PIDS+=("$STATS_PID")
	for _ in $(seq 50); do grep -q . "$TMPD/stats.out" && break; sleep 0.1; done
	grep -qx on "$TMPD/stats.out" || die "cannot switch on the BPF run-time statistics: $(cat "$TMPD/stats.out")"
}
stats_off() { [ -n "$STATS_PID" ] && stop_bg "$STATS_PID"; STATS_PID=; }

# bare_load / bare_unload: the floor build attached to CG_BARE, in its own pin
# dir. Its read-tracking tracepoint program runs on every recv of the host, so
# bench/run.sh loads it only around the measurements that use it.
bare_load() {
	PIN_BARE=$BPFFS/sockaccel-bench-bare-$$
	"$BUILD_BARE/sockaccel-loader" --pin-dir "$PIN_BARE" "$CG_BARE" >"$TMPD/loader-bare.log" 2>&1 ||
		{ cat "$TMPD/loader-bare.log" >&2; die "sockaccel-loader ($BUILD_BARE) failed"; }
	log "bare: $(tr '\n' ' ' <"$TMPD/loader-bare.log")"
}
bare_unload() {
	[ -n "$PIN_BARE" ] && [ -d "$PIN_BARE" ] || return 0
	"$BUILD_BARE/sockaccelctl" --pin-dir "$PIN_BARE" teardown --force >/dev/null 2>&1 ||
		log "WARNING: teardown of the bare build's pins failed"
	PIN_BARE=
}

bench_setup() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	[ -x "$LOADER" ] && [ -x "$CTL" ] || die "build first: make"
	trap bench_cleanup EXIT
	trap 'log "interrupted"; exit 130' INT TERM

	TMPD=$(mktemp -d /tmp/sockaccel-bench.XXXXXX)
	chmod 755 "$TMPD"
	RAW=$TMPD/runs.jsonl
	: >"$RAW"

	if [ "$BENCH_BARE" = 1 ]; then
		cgroups_bpffs_setup bench plain accel bare
		CG_BARE=$CG_BASE/bare
	else
		cgroups_bpffs_setup bench plain accel
	fi
	CG_PLAIN=$CG_BASE/plain
	CG_ACCEL=$CG_BASE/accel
	PIN=$BPFFS/sockaccel-bench-$$
	# BENCH_LOADER_ARGS: loader policy for the "accel" cgroup, e.g. "--ports 1"
	# (attached, nothing accelerated: what the programs cost when they do nothing).
	# shellcheck disable=SC2086
	"$LOADER" --pin-dir "$PIN" ${BENCH_LOADER_ARGS:-} "$CG_ACCEL" >"$TMPD/loader.log" 2>&1 ||
		{ cat "$TMPD/loader.log" >&2; die "sockaccel-loader failed"; }
	log "$(tr '\n' ' ' <"$TMPD/loader.log")"
	[ -n "$CG_BARE" ] && [ "${BENCH_BARE_LOAD:-now}" = now ] && bare_load

	NS=sabench-$$
	ip netns add "$NS" || die "ip netns add failed"
	ip -n "$NS" link set lo up
	# short connections: many ports, reuse TIME_WAIT ports (netns-local sysctls)
	ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" net.ipv4.tcp_tw_reuse=1
	# BENCH_NETNS_SYSCTL: more per-netns settings for an experiment, e.g.
	# "net.ipv4.tcp_rmem=4096 1048576 33554432" (one key=value per line).
	if [ -n "${BENCH_NETNS_SYSCTL:-}" ]; then
		while IFS= read -r kv; do
			[ -n "$kv" ] || continue
			ip netns exec "$NS" sysctl -qw "$kv" || die "sysctl $kv in the bench netns failed"
			log "bench netns: $kv"
		done <<<"$BENCH_NETNS_SYSCTL"
	fi

	# Something attached above our cgroups (e.g. to the root cgroup) would make
	# "plain" not plain: check the effective programs.
	if command -v bpftool >/dev/null; then
		if bpftool cgroup show "$CG_PLAIN" effective 2>/dev/null | grep -qE 'sock_ops|sk_msg'; then
			log "WARNING: the plain cgroup inherits sock_ops programs from a parent: plain is not plain"
			PLAIN_WARNING="plain cgroup inherits sock_ops programs from a parent cgroup"
		fi
	fi
}
