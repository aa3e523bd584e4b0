# timeout: 1200
# vm: host-only the loader's steps, user space; passed on 6.1 and 6.12 on 2026-11-29
# The loader SIGKILLed after every step of a load and of an attach (the
# test-only hook SOCKACCEL_TEST_STOP_AT, lib/test_hook.h; docs/faults.md).
# The steps are not listed here: a run with SOCKACCEL_TEST_STOP_AT=list names
# them, so a step added to the loader is covered too.
#   load:   from nothing, `loader SA_CG CG2` killed after step N, for every N.
#           Then `status` tells the truth (loaded or not; exactly the cgroups
#           the kernel runs our sockops program on), the next plain run
#           succeeds (an interrupted load is repaired), both cgroups attached
#           and recorded, the default policy in place; teardown leaves no pin
#           and no program on either cgroup.
#   attach: SA_CG loaded and attached, a checksummed stream in it with
#           redirected data queued (neither end reads); `loader SA_CG CG2`
#           killed after each step; same checks, then `detach CG2` leaves
#           nothing of CG2 behind. At the end the stream is released: every
#           byte, in order, still redirected.
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
need_cmd bpftool
CG2=$(new_cgroup second)
ID1=$(cgroup_id "$SA_CG")
ID2=$(cgroup_id "$CG2")
REL2=${CG2#"$SA_CG2"}

# steps ARGS...: the "N NAME" steps of a loader run with ARGS (the run happens)
steps() {
	SOCKACCEL_TEST_STOP_AT=list $SA_LOADER "$@" 2>"$SA_TMP/steps.err" >/dev/null ||
		fail "loader $* (listing its steps) failed: $(cat "$SA_TMP/steps.err")"
	sed -n 's/^sockaccel-test-step //p' "$SA_TMP/steps.err"
}

# kill_at N ARGS...: the loader run with ARGS, SIGKILLed after step N
kill_at() {
	local n=$1 rc
	shift
	SOCKACCEL_TEST_STOP_AT=$n $SA_LOADER "$@" >"$SA_TMP/kill.out" 2>"$SA_TMP/kill.err"
	rc=$?
	[ $rc = 137 ] || fail "step $n: the loader exited $rc instead of being killed: $(cat "$SA_TMP/kill.err")"
	grep -q "sockaccel-test-step $n .*SIGKILL" "$SA_TMP/kill.err" || fail "step $n: not killed at that step"
}

# kernel_attached CGDIR -> 1 if the kernel runs a sockops program on CGDIR, else 0
kernel_attached() { [ "$(cg_links "$1")" -gt 0 ] && echo 1 || echo 0; }
# any_prog CGDIR -> number of programs of any type attached to CGDIR
any_prog() { bpftool -j cgroup show "$1" | jq -s '[.[][]?] | length'; }

# truth LABEL: `status` says what the kernel and the pin dir hold
truth() {
	local st rc loaded id listed k
	st=$($SA_CTL -j status 2>"$SA_TMP/status.err")
	rc=$?
	loaded=$(jq -r .loaded <<<"$st") || fail "$1: status is not JSON: $st"
	if [ "$loaded" = true ]; then
		assert_eq $rc 0 "$1: status exit code (loaded)"
		for k in sockops sk_msg; do
			id=$(jq -r ".programs.$k" <<<"$st")
			bpftool prog show id "$id" >/dev/null 2>&1 || fail "$1: status names $k program $id, which does not exist"
		done
	else
		assert_eq $rc 1 "$1: status exit code (not loaded)"
		if [ -e "$SA_PIN" ]; then
			assert_match "$(jq -r .error <<<"$st")" "incomplete" "$1: status error with a pin dir"
		else
			assert_match "$(jq -r .error <<<"$st")" "nothing loaded" "$1: status error without a pin dir"
		fi
	fi
	for k in "$SA_CG:$ID1" "$CG2:$ID2"; do
		listed=$(jq "[.cgroups[]? | select(.id == ${k##*:} and .attached)] | length" <<<"$st")
		assert_eq "$listed" "$(kernel_attached "${k%:*}")" "$1: status lists ${k%:*} iff the kernel runs sockops there"
	done
}

# repaired LABEL [ARGS...]: the next plain run succeeds and everything is in place
repaired() {
	local label=$1 st
	shift
	$SA_LOADER "$@" "$SA_CG" "$CG2" >"$SA_TMP/repair.out" 2>"$SA_TMP/repair.err" ||
		fail "$label: the next loader run failed: $(cat "$SA_TMP/repair.err")"
	st=$($SA_CTL -j status) || fail "$label: status after the repair: $st"
	assert_eq "$(jq -c '[.cgroups[] | select(.attached) | .id] | sort' <<<"$st")" \
		"$(jq -cn "[$ID1, $ID2] | sort")" "$label: attached cgroups after the repair"
	assert_eq "$(jq -r ".cgroups[] | select(.id == $ID2) | .path" <<<"$st")" "$REL2" \
		"$label: CG2 recorded with its path"
	assert_eq "$(kernel_attached "$SA_CG")$(kernel_attached "$CG2")" 11 "$label: both attached (bpftool)"
	assert_eq "$(cg_links "$CG2")" 1 "$label: one sockops link on CG2"
	jq -e '.policy.splicers | index("haproxy")' <<<"$st" >/dev/null ||
		fail "$label: the default policy is not in place: $(jq -c .policy <<<"$st")"
}

# clean LABEL: teardown leaves nothing
clean() {
	$SA_CTL teardown >"$SA_TMP/td.out" 2>&1 || fail "$1: teardown: $(cat "$SA_TMP/td.out")"
	[ -e "$SA_PIN" ] && fail "$1: teardown left $SA_PIN: $(ls "$SA_PIN")"
	assert_eq "$(any_prog "$SA_CG")$(any_prog "$CG2")" 00 "$1: programs left on the cgroups"
}

# ---- load steps
mapfile -t LOAD < <(steps "$SA_CG" "$CG2")
clean "listing run"
info "load steps (${#LOAD[@]}): $(printf '%s; ' "${LOAD[@]}")"
assert_ge "${#LOAD[@]}" 10 "steps of a load"
# In the kernel-matrix VM (SA_VM: software emulation, ~20x slower; every
# loader run probes and loads programs: every 5th step took 11 min in a loaded
# 6.1 VM) the first, middle and last steps of each kind: the host runs them all.
vm_sample() { awk -v n="$1" 'NR == 1 || NR == int((n + 1) / 2) || NR == n'; }
if [ -n "${SA_VM:-}" ]; then
	mapfile -t LOAD < <(printf '%s\n' "${LOAD[@]}" | vm_sample ${#LOAD[@]})
	info "SA_VM: load steps killed: $(printf '%s; ' "${LOAD[@]}")"
fi
for s in "${LOAD[@]}"; do
	n=${s%% *}
	kill_at "$n" "$SA_CG" "$CG2"
	truth "load step $s"
	repaired "load step $s"
	clean "load step $s"
done
# one run, once repaired, carries traffic accelerated
load "$SA_CG"
r0=$(stats_get redirected_bytes)
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5000 $((1 << 20)) 7
assert_ge $(($(stats_get redirected_bytes) - r0)) "$SA_MIN_REDIRECT" "redirected after the repairs"
clean "after the load steps"

# ---- attach steps, with a live connection holding redirected data
load "${SA_DEEP_QUEUE[@]}" "$SA_CG"
BYTES=$((4 << 20))
held_both_start "$SA_CG" "$SA_CG" --bytes "$BYTES" --sizes 64K -t 900
for ((i = 0; i < 300; i++)); do
	[ "$(stats_get redirected_bytes)" -ge "$BYTES" ] && break
	sleep 0.1
done
r0=$(stats_get redirected_bytes)
info "queued redirected before the kills: $r0 bytes"
assert_ge "$r0" "$BYTES" "the client's stream redirected and queued"
mapfile -t ATTACH < <(steps "${SA_DEEP_QUEUE[@]}" "$SA_CG" "$CG2")
$SA_CTL detach "$CG2" >/dev/null || fail "detach CG2 after the listing run"
info "attach steps (${#ATTACH[@]}): $(printf '%s; ' "${ATTACH[@]}")"
assert_ge "${#ATTACH[@]}" 3 "steps of an attach"
if [ -n "${SA_VM:-}" ]; then
	mapfile -t ATTACH < <(printf '%s\n' "${ATTACH[@]}" | vm_sample ${#ATTACH[@]})
	info "SA_VM: attach steps killed: $(printf '%s; ' "${ATTACH[@]}")"
fi
for s in "${ATTACH[@]}"; do
	n=${s%% *}
	kill_at "$n" "${SA_DEEP_QUEUE[@]}" "$SA_CG" "$CG2"
	truth "attach step $s"
	repaired "attach step $s" "${SA_DEEP_QUEUE[@]}"
	$SA_CTL detach "$CG2" >"$SA_TMP/detach.out" 2>&1 || fail "attach step $s: detach CG2: $(cat "$SA_TMP/detach.out")"
	compgen -G "$SA_PIN/link_c?_$ID2" >/dev/null && fail "attach step $s: pins of CG2 left after detach: $(ls "$SA_PIN")"
	assert_eq "$(any_prog "$CG2")" 0 "attach step $s: programs left on CG2 after detach"
done
held_finish "$BYTES"
assert_eq "$(jq .bytes_received "$SA_TMP/client-$PORT.json")" "$BYTES" "client: bytes received"
clean "after the attach steps"
