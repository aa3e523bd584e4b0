# sockaccelctl latency with many threads: 8 threads x 2000 sendto are counted
# exactly (per-CPU values summed in user space); with a thread map of 4
# entries and 16 threads blocked in recvfrom at once, 4 calls are timed and 12
# are counted as dropped (and their returns as unmatched): nothing vanishes.
# timeout: 120
. "$SA_LIB"

need_cmd jq
need_bin sockaccelctl sa-syscalls
SYS=$SA_BUILD/sa-syscalls

. "$SA_ROOT/tests/netns/latency_lib.sh"

# 1. many threads, exact total
start_tracer many --cgroup "$SA_CG" -j -d 100 --syscalls sendto,recvfrom
bg_in "$SA_NS" "$SA_CG" "$SYS" --wait "$SA_TMP/go1" --sendto 2000 --send-threads 8 >"$SA_TMP/w1.log" 2>&1
W=$BG_PID
touch "$SA_TMP/go1"
wait_pid "$W" 60 || fail "workload failed: $(cat "$SA_TMP/w1.log")"
stop_tracer many
J=$SA_TMP/many.out
info "$(jq -c '.syscalls[] | {name, count, errors, dropped, unmatched}' "$J")"
assert_eq "$(jsys "$J" sendto .count)" 16000 "sendto calls from 8 threads"
assert_eq "$(jsys "$J" sendto .errors)" 0 "sendto errors"
assert_eq "$(jsys "$J" sendto .dropped)" 0 "sendto dropped"
assert_eq "$(jsys "$J" recvfrom .count)" 0 "recvfrom calls"

# 2. more threads inside a traced syscall than the thread map holds
start_tracer full --cgroup "$SA_CG" -j -d 100 --syscalls recvfrom --max-threads 4
bg_in "$SA_NS" "$SA_CG" "$SYS" --wait "$SA_TMP/go2" --threads 16 --block-ms 100 >"$SA_TMP/w2.log" 2>&1
W=$BG_PID
touch "$SA_TMP/go2"
wait_pid "$W" 60 || fail "workload failed: $(cat "$SA_TMP/w2.log")"
stop_tracer full
J=$SA_TMP/full.out
info "$(jq -c '.syscalls[] | {name, count, errors, dropped, unmatched}' "$J")"
assert_eq "$(jsys "$J" recvfrom .count)" 4 "recvfrom calls timed (map of 4 threads)"
assert_eq "$(jsys "$J" recvfrom .dropped)" 12 "recvfrom calls dropped (map full)"
assert_eq "$(jsys "$J" recvfrom .unmatched)" 12 "returns of the dropped calls"
assert_eq "$(jq -r .dropped "$J")" 12 "dropped total"
exit 0
