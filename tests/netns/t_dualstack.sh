# Server on :: (AF_INET6, v4-mapped peer) and AF_INET client to 127.0.0.1:
# the two keys must match, so the stream is redirected, byte-exact.
. "$SA_LIB"

BYTES=$((4 << 20))
load --redirect-streams "$SA_CG"
before=$(stats_get redirected_bytes)
added=$(stats_get sockets_added)
stream "$SA_NS" "$SA_CG" :: 127.0.0.1 5000 "$BYTES" 13
after=$(stats_get redirected_bytes)
added2=$(stats_get sockets_added)
info "redirected_bytes $before -> $after, sockets_added $added -> $added2"
assert_ge $((after - before)) $((2 * SA_MIN_REDIRECT)) "redirected_bytes delta (both directions)"
assert_ge $((added2 - added)) 2 "sockets_added delta"
assert_eq "$(stats_get passed_no_peer_bytes)" 0 "passed_no_peer_bytes (a v4/v6 key mismatch shows here)"
