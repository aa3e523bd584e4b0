# Processes in a cgroup that is not attached are left alone: their stream is
# intact and no counter moves. A control stream in the attached SA_CG then is
# redirected (so the counters do work in this test).
. "$SA_LIB"

BYTES=$((4 << 20))
OTHER=$(new_cgroup other)
load --redirect-streams "$SA_CG"
r0=$(stats_get redirected_bytes)
a0=$(stats_get sockets_added)
m0=$(stats_get redirected_msgs)
p0=$(stats_get passed_no_peer_msgs)
stream "$SA_NS" "$OTHER" 127.0.0.1 127.0.0.1 5000 "$BYTES" 14
assert_eq "$(stats_get redirected_bytes)" "$r0" "redirected_bytes after a stream in an unattached cgroup"
assert_eq "$(stats_get redirected_msgs)" "$m0" "redirected_msgs after a stream in an unattached cgroup"
assert_eq "$(stats_get sockets_added)" "$a0" "sockets_added after a stream in an unattached cgroup"
assert_eq "$(stats_get passed_no_peer_msgs)" "$p0" "passed_no_peer_msgs (sk_msg must not even run)"
assert_eq "$(cg_links "$OTHER")" 0 "programs attached to the unattached cgroup"

# control: the attached cgroup in the same netns is redirected
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5001 "$BYTES" 15
assert_ge $(($(stats_get redirected_bytes) - r0)) $((2 * SA_MIN_REDIRECT)) "control stream in SA_CG not redirected"
