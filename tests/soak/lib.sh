# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared setup of the soak (tests/soak/soak.sh sources it, then the others).
# Reuses bench/lib.sh (inmode, start_bg, stop_bg, wait_listen, log, die) with
# two cgroup "modes" of its own:
#   a   CG_A: redis, nginx, integrity churn; the controller detaches and
#       re-attaches it with sockaccelctl and re-runs the loader on it
#   b   CG_B: PostgreSQL, memcached, iperf3; attached by a --foreground
#       loader that the controller restarts (SIGTERM and SIGKILL)
# Both cgroups sit under CG_BASE; both ends of every connection are in the
# same cgroup. Everything runs in the netns NS (lo only).

SOAK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SOAK_DIR/../../bench/lib.sh"	# ROOT BUILD LOADER CTL, process helpers
. "$ROOT/bench/m-servers.sh"		# nginx_conf, redis_info

CG_A= CG_B= OUT= STOP=

cg_of() {
	case $1 in
	a) echo "$CG_A" ;;
	b) echo "$CG_B" ;;
	*) die "unknown cgroup mode $1" ;;
	esac
}

# Server ports (inside NS). REDIS_PORT/NGINX_PORT are bench/m-servers.sh's maps.
REDIS_PORT[a]=6390
NGINX_PORT[a]=8090
PG_PORT=5440
MC_PORT=11230
IPERF_PORT=5210
INTEG_LONG_PORT=(5290 5291)	# one long-lived stream per cgroup
INTEG_PORT0=5300		# churn runs use 5300.. (one at a time)

now() { date +%s.%N | cut -c1-14; }	# epoch seconds, 3 decimals

# emit FILE JSON: append one record (a JSON object) to a JSON-lines file.
emit() { jq -c . <<<"$2" >>"$1" 2>/dev/null || log "bad record for $1: $2"; }

# Cleanup: every process in our cgroups (cgroup.kill), the processes this
# script started by pid, the pins (teardown, then the private bpffs goes),
# the netns, the cgroups, the scratch dir.
soak_cleanup() {
	local rc=$? p cg i
	trap - EXIT INT TERM
	set +e
	[ -n "$STOP" ] && touch "$STOP"
	for p in "${BG_PIDS[@]}"; do stop_bg "$p"; done
	# the controller's --foreground loader: in our cgroup, not in a and b
	p=$(cat "$OUT/accel/fg.pid" 2>/dev/null)
	[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sockaccel-loade ] && kill -KILL "$p"
	for cg in "$CG_A" "$CG_B"; do
		[ -n "$cg" ] && [ -e "$cg/cgroup.kill" ] && echo 1 >"$cg/cgroup.kill"
	done
	[ -n "$PIN" ] && [ -d "$PIN" ] && "$CTL" --pin-dir "$PIN" teardown --force >/dev/null 2>&1
	[ -n "$BPFFS" ] && mountpoint -q "$BPFFS" && { umount "$BPFFS" || umount -l "$BPFFS"; }
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	for i in $(seq 30); do	# killed tasks leave their cgroup a little later
		for cg in "$CG_A" "$CG_B" "$CG_BASE"; do
			[ -n "$cg" ] && [ -d "$cg" ] && rmdir "$cg" 2>/dev/null
		done
		[ -z "$CG_BASE" ] || [ ! -d "$CG_BASE" ] && break
		sleep 0.2
	done
	[ -n "$CG_BASE" ] && [ -d "$CG_BASE" ] && log "warning: could not remove $CG_BASE"
	[ -n "$TMPD" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$TMPD"
	exit "$rc"
}

# soak_setup: scratch dir, cgroups, private bpffs (PIN is not created: the
# loader does that), netns. Nothing is loaded yet (the plain phase runs first).
soak_setup() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	[ -x "$LOADER" ] && [ -x "$CTL" ] && [ -x "$BUILD/sa-integrity" ] || die "build first: make"
	trap soak_cleanup EXIT
	trap 'log "interrupted"; exit 130' INT TERM

	TMPD=$(mktemp -d /tmp/sockaccel-soak.XXXXXX)
	chmod 755 "$TMPD"
	STOP=$TMPD/stop
	cgroups_bpffs_setup soak a b	# bench/lib.sh: CG_BASE, BPFFS
	CG_A=$CG_BASE/a
	CG_B=$CG_BASE/b
	PIN=$BPFFS/sockaccel-soak
	NS=sasoak-$$
	ip netns add "$NS" || die "ip netns add failed"
	ip -n "$NS" link set lo up
	# churn: many ephemeral ports, TIME_WAIT ports reused (netns-local sysctls)
	ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" net.ipv4.tcp_tw_reuse=1
	if command -v bpftool >/dev/null &&
	   bpftool cgroup show "$CG_BASE" effective 2>/dev/null | grep -qE 'sock_ops|sk_msg'; then
		die "$CG_BASE inherits sock_ops programs from a parent cgroup: the plain run would not be plain"
	fi
}

# ctl ARGS...: sockaccelctl on the soak's pin dir
ctl() { "$CTL" --pin-dir "$PIN" "$@"; }
# loader ARGS...: sockaccel-loader on the soak's pin dir
loader() { "$LOADER" --pin-dir "$PIN" "$@"; }
