#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Stage 2 of the systemd mode (tests/vm/run-systemd.sh): pid 1 after
# switch_root, run by the host's bash in the guest's overlay root (the host's /
# read-only over 9p, writes to tmpfs). Prepares that root for systemd and execs
# /lib/systemd/systemd, which boots to sa-vm.target (systemd.unit= on the kernel
# command line): sa-vm-test.service runs the scenario, reports and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
. /.sa-vm/env
off() {
	sync
	/bin/busybox poweroff -f 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 60
}
fail() { echo "sa-vm-init: $*"; echo "SA-VM-EXIT=125"; echo 125 >/.sa-vm/out/rc; off; }
# systemd mounts the rest itself (/sys/fs/cgroup as cgroup2 with
# systemd.unified_cgroup_hierarchy=1, /sys/fs/bpf, /run, /dev/shm, ...)
mount -t proc proc /proc || fail "cannot mount proc"
[ -x /lib/systemd/systemd ] || fail "/lib/systemd/systemd missing (apt-get install systemd)"

# modules on demand (request_module runs the host's /sbin/modprobe)
mkdir -p /lib/modules && ln -sfn "$MODDIR" "/lib/modules/$KVER" || fail "/lib/modules/$KVER"
# a machine of its own: the host's machine-id would be shared by every VM
tr -d '-' </proc/sys/kernel/random/uuid >/etc/machine-id || fail "/etc/machine-id"
echo sa-vm >/etc/hostname
# the host is a container (/.dockerenv): systemd would believe it is in one too,
# ignore the kernel command line (systemd.unit=...) and boot as a container
rm -f /.dockerenv /run/.containerenv
unset container
# systemd-tmpfiles empties /tmp at boot (tmpfiles.d/tmp.conf "D /tmp"): in the
# overlay that walks the host's whole /tmp over 9p and hides a checkout or a
# build dir there (a CI clone): keep /tmp as the host has it
: >/etc/tmpfiles.d/tmp.conf
# no fstab: the root is the overlay stage 1 mounted
: >/etc/fstab
# man-db's dpkg trigger rebuilds its index (minutes under TCG); man works without it
rm -f /var/lib/man-db/auto-update

# Units the scenario does not need that would slow the boot under TCG, wait for
# a network or a device that is not there, or start the host's enabled services.
# sa-vm.target pulls in only basic.target (sysinit, sockets, timers, paths) and
# the test unit; masking the rest keeps what the host enabled there out too.
mask=(
	getty@.service serial-getty@.service console-getty.service getty.target
	systemd-timesyncd.service systemd-pstore.service systemd-networkd-wait-online.service
	NetworkManager-wait-online.service networking.service ifupdown-pre.service
	systemd-networkd.service systemd-resolved.service
	systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
	systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service
	systemd-remount-fs.service systemd-fsck-root.service systemd-binfmt.service
	proc-sys-fs-binfmt_misc.automount sys-kernel-config.mount sys-fs-fuse-connections.mount
	systemd-modules-load.service kmod-static-nodes.service keyboard-setup.service
	console-setup.service setvtrgb.service systemd-vconsole-setup.service
	systemd-firstboot.service systemd-machine-id-commit.service systemd-random-seed.service
	systemd-update-utmp.service systemd-update-utmp-runlevel.service ldconfig.service
	systemd-journal-catalog-update.service systemd-update-done.service
	e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer
	dpkg-db-backup.timer fstrim.timer man-db.timer logrotate.timer systemd-tmpfiles-clean.timer
	ssh.service sshd.service ssh.socket docker.service docker.socket containerd.service
	postgresql.service nginx.service memcached.service haproxy.service redis.service
	prometheus.service prometheus-node-exporter.service cron.service rsyslog.service
	dbus.service dbus.socket systemd-logind.service
)
for u in "${mask[@]}"; do
	ln -sfn /dev/null "/etc/systemd/system/$u" || fail "cannot mask $u"
done
# the host's enablements of units we keep (redis-server: the scenario starts it)
rm -rf /etc/systemd/system/multi-user.target.wants /etc/systemd/system/timers.target.wants \
	/etc/systemd/system/getty.target.wants /etc/systemd/system/sysinit.target.wants

# the target and the test unit
cat >/etc/systemd/system/sa-vm.target <<'EOF'
[Unit]
Description=sockaccel VM test
Requires=basic.target
After=basic.target
Wants=sa-vm-test.service
AllowIsolate=yes
EOF
cat >/etc/systemd/system/sa-vm-test.service <<'EOF'
[Unit]
Description=sockaccel systemd scenario (tests/vm/systemd/scenario.sh)
After=basic.target

[Service]
# exec: the boot is finished once the scenario runs (systemd-analyze time works)
Type=exec
ExecStart=/bin/bash /.sa-vm/sa-vm-test.sh
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/console
TimeoutStartSec=infinity
# a script that cannot run reports nothing: end the VM at once (the host
# then says "no exit marker") rather than at its timeout
FailureAction=poweroff-force
EOF
cp "$SA_ROOT/tests/vm/systemd/sa-vm-test.sh" /.sa-vm/sa-vm-test.sh || fail "no $SA_ROOT/tests/vm/systemd/sa-vm-test.sh"

read -r up _ </proc/uptime
echo "sa-vm: $(uname -r), $(nproc) CPU(s), $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo); stage 2 done at ${up}s, exec systemd"

# shellcheck disable=SC2093 # the line after runs only if exec failed
exec /lib/systemd/systemd
fail "exec /lib/systemd/systemd failed"
