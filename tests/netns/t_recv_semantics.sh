# Pins two kernel behaviours of accelerated sockets (docs/limitations.md), with
# no timing race: MSG_WAITALL returns what is there instead of waiting for the
# full length, and SO_RCVLOWAT is ignored by poll(). Plain TCP in an
# unattached cgroup of the same netns must show neither (so the probe can tell
# them apart); the accelerated cgroup must show both. If a kernel fixes them,
# this test fails and docs/limitations.md must be updated.
. "$SA_LIB"
plain=$(new_cgroup plain)
load "$SA_CG"
p=$(run_in "$SA_NS" "$plain" python3 "$SA_ROOT/tests/tools/recv_semantics.py" 5000) || fail "probe (plain) failed"
a=$(run_in "$SA_NS" "$SA_CG" python3 "$SA_ROOT/tests/tools/recv_semantics.py" 5001) || fail "probe (accelerated) failed"
info "plain TCP: $p"
info "accelerated: $a"
assert_eq "$(jq .waitall_short <<<"$p")" false "plain TCP: MSG_WAITALL short read"
assert_eq "$(jq .rcvlowat_ignored <<<"$p")" false "plain TCP: SO_RCVLOWAT ignored"
assert_eq "$(jq .waitall_short <<<"$a")" true "accelerated: MSG_WAITALL short read (kernel fixed?)"
assert_eq "$(jq .rcvlowat_ignored <<<"$a")" true "accelerated: SO_RCVLOWAT ignored (kernel fixed?)"
