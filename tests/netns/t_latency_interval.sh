# sockaccelctl latency -i: one block per interval; the blocks add up exactly
# (nothing lost between intervals); Ctrl-C prints the last, partial interval;
# -d ends the run by itself.
# timeout: 120
. "$SA_LIB"

need_cmd jq
need_bin sockaccelctl sa-syscalls
SYS=$SA_BUILD/sa-syscalls

. "$SA_ROOT/tests/netns/latency_lib.sh"

start_tracer short --cgroup "$SA_CG" -j -i 0.2 -d 100 --syscalls sendto,recvfrom
start_tracer long --cgroup "$SA_CG" -i 60 -d 100 --syscalls sendto,recvfrom
run_in "$SA_NS" "$SA_CG" "$SYS" --sendto 100 --recvfrom 10 || fail "workload 1"
sleep 1
run_in "$SA_NS" "$SA_CG" "$SYS" --sendto 50 --eagain 5 || fail "workload 2"
stop_tracer short
stop_tracer long

J=$SA_TMP/short.out
n=$(jq -s length "$J") || fail "JSON blocks do not parse"
assert_ge "$n" 4 "blocks of 0.2 s in more than a second"
assert_eq "$(jq -s '[.[].syscalls[] | select(.name == "sendto") | .count] | add' "$J")" 150 "sendto over all blocks"
assert_eq "$(jq -s '[.[].syscalls[] | select(.name == "recvfrom") | .count] | add' "$J")" 15 "recvfrom over all blocks"
assert_eq "$(jq -s '[.[].syscalls[] | select(.name == "recvfrom") | .errors] | add' "$J")" 5 "recvfrom errors over all blocks"
assert_ge "$(jq -s '[.[] | select(any(.syscalls[]; .count > 0))] | length' "$J")" 2 "blocks with calls (two workloads 1 s apart)"

# -i 60: no block before Ctrl-C; SIGINT prints the one partial interval
T=$SA_TMP/long.out
assert_eq "$(grep -c '^SYSCALL' "$T")" 1 "blocks printed by the -i 60 tracer"
assert_eq "$(awk '$1 == "sendto" && NF == 7 { print $2 }' "$T")" 150 "sendto in the last (Ctrl-C) block"

# -d alone: ends by itself with exit 0 and one block
$SA_CTL latency --cgroup "$SA_CG" -j -d 0.3 --syscalls sendto >"$SA_TMP/d.out" 2>"$SA_TMP/d.err" ||
	fail "latency -d 0.3 failed: $(cat "$SA_TMP/d.err")"
assert_eq "$(jq -s length "$SA_TMP/d.out")" 1 "blocks with -d only"
exit 0
