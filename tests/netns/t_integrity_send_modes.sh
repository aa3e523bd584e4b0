# Every sender path is byte-exact when redirected: write, send, writev (up to 64
# iovecs of varying length, some empty), sendmsg (128 iovecs), sendfile (from a
# temp file) and send with MSG_MORE, each with 8 MiB per direction in random
# write sizes from 1 B to 1 MiB (sa-integrity --sizes mixed). Both ends must
# verify every byte and EOF, and redirected_bytes must grow by both directions
# of every run (so plain TCP cannot pass by accident).
. "$SA_LIB"

. "$SA_ROOT/tests/netns/integrity_lib.sh"

BYTES=$((8 << 20))
load "$SA_CG"
for mode in write send writev sendmsg sendfile more; do
	r0=$(stats_get redirected_bytes)
	pair "send-$mode" 127.0.0.1 "" "" --bytes "$BYTES" --sizes mixed --seed $((PORT * 10)) \
		--send-mode "$mode"
	r1=$(stats_get redirected_bytes)
	info "send-mode $mode: redirected_bytes +$((r1 - r0))"
	assert_ge $((r1 - r0)) $((2 * SA_MIN_REDIRECT)) "redirected_bytes delta, send-mode $mode (both directions)"
done
