# A process in an attached cgroup cannot deny others silently by filling the
# socket map: with --map-size 16 it holds 40 connections (80 sockets); the
# 64 sockets that do not fit are counted (insert_failed_full), `status` says
# FULL (text and -j), `stats` shows the same count; another attached
# service's connection still works byte-exact, on TCP, counted too; once the
# holder exits the map empties and that service is redirected again.
# docs/security.md.
# timeout: 300
. "$SA_LIB"
need_cmd python3

VICTIM=$(new_cgroup victim)
load --redirect-streams --map-size 16 "$SA_CG" "$VICTIM" >/dev/null
full_base=$(stats_get insert_failed_full)

# ---- the holder, in the attached cgroup SA_CG
bg_in "$SA_NS" "$SA_CG" python3 "$SA_ROOT/tests/tools/hold_conns.py" 5420 40 "$SA_TMP/held" >"$SA_TMP/hold.log" 2>&1
HOLDER=$BG_PID
for ((i = 0; i < 600; i++)); do
	[ -e "$SA_TMP/held" ] && break
	kill -0 "$HOLDER" 2>/dev/null || { cat "$SA_TMP/hold.log"; fail "hold_conns.py exited"; }
	sleep 0.1
done
[ -e "$SA_TMP/held" ] || fail "hold_conns.py did not hold its 40 connections within 60 s"

st=$($SA_CTL -j status) || fail "status -j: $st"
full=$(stats_get insert_failed_full)
info "map $(jq .map_entries <<<"$st") / $(jq .map_capacity <<<"$st"), insert_failed_full $((full - full_base))"
assert_eq "$(jq .map_entries <<<"$st")" 16 "map entries (full)"
assert_eq "$(jq .map_capacity <<<"$st")" 16 "map capacity"
assert_eq $((full - full_base)) 64 "insert_failed_full: 80 sockets, 16 fit"
assert_eq "$(jq .insert_failed_full <<<"$st")" "$full" "status -j insert_failed_full = stats"
txt=$($SA_CTL status) || fail "status"
grep '^sock_map:' <<<"$txt"
assert_match "$(grep '^sock_map:' <<<"$txt")" "16 / 16 entries \(FULL: $full socket\(s\) refused" "status text says FULL"
n_full=$($SA_CTL -j conns | jq '[.[] | select(.tx.reason == "map_full")] | length')
assert_eq "$n_full" 64 "conns: sockets with reason map_full"

# ---- another attached service: works, on TCP, and is counted
r0=$(stats_get redirected_bytes)
stream "$SA_NS" "$VICTIM" 127.0.0.1 127.0.0.1 5421 $((256 << 10)) 9 >/dev/null
assert_eq "$(stats_get redirected_bytes)" "$r0" "redirected bytes while the map is full"
assert_eq $(($(stats_get insert_failed_full) - full)) 2 "the other service's 2 sockets are counted"

# ---- the holder goes: the map empties, acceleration is back
kill "$HOLDER"
wait_pid "$HOLDER" 30 >/dev/null
for ((i = 0; i < 300; i++)); do
	[ "$($SA_CTL -j status | jq .map_entries)" = 0 ] && break
	sleep 0.1
done
assert_eq "$($SA_CTL -j status | jq .map_entries)" 0 "map entries after the holder exited"
assert_match "$($SA_CTL status | grep '^sock_map:')" "0 / 16 entries \(was full: $((full + 2)) socket" \
	"status text: was full"
stream "$SA_NS" "$VICTIM" 127.0.0.1 127.0.0.1 5422 $((256 << 10)) 11 >/dev/null
assert_ge $(($(stats_get redirected_bytes) - r0)) 1 "redirected again once the map has room"
