#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The kernel matrix: tests/vm/run-kernel.sh for each KERNEL, past failing
# kernels; then one line summing them all.
#
#   tests/vm/matrix.sh KERNEL... [-- TEST...]      (as root; `make kernel-matrix`)
#
# Up to SA_VM_JOBS VMs run at once (default: the host's CPU count; each TCG VM
# runs its vCPUs on one host thread, tcg,thread=single). Packages are fetched
# first, one kernel after the other. With one job each VM's output streams; with
# more, each kernel's output is printed whole, in the order given, once it ends.
# Per kernel: its run-kernel.sh output, then
#   kernel 6.12 (linux-image-... VERSION): N passed, N failed, N skipped, S s
# and at the end
#   N passed, N failed, N skipped
# (a kernel whose VM died or printed no summary counts as 1 failed). Exit status
# is non-zero if anything failed. Environment: as run-kernel.sh (SA_BUILD,
# SA_VM_*); with SA_VM_LOG_DIR each kernel's logs go to SA_VM_LOG_DIR/KERNEL.

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
kernels=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	kernels+=("$1")
	shift
done
[ $# -gt 0 ] && shift	# --
[ ${#kernels[@]} -gt 0 ] || { echo "usage: $0 KERNEL... [-- TEST...]" >&2; exit 2; }

TMP=$(mktemp -d /tmp/sockaccel-matrix.XXXXXX) || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP	# run-kernel.sh stops its own VM

JOBS=${SA_VM_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || { echo "SA_VM_JOBS must be a positive number" >&2; exit 2; }

# vm KERNEL TEST...: run-kernel.sh, with SA_VM_LOG_DIR/KERNEL for its logs
vm() {
	local k=$1
	shift
	SA_VM_LOG_DIR=${SA_VM_LOG_DIR:+$SA_VM_LOG_DIR/$k} exec "$HERE/run-kernel.sh" "$k" "$@"
}
out_of() { echo "$TMP/${1//\//_}"; }

# the packages first, one at a time (apt-get download and the shared cache)
for k in "${kernels[@]}"; do
	SA_VM_FETCH_ONLY=1 "$HERE/run-kernel.sh" "$k" >"$TMP/fetch.out" 2>&1 ||
		{ cat "$TMP/fetch.out"; echo "kernel $k: cannot fetch its package"; }
done

tp=0 tf=0 ts=0
lines=()
report() {	# KERNEL: its output (unless streamed) and its summary line
	local k=$1 out rc secs pkg died summ p f s
	out=$(out_of "$k")
	read -r rc secs <"$out.rc" 2>/dev/null || { rc=1 secs=0; }
	[ "$rc" = 130 ] && exit 130
	[ "$JOBS" = 1 ] || { echo "==== kernel $k"; cat "$out.out"; }
	# "vm: kernel K PACKAGE VERSION: exit RC, S s[, panic|timeout|no exit marker]"
	pkg=$(sed -n 's/^vm: kernel [^ ]* \([^ ]* [^ ]*\): exit .*/\1/p' "$out.out" | tail -n1)
	died=$(sed -n 's/^vm: kernel .*: exit [0-9]*, [0-9]* s, \(.*\)/\1/p' "$out.out" | tail -n1)
	summ=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out.out" | tail -n1)
	if [ -n "$summ" ] && [ -z "$died" ]; then
		read -r p _ f _ s _ <<<"${summ//,/}"
	else
		p=0 f=1 s=0
		died=${died:-${pkg:+no summary}}
		died=${died:-run-kernel.sh failed (exit $rc)}
	fi
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	lines+=("kernel $k (${pkg:-no package}): $p passed, $f failed, $s skipped, $secs s${died:+ (VM: $died)}")
	echo "${lines[-1]}"
}
if [ "$JOBS" = 1 ]; then
	for k in "${kernels[@]}"; do
		echo "==== kernel $k"
		o=$(out_of "$k")
		start=$(date +%s)
		vm "$k" "$@" 2>&1 | tee "$o.out"
		echo "${PIPESTATUS[0]} $(($(date +%s) - start))" >"$o.rc"
		report "$k"
	done
else
	echo "==== ${#kernels[@]} kernel(s), up to $JOBS VMs at once: ${kernels[*]}"
	# Background jobs of a script ignore SIGINT: pass Ctrl-C on as SIGTERM,
	# on which each run-kernel.sh stops its own VM.
	declare -A pid=() t0=()
	trap 'kill -TERM "${pid[@]}" 2>/dev/null; wait; exit 130' INT TERM HUP
	finish_one() {	# KERNEL: wait for it, record its status and seconds
		local rc o secs
		wait "${pid[$1]}"
		rc=$?
		o=$(out_of "$1")
		# its own "vm: kernel ...: exit RC, S s" (it may have ended a while ago)
		secs=$(sed -n 's/^vm: kernel .*: exit [0-9]*, \([0-9]*\) s.*/\1/p' "$o.out" | tail -n1)
		echo "$rc ${secs:-$(($(date +%s) - ${t0[$1]}))}" >"$o.rc"
	}
	for i in "${!kernels[@]}"; do
		# at most JOBS at once: wait for the oldest still running
		[ "$i" -ge "$JOBS" ] && finish_one "${kernels[i - JOBS]}"
		k=${kernels[i]}
		t0[$k]=$(date +%s)
		vm "$k" "$@" >"$(out_of "$k").out" 2>&1 </dev/null &
		pid[$k]=$!
	done
	for i in "${!kernels[@]}"; do
		[ -f "$(out_of "${kernels[i]}").rc" ] || finish_one "${kernels[i]}"
		report "${kernels[i]}"
	done
fi
echo "==== kernel matrix"
printf '%s\n' "${lines[@]}"
echo "$tp passed, $tf failed, $ts skipped"
[ $tf = 0 ]
