#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Netns/cgroup test runner for sockaccel.
#
#   tests/netns/run.sh [NAME...]      (as root; NAME = test file stem without t_ and .sh)
#
# Every tests/netns/t_*.sh runs (sorted, or only the named ones) in bash, in a
# subshell of its own, with a fresh network namespace, cgroup v2 directory, bpffs
# pin dir path and temp dir (see README.md). Exit 0 = pass, 77 = skip, else fail.
# Whatever the outcome, the runner then kills the test's processes, tears down
# and removes its pin dir(s), deletes its netns(es), removes its cgroup(s) and
# temp dir.
#
# Environment: SA_BUILD (default <repo>/build), SA_TEST_TIMEOUT (default 180 s,
# a `# timeout: N` line in a test overrides it), SA_LOG_DIR (keep every test's
# log there; default: logs are deleted, failures show their last 30 lines),
# SA_SANITIZE=1 (SA_BUILD is an ASan+UBSan build, `make test-sanitize`: leaks
# detected, every sanitizer report is appended to its test's log and fails it).

set -u

die() { echo "run.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

SA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
SA_BUILD=${SA_BUILD:-$SA_ROOT/build}
SA_BUILD=$(cd "$SA_BUILD" 2>/dev/null && pwd -P) || die "build dir missing: run make first"
TESTDIR=$SA_ROOT/tests/netns
DEFAULT_TIMEOUT=${SA_TEST_TIMEOUT:-180}
RUNPID=$$

for b in sockaccel-loader sockaccelctl; do
	[ -x "$SA_BUILD/$b" ] || die "$SA_BUILD/$b missing: run make first"
done
for c in ip jq timeout awk; do
	command -v "$c" >/dev/null || die "$c not found"
done

. "$SA_ROOT/scripts/lib.sh"	# mount_of_type
is_mounted_as() {	# PATH FSTYPE
	awk -v p="$1" -v t="$2" '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
			 if ($5 == p && $(i + 1) == t) f = 1 } END { exit !f }' /proc/self/mountinfo
}

SA_CG2=$(mount_of_type cgroup2)
[ -n "$SA_CG2" ] || die "no cgroup2 mount found in /proc/self/mountinfo"
if ! is_mounted_as /sys/fs/bpf bpf; then
	mkdir -p /sys/fs/bpf
	mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs at /sys/fs/bpf"
fi

# ---------------------------------------------------------------- test list
declare -a TESTS=()
if [ $# -eq 0 ]; then
	for f in "$TESTDIR"/t_*.sh; do
		[ -e "$f" ] && TESTS+=("$f")
	done
else
	for n in "$@"; do
		n=${n#t_}; n=${n%.sh}
		TESTS+=("$TESTDIR/t_$n.sh")
	done
fi
[ ${#TESTS[@]} -gt 0 ] || die "no tests found"

RUNTMP=$(mktemp -d "/tmp/sockaccel-run-$RUNPID.XXXXXX") || die "mktemp failed"
LOGDIR=${SA_LOG_DIR:-$RUNTMP}
mkdir -p "$LOGDIR" || die "cannot create $LOGDIR"

# ---------------------------------------------------------------- cleanup
CUR_PGID=""
CUR_NS="" CUR_CG="" CUR_PIN="" CUR_TMP=""

kill_cgroup_tree() {	# DIR: kill every process in DIR and below (only our dirs)
	local d pid i
	[ -d "$1" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		local any=0
		while IFS= read -r d; do
			if [ -w "$d/cgroup.kill" ]; then
				[ -s "$d/cgroup.procs" ] && { any=1; echo 1 >"$d/cgroup.kill" 2>/dev/null; }
			else
				while read -r pid; do
					any=1; kill -KILL "$pid" 2>/dev/null
				done <"$d/cgroup.procs"
			fi
		done < <(find "$1" -type d 2>/dev/null)
		[ $any = 0 ] && return 0
		sleep 0.1
	done
}

rmdir_cgroup_tree() {	# DIR: children first, retried (dying tasks leave late)
	local i
	for i in $(seq 1 30); do
		[ -d "$1" ] || return 0
		find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -d "$1" ] || return 0
		sleep 0.1
	done
	echo "run.sh: warning: could not remove cgroup $1" >&2
}

teardown_pin() {	# DIR
	[ -e "$1" ] || return 0
	"$SA_BUILD/sockaccelctl" --pin-dir "$1" teardown --force >/dev/null 2>&1
	[ -e "$1" ] && rm -rf "$1"
	[ -e "$1" ] && echo "run.sh: warning: could not remove pin dir $1" >&2
	return 0
}

cleanup_test() {
	local reg=$CUR_TMP/.sa-reg ns cg pin pid mnt
	local -a nss=() cgs=() pins=()

	[ -n "$CUR_NS" ] || return 0
	nss=("$CUR_NS"); cgs=("$CUR_CG"); pins=("$CUR_PIN")
	[ -f "$reg/netns" ] && mapfile -t -O 1 nss <"$reg/netns"
	[ -f "$reg/cgroups" ] && mapfile -t -O 1 cgs <"$reg/cgroups"
	[ -f "$reg/pins" ] && mapfile -t -O 1 pins <"$reg/pins"

	# 1. processes: the test's process group, its cgroups, its netns, recorded pids
	if [ -n "$CUR_PGID" ]; then
		kill -KILL -- "-$CUR_PGID" 2>/dev/null
	fi
	for cg in "${cgs[@]}"; do
		case $cg in "$SA_CG2"/sockaccel-test-"$RUNPID"-*) kill_cgroup_tree "$cg" ;; esac
	done
	for ns in "${nss[@]}"; do
		case $ns in sat"$RUNPID"-*) ;; *) continue ;; esac
		ip netns pids "$ns" 2>/dev/null | while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
	done
	if [ -n "$CUR_PGID" ] && [ -f "$reg/pids" ]; then
		# only pids still in the test's process group (never a reused pid)
		while read -r pid; do
			[ -r "/proc/$pid/stat" ] || continue
			[ "$(awk '{ print $5 }' "/proc/$pid/stat" 2>/dev/null)" = "$CUR_PGID" ] &&
				kill -KILL "$pid" 2>/dev/null
		done <"$reg/pids"
	fi

	# 2. bpf: teardown + remove the pin dirs
	for pin in "${pins[@]}"; do
		case $pin in /sys/fs/bpf/sockaccel-test-"$RUNPID"-*) teardown_pin "$pin" ;; esac
	done
	# 2b. private bpffs instances (new_bpffs): their pin dirs, then unmount
	if [ -f "$reg/mounts" ]; then
		while read -r mnt; do
			case $mnt in /tmp/sockaccel-test-"$RUNPID"-*/bpffs-*) ;; *) continue ;; esac
			while is_mounted_as "$mnt" bpf; do
				for pin in "$mnt"/*/; do
					[ -d "$pin" ] && teardown_pin "${pin%/}"
				done
				umount "$mnt" || break
			done
		done <"$reg/mounts"
	fi
	# 3. netns
	for ns in "${nss[@]}"; do
		case $ns in sat"$RUNPID"-*) ip netns del "$ns" 2>/dev/null ;; esac
	done
	# 4. cgroups (children first; processes were killed above)
	for cg in "${cgs[@]}"; do
		case $cg in "$SA_CG2"/sockaccel-test-"$RUNPID"-*) rmdir_cgroup_tree "$cg" ;; esac
	done
	# 5. temp dir
	case $CUR_TMP in /tmp/sockaccel-test-"$RUNPID"-*) rm -rf "$CUR_TMP" ;; esac
	CUR_NS="" CUR_CG="" CUR_PIN="" CUR_TMP="" CUR_PGID=""
}

on_signal() {
	echo "run.sh: interrupted, cleaning up" >&2
	cleanup_test
	rm -rf "$RUNTMP"
	exit 130
}
trap on_signal INT TERM HUP

# ---------------------------------------------------------------- run
npass=0 nfail=0 nskip=0 idx=0
for f in "${TESTS[@]}"; do
	idx=$((idx + 1))
	name=$(basename "$f" .sh); name=${name#t_}
	if [ ! -f "$f" ]; then
		echo "FAIL $name (0s)"
		echo "    no such test: $f"
		nfail=$((nfail + 1))
		continue
	fi
	# "# vm: host-only REASON": user-space behaviour the host run covers;
	# the kernel-matrix VMs (SA_VM) skip it unless SA_VM_ALL=1 (CI time)
	hostonly=$(sed -n 's/^#[[:space:]]*vm:[[:space:]]*host-only[[:space:]]*//p' "$f" | head -n1)
	if [ -n "${SA_VM:-}" ] && [ -z "${SA_VM_ALL:-}" ] && [ -n "$hostonly" ]; then
		echo "SKIP $name: host-only in the VM matrix ($hostonly; SA_VM_ALL=1 runs it)"
		nskip=$((nskip + 1))
		continue
	fi
	tmo=$(sed -n 's/^#[[:space:]]*timeout:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$f" | head -n1)
	tmo=${tmo:-$DEFAULT_TIMEOUT}
	log=$LOGDIR/$name.log

	CUR_NS=sat$RUNPID-$idx
	CUR_CG=$SA_CG2/sockaccel-test-$RUNPID-$idx
	CUR_PIN=/sys/fs/bpf/sockaccel-test-$RUNPID-$idx
	CUR_TMP=$(mktemp -d "/tmp/sockaccel-test-$RUNPID-$idx.XXXXXX")
	mkdir -p "$CUR_TMP/.sa-reg"
	setup_err=""
	if ! ip netns add "$CUR_NS" 2>"$log.setup"; then
		setup_err="ip netns add $CUR_NS failed: $(head -n1 "$log.setup")"
	elif ! ip -n "$CUR_NS" link set lo up 2>"$log.setup"; then
		setup_err="lo up in $CUR_NS failed: $(head -n1 "$log.setup")"
	elif ! mkdir "$CUR_CG" 2>"$log.setup"; then
		setup_err="mkdir $CUR_CG failed: $(head -n1 "$log.setup")"
	fi
	rm -f "$log.setup"

	if [ "${SA_SANITIZE:-}" = 1 ]; then
		# Reports go to files (<log>.asan.PID): tests parse the tools' stderr,
		# and a report from a process whose exit status is not checked still counts.
		rm -f "$log".asan.* "$log".ubsan.*
		export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:log_path=$log.asan"
		export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$log.ubsan"
		export LSAN_OPTIONS="report_objects=1"
	fi
	start=$(date +%s)
	if [ -n "$setup_err" ]; then
		echo "setup: $setup_err" >"$log"
		rc=1
	else
		(
			cd "$CUR_TMP" || exit 1
			export SA_ROOT SA_BUILD SA_CG2
			export SA_NS=$CUR_NS SA_CG=$CUR_CG SA_PIN=$CUR_PIN SA_TMP=$CUR_TMP
			export SA_REG=$CUR_TMP/.sa-reg SA_RUNPID=$RUNPID SA_IDX=$idx SA_TEST=$name
			export SA_LOADER="$SA_BUILD/sockaccel-loader --pin-dir $CUR_PIN"
			export SA_CTL="$SA_BUILD/sockaccelctl --pin-dir $CUR_PIN"
			export SA_LIB=$TESTDIR/lib.sh
			# timeout(1) makes itself a process group leader: that group is the test's
			exec timeout --kill-after=5 "$tmo" bash "$f"
		) >"$log" 2>&1 </dev/null &
		CUR_PGID=$!
		wait "$CUR_PGID"
		rc=$?
		[ $rc = 124 ] || [ $rc = 137 ] && echo "run.sh: TIMEOUT after ${tmo}s" >>"$log"
	fi
	cleanup_test
	secs=$(($(date +%s) - start))
	if [ "${SA_SANITIZE:-}" = 1 ]; then
		for san in "$log".asan.* "$log".ubsan.*; do
			[ -e "$san" ] || continue
			{ echo "run.sh: sanitizer report $san:"; cat "$san"; } >>"$log"
			rm -f "$san"
			case $rc in 0 | 77) rc=1 ;; esac
		done
	fi

	case $rc in
	0)
		echo "PASS $name (${secs}s)"
		npass=$((npass + 1)) ;;
	77)
		reason=$(sed -n 's/^SKIP: //p' "$log" | tail -n1)
		echo "SKIP $name: ${reason:-no reason given}"
		nskip=$((nskip + 1)) ;;
	*)
		# why first: a report that keeps only the first lines still says it
		why=$(grep -m1 -e '^FAIL: ' -e '^run.sh: ' "$log")
		echo "FAIL $name (${secs}s)${why:+: ${why#FAIL: }}"
		tail -n 30 "$log" | sed 's/^/    /'
		nfail=$((nfail + 1)) ;;
	esac
done

rm -rf "$RUNTMP"
echo "$npass passed, $nfail failed, $nskip skipped"
[ $nfail = 0 ]
