# Splice readers with our C splice reader (tools/sa-splice), under the default
# policy (docs/design.md "Splice readers", docs/limitations.md):
#  1. pure splice readers, 16 connections at once (4 in the VM), blocking and non-blocking,
#     1 MiB each: every byte, in order, nothing redirected to them; the reader
#     is seen splicing (splice_sockets), its name is learned (status
#     splicers_seen) and its next connections stay out of the map
#     (skipped_splicer).
#  2. the same with splice detection off: still every byte (nothing is
#     redirected to a socket before it has read with recv(), which a pure
#     splice reader never does).
#  3. a mixed reader (recv() first, then splice(), as HAProxy does) that the
#     sender has redirected to when it begins to splice. Pins the kernel:
#     splice() cannot read redirected bytes (a non-blocking reader is stuck,
#     poll POLLIN + EAGAIN), and what sockaccel does: it keeps redirecting, so
#     no byte ever reaches splice() out of order; splice_late counts it; the
#     foreground loader prints a warning naming the process; the name is
#     learned. Past the unread bound the sender's send fails (EACCES) rather
#     than reorder (splice_refused_msgs), and a blocking reader then sees a
#     false EOF (splice returns 0 while recv() still has bytes). And what
#     cannot be saved: a reader that let the bound fill before its first
#     splice (the direction already on TCP) reads out of order
#     (splice_late_tcp) -- why such programs belong in --splicers.
#  4. the same mixed reader named in --splicers: never in the map, every byte.
#  5. --exclude-ports and --ports keep a splicer working too.
# If a kernel ever lets splice() read redirected data, step 3 fails and
# docs/limitations.md must be updated.
# timeout: 400
. "$SA_LIB"
need_bin sa-splice sa-stream
BYTES=$((1 << 20))
N=16	# pure splice readers at once; 4 in the kernel-matrix VM (SA_VM: ~20x slower)
[ -n "${SA_VM:-}" ] && N=4

# splice_run PORT "SPLICE ARGS" CLIENT ARGS...: sa-splice (background) and an
# sa-stream client (one-way, pattern seed 7) in $SA_NS+$SA_CG. Returns
# sa-splice's exit status; CRC is the client's. Logs: $SA_TMP/{splice,client}-PORT.log
splice_run() {
	local port=$1 sargs=$2 spid rc
	shift 2
	# shellcheck disable=SC2086 # word splitting of the reader args is wanted
	bg_in "$SA_NS" "$SA_CG" "$SA_BUILD/sa-splice" -l 127.0.0.1 -p "$port" --seed 7 $sargs \
		>"$SA_TMP/splice-$port.log" 2>&1
	spid=$BG_PID
	wait_port "$SA_NS" "$port"
	run_in "$SA_NS" "$SA_CG" "$SA_STREAM" client -c 127.0.0.1 -p "$port" --no-reply --seed 7 \
		-t 30 -q "$@" >"$SA_TMP/client-$port.log" 2>&1
	CRC=$?
	wait_pid "$spid" 30
	rc=$?
	sed "s/^/sa-splice($port): /" "$SA_TMP/splice-$port.log" | sort | uniq -c | head -5
	sed "s/^/client($port): /" "$SA_TMP/client-$port.log" | head -3
	return $rc
}
ok_run() {	# PORT "SPLICE ARGS" CLIENT ARGS...: both must succeed
	splice_run "$@" || fail "sa-splice on port $1 failed"
	assert_eq "$CRC" 0 "sender on port $1"
}
detection() { $SA_CTL -j status | jq -r '.features[] | select(.name == "splice_detection") | .in_use'; }
seen() {	# COMM FIELD: FIELD of COMM in status splicers_seen (null: not seen)
	$SA_CTL -j status | jq -r --arg c "$1" "[.splicers_seen[] | select(.comm == \$c)][0].$2"
}

# ---- 1. pure splice readers, default policy
load "$SA_CG"
det=$(detection)
info "splice detection: $det"
r0=$(stats_get redirected_bytes) s0=$(stats_get splice_sockets)
ok_run 5001 "--bytes $BYTES --conns $N --seed-by-port" --bytes "$BYTES" -n "$N" --seed-by-port
k0=$(stats_get skipped_splicer)
ok_run 5002 "--bytes $BYTES --conns $N --seed-by-port --nonblock" --bytes "$BYTES" -n "$N" --seed-by-port
info "redirected +$(( $(stats_get redirected_bytes) - r0 )), splice_sockets +$(( $(stats_get splice_sockets) - s0 )), skipped_splicer +$(( $(stats_get skipped_splicer) - k0 )) (second run)"
assert_eq $(( $(stats_get redirected_bytes) - r0 )) 0 "bytes redirected to splice readers"
if [ "$det" != null ]; then
	assert_ge $(( $(stats_get splice_sockets) - s0 )) 1 "splice_sockets"
	assert_ge "$(seen sa-splice sockets)" 1 "status splicers_seen: sa-splice"
	assert_ge $(( $(stats_get skipped_splicer) - k0 )) "$N" "skipped_splicer: the learned reader's next connections"
fi
$SA_CTL teardown >/dev/null || fail "teardown"

# ---- 2. no splice detection: safe by construction
SOCKACCEL_TEST_MISSING_FEATURE=fentry/tcp_splice_read,tp/syscalls/sys_enter_splice \
	$SA_LOADER "$SA_CG" >/dev/null 2>&1 || fail "load without splice detection"
assert_eq "$(detection)" null "splice detection off"
a0=$(stats_get sockets_added)
ok_run 5003 "--bytes $BYTES --conns $N --seed-by-port --nonblock" --bytes "$BYTES" -n "$N" --seed-by-port
assert_ge $(( $(stats_get sockets_added) - a0 )) $((2 * N)) "sockets_added (both ends in the map)"
assert_eq "$(stats_get redirected_bytes)" 0 "bytes redirected without detection"
$SA_CTL teardown >/dev/null || fail "teardown"
[ "$det" != null ] || skip "no splice detection on this kernel: steps 3-5 need it"

# ---- 3. a mixed reader, redirected to before its first splice()
# The sender writes 4 KiB every 62 ms; the reader recv()s the first 4 KiB
# (by TCP: nothing is redirected before a recv() read), then waits 1 s while
# the next writes are redirected, then splices.
MIXED=(--recv-first 4096 --splice-after 1 --stuck-after 2)
bg_in - "$SA_CG" $SA_LOADER --foreground --drain-timeout 1 "$SA_CG" >"$SA_TMP/fg.out" 2>"$SA_TMP/fg.err"
fg=$BG_PID
for ((i = 0; i < 50; i++)); do grep -q 'running in the foreground' "$SA_TMP/fg.out" && break; sleep 0.1; done
grep -q 'running in the foreground' "$SA_TMP/fg.out" ||
	fail "the --foreground loader did not start: $(cat "$SA_TMP/fg.out" "$SA_TMP/fg.err")"
splice_run 5004 "--bytes $((256 << 10)) ${MIXED[*]} --nonblock" --bytes 256K -w 4K --rate 64K
rc=$?
assert_eq "$rc" 3 "late splice reader (expected: stuck, poll POLLIN + splice EAGAIN)"
grep -q "^received 4096 bytes" "$SA_TMP/splice-5004.log" ||
	fail "the late splice reader got bytes past its recv() part: splice saw redirected data (kernel changed?)"
assert_ge "$(stats_get splice_late)" 1 "splice_late"
assert_ge "$(seen sa-splice late)" 1 "status splicers_seen: sa-splice late"
sleep 1.5	# the foreground loader looks once a second
kill -TERM "$fg"
wait_pid "$fg" 10
cat "$SA_TMP/fg.err"
grep -q "warning: sa-splice (pid [0-9]*) began to splice() 1 socket(s) holding redirected bytes" "$SA_TMP/fg.err" ||
	fail "the foreground loader did not warn about the late splice"
$SA_CTL teardown >/dev/null || fail "teardown"

# late_run PORT SECONDS: a fresh load, then the blocking mixed reader, which
# splices SECONDS after its recv() part while the sender writes 4 KiB every
# 16 ms (the unread bound, 256 KiB for a fresh reader, fills after ~1 s).
# RC: sa-splice's exit status, CRC the sender's.
late_run() {
	load "$SA_CG"
	splice_run "$1" "--bytes $BYTES --recv-first 4096 --splice-after $2 --stuck-after 2" \
		--bytes "$BYTES" -w 4K --rate 256K -t 8
	RC=$?
}

# Once it splices, the sender keeps redirecting; past the unread bound its
# send fails (EACCES) rather than reorder; the blocking reader then sees a
# false EOF.
late_run 5005 0.3
rc=$RC
info "sender exit $CRC, splice_late $(stats_get splice_late), splice_refused_msgs $(stats_get splice_refused_msgs)"
assert_eq "$rc" 4 "blocking late splice reader (expected: false EOF once the sender gave up)"
grep -q "^received 4096 bytes, splice EOF while recv() still reads" "$SA_TMP/splice-5005.log" ||
	fail "false EOF not seen as expected"
assert_ne "$CRC" 0 "sender past the bound (expected: EACCES)"
grep -q "Permission denied" "$SA_TMP/client-5005.log" || fail "the sender's error is not EACCES"
assert_ge "$(stats_get splice_refused_msgs)" 1 "splice_refused_msgs"
$SA_CTL teardown >/dev/null || fail "teardown"

# What cannot be saved: the reader lets the bound fill before its first
# splice, so the direction is already on TCP (slow reader) when it begins;
# splice() then reads the later TCP bytes first. Seen as a late splice (the
# sender counts splice_late_tcp on its next send, if it sends again).
late_run 5010 1.5
rc=$RC
info "sender exit $CRC, splice_late_tcp $(stats_get splice_late_tcp), late splices of sa-splice $(seen sa-splice late)"
assert_eq "$rc" 1 "late splice reader after the slow-reader switch (expected: misordered)"
grep -q "corrupt byte at offset 4096" "$SA_TMP/splice-5010.log" ||
	fail "expected the first spliced byte to be out of order (offset 4096)"
assert_ge "$(seen sa-splice late)" 1 "status splicers_seen: sa-splice late"
$SA_CTL teardown >/dev/null || fail "teardown"

# ---- 4. the mixed reader named in --splicers
$SA_LOADER --splicers haproxy,sa-splice "$SA_CG" >/dev/null || fail "loader --splicers"
assert_eq "$($SA_CTL -j status | jq -c .policy.splicers)" '["haproxy","sa-splice"]' "status policy splicers"
$SA_CTL status | grep -q "splice readers:  haproxy,sa-splice" || fail "status (text) does not show --splicers"
k0=$(stats_get skipped_splicer)
ok_run 5006 "--bytes $((256 << 10)) ${MIXED[*]} --nonblock" --bytes 256K -w 4K --rate 256K
assert_ge $(( $(stats_get skipped_splicer) - k0 )) 1 "skipped_splicer (listed)"
assert_eq "$(stats_get redirected_bytes)" 0 "bytes redirected to a listed splicer"
out=$($SA_LOADER --splicers "" "$SA_CG" 2>&1) && fail "empty --splicers accepted"
assert_match "$out" "none" "empty --splicers error names 'none'"
$SA_CTL teardown >/dev/null || fail "teardown"

# ---- 5. port policy: --exclude-ports keeps a splicer off the map; --ports
# accelerates only the ports listed
$SA_LOADER --splicers none --exclude-ports 5007 "$SA_CG" >/dev/null || fail "loader --exclude-ports"
pol=$($SA_CTL -j status | jq -c .policy)
info "policy: $pol"
assert_eq "$(jq -c .exclude_ports <<<"$pol")" "[5007]" "status policy exclude_ports"
assert_eq "$(jq -c .splicers <<<"$pol")" "[]" "--splicers none"
p0=$(stats_get skipped_policy_port)
ok_run 5007 "--bytes $((256 << 10)) ${MIXED[*]} --nonblock" --bytes 256K -w 4K --rate 256K
assert_ge $(( $(stats_get skipped_policy_port) - p0 )) 2 "skipped_policy_port (both sockets)"
$SA_LOADER --ports 5008 "$SA_CG" >/dev/null || fail "loader --ports"
assert_eq "$($SA_CTL -j status | jq -c .policy.splicers)" '["haproxy"]' "a new policy brings the default --splicers back"
r0=$(stats_get redirected_bytes)
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5009 $((256 << 10)) 21
r1=$(stats_get redirected_bytes)
assert_eq $((r1 - r0)) 0 "redirected bytes on a port outside --ports"
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5008 $((256 << 10)) 22
r2=$(stats_get redirected_bytes)
assert_ge $((r2 - r1)) $((512 << 10)) "redirected bytes on the --ports port"
