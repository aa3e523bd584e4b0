# `sockaccelctl run`: with nothing loaded it loads, runs the command in a new
# vm: host-only cgroup handling of sockaccelctl run, user space; passed on 6.1 and 6.12 on 2026-11-29
# cgroup that is attached (a verified stream inside is redirected, status
# shows "run NAME"), passes its exit status through, forwards SIGTERM to it,
# then detaches and removes the cgroup; loaded already, it only attaches. Bad
# input: one line, exit 2 (127 for a command that does not exist), nothing
# left behind.
# timeout: 240
. "$SA_LIB"
. "$SA_ROOT/tests/netns/errors_lib.sh"
need_cmd bpftool ss
need_bin sa-stream sockaccel-loader

BYTES=$((1 << 20))
# The run cgroups go below PARENT, which the runner removes with its children
# whatever happens (PARENT itself is never attached).
PARENT=$(new_cgroup run)
# shellcheck disable=SC2206 # SA_CTL is "binary --pin-dir DIR": split on purpose
RUN=($SA_CTL run --parent "$PARENT")

# pair.sh PORT SEED: a verified stream (server and client) in this netns
cat >"$SA_TMP/pair.sh" <<EOF
port=\$1 seed=\$2
grep 0:: /proc/self/cgroup
$SA_STREAM server -l 127.0.0.1 -p "\$port" --sync --echo --bytes $BYTES --seed "\$seed" -t 60 \
	>"$SA_TMP/pair-\$port.server.log" 2>&1 &
s=\$!
for i in \$(seq 400); do ss -ltnH "sport = :\$port" | grep -q . && break; sleep 0.05; done
$SA_STREAM client -c 127.0.0.1 -p "\$port" --sync --bytes $BYTES --seed "\$seed" -t 60 || exit 11
wait \$s || { cat "$SA_TMP/pair-\$port.server.log"; exit 12; }
exit 0
EOF

# left_behind: run cgroups still present below PARENT
left_behind() { find "$PARENT" -mindepth 1 -maxdepth 1 -type d | wc -l; }

# --- bad input: nothing loaded, nothing created
expect_usage "run, no command" "${RUN[@]}"
expect_usage "run, no command after --" "${RUN[@]}" --
expect_usage "run --name a/b" "${RUN[@]}" --name a/b -- true
expect_usage "run --name ''" "${RUN[@]}" --name "" -- true
expect_usage "run --timeout nan" "${RUN[@]}" --timeout nan -- true
$SA_CTL -j run --parent "$PARENT" -- true >"$SA_TMP/out" 2>&1
assert_eq "$?" 2 "run -j: exit status"
jq -e '.error | test("no JSON output")' "$SA_TMP/out" >/dev/null || fail "run -j: no JSON error: $(cat "$SA_TMP/out")"
expect_err "run --parent missing" 1 $SA_CTL run --parent "$PARENT/nonexistent" -- true
no_pin "run usage errors"
assert_eq "$(left_behind)" 0 "cgroups left behind by usage errors"

# --- nothing loaded: run loads, the stream inside is redirected
"${RUN[@]}" --name first -- ip netns exec "$SA_NS" bash "$SA_TMP/pair.sh" 5000 41 >"$SA_TMP/first.out" 2>&1
rc=$?
cat "$SA_TMP/first.out"
assert_eq "$rc" 0 "run (loading) of a verified stream: exit status"
grep -q "0::/${PARENT#"$SA_CG2"/}/sockaccel-run-first-[0-9]*$" "$SA_TMP/first.out" ||
	fail "the command did not run in PARENT/sockaccel-run-first-PID"
grep -q "^sockaccelctl: loaded sockaccel at $SA_PIN" "$SA_TMP/first.out" || fail "run did not say it loaded"
r1=$(stats_get redirected_bytes)
assert_ge "$r1" $((2 * SA_MIN_REDIRECT)) "redirected bytes of the stream run by 'run'"
info "redirected inside 'run' (loading): $r1 bytes"
st=$($SA_CTL -j status) || fail "status after run: $st"
assert_eq "$(jq '.cgroups | length' <<<"$st")" 0 "cgroups attached after run"
assert_eq "$(left_behind)" 0 "run cgroups left behind"
progs=$(jq -c .programs <<<"$st")

# --- loaded: run only attaches (same programs); exit status passes through
"${RUN[@]}" --name second -- ip netns exec "$SA_NS" bash -c "bash $SA_TMP/pair.sh 5001 42 && exit 7" \
	>"$SA_TMP/second.out" 2>&1
rc=$?
cat "$SA_TMP/second.out"
assert_eq "$rc" 7 "run: the command's exit status"
r2=$(stats_get redirected_bytes)
assert_ge $((r2 - r1)) $((2 * SA_MIN_REDIRECT)) "redirected bytes of the second run"
info "redirected inside 'run' (loaded): $((r2 - r1)) bytes"
grep -q "loaded sockaccel" "$SA_TMP/second.out" && fail "run loaded again although loaded"
st=$($SA_CTL -j status) || fail "status: $st"
assert_eq "$(jq -c .programs <<<"$st")" "$progs" "programs after a run with sockaccel loaded"
assert_eq "$(left_behind)" 0 "run cgroups left behind"

# --- while it runs: status shows "run NAME"; SIGTERM is forwarded to the
# command (it exits 143) and the cgroup is detached and removed.
# (A background job of a script ignores SIGINT: TERM is the signal to test.)
"${RUN[@]}" --name live -- bash -c "echo \$\$ >$SA_TMP/live.pid; exec sleep 300" >"$SA_TMP/live.out" 2>&1 &
ctl=$!
echo "$ctl" >>"$SA_REG/pids"
for ((i = 0; i < 200; i++)); do
	[ -s "$SA_TMP/live.pid" ] && break
	sleep 0.05
done
[ -s "$SA_TMP/live.pid" ] || fail "the command of run did not start"
st=$($SA_CTL -j status) || fail "status during run: $st"
echo "$st" | jq -c .cgroups
assert_eq "$(jq -r '.cgroups[0].name' <<<"$st")" "run live" "status name during run"
assert_match "$(jq -r '.cgroups[0].path' <<<"$st")" "/sockaccel-run-live-$ctl\$" "status path during run"
$SA_CTL status | grep -q "    run live: .*/sockaccel-run-live-$ctl (id" || fail "text status during run"
kill -TERM "$ctl"
wait_pid "$ctl" 30
rc=$?
cat "$SA_TMP/live.out"
assert_eq "$rc" 143 "run after SIGTERM: exit status (the command's, killed by TERM)"
kill -0 "$(cat "$SA_TMP/live.pid")" 2>/dev/null && fail "the command survived the SIGTERM sent to run"
assert_eq "$($SA_CTL -j status | jq '.cgroups | length')" 0 "cgroups attached after the killed run"
assert_eq "$(left_behind)" 0 "run cgroups left behind after SIGTERM"

# --- a command that does not exist: 127, one error line of its own, cleaned up
"${RUN[@]}" -- "$SA_TMP/no-such-command" >"$SA_TMP/out" 2>"$SA_TMP/err"
rc=$?
cat "$SA_TMP/err"
assert_eq "$rc" 127 "run of a missing command: exit status"
grep -q "^sockaccelctl: cannot run '$SA_TMP/no-such-command': No such file or directory$" "$SA_TMP/err" ||
	fail "run of a missing command: no 'cannot run' line"
assert_eq "$($SA_CTL -j status | jq '.cgroups | length')" 0 "cgroups attached after a missing command"
assert_eq "$(left_behind)" 0 "run cgroups left behind by a missing command"
