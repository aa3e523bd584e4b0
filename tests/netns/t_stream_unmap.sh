# Small-write streams leave the map without losing a byte (docs/design.md,
# "Streams"; the default, off with --redirect-streams). A client writes 16 MiB in 1 KiB writes at 8 MiB/s; the server
# starts reading only after 300 ms, so the first 63 redirected writes are
# still unread when the direction turns out to be a stream (64 sends without
# a read, averaging < 32 KiB). Expected: the direction moves to TCP (reason
# stream, t_redirect_tcp_stream), the peer stops redirecting to it, and once
# the server has read the redirected bytes, both sockets leave the map
# (unmapped_connections; conns: off/unmapped, in_map false) and the rest runs
# on plain TCP. Every byte is verified. A request/response connection on the
# same attachment is never unmapped. A large-write stream that outruns its
# reader leaves the map the same way (reason slow_stream).
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
BYTES=$((16 << 20))
load "$SA_CG"
s0=$(stats_get t_redirect_tcp_stream)
u0=$(stats_get unmapped_connections)
r0=$(stats_get redirected_bytes)

pair_start "$SA_CG" "$SA_CG" "--read-delay 300" --bytes "$BYTES" --direction c2s --sizes 1K --write-rate 8M
sleep 1
snap=$($SA_CTL -j conns)
pair_finish "$BYTES"
s1=$(stats_get t_redirect_tcp_stream)
u1=$(stats_get unmapped_connections)
r1=$(stats_get redirected_bytes)
cli=$(jq -c "[.[] | select(.remote_port == $PORT)] | first" <<<"$snap")
info "stream: t_redirect_tcp_stream +$((s1 - s0)), unmapped +$((u1 - u0)), redirected $((r1 - r0)) of $BYTES bytes; client at 1 s: $(jq -c '{in_map, tx: .tx | {mode, reason, redirected_bytes, tcp_bytes}}' <<<"$cli")"
assert_ge $((s1 - s0)) 1 "t_redirect_tcp_stream"
assert_ge $((u1 - u0)) 1 "unmapped_connections"
assert_ge $((r1 - r0)) 1 "bytes redirected before the switch"
assert_lt $((r1 - r0)) $((1 << 20)) "bytes redirected (the stream should have left the redirect path)"
assert_eq "$(jq -r '.tx.mode + "/" + .tx.reason' <<<"$cli")" off/unmapped "client socket at 1 s"
assert_eq "$(jq "[.[] | select(.local_port == $PORT or .remote_port == $PORT) | .in_map] | any" <<<"$snap")" false \
	"a socket of the stream still in the map at 1 s"

# a one-way stream of large writes that outruns its reader (64 MiB in 256 KiB
# writes, read at 64 MB/s): past the slow-reader bound it goes TCP, never lets
# the reader catch up, and leaves the map 64 sends later (slow_stream).
t0=$(stats_get t_slow_stream)
u1=$(stats_get unmapped_connections)
LBYTES=$((64 << 20))
pair_start "$SA_CG" "$SA_CG" "--read-rate 64M" --bytes "$LBYTES" --direction c2s --sizes 256K
pair_finish "$LBYTES"
info "large writes, slow reader: t_slow_stream +$(( $(stats_get t_slow_stream) - t0 ))," \
	"unmapped +$(( $(stats_get unmapped_connections) - u1 ))," \
	"slow_reader switches $(stats_get t_redirect_tcp_slow_reader), returns $(stats_get t_tcp_redirect)"
assert_ge $(( $(stats_get t_slow_stream) - t0 )) 1 "t_slow_stream"
assert_ge $(( $(stats_get unmapped_connections) - u1 )) 1 "unmapped_connections (slow stream)"

# request/response: never a stream
u1=$(stats_get unmapped_connections)
bg_in "$SA_NS" "$SA_CG" "$SA_BUILD/sa-pingpong" server -l 127.0.0.1 -p 5001 >/dev/null 2>&1
spid=$BG_PID
wait_port "$SA_NS" 5001
r1=$(stats_get redirected_bytes)
run_in "$SA_NS" "$SA_CG" "$SA_BUILD/sa-pingpong" client -c 127.0.0.1 -p 5001 -n 20000 -w 0 >/dev/null ||
	fail "ping-pong failed"
wait_pid "$spid" 10
assert_eq $(( $(stats_get unmapped_connections) - u1 )) 0 "request/response connection unmapped"
# all but the first round trip: each direction's first send waits on TCP
# until its reader has read with recv() (await_reader)
assert_ge $(( $(stats_get redirected_bytes) - r1 )) $((2 * 64 * (20000 - 1))) "request/response bytes redirected"
