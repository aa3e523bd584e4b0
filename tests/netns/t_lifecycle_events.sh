# timeout: 420
# Loader restart, --foreground crash, upgrade and map full never lose a byte.
# Each case: a checksummed stream in both directions, written at 1 MiB/s for
# 8 s, crosses the event while neither end reads (hold file), so redirected
# data is queued; then the reader is released and every byte
# must arrive in order, and the connection must still be accelerated (bytes
# written after the event are redirected) where that is the promise.
#   restart:  sockaccel-loader run again (same cgroup, plus another one):
#             pins reused, counters continue, live connection keeps redirect.
#   SIGTERM of a --foreground loader: it detaches gracefully, i.e. only exits
#             once the reader has read what was redirected.
#   SIGKILL of a --foreground loader: status says the loader is gone and the
#             cgroup stays attached; connections keep working; a new loader run
#             reuses the pins; teardown cleans.
#   upgrade:  sockaccel-loader --upgrade: new program ids, cgroup links switched
#             in place, live connection still redirected, new ones too.
#   map full: --map-size 4: the 3rd connection's sockets do not fit; they use
#             TCP (reason map_full, insert_failed_full), the others stay
#             redirected, all streams intact.
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
BYTES=$((16 << 20))

# conn_tx PORT FIELD: the client socket's tx FIELD in conns
conn_tx() { $SA_CTL -j conns | jq -r "[.[] | select(.remote_port == $1) | .tx.$2] | first"; }
# a held stream in $SA_CG, both directions at 1 MiB/s, neither end reading
# until finish (so the connection outlives the event however slow the machine:
# in a VM the client had read all and closed before the check), its client
# sending; then the event
start() {
	local i
	held_both_start "$SA_CG" "$SA_CG" --bytes "$BYTES" --sizes 64K --write-rate 1M
	for ((i = 0; i < 300; i++)); do
		case $(conn_tx $PORT mode) in null | new | "") sleep 0.1 ;; *) sleep 0.5; return ;; esac
	done
	fail "the client of port $PORT never sent"
}
finish() { held_finish "$BYTES"; }

# ---- restart
load "${SA_DEEP_QUEUE[@]}" "$SA_CG"
start
r0=$(stats_get redirected_bytes)
added0=$(stats_get sockets_added)
cg2=$(new_cgroup second)
$SA_LOADER "$SA_CG" "$cg2" | tee "$SA_TMP/restart.log" || fail "second loader run failed"
grep -q "already attached" "$SA_TMP/restart.log" || fail "second run did not reuse the attachment"
$SA_CTL -j conns | jq -c ".[] | select(.local_port == $PORT or .remote_port == $PORT)"
assert_eq "$(conn_tx $PORT mode)" redirect "client direction after the restart"
finish
r1=$(stats_get redirected_bytes)
assert_ge "$r1" "$r0" "counters continue (not reset) across the restart"
assert_ge $((r1 - r0)) $((BYTES / 2)) "the live connection kept being redirected after the restart"
assert_ge "$(stats_get sockets_added)" "$added0" "sockets_added continues"

# ---- --foreground loader: SIGTERM detaches gracefully (waits for the reader)
$SA_CTL teardown >/dev/null || fail "teardown"
fg_start() {
	bg_in - "$SA_CG" $SA_LOADER --foreground "${SA_DEEP_QUEUE[@]}" "$SA_CG" >"$SA_TMP/fg.log" 2>&1
	fgpid=$BG_PID
	for ((i = 0; i < 50; i++)); do grep -q "running in the foreground" "$SA_TMP/fg.log" && return; sleep 0.1; done
	fail "the --foreground loader did not start: $(cat "$SA_TMP/fg.log")"
}
fg_start
start
sleep 2	# the writers finish; the server's unread bytes stay queued
kill -TERM "$fgpid"
sleep 1
kill -0 "$fgpid" 2>/dev/null || fail "the --foreground loader exited on SIGTERM with unread data queued: $(cat "$SA_TMP/fg.log")"
finish
wait_pid "$fgpid" 30 || fail "the --foreground loader failed: $(cat "$SA_TMP/fg.log")"
info "foreground loader: $(tail -1 "$SA_TMP/fg.log")"
grep -q "^detached .*drained" "$SA_TMP/fg.log" || fail "no drained detach in the loader's output"

# ---- SIGKILL of a --foreground loader
fg_start
start
kill -KILL "$fgpid"
wait "$fgpid" 2>/dev/null
st=$($SA_CTL -j status) || fail "status after SIGKILL: $st"
info "status after SIGKILL: $(jq -c .cgroups <<<"$st")"
assert_eq "$(jq '.cgroups[0].foreground_loader.running' <<<"$st")" false "status: foreground loader not running"
assert_eq "$(jq '.cgroups[0].attached' <<<"$st")" true "status: still attached"
$SA_CTL status | grep -q "not running" || fail "status text does not explain the killed loader"
# a loader run after the crash reuses everything; the stream stays redirected
$SA_LOADER "$SA_CG" | grep -q "already attached" || fail "loader after the crash did not reuse the pins"
assert_eq "$(conn_tx $PORT mode)" redirect "client direction after the crash and the new loader run"
finish
$SA_CTL teardown || fail "teardown after SIGKILL"
[ -e "$SA_PIN" ] && fail "teardown left $SA_PIN"
assert_eq "$(cg_links "$SA_CG")" 0 "links left on the cgroup after teardown"

# ---- upgrade
load "${SA_DEEP_QUEUE[@]}" "$SA_CG"
ids0=$($SA_CTL -j status | jq -c .programs)
link0=$($SA_CTL -j status | jq '.cgroups[0].link_id')
start
r0=$(stats_get redirected_bytes)
$SA_LOADER --upgrade || fail "upgrade failed"
ids1=$($SA_CTL -j status | jq -c .programs)
link1=$($SA_CTL -j status | jq '.cgroups[0].link_id')
info "programs $ids0 -> $ids1, cgroup link $link0 -> $link1"
assert_ne "$(jq .sockops <<<"$ids1")" "$(jq .sockops <<<"$ids0")" "new sockops program"
assert_ne "$(jq .sk_msg <<<"$ids1")" "$(jq .sk_msg <<<"$ids0")" "new sk_msg program"
assert_eq "$link1" "$link0" "the cgroup link is updated in place, not re-created"
bpftool -j cgroup show "$SA_CG" | jq -e ".[] | select(.id == $(jq .sockops <<<"$ids1"))" >/dev/null ||
	fail "the cgroup does not run the new sockops program"
finish
r1=$(stats_get redirected_bytes)
assert_ge $((r1 - r0)) $((BYTES / 2)) "the live connection kept being redirected across the upgrade"
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5299 $((1 << 20)) 31
assert_ge $(( $(stats_get redirected_bytes) - r1 )) $((2 << 20)) "a new connection after the upgrade is redirected"
$SA_CTL teardown >/dev/null || fail "teardown after upgrade"

# ---- map full (held streams: all three are still open at the snapshot)
# Where each connection is set up is chosen (sockops inserts on the CPU that
# runs the handshake: the client's, on loopback), so that the read-count map
# has to refill the first CPU's free list while the first two connections live
# there. rx_progress used to be an LRU hash: a refill evicts in-use entries to
# make up LOCAL_FREE_TARGET (128) free ones, whatever the map size, so the
# 3rd connection's (refused) insertion evicted one of theirs: the client lost
# its peer (peer_gone) and, once the server left the map as a stream, its
# unread redirected data (loader/load.c).
on_cpu() { taskset -pc "$(($1 % $(nproc)))" "$BASHPID" >/dev/null || fail "taskset $1"; }
BYTES=$((8 << 20))
$SA_LOADER --map-size 4 "${SA_DEEP_QUEUE[@]}" "$SA_CG" >/dev/null || fail "loader --map-size 4"
# CPU 0 takes every free entry (at most 128) at its first insertion; CPU 1
# then takes 4 of them for two short connections and keeps them once freed.
on_cpu 0
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5290 4096 41 >/dev/null
on_cpu 1
BYTES_SAVED=$BYTES BYTES=65536
start
P1=$PORT S1=$SPID C1=$CPID H1=$HOLD
start
finish
P2=$PORT
PORT=$P1 SPID=$S1 CPID=$C1 HOLD=$H1
finish
PORT=$P2	# the next connection takes a fresh port (and hold file)
BYTES=$BYTES_SAVED
full0=$(stats_get insert_failed_full)
on_cpu 0
declare -a P S C H
for k in 0 1 2; do
	start
	P[k]=$PORT S[k]=$SPID C[k]=$CPID H[k]=$HOLD
done
taskset -pc "0-$(($(nproc) - 1))" "$BASHPID" >/dev/null
full1=$(stats_get insert_failed_full)
sleep 0.5	# every held client sends again (1 MiB/s in 64 KiB writes)
# One snapshot: a fast connection may finish (and its socket go) meanwhile.
snap=$($SA_CTL -j conns)
tx() { jq -r "[.[] | select(.remote_port == $1) | .tx.$2] | first" <<<"$snap"; }
# sockets of port $1 with a read count (both ends of an accelerated connection)
with_rx() { jq "[.[] | select((.remote_port == $1 or .local_port == $1) and .rx != null)] | length" <<<"$snap"; }
info "insert_failed_full +$((full1 - full0)); modes: $(for k in 0 1 2; do echo -n "${P[k]}=$(tx "${P[k]}" mode)/$(tx "${P[k]}" reason) "; done)"
assert_eq $((full1 - full0)) 2 "insert_failed_full (both sockets of the 3rd connection)"
assert_eq "$(tx "${P[0]}" mode)" redirect "1st connection"
assert_eq "$(tx "${P[1]}" mode)/$(tx "${P[1]}" reason)" redirect/peer_accelerated "2nd connection"
for k in 0 1; do
	assert_eq "$(with_rx "${P[k]}")" 2 "sockets of connection $((k + 1)) that kept their read count"
done
assert_eq "$(tx "${P[2]}" reason)" map_full "3rd connection reason"
for k in 0 1 2; do
	PORT=${P[k]} SPID=${S[k]} CPID=${C[k]} HOLD=${H[k]}
	finish
done
