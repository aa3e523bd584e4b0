# Read accounting lives exactly as long as its socket (docs/design.md,
# "Per-connection states"): each accelerated socket's rx_progress entry is
# freed when the socket is destroyed (sa_sock_destroy), and not before. Many short connections with
# one 64 B exchange each, while one accelerated connection holds 64 KiB of
# redirected data its reader has not read (its writer has sent all and exited).
# Expected: afterwards rx_progress holds the live reader's entry and nothing
# else, rx_released equals the insertions of the short connections, `conns`
# shows the 64 KiB unread, and the reader then gets every byte.
# Without the release every closed socket's entry stays until LRU eviction,
# which then takes live sockets' entries too (the drain's only record of their
# unread data).
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
need_bin sa-connrate
load "$SA_CG"
rx_entries() {
	bpftool -j map dump pinned "$SA_PIN/rx_progress" | jq length || fail "bpftool map dump rx_progress"
}

# The live pair: 64 KiB redirected, read only once the short connections are done.
held_start "$SA_CG" "$SA_CG" --bytes 64K --direction c2s
sleep 0.5
added0=$(stats_get sockets_added) released0=$(stats_get rx_released)

bg_in "$SA_NS" "$SA_CG" "$SA_BUILD/sa-connrate" server -l 127.0.0.1 -p 6101 -r 64 >"$SA_TMP/connrate-server.log" 2>&1
srv=$BG_PID
wait_port "$SA_NS" 6101
run_in "$SA_NS" "$SA_CG" "$SA_BUILD/sa-connrate" client -c 127.0.0.1 -p 6101 -r 64 -t 1.5 -j \
	>"$SA_TMP/connrate.json" || fail "sa-connrate client failed: $(cat "$SA_TMP/connrate.json")"
kill "$srv"
wait_pid "$srv" 10
conns=$(jq .conns "$SA_TMP/connrate.json")
added=$(( $(stats_get sockets_added) - added0 ))
# TIME_WAIT and LAST_ACK sockets are destroyed within a round trip; give them a moment.
for _ in $(seq 20); do
	[ "$(rx_entries)" -le 1 ] && break
	sleep 0.1
done
entries=$(rx_entries)
released=$(( $(stats_get rx_released) - released0 ))
info "short connections $conns, sockets added $added, rx_released $released, rx_progress entries left $entries"
assert_ge "$conns" 100 "short connections made"
assert_eq "$released" "$added" "entries released = sockets of the short connections"
# The live writer has sent everything and exited; its reader holds 64 KiB unread.
assert_eq "$entries" 1 "rx_progress entries left (the live reader's)"
unread=$($SA_CTL -j conns | jq "[.[] | select(.local_port == $PORT) | .rx.unread_bytes] | add")
assert_eq "$unread" 65536 "unread bytes shown for the live reader"

held_finish 65536
