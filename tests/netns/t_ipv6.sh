# IPv6 (::1) stream inside the test netns+cgroup is redirected, byte-exact.
. "$SA_LIB"

BYTES=$((4 << 20))
load --redirect-streams "$SA_CG"
before=$(stats_get redirected_bytes)
added=$(stats_get sockets_added)
stream "$SA_NS" "$SA_CG" ::1 ::1 5000 "$BYTES" 12
after=$(stats_get redirected_bytes)
added2=$(stats_get sockets_added)
info "redirected_bytes $before -> $after, sockets_added $added -> $added2"
assert_ge $((after - before)) $((2 * SA_MIN_REDIRECT)) "redirected_bytes delta (both directions)"
assert_ge $((added2 - added)) 2 "sockets_added delta"
