# timeout: 300
# vm: host-only pin loss and the pin guard, user space; passed on 6.1 and 6.12 on 2026-11-29
# The pins lost under a running service (docs/faults.md): the pin dir deleted
# by hand (rm -rf) and its bpffs unmounted (a private bpffs instance the test
# mounts, with --pin-dir inside it).
#   --foreground loader: it holds a reference to every pinned object, so a
#     connection with redirected data queued (neither end reads) keeps its
#     data and stays accelerated; the cgroup stays attached (bpftool).
#     rm -rf: the loader pins everything again within seconds: status shows
#     the same programs and the cgroup again.
#     umount: status and teardown say nothing is loaded and that bpffs looks
#     unmounted (exit 1), the loader says so too; once bpffs is mounted
#     there again, the loader pins everything again.
#     Then the reader reads: every byte, in order; SIGTERM detaches
#     gracefully and teardown leaves nothing.
#   plain load (nothing but the pins holds it): rm -rf or umount unloads it
#     at once (the cgroup is no longer attached, bpftool), status and
#     teardown say so, new connections work (plain TCP, byte-exact), and the
#     next loader run loads afresh.
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
need_cmd bpftool
BYTES=$((8 << 20))
LOADER=$SA_BUILD/sockaccel-loader
CTL=$SA_BUILD/sockaccelctl

conn_tx() { $CTL --pin-dir "$1" -j conns | jq -r "[.[] | select(.remote_port == $2) | .tx.$3] | first"; }
# start PIN: a held stream in $SA_CG, both directions at 1 MiB/s, neither end
# reading until held_finish; returns once its client direction is redirected
start() {
	local i
	held_both_start "$SA_CG" "$SA_CG" --bytes "$BYTES" --sizes 64K --write-rate 1M
	for ((i = 0; i < 600; i++)); do
		case $(conn_tx "$1" $PORT mode) in redirect) sleep 1; return ;; esac
		sleep 0.1
	done
	fail "the client of port $PORT was never redirected"
}
# fg_start PIN: a --foreground loader on $SA_CG with pin dir PIN (FGPID, log fg.log)
fg_start() {
	local i
	bg_in - "$SA_CG" "$LOADER" --pin-dir "$1" --foreground "${SA_DEEP_QUEUE[@]}" "$SA_CG" >"$SA_TMP/fg.log" 2>&1
	FGPID=$BG_PID
	for ((i = 0; i < 600; i++)); do grep -q "running in the foreground" "$SA_TMP/fg.log" && return; sleep 0.1; done
	fail "the --foreground loader did not start: $(cat "$SA_TMP/fg.log")"
}
# fg_stop PIN: SIGTERM: a graceful detach, then teardown leaves nothing
fg_stop() {
	kill -TERM "$FGPID"
	wait_pid "$FGPID" 120 || fail "the --foreground loader failed: $(cat "$SA_TMP/fg.log")"
	grep -q "^detached .*drained" "$SA_TMP/fg.log" || fail "no drained detach: $(cat "$SA_TMP/fg.log")"
	$CTL --pin-dir "$1" teardown >/dev/null || fail "teardown of $1"
	[ -e "$1" ] && fail "teardown left $1"
	assert_eq "$(cg_links "$SA_CG")" 0 "links left on the cgroup"
}
# repinned PIN PROGRAMS LABEL: within 60 s status shows the same programs and $SA_CG attached
repinned() {
	local i st
	for ((i = 0; i < 600; i++)); do
		st=$($CTL --pin-dir "$1" -j status 2>/dev/null) && break
		sleep 0.1
	done
	[ "$(jq -r .loaded <<<"$st")" = true ] || fail "$3: not pinned again: $st; loader: $(cat "$SA_TMP/fg.log")"
	assert_eq "$(jq -c .programs <<<"$st")" "$2" "$3: the same programs pinned again"
	assert_eq "$(jq -c '[.cgroups[] | select(.attached) | .id]' <<<"$st")" "[$(cgroup_id "$SA_CG")]" \
		"$3: the cgroup in status again"
	grep -q "pinned .* again from this process" "$SA_TMP/fg.log" || fail "$3: the loader did not say it"
}
# unloaded PIN LABEL: status and teardown say nothing is loaded (exit 1)
unloaded() {
	local out
	out=$($CTL --pin-dir "$1" -j status 2>&1) && fail "$2: status succeeded: $out"
	assert_eq "$(jq -r .loaded <<<"$out")" false "$2: status: loaded"
	info "$2: status: $(jq -r .error <<<"$out")"
	LAST_STATUS_ERR=$(jq -r .error <<<"$out")
	out=$($CTL --pin-dir "$1" teardown 2>&1) && fail "$2: teardown succeeded: $out"
	info "$2: teardown: $out"
	assert_match "$out" "nothing loaded" "$2: teardown's error"
	LAST_TEARDOWN_ERR=$out
}

# ---- foreground, pin dir deleted
fg_start "$SA_PIN"
start "$SA_PIN"
ids=$($SA_CTL -j status | jq -c .programs)
r0=$(stats_get redirected_bytes)
rm -rf "$SA_PIN"
assert_eq "$(cg_links "$SA_CG")" 1 "rm -rf: still attached (bpftool)"
repinned "$SA_PIN" "$ids" "rm -rf"
assert_eq "$(conn_tx "$SA_PIN" $PORT mode)" redirect "rm -rf: the live connection still redirected"
held_finish "$BYTES"
assert_eq "$(jq .bytes_received "$SA_TMP/client-$PORT.json")" "$BYTES" "rm -rf: client bytes received"
assert_ge $(($(stats_get redirected_bytes) - r0)) $((BYTES / 2)) "rm -rf: kept redirecting"
fg_stop "$SA_PIN"

# ---- foreground, bpffs unmounted
BPF=$(new_bpffs fg)
PIN=$BPF/sa
fg_start "$PIN"
start "$PIN"
ids=$($CTL --pin-dir "$PIN" -j status | jq -c .programs)
umount "$BPF" || fail "umount $BPF"
assert_eq "$(cg_links "$SA_CG")" 1 "umount: still attached (bpftool)"
unloaded "$PIN" "umount"
assert_match "$LAST_STATUS_ERR" "bpffs unmounted" "umount: status names the cause"
assert_match "$LAST_TEARDOWN_ERR" "bpffs unmounted" "umount: teardown names the cause"
for ((i = 0; i < 300; i++)); do grep -q "are gone (not on bpffs" "$SA_TMP/fg.log" && break; sleep 0.1; done
grep -q "are gone (not on bpffs" "$SA_TMP/fg.log" || fail "umount: the loader did not say it: $(cat "$SA_TMP/fg.log")"
mount -t bpf bpf "$BPF" || fail "mount bpffs again"
repinned "$PIN" "$ids" "umount, mount again"
assert_eq "$(conn_tx "$PIN" $PORT mode)" redirect "umount: the live connection still redirected"
held_finish "$BYTES"
assert_eq "$(jq .bytes_received "$SA_TMP/client-$PORT.json")" "$BYTES" "umount: client bytes received"
fg_stop "$PIN"
info "foreground loader's log: $(grep -v '^attached\|^running\|^policy' "$SA_TMP/fg.log" | tr '\n' '|')"

# ---- plain load: the pins are all that holds it
# gone PIN LABEL: unloaded in the kernel too, and plain TCP works
gone() {
	local i
	for ((i = 0; i < 300; i++)); do [ "$(cg_links "$SA_CG")" = 0 ] && break; sleep 0.1; done
	assert_eq "$(cg_links "$SA_CG")" 0 "$2: the cgroup is no longer attached (bpftool)"
	unloaded "$1" "$2"
	stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 "$3" $((1 << 20)) 5
}
load "$SA_CG"
rm -rf "$SA_PIN"
gone "$SA_PIN" "plain, rm -rf" 5500
load "$SA_CG"
r0=$(stats_get redirected_bytes)
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5501 $((1 << 20)) 6
assert_ge $(($(stats_get redirected_bytes) - r0)) "$SA_MIN_REDIRECT" "plain, rm -rf: the next load accelerates"
$SA_CTL teardown >/dev/null || fail "teardown"

$LOADER --pin-dir "$PIN" "$SA_CG" >/dev/null || fail "plain load in $PIN"
umount "$BPF" || fail "umount $BPF (plain)"
gone "$PIN" "plain, umount" 5502
assert_match "$LAST_STATUS_ERR" "bpffs unmounted" "plain, umount: status names the cause"
mount -t bpf bpf "$BPF" || fail "mount bpffs again (plain)"
$LOADER --pin-dir "$PIN" "$SA_CG" >/dev/null || fail "plain load after mounting again"
$CTL --pin-dir "$PIN" teardown >/dev/null || fail "teardown of $PIN"
assert_eq "$(cg_links "$SA_CG")" 0 "links left on the cgroup"
