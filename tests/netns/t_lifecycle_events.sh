# timeout: 420
# Loader restart, --foreground crash and upgrade never lose a byte.
# Each case: a checksummed stream in both directions, written at 1 MiB/s for
# 8 s, crosses the event while neither end reads (hold file), so redirected
# data is queued; then the reader is released and every byte
# must arrive in order, and the connection must still be accelerated (bytes
# written after the event are redirected) where that is the promise.
#   restart:  sockaccel-loader run again (same cgroup, plus another one):
#             pins reused, counters continue, live connection keeps redirect.
#   SIGTERM of a --foreground loader: it detaches gracefully, i.e. only exits
#             once the reader has read what was redirected.
#   SIGKILL of a --foreground loader: status says the loader is gone and the
#             cgroup stays attached; connections keep working; a new loader run
#             reuses the pins; teardown cleans.
#   upgrade:  sockaccel-loader --upgrade: new program ids, cgroup links switched
#             in place, live connection still redirected, new ones too.
# (map full: t_map_full.sh)
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
BYTES=$((16 << 20))

start() { held_live_start; }
finish() { held_live_finish; }

# ---- restart
load "${SA_DEEP_QUEUE[@]}" "$SA_CG"
start
r0=$(stats_get redirected_bytes)
added0=$(stats_get sockets_added)
cg2=$(new_cgroup second)
$SA_LOADER "$SA_CG" "$cg2" | tee "$SA_TMP/restart.log" || fail "second loader run failed"
grep -q "already attached" "$SA_TMP/restart.log" || fail "second run did not reuse the attachment"
$SA_CTL -j conns | jq -c ".[] | select(.local_port == $PORT or .remote_port == $PORT)"
assert_eq "$(conn_tx $PORT mode)" redirect "client direction after the restart"
finish
r1=$(stats_get redirected_bytes)
assert_ge "$r1" "$r0" "counters continue (not reset) across the restart"
assert_ge $((r1 - r0)) $((BYTES / 2)) "the live connection kept being redirected after the restart"
assert_ge "$(stats_get sockets_added)" "$added0" "sockets_added continues"

# ---- --foreground loader: SIGTERM detaches gracefully (waits for the reader)
$SA_CTL teardown >/dev/null || fail "teardown"
fg_start() {
	bg_in - "$SA_CG" $SA_LOADER --foreground "${SA_DEEP_QUEUE[@]}" "$SA_CG" >"$SA_TMP/fg.log" 2>&1
	fgpid=$BG_PID
	for ((i = 0; i < 50; i++)); do grep -q "running in the foreground" "$SA_TMP/fg.log" && return; sleep 0.1; done
	fail "the --foreground loader did not start: $(cat "$SA_TMP/fg.log")"
}
fg_start
start
sleep 2	# the writers finish; the server's unread bytes stay queued
kill -TERM "$fgpid"
sleep 1
kill -0 "$fgpid" 2>/dev/null || fail "the --foreground loader exited on SIGTERM with unread data queued: $(cat "$SA_TMP/fg.log")"
finish
wait_pid "$fgpid" 30 || fail "the --foreground loader failed: $(cat "$SA_TMP/fg.log")"
info "foreground loader: $(tail -1 "$SA_TMP/fg.log")"
grep -q "^detached .*drained" "$SA_TMP/fg.log" || fail "no drained detach in the loader's output"

# ---- SIGKILL of a --foreground loader
fg_start
start
kill -KILL "$fgpid"
wait "$fgpid" 2>/dev/null
st=$($SA_CTL -j status) || fail "status after SIGKILL: $st"
info "status after SIGKILL: $(jq -c .cgroups <<<"$st")"
assert_eq "$(jq '.cgroups[0].foreground_loader.running' <<<"$st")" false "status: foreground loader not running"
assert_eq "$(jq '.cgroups[0].attached' <<<"$st")" true "status: still attached"
$SA_CTL status | grep -q "not running" || fail "status text does not explain the killed loader"
# a loader run after the crash reuses everything; the stream stays redirected
$SA_LOADER "$SA_CG" | grep -q "already attached" || fail "loader after the crash did not reuse the pins"
assert_eq "$(conn_tx $PORT mode)" redirect "client direction after the crash and the new loader run"
finish
$SA_CTL teardown || fail "teardown after SIGKILL"
[ -e "$SA_PIN" ] && fail "teardown left $SA_PIN"
assert_eq "$(cg_links "$SA_CG")" 0 "links left on the cgroup after teardown"

# ---- upgrade
load "${SA_DEEP_QUEUE[@]}" "$SA_CG"
ids0=$($SA_CTL -j status | jq -c .programs)
link0=$($SA_CTL -j status | jq '.cgroups[0].link_id')
start
r0=$(stats_get redirected_bytes)
$SA_LOADER --upgrade || fail "upgrade failed"
ids1=$($SA_CTL -j status | jq -c .programs)
link1=$($SA_CTL -j status | jq '.cgroups[0].link_id')
info "programs $ids0 -> $ids1, cgroup link $link0 -> $link1"
assert_ne "$(jq .sockops <<<"$ids1")" "$(jq .sockops <<<"$ids0")" "new sockops program"
assert_ne "$(jq .sk_msg <<<"$ids1")" "$(jq .sk_msg <<<"$ids0")" "new sk_msg program"
assert_eq "$link1" "$link0" "the cgroup link is updated in place, not re-created"
bpftool -j cgroup show "$SA_CG" | jq -e ".[] | select(.id == $(jq .sockops <<<"$ids1"))" >/dev/null ||
	fail "the cgroup does not run the new sockops program"
finish
r1=$(stats_get redirected_bytes)
assert_ge $((r1 - r0)) $((BYTES / 2)) "the live connection kept being redirected across the upgrade"
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5299 $((1 << 20)) 31
assert_ge $(( $(stats_get redirected_bytes) - r1 )) $((2 << 20)) "a new connection after the upgrade is redirected"
$SA_CTL teardown >/dev/null || fail "teardown after upgrade"
