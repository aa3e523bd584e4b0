# A connection established before the programs are attached keeps working,
# byte-exact, and is not accelerated: both ends hold their reads (--hold-file)
# so 16 MiB each way are still in flight when `load` attaches the cgroup; after
# the attach the transfer completes on plain TCP and neither redirected_bytes
# nor sockets_added moves (nothing else runs in the test netns). A control pair
# started after the attach is then redirected (the programs do work here).
. "$SA_LIB"

. "$SA_ROOT/tests/netns/integrity_lib.sh"

# established NS PORT: number of ESTABLISHED TCP sockets with local or remote PORT
established() {
	local hex
	hex=$(printf ':%04X' "$2")
	ip netns exec "$1" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v h="$hex" '$4 == "01" && (substr($2, length($2) - 4) == h ||
						substr($3, length($3) - 4) == h) { n++ } END { print n + 0 }'
}

BYTES=$((16 << 20))
HOLD=$SA_TMP/hold
PRE_PORT=5050
ARGS=(--bytes "$BYTES" --sizes mixed --seed 500 --hold-file "$HOLD" --json -t 60)

bg_in "$SA_NS" "$SA_CG" "$SAI" server -l 127.0.0.1 -p $PRE_PORT "${ARGS[@]}" \
	>"$SA_TMP/pre.server.json" 2>"$SA_TMP/pre.server.err"
spid=$BG_PID
wait_port "$SA_NS" $PRE_PORT
bg_in "$SA_NS" "$SA_CG" "$SAI" client -c 127.0.0.1 -p $PRE_PORT "${ARGS[@]}" \
	>"$SA_TMP/pre.client.json" 2>"$SA_TMP/pre.client.err"
cpid=$BG_PID
for ((i = 0; i < 100; i++)); do
	[ "$(established "$SA_NS" $PRE_PORT)" -ge 2 ] && break
	sleep 0.05
done
assert_eq "$(established "$SA_NS" $PRE_PORT)" 2 "established sockets of the pre-existing connection"
sleep 0.2	# let both writers fill the socket buffers

load "$SA_CG"
r0=$(stats_get redirected_bytes)
a0=$(stats_get sockets_added)
kill -0 "$spid" 2>/dev/null && kill -0 "$cpid" 2>/dev/null ||
	fail "the pre-existing transfer ended before the attach: it must span it"
touch "$HOLD"
wait_pid "$cpid" 60
crc=$?
wait_pid "$spid" 60
src=$?
for r in server client; do
	sed "s/^/# pre $r: /" "$SA_TMP/pre.$r.err"
	info "pre $r: $(summ "$SA_TMP/pre.$r.json")"
done
[ $crc = 0 ] && [ $src = 0 ] || fail "pre-existing connection: client exit $crc, server exit $src"
r1=$(stats_get redirected_bytes)
a1=$(stats_get sockets_added)
info "pre-existing connection: redirected_bytes +$((r1 - r0)), sockets_added +$((a1 - a0))"
assert_eq $((r1 - r0)) 0 "redirected_bytes delta of the connection established before the attach"
assert_eq $((a1 - a0)) 0 "sockets_added delta of the connection established before the attach"

# control: a connection made after the attach is redirected
CBYTES=$((1 << 20))
pair control 127.0.0.1 "" "" --bytes "$CBYTES" --sizes mixed --seed 600
r2=$(stats_get redirected_bytes)
info "control: redirected_bytes +$((r2 - r1))"
assert_ge $((r2 - r1)) $((2 * SA_MIN_REDIRECT)) "redirected_bytes delta of the control connection"
