# The feature table (lib/feature_table.c): `sockaccel-loader --probe` reports
# what this kernel supports without loading anything; a load records its
# choice, `status` (text and -j) shows every feature with the implementation
# in use, or "off" with why and what the user loses; a missing optional
# feature never stops the load (SOCKACCEL_TEST_MISSING_FEATURE makes a probe
# fail on any kernel), and a missing mandatory piece still does.
# timeout: 60
. "$SA_LIB"
FEATURES='["conns_listing","destroy_hook","process_names","read_accounting","splice_detection"]'

probe=$($SA_BUILD/sockaccel-loader -j --probe) || fail "--probe failed: $probe"
echo "$probe" | jq -c '.features[] | {name, in_use}'
assert_eq "$(jq -c '[.features[].name] | sort' <<<"$probe")" "$FEATURES" "features probed"
[ ! -e "$SA_PIN" ] && [ ! -e /sys/fs/bpf/sockaccel-probe ] || fail "--probe created pins"
$SA_BUILD/sockaccel-loader --probe | grep -q '^features:' || fail "--probe (text) prints no table"
# Every kernel has at least the sock_map walk for conns.
assert_ne "$(jq -r '.features[] | select(.name == "conns_listing") | .in_use' <<<"$probe")" null \
	"conns listing never off"

# 1. A normal load records what the probe found, and status shows it.
load "$SA_CG"
st=$($SA_CTL -j status) || fail "status: $st"
LOADFEAT='[.features[] | select(.name != "syscall_latency")]'
assert_eq "$(jq -c "$LOADFEAT | map(.name) | sort" <<<"$st")" "$FEATURES" "features in status"
assert_eq "$(jq -c "$LOADFEAT | map({name, in_use})" <<<"$st")" \
	"$(jq -c '[.features[] | {name, in_use}]' <<<"$probe")" "status = probe"
# status adds what `sockaccelctl latency` would use (probed there and then)
assert_match "$(jq -r '.features[] | select(.name == "syscall_latency") | .in_use' <<<"$st")" \
	'^(fentry|tp_btf|raw_tp)$' "syscall latency mechanism"
$SA_CTL status | grep -q '^features:' || fail "status (text) shows no feature table"
$SA_CTL teardown >/dev/null || fail "teardown"

# 2. Each implementation missing in turn: the next one, or off, is used and named.
missing_all="tp_btf/sock_recv_length,fexit/inet_recvmsg+inet6_recvmsg,tp_btf/tcp_destroy_sock,iter/bpf_sk_storage_map,iter/tcp,cgroup/sock_create,fentry/tcp_splice_read,tp/syscalls/sys_enter_splice"
SOCKACCEL_TEST_MISSING_FEATURE=$missing_all $SA_LOADER "$SA_CG" 2>"$SA_TMP/load.err" ||
	fail "load without every optional feature failed: $(cat "$SA_TMP/load.err")"
cat "$SA_TMP/load.err"
grep -q 'no read accounting' "$SA_TMP/load.err" || fail "the loader did not warn that read accounting is off"
st=$($SA_CTL -j status) || fail "status: $st"
echo "$st" | jq -c '.features[]'
for f in read_accounting destroy_hook process_names splice_detection; do
	assert_eq "$(jq -r ".features[] | select(.name == \"$f\") | .in_use" <<<"$st")" null "$f in use"
	[ "$(jq -r ".features[] | select(.name == \"$f\") | .loses" <<<"$st")" != null ] ||
		fail "$f off without saying what is lost"
	jq -e ".features[] | select(.name == \"$f\") | .implementations | all(.available == false and (.error | test(\"reported missing\")))" \
		<<<"$st" >/dev/null || fail "$f: implementations not reported missing"
done
assert_eq "$(jq -r '.features[] | select(.name == "conns_listing") | .in_use' <<<"$st")" "sock_map walk" "conns listing"
$SA_CTL status | grep -q 'read_accounting *off' || fail "status (text) does not say read accounting is off"
# What is off is not pinned: nothing half there.
for pin in link_rx_track link_rx_track6 link_sock_destroy iter_conns prog_sock_create link_splice; do
	[ ! -e "$SA_PIN/$pin" ] || fail "$pin pinned although its feature is off"
done
# --exclude-comm needs process names: a clear error, nothing changed.
out=$($SA_LOADER --exclude-comm foo "$SA_CG" 2>&1) && fail "--exclude-comm accepted without process names"
assert_match "$out" "process names" "--exclude-comm error"
# A second run reuses the load as it is (idempotent).
$SA_LOADER "$SA_CG" || fail "second load"
$SA_CTL teardown >/dev/null || fail "teardown"
[ ! -e "$SA_PIN" ] || fail "pin dir left after teardown"

# 3. The second choices where the first is missing.
SOCKACCEL_TEST_MISSING_FEATURE=iter/bpf_sk_storage_map $SA_LOADER "$SA_CG" || fail "load"
assert_eq "$($SA_CTL -j status | jq -r '.features[] | select(.name == "conns_listing") | .in_use')" \
	"iter/tcp" "conns listing without map-element iterators"
$SA_CTL teardown >/dev/null || fail "teardown"
SOCKACCEL_TEST_MISSING_FEATURE=fentry/tcp_splice_read $SA_LOADER "$SA_CG" || fail "load"
assert_eq "$($SA_CTL -j status | jq -r '.features[] | select(.name == "splice_detection") | .in_use')" \
	"tp/syscalls/sys_enter_splice" "splice detection without fentry"
[ -e "$SA_PIN/link_splice" ] || fail "link_splice not pinned"
$SA_CTL teardown >/dev/null || fail "teardown"

# 4. A missing mandatory piece still refuses, naming it, leaving nothing.
out=$(SOCKACCEL_TEST_MISSING_FEATURE=tp_btf/sock_recv_length,BPF_MAP_TYPE_SOCKHASH $SA_LOADER "$SA_CG" 2>&1) &&
	fail "loaded without SOCKHASH"
assert_match "$out" "lacks BPF_MAP_TYPE_SOCKHASH" "mandatory feature error"
[ ! -e "$SA_PIN" ] || fail "pins left after a refused load"
