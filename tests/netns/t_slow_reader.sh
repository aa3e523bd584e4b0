# Slow reader, fast writer: redirected data must not pile up without bound.
# The receiver does not read at all until a file appears; the writer pushes
# 128 MiB. Expected: once the unread redirected bytes would pass the bound
# (--max-unread 4M here), the direction moves to TCP (reason slow_reader,
# counter t_redirect_tcp_slow_reader), TCP's flow control stops the writer,
# kernel TCP memory stays near the bound (measured from /proc/net/sockstat),
# and after the reader starts every byte arrives in order. Without the bound
# (the naive redirect) the whole 128 MiB would sit in the receiver's queue.
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
BYTES=$((128 << 20))
BOUND=$((4 << 20))

tcp_mem() { awk '/^TCP:/ { print $NF * 4096 }' /proc/net/sockstat; }

load --max-unread "$BOUND" "$SA_CG"
t0=$(stats_get t_redirect_tcp_slow_reader)
mem0=$(tcp_mem)
held_start "$SA_CG" "$SA_CG" --bytes "$BYTES" --direction c2s --sizes 64K

# Let the writer run into the bound, then look.
peak=0
for ((i = 0; i < 30; i++)); do
	sleep 0.1
	m=$(( $(tcp_mem) - mem0 ))
	[ "$m" -gt "$peak" ] && peak=$m
done
conns=$($SA_CTL -j conns)
unread=$(jq "[.[] | select(.local_port == $PORT) | .rx.unread_bytes // 0] | max // 0" <<<"$conns")
redir=$(jq "[.[] | select(.remote_port == $PORT) | .tx.redirected_bytes] | first // 0" <<<"$conns")
sread=$(jq "[.[] | select(.local_port == $PORT) | .rx.read_bytes // 0] | first // 0" <<<"$conns")
mode=$(jq -r "[.[] | select(.remote_port == $PORT) | .tx.mode + \"/\" + .tx.reason] | first // \"-\"" <<<"$conns")
info "writer held: client tx $mode, redirected $redir bytes, server read $sread (the header); server unread $unread bytes (redirected + TCP), TCP memory +$((peak >> 20)) MiB (bound $((BOUND >> 20)) MiB, stream $((BYTES >> 20)) MiB)"
held_finish "$BYTES"
t1=$(stats_get t_redirect_tcp_slow_reader)
assert_ge $((t1 - t0)) 1 "t_redirect_tcp_slow_reader"
assert_eq "$mode" "tcp/slow_reader" "client direction after the bound"
# The reader has read only the header: the rest of what was redirected is
# unread, and never more than the bound (checked before each message).
assert_lt $((redir - sread)) $((BOUND + 1)) "unread redirected bytes"
assert_ge "$redir" 1 "redirected bytes before the bound"
# Kernel memory: the bound plus TCP's own buffers, far below the stream.
assert_lt "$peak" $((32 << 20)) "TCP memory growth while the reader was stopped"
