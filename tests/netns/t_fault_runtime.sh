# timeout: 600
# Faults while connections run (docs/faults.md), each with checksummed
# streams that must arrive exact and `status` checked afterwards:
#   map full:     --map-size 8, two long held streams in the map, then 600 short
#                 connections 16 at a time: the ones that do not fit use TCP
#                 and are counted (insert_failed_full), every byte of every
#                 connection exact, the map never above its size, and empty
#                 again (sock_map and rx_progress) once all have closed.
#                 (t_lifecycle_events: one refused connection, no churn.)
#   reader killed: SIGKILL of a reader with redirected data queued while its
#                 writer still writes: the writer gets a reset / broken pipe
#                 (not a hang, not success); another connection is unaffected;
#                 no map entry left once both are closed.
#   drain interrupted: SIGINT to `detach` and to `teardown` while they wait
#                 for a held reader: exit 1 with "interrupted" and the pending
#                 connection; nothing dropped, drain marks undone (status
#                 consistent: the links are gone, the programs stay); the same
#                 command run again finishes once the reader reads.
#                 (t_lifecycle_drain: complete, timed-out and forced drains.)
#   two teardowns at once: one removes everything, the other says clearly
#                 that a concurrent teardown did (exit 1); nothing left.
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
need_cmd bpftool
CGA=$(new_cgroup a)
CGB=$(new_cgroup b)

map_entries() { $SA_CTL -j status | jq .map_entries; }
# read-accounting entries: freed with their socket by the destroy hook
# (without it they go by LRU eviction only: not checked then)
rx_entries() {
	if [ "$($SA_CTL -j status | jq -r '.features[] | select(.name == "destroy_hook") | .in_use')" = off ]; then
		echo 0
	else
		bpftool -j map dump pinned "$SA_PIN/rx_progress" | jq length
	fi
}
any_prog() { bpftool -j cgroup show "$1" | jq -s '[.[][]?] | length'; }
in_map() {	# PORT -> sockets of that connection in the map
	$SA_CTL -j conns | jq "[.[] | select((.local_port == $1 or .remote_port == $1) and .in_map)] | length"
}
# empty_maps LABEL: sock_map and rx_progress empty (within 30 s: closing is asynchronous)
empty_maps() {
	local m x end=$((SECONDS + 30))
	while :; do
		m=$(map_entries) x=$(rx_entries)
		[ "$m" = 0 ] && [ "$x" = 0 ] && return
		[ $SECONDS -lt $end ] || break
		sleep 0.2
	done
	fail "$1: entries left: sock_map $m, rx_progress $x"
}
# finish_port PORT SPID CPID BYTES: both ends of PORT exit 0, BYTES received at the server
finish_port() {
	local crc src
	wait_pid "$3" 120; crc=$?
	wait_pid "$2" 60; src=$?
	cat "$SA_TMP/server-$1.err" "$SA_TMP/client-$1.err"
	[ $crc = 0 ] && [ $src = 0 ] || fail "port $1: stream not intact (client $crc, server $src)"
	assert_eq "$(jq .bytes_received "$SA_TMP/server-$1.json")" "$4" "port $1: bytes received"
}

# ---------------------------------------------------------------- map full
# --redirect-streams: the long streams stay in the map whatever the stream
# policy decides (this case is about the map, not that policy)
load --map-size 8 --redirect-streams "$SA_CG"
LONG=$((6 << 20))
# held (neither end reads until the churn is done): open and in the map for
# the whole churn however slow the machine (in a VM a 6 s stream had ended
# before the first check), with data queued both ways
held_both_start "$SA_CG" "$SA_CG" --bytes "$LONG" --sizes 64K --write-rate 1M -t 400
P1=$PORT S1=$SPID C1=$CPID H1=$HOLD
held_both_start "$SA_CG" "$SA_CG" --bytes "$LONG" --sizes 64K --write-rate 1M -t 400
P2=$PORT S2=$SPID C2=$CPID H2=$HOLD
for ((i = 0; i < 300; i++)); do [ "$(map_entries)" -ge 4 ] && break; sleep 0.1; done
assert_eq "$(($(in_map "$P1") + $(in_map "$P2")))" 4 "the long streams' sockets in the map"
full0=$(stats_get insert_failed_full)
pair churn 127.0.0.1 "" "" --conns 600 --parallel 16 --bytes 4K --sizes 1K,3K --seed 100
st=$($SA_CTL -j status) || fail "status: $st"
assert_eq "$(jq .map_capacity <<<"$st")" 8 "status: map capacity"
assert_ge 8 "$(jq .map_entries <<<"$st")" "status: map entries within its size"
full=$(($(stats_get insert_failed_full) - full0))
info "insert_failed_full +$full during the churn; status: $(jq -c '{map_entries, map_capacity}' <<<"$st")"
assert_ge "$full" 1 "insertions refused for a full map (counted)"
assert_eq "$(jget churn server .conns_ok)" 600 "churn: every connection verified"
touch "$H1" "$H2"
finish_port "$P1" "$S1" "$C1" "$LONG"
finish_port "$P2" "$S2" "$C2" "$LONG"
empty_maps "map full"
$SA_CTL teardown >/dev/null || fail "teardown after map full"

# ---------------------------------------------------------------- reader killed
load "${SA_DEEP_QUEUE[@]}" "$SA_CG"
pair_start "$SA_CG" "$SA_CG" "" --bytes "$LONG" --sizes 64K --write-rate 1M
PO=$PORT SO=$SPID CO=$CPID
r0=$(stats_get redirected_bytes)
held_start "$SA_CG" "$SA_CG" --bytes 256M --direction c2s --sizes 64K --write-rate 2M -t 300
PV=$PORT SV=$SPID CV=$CPID
for ((i = 0; i < 600; i++)); do
	[ "$(stats_get redirected_bytes)" -ge $((r0 + (2 << 20))) ] && break
	sleep 0.1
done
assert_eq "$(in_map "$PV")" 2 "the victim connection in the map"
unread=$($SA_CTL -j conns | jq "[.[] | select(.local_port == $PV) | .rx.unread_bytes // 0] | add")
info "reader of port $PV holds $unread unread redirected bytes: SIGKILL"
kill -KILL "$SV"
wait_pid "$CV" 60
crc=$?
errs=$(jq -c '[.errors[]? | {what, msg}] | .[:3]' "$SA_TMP/client-$PV.json" 2>/dev/null)
info "writer after its reader died: exit $crc, $errs"
assert_eq "$crc" 1 "the writer's exit (1: I/O error; 137: it hung)"
assert_match "$errs" "[Rr]eset|[Bb]roken pipe|EPIPE|ECONNRESET" "the writer saw a reset"
finish_port "$PO" "$SO" "$CO" "$LONG"
empty_maps "reader killed"
$SA_CTL teardown >/dev/null || fail "teardown after the reader was killed"

# ---------------------------------------------------------------- drain interrupted
BOUND=$((8 << 20)) BYTES=$((32 << 20))
# interrupt CMD...: run `sockaccelctl CMD` in the background, SIGINT it
# once it reports draining (progress on stderr); its exit status in IRC,
# output in $SA_TMP/int.{out,err}
interrupt() {
	local dpid i
	: >"$SA_TMP/int.err"
	$SA_CTL "$@" >"$SA_TMP/int.out" 2>"$SA_TMP/int.err" &
	dpid=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "^draining:" "$SA_TMP/int.err" && break
		kill -0 $dpid 2>/dev/null || break
		sleep 0.1
	done
	grep -q "^draining:" "$SA_TMP/int.err" || fail "$*: no drain in progress: $(cat "$SA_TMP/int.out" "$SA_TMP/int.err")"
	kill -INT $dpid
	wait $dpid
	IRC=$?
	info "$* interrupted: exit $IRC:"
	sed 's/^/#   /' "$SA_TMP/int.out"
	grep -q "^interrupted after .* left accelerated (nothing dropped)" "$SA_TMP/int.out" ||
		fail "$*: no clear message when interrupted"
	grep -q "run the same command again to finish" "$SA_TMP/int.out" || fail "$*: no hint to run it again"
}

# detach B (the reader's cgroup)
load --max-unread "$BOUND" "$CGA" "$CGB"
held_until_bound "$CGB" "$CGA" "$BOUND" "$BYTES" 64K
interrupt detach --timeout 120 "$CGB"
assert_eq "$IRC" 1 "detach: exit status when interrupted"
grep -q "bytes unread" "$SA_TMP/int.out" || fail "detach: the pending connection is not listed"
st=$($SA_CTL -j status) || fail "status after the interrupted detach: $st"
assert_eq "$(jq -c "[.cgroups[].id]" <<<"$st")" "[$(cgroup_id "$CGA")]" "status: B detached, A attached"
assert_eq "$(bpftool -j map dump pinned "$SA_PIN/drain" | jq length)" 0 "drain marks left"
assert_ge "$(in_map "$PORT")" 1 "the pending connection stays in the map"
$SA_CTL -j detach --timeout 120 "$CGB" >"$SA_TMP/rerun.json" 2>&1 &
dpid=$!
sleep 1
touch "$HOLD"
wait $dpid || fail "detach run again: $(cat "$SA_TMP/rerun.json")"
info "detach run again: $(cat "$SA_TMP/rerun.json")"
assert_ge "$(jq .connections "$SA_TMP/rerun.json" 2>/dev/null | tail -n1)" 1 "the rerun drained the connection"
pair_finish "$BYTES"
out=$($SA_CTL -j detach "$CGB" 2>&1) && fail "detach of a drained, detached cgroup succeeded: $out"
assert_match "$out" "not attached" "detach once nothing is left"
# B attached again: its new connections are redirected (no stale drain mark)
load "$CGB"
r0=$(stats_get redirected_bytes)
stream "$SA_NS" "$CGB" 127.0.0.1 127.0.0.1 5990 $((1 << 20)) 9
assert_ge $(($(stats_get redirected_bytes) - r0)) "$SA_MIN_REDIRECT" "B redirected after it is attached again"

# teardown
held_until_bound "$CGB" "$CGA" "$BOUND" "$BYTES" 64K
interrupt teardown --timeout 120
assert_eq "$IRC" 1 "teardown: exit status when interrupted"
grep -q "programs and maps stay loaded" "$SA_TMP/int.out" || fail "teardown: does not say what stays"
st=$($SA_CTL -j status) || fail "status after the interrupted teardown: $st"
assert_eq "$(jq '.cgroups | length' <<<"$st")" 0 "status: no cgroup attached"
assert_eq "$(any_prog "$CGA")$(any_prog "$CGB")" 00 "programs left on the cgroups"
assert_ge "$(in_map "$PORT")" 1 "the pending connection stays in the map"
$SA_CTL -j teardown --timeout 120 >"$SA_TMP/rerun.json" 2>&1 &
dpid=$!
sleep 1
touch "$HOLD"
wait $dpid || fail "teardown run again: $(cat "$SA_TMP/rerun.json")"
info "teardown run again: $(cat "$SA_TMP/rerun.json")"
[ -e "$SA_PIN" ] && fail "teardown run again left $SA_PIN"
pair_finish "$BYTES"

# ---------------------------------------------------------------- two teardowns at once
# twice TAG: two teardowns started together; one wins, the other says why
twice() {
	local a b ra rb
	$SA_CTL -j teardown --timeout 120 >"$SA_TMP/td1.json" 2>/dev/null &
	a=$!
	$SA_CTL -j teardown --timeout 120 >"$SA_TMP/td2.json" 2>/dev/null &
	b=$!
	[ -n "${HOLD_LATER:-}" ] && { sleep 1; touch "$HOLD"; }
	wait $a; ra=$?
	wait $b; rb=$?
	info "$1: exits $ra $rb: $(cat "$SA_TMP/td1.json") $(cat "$SA_TMP/td2.json")"
	assert_eq "$(printf '%s\n' $ra $rb | sort | tr -d '\n')" 01 "$1: exit statuses (one wins)"
	if [ $ra = 0 ]; then win=td1 lose=td2; else win=td2 lose=td1; fi
	assert_eq "$(jq -r .removed "$SA_TMP/$win.json")" "$SA_PIN" "$1: the winner removed the pin dir"
	assert_match "$(jq -r .error "$SA_TMP/$lose.json")" "nothing loaded" "$1: the other one's error"
	[ -e "$SA_PIN" ] && fail "$1: $SA_PIN left"
	assert_eq "$(any_prog "$CGA")$(any_prog "$CGB")" 00 "$1: programs left on the cgroups"
}
for k in 1 2 3 4 5; do
	load "$CGA" "$CGB"
	twice "idle round $k"
done
load --max-unread "$BOUND" "$CGA" "$CGB"
held_until_bound "$CGB" "$CGA" "$BOUND" "$BYTES" 64K
HOLD_LATER=1 twice "while draining"
pair_finish "$BYTES"
