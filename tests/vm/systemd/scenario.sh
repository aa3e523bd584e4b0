#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The end-to-end scenario of the systemd VM (tests/vm/run-systemd.sh), run by
# sa-vm-test.service with systemd as pid 1: install sockaccel (the .deb when
# SA_DEB names one, else `make install` of the host's build), start redis under
# systemd, `systemctl enable --now sockaccel@redis-server`, send redis traffic
# and see it redirected (globally, per unit, in Prometheus), follow a restart of
# redis, stop the instance, purge the package.
#
# One line per step: PASS NAME, FAIL NAME: WHY, or SKIP NAME: REASON when the
# feature the step checks is not in this build (the step becomes a check once
# it is); then "N passed, N failed, N skipped". Each step's output goes to
# /.sa-vm/out/logs/steps.log (kept in SA_VM_LOG_DIR on the host). Everything here
# happens in the guest's throwaway root: units, configs and packages included.

set -u -o pipefail
. /.sa-vm/env
mkdir -p /.sa-vm/out/logs
LOG=/.sa-vm/out/logs/steps.log
: >"$LOG"
PIN=/sys/fs/bpf/sockaccel	# the units' default pin dir: this guest's own bpffs
np=0 nf=0 ns=0
t_start=$(date +%s)

pass() { echo "PASS $1 ($(($(date +%s) - t_step))s)"; np=$((np + 1)); }
fail() {
	echo "FAIL $1 ($(($(date +%s) - t_step))s): $2"
	nf=$((nf + 1))
	tail -n 12 "$LOG" | sed 's/^/    | /'
}
skip() { echo "SKIP $1: $2"; ns=$((ns + 1)); }
begin() { t_step=$(date +%s); echo "==== $1" >>"$LOG"; }
# run CMD...: into the log, with the command line
run() { echo "+ $*" >>"$LOG"; "$@" >>"$LOG" 2>&1; }
# wait_for SECONDS CMD...: until CMD succeeds (output to the log), every 0.5 s
wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@" >>"$LOG" 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.5
	done
}
cg_of() { systemctl show -p ControlGroup --value "$1"; }
# attached PATH: sockaccel's sockops program is attached to that cgroup
# (bpftool names the type sock_ops, cgroup_sock_ops or sockops by version)
attached() { bpftool cgroup show "$1" 2>/dev/null | grep -q 'sock_\?ops'; }
redirected() { sockaccelctl -j stats 2>>"$LOG" | jq -r '.redirected_bytes // empty'; }
# bench: redis traffic from a client in an attached cgroup of its own (only
# connections with both ends attached are redirected: docs/security.md)
bench() {
	run sockaccelctl run --name redis-bench -- \
		redis-benchmark -h 127.0.0.1 -p 6379 -n "${1:-3000}" -c 4 -t set,get -q
}
loader_has() { /usr/sbin/sockaccel-loader --help 2>&1 | grep -q -- "$1"; }

# ------------------------------------------------------------ the guest
begin guest_systemd
init=$(cat /proc/1/comm) cgfs=$(stat -fc %T /sys/fs/cgroup) bpffs=$(stat -fc %T /sys/fs/bpf 2>/dev/null)
echo "pid 1: $init, /sys/fs/cgroup: $cgfs, /sys/fs/bpf: $bpffs" >>"$LOG"
# the boot as systemd measured it (kernel, then userspace to sa-vm.target)
sa=$(systemd-analyze time 2>>"$LOG" | head -n1)
echo "sa-vm: systemd-analyze: ${sa:-boot not finished yet}"
if [ "$init" = systemd ] && [ "$cgfs" = cgroup2fs ] && [ "$bpffs" = bpf_fs ]; then
	pass guest_systemd
else
	fail guest_systemd "pid 1 $init, /sys/fs/cgroup $cgfs, /sys/fs/bpf ${bpffs:-not mounted}"
fi

# ------------------------------------------------------------ install
begin install
DEB=${SA_DEB:-}
if [ -n "$DEB" ]; then
	how="dpkg -i $(basename "$DEB")"
	run dpkg -i "$DEB" && run dpkg -s sockaccel && dpkg -L sockaccel >/tmp/sa-deb-files 2>>"$LOG"
	ok=$?
else
	# the host's build, as `make install` would put it; `-o` keeps make from
	# rebuilding the binaries (the guest's kernel and clock are not the host's)
	how="make install PREFIX=/usr of $SA_BUILD"
	run make -C "$SA_ROOT" -s OUTPUT="$SA_BUILD" PREFIX=/usr \
		-o "$SA_BUILD/sockaccel-loader" -o "$SA_BUILD/sockaccelctl" install
	ok=$?
	if [ $ok = 0 ] && compgen -G "$SA_ROOT/systemd/*.service" >/dev/null; then
		how="$how + systemd/*.service"
		run cp "$SA_ROOT"/systemd/*.service /etc/systemd/system/ || ok=1
	fi
fi
stand_in=()
# The units until systemd/ has them (config helper): minimal stand-ins, here only.
if [ ! -e /etc/systemd/system/sockaccel@.service ] && [ ! -e /lib/systemd/system/sockaccel@.service ]; then
	stand_in+=(sockaccel@.service)
	cat >/etc/systemd/system/sockaccel@.service <<'EOF'
[Unit]
Description=sockaccel for %i.service (VM scenario stand-in)
# the unit's cgroup is made anew each time it starts: follow it
BindsTo=%i.service
After=%i.service
PartOf=%i.service

[Service]
Type=exec
ExecStart=/usr/sbin/sockaccel-loader --foreground --unit %i.service

[Install]
WantedBy=%i.service
EOF
fi
if [ ! -e /etc/systemd/system/sockaccel.service ] && [ ! -e /lib/systemd/system/sockaccel.service ]; then
	stand_in+=(sockaccel.service)
	cat >/etc/systemd/system/sockaccel.service <<'EOF'
[Unit]
Description=sockaccel (VM scenario stand-in)

[Service]
Type=exec
ExecStart=/usr/sbin/sockaccel-loader --foreground --config /etc/sockaccel/sockaccel.conf

[Install]
WantedBy=multi-user.target
EOF
fi
[ ${#stand_in[@]} -gt 0 ] && how="$how; stand-in ${stand_in[*]}"
run systemctl daemon-reload || ok=1
if [ $ok = 0 ] && command -v sockaccelctl >/dev/null && [ -x /usr/sbin/sockaccel-loader ]; then
	echo "install: $how" >>"$LOG"
	pass "install ($how)"
else
	fail install "$how failed"
fi

begin ctl_status
# nothing loaded yet: status says so in one line (or shows an empty dataplane)
out=$(sockaccelctl status 2>&1)
rc=$?
echo "$out" >>"$LOG"
if [ $rc = 0 ] || grep -q "nothing loaded" <<<"$out"; then
	pass ctl_status
else
	fail ctl_status "sockaccelctl status exit $rc: $(head -n1 <<<"$out")"
fi

# ------------------------------------------------------------ redis + the template
begin redis_start
if run systemctl start redis-server && wait_for 30 redis-cli -h 127.0.0.1 ping; then
	pass redis_start
else
	run systemctl status --no-pager redis-server
	run journalctl -b --no-pager -n 30 -u redis-server
	fail redis_start "redis-server.service did not start"
fi
REDIS_CG=/sys/fs/cgroup$(cg_of redis-server.service)
echo "redis-server.service cgroup: $REDIS_CG" >>"$LOG"

begin enable_instance
if run systemctl enable --now sockaccel@redis-server && wait_for 60 attached "$REDIS_CG" &&
	run systemctl is-active sockaccel@redis-server; then
	run bpftool cgroup show "$REDIS_CG"
	pass enable_instance
else
	run systemctl status --no-pager sockaccel@redis-server
	run journalctl -b --no-pager -n 30 -u sockaccel@redis-server
	fail enable_instance "sockaccel@redis-server did not attach $REDIS_CG"
fi

begin ctl_status_attached
out=$(sockaccelctl status 2>&1)
rc=$?
echo "$out" >>"$LOG"
if [ $rc = 0 ] && grep -q 'redis-server\.service' <<<"$out"; then
	pass ctl_status_attached
else
	fail ctl_status_attached "status exit $rc, redis-server.service not listed"
fi

begin redis_redirected
b0=$(redirected)
if bench 3000 && b1=$(redirected) && [ -n "$b1" ] && [ "$b1" -gt "${b0:-0}" ]; then
	echo "redirected_bytes $b0 -> $b1" >>"$LOG"
	pass "redis_redirected (redirected_bytes ${b0:-0} -> $b1)"
else
	fail redis_redirected "redirected_bytes ${b0:-?} -> ${b1:-?}"
fi

# per attached cgroup (metrics helper): any object below the top level with
# redirected_bytes is a per-cgroup entry; the one naming redis-server.service
begin stats_per_unit
js=$(sockaccelctl -j stats 2>>"$LOG")
echo "$js" >>"$LOG"
# per attached cgroup: .cgroups[] {path, name, id, counters{...}} (docs/usage.md)
u=$(jq '[.cgroups[]? | select(.path | endswith("/redis-server.service")) | .counters.redirected_bytes] | add // 0' \
	<<<"$js" 2>>"$LOG")
n=$(jq -r '[.cgroups[]? | select(.path | endswith("/redis-server.service")) | .name] | first // ""' <<<"$js" 2>>"$LOG")
if [ "${u:-0}" -gt 0 ] 2>/dev/null && [ "$n" = "unit redis-server.service" ]; then
	pass "stats_per_unit (redis-server.service, named '$n': redirected_bytes $u)"
else
	fail stats_per_unit "sockaccelctl -j stats: redis-server.service's row has redirected_bytes '${u:-}', name '$n' (want > 0, 'unit redis-server.service')"
fi

begin redis_restart
ino0=$(stat -c %i "$REDIS_CG" 2>/dev/null)
b0=$(redirected)
if run systemctl restart redis-server && wait_for 30 redis-cli -h 127.0.0.1 ping; then
	REDIS_CG=/sys/fs/cgroup$(cg_of redis-server.service)
	ino1=$(stat -c %i "$REDIS_CG" 2>/dev/null)
	echo "cgroup inode $ino0 -> $ino1" >>"$LOG"
	if ! wait_for 60 attached "$REDIS_CG"; then
		run systemctl status --no-pager sockaccel@redis-server
		fail redis_restart "the instance did not attach redis-server's new cgroup"
	elif bench 3000 && b1=$(redirected) && [ -n "$b1" ] && [ "$b1" -gt "${b0:-0}" ]; then
		pass "redis_restart (new cgroup attached, redirected_bytes ${b0:-0} -> $b1)"
	else
		fail redis_restart "after the restart redirected_bytes ${b0:-?} -> ${b1:-?}"
	fi
else
	fail redis_restart "systemctl restart redis-server failed"
fi

# ------------------------------------------------------------ metrics + Prometheus
begin prometheus
if ! loader_has --metrics || ! loader_has --config; then
	fail prometheus "sockaccel-loader has no --metrics/--config in this build"
elif ! command -v prometheus >/dev/null; then
	fail prometheus "prometheus is not installed"
else
	mkdir -p /etc/sockaccel /var/tmp/sa-prom
	printf '[loader]\nmetrics = 127.0.0.1:9464\n' >/etc/sockaccel/sockaccel.conf
	cat >/var/tmp/sa-prom/prometheus.yml <<'EOF'
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sockaccel
    static_configs:
      - targets: ['127.0.0.1:9464']
EOF
	q() {	# PromQL -> the first result's value
		curl -s --max-time 5 --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query |
			jq -r '.data.result[0].value[1] // empty' 2>/dev/null
	}
	has_value() { [ -n "$(q "$1")" ]; }
	rises() { v=$(q "$1"); echo "$1 = $v (was $2)" >>"$LOG"; [ -n "$v" ] && awk -v a="$v" -v b="$2" 'BEGIN { exit !(a > b) }'; }
	sel='sum(sockaccel_redirected_bytes_total{cgroup=~".*redis-server\\.service"})'
	why=""
	if ! { run systemctl start sockaccel.service &&
		wait_for 60 curl -sf --max-time 5 -o /dev/null http://127.0.0.1:9464/metrics; }; then
		run journalctl -b --no-pager -n 30 -u sockaccel.service
		why="sockaccel.service serves no /metrics on 127.0.0.1:9464"
	elif ! curl -s http://127.0.0.1:9464/metrics | grep -q '^sockaccel_redirected_bytes_total{.*redis-server\.service'; then
		curl -s http://127.0.0.1:9464/metrics | grep '^sockaccel_' | head -n 40 >>"$LOG"
		why="/metrics has no sockaccel_redirected_bytes_total for redis-server.service"
	elif ! run systemd-run --unit=sa-prometheus -p Type=exec /usr/bin/prometheus \
		--config.file=/var/tmp/sa-prom/prometheus.yml --storage.tsdb.path=/var/tmp/sa-prom/data \
		--web.listen-address=127.0.0.1:9090 ||
		! wait_for 90 curl -sf --max-time 5 http://127.0.0.1:9090/-/ready; then
		run journalctl -b --no-pager -n 30 -u sa-prometheus
		why="prometheus did not become ready on 127.0.0.1:9090"
	elif ! wait_for 60 has_value "$sel"; then
		why="Prometheus has no $sel"
	else
		p0=$(q "$sel")
		bench 3000
		wait_for 30 rises "$sel" "$p0" || why="$sel stayed at $p0 after redis traffic"
	fi
	if [ -z "$why" ]; then
		pass "prometheus (scraped $sel rose from $p0 to $(q "$sel"))"
	else
		fail prometheus "$why"
	fi
	run systemctl stop sa-prometheus
	run systemctl stop sockaccel.service
fi

# ------------------------------------------------------------ man
begin man
if man -w sockaccelctl >>"$LOG" 2>&1; then
	if MANPAGER=cat MANWIDTH=80 man sockaccelctl 2>>"$LOG" | tee -a "$LOG" | grep -qi 'sockaccelctl'; then
		pass man
	else
		fail man "man sockaccelctl rendered nothing"
	fi
elif [ -n "$DEB" ]; then
	fail man "the package installed no sockaccelctl man page"
else
	fail man "no sockaccelctl man page installed"
fi

# ------------------------------------------------------------ stop
begin stop_instance
run systemctl stop sockaccel@redis-server
if attached "$REDIS_CG"; then
	run bpftool cgroup show "$REDIS_CG"
	fail stop_instance "a sock_ops program is still attached to $REDIS_CG"
elif sockaccelctl status 2>&1 | tee -a "$LOG" | grep -q 'redis-server\.service'; then
	fail stop_instance "sockaccelctl status still lists redis-server.service"
elif ! run systemctl is-active redis-server; then
	fail stop_instance "stopping the instance stopped redis-server"
else
	pass stop_instance
fi

# ------------------------------------------------------------ purge
begin purge
if [ -z "$DEB" ]; then
	skip purge "no .deb given (SA_DEB)"
else
	run systemctl disable sockaccel@redis-server
	run dpkg --purge sockaccel
	left=()
	while read -r f; do
		# the package's own paths (not /usr, /etc, ... it shares)
		[ -e "$f" ] || [ -L "$f" ] || continue
		[ -d "$f" ] && [[ $f != *sockaccel* ]] && continue
		left+=("$f")
	done </tmp/sa-deb-files
	st=$(dpkg-query -W -f='${Status}' sockaccel 2>/dev/null)
	if [[ $st == *installed* && $st != *not-installed* ]] || [[ $st == *config-files* ]]; then
		fail purge "dpkg still knows sockaccel: $st"
	elif [ ${#left[@]} -gt 0 ]; then
		printf 'left: %s\n' "${left[@]}" >>"$LOG"
		fail purge "${#left[@]} path(s) of the package remain: ${left[*]:0:3}"
	elif [ -e "$PIN" ]; then
		run ls -la "$PIN"
		fail purge "the pin dir $PIN remains"
	else
		pass "purge (none of the $(wc -l </tmp/sa-deb-files) paths of dpkg -L left, no pin dir)"
	fi
fi

echo "scenario: $(($(date +%s) - t_start)) s"
echo "$np passed, $nf failed, $ns skipped"
[ "$nf" = 0 ]
