# The unread bound of a reader (`conns` rx.limit, docs/design.md "Slow reader
# bound") follows, on its next read, a new --max-unread (a new loader run
# replaces the policy) and the reader's own SO_RCVBUF (locked: the bound is the
# buffer). A bound computed once at insertion, or one that ignores the policy,
# fails here (checked by breaking sa_rx_account's refresh on purpose).
# timeout: 60
. "$SA_LIB"
need_cmd python3 jq
load "$SA_CG"
[ "$($SA_CTL -j status | jq -r '.features[] | select(.name == "read_accounting") | .in_use')" != null ] ||
	skip "no read accounting on this kernel: the bound is never refreshed (t_rx_untracked)"
bg_in "$SA_NS" "$SA_CG" python3 "$SA_ROOT/tests/tools/rx_limit.py" 7311 "$SA_TMP" >"$SA_TMP/rl.out" 2>"$SA_TMP/rl.err"
pid=$BG_PID

phase() { # N: wait for phase N's line, print it
	local i
	for i in $(seq 300); do
		grep -q "\"phase\": $1" "$SA_TMP/rl.out" && { grep "\"phase\": $1" "$SA_TMP/rl.out"; return; }
		kill -0 "$pid" 2>/dev/null || fail "rx_limit.py ended: $(cat "$SA_TMP/rl.err")"
		sleep 0.1
	done
	fail "rx_limit.py: no phase $1"
}
limit() { # the server socket's (local port 7311) unread bound
	$SA_CTL -j conns | jq -r '[.[] | select(.local_port == 7311 and .rx.limit != null) | .rx.limit] | first // "none"'
}

p0=$(phase 0)
rmem_max=$(ip netns exec "$SA_NS" sysctl -n net.ipv4.tcp_rmem | awk '{ print $3 }')
rcv0=$(jq .rcvbuf <<<"$p0")
want0=$((2 * rcv0 < rmem_max ? 2 * rcv0 : rmem_max))
assert_eq "$(limit)" "$want0" "default bound: min(tcp_rmem[2], 2 x rcvbuf $rcv0)"

$SA_LOADER --max-unread 50000 "$SA_CG" >/dev/null || fail "loader --max-unread 50000"
touch "$SA_TMP/go1"
phase 1 >/dev/null
assert_eq "$(limit)" 50000 "bound after --max-unread 50000 and one read"

touch "$SA_TMP/go2"
rcv2=$(jq .rcvbuf <<<"$(phase 2)")
assert_ne "$rcv2" "$rcv0" "SO_RCVBUF changed the buffer"
assert_eq "$(limit)" "$rcv2" "bound after SO_RCVBUF (locked buffer) and one read"

touch "$SA_TMP/go3"
wait_pid "$pid" 10 || fail "rx_limit.py failed: $(cat "$SA_TMP/rl.err")"
