# sockaccelctl latency: exact counts for a known workload inside the traced
# cgroup (and a child cgroup: the filter covers the subtree), nothing from a
# process outside it, the ~160 ms blocking recv in the "blocked" class and in
# the bucket that contains its duration, JSON that parses and matches the text of a
# second tracer running at the same time, programs gone after SIGINT.
# timeout: 120
. "$SA_LIB"

need_cmd jq
need_bin sockaccelctl sa-syscalls
SYS=$SA_BUILD/sa-syscalls
SUB=$SA_CG/sub
mkdir "$SUB" || fail "mkdir $SUB"
OTHER=$(new_cgroup other)
GO=$SA_TMP/go

. "$SA_ROOT/tests/netns/latency_lib.sh"

start_tracer json --cgroup "$SA_CG" -m -j -d 100
start_tracer text --cgroup "$SA_CG" -m -d 100
mech=$(sed -n 's/^latency: using \([a-z_]*\):.*/\1/p' "$SA_TMP/json.err")
assert_match "$mech" '^(fentry|tp_btf|raw_tp)$' "-v names the mechanism"
info "mechanism: $mech ($(grep -h 'latency: ' "$SA_TMP/json.err" | tr '\n' ' '))"
for id in $(prog_ids json); do
	bpftool prog show id "$id" >/dev/null 2>&1 || fail "program id $id (from -v) is not loaded while tracing"
done

# In SA_CG: 1000 sendto, 600 + 7 (EAGAIN) + 1 (blocks ~160 ms) recvfrom, and the
# releasing thread's 1 sendto. In SA_CG/sub: 234 sendto, 10 recvfrom.
# Outside (sibling cgroup): 5000 sendto, 300 + 50 + 1 recvfrom: must not count.
bg_in "$SA_NS" "$SA_CG" "$SYS" --wait "$GO" --sendto 1000 --recvfrom 600 --eagain 7 \
	--block-ms 160 >"$SA_TMP/w1.log" 2>&1
W1=$BG_PID
bg_in "$SA_NS" "$SUB" "$SYS" --wait "$GO" --sendto 234 --recvfrom 10 >"$SA_TMP/w2.log" 2>&1
W2=$BG_PID
bg_in "$SA_NS" "$OTHER" "$SYS" --wait "$GO" --sendto 5000 --recvfrom 300 --eagain 50 \
	--block-ms 50 >"$SA_TMP/w3.log" 2>&1
W3=$BG_PID
touch "$GO"
for w in $W1 $W2 $W3; do
	wait_pid "$w" 60 || { cat "$SA_TMP"/w*.log; fail "workload $w failed"; }
done
cat "$SA_TMP/w1.log"
stop_tracer json
stop_tracer text

J=$SA_TMP/json.out
jq -e . "$J" >/dev/null || fail "JSON does not parse: $(head -c 300 "$J")"
assert_eq "$(jq -s length "$J")" 1 "one JSON block without -i"
assert_eq "$(jq -r .mechanism "$J")" "$mech" "JSON mechanism"
assert_eq "$(jq -r .unit "$J")" msecs "unit"
assert_eq "$(jq -r .filter.cgroup_id "$J")" "$(cgroup_id "$SA_CG")" "filter cgroup id"

assert_eq "$(jsys "$J" sendto .count)" 1235 "sendto count (1000 + 1 + 234 in subtree)"
assert_eq "$(jsys "$J" sendto .errors)" 0 "sendto errors"
assert_eq "$(jsys "$J" recvfrom .count)" 618 "recvfrom count (600 + 7 + 1 + 10 in subtree)"
assert_eq "$(jsys "$J" recvfrom .errors)" 7 "recvfrom errors (EAGAIN)"
assert_eq "$(jsys "$J" recvfrom .unmatched)" 0 "recvfrom unmatched"
assert_eq "$(jsys "$J" recvfrom .dropped)" 0 "recvfrom dropped"
for s in sendmsg sendmmsg recvmsg recvmmsg poll epoll_wait epoll_pwait io_uring_enter; do
	assert_eq "$(jsys "$J" $s .count)" 0 "$s count"
done

# The blocking recv: in the blocked class, alone in a bucket that reaches from
# 160 ms (the least it blocks) to what the workload itself measured around the
# call (a busy VM made a 160 ms block read as 258 ms: the next bucket up).
blk_ms=$(awk '/^blocked [0-9.]+ s in recvfrom/ { printf "%d", $2 * 1000 + 1 }' "$SA_TMP/w1.log")
[ -n "$blk_ms" ] || fail "the workload did not report how long it blocked"
assert_ge "$(jsys "$J" recvfrom .blocked.count)" 1 "recvfrom blocked calls"
b160=$(jsys "$J" recvfrom "[.blocked.buckets[] | select(.high >= 160 and .low <= $blk_ms) | .count] | add // 0")
assert_eq "$b160" 1 "blocked recvfrom calls in the buckets from 160 to $blk_ms ms"
assert_eq "$(jsys "$J" recvfrom "[.ran.buckets[] | select(.high >= 160 and .low <= $blk_ms) | .count] | add // 0")" 0 \
	"a 160 ms call classed as not blocked"
# histograms add up to the counts; class counts add up to the total
for s in sendto recvfrom read write; do
	c=$(jsys "$J" $s .count)
	assert_eq "$(jsys "$J" $s '[.ran.buckets[].count, .blocked.buckets[].count] | add // 0')" "$c" "$s histogram sum"
	assert_eq "$(jsys "$J" $s '.ran.count + .blocked.count')" "$c" "$s ran + blocked"
done
[ "$(jsys "$J" sendto .p50)" != null ] || fail "sendto p50 missing"

# The text of the second tracer shows the same numbers.
T=$SA_TMP/text.out
for s in $(jq -r '.syscalls[].name' "$J"); do
	row=$(awk -v s="$s" '$1 == s && NF == 7 { print $2, $3, $4; exit }' "$T")
	assert_eq "$row" "$(jsys "$J" "$s" '"\(.count) \(.errors) \(.blocked.count)"')" "text row of $s vs JSON"
done
grep -A 12 '^Blocking waits' "$T" | grep -A 10 '^recvfrom:' |
	grep -Eq '^ +128 -> 255 +: 1 ' || { cat "$T"; fail "text: blocked recvfrom not in 128 -> 255 ms"; }
info "text output:"
sed -n '1,20p' "$T"
exit 0
