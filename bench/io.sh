#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Which file I/O interface is faster: one workload (4 KiB random reads from a
# temporary file) through blocking pread, libaio and io_uring at queue depths
# 1 and 32 (build/sa-fileio), each run once without probes and once under
# `sockaccelctl latency --preset file --pid PID`: throughput and the probes'
# histograms side by side. Reports; never fails on a number.
#
#   bench/io.sh [--quick] [--reps N] [--seconds S] [--size MIB] [--dir DIR]
#               [--out DIR] [--no-fio]
#
#   --quick      1 s runs, 64 MiB file, one repetition
#   --reps N     repetitions of every run (default 1; medians of the ops/s)
#   --seconds S  length of each run (default 5)
#   --size MIB   file size (default 256)
#   --dir DIR    where the temporary file goes (default /var/tmp: a disk
#                filesystem; O_DIRECT is used where it accepts it, otherwise
#                the file is dropped from the page cache before every run)
#   --out DIR    results (default bench/results/io, with --quick bench/results/io/quick):
#                latest.md, io.json, io.png
#   --no-fio     skip the fio cross-check of the untraced throughput
#
# pread at QD 32 is 32 threads with one pread each. Needs root (the probes)
# and a build (`make`). Exit status 0 unless the harness itself failed.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FIO=$BUILD/sa-fileio
CTL=$BUILD/sockaccelctl
REPS=1 SECONDS_=5 SIZE=256 DIR=/var/tmp OUT= USE_FIO=1 QUICK=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 SECONDS_=1 SIZE=64 ;;
	--reps) REPS=$2; shift ;;
	--seconds) SECONDS_=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--dir) DIR=$2; shift ;;
	--out) OUT=$2; shift ;;
	--no-fio) USE_FIO= ;;
	-h | --help) awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit 0 ;;
	*) echo "io.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
# a quick run does not overwrite the full run's results
[ -n "$OUT" ] || OUT=$ROOT/bench/results/io${QUICK:+/quick}
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "io.sh: --reps needs a positive number" >&2; exit 2; }
[[ $SIZE =~ ^[1-9][0-9]*$ ]] || { echo "io.sh: --size needs a number of MiB" >&2; exit 2; }
[[ $SECONDS_ =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "io.sh: --seconds needs a number" >&2; exit 2; }

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ -x "$FIO" ] && [ -x "$CTL" ] || die "build first: make ($FIO, $CTL)"
command -v jq >/dev/null || die "jq is required"
[ "$(id -u)" = 0 ] || die "needs root (the latency probes)"

TMPD=$(mktemp -d "$DIR/sockaccel-io.XXXXXX") || die "mktemp in $DIR"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
F=$TMPD/data
RAW=$TMPD/raw.jsonl
: >"$RAW"

log "writing $SIZE MiB to $F"
"$FIO" --file "$F" --create $((SIZE << 20)) --ops 1 >"$TMPD/create.json" || die "sa-fileio --create failed"
DIRECT=$(jq -r .direct "$TMPD/create.json")
log "O_DIRECT: $DIRECT ($(stat -f -c %T "$DIR") at $DIR)"

CASES=("pread 1" "pread 32" "libaio 1" "libaio 32" "uring 1" "uring 32")
# a subset for an experiment: IO_CASES="uring:1 uring:32"
[ -n "${IO_CASES:-}" ] && { CASES=(); for c in $IO_CASES; do CASES+=("${c/:/ }"); done; }
# the syscall each engine waits in (its histogram is the one plotted)
main_syscall() { case $1 in pread) echo pread64 ;; libaio) echo io_getevents ;; uring) echo io_uring_enter ;; esac; }

# plain ENGINE QD: one run without probes
plain() {
	"$FIO" --file "$F" --engine "$1" --qd "$2" --seconds "$SECONDS_" --seed "$RANDOM" 2>"$TMPD/err" ||
		{ log "WARNING: sa-fileio $1 qd $2: $(cat "$TMPD/err")"; return 1; }
}

# traced ENGINE QD: one run under the probes; prints {"workload":..., "latency":...}
traced() {
	local go=$TMPD/go w t i
	# the previous run's files go first: a grep of the old t.err (the shell
	# truncates it in the child, maybe after our first look) would see "Tracing"
	rm -f "$go" "$TMPD/t.err" "$TMPD/t.json" "$TMPD/w.json"
	: >"$TMPD/t.err"
	"$FIO" --file "$F" --engine "$1" --qd "$2" --seconds "$SECONDS_" --seed "$RANDOM" --wait "$go" \
		>"$TMPD/w.json" 2>"$TMPD/w.err" &
	w=$!
	PIDS+=("$w")
	"$CTL" latency --preset file --pid "$w" -u -j -v >"$TMPD/t.json" 2>"$TMPD/t.err" &
	t=$!
	PIDS+=("$t")
	for ((i = 0; i < 200; i++)); do
		grep -q '^Tracing' "$TMPD/t.err" && break
		[ -d "/proc/$t" ] || break
		sleep 0.05
	done
	if ! grep -q '^Tracing' "$TMPD/t.err"; then
		log "WARNING: tracer did not start (after $i checks, $([ -d "/proc/$t" ] && echo running || echo exited)): $(tail -1 "$TMPD/t.err")"
		kill -KILL "$w"
		kill -INT "$t"
		wait "$w" "$t"
		return 1
	fi
	touch "$go"
	wait "$w" || log "WARNING: sa-fileio $1 qd $2 (traced): $(cat "$TMPD/w.err")"
	kill -INT "$t"
	wait "$t" || { log "WARNING: tracer: $(tail -1 "$TMPD/t.err")"; return 1; }
	jq -c -n --slurpfile w "$TMPD/w.json" --slurpfile t "$TMPD/t.json" '{workload: $w[0], latency: $t[-1]}'
}

# fio ENGINE QD: the same workload in fio, IOPS (cross-check)
fio_iops() {
	local eng=$1 qd=$2 args=()
	case $eng in
	pread) args=(--ioengine=psync --numjobs="$qd" --group_reporting) ;;
	libaio) args=(--ioengine=libaio --iodepth="$qd") ;;
	uring) args=(--ioengine=io_uring --iodepth="$qd") ;;
	esac
	fio --name=io --filename="$F" --rw=randread --bs=4k --direct="$([ "$DIRECT" = true ] && echo 1 || echo 0)" \
		--runtime="$SECONDS_" --time_based --output-format=json "${args[@]}" 2>/dev/null |
		jq '.jobs | map(.read.iops) | add | floor'
}

for ((rep = 1; rep <= REPS; rep++)); do
	for c in "${CASES[@]}"; do
		read -r eng qd <<<"$c"
		log "rep $rep/$REPS: $eng QD $qd"
		if out=$(plain "$eng" "$qd"); then
			jq -c --argjson rep "$rep" '{kind: "plain", rep: $rep, workload: .}' <<<"$out" >>"$RAW"
		fi
		if out=$(traced "$eng" "$qd"); then
			jq -c --argjson rep "$rep" '{kind: "traced", rep: $rep} + .' <<<"$out" >>"$RAW"
		fi
		if [ -n "$USE_FIO" ] && command -v fio >/dev/null; then
			iops=$(fio_iops "$eng" "$qd") && [ -n "$iops" ] &&
				jq -nc --argjson rep "$rep" --arg e "$eng" --argjson q "$qd" --argjson iops "$iops" \
					'{kind: "fio", rep: $rep, workload: {engine: $e, qd: $q, ops_per_s: $iops}}' >>"$RAW"
		fi
	done
done

mkdir -p "$OUT" || die "mkdir $OUT"
jq -s --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" --arg host "$(hostname -s)" \
	--argjson size_mib "$SIZE" --argjson seconds "$SECONDS_" --argjson reps "$REPS" --argjson direct "$DIRECT" \
	--arg fs "$(stat -f -c %T "$DIR")" --arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	--argjson ncpu "$(nproc)" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)" \
	'{meta: {date: $date, host: $host, kernel: $kernel, cpu: $cpu, ncpu: $ncpu, loadavg_end: $load,
	         file_mib: $size_mib, filesystem: $fs, direct: $direct, seconds: $seconds, reps: $reps,
	         git_commit: $commit}, runs: .}' "$RAW" >"$OUT/io.json" || die "could not write $OUT/io.json"
log "wrote $OUT/io.json"
"$BENCH_DIR/io-report.sh" "$OUT/io.json" "$OUT" || log "WARNING: io-report.sh failed"
exit 0
