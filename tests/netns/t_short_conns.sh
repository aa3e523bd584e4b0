# Short-lived connections (docs/design.md "Short-lived connections"): once 16
# sockets in a row of a service port ended having sent at most one message,
# new connections to that port are not inserted (reason short_lived, counter
# skipped_short_lived, listed by status); one connection that sends more
# resets the port, and the next is accelerated again; --accelerate-short
# inserts every connection. Fails on a build that inserts every connection.
# timeout: 240
. "$SA_LIB"
need_bin sa-connrate sa-stream

P=7400
STREAK=16
load "$SA_CG"
CG_REL=${SA_CG#"$SA_CG2"}

# connrate SECONDS: one 64 B request/response per connection on port P, one
# connection at a time; prints the number of connections
connrate() {
	local out
	bg_in "$SA_NS" "$SA_CG" "$SA_BUILD/sa-connrate" server -l 127.0.0.1 -p $P -r 64 >"$SA_TMP/connrate-server.log" 2>&1
	local spid=$BG_PID
	wait_port "$SA_NS" $P
	out=$(run_in "$SA_NS" "$SA_CG" "$SA_BUILD/sa-connrate" client -c 127.0.0.1 -p $P -r 64 -t "$1" -j) ||
		fail "sa-connrate client failed: $out"
	kill "$spid" 2>/dev/null
	wait_pid "$spid" 10 >/dev/null 2>&1
	[ "$(jq -r .errors <<<"$out")" = 0 ] || fail "sa-connrate: errors in $out"
	jq -r .conns <<<"$out"
}
# port_listed: the streak of port P in status -j's short_lived_ports, or 0
port_listed() {
	$SA_CTL -j status | jq --argjson p $P '[.short_lived_ports[]? | select(.port == $p) | .streak] | first // 0'
}
# wait_unlisted: until status no longer lists port P (destroyed sockets are
# learned when the kernel destroys them, just after close)
wait_unlisted() {
	for _ in $(seq 100); do [ "$(port_listed)" = 0 ] && return 0; sleep 0.05; done
	fail "port $P still listed as short-lived: $($SA_CTL -j status | jq -c .short_lived_ports)"
}

# 1. Many one-exchange connections: after the first few, not inserted.
a0=$(stats_get sockets_added) k0=$(stats_get skipped_short_lived)
n=$(connrate 1.5)
added=$(( $(stats_get sockets_added) - a0 )) skipped=$(( $(stats_get skipped_short_lived) - k0 ))
info "$n connections: sockets_added +$added, skipped_short_lived +$skipped"
[ "$n" -ge $((2 * STREAK)) ] || skip "only $n connections in 1.5 s: too slow a machine to learn anything"
# the streak counts both sockets of a connection: STREAK/2 connections, plus
# a few whose ends raced the update
assert_lt "$added" $((STREAK + 16)) "sockets inserted before the port was learned"
assert_ge "$skipped" $((2 * n - STREAK - 16)) "connection ends skipped once learned"
assert_eq "$(( added + skipped ))" "$((2 * n))" "every connection end: inserted or skipped"
assert_ge "$(port_listed)" $STREAK "status lists port $P with its streak"
st=$($SA_CTL status)
assert_match "$st" "port $P .*short sockets in a row" "status text names the port"
assert_ge "$($SA_CTL -j stats | jq --arg p "$CG_REL" '.cgroups[] | select(.path == $p) | .counters.fallbacks.short_lived')" \
	"$skipped" "per-cgroup fallbacks: short_lived"

# 2. A connection that sends more on the same port: plain TCP (the port is
# short-lived), byte-exact; it resets the port, and the next one is redirected.
r0=$(stats_get redirected_bytes) k0=$(stats_get skipped_short_lived)
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 $P $((256 << 10)) 5
assert_eq "$(( $(stats_get redirected_bytes) - r0 ))" 0 "the stream on a short-lived port was not redirected"
assert_eq "$(( $(stats_get skipped_short_lived) - k0 ))" 2 "both of its ends skipped"
wait_unlisted
r0=$(stats_get redirected_bytes) a0=$(stats_get sockets_added)
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 $P $((256 << 10)) 6
assert_eq "$(( $(stats_get sockets_added) - a0 ))" 2 "the next stream's ends inserted"
assert_ge "$(( $(stats_get redirected_bytes) - r0 ))" $((2 * SA_MIN_REDIRECT)) "the next stream redirected"

# 3. --accelerate-short: every connection inserted.
load --accelerate-short "$SA_CG"
assert_eq "$($SA_CTL -j status | jq .policy.short_lived_skip)" false "policy shows --accelerate-short"
a0=$(stats_get sockets_added) k0=$(stats_get skipped_short_lived)
n=$(connrate 1)
added=$(( $(stats_get sockets_added) - a0 )) skipped=$(( $(stats_get skipped_short_lived) - k0 ))
info "--accelerate-short: $n connections: sockets_added +$added, skipped_short_lived +$skipped"
assert_eq "$skipped" 0 "--accelerate-short: nothing skipped"
assert_eq "$added" $((2 * n)) "--accelerate-short: every end inserted"
