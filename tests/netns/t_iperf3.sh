# iperf3 (server on [::], client to 127.0.0.1) in the netns+cgroup: works and
# its data is redirected (the first 64 KiB at least: the slow-reader bound of a
# fresh reader is 256 KiB).
. "$SA_LIB"
need_cmd iperf3

load "$SA_CG"
r0=$(stats_get redirected_bytes)
bg_in "$SA_NS" "$SA_CG" iperf3 -s -1 -p 5201 >"$SA_TMP/iperf3-server.log" 2>&1
spid=$BG_PID
wait_port "$SA_NS" 5201
run_in "$SA_NS" "$SA_CG" timeout 30 iperf3 -c 127.0.0.1 -p 5201 -t 2 -J >"$SA_TMP/iperf3.json" 2>"$SA_TMP/iperf3-client.err"
rc=$?
wait_pid "$spid" 10
src=$?
cat "$SA_TMP/iperf3-server.log" "$SA_TMP/iperf3-client.err"
jq -e . "$SA_TMP/iperf3.json" >/dev/null || { cat "$SA_TMP/iperf3.json"; fail "iperf3 -J output is not JSON"; }
err=$(jq -r '.error // empty' "$SA_TMP/iperf3.json")
[ -z "$err" ] || fail "iperf3 error: $err"
assert_eq "$rc" 0 "iperf3 client exit status"
assert_eq "$src" 0 "iperf3 server exit status"
sent=$(jq -r '.end.sum_sent.bytes' "$SA_TMP/iperf3.json")
recv=$(jq -r '.end.sum_received.bytes' "$SA_TMP/iperf3.json")
sent=${sent%.*} recv=${recv%.*}
r1=$(stats_get redirected_bytes)
info "iperf3 sent $sent received $recv; redirected_bytes $r0 -> $r1"
assert_ge "$sent" 1 "iperf3 bytes sent"
assert_ge "$recv" 1 "iperf3 bytes received"
# The v4-mapped server side must match the v4 client's key: bytes are
# redirected. How many depends on the reader keeping up: a one-way stream that
# outruns its reader leaves the map (t_slow_stream, docs/design.md "Streams").
info "t_redirect_tcp_slow_reader $(stats_get t_redirect_tcp_slow_reader), t_slow_stream $(stats_get t_slow_stream)," \
	"unmapped_connections $(stats_get unmapped_connections)"
assert_ge $((r1 - r0)) $((64 << 10)) "redirected_bytes delta"
