# Selectors: `--pid PID` attaches that process's cgroup v2 (traffic there is
# vm: host-only selector resolution in user space; passed on 6.1 and 6.12 on 2026-11-29
# redirected, an unattached cgroup's is not), status shows "pid PID", and
# `detach --pid` finds it, by the recorded name once the process is gone.
# --container and --unit through stand-in docker and systemctl CLIs (no
# container engine or systemd here), --unit with the real systemd where it is
# PID 1. Bad input: no such pid, pid gone, unit and container not found, bad values: one
# line, exit 1 (2 for usage), and nothing attached or pinned behind.
# timeout: 400
. "$SA_LIB"
. "$SA_ROOT/tests/netns/errors_lib.sh"
need_cmd bpftool
need_bin sa-stream

BYTES=$((1 << 20))
NOPID=4194304	# above every pid_max: never a process

# --- bad input first, while nothing is loaded: nothing may be created
expect_err "no such pid" 1 $SA_LOADER --pid "$NOPID"
assert_match "$ERR" "pid $NOPID: no such process" "no such pid: names the pid"
sleep 0 & gone=$!
wait "$gone"
expect_err "pid gone" 1 $SA_LOADER --pid "$gone"
assert_match "$ERR" "pid $gone: no such process" "pid gone: names the pid"
for v in abc 0 -1 +5 " 5" 99999999999 ""; do
	expect_usage "loader --pid '$v'" $SA_LOADER --pid "$v"
done
if grep -qx '0::/' /proc/1/cgroup; then
	expect_err "pid in the root cgroup" 1 $SA_LOADER --pid 1
	assert_match "$ERR" "root cgroup" "pid 1: says root cgroup"
fi
if [ ! -e /run/systemd/system ]; then
	expect_err "unit, no systemd" 1 $SA_LOADER --unit sockaccel-no-such-unit.service
	assert_eq "$ERR" "sockaccel-loader: systemd is not running (no /run/systemd/system): --unit needs it" \
		"unit without systemd: the error"
else
	expect_err "unit not found" 1 $SA_LOADER --unit "sockaccel-no-such-unit-$$.service"
	assert_match "$ERR" "unit sockaccel-no-such-unit-$$.service not found" "unit not found: names it"
fi
expect_err "unit '-x'" 1 $SA_LOADER --unit -x
expect_err "container not found" 1 $SA_LOADER --container "sockaccel-no-such-container-$$"
assert_match "$ERR" "container sockaccel-no-such-container-$$ (not found \(|: no container CLI found)" \
	"container not found: names it"
mkdir "$SA_TMP/nocli"
expect_err "container, no CLI" 1 env PATH="$SA_TMP/nocli" $SA_LOADER --container web
assert_match "$ERR" "no container CLI found in PATH \(tried docker, podman, nerdctl, crictl\)" \
	"container, no CLI: says what was tried"
# all-or-nothing: a good cgroup and a gone pid
expect_err "good path + gone pid" 1 $SA_LOADER "$SA_CG" --pid "$gone"
no_pin "bad selectors"
assert_eq "$(cg_links "$SA_CG")" 0 "bad selectors: programs attached to SA_CG"

# --- --pid: the cgroup of a process in SA_CG is attached
# hold CG: a process in CG (BG_PID), once it has joined (bg_in joins in the child)
hold() {
	local i
	bg_in - "$1" sleep 300 >/dev/null 2>&1
	for ((i = 0; i < 100; i++)); do
		grep -qx "0::/${1#"$SA_CG2"/}" "/proc/$BG_PID/cgroup" && return
		sleep 0.05
	done
	fail "pid $BG_PID did not join $1"
}
hold "$SA_CG"
HOLD=$BG_PID
OTHER=$(new_cgroup other)
hold "$OTHER"
HOLD_OTHER=$BG_PID
load --pid "$HOLD"
st=$($SA_CTL -j status) || fail "status: $st"
echo "$st" | jq -c .cgroups
assert_eq "$(jq -r '.cgroups[0].name' <<<"$st")" "pid $HOLD" "status name"
assert_eq "$(jq -r '.cgroups[0].path' <<<"$st")" "/${SA_CG#"$SA_CG2"/}" "status path"
assert_eq "$(jq -r '.cgroups[0].id' <<<"$st")" "$(cgroup_id "$SA_CG")" "status id"
$SA_CTL status | grep -F "    pid $HOLD: /${SA_CG#"$SA_CG2"/} (id" || fail "text status does not show 'pid $HOLD: path'"
assert_eq "$(cg_links "$SA_CG")" 1 "programs attached to SA_CG"

r0=$(stats_get redirected_bytes)
stream "$SA_NS" "$OTHER" 127.0.0.1 127.0.0.1 5000 "$BYTES" 31
assert_eq "$(stats_get redirected_bytes)" "$r0" "a stream in an unattached cgroup was redirected"
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5001 "$BYTES" 32
r1=$(stats_get redirected_bytes)
assert_ge $((r1 - r0)) $((2 * SA_MIN_REDIRECT)) "stream in the cgroup of --pid redirected"
info "redirected through --pid: $((r1 - r0)) bytes"

# detach --pid: bad values, a pid not attached, then the real one
expect_usage "ctl detach --pid abc" $SA_CTL detach --pid abc
expect_usage "ctl detach, two selectors" $SA_CTL detach --pid "$HOLD" "$SA_CG"
expect_err "ctl detach no such pid" 1 $SA_CTL detach --pid "$NOPID"
expect_err "ctl detach pid not attached" 1 $SA_CTL detach --pid "$HOLD_OTHER"
assert_match "$ERR" "pid $HOLD_OTHER: cgroup .*/${OTHER##*/} \(id [0-9]+\) is not attached" "not attached: names pid and cgroup"
out=$($SA_CTL -j detach --pid "$HOLD") || fail "detach --pid: $out"
echo "$out"
assert_eq "$(jq -r .name <<<"$out")" "pid $HOLD" "detach: name"
assert_eq "$(jq -r .id <<<"$out")" "$(cgroup_id "$SA_CG")" "detach: id"
assert_eq "$(cg_links "$SA_CG")" 0 "after detach --pid: programs attached to SA_CG"
assert_eq "$($SA_CTL -j status | jq '.cgroups | length')" 0 "after detach: cgroups attached"
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5002 "$BYTES" 33
assert_eq "$(stats_get redirected_bytes)" "$r1" "redirected after detach --pid"

# --container through a stand-in docker (this host runs no container engine):
# the CLI is asked for the container's pid, whose cgroup is attached
mkdir "$SA_TMP/fakecli"
cat >"$SA_TMP/fakecli/docker" <<EOS
#!/bin/sh
echo "\$*" >>"$SA_TMP/docker.args"
[ "\$*" = "inspect -f {{.State.Pid}} -- web" ] || { echo "Error: No such object: \$5" >&2; exit 1; }
echo $HOLD
EOS
chmod +x "$SA_TMP/fakecli/docker"
PATH="$SA_TMP/fakecli:$PATH" $SA_LOADER --container web || fail "loader --container web (stand-in docker)"
cat "$SA_TMP/docker.args"
assert_eq "$($SA_CTL -j status | jq -r '.cgroups[0].name')" "container web" "status name (container)"
assert_eq "$(cg_links "$SA_CG")" 1 "--container: programs attached to SA_CG"
PATH="$SA_TMP/fakecli:$PATH" expect_err "container not known to docker" 1 $SA_CTL detach --container db
assert_match "$ERR" "container db not found \(docker: Error: No such object: db" "container db: what docker said"
PATH="$SA_TMP/fakecli:$PATH" $SA_CTL detach --container web >/dev/null || fail "detach --container web"
assert_eq "$(cg_links "$SA_CG")" 0 "after detach --container: programs attached to SA_CG"

# --unit through a stand-in systemctl, with systemd's runtime dir faked on a
# private /run (this host's PID 1 is not systemd): systemctl is asked for the
# unit's ControlGroup, which is attached; an unknown unit has none
fake_systemctl redis.service "${SA_CG#"$SA_CG2"/}"
fake_systemd $SA_LOADER --unit redis.service || fail "loader --unit redis.service (stand-in systemctl)"
cat "$SA_TMP/systemctl.args"
assert_eq "$($SA_CTL -j status | jq -r '.cgroups[0].name')" "unit redis.service" "status name (unit)"
assert_eq "$(cg_links "$SA_CG")" 1 "--unit: programs attached to SA_CG"
expect_err "unit not found (stand-in systemctl)" 1 fake_systemd $SA_CTL detach --unit nosuch.service
assert_eq "$ERR" "sockaccelctl: unit nosuch.service not found, or not running (systemd reports no cgroup for it)" \
	"unit not found: the error"
fake_systemd $SA_CTL detach --unit redis.service >/dev/null || fail "detach --unit redis.service"
assert_eq "$(cg_links "$SA_CG")" 0 "after detach --unit: programs attached to SA_CG"

# detach --pid after the process exited: found by the recorded name
load --pid "$HOLD"
kill "$HOLD"
wait_pid "$HOLD" 10
out=$($SA_CTL -j detach --pid "$HOLD") || fail "detach --pid of an exited process: $out"
assert_eq "$(jq -r .name <<<"$out")" "pid $HOLD" "detach after exit: name"
assert_eq "$(cg_links "$SA_CG")" 0 "after detach of an exited pid: programs attached to SA_CG"

# --unit with the real systemd: needs systemd as PID 1
if [ -e /run/systemd/system ] && command -v systemd-run >/dev/null; then
	unit=sockaccel-test-$SA_RUNPID-$SA_IDX
	systemd-run --quiet --unit="$unit" -p RuntimeMaxSec=120 sleep 120 || fail "systemd-run"
	trap 'systemctl stop "$unit.service" 2>/dev/null' EXIT
	$SA_LOADER --unit "$unit.service" || fail "loader --unit $unit.service"
	assert_eq "$($SA_CTL -j status | jq -r '.cgroups[0].name')" "unit $unit.service" "status name (unit)"
	$SA_CTL detach --unit "$unit.service" >/dev/null || fail "detach --unit"
	assert_eq "$($SA_CTL -j status | jq '.cgroups | length')" 0 "after detach --unit: cgroups attached"
	systemctl stop "$unit.service"
else
	info "systemd is not PID 1 here: --unit success case not run (its error case ran above)"
fi
