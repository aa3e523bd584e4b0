# SIGHUP re-reads --config in a --foreground loader, and sd_notify tells the
# service manager (a UNIX datagram listener as NOTIFY_SOCKET here):
#   start: READY=1 once the file's cgroup (A) and the command line's (C) are
#          attached.
#   reload (RELOADING=1 with MONOTONIC_USEC, then READY=1): the file now names
#          B instead of A and a new policy (exclude-ports). B is attached at
#          once and its new connections follow the new policy (a stream on an
#          excluded port is not inserted, one on another port is redirected);
#          D, in both files, is left alone;
#          A is detached gracefully: a live checksummed stream of A holding
#          unread redirected data keeps A's drain (and READY=1) waiting until
#          its reader has read it, and arrives byte-exact; C is never touched.
#   bad edit + SIGHUP: one error line, nothing changes, the loader runs on.
#   SIGTERM: STOPPING=1, then B and C are detached.
# timeout: 300
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
need_cmd python3 jq bpftool
need_bin sa-stream sa-integrity
# shellcheck disable=SC2034 # read by held_live_* (integrity_lib.sh)
BYTES=$((8 << 20))
cgB=$(new_cgroup b)
cgC=$(new_cgroup c)
cgD=$(new_cgroup d)
conf=$SA_TMP/sockaccel.conf
log=$SA_TMP/fg.log
nlog=$SA_TMP/notify.log

# The notification socket: one line per datagram, its fields space-separated.
python3 - "$SA_TMP/notify.sock" "$nlog" <<'EOP' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ").strip() + "\n")
        f.flush()
EOP
npid=$!
echo "$npid" >>"$SA_REG/pids"
for ((i = 0; i < 50; i++)); do [ -S "$SA_TMP/notify.sock" ] && break; sleep 0.1; done
# notified: the first field of each notification, in order
notified() { awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$nlog" 2>/dev/null; }
wait_notified() {	# EXPECTED SECONDS
	for ((i = 0; i < $2 * 10; i++)); do [ "$(notified)" = "$1" ] && return; sleep 0.1; done
	fail "notifications: '$(notified)', expected '$1'; loader: $(tail -5 "$log")"
}
wait_log() {	# REGEX SECONDS
	for ((i = 0; i < $2 * 10; i++)); do grep -Eq "$1" "$log" && return; sleep 0.1; done
	fail "no line /$1/ in the loader's output: $(cat "$log")"
}

cat >"$conf" <<EOC
[attach]
cgroup = $SA_CG
cgroup = $cgD
[policy]
redirect-streams = yes
max-unread = 33554432
[loader]
drain-timeout = 120
EOC
bg_in - "$SA_CG" env NOTIFY_SOCKET="$SA_TMP/notify.sock" $SA_LOADER --foreground --config "$conf" "$cgC" >"$log" 2>&1
fgpid=$BG_PID
wait_notified "READY=1" 20
grep READY "$nlog"
assert_eq "$(cg_links "$SA_CG")" 1 "A (file) attached"
assert_eq "$(cg_links "$cgC")" 1 "C (command line) attached"
assert_eq "$(cg_links "$cgB")" 0 "B not attached yet"
assert_eq "$(cg_links "$cgD")" 1 "D (file) attached"

# A live stream in A, neither end reading: redirected data stays queued.
held_live_start
assert_eq "$(conn_tx $PORT mode)" redirect "A's stream redirected before the reload"
sleep 1

# The edit: B instead of A, port 7777 excluded.
cat >"$conf" <<EOC
# edited
[attach]
cgroup = $cgD
cgroup = $cgB
[policy]
redirect-streams = yes
max-unread = 33554432
exclude-ports = 7777
[loader]
drain-timeout = 120
EOC
kill -HUP "$fgpid"
wait_log "^reload: attached $cgB" 20
sleep 1
assert_eq "$(cg_links "$cgB")" 1 "B attached by the reload"
assert_eq "$(cg_links "$cgC")" 1 "C untouched by the reload"
assert_eq "$(cg_links "$cgD")" 1 "D (in both files) still attached"
assert_eq "$($SA_CTL -j status | jq -c .policy.exclude_ports)" "[7777]" "the new policy pinned"
# A is being drained: its links are gone but its live connection's unread
# data is still there, so the loader has not finished A's detach.
grep -E "^reload: detached $SA_CG" "$log" && fail "A detached before its reader read its data"
assert_eq "$(notified)" "READY=1 RELOADING=1" "notifications while A drains"
kill -0 "$fgpid" || fail "the loader exited during the reload: $(cat "$log")"
# New connections in B follow the new policy.
a0=$(stats_get sockets_added)
stream "$SA_NS" "$cgB" 127.0.0.1 127.0.0.1 7777 $((1 << 20)) 11
assert_eq "$(( $(stats_get sockets_added) - a0 ))" 0 "sockets inserted on the excluded port 7777 in B"
a0=$(stats_get sockets_added) r0=$(stats_get redirected_bytes)
stream "$SA_NS" "$cgB" 127.0.0.1 127.0.0.1 7778 $((1 << 20)) 12
assert_ge "$(( $(stats_get sockets_added) - a0 ))" 2 "sockets inserted on port 7778 in B"
assert_ge "$(( $(stats_get redirected_bytes) - r0 ))" $((1 << 20)) "bytes redirected on port 7778 in B"
# Now A's reader reads: every byte arrives, then the detach of A completes.
held_live_finish
wait_log "^reload: detached $SA_CG \(drained" 60
wait_log "^reload: .*1 cgroup\(s\) added, 1 removed, 1 unchanged; policy changed" 10
grep -E "^reload: .*$cgD" "$log" && fail "the reload touched D, which is in both files"
wait_notified "READY=1 RELOADING=1 READY=1" 10
grep -E "RELOADING=1 .*MONOTONIC_USEC=[0-9]+" "$nlog" >/dev/null || fail "RELOADING=1 without MONOTONIC_USEC: $(cat "$nlog")"
assert_eq "$(cg_links "$SA_CG")" 0 "A detached by the reload"

# A bad edit changes nothing.
cp "$conf" "$SA_TMP/good.conf"
printf '[attach]\ncgroup = %s\n[policy]\nports = 0\n' "$SA_CG" >"$conf"
kill -HUP "$fgpid"
wait_log "^sockaccel-loader: reload: $conf:4: \[policy\] ports: invalid port '0'" 20
wait_notified "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1" 10
kill -0 "$fgpid" || fail "the loader exited on a bad config"
# and one whose cgroup does not exist
printf '[attach]\ncgroup = %s\ncgroup = %s/sockaccel-no-such\n' "$SA_CG" "$SA_CG2" >"$conf"
kill -HUP "$fgpid"
wait_log "^sockaccel-loader: reload: $conf:3: .*sockaccel-no-such" 20
wait_notified "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1" 10
assert_eq "$(cg_links "$SA_CG")" 0 "A after the bad edits"
assert_eq "$(cg_links "$cgB")" 1 "B after the bad edits"
assert_eq "$(cg_links "$cgC")" 1 "C after the bad edits"
assert_eq "$(cg_links "$cgD")" 1 "D after the bad edits"
assert_eq "$($SA_CTL -j status | jq -c .policy.exclude_ports)" "[7777]" "policy after the bad edits"
kill -0 "$fgpid" || fail "the loader exited on a bad config"

# SIGTERM: STOPPING=1, then what it attached is detached (B and C).
kill -TERM "$fgpid"
wait_pid "$fgpid" 60 || fail "the loader failed on SIGTERM: $(cat "$log")"
wait_notified "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1" 10
assert_eq "$(cg_links "$cgB")" 0 "B detached at exit"
assert_eq "$(cg_links "$cgC")" 0 "C detached at exit"
assert_eq "$(cg_links "$cgD")" 0 "D detached at exit"
cat "$log"
# the pin guard knows a detached cgroup's link pin is gone by design
grep "had disappeared\|are gone" "$log" && fail "the pin guard took the reload's detach for lost pins"

# Without --config, SIGHUP changes nothing (it used to stop the loader).
log=$SA_TMP/fg2.log
bg_in - "$SA_CG" $SA_LOADER --foreground "$cgB" >"$log" 2>&1
fgpid=$BG_PID
wait_log "^running in the foreground" 20
kill -HUP "$fgpid"
wait_log "^SIGHUP: no --config file to re-read; nothing changed" 20
kill -0 "$fgpid" || fail "a loader without --config exited on SIGHUP"
assert_eq "$(cg_links "$cgB")" 1 "B after SIGHUP without --config"
kill -TERM "$fgpid"
wait_pid "$fgpid" 60 || fail "the loader failed on SIGTERM: $(cat "$log")"
assert_eq "$(cg_links "$cgB")" 0 "B detached at exit"
kill "$npid" 2>/dev/null
echo "config_reload: all checks passed"
