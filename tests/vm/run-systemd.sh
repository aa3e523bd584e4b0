#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The systemd VM: Debian's kernel (as run-kernel.sh fetches it) booted with
# Debian's systemd as pid 1 on the host's root (read-only 9p under a tmpfs
# overlay), to sa-vm.target; sa-vm-test.service runs tests/vm/systemd/scenario.sh
# (install sockaccel, redis-server under systemd, sockaccel@redis-server,
# metrics, man, purge) and powers off. tests/vm/README.md "The systemd mode".
#
#   tests/vm/run-systemd.sh [KERNEL]        (as root; KERNEL as run-kernel.sh, default 6.1)
#   SA_DEB=build/deb/sockaccel_1.0_amd64.deb tests/vm/run-systemd.sh 6.1
#
# Environment: as run-kernel.sh (SA_BUILD, SA_VM_SMP, SA_VM_ACCEL, SA_VM_MEM,
# SA_VM_CACHE, SA_VM_LOG_DIR, SA_VM_VERBOSE, SA_VM_APPEND), and
#   SA_DEB                  the .deb to install with dpkg -i (else make install
#                           of SA_BUILD, units from systemd/ or stand-ins)
#   SA_VM_SYSTEMD_TIMEOUT   seconds before the host kills the VM (default 600;
#                           SA_VM_TIMEOUT, the matrix's, is not used here)
#   SA_SCENARIO_TIMEOUT     seconds the guest gives the scenario (default 420)
#
# Output: the scenario's PASS/FAIL/SKIP lines as they come, run-kernel.sh's
# "vm: kernel ..." line and a "vm-systemd: ..." line with the times; the last
# "N passed, N failed, N skipped" line is the scenario's, or "0 passed, 1 failed,
# 0 skipped" when the VM died or the scenario reported no summary.

set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
KERNEL=${1:-6.1}
[ "$(id -u)" = 0 ] || { echo "vm: must run as root" >&2; exit 2; }
if [ -n "${SA_DEB:-}" ]; then
	[ -f "$SA_DEB" ] || { echo "vm: SA_DEB=$SA_DEB: no such file" >&2; exit 2; }
	SA_DEB=$(cd "$(dirname "$SA_DEB")" && pwd -P)/$(basename "$SA_DEB")
fi
# what the guest runs from the host's root (the Makefile's VM_SYSTEMD_DEB_PKGS)
pkgs="systemd redis-server redis-tools prometheus curl man-db jq bpftool"
"$HERE/../../scripts/deps.sh" $pkgs || { echo "vm: cannot install $pkgs" >&2; exit 2; }

out=$(mktemp /tmp/sockaccel-vm-systemd.XXXXXX) || exit 2
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT TERM HUP	# run-kernel.sh stops its own VM

export SA_DEB=${SA_DEB:-} SA_SCENARIO_TIMEOUT=${SA_SCENARIO_TIMEOUT:-420}
start=$(date +%s)
SA_VM_STAGE2=$HERE/systemd/stage2.sh \
	SA_VM_PASS="SA_DEB SA_SCENARIO_TIMEOUT" \
	SA_VM_TIMEOUT=${SA_VM_SYSTEMD_TIMEOUT:-600} \
	SA_VM_APPEND="systemd.unit=sa-vm.target systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 ${SA_VM_APPEND:-}" \
	"$HERE/run-kernel.sh" "$KERNEL" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
[ "$rc" = 130 ] && exit 130
secs=$(($(date +%s) - start))
summ=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n1)
died=$(sed -n 's/^vm: kernel .*: exit [0-9]*, [0-9]* s, \(.*\)/\1/p' "$out" | tail -n1)
# the boot: qemu start to the test unit (stage 2 and the unit print their uptime)
b2=$(sed -n 's/^sa-vm: .*stage 2 done at \([0-9.]*\)s.*/\1/p' "$out" | tail -n1)
bu=$(sed -n 's/^sa-vm: systemd .* started at \([0-9.]*\)s of uptime.*/\1/p' "$out" | tail -n1)
echo "vm-systemd: kernel $KERNEL, ${SA_DEB:+deb $(basename "$SA_DEB"), }${secs} s in all; uptime at stage 2 ${b2:-?} s, at the test unit ${bu:-?} s"
# the scenario's own summary line has streamed; without one (or if the VM died
# after it) the last line says the run failed
if [ -z "$summ" ] || [ -n "$died" ]; then
	echo "0 passed, 1 failed, 0 skipped"
	[ "$rc" = 0 ] && rc=1
fi
exit "$rc"
