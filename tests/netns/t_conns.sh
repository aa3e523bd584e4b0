# conns lists a live accelerated connection (both sockets, matching ports,
# in the map, both directions in redirect mode with their reason, the creating
# process, both read with recv()) and forgets it once it is closed.
. "$SA_LIB"

load "$SA_CG"
bg_in "$SA_NS" "$SA_CG" "$SA_STREAM" server -l 127.0.0.1 -p 5000 --sync --bytes 32K --echo -t 60 >"$SA_TMP/srv.log" 2>&1
spid=$BG_PID
wait_port "$SA_NS" 5000
# 32 KiB at 4 KiB/s (~8 s) then 4 s more open: a connection alive for ~12 s
# (long enough for the checks below in a software-emulated VM too)
bg_in "$SA_NS" "$SA_CG" "$SA_STREAM" client -c 127.0.0.1 -p 5000 --sync --bind-port 40001 \
	--bytes 32K -w 1K --rate 4K --hold 4 -t 60 >"$SA_TMP/cli.log" 2>&1
cpid=$BG_PID

sel='[.[] | select((.local_port == 5000 and .remote_port == 40001) or (.local_port == 40001 and .remote_port == 5000))]'
# Each direction's first send goes by TCP until its reader has read with
# recv() (await_reader; --sync makes that the first byte each way), then both
# are redirected: wait for that.
redir="$sel | length == 2 and all(.[]; .tx.mode == \"redirect\")"
found=""
for ((i = 0; i < 50; i++)); do
	out=$($SA_CTL -j conns) || fail "conns failed: $out"
	if [ "$(jq "$sel | length" <<<"$out")" = 2 ]; then
		found=$out
		jq -e "$redir" <<<"$out" >/dev/null && break
	fi
	sleep 0.1
done
echo "$out"
[ -n "$found" ] || fail "conns never listed both sockets of 127.0.0.1:40001 <-> 127.0.0.1:5000"
jq -e "$sel | all(.[]; .in_map == true)" <<<"$found" >/dev/null || fail "in_map not true"
jq -e "$sel | all(.[]; .tx.mode == \"redirect\" and .tx.reason == \"peer_accelerated\" and .rx.mode == \"redirect\")" \
	<<<"$found" >/dev/null || fail "directions not in redirect mode"
jq -e "$sel | all(.[]; .comm == \"sa-stream\" and .state == \"ESTABLISHED\")" <<<"$found" >/dev/null ||
	fail "comm/state not shown"
jq -e "$sel | all(.[]; .rx.reads_recvmsg == true and .rx.splices == false)" <<<"$found" >/dev/null ||
	fail "rx.reads_recvmsg / rx.splices not shown as a recv() reader's"
jq -e "$sel | all(.[]; (.local_addr | test(\"127\\\\.0\\\\.0\\\\.1\")) and (.remote_addr | test(\"127\\\\.0\\\\.0\\\\.1\")))" <<<"$found" >/dev/null ||
	fail "addresses are not 127.0.0.1"
assert_eq "$(jq "$sel | map(.netns) | unique | length" <<<"$found")" 1 "both sockets in one netns"
$SA_CTL conns || fail "conns (text) failed"
$SA_CTL conns | grep -q 40001 || fail "conns (text) does not show port 40001"

wait_pid "$cpid" 60 || { cat "$SA_TMP/cli.log"; fail "client failed"; }
wait_pid "$spid" 60 || { cat "$SA_TMP/srv.log"; fail "server failed"; }
cat "$SA_TMP/cli.log" "$SA_TMP/srv.log"
# closed sockets leave the map
for ((i = 0; i < 50; i++)); do
	out=$($SA_CTL -j conns) || fail "conns failed: $out"
	[ "$(jq "$sel | length" <<<"$out")" = 0 ] && break
	sleep 0.1
done
assert_eq "$(jq "$sel | length" <<<"$out")" 0 "closed connection still listed by conns"
