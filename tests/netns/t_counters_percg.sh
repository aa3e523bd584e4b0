# Per attached cgroup counters: two attached cgroups with different traffic;
# each cgroup's redirected + passed bytes are what its sockets sent (both
# directions of its streams, plus the few bytes of the --sync exchange), the
# totals are their sum (nothing else sends), `status` shows the same rows,
# and after a detach that cgroup's row goes while the other keeps counting.
# timeout: 240
. "$SA_LIB"
need_bin sa-stream

A_BYTES=$((1 << 20))
B_BYTES=$((256 << 10))
SLACK=4096	# the --sync exchange (a few bytes per stream)

B=$(new_cgroup b)
A_REL=${SA_CG#"$SA_CG2"}
B_REL=${B#"$SA_CG2"}
# B is attached by --pid of a process in it: its row carries that name.
bg_in - "$B" sleep 600
holder=$BG_PID
for _ in $(seq 100); do
	grep -qx "0::$B_REL" "/proc/$holder/cgroup" 2>/dev/null && break
	sleep 0.05
done
load --redirect-streams "$SA_CG" --pid "$holder"

# cg_get REL KEY: .counters.KEY of the cgroup REL in `stats -j` (or "absent")
cg_get() {
	local out
	out=$($SA_CTL -j stats) || fail "sockaccelctl -j stats failed: $out"
	jq -r --arg p "$1" --arg k "$2" \
		'[.cgroups[] | select(.path == $p)] | if length == 0 then "absent" else .[0].counters[$k] end' <<<"$out"
}
sent() { echo $(( $(cg_get "$1" redirected_bytes) + $(cg_get "$1" passed_bytes) )); }

out=$($SA_CTL -j stats)
info "stats -j cgroups: $(jq -c '[.cgroups[] | {path, name}]' <<<"$out")"
assert_eq "$(jq -r --arg p "$B_REL" '.cgroups[] | select(.path == $p) | .name' <<<"$out")" "pid $holder" \
	"B's row carries the name it was attached by"
assert_eq "$(sent "$A_REL")" 0 "A sent nothing yet"
assert_eq "$(sent "$B_REL")" 0 "B sent nothing yet"
tot0=$(( $(stats_get redirected_bytes) + $(stats_get passed_bytes) ))

stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5000 "$A_BYTES" 3
stream "$SA_NS" "$B" 127.0.0.1 127.0.0.1 5001 "$B_BYTES" 4

a=$(sent "$A_REL")
b=$(sent "$B_REL")
tot=$(( $(stats_get redirected_bytes) + $(stats_get passed_bytes) - tot0 ))
info "A sent $a (redirected $(cg_get "$A_REL" redirected_bytes)), B sent $b (redirected $(cg_get "$B_REL" redirected_bytes)), totals $tot"
assert_ge "$a" $((2 * A_BYTES)) "A: both directions of its stream counted"
assert_lt "$a" $((2 * A_BYTES + SLACK)) "A: not more than it sent"
assert_ge "$b" $((2 * B_BYTES)) "B: both directions of its stream counted"
assert_lt "$b" $((2 * B_BYTES + SLACK)) "B: not more than it sent"
assert_eq "$tot" $((a + b)) "totals = sum of the cgroups"
assert_ge "$(cg_get "$A_REL" redirected_bytes)" $((2 * SA_MIN_REDIRECT)) "A: redirected"
assert_ge "$(cg_get "$B_REL" redirected_bytes)" $((2 * SA_MIN_REDIRECT)) "B: redirected"
assert_ge "$(cg_get "$A_REL" sockets_added)" 2 "A: sockets added"
assert_ge "$(cg_get "$B_REL" sockets_added)" 2 "B: sockets added"

# status: the same counters in each cgroup's entry
st=$($SA_CTL -j status) || fail "status -j failed"
assert_eq "$(jq -r --arg p "$B_REL" '.cgroups[] | select(.path == $p) | .counters.redirected_bytes' <<<"$st")" \
	"$(cg_get "$B_REL" redirected_bytes)" "status -j: B's redirected_bytes"
assert_eq "$(jq -r .totals.redirected_bytes <<<"$st")" "$(stats_get redirected_bytes)" "status -j: totals"
txt=$($SA_CTL status)
info "status:"; sed 's/^/#   /' <<<"$txt"
assert_match "$txt" "pid $holder: $B_REL.*
 *sockets_added [0-9]+, redirected [0-9]+ msgs / $(cg_get "$B_REL" redirected_bytes) bytes" \
	"status text: B's counters under its row"

# Detach B: its row goes; A keeps counting.
$SA_CTL detach "$B" >/dev/null || fail "detach B failed"
assert_eq "$(cg_get "$B_REL" redirected_bytes)" absent "B's row is gone after detach"
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5002 "$B_BYTES" 5
a2=$(sent "$A_REL")
info "A after detach of B: $a -> $a2"
assert_ge $((a2 - a)) $((2 * B_BYTES)) "A keeps counting after B's detach"
