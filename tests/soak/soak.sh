#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The soak (tests/soak/README.md): redis, nginx, PostgreSQL, memcached,
# iperf3 and checksummed sa-integrity streams at once, with connection churn,
# first on plain TCP (SOAK_PLAIN_SECONDS), then through sockaccel for
# SECONDS while the controller detaches and re-attaches, re-runs the loader,
# upgrades and restarts a --foreground loader (SIGTERM, SIGKILL).
#
#   tests/soak/soak.sh [SECONDS]      (root; default SOAK_SECONDS or 1800)
#
# Asserts 0 client errors, every integrity stream exact, no request longer
# than SOAK_STALL_MS, every controller action done, and no leak (maps,
# sk_storage, sockets, slab). Results in SOAK_OUT (default
# build/soak/<date>): summary.txt, soak.png, the per-run records.
# Exit 0 PASS, 1 FAIL, 2 usage.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$SOAK_DIR/servers.sh"
. "$SOAK_DIR/clients.sh"
. "$SOAK_DIR/controller.sh"
. "$SOAK_DIR/figures.sh"
. "$SOAK_DIR/report.sh"

usage_err() { echo "soak: $*" >&2; exit 2; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]] && [ "${#1}" -lt 10 ]; }

SECS=${1:-${SOAK_SECONDS:-1800}}
is_uint "$SECS" && [ "$SECS" -ge 30 ] || usage_err "duration must be a whole number of seconds >= 30, got '$SECS'"
PLAIN_SECS=${SOAK_PLAIN_SECONDS:-$((SECS / 6 < 30 ? 30 : (SECS / 6 > 300 ? 300 : SECS / 6)))}
is_uint "$PLAIN_SECS" && [ "$PLAIN_SECS" -ge 20 ] || usage_err "SOAK_PLAIN_SECONDS must be a whole number >= 20, got '$PLAIN_SECS'"
STALL_MS=${SOAK_STALL_MS:-5000}
is_uint "$STALL_MS" || usage_err "SOAK_STALL_MS must be a whole number of milliseconds, got '$STALL_MS'"
OUT=${SOAK_OUT:-$ROOT/build/soak/$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/plain" "$OUT/accel" || usage_err "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

soak_check_tools
soak_setup
FAILS=()
failed() { FAILS+=("$*"); log "FAIL: $*"; }

G0=$(figures_global)
start_servers

# phase DIR SECONDS: the client loops and the long streams for SECONDS
phase() {
	local dir=$1 secs=$2 t
	now >"$dir/t_start"
	loops_start "$dir"
	long_start "$dir" "$secs"
	[ -e "$dir/go" ] || touch "$dir/go"
	for ((t = 0; t < secs; t += 60)); do
		sleep $((secs - t < 60 ? secs - t : 60))
		log "$(basename "$dir"): $((t + 60 < secs ? t + 60 : secs)) of $secs s; records: $(cat "$dir"/*.jsonl 2>/dev/null | wc -l)"
	done
	now >"$dir/t_stop"
	loops_stop "$dir"
	long_finish "$dir" || failed "$(basename "$dir"): a long-lived integrity stream failed"
}

# ---- plain TCP: nothing loaded
log "plain phase: $PLAIN_SECS s"
phase "$OUT/plain" "$PLAIN_SECS"

# ---- sockaccel: cgroup a by the loader, b by the controller's --foreground loader
loader "$CG_A" >"$OUT/loader.log" 2>&1 || die "sockaccel-loader failed: $(tail -n 3 "$OUT/loader.log")"
# (its stderr to a file: bash reports there the loaders fg_kill kills)
( controller_run "$OUT/accel" ) 2>>"$OUT/accel/controller.err" &
CTL_PID=$!
BG_PIDS+=("$CTL_PID")
for ((i = 0; i < 1200; i++)); do
	[ -e "$OUT/accel/controller.ready" ] && break
	kill -0 "$CTL_PID" 2>/dev/null || die "controller: $(cat "$OUT/accel/controller.jsonl" 2>/dev/null)"
	sleep 0.1
done
[ -e "$OUT/accel/controller.ready" ] || die "the --foreground loader did not attach"
L0=$(figures_loaded)
echo "$L0" >"$OUT/loaded-before.json"
log "accel phase: $SECS s (controller every ${CTL_PAUSE} s)"
phase "$OUT/accel" "$SECS"
wait "$CTL_PID"
_forget "$CTL_PID"

# ---- leak check while loaded: the sockets of the clients must be gone
L1=$(settle leak_loaded "$L0" figures_loaded)
echo "$L1" >"$OUT/loaded-after.json"
ctl -j stats >"$OUT/stats-end.json" 2>&1
LEAK_L=$(leak_loaded "$L0" "$L1")
grep -q ' LEAK$' <<<"$LEAK_L" && failed "leak while loaded: $(grep ' LEAK$' <<<"$LEAK_L" | tr '\n' ';')"

# ---- stop everything, then the machine-wide figures
fgpid=$(cat "$OUT/accel/fg.pid")
kill -TERM "$fgpid" 2>/dev/null	# not our child: poll
for ((i = 0; i < 1800; i++)); do kill -0 "$fgpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$fgpid" 2>/dev/null && failed "the last --foreground loader did not exit on SIGTERM"
for p in "${BG_PIDS[@]}"; do stop_bg "$p"; done
echo 1 >"$CG_A/cgroup.kill"; echo 1 >"$CG_B/cgroup.kill"
out=$(ctl teardown --timeout 60 2>&1) || failed "teardown: $out"
[ -d "$PIN" ] && failed "teardown left $PIN"
ip netns del "$NS" && NS=
G1=$(settle leak_global "$G0" figures_global)
echo "$G0" >"$OUT/global-before.json"
echo "$G1" >"$OUT/global-after.json"
LEAK_G=$(leak_global "$G0" "$G1")
grep -q ' LEAK$' <<<"$LEAK_G" && failed "machine-wide figures above baseline: $(grep ' LEAK$' <<<"$LEAK_G" | tr '\n' ';')"

# ---- results
. "$SOAK_DIR/summary.sh"
summary >"$OUT/summary.txt"	# not in a pipe: it adds to FAILS
cat "$OUT/summary.txt"
[ ${#FAILS[@]} = 0 ]
