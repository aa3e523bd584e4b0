# Every receiver path is byte-exact on redirected sockets: read, recv, MSG_PEEK
# (peeked bytes must equal the bytes then read), MSG_WAITALL, SO_RCVLOWAT 4096 +
# poll, FIONREAD + read, O_NONBLOCK + poll, epoll edge-triggered (drain to
# EAGAIN), epoll level-triggered and SO_RCVTIMEO 100 ms: 4 MiB per direction in
# random write sizes (1 B..1 MiB), and for peek, waitall, rcvlowat and fionread
# also 1 MiB in small writes (1, 7, 100, 1000 B). Spurious EAGAIN, FIONREAD = 0
# with data readable, short MSG_WAITALL reads and reads below SO_RCVLOWAT are
# counted and logged, not failures. redirected_bytes must grow by both
# directions of every run.
# How often MSG_WAITALL returns short and SO_RCVLOWAT is ignored is logged
# (it depends on timing; t_recv_semantics.sh pins the behaviour itself).
. "$SA_LIB"

. "$SA_ROOT/tests/netns/integrity_lib.sh"

BYTES=$((4 << 20))
SMALL=$((1 << 20))
load --redirect-streams "$SA_CG"
# recv NAME BYTES ARGS...: one pair and its redirected_bytes check
recv() {
	local name=$1 bytes=$2 r0 r1
	shift 2
	r0=$(stats_get redirected_bytes)
	pair "$name" 127.0.0.1 "" "" --bytes "$bytes" --seed $((PORT * 10)) "$@"
	r1=$(stats_get redirected_bytes)
	info "$name: redirected_bytes +$((r1 - r0))"
	assert_ge $((r1 - r0)) $((2 * SA_MIN_REDIRECT)) "redirected_bytes delta, $name (both directions)"
}
for mode in read recv peek waitall rcvlowat fionread nonblock epoll-et epoll-lt rcvtimeo; do
	recv "recv-$mode" "$BYTES" --sizes mixed --recv-mode "$mode"
done
for mode in peek waitall rcvlowat fionread; do
	recv "recv-$mode-small" "$SMALL" --sizes 1,7,100,1000 --recv-mode "$mode"
done
waitall_short=$(jget recv-waitall-small server .waitall_short)
lowat_short=$(jget recv-rcvlowat-small server .lowat_short)
info "kernel: MSG_WAITALL short reads $waitall_short, reads below SO_RCVLOWAT $lowat_short (per MiB of small writes)"
