# conns and the drain with no iterator at all (the sock_map walk): a live
# accelerated connection in the test's namespace is listed (both sockets, in
# the map, state unknown), a graceful detach of the receiver's cgroup waits
# for its unread redirected data and loses nothing.
# timeout: 120
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
export SOCKACCEL_TEST_MISSING_FEATURE=iter/bpf_sk_storage_map,iter/tcp
BYTES=$((16 << 20))
BOUND=$((4 << 20))
CGA=$(new_cgroup a)
CGB=$(new_cgroup b)

load --max-unread "$BOUND" "$CGA" "$CGB"
assert_eq "$($SA_CTL -j status | jq -r '.features[] | select(.name == "conns_listing") | .in_use')" \
	"sock_map walk" "conns listing in use"
held_until_bound "$CGB" "$CGA" "$BOUND" "$BYTES" 64K
sel="[.[] | select(.local_port == $PORT or .remote_port == $PORT)]"
out=$($SA_CTL -j conns) || fail "conns: $out"
echo "$out" | jq -c "$sel"
assert_eq "$(jq "$sel | length" <<<"$out")" 2 "sockets of the connection listed"
jq -e "$sel | all(.[]; .in_map and .tx.mode == \"unknown\")" <<<"$out" >/dev/null ||
	fail "not listed as in the map with unknown mode"
assert_ge "$(jq "$sel | map(.rx.unread_bytes // 0) | max" <<<"$out")" $((1 << 20)) "unread redirected bytes shown"
$SA_CTL conns | grep -q ":$PORT" || fail "conns (text) does not show port $PORT"

# The drain reads the maps only: it waits for the reader, then removes.
$SA_CTL -j detach --timeout 30 "$CGB" >"$SA_TMP/detach.json" 2>"$SA_TMP/detach.err" &
dpid=$!
sleep 1.5
kill -0 $dpid 2>/dev/null || fail "detach returned while redirected data was unread: $(cat "$SA_TMP/detach.json")"
held_finish "$BYTES"
wait $dpid || fail "detach failed: $(cat "$SA_TMP/detach.json" "$SA_TMP/detach.err")"
cat "$SA_TMP/detach.json"
assert_eq "$(jq .timed_out "$SA_TMP/detach.json")" false "detach timed out"
