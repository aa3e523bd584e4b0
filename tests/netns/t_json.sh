# -j output of every ctl command is valid JSON, success and error alike.
# vm: host-only JSON output of user space
. "$SA_LIB"

# json_ok NAME WANT_EXIT CMD... : stdout must parse as JSON (one or more values)
json_ok() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$SA_TMP/j.out" 2>"$SA_TMP/j.err"
	rc=$?
	echo "[$name] exit $rc: $(head -c 400 "$SA_TMP/j.out") $(cat "$SA_TMP/j.err")"
	assert_eq "$rc" "$want" "$name: exit status"
	[ -s "$SA_TMP/j.out" ] || fail "$name: no output"
	jq -e . "$SA_TMP/j.out" >/dev/null 2>&1 || fail "$name: stdout is not valid JSON"
}
json_err() {	# NAME WANT_EXIT CMD... : additionally {"error": "..."}
	json_ok "$@"
	jq -e '.error | strings | length > 0' "$SA_TMP/j.out" >/dev/null ||
		fail "$1: no {\"error\": \"...\"} object"
}

# nothing loaded: every command is an error, still JSON
json_err "status (nothing loaded)" 1 $SA_CTL -j status
json_err "stats (nothing loaded)" 1 $SA_CTL -j stats
json_err "conns (nothing loaded)" 1 $SA_CTL -j conns
json_err "detach (nothing loaded)" 1 $SA_CTL -j detach "$SA_CG"
json_err "teardown (nothing loaded)" 1 $SA_CTL -j teardown
json_err "unknown command" 2 $SA_CTL -j frobnicate

load "$SA_CG"
# a connection so that conns has something to print
bg_in "$SA_NS" "$SA_CG" "$SA_STREAM" server -l 127.0.0.1 -p 5000 --sync --bytes 16K --echo -t 30 >"$SA_TMP/srv.log" 2>&1
spid=$BG_PID
wait_port "$SA_NS" 5000
# the client's name (its comm) is not UTF-8: JSON text must be, so the bytes
# of an ill-formed sequence come out as U+FFFD (jq would accept either)
odd=$SA_TMP/$'\xff\xfe'sa-stream
cp "$SA_STREAM" "$odd"
bg_in "$SA_NS" "$SA_CG" "$odd" client -c 127.0.0.1 -p 5000 --sync --bytes 16K --hold 8 -t 30 >"$SA_TMP/cli.log" 2>&1
cpid=$BG_PID
for ((i = 0; i < 50; i++)); do
	[ "$($SA_CTL -j conns | jq length)" -ge 2 ] 2>/dev/null && break
	sleep 0.1
done
# conns first, while the connection is surely open (slow kernels: VMs)
json_ok conns 0 $SA_CTL -j conns
jq -e 'arrays | length >= 2' "$SA_TMP/j.out" >/dev/null || fail "conns: expected an array with the live connection"
jq -e 'all(.[]; (.netns | numbers) and (.local_addr | strings) and (.local_port | numbers) and (.remote_addr | strings) and (.remote_port | numbers) and has("cookie") and (.peer_in_map | booleans))' \
	"$SA_TMP/j.out" >/dev/null || fail "conns: missing or mistyped keys"
python3 -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' <"$SA_TMP/j.out" ||
	fail "conns: output is not UTF-8 JSON (a comm that is not UTF-8)"
if jq -e 'any(.[]; .comm == "sa-stream")' "$SA_TMP/j.out" >/dev/null; then	# names known
	jq -e 'any(.[]; .comm == "\ufffd\ufffdsa-stream")' "$SA_TMP/j.out" >/dev/null ||
		fail "conns: the client's comm is not \\ufffd\\ufffdsa-stream: $(jq -c '[.[].comm]' "$SA_TMP/j.out")"
fi
json_ok "conns -p" 0 $SA_CTL -p conns

json_ok status 0 $SA_CTL -j status
jq -e '.loaded == true and (.programs.sockops | numbers) and (.programs.sk_msg | numbers) and (.cgroups | arrays) and (.map_entries | numbers) and (.map_capacity | numbers) and (.pin_dir | strings)' \
	"$SA_TMP/j.out" >/dev/null || fail "status: missing or mistyped keys"
json_ok "status -p" 0 $SA_CTL -p status
json_ok stats 0 $SA_CTL -j stats
for k in sockets_added sockets_active insert_failed insert_failed_exists insert_failed_full \
	 insert_failed_other sockets_skipped_remote redirected_msgs redirected_bytes passed_msgs \
	 passed_bytes passed_no_peer_msgs passed_no_peer_bytes; do
	jq -e --arg k "$k" '.[$k] | numbers' "$SA_TMP/j.out" >/dev/null || fail "stats: no numeric $k"
done
json_ok "stats -i 1 -c 2" 0 $SA_CTL -j stats -i 1 -c 2
assert_eq "$(jq -s length "$SA_TMP/j.out")" 2 "stats -i 1 -c 2: number of JSON values"
wait_pid "$cpid" 30 || fail "client failed"
wait_pid "$spid" 30 || fail "server failed"

json_err "detach not attached" 1 $SA_CTL -j detach "$(new_cgroup other)"
json_err "detach /tmp" 1 $SA_CTL -j detach /tmp
json_ok detach 0 $SA_CTL -j detach "$SA_CG"
json_ok teardown 0 $SA_CTL -j teardown
json_err "status after teardown" 1 $SA_CTL -j status
