#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Run the netns test suite (tests/netns/run.sh) inside a QEMU VM booted with one
# of Debian's kernel packages, the host's root filesystem shared read-only.
#
#   tests/vm/run-kernel.sh KERNEL [TEST...]        (as root)
#
# KERNEL: 6.1 (newest bookworm linux-image-6.1.0-N-amd64), 6.12 (newest
# linux-image-6.12.N+deb12-amd64 from bookworm-security), or a full package
# name (linux-image-6.1.0-56-amd64). TEST: names as for run.sh (none = all).
#
# The package is fetched with `apt-get download` into $SA_VM_CACHE (default
# /var/cache/sockaccel-vm) and unpacked with `dpkg-deb -x`: nothing is installed
# as a boot kernel. A busybox initramfs loads the virtio/9p/overlay modules,
# mounts / over 9p (read-only) under a tmpfs overlay and switch_roots into it;
# the host's bash then mounts proc, sys, cgroup2, bpffs, tracefs, ... and runs
# the suite. Its output streams here; the exit status is the suite's (non-zero
# if the guest panicked, timed out or never reported).
#
# Environment:
#   SA_BUILD        build dir (default <repo>/build), built on the host
#   SA_VM_SMP       vCPUs (default 2)
#   SA_VM_ACCEL     QEMU -accel value (default tcg,thread=single; see README)
#   SA_VM_MEM       guest memory (default 2G)
#   SA_VM_TIMEOUT   seconds before the host kills the VM (default: 3600 for the
#                   whole suite, 300 + 420 per named test, at most 3600)
#   SA_VM_CACHE     package cache (default /var/cache/sockaccel-vm)
#   SA_VM_LOG_DIR   keep the serial console log and every test's log there
#   SA_VM_VERBOSE=1 stream the whole console (kernel messages too)
#   SA_VM_APPEND    extra kernel command line
#   SA_VM_CMD       run this shell command in the guest instead of the suite
#   SA_VM_FETCH_ONLY=1  fetch and unpack the package, then exit (no VM)
#   SA_TEST_TIMEOUT passed to run.sh in the guest
#   SA_VM_ALL=1     run the tests marked "# vm: host-only" too (skipped in VMs)
#   SA_VM_STAGE2    a file to run as stage 2 instead of the suite's (pid 1 after
#                   switch_root, by bash; it sources /.sa-vm/env): the systemd
#                   mode, tests/vm/run-systemd.sh
#   SA_VM_PASS      names of further variables to write to /.sa-vm/env
#
# Output: the guest's run.sh output, then one line
#   vm: kernel KERNEL PACKAGE VERSION: exit RC, SECONDS s[, panic|timeout|no exit marker]

set -u -o pipefail

SA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
CACHE=${SA_VM_CACHE:-/var/cache/sockaccel-vm}
SMP=${SA_VM_SMP:-2}
ACCEL=${SA_VM_ACCEL:-tcg,thread=single}
MEM=${SA_VM_MEM:-2G}
VERBOSE=${SA_VM_VERBOSE:-0}

die() { echo "vm: $*" >&2; exit 2; }
say() { echo "vm: $*"; }

[ $# -ge 1 ] || die "usage: $0 KERNEL [TEST...]   (KERNEL: 6.1, 6.12 or a linux-image package name)"
[ "$(id -u)" = 0 ] || die "must run as root"
KERNEL=$1
shift
TESTS=("$@")

SA_BUILD=${SA_BUILD:-$SA_ROOT/build}
SA_BUILD=$(cd "$SA_BUILD" 2>/dev/null && pwd -P) || die "build dir missing: run make first"
[ -x "$SA_BUILD/sockaccel-loader" ] || [ -n "${SA_VM_CMD:-}" ] ||
	die "$SA_BUILD/sockaccel-loader missing: run make first"

"$SA_ROOT/scripts/deps.sh" qemu-system-x86 busybox-static xz-utils kmod ||
	die "cannot install qemu-system-x86 busybox-static xz-utils kmod"
for c in qemu-system-x86_64 dpkg-deb apt-get apt-cache depmod modprobe xz timeout; do
	command -v "$c" >/dev/null || die "$c not found"
done
BUSYBOX=$(command -v busybox) || die "busybox not found"

# ---------------------------------------------------------------- the package
# newest PATTERN: the package (of those whose names match the extended regex)
# with the highest candidate version; on a tie the plain (signed) name wins over
# -unsigned. Prints "NAME VERSION".
newest() {
	local re=$1 p v best="" bestv=""
	while read -r p; do
		[[ $p =~ $re ]] || continue
		v=$(apt-cache policy "$p" | awk '/Candidate:/ { print $2; exit }')
		[ -n "$v" ] && [ "$v" != "(none)" ] || continue
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$bestv" ||
			{ [ "$v" = "$bestv" ] && [[ $best == *-unsigned ]] && [[ $p != *-unsigned ]]; }; then
			best=$p bestv=$v
		fi
	done < <(apt-cache pkgnames linux-image- | sort)
	[ -n "$best" ] && echo "$best $bestv"
}

resolve() {
	case $KERNEL in
	6.1) newest '^linux-image-6\.1\.0-[0-9]+-amd64(-unsigned)?$' ;;
	6.12) newest '^linux-image-6\.12\.[0-9]+\+deb12-amd64(-unsigned)?$' ;;
	linux-image-*)
		local v
		v=$(apt-cache policy "$KERNEL" 2>/dev/null | awk '/Candidate:/ { print $2; exit }')
		[ -n "$v" ] && [ "$v" != "(none)" ] && echo "$KERNEL $v" ;;
	*) die "unknown kernel '$KERNEL' (6.1, 6.12 or a linux-image-* package name)" ;;
	esac
}

read -r PKG PKGVER < <(resolve) || true
if [ -z "${PKG:-}" ]; then
	say "no package for '$KERNEL' in the apt lists: apt-get update"
	apt-get update -qq || die "apt-get update failed"
	read -r PKG PKGVER < <(resolve) || true
	[ -n "${PKG:-}" ] || die "no Debian kernel package found for '$KERNEL'"
fi

mkdir -p "$CACHE" || die "cannot create $CACHE"
KDIR=$CACHE/${PKG}_${PKGVER//:/%3a}
if [ ! -f "$KDIR/.complete" ]; then
	say "fetching $PKG $PKGVER into $CACHE"
	dl=$(mktemp -d "$CACHE/.dl.XXXXXX") || die "mktemp in $CACHE failed"
	trap 'rm -rf "$dl"' EXIT
	chmod 755 "$dl"	# apt-get download drops to the _apt user when it can
	(cd "$dl" && apt-get download -q "$PKG=$PKGVER" >/dev/null 2>"$dl/apt.err") ||
		{ cat "$dl/apt.err" >&2; die "apt-get download $PKG=$PKGVER failed"; }
	deb=$(ls "$dl"/*.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] || die "apt-get download left no .deb"
	mkdir "$dl/root" && dpkg-deb -x "$deb" "$dl/root" || die "dpkg-deb -x $deb failed"
	rm -f "$deb"
	rm -rf "$KDIR"
	mv "$dl/root" "$KDIR" || die "cannot move the unpacked package to $KDIR"
	rm -rf "$dl"
	trap - EXIT
	# modules.dep is made by depmod at install time: make it here
	for b in "$KDIR" "$KDIR/usr"; do
		[ -d "$b/lib/modules" ] || continue
		for v in "$b"/lib/modules/*; do
			depmod -b "$b" "$(basename "$v")" || die "depmod in $b failed"
		done
	done
	touch "$KDIR/.complete"
fi
# the kernel image and the modules dir
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$VMLINUZ" ] || die "no boot/vmlinuz-* in $KDIR"
KVER=${VMLINUZ##*/vmlinuz-}
if [ -d "$KDIR/lib/modules/$KVER" ]; then
	MODBASE=$KDIR
elif [ -d "$KDIR/usr/lib/modules/$KVER" ]; then
	MODBASE=$KDIR/usr
else
	die "no lib/modules/$KVER in $KDIR"
fi
MODDIR=$MODBASE/lib/modules/$KVER
if [ "${SA_VM_FETCH_ONLY:-0}" = 1 ]; then
	say "kernel $KERNEL $PKG $PKGVER: in $KDIR"
	exit 0
fi

# ---------------------------------------------------------------- the initramfs
WORK=$(mktemp -d /tmp/sockaccel-vm.XXXXXX) || die "mktemp failed"
QPID="" TPID=""
cleanup() {
	local p
	for p in $QPID $TPID; do
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null
	done
	if [ -s "$WORK/qemu.pid" ]; then
		p=$(cat "$WORK/qemu.pid" 2>/dev/null)
		# only if that pid is still our qemu
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$(command -v qemu-system-x86_64)")" ] &&
			kill -TERM "$p" 2>/dev/null
	fi
	rm -rf "$WORK"
}
on_signal() {
	echo "vm: interrupted, stopping the VM" >&2
	cleanup
	exit 130
}
trap cleanup EXIT
trap on_signal INT TERM HUP

INITRD=$WORK/initrd
mkdir -p "$INITRD"/{bin,modules,proc,sys,dev,newroot}
cp "$BUSYBOX" "$INITRD/bin/busybox"
# the 9p/overlay modules and what they need, in modules.dep order
: >"$INITRD/modules.list"
declare -A seen=()
for m in virtio_ring virtio virtio_pci 9pnet 9pnet_virtio 9p overlay; do
	deps=$(modprobe -d "$MODBASE" -S "$KVER" --show-depends "$m" 2>&1) ||
		die "$m: not in $PKG ($deps)"
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue	# "builtin NAME": nothing to load
		[ -n "${seen[$path]:-}" ] && continue
		seen[$path]=1
		f=$(basename "$path")
		case $f in
		*.ko.xz) xz -dc "$path" >"$INITRD/modules/${f%.xz}" || die "xz -d $path"; f=${f%.xz} ;;
		*.ko.zst) die "$path: zstd modules are not handled" ;;
		*.ko) cp "$path" "$INITRD/modules/$f" ;;
		esac
		echo "$f" >>"$INITRD/modules.list"
	done <<<"$deps"
done

# what the guest runs (after switch_root, by the host's bash)
ulimit_n=$(ulimit -Sn) ulimit_hn=$(ulimit -Hn)
{
	printf 'KVER=%q\n' "$KVER"
	printf 'MODDIR=%q\n' "$MODDIR"
	printf 'SA_ROOT=%q\n' "$SA_ROOT"
	printf 'SA_BUILD=%q\n' "$SA_BUILD"
	printf 'NOFILE=%q\nNOFILE_HARD=%q\n' "$ulimit_n" "$ulimit_hn"
	printf 'TESTS=('
	[ ${#TESTS[@]} -gt 0 ] && printf '%q ' "${TESTS[@]}"
	printf ')\n'
	printf 'SA_TEST_TIMEOUT=%q\n' "${SA_TEST_TIMEOUT:-}"
	printf 'SA_VM_ALL=%q\n' "${SA_VM_ALL:-}"
	printf 'SA_VM_CMD=%q\n' "${SA_VM_CMD:-}"
	for v in ${SA_VM_PASS:-}; do
		printf '%s=%q\n' "$v" "${!v:-}"
	done
} >"$INITRD/env"

cat >"$INITRD/init" <<'EOF'
#!/bin/busybox sh
# stage 1 (initramfs): modules, 9p root + tmpfs overlay, switch_root
/bin/busybox --install -s /bin
export PATH=/bin
fail() {
	echo "sa-vm-init: $*"
	echo "SA-VM-EXIT=125"
	poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 60
}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
	insmod "/modules/$m" || fail "insmod $m failed"
done </modules.list
mkdir -p /lower /rw
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /lower ||
	fail "cannot mount the host root (9p)"
mount -t tmpfs -o mode=0755 tmpfs /rw || fail "tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	fail "cannot mount the overlay"
mkdir -p /newroot/.sa-vm/out /newroot/.sa-vm/lower
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 saout /newroot/.sa-vm/out ||
	fail "cannot mount the output share (9p)"
mount --move /lower /newroot/.sa-vm/lower || fail "mount --move /lower"
cp /env /stage2 /newroot/.sa-vm/ || fail "cannot copy stage 2"
umount /proc /sys
mount --move /dev /newroot/dev || fail "mount --move /dev"
exec switch_root /newroot /bin/bash /.sa-vm/stage2
fail "switch_root failed"
EOF

if [ -n "${SA_VM_STAGE2:-}" ]; then
	cp "$SA_VM_STAGE2" "$INITRD/stage2" || die "cannot copy $SA_VM_STAGE2"
else
cat >"$INITRD/stage2" <<'EOF'
# stage 2 (pid 1 in the host's root, read-only 9p + tmpfs overlay), run by bash
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
. /.sa-vm/env
off() {
	sync
	/bin/busybox poweroff -f 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 60
}
fail() { echo "sa-vm-init: $*"; echo "SA-VM-EXIT=125"; echo 125 >/.sa-vm/out/rc; off; }
mnt() {	# TYPE DIR [OPTIONS]
	mkdir -p "$2" && mount -t "$1" ${3:+-o "$3"} "$1" "$2" || fail "cannot mount $1 on $2"
}
mnt proc /proc
mnt sysfs /sys
mountpoint -q /dev || mnt devtmpfs /dev
mnt devpts /dev/pts gid=5,mode=620,ptmxmode=666
mnt tmpfs /dev/shm mode=1777
for l in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
	ln -sfn "${l#*:}" "/dev/${l%%:*}"
done
mnt cgroup2 /sys/fs/cgroup nsdelegate
mnt bpf /sys/fs/bpf mode=0700
mnt tracefs /sys/kernel/tracing
mnt debugfs /sys/kernel/debug
mnt tmpfs /tmp mode=1777
mnt tmpfs /run mode=0755
mkdir -p /run/netns /run/lock /run/user
# modules on demand (request_module runs the host's /sbin/modprobe)
mkdir -p /lib/modules && ln -sfn "$MODDIR" "/lib/modules/$KVER" || fail "/lib/modules/$KVER"
# a checkout or build dir under the fresh /tmp or /run (a CI clone in /tmp):
# bind the host's copy back (the checkout first: the build may lie inside)
for d in "$SA_ROOT" "$SA_BUILD"; do
	case $d in /tmp/* | /run/*) ;; *) continue ;; esac
	[ -n "$(ls -A "$d" 2>/dev/null)" ] && continue	# inside the checkout, bound already
	mkdir -p "$d" && mount --bind "/.sa-vm/lower$d" "$d" || fail "cannot bind $d"
done
ip link set lo up || fail "lo up"
echo "sa-vm" >/proc/sys/kernel/hostname
ulimit -Hn "$NOFILE_HARD" 2>/dev/null
ulimit -Sn "$NOFILE" 2>/dev/null
echo "sa-vm: $(uname -r), $(nproc) CPU(s), $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"
echo "SA-VM-START"
if [ -n "$SA_VM_CMD" ]; then
	(cd "$SA_ROOT" && bash -c "$SA_VM_CMD") </dev/null
else
	mkdir -p /.sa-vm/out/logs
	(
		cd "$SA_ROOT" || exit 1
		export SA_BUILD SA_LOG_DIR=/.sa-vm/out/logs
		# tests that size their load may shrink it: software emulation is ~20x slower
		export SA_VM=1
		[ -n "$SA_TEST_TIMEOUT" ] && export SA_TEST_TIMEOUT
		[ -n "$SA_VM_ALL" ] && export SA_VM_ALL
		exec tests/netns/run.sh "${TESTS[@]}"
	) </dev/null
fi
rc=$?
echo "$rc" >/.sa-vm/out/rc
sync
echo "SA-VM-EXIT=$rc"
off
EOF
fi

chmod 755 "$INITRD/init"
(cd "$INITRD" && find . | "$BUSYBOX" cpio -o -H newc >"$WORK/initrd.cpio" 2>/dev/null) || die "cpio failed"

# ---------------------------------------------------------------- the VM
mkdir -p "$WORK/out"
if [ -n "${SA_VM_TIMEOUT:-}" ]; then
	VM_TIMEOUT=$SA_VM_TIMEOUT
elif [ ${#TESTS[@]} -eq 0 ]; then
	VM_TIMEOUT=3600
else
	VM_TIMEOUT=$((300 + 420 * ${#TESTS[@]}))
	[ $VM_TIMEOUT -gt 3600 ] && VM_TIMEOUT=3600
fi
APPEND="console=ttyS0 panic=-1 oops=panic softlockup_panic=1 loglevel=5 rdinit=/init ${SA_VM_APPEND:-}"
say "$KERNEL: $PKG $PKGVER ($KVER), -smp $SMP -accel $ACCEL -m $MEM, timeout ${VM_TIMEOUT}s"
CONSOLE=$WORK/console.log
: >"$CONSOLE"
start=$(date +%s)
timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 \
	-accel "$ACCEL" -cpu max -smp "$SMP" -m "$MEM" \
	-nographic -no-reboot -nic none \
	-pidfile "$WORK/qemu.pid" \
	-kernel "$VMLINUZ" -initrd "$WORK/initrd.cpio" -append "$APPEND" \
	-virtfs local,path=/,mount_tag=hostroot,readonly=on,security_model=none,multidevs=remap \
	-virtfs "local,path=$WORK/out,mount_tag=saout,security_model=none" \
	</dev/null >"$CONSOLE" 2>&1 &
QPID=$!
# stream: the guest's own lines between the markers (everything with SA_VM_VERBOSE=1)
# (mawk reads a pipe in blocks unless -W interactive)
AWK_LINE=()
awk -W version 2>&1 | grep -q mawk && AWK_LINE=(-W interactive)
tail -n +1 -f --pid=$QPID "$CONSOLE" 2>/dev/null | awk "${AWK_LINE[@]}" -v verbose="$VERBOSE" '
	{ sub(/\r+$/, ""); gsub(/\r/, "") }
	verbose == 1 { print; fflush(); next }
	/^SA-VM-START$/ { on = 1; next }
	/^SA-VM-EXIT=/ { on = 0; next }
	/^sa-vm(-init)?: / { print; fflush(); next }
	on && !/^\[ *[0-9]+\.[0-9]+\] / { print; fflush() }
' &
TPID=$!
wait $QPID
qrc=$?
QPID=""
wait $TPID 2>/dev/null
TPID=""
secs=$(($(date +%s) - start))

# ---------------------------------------------------------------- the verdict
tr -d '\r' <"$CONSOLE" >"$WORK/console.txt"
what=""
if [ -s "$WORK/out/rc" ]; then
	rc=$(cat "$WORK/out/rc")
else
	rc=$(sed -n 's/^SA-VM-EXIT=\([0-9]*\).*/\1/p' "$WORK/console.txt" | tail -n1)
fi
# kernel lines only ("[  12.345678] ..."): the tests' own output may say anything
panic_re='^\[ *[0-9]+\.[0-9]+\] (Kernel panic|Oops|.*BUG:|kernel BUG|general protection fault|.*: [0-9a-f]{4} \[#[0-9]+\])'
if grep -Eq "$panic_re" "$WORK/console.txt"; then
	what="panic"
	echo "vm: the guest kernel crashed; its console from the first report:"
	first=$(grep -En "$panic_re" "$WORK/console.txt" | head -n1 | cut -d: -f1)
	tail -n "+$first" "$WORK/console.txt" | head -n 120 | sed 's/^/    /'
	[ -z "$rc" ] && rc=3
elif [ $qrc = 124 ] || [ $qrc = 137 ]; then
	what="timeout"
	echo "vm: timeout after ${VM_TIMEOUT}s; last console lines:"
	tail -n 40 "$WORK/console.txt" | sed 's/^/    /'
	[ -z "$rc" ] && rc=4
elif [ -z "$rc" ]; then
	what="no exit marker"
	echo "vm: the guest printed no exit marker (qemu exit $qrc); last console lines:"
	tail -n 40 "$WORK/console.txt" | sed 's/^/    /'
	rc=5
fi
# kernel warnings are worth seeing even when the suite passed
nwarn=$(grep -c 'WARNING: CPU' "$WORK/console.txt")
[ "$nwarn" -gt 0 ] && [ "$what" != panic ] && {
	echo "vm: the guest kernel printed $nwarn WARNING(s):"
	grep -A12 'WARNING: CPU' "$WORK/console.txt" | head -n 60 | sed 's/^/    /'
}
if [ -n "${SA_VM_LOG_DIR:-}" ]; then
	mkdir -p "$SA_VM_LOG_DIR" && cp "$WORK/console.txt" "$SA_VM_LOG_DIR/console.log" &&
		{ [ ! -d "$WORK/out/logs" ] || cp -r "$WORK/out/logs/." "$SA_VM_LOG_DIR/"; } ||
		echo "vm: cannot copy the logs to $SA_VM_LOG_DIR" >&2
fi
say "kernel $KERNEL $PKG $PKGVER: exit $rc, $secs s${what:+, $what}"
case $rc in '' | *[!0-9]*) rc=1 ;; esac
exit "$rc"
