# sockaccelctl latency attached and detached while file I/O runs: workloads
# in phases (sa-fileio --phases: phase 1 before the tracer attaches, phase 2
# while it runs, phase 3 after it has exited) are counted for phase 2 only,
# exactly, for io_uring and libaio at once; meanwhile a continuous io_uring +
# libaio load runs through tracers attached and detached repeatedly (every
# process, tp_btf/auto and raw_tp), none of which may crash or leave a BPF
# program loaded; the load itself must finish without an error.
# timeout: 360
. "$SA_LIB"

need_cmd jq bpftool
need_bin sockaccelctl sa-fileio
FIO=$SA_BUILD/sa-fileio
F=$SA_TMP/data
PH=$SA_TMP/phases
mkdir "$PH" || fail "mkdir $PH"
SUB=$SA_CG/phased
mkdir "$SUB" || fail "mkdir $SUB"

. "$SA_ROOT/tests/netns/latency_lib.sh"
ALL_IDS=
# cycle NAME ARGS...: a tracer that exits by itself (-d); exit 0, its programs gone
cycle() {
	local name=$1 id
	shift
	start_tracer "$name" "$@"
	ALL_IDS+=" $(prog_ids "$name")"
	wait_pid "${TPID[$name]}" 30 || { cat "$SA_TMP/$name.err"; fail "tracer $name exited with $?"; }
	for id in $(prog_ids "$name"); do
		bpftool prog show id "$id" >/dev/null 2>&1 && fail "tracer $name left program id $id loaded"
	done
	jq -e '.syscalls | length >= 17' "$SA_TMP/$name.out" >/dev/null || fail "tracer $name: no JSON block"
}

"$FIO" --file "$F" --create $((8 << 20)) --ops 1 >/dev/null || fail "sa-fileio could not create $F"

# the continuous load in SA_CG (outside SUB), until SIGTERM (330 s at most:
# it must outlive the test, ~20 s on the host, 150+ s in a TCG VM); niced, so
# that it loads the CPUs without starving the tracers (in a VM each tracer's
# program load took seconds behind two busy readers)
bg_in - "$SA_CG" nice -n 19 "$FIO" --file "$F" --engine uring --qd 32 --seconds 330 >"$SA_TMP/loadU.json" 2>&1
LU=$BG_PID
bg_in - "$SA_CG" nice -n 19 "$FIO" --file "$F" --engine libaio --qd 32 --seconds 330 >"$SA_TMP/loadA.json" 2>&1
LA=$BG_PID

# attach/detach under load, every process traced (in a TCG VM, where each
# load of the programs takes seconds, one round of each kind: CI time)
rounds=3
[ -z "${SA_VM:-}" ] || rounds=1
for ((i = 1; i <= rounds; i++)); do
	cycle auto$i --preset file -j -d 0.3
	cycle raw$i --preset file -j -d 0.3 --mechanism raw_tp
done
# over every window, not the first alone: the niced load can get no CPU for
# 0.3 s on a machine saturated by others (seen with two TCG VMs running)
assert_ge "$(cat "$SA_TMP"/auto*.out "$SA_TMP"/raw*.out |
	jq -s '[.[].syscalls[] | select(.name == "io_uring_enter") | .count] | add // 0')" 1 \
	"the unfiltered tracers saw the load's io_uring_enter"

# the phased workloads in SUB: 3 phases of 800 reads each, lockstep QD8:
# 100 io_uring_enter / 100 io_submit + 100 io_getevents per phase
bg_in - "$SUB" "$FIO" --file "$F" --engine uring --qd 8 --ops 800 --lockstep --phases 3 \
	--phase-dir "$PH" --seed 3 >"$SA_TMP/phU.json" 2>"$SA_TMP/phU.err"
PU=$BG_PID
mkdir "$PH/a" || fail "mkdir"
bg_in - "$SUB" "$FIO" --file "$F" --engine libaio --qd 8 --ops 800 --lockstep --phases 3 \
	--phase-dir "$PH/a" --seed 4 >"$SA_TMP/phA.json" 2>"$SA_TMP/phA.err"
PA=$BG_PID
wait_file() { local i; for ((i = 0; i < 400; i++)); do [ -e "$1" ] && return 0; sleep 0.05; done; fail "no $1"; }
wait_file "$PH/done-1"
wait_file "$PH/a/done-1"
start_tracer win --preset file --cgroup "$SUB" -j -d 100
ALL_IDS+=" $(prog_ids win)"
touch "$PH/go-2" "$PH/a/go-2"
wait_file "$PH/done-2"
wait_file "$PH/a/done-2"
stop_tracer win
touch "$PH/go-3" "$PH/a/go-3"
wait_pid "$PU" 60 || fail "phased io_uring workload failed: $(cat "$SA_TMP/phU.err")"
wait_pid "$PA" 60 || fail "phased libaio workload failed: $(cat "$SA_TMP/phA.err")"
assert_eq "$(jq -r '.calls.io_uring_enter' "$SA_TMP/phU.json")" 300 "phased io_uring: its own calls, 3 phases"
assert_eq "$(jq -r '.calls.io_submit' "$SA_TMP/phA.json")" 300 "phased libaio: its own io_submit calls"

J=$SA_TMP/win.out
info "window: $(jq -c '.syscalls[] | select(.count > 0 or .unmatched > 0) | {name, count, unmatched, entries}' "$J" | tr '\n' ' ')"
assert_eq "$(jsys "$J" io_uring_enter .count)" 100 "io_uring_enter calls in the window (phase 2 only)"
assert_eq "$(jsys "$J" io_uring_enter .entries.submitted)" 800 "SQEs submitted in the window"
assert_eq "$(jsys "$J" io_uring_enter .entries.completed)" 800 "CQEs completed in the window"
assert_eq "$(jsys "$J" io_submit .count)" 100 "io_submit calls in the window"
assert_eq "$(jsys "$J" io_submit .entries.submitted)" 800 "iocbs submitted in the window"
assert_eq "$(jsys "$J" io_getevents .count)" 100 "io_getevents calls in the window"
assert_eq "$(jsys "$J" io_getevents .entries.events)" 800 "events reaped in the window"
# between phases the workloads only poll for a file (no traced syscall), and
# they print their JSON (write) after phase 3
assert_eq "$(jq '[.syscalls[].count] | add' "$J")" 300 "every traced call in the window"
assert_eq "$(jq -r '.unmatched + .dropped + .inflight' "$J")" 0 "unmatched + dropped + in flight"

# more cycles while the load still runs, then it must end cleanly
cycle auto4 --preset all -j -d 0.2
cycle raw4 --preset file -j -d 0.2 --mechanism raw_tp
kill -0 "$LU" && kill -0 "$LA" || fail "the continuous load ended early"
kill -TERM "$LU" "$LA"
wait_pid "$LU" 40 || fail "continuous io_uring load failed: $(cat "$SA_TMP/loadU.json")"
wait_pid "$LA" 40 || fail "continuous libaio load failed: $(cat "$SA_TMP/loadA.json")"
assert_eq "$(jq -r .short_reads "$SA_TMP/loadU.json")" 0 "io_uring load: short reads"
assert_eq "$(jq -r .short_reads "$SA_TMP/loadA.json")" 0 "libaio load: short reads"
info "load: $(jq -c '{engine, ops, ops_per_s}' "$SA_TMP/loadU.json" "$SA_TMP/loadA.json" | tr '\n' ' ')"

# nothing left loaded: none of the ids any tracer reported exists any more
n=0
for id in $ALL_IDS; do
	n=$((n + 1))
	bpftool prog show id "$id" >/dev/null 2>&1 && fail "program id $id still loaded after its tracer ended"
done
info "program ids checked: $n"
assert_ge "$n" $(((2 * rounds + 3) * 4)) "program ids checked ($((2 * rounds + 3)) tracers)"
exit 0
