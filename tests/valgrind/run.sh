#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Every sockaccelctl command (and the loader) under valgrind, against a live
# sockaccel in a throw-away cgroup, netns and pin dir.
#
#   tests/valgrind/run.sh          (as root; SA_BUILD: build dir, default <repo>/build)
#
# Each run is `valgrind --error-exitcode=99 --leak-check=full
# --errors-for-leak-kinds=definite` with suppressions.supp (bpf() false
# positives only, each explained there). Fails if any run exits 99 or fails
# otherwise. The cgroup, netns, pin dir and processes are removed whatever
# happens (trap). Prints `N passed, N failed` at the end.

set -u

die() { echo "valgrind/run.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"
command -v valgrind >/dev/null || die "valgrind not installed (apt-get install valgrind)"

SA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
SA_BUILD=${SA_BUILD:-$SA_ROOT/build}
for b in sockaccel-loader sockaccelctl sa-stream; do
	[ -x "$SA_BUILD/$b" ] || die "$SA_BUILD/$b missing: run make first"
done
. "$SA_ROOT/scripts/lib.sh"	# cg2_mount
CG2=$(cg2_mount)
[ -n "$CG2" ] || die "no cgroup2 mount found in /proc/self/mountinfo"
[ -d /sys/fs/bpf ] || die "no bpffs at /sys/fs/bpf"

CG=$CG2/sockaccel-valgrind-$$
PIN=/sys/fs/bpf/sockaccel-valgrind-$$
NS=sav$$
TMP=$(mktemp -d "/tmp/sockaccel-valgrind-$$.XXXXXX") || die "mktemp failed"
LOADER=("$SA_BUILD/sockaccel-loader" --pin-dir "$PIN")
CTL=("$SA_BUILD/sockaccelctl" --pin-dir "$PIN")
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
	--suppressions="$SA_ROOT/tests/valgrind/suppressions.supp")
BG_PIDS=()

cleanup() {
	local pid i
	for pid in "${BG_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	if [ -d "$CG" ]; then
		for i in $(seq 1 20); do
			[ -s "$CG/cgroup.procs" ] || break
			echo 1 >"$CG/cgroup.kill" 2>/dev/null
			sleep 0.1
		done
	fi
	ip netns pids "$NS" 2>/dev/null | while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
	[ -e "$PIN" ] && "${CTL[@]}" teardown --force >/dev/null 2>&1
	[ -e "$PIN" ] && rm -rf "$PIN"
	ip netns del "$NS" 2>/dev/null
	for i in $(seq 1 30); do
		[ -d "$CG" ] || break
		rmdir "$CG" 2>/dev/null || sleep 0.1
	done
	[ -d "$CG" ] && echo "valgrind/run.sh: warning: could not remove $CG" >&2
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

npass=0 nfail=0
# vg NAME CMD...: CMD under valgrind; its output in $TMP/NAME.log, shown on
# failure. WANT=N vg ...: CMD must exit N (not 99).
vg() {
	local name=$1 rc t0
	shift
	t0=$(date +%s)
	"${VG[@]}" "$@" >"$TMP/$name.log" 2>&1 </dev/null
	rc=$?
	if [ $rc = "${WANT:-0}" ]; then
		echo "PASS $name ($(($(date +%s) - t0))s)"
		npass=$((npass + 1))
	else
		echo "FAIL $name (exit $rc$([ $rc = 99 ] && echo ': valgrind errors'))"
		sed 's/^/    /' "$TMP/$name.log"
		nfail=$((nfail + 1))
	fi
}

# in_cg_ns CMD...: CMD in our cgroup and netns, in the background
in_cg_ns() {
	(
		echo "$BASHPID" >"$CG/cgroup.procs" || exit 126
		exec ip netns exec "$NS" "$@"
	) &
	BG_PIDS+=($!)
}

mkdir "$CG" || die "mkdir $CG failed"
ip netns add "$NS" || die "ip netns add $NS failed"
ip -n "$NS" link set lo up || die "lo up in $NS failed"

# A process in CG for --pid (the stream's may have timed out by then: valgrind is slow).
in_cg_ns sleep 3600
HOLD=${BG_PIDS[-1]}

# Error paths first, while nothing is loaded.
WANT=1 vg nothing-loaded "${CTL[@]}" -j stats
WANT=1 vg nothing-loaded-conns "${CTL[@]}" conns
vg probe-json "$SA_BUILD/sockaccel-loader" -j --probe

vg loader "${LOADER[@]}" "$CG"
[ -e "$PIN" ] || { "${LOADER[@]}" "$CG" || die "sockaccel-loader failed"; }
vg loader-again "${LOADER[@]}" "$CG"

# One accelerated connection that stays open while the commands run, so that
# conns and stats have something to show.
in_cg_ns "$SA_BUILD/sa-stream" server -l 127.0.0.1 -p 5000 --sync --echo --bytes 64K -t 120 \
	>"$TMP/server.out" 2>&1
for i in $(seq 1 100); do
	ip netns exec "$NS" ss -Hltn 'sport = :5000' 2>/dev/null | grep -q . && break
	sleep 0.05
done
in_cg_ns "$SA_BUILD/sa-stream" client -c 127.0.0.1 -p 5000 --sync --bytes 64K --hold 60 -t 120 \
	>"$TMP/client.out" 2>&1
sleep 1

vg status "${CTL[@]}" status
vg status-json "${CTL[@]}" -j status
vg stats "${CTL[@]}" stats
vg stats-json "${CTL[@]}" -j stats
vg stats-interval "${CTL[@]}" stats -i 1 -c 2
vg stats-interval-json "${CTL[@]}" -j stats -i 1 -c 2
vg conns "${CTL[@]}" conns
vg conns-json "${CTL[@]}" -j conns
vg latency "${CTL[@]}" latency --cgroup "$CG" -d 2
vg latency-json "${CTL[@]}" -j latency --cgroup "$CG" -d 2 -i 1
vg help "${CTL[@]}" help
WANT=2 vg usage-error "${CTL[@]}" no-such-command

vg detach "${CTL[@]}" detach --timeout 20 "$CG"
# Selectors and run (docs/usage.md): HOLD's pid names the same cgroup.
WANT=1 vg loader-pid-none "${LOADER[@]}" --pid 4194304
vg loader-pid "${LOADER[@]}" --pid "$HOLD"
vg status-named "${CTL[@]}" -j status
vg detach-pid "${CTL[@]}" detach --timeout 20 --pid "$HOLD"
vg run "${CTL[@]}" run --parent "$CG" --name vg -- true
vg teardown "${CTL[@]}" teardown --timeout 20

echo "$npass passed, $nfail failed"
[ $nfail = 0 ]
