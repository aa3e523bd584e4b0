# Bad input to the loader and ctl: clear one-line errors, the right exit codes,
# vm: host-only argument and cgroup checks in user space
# nothing attached or pinned behind.
# timeout: 360
. "$SA_LIB"
need_cmd bpftool

LOADER_BIN=$SA_BUILD/sockaccel-loader

. "$SA_ROOT/tests/netns/errors_lib.sh"

# --- loader: bad cgroups; nothing may be created
expect_err nonexistent nonzero $SA_LOADER "$SA_CG2/sockaccel-no-such-cgroup-$$"
no_pin nonexistent

. "$SA_ROOT/scripts/lib.sh"
v1=$(mount_of_type cgroup)
if [ -n "$v1" ]; then
	expect_err "cgroup v1 ($v1)" nonzero $SA_LOADER "$v1"
	no_pin "cgroup v1"
else
	info "no cgroup v1 mount: v1 case not run"
fi

expect_err "regular file" nonzero $SA_LOADER "$SA_CG/cgroup.procs"
no_pin "regular file"
expect_err "/tmp" nonzero $SA_LOADER /tmp
no_pin "/tmp"

# --- not root
need_cmd setpriv
expect_err "not root" nonzero setpriv --reuid=65534 --regid=65534 --clear-groups $SA_LOADER "$SA_CG"
assert_match "$ERR" "root" "not root: error mentions root"
no_pin "not root"

# --- kernel lacking a feature (simulated)
expect_err "missing feature" nonzero env SOCKACCEL_TEST_MISSING_FEATURE=BPF_MAP_TYPE_SOCKHASH $SA_LOADER "$SA_CG"
assert_match "$ERR" "BPF_MAP_TYPE_SOCKHASH" "missing feature: error names it"
no_pin "missing feature"
assert_eq "$(cg_links "$SA_CG")" 0 "missing feature: programs attached to SA_CG"
# (optional features never refuse the load: t_features)

# --- one good and one nonexistent cgroup: validation fails before any change
expect_err "good+bad" nonzero $SA_LOADER "$SA_CG" "$SA_CG2/sockaccel-no-such-cgroup-$$"
no_pin "good+bad"
assert_eq "$(cg_links "$SA_CG")" 0 "good+bad: programs attached to SA_CG"

# --- ctl with nothing loaded
expect_err "ctl status, nothing loaded" 1 $SA_CTL status
$SA_CTL -j stats >"$SA_TMP/out" 2>"$SA_TMP/err"
rc=$?
echo "[ctl -j stats, nothing loaded] exit $rc: $(cat "$SA_TMP/out") / $(cat "$SA_TMP/err")"
assert_eq "$rc" 1 "ctl -j stats nothing loaded: exit"
jq -e '.error | strings' "$SA_TMP/out" >/dev/null || fail "ctl -j stats nothing loaded: no {\"error\": string} JSON"
no_pin "ctl with nothing loaded"

# --- unknown ctl command / option
expect_err "ctl unknown command" 2 $SA_CTL frobnicate
expect_usage "ctl unknown option" $SA_CTL --frobnicate status
expect_usage "loader unknown option" $SA_LOADER --frobnicate "$SA_CG"
expect_usage "loader no cgroup" $SA_LOADER
# numbers that strtoull/strtod take but are not what was meant (found by
# tests/fuzz/fuzz_numbers: "-1" was 2^64 - 1 bytes, "nan" seconds never ended)
for v in -1 -4096 " 8192" +8192 18446744073709551616; do
	expect_usage "loader --max-unread '$v'" $SA_LOADER --max-unread "$v" "$SA_CG"
done
for v in +5 " 5" -1; do
	expect_usage "loader --map-size '$v'" $SA_LOADER --map-size "$v" "$SA_CG"
done
for v in nan inf -1 ""; do
	expect_usage "loader --drain-timeout '$v'" $SA_LOADER --foreground --drain-timeout "$v" "$SA_CG"
	expect_err "ctl teardown --timeout '$v'" 2 $SA_CTL teardown --timeout "$v"
	expect_err "ctl stats -i '$v'" 2 $SA_CTL stats -i "$v"
done
for v in 0 -1 +3 " 3" 99999999999999999999 ""; do
	expect_err "ctl stats -c '$v'" 2 $SA_CTL stats -c "$v"
	expect_err "ctl latency --pid '$v'" 2 $SA_CTL latency --pid "$v"
	expect_err "ctl latency --max-threads '$v'" 2 $SA_CTL latency --max-threads "$v"
done
expect_err "ctl latency --pid 0x10" 2 $SA_CTL latency --pid 0x10
for v in $'io\n' "sendto,nosuch" "," "restart_syscall"; do
	expect_err "ctl latency --syscalls '$v'" 2 $SA_CTL latency --syscalls "$v"
done
no_pin "usage errors"

# --- already loaded: a run with a new and a bad cgroup changes nothing
load "$SA_CG"
st0=$($SA_CTL -j status) || fail "status: $st0"
OTHER=$(new_cgroup other)
expect_err "loaded, new+bad" nonzero $SA_LOADER "$OTHER" "$SA_CG2/sockaccel-no-such-cgroup-$$"
st1=$($SA_CTL -j status) || fail "status: $st1"
assert_eq "$(jq -c '[.programs, [.cgroups[].id]]' <<<"$st1")" "$(jq -c '[.programs, [.cgroups[].id]]' <<<"$st0")" \
	"loaded, new+bad: status changed"
assert_eq "$(cg_links "$OTHER")" 0 "loaded, new+bad: programs attached to the new cgroup"
$SA_CTL teardown >/dev/null || fail "teardown failed"
no_pin "after teardown"

# --- bpffs absent: in a private mount namespace without /sys/fs/bpf the loader
# mounts bpffs itself; teardown in the same namespace.
need_cmd unshare
cat >"$SA_TMP/nobpffs.sh" <<'INNER'
bpf_mounted() { awk '$5 == "/sys/fs/bpf" { f = 1 } END { exit !f }' /proc/self/mountinfo; }
while bpf_mounted; do umount /sys/fs/bpf || exit 10; done
echo "bpffs unmounted in the private mount namespace"
$SA_LOADER "$SA_CG" || exit 11
bpf_mounted || { echo "loader did not mount bpffs"; exit 12; }
$SA_CTL -j status || exit 13
$SA_CTL teardown || exit 14
[ ! -e "$SA_PIN" ] || exit 15
INNER
unshare -m --propagation private bash "$SA_TMP/nobpffs.sh"
rc=$?
assert_eq "$rc" 0 "bpffs absent: loader/teardown in a private mount namespace (step exit code)"
assert_eq "$(cg_links "$SA_CG")" 0 "bpffs absent: programs still attached after teardown"
no_pin "bpffs absent (outer namespace)"

# --- two loaders at the same moment on the same cgroup, 3 rounds
for round in 1 2 3; do
	for i in 1 2; do
		( while [ ! -e "$SA_TMP/start.$round" ]; do :; done
		  exec $SA_LOADER "$SA_CG" ) >"$SA_TMP/race.$i.out" 2>"$SA_TMP/race.$i.err" &
		eval "rp$i=\$!"
		echo "$!" >>"$SA_REG/pids"
	done
	touch "$SA_TMP/start.$round"
	wait "$rp1"; rc1=$?
	wait "$rp2"; rc2=$?
	for i in 1 2; do
		echo "[race $round loader $i] $(cat "$SA_TMP/race.$i.out") $(cat "$SA_TMP/race.$i.err")"
	done
	ok=0
	[ $rc1 = 0 ] && ok=$((ok + 1))
	[ $rc2 = 0 ] && ok=$((ok + 1))
	[ $ok -ge 1 ] || fail "race $round: both loaders failed ($rc1, $rc2)"
	for i in 1 2; do
		rc=$([ $i = 1 ] && echo $rc1 || echo $rc2)
		if [ "$rc" != 0 ]; then
			assert_eq "$(wc -l <"$SA_TMP/race.$i.err")" 1 "race $round: failing loader stderr lines"
		fi
	done
	[ $ok = 2 ] && { cat "$SA_TMP"/race.*.out | grep -q "already attached" ||
		fail "race $round: both exited 0 but neither says already attached"; }
	st=$($SA_CTL -j status) || fail "race $round: status: $st"
	echo "$st"
	assert_eq "$(jq '.cgroups | length' <<<"$st")" 1 "race $round: status .cgroups length"
	assert_match "$(jq -r '.programs.sockops' <<<"$st")" '^[0-9]+$' "race $round: sockops id"
	assert_match "$(jq -r '.programs.sk_msg' <<<"$st")" '^[0-9]+$' "race $round: sk_msg id"
	assert_eq "$(cg_links "$SA_CG")" 1 "race $round: sock_ops attachments on SA_CG"
	r0=$(stats_get redirected_bytes)
	stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 $((5000 + round)) $((1 << 20)) $((50 + round))
	assert_ge $(($(stats_get redirected_bytes) - r0)) $((2 * SA_MIN_REDIRECT)) "race $round: stream not redirected"
	$SA_CTL teardown >/dev/null || fail "race $round: teardown failed"
	no_pin "race $round teardown"
done
