# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for tests/netns/t_*.sh. Source it first:  . "$SA_ROOT/tests/netns/lib.sh"
#
# The runner (run.sh) exports SA_ROOT SA_BUILD SA_NS SA_CG SA_CG2 SA_PIN SA_TMP
# SA_LOADER SA_CTL and SA_REG (registration dir: extra netns, cgroups, pin dirs
# and pids listed there are cleaned up by the runner, whatever the test does).

if [ -z "${SA_NS:-}" ] || [ -z "${SA_REG:-}" ]; then
	echo "lib.sh: run tests through tests/netns/run.sh" >&2
	exit 1
fi

SA_STREAM=$SA_BUILD/sa-stream
BG_PID=""

# ---------------------------------------------------------------- results
# fail/skip also work inside $(...): the subshell signals the test's main shell.
SA_MAIN_PID=$$
trap 'exit 1' USR1
trap 'exit 77' USR2
info() { echo "# $*"; }
fail() {
	echo "FAIL: $*" >&2
	[ "$BASHPID" = "$SA_MAIN_PID" ] || kill -USR1 "$SA_MAIN_PID"
	exit 1
}
skip() {
	echo "SKIP: $*" >&2
	[ "$BASHPID" = "$SA_MAIN_PID" ] || kill -USR2 "$SA_MAIN_PID"
	exit 77
}

assert_eq() {	# A B MSG
	[ "$1" = "$2" ] || fail "${3:-assert_eq}: expected '$2', got '$1'"
}
assert_ne() {	# A B MSG
	[ "$1" != "$2" ] || fail "${3:-assert_ne}: got '$1', expected anything else"
}
assert_ge() {	# A B MSG   (integers: A >= B)
	[[ "$1" =~ ^-?[0-9]+$ && "$2" =~ ^-?[0-9]+$ ]] ||
		fail "${3:-assert_ge}: not integers: '$1' '$2'"
	[ "$1" -ge "$2" ] || fail "${3:-assert_ge}: expected >= $2, got $1"
}
assert_lt() {	# A B MSG   (integers: A < B)
	[[ "$1" =~ ^-?[0-9]+$ && "$2" =~ ^-?[0-9]+$ ]] ||
		fail "${3:-assert_lt}: not integers: '$1' '$2'"
	[ "$1" -lt "$2" ] || fail "${3:-assert_lt}: expected < $2, got $1"
}
assert_match() {	# STRING REGEX MSG
	[[ "$1" =~ $2 ]] || fail "${3:-assert_match}: '$1' does not match /$2/"
}

need_cmd() {	# CMD... : skip unless installed
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
}
need_bin() {	# NAME... : fail unless $SA_BUILD/NAME exists
	local b
	for b in "$@"; do
		[ -x "$SA_BUILD/$b" ] || fail "$SA_BUILD/$b missing (run make)"
	done
}

# ---------------------------------------------------------------- resources
# new_netns NAME -> prints the netns name (lo up), cleaned up by the runner
new_netns() {
	local ns=$SA_NS-$1
	echo "$ns" >>"$SA_REG/netns"
	ip netns add "$ns" >&2 || fail "ip netns add $ns"
	ip -n "$ns" link set lo up >&2 || fail "lo up in $ns"
	echo "$ns"
}

# new_cgroup NAME -> prints the absolute path of a new cgroup v2 directory
# (a sibling of SA_CG, so nothing attached to SA_CG applies to it)
new_cgroup() {
	local cg=$SA_CG2/sockaccel-test-$SA_RUNPID-$SA_IDX-$1
	echo "$cg" >>"$SA_REG/cgroups"
	mkdir "$cg" >&2 || fail "mkdir $cg"
	echo "$cg"
}

# new_pindir NAME -> prints a pin dir path (not created) that the runner tears
# down and removes afterwards
new_pindir() {
	local p=/sys/fs/bpf/sockaccel-test-$SA_RUNPID-$SA_IDX-$1
	echo "$p" >>"$SA_REG/pins"
	echo "$p"
}

# new_bpffs NAME -> prints the path of a private bpffs instance mounted on a
# new directory in SA_TMP (for faults that unmount it). Afterwards the runner
# tears down every pin dir in it, unmounts it (however often it was mounted
# again) and removes it.
new_bpffs() {
	local m=$SA_TMP/bpffs-$1
	mkdir "$m" >&2 || fail "mkdir $m"
	echo "$m" >>"$SA_REG/mounts"
	mount -t bpf bpf "$m" >&2 || fail "mount -t bpf bpf $m"
	echo "$m"
}

# ---------------------------------------------------------------- processes
_cg_path() { case $1 in /*) echo "$1" ;; *) echo "$SA_CG2/$1" ;; esac; }

# run_in NS CG CMD... : run CMD in cgroup CG (abs or relative to SA_CG2) and
# netns NS, in the foreground. NS "-" = stay in the current netns.
# The cgroup is joined first: `ip netns exec` remounts /sys (no cgroup2 inside).
run_in() {
	local ns=$1 cg
	cg=$(_cg_path "$2")
	shift 2
	(
		echo "$BASHPID" >"$cg/cgroup.procs" || { echo "run_in: cannot join $cg" >&2; exit 126; }
		[ "$ns" = - ] && exec "$@"
		exec ip netns exec "$ns" "$@"
	)
}

# bg_in NS CG CMD... : like run_in, in the background. Sets BG_PID (also
# recorded for the runner's cleanup). Redirect as usual: bg_in ... >log 2>&1
bg_in() {
	local ns=$1 cg
	cg=$(_cg_path "$2")
	shift 2
	(
		echo "$BASHPID" >"$cg/cgroup.procs" || { echo "bg_in: cannot join $cg" >&2; exit 126; }
		[ "$ns" = - ] && exec "$@"
		exec ip netns exec "$ns" "$@"
	) &
	BG_PID=$!
	echo "$BG_PID" >>"$SA_REG/pids"
}

# wait_pid PID [SECONDS]: wait for a bg_in child, killing it after SECONDS
# (default 60). Returns its exit status (137 if it had to be killed).
wait_pid() {
	local pid=$1 t=${2:-60} i
	for ((i = 0; i < t * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null ||
		   [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
			wait "$pid"
			return
		fi
		sleep 0.1
	done
	echo "wait_pid: $pid still running after ${t}s, killing it" >&2
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	return 137
}

# wait_port NS PORT [SECONDS]: until a TCP socket listens on PORT in NS (default 10 s)
wait_port() {
	local ns=$1 port=$2 t=${3:-10} i hex
	hex=$(printf ':%04X ' "$port")
	for ((i = 0; i < t * 20; i++)); do
		# /proc/net/tcp{,6}: local_address is field 2, state 0A = LISTEN
		if ip netns exec "$ns" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		   awk -v h="$hex" '$4 == "0A" && index($2 " ", h) { f = 1 } END { exit !f }'; then
			return 0
		fi
		sleep 0.05
	done
	fail "nothing listens on port $port in $ns after ${t}s"
}

# ---------------------------------------------------------------- sockaccel
# stats_get KEY: one counter from `sockaccelctl -j stats` (fails the test on error)
stats_get() {
	local out v
	out=$($SA_CTL -j stats) || fail "sockaccelctl -j stats failed: $out"
	v=$(jq -r ".$1" <<<"$out") || fail "stats_get: bad JSON: $out"
	[ "$v" != null ] || fail "stats_get: no key $1 in: $out"
	echo "$v"
}

# Redirected bytes a test may count on per stream direction: some, not all.
# Under the default bound (2 x the reader's sk_rcvbuf, 256 KiB for a fresh
# socket; docs/design.md) a burst, or one write, larger than that continues on
# TCP until its reader catches up, so "every byte redirected" is not a
# property of a multi-MiB burst; integrity across that switch is.
SA_MIN_REDIRECT=1

# Loader policy for tests whose subject is a deep queue of unread redirected
# data (lifecycle, splice): every direction redirected, up to 32 MiB unread.
SA_DEEP_QUEUE=(--redirect-streams --max-unread 33554432)

# load CGROUP... : attach with the test's pin dir, fail the test on error.
# Checking the tests themselves: SA_SABOTAGE=no-attach makes load() attach a
# decoy cgroup instead of CGROUP... (programs loaded, the test's cgroups not
# attached): every test that checks redirection must then FAIL.
load() {
	if [ "${SA_SABOTAGE:-}" = no-attach ]; then
		info "SA_SABOTAGE=no-attach: attaching a decoy instead of $*"
		$SA_LOADER "$(new_cgroup decoy)" || fail "sockaccel-loader (decoy) failed"
		return
	fi
	$SA_LOADER "$@" || fail "sockaccel-loader $* failed"
}

# cgroup_id DIR: the cgroup id (inode number of the directory)
cgroup_id() { stat -c %i "$1"; }

# cg_links DIR: number of sock_ops programs attached directly to DIR (bpftool)
cg_links() {
	local out
	out=$(bpftool -j cgroup show "$1") || fail "bpftool cgroup show $1 failed"
	jq -s '[.[][]? | select(.attach_type == "cgroup_sock_ops" or .attach_type == "sock_ops")] | length' <<<"$out"
}

# stream NS CG LISTEN CONNECT PORT BYTES SEED [CLIENT ARGS...]
# Server (with --echo) and client in NS+CG; BYTES each way; fails the test
# unless both ends verified every byte. Logs in $SA_TMP/stream-PORT-SEED.*.log
stream() {
	local ns=$1 cg=$2 l=$3 c=$4 port=$5 bytes=$6 seed=$7 spid rc
	shift 7
	local slog=$SA_TMP/stream-$port-$seed.server.log clog=$SA_TMP/stream-$port-$seed.client.log
	bg_in "$ns" "$cg" "$SA_STREAM" server -l "$l" -p "$port" --sync --echo --bytes "$bytes" \
		--seed "$seed" -t 60 >"$slog" 2>&1
	spid=$BG_PID
	wait_port "$ns" "$port"
	run_in "$ns" "$cg" "$SA_STREAM" client -c "$c" -p "$port" --sync --bytes "$bytes" \
		--seed "$seed" -t 60 "$@" >"$clog" 2>&1
	rc=$?
	sed 's/^/client: /' "$clog"
	[ $rc = 0 ] || { wait_pid "$spid" 5; sed 's/^/server: /' "$slog"; fail "stream client failed (exit $rc)"; }
	wait_pid "$spid" 30
	rc=$?
	sed 's/^/server: /' "$slog"
	[ $rc = 0 ] || fail "stream server failed (exit $rc)"
}
