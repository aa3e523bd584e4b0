# sockaccelctl latency --preset file with real libaio and liburing programs
# (build/sa-fileio): exact io_submit / io_getevents / io_uring_enter / pread64
# counts, exact entries moved (iocbs submitted, events reaped, SQEs submitted,
# io_uring CQEs completed) for a known workload; several tracers on the same
# syscalls at once (cgroup, pid, explicit --syscalls, text) each exact;
# --preset list and the --preset/--syscalls conflict.
# timeout: 150
. "$SA_LIB"
. "$SA_ROOT/tests/netns/errors_lib.sh"

need_cmd jq
need_bin sockaccelctl sa-fileio
FIO=$SA_BUILD/sa-fileio
F=$SA_TMP/data
GO=$SA_TMP/go

. "$SA_ROOT/tests/netns/latency_lib.sh"

# presets: listed (text and JSON), and a preset excludes --syscalls
$SA_CTL -j latency --preset list >"$SA_TMP/list.json" || fail "latency --preset list -j"
assert_eq "$(jq -r '[.presets[].name] | join(",")' "$SA_TMP/list.json")" "sockets,file,all" "preset names"
assert_eq "$(jq -r '.presets[] | select(.default) | .name' "$SA_TMP/list.json")" sockets "default preset"
for s in io_submit io_getevents io_pgetevents io_uring_enter pread64 pwritev2 fdatasync; do
	jq -e --arg s $s '.presets[] | select(.name == "file") | .syscalls | index($s)' "$SA_TMP/list.json" >/dev/null ||
		fail "preset file lacks $s"
done
$SA_CTL latency --preset list | grep -q '^file ' || fail "text --preset list has no 'file' row"
expect_err preset_conflict 2 $SA_CTL latency --preset file --syscalls read
assert_match "$ERR" 'preset and --syscalls exclude each other' "conflict message"
expect_usage preset_unknown $SA_CTL latency --preset nosuch

# 8 MiB of data (written before any tracer runs)
"$FIO" --file "$F" --create $((8 << 20)) --ops 1 >/dev/null || fail "sa-fileio could not create $F"

# workloads, all in SA_CG, all waiting for GO:
#  A libaio lockstep QD8, 800 reads: 100 io_submit (8 each), 100 io_getevents (8 each)
#  B io_uring lockstep QD16, 1600 reads: 100 io_uring_enter (16 submitted, 16 waited for)
#  C pread QD1, 500 reads: 500 pread64
#  D io_uring refill QD32, 4000 reads; E libaio refill QD32, 4000 reads: counts from their own JSON
w() { local n=$1; shift; bg_in - "$SA_CG" "$FIO" --file "$F" --wait "$GO" "$@" >"$SA_TMP/$n.json" 2>"$SA_TMP/$n.err"; }
w A --engine libaio --qd 8 --ops 800 --lockstep;  A=$BG_PID
w B --engine uring --qd 16 --ops 1600 --lockstep; B=$BG_PID
w C --engine pread --qd 1 --ops 500;              C=$BG_PID
w D --engine uring --qd 32 --ops 4000;            D=$BG_PID
w E --engine libaio --qd 32 --ops 4000;           E=$BG_PID

start_tracer cg --preset file --cgroup "$SA_CG" -j -d 100
start_tracer cg2 --syscalls io_submit,io_getevents,io_uring_enter,pread64 --cgroup "$SA_CG" -j -d 100
start_tracer pidB --preset file --pid "$B" -j -d 100
start_tracer pidD --preset file --pid "$D" -j -d 100
start_tracer textA --preset all --pid "$A" -d 100
grep -q 'of preset file' "$SA_TMP/cg.err" || fail "the Tracing line does not name the preset"
touch "$GO"
for n in A B C D E; do
	eval "p=\$$n"
	wait_pid "$p" 60 || fail "workload $n failed: $(cat "$SA_TMP/$n.err" "$SA_TMP/$n.json")"
	jq -e . "$SA_TMP/$n.json" >/dev/null || fail "workload $n: no JSON"
done
for t in cg cg2 pidB pidD textA; do stop_tracer $t; done
info "workloads: $(for n in A B C D E; do jq -c '{engine, qd, direct, ops, calls}' "$SA_TMP/$n.json"; done | tr '\n' ' ')"

# wj N FILTER: from workload N's JSON
wj() { jq -r "$2" "$SA_TMP/$1.json"; }
# the deterministic ones first
assert_eq "$(wj A '.calls.io_submit, .calls.io_getevents, .io_submit.submitted' | tr '\n' ' ')" "100 100 800 " "A's own counts"
assert_eq "$(wj B '.calls.io_uring_enter, .io_uring_enter.submitted, .io_uring_enter.completed' | tr '\n' ' ')" \
	"100 1600 1600 " "B's own counts"

J=$SA_TMP/pidB.out
assert_eq "$(jq -r .preset "$J")" file "JSON names the preset"
assert_eq "$(jsys "$J" io_uring_enter .count)" 100 "pid B: io_uring_enter calls"
assert_eq "$(jsys "$J" io_uring_enter .errors)" 0 "pid B: io_uring_enter errors"
assert_eq "$(jsys "$J" io_uring_enter .entries.to_submit)" 1600 "pid B: to_submit total"
assert_eq "$(jsys "$J" io_uring_enter .entries.submitted)" 1600 "pid B: submitted entries total"
assert_eq "$(jsys "$J" io_uring_enter .entries.min_complete)" 1600 "pid B: min_complete total"
assert_eq "$(jsys "$J" io_uring_enter .entries.per_call)" 16 "pid B: submitted per call"
assert_eq "$(jsys "$J" io_uring_enter .entries.completed)" 1600 "pid B: CQEs completed (io_uring:io_uring_complete)"
assert_ge 1600 "$(jsys "$J" io_uring_enter .entries.completed_in_call)" "pid B: completed inside the call <= completed"
for s in io_submit io_getevents pread64 read; do
	assert_eq "$(jsys "$J" $s .count)" 0 "pid B: $s (another process's)"
done

J=$SA_TMP/pidD.out
for k in to_submit submitted min_complete completed; do
	assert_eq "$(jsys "$J" io_uring_enter .entries.$k)" "$(wj D .io_uring_enter.$k)" "pid D (refill): io_uring_enter $k"
done
assert_eq "$(jsys "$J" io_uring_enter .count)" "$(wj D .calls.io_uring_enter)" "pid D (refill): io_uring_enter calls"

# the cgroup tracers: everything in SA_CG, added up
sum() { local t=0 n; for n in "${@:2}"; do t=$((t + $(wj $n "$1"))); done; echo $t; }
for J in "$SA_TMP/cg.out" "$SA_TMP/cg2.out"; do
	t=$(basename "$J" .out)
	assert_eq "$(jsys "$J" io_submit .count)" "$(sum .calls.io_submit A E)" "$t: io_submit calls (100 + E's)"
	assert_eq "$(jsys "$J" io_getevents .count)" "$(sum .calls.io_getevents A E)" "$t: io_getevents calls"
	assert_eq "$(jsys "$J" io_submit .entries.submitted)" 4800 "$t: iocbs submitted (800 + 4000)"
	assert_eq "$(jsys "$J" io_submit .entries.nr)" 4800 "$t: iocbs passed to io_submit"
	assert_eq "$(jsys "$J" io_getevents .entries.events)" 4800 "$t: events reaped"
	assert_eq "$(jsys "$J" io_getevents .entries.min_nr)" $((800 + $(wj E .calls.io_getevents))) "$t: min_nr total (A waits for all, E for 1)"
	assert_eq "$(jsys "$J" io_uring_enter .count)" "$(sum .calls.io_uring_enter B D)" "$t: io_uring_enter calls"
	assert_eq "$(jsys "$J" io_uring_enter .entries.submitted)" 5600 "$t: SQEs submitted (1600 + 4000)"
	assert_eq "$(jsys "$J" io_uring_enter .entries.completed)" 5600 "$t: CQEs completed"
	assert_eq "$(jsys "$J" pread64 .count)" 500 "$t: pread64 calls"
	assert_eq "$(jsys "$J" pread64 .errors)" 0 "$t: pread64 errors"
	assert_eq "$(jq -r '.unmatched + .dropped' "$J")" 0 "$t: unmatched + dropped"
	c=$(jsys "$J" io_uring_enter .count)
	assert_eq "$(jsys "$J" io_uring_enter '[.ran.buckets[].count, .blocked.buckets[].count] | add // 0')" "$c" "$t: io_uring_enter histogram sum"
done

# text output of the --preset all tracer on A: the row and the entries line
T=$SA_TMP/textA.out
assert_eq "$(awk '$1 == "io_submit" && NF == 7 { print $2; exit }' "$T")" 100 "text: io_submit row"
grep -q '^io_submit: 100 calls, nr 800, submitted 800 (8.00 per call)$' "$T" ||
	{ cat "$T"; fail "text: io_submit entries line"; }
grep -q '^io_getevents: 100 calls, min_nr 800, nr 800, events 800 (8.00 per call)$' "$T" ||
	{ cat "$T"; fail "text: io_getevents entries line"; }
assert_eq "$(awk '$1 == "sendto" && NF == 7 { print $2; exit }' "$T")" 0 "text: preset all has the socket rows"
info "text (preset all, pid A):"
sed -n '/^Queue entries/,/^$/p' "$T"
info "pid B: $(grep -h . "$SA_TMP/pidB.out" | jq -c '.syscalls[] | select(.name == "io_uring_enter") | {count, entries, p50, p99}')"
exit 0
