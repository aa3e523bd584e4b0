# io_uring on redirected sockets is byte-exact: IORING_OP_SEND into an
# accelerated socket, IORING_OP_RECV out of one, and both at once, 8 MiB per
# direction in random write sizes (1 B..1 MiB); redirected_bytes must grow by
# both directions of every run. Skipped (with the reason) when io_uring_setup()
# fails with ENOSYS or EPERM (kernel without io_uring, or
# kernel.io_uring_disabled).
. "$SA_LIB"

. "$SA_ROOT/tests/netns/integrity_lib.sh"

if ! why=$(run_in "$SA_NS" "$SA_CG" "$SAI" client --probe -q --send-mode uring --recv-mode uring 2>&1); then
	case $why in
	*ENOSYS* | *EPERM*) skip "io_uring not usable here: ${why#sa-integrity: }" ;;
	*) fail "io_uring probe failed: $why" ;;
	esac
fi

BYTES=$((8 << 20))
load "$SA_CG"
for modes in "uring read" "write uring" "uring uring"; do
	set -- $modes
	r0=$(stats_get redirected_bytes)
	pair "uring-$1-$2" 127.0.0.1 "" "" --bytes "$BYTES" --sizes mixed --seed $((PORT * 10)) \
		--send-mode "$1" --recv-mode "$2"
	r1=$(stats_get redirected_bytes)
	info "send-mode $1 recv-mode $2: redirected_bytes +$((r1 - r0))"
	assert_ge $((r1 - r0)) $((2 * SA_MIN_REDIRECT)) "redirected_bytes delta, send $1 recv $2 (both directions)"
done
