# detach: the cgroup leaves `status`, new connections are not redirected.
# teardown: pin dir gone, the programs status reported no longer exist.
. "$SA_LIB"
need_cmd bpftool

BYTES=$((1 << 20))
load "$SA_CG"
st=$($SA_CTL -j status) || fail "status failed: $st"
echo "$st"
sockops=$(jq -r .programs.sockops <<<"$st")
skmsg=$(jq -r .programs.sk_msg <<<"$st")
cgid=$(cgroup_id "$SA_CG")
assert_match "$sockops" '^[0-9]+$' "status .programs.sockops"
assert_match "$skmsg" '^[0-9]+$' "status .programs.sk_msg"
assert_eq "$(jq --argjson id "$cgid" '[.cgroups[] | select(.id == $id)] | length' <<<"$st")" 1 \
	"SA_CG in status .cgroups"

# attached: redirected
r0=$(stats_get redirected_bytes)
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5000 "$BYTES" 31
r1=$(stats_get redirected_bytes)
assert_ge $((r1 - r0)) $((2 * SA_MIN_REDIRECT)) "redirected before detach"

# detach
$SA_CTL detach "$SA_CG" || fail "detach failed"
st=$($SA_CTL -j status) || fail "status after detach failed: $st"
echo "$st"
assert_eq "$(jq --argjson id "$cgid" '[.cgroups[] | select(.id == $id)] | length' <<<"$st")" 0 \
	"SA_CG still in status .cgroups after detach"
assert_eq "$(cg_links "$SA_CG")" 0 "sock_ops programs still attached to SA_CG (bpftool)"
a1=$(stats_get sockets_added)
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5001 "$BYTES" 32
assert_eq "$(stats_get redirected_bytes)" "$r1" "redirected_bytes after detach"
assert_eq "$(stats_get sockets_added)" "$a1" "sockets_added after detach"

# teardown
$SA_CTL teardown || fail "teardown failed"
[ ! -e "$SA_PIN" ] || { ls -la "$SA_PIN"; fail "pin dir $SA_PIN still there after teardown"; }
progs=$(bpftool -j prog show) || fail "bpftool prog show failed"
for id in "$sockops" "$skmsg"; do
	n=$(jq --argjson id "$id" '[.[] | select(.id == $id)] | length' <<<"$progs")
	assert_eq "$n" 0 "program id $id still exists after teardown"
done
out=$($SA_CTL status 2>&1)
assert_eq "$?" 1 "status exit after teardown"
# plain TCP still fine afterwards
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5002 "$BYTES" 33
