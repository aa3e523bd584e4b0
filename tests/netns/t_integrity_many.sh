# Many concurrent redirected connections over IPv6 (::1) stay byte-exact and
# apart: 200 connections, 16 at a time, 256 KiB each way in random write sizes
# (1 B..1 MiB); every connection carries its own pattern and the server accepts
# each seed once, so a byte delivered to the wrong socket fails the test.
# redirected_bytes must grow by both directions of all 200 connections.
. "$SA_LIB"

. "$SA_ROOT/tests/netns/integrity_lib.sh"

BYTES=$((256 << 10))
CONNS=200
load "$SA_CG"
r0=$(stats_get redirected_bytes)
a0=$(stats_get sockets_added)
pair many ::1 "" "" --conns "$CONNS" --parallel 16 --bytes "$BYTES" --sizes mixed --seed 1000
r1=$(stats_get redirected_bytes)
a1=$(stats_get sockets_added)
info "redirected_bytes +$((r1 - r0)), sockets_added +$((a1 - a0))"
assert_eq "$(jget many server .conns_ok)" "$CONNS" "server: connections verified"
assert_eq "$(jget many client .conns_ok)" "$CONNS" "client: connections verified"
assert_ge $((a1 - a0)) $((2 * CONNS)) "sockets_added delta"
assert_ge $((r1 - r0)) $((2 * CONNS * SA_MIN_REDIRECT)) "redirected_bytes delta (both directions, all connections)"
