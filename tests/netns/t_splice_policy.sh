# splice() from an accelerated socket, and the exclusion policy that keeps a
# splicing program working.
#  1. Pins today's kernel behaviour: data redirected to a socket is invisible
#     to splice(). While the sender keeps the connection open, poll() says
#     POLLIN and splice() returns EAGAIN, forever (a blocking splice would
#     hang); once the sender has closed, splice() returns 0 (EOF) although
#     every byte is still unread (recv() reads them). If a kernel fixes this,
#     this step fails and docs/limitations.md must be updated.
#  2. With `--exclude-comm sa-splice`, the same receiver gets every byte:
#     its sockets are never inserted (conns: mode off, reason policy_comm;
#     stats: skipped_policy_comm), and nothing is redirected to it.
#  3. `--exclude-ports` does the same by port; `status` shows the policy.
. "$SA_LIB"
need_bin sa-splice sa-stream
BYTES=$((1 << 20))

splice_run() {	# PORT [CLIENT ARGS] -> exit status of sa-splice; output in $SA_TMP/splice-PORT.log
	local port=$1 spid crc
	shift
	bg_in "$SA_NS" "$SA_CG" "$SA_BUILD/sa-splice" -l 127.0.0.1 -p "$port" --bytes "$BYTES" \
		--seed 7 --stuck-after 2 >"$SA_TMP/splice-$port.log" 2>&1
	spid=$BG_PID
	wait_port "$SA_NS" "$port"
	run_in "$SA_NS" "$SA_CG" "$SA_STREAM" client -c 127.0.0.1 -p "$port" --bytes "$BYTES" \
		--reply-bytes 0 --seed 7 -t 20 "$@" >"$SA_TMP/client-$port.log" 2>&1
	crc=$?
	wait_pid "$spid" 20
	local rc=$?
	sed "s/^/sa-splice($port): /" "$SA_TMP/splice-$port.log"
	[ $crc = 0 ] || { cat "$SA_TMP/client-$port.log"; fail "sender failed on port $port"; }
	return $rc
}

# 1. accelerated, every byte redirected (--redirect-streams): the kernel's behaviour.
#    (Under the default policy the sender's later bytes turn into a TCP stream,
#    which splice reads first: out of order. docs/limitations.md)
load "${SA_DEEP_QUEUE[@]}" "$SA_CG"
r0=$(stats_get redirected_bytes)
# The sender stays connected (no FIN) for 4 s after its last byte.
bg_in "$SA_NS" "$SA_CG" "$SA_BUILD/sa-splice" -l 127.0.0.1 -p 5001 --bytes "$BYTES" \
	--stuck-after 2 --nonblock >"$SA_TMP/splice-5001.log" 2>&1
spid=$BG_PID
wait_port "$SA_NS" 5001
run_in "$SA_NS" "$SA_CG" python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 5001)); s.sendall(b"x" * (1 << 20)); time.sleep(4)' ||
	fail "python sender failed"
wait_pid "$spid" 20
rc=$?
cat "$SA_TMP/splice-5001.log"
r1=$(stats_get redirected_bytes)
info "no policy, sender open: sa-splice exit $rc, redirected $((r1 - r0)) bytes"
assert_ge $((r1 - r0)) "$BYTES" "bytes redirected to the splicing receiver"
assert_eq "$rc" 3 "sa-splice, sender open (expected: stuck, poll POLLIN + splice EAGAIN)"
grep -q "^received 0 bytes" "$SA_TMP/splice-5001.log" || fail "splice saw redirected bytes: kernel behaviour changed"
splice_run 5006		# sender closes after its last byte
rc=$?
assert_eq "$rc" 4 "sa-splice, sender closed (expected: false EOF with every byte unread)"
grep -q "^received 0 bytes" "$SA_TMP/splice-5006.log" || fail "splice saw redirected bytes: kernel behaviour changed"

# 2. same receiver with the process-name exclusion
$SA_LOADER --exclude-comm sa-splice,haproxy "$SA_CG" >/dev/null || fail "loader --exclude-comm"
$SA_CTL status | tee "$SA_TMP/status.txt"
grep -q "exclude process: sa-splice,haproxy" "$SA_TMP/status.txt" || grep -q "exclude process: haproxy,sa-splice" "$SA_TMP/status.txt" ||
	fail "status does not show the excluded process names"
s0=$(stats_get skipped_policy_comm)
r0=$(stats_get redirected_bytes)
splice_run 5002 || fail "sa-splice with --exclude-comm failed"
r1=$(stats_get redirected_bytes)
s1=$(stats_get skipped_policy_comm)
assert_eq $((r1 - r0)) 0 "bytes redirected with the splicing program excluded"
assert_ge $((s1 - s0)) 1 "skipped_policy_comm"

# 3. port exclusion (the comm exclusion is replaced: a new policy replaces the whole policy)
$SA_LOADER --exclude-ports 5003 "$SA_CG" >/dev/null || fail "loader --exclude-ports"
pol=$($SA_CTL -j status | jq -c .policy)
info "policy: $pol"
assert_eq "$(jq -c .exclude_ports <<<"$pol")" "[5003]" "status policy exclude_ports"
assert_eq "$(jq -c .exclude_comms <<<"$pol")" "[]" "a new policy replaces the old one"
p0=$(stats_get skipped_policy_port)
splice_run 5003 || fail "sa-splice with --exclude-ports failed"
p1=$(stats_get skipped_policy_port)
assert_ge $((p1 - p0)) 2 "skipped_policy_port (both sockets)"

# 4. --ports: only the listed ports; a stream on another port stays on TCP
$SA_LOADER --ports 5004 "$SA_CG" >/dev/null || fail "loader --ports"
r0=$(stats_get redirected_bytes)
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5005 $((256 << 10)) 21
r1=$(stats_get redirected_bytes)
assert_eq $((r1 - r0)) 0 "redirected bytes on a port outside --ports"
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5004 $((256 << 10)) 22
r2=$(stats_get redirected_bytes)
assert_ge $((r2 - r1)) $((512 << 10)) "redirected bytes on the --ports port"
out=$($SA_CTL -j conns)
info "$(jq -c '[.[] | {local, tx: .tx.mode, reason: .tx.reason}]' <<<"$out")"
