# Loading twice on the same cgroup: second run says "already attached", exits 0,
# one attachment, same programs; counting is not doubled.
. "$SA_LIB"
need_cmd bpftool

load "$SA_CG"
st1=$($SA_CTL -j status) || fail "status failed: $st1"
out=$($SA_LOADER "$SA_CG" 2>&1)
rc=$?
echo "$out"
assert_eq "$rc" 0 "second loader exit status"
assert_match "$out" "already attached" "second loader output"
st2=$($SA_CTL -j status) || fail "status failed: $st2"
echo "$st2"
assert_eq "$(jq '.cgroups | length' <<<"$st2")" 1 "status .cgroups length"
assert_eq "$(jq -c .programs <<<"$st2")" "$(jq -c .programs <<<"$st1")" "program ids"
assert_eq "$(cg_links "$SA_CG")" 1 "sock_ops attachments on SA_CG (bpftool)"

# the relative form names the same cgroup
rel=${SA_CG#"$SA_CG2"/}
out=$($SA_LOADER "$rel" 2>&1)
rc=$?
echo "$out"
assert_eq "$rc" 0 "loader with a relative cgroup path"
assert_match "$out" "already attached" "loader with a relative cgroup path"
assert_eq "$($SA_CTL -j status | jq '.cgroups | length')" 1 "status .cgroups length"

# one attachment: a connection adds exactly its two sockets, no EEXIST
a0=$(stats_get sockets_added)
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5000 $((1 << 20)) 41
assert_eq $(($(stats_get sockets_added) - a0)) 2 "sockets_added for one connection"
assert_eq "$(stats_get insert_failed)" 0 "insert_failed"
