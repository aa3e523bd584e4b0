# How a redirected stream ends, byte-exact: shutdown(SHUT_WR) after the last
# byte (both directions, and each direction alone: the peer must read exactly
# every byte, then EOF); close() right after the last byte while the receiver
# has not read yet (close-unread, receiver starts 500 ms later: every byte, then
# EOF); and SO_LINGER {1,0} + close() (rst) after the burst, with the reader
# busy and with the reader 300 ms late: the receiver must see a correct prefix
# (no corrupt, duplicated or foreign byte) ending in EOF or an error; its length
# and the final errno are logged, not asserted. redirected_bytes must grow by
# at least SA_MIN_REDIRECT per direction (lib.sh) in every run.
. "$SA_LIB"

. "$SA_ROOT/tests/netns/integrity_lib.sh"

BYTES=$((4 << 20))
load "$SA_CG"

# run NAME DIRECTIONS SERVER-ARGS CLIENT-ARGS ARGS...: pair + redirected_bytes check
run() {
	local name=$1 ndir=$2 sargs=$3 cargs=$4 r0 r1
	shift 4
	r0=$(stats_get redirected_bytes)
	pair "$name" 127.0.0.1 "$sargs" "$cargs" --bytes "$BYTES" --sizes mixed \
		--seed $((PORT * 10)) "$@"
	r1=$(stats_get redirected_bytes)
	info "$name: redirected_bytes +$((r1 - r0))"
	assert_ge $((r1 - r0)) $((ndir * SA_MIN_REDIRECT)) "redirected_bytes delta, $name"
}

run shutdown-both 2 "" ""
run shutdown-c2s 1 "" "" --direction c2s
run shutdown-s2c 1 "" "" --direction s2c

run close-unread-c2s 1 "--read-delay 500" "" --end-mode close-unread --direction c2s
run close-unread-s2c 1 "" "--read-delay 500" --end-mode close-unread --direction s2c

# rst: the sender wrote every byte; the receiver's correct prefix is measured
run rst-c2s 1 "" "" --end-mode rst --direction c2s
run rst-c2s-late 1 "--read-delay 300" "" --end-mode rst --direction c2s
run rst-s2c-late 1 "" "--read-delay 300" --end-mode rst --direction s2c
for r in rst-c2s:server rst-c2s-late:server rst-s2c-late:client; do
	name=${r%:*} role=${r#*:}
	[ "$role" = server ] && other=client || other=server
	assert_eq "$(jget "$name" "$other" .bytes_sent)" "$BYTES" "$name: bytes written before the reset"
	info "$name: receiver got a correct prefix of $(jget "$name" "$role" .rst.max_received) of $BYTES bytes, ended by $(jget "$name" "$role" '.rst.detail[0].end')"
done
