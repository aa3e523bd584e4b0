# Data sent before sockops sees a connection established (TCP Fast Open: the
# client's first bytes ride in the SYN) must not be overtaken by redirected
# bytes. Expected: the client is inserted but its direction is TCP for good
# (reason sent_before_insert, counter sent_before_insert), so the server,
# which reads late, gets every chunk in order. The naive redirect (make
# SA_NO_STICKY=1) redirects the later chunks past the unread SYN data.
. "$SA_LIB"
ip netns exec "$SA_NS" sysctl -qw net.ipv4.tcp_fastopen=0x207 ||
	skip "net.ipv4.tcp_fastopen cannot be set in a netns"
load "$SA_CG"
b0=$(stats_get sent_before_insert)
x0=$(stats_get skipped_rx_data)
run_in "$SA_NS" "$SA_CG" python3 "$SA_ROOT/tests/tools/tfo_order.py" 5000 2000 ||
	fail "TFO stream misordered or incomplete"
b1=$(stats_get sent_before_insert)
x1=$(stats_get skipped_rx_data)
info "sent_before_insert +$((b1 - b0)), skipped_rx_data +$((x1 - x0))"
ip netns exec "$SA_NS" nstat -az TcpExtTCPFastOpenActive TcpExtTCPFastOpenPassive 2>/dev/null | tail -2
# The guard must have fired on one side (client: data left in the SYN;
# server: data already queued when it would be inserted).
assert_ge $((b1 - b0 + x1 - x0)) 1 "sent_before_insert + skipped_rx_data"
