#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The kernel matrix: tests/vm/run-kernel.sh for each KERNEL, one VM at a time,
# past failing kernels; then one line summing them all.
#
#   tests/vm/matrix.sh KERNEL... [-- TEST...]      (as root; `make kernel-matrix`)
#
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

tp=0 tf=0 ts=0
lines=()
for k in "${kernels[@]}"; do
	echo "==== kernel $k"
	out=$TMP/${k//\//_}.out
	start=$(date +%s)
	if [ -n "${SA_VM_LOG_DIR:-}" ]; then
		SA_VM_LOG_DIR=$SA_VM_LOG_DIR/$k "$HERE/run-kernel.sh" "$k" "$@" 2>&1 | tee "$out"
	else
		"$HERE/run-kernel.sh" "$k" "$@" 2>&1 | tee "$out"
	fi
	rc=${PIPESTATUS[0]}
	[ "$rc" = 130 ] && exit 130
	secs=$(($(date +%s) - start))
	# "vm: kernel K PACKAGE VERSION: exit RC, S s[, panic|timeout|no exit marker]"
	pkg=$(sed -n 's/^vm: kernel [^ ]* \([^ ]* [^ ]*\): exit .*/\1/p' "$out" | tail -n1)
	died=$(sed -n 's/^vm: kernel .*: exit [0-9]*, [0-9]* s, \(.*\)/\1/p' "$out" | tail -n1)
	summ=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n1)
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
done
echo "==== kernel matrix"
printf '%s\n' "${lines[@]}"
echo "$tp passed, $tf failed, $ts skipped"
[ $tf = 0 ]
