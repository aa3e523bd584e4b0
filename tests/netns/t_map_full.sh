# timeout: 420
# sock_map full never loses a byte, and evicts nobody's read count.
# --map-size 4: two held connections fill sock_map; the 3rd connection's
# sockets do not fit: they use TCP (reason map_full, insert_failed_full +2),
# the first two stay redirected with both read counts, all streams intact.
# Each connection is a checksummed stream in both directions, written at
# 1 MiB/s, neither end reading until the check is done (held_live_start).
#
# Where each connection is set up is chosen (sockops inserts on the CPU that
# runs the handshake: the client's, on loopback), so that the read-count map
# has to refill the first CPU's free list while the first two connections live
# there. rx_progress used to be an LRU hash: a refill evicts in-use entries to
# make up LOCAL_FREE_TARGET (128) free ones, whatever the map size, so the
# 3rd connection's (refused) insertion evicted one of theirs: the client lost
# its peer (peer_gone) and, once the server left the map as a stream, its
# unread redirected data (loader/load.c).
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"

on_cpu() { taskset -pc "$(($1 % $(nproc)))" "$BASHPID" >/dev/null || fail "taskset $1"; }
$SA_LOADER --map-size 4 "${SA_DEEP_QUEUE[@]}" "$SA_CG" >/dev/null || fail "loader --map-size 4"
# CPU 0 takes every free entry (at most 128) at its first insertion; CPU 1
# then takes 4 of them for two short connections and keeps them once freed.
on_cpu 0
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5290 4096 41 >/dev/null
on_cpu 1
BYTES=65536
held_live_start
P1=$PORT S1=$SPID C1=$CPID H1=$HOLD
held_live_start
held_live_finish
P2=$PORT
PORT=$P1 SPID=$S1 CPID=$C1 HOLD=$H1
held_live_finish
PORT=$P2	# the next connection takes a fresh port (and hold file)

BYTES=$((8 << 20))
full0=$(stats_get insert_failed_full)
on_cpu 0
declare -a P S C H
for k in 0 1 2; do
	# each lives until its finish below: three setups and the checks, slow
	# in a loaded VM (2 min there), hence -t
	held_live_start -t 400
	P[k]=$PORT S[k]=$SPID C[k]=$CPID H[k]=$HOLD
done
taskset -pc "0-$(($(nproc) - 1))" "$BASHPID" >/dev/null
full1=$(stats_get insert_failed_full)
# One snapshot, one jq (each costs seconds in a loaded VM): per connection
# "MODE/REASON SOCKETS_WITH_A_READ_COUNT" of its client's tx.
got=$($SA_CTL -j conns | jq -r --argjson p "[${P[0]},${P[1]},${P[2]}]" '. as $c | $p[] as $port |
	"\([$c[] | select(.remote_port == $port) | .tx | "\(.mode)/\(.reason)"] | first)" +
	" \([$c[] | select((.remote_port == $port or .local_port == $port) and .rx.read_bytes != null)] | length)"')
mapfile -t G <<<"$got"
info "insert_failed_full +$((full1 - full0)); per connection (client tx, sockets with a read count): ${G[*]/#/| }"
assert_eq $((full1 - full0)) 2 "insert_failed_full (both sockets of the 3rd connection)"
assert_eq "${G[0]%%/*}" redirect "1st connection"
assert_eq "${G[1]% *}" redirect/peer_accelerated "2nd connection"
for k in 0 1; do
	assert_eq "${G[k]#* }" 2 "sockets of connection $((k + 1)) that kept their read count"
done
assert_eq "${G[2]#*/}" "map_full 0" "3rd connection: reason, and no read count"
for k in 0 1 2; do
	PORT=${P[k]} SPID=${S[k]} CPID=${C[k]} HOLD=${H[k]}
	held_live_finish
done
