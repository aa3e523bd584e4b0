#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# sa-vm-test.service (tests/vm/systemd/stage2.sh writes the unit): runs the
# scenario under systemd, bounded; writes its exit status to the output share,
# prints the SA-VM-EXIT marker that run-kernel.sh reads, and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
. /.sa-vm/env
read -r up _ </proc/uptime
echo "sa-vm: systemd $(systemctl --version | awk 'NR == 1 { print $2 }') is pid 1 ($(cat /proc/1/comm)); the test unit started at ${up}s of uptime"
echo "SA-VM-START"
mkdir -p /.sa-vm/out/logs	# kept on the host with SA_VM_LOG_DIR
timeout -k 10 "${SA_SCENARIO_TIMEOUT:-420}" bash "$SA_ROOT/tests/vm/systemd/scenario.sh" </dev/null 2>&1 |
	tee /.sa-vm/out/logs/scenario.log
rc=${PIPESTATUS[0]}
[ "$rc" = 124 ] && echo "sa-vm: the scenario timed out after ${SA_SCENARIO_TIMEOUT:-420}s"
echo "$rc" >/.sa-vm/out/rc
sync
read -r up _ </proc/uptime
echo "sa-vm: scenario exit $rc at ${up}s of uptime, powering off"
echo "SA-VM-EXIT=$rc"
systemctl poweroff --force
# systemd did not take it: the kernel's own power-off
sleep 20
echo o >/proc/sysrq-trigger
sleep 60
