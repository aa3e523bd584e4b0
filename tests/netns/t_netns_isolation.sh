# Two netns, processes of both in the attached SA_CG, identical 4-tuples
# (127.0.0.1:40000 -> 127.0.0.1:5000), different seeds, at the same time.
# Data delivered to the other namespace's socket shows as a MISMATCH.
. "$SA_LIB"

BYTES=$((4 << 20))
NS2=$(new_netns b)
load --redirect-streams "$SA_CG"
r0=$(stats_get redirected_bytes)
a0=$(stats_get sockets_added)

declare -A SRV CLI
for ns in "$SA_NS" "$NS2"; do
	seed=$([ "$ns" = "$SA_NS" ] && echo 100 || echo 200)
	bg_in "$ns" "$SA_CG" "$SA_STREAM" server -l 127.0.0.1 -p 5000 --sync --echo --bytes "$BYTES" \
		--seed "$seed" -t 60 >"$SA_TMP/server-$seed.log" 2>&1
	SRV[$ns]=$BG_PID
	wait_port "$ns" 5000
done
for ns in "$SA_NS" "$NS2"; do
	seed=$([ "$ns" = "$SA_NS" ] && echo 100 || echo 200)
	bg_in "$ns" "$SA_CG" "$SA_STREAM" client -c 127.0.0.1 -p 5000 --sync --bind-port 40000 \
		--bytes "$BYTES" --seed "$seed" -w 4096 -t 60 >"$SA_TMP/client-$seed.log" 2>&1
	CLI[$ns]=$BG_PID
done
bad=0
for ns in "$SA_NS" "$NS2"; do
	wait_pid "${CLI[$ns]}" 70 || { echo "client in $ns failed"; bad=1; }
	wait_pid "${SRV[$ns]}" 70 || { echo "server in $ns failed"; bad=1; }
done
tail -n +1 "$SA_TMP"/server-*.log "$SA_TMP"/client-*.log
[ $bad = 0 ] || fail "a stream was not byte-exact"
grep -q 'local 127.0.0.1:40000 peer 127.0.0.1:5000' "$SA_TMP/client-100.log" ||
	fail "client in $SA_NS did not use 127.0.0.1:40000"
grep -q 'local 127.0.0.1:40000 peer 127.0.0.1:5000' "$SA_TMP/client-200.log" ||
	fail "client in $NS2 did not use 127.0.0.1:40000"

r1=$(stats_get redirected_bytes)
a1=$(stats_get sockets_added)
info "redirected_bytes $r0 -> $r1, sockets_added $a0 -> $a1"
assert_ge $((r1 - r0)) $((4 * SA_MIN_REDIRECT)) "redirected_bytes (2 streams x 2 directions)"
assert_ge $((a1 - a0)) 4 "sockets_added"
assert_eq "$(stats_get insert_failed_exists)" 0 "insert_failed_exists (identical 4-tuples collided)"
