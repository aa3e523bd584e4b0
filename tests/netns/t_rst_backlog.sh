# A reset is never lost behind redirected data (docs/design.md, "Slow-reader
# bound"). Redirected bytes waiting for a reader count against its receive
# memory; while the reader is inside recvmsg() every TCP segment for it goes
# through the socket backlog, which drops it once that memory passes about
# 2 x sk_rcvbuf. A dropped RST is never sent again: the reader, which has shut
# down its own side, then waits in FIN_WAIT2 forever. 30 rounds of a 4 MiB
# burst (mixed write sizes) followed by SO_LINGER {1,0} + close(), read as it
# arrives. Expected: every round's reader ends (ECONNRESET or EOF) and the
# netns counts no TCPBacklogDrop. With the bound at tcp_rmem max (32 MiB, the
# previous default) the backlog dropped segments in 3 of 15 rounds and one
# reader hung.
. "$SA_LIB"
ROUNDS=${SA_RST_ROUNDS:-30}
SAI=$SA_BUILD/sa-integrity
need_bin sa-integrity
load "$SA_CG"
args=(--json -t 8 --bytes 4M --sizes mixed --seed 5 --end-mode rst --direction c2s)
hung=0
for i in $(seq 1 "$ROUNDS"); do
	port=$((6000 + i))
	bg_in "$SA_NS" "$SA_CG" "$SAI" server -l 127.0.0.1 -p "$port" "${args[@]}" \
		>"$SA_TMP/server-$i.json" 2>"$SA_TMP/server-$i.err"
	spid=$BG_PID
	wait_port "$SA_NS" "$port"
	run_in "$SA_NS" "$SA_CG" "$SAI" client -c 127.0.0.1 -p "$port" "${args[@]}" \
		>"$SA_TMP/client-$i.json" 2>&1 || fail "round $i: client failed: $(cat "$SA_TMP/client-$i.json")"
	if ! wait_pid "$spid" 10; then
		hung=$((hung + 1))
		info "round $i: the reader did not end: $(head -c 300 "$SA_TMP/server-$i.err")"
		ip netns exec "$SA_NS" ss -tan state fin-wait-2 | sed 's/^/# /'
	fi
done
drops=$(ip netns exec "$SA_NS" nstat -az TcpExtTCPBacklogDrop | awk '$1 == "TcpExtTCPBacklogDrop" {print $2}')
info "rounds $ROUNDS, readers that did not end $hung, TCPBacklogDrop ${drops:-?}," \
	"slow_reader switches $(stats_get t_redirect_tcp_slow_reader), redirected $(stats_get redirected_bytes) bytes"
assert_eq "$hung" 0 "readers that never saw the reset"
assert_eq "${drops:-missing}" 0 "TCPBacklogDrop in the test netns"
assert_ge "$(stats_get redirected_bytes)" "$ROUNDS" "redirected bytes"
