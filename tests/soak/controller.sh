# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The soak's controller: while the workloads run, it cycles through
#   detach_a   sockaccelctl detach cgroup a (graceful), then the loader re-attaches it
#   reload     the loader again on cgroup a (already attached: must say so, exit 0)
#   upgrade    sockaccel-loader --upgrade (programs replaced under live traffic)
#   fg_term    SIGTERM to the --foreground loader of cgroup b (it detaches
#              gracefully and exits 0), then a new --foreground loader
#   fg_kill    SIGKILL to it (the attachment stays: `status` must say the
#              loader is not running), sockaccelctl detach b, a new one
# with CTL_PAUSE seconds between actions, until DIR/stop exists. After each
# action both cgroups must be attached again. One JSON record per action in
# DIR/controller.jsonl: {t, action, secs, ok, msg}. Sourced by soak.sh.

CTL_PAUSE=${CTL_PAUSE:-2}
CTL_ACTIONS=(detach_a reload upgrade fg_term detach_a upgrade fg_kill)
FG_PIDFILE= FG_LOG=

# fg_start: a --foreground loader for cgroup b, in the background (a child of
# the caller); waits until it has attached. Its pid goes to FG_PIDFILE.
fg_start() {
	local pid i
	# the loader itself, not the loader() function: $! must be its pid
	"$LOADER" --pin-dir "$PIN" --foreground --drain-timeout 120 "$CG_B" >>"$FG_LOG" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$FG_PIDFILE"
	for ((i = 0; i < 1200; i++)); do
		tail -n 1 "$FG_LOG" | grep -q 'running in the foreground' && return 0
		kill -0 "$pid" 2>/dev/null || { CTL_MSG="--foreground loader exited: $(tail -n 2 "$FG_LOG" | tr '\n' ' ')"; return 1; }
		sleep 0.1
	done
	CTL_MSG="--foreground loader did not attach in 120 s"
	return 1
}

# wait_exit PID SECONDS: wait for our child PID; sets WAIT_RC (124: timeout)
wait_exit() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; then
			{ wait "$1"; } 2>/dev/null	# no "Killed" notice from bash
			WAIT_RC=$?
			return 0
		fi
		sleep 0.1
	done
	WAIT_RC=124
	return 1
}

# attached_ok: both cgroups attached, as `status -j` tells
attached_ok() {
	local st ida idb
	ida=$(stat -c %i "$CG_A") idb=$(stat -c %i "$CG_B")
	st=$(ctl -j status) || { CTL_MSG="status failed: $st"; return 1; }
	jq -e --argjson a "$ida" --argjson b "$idb" \
		'[.cgroups[] | select(.attached and (.id == $a or .id == $b))] | length == 2' <<<"$st" >/dev/null ||
		{ CTL_MSG="not both attached: $(jq -c '[.cgroups[] | {path, id, attached}]' <<<"$st")"; return 1; }
}

# is_attached CG: 0 if `status -j` lists CG as attached
is_attached() {
	ctl -j status | jq -e --argjson id "$(stat -c %i "$1")" '[.cgroups[] | select(.attached and .id == $id)] | length == 1' >/dev/null
}

act_detach_a() {
	local out
	out=$(ctl -j detach --timeout 120 "$CG_A" 2>&1) || { CTL_MSG="detach a: $out"; return 1; }
	CTL_MSG=$(jq -c '{connections, unread_bytes_at_start, drain_seconds}' <<<"$out" 2>/dev/null)
	is_attached "$CG_A" && { CTL_MSG="a still attached after detach"; return 1; }
	sleep "$CTL_PAUSE"	# workloads run plain TCP meanwhile
	out=$(loader "$CG_A" 2>&1) || { CTL_MSG="re-attach a: $out"; return 1; }
}

act_reload() {
	local out
	out=$(loader "$CG_A" 2>&1) || { CTL_MSG="loader again: $out"; return 1; }
	grep -q 'already attached' <<<"$out" || { CTL_MSG="loader again did not say 'already attached': $out"; return 1; }
}

act_upgrade() {
	local out
	out=$(loader --upgrade 2>&1) || { CTL_MSG="--upgrade: $out"; return 1; }
	CTL_MSG=$(tail -n 1 <<<"$out")
}

act_fg_term() {
	local pid
	pid=$(cat "$FG_PIDFILE")
	kill -TERM "$pid"
	wait_exit "$pid" 180 || { CTL_MSG="--foreground loader still running 180 s after SIGTERM"; return 1; }
	[ "$WAIT_RC" = 0 ] || { CTL_MSG="--foreground loader exit $WAIT_RC after SIGTERM: $(tail -n 2 "$FG_LOG" | tr '\n' ' ')"; return 1; }
	is_attached "$CG_B" && { CTL_MSG="b still attached after the loader's SIGTERM detach"; return 1; }
	fg_start
}

act_fg_kill() {
	local pid out
	pid=$(cat "$FG_PIDFILE")
	kill -KILL "$pid"
	wait_exit "$pid" 30
	# the pinned links stay: b still attached, the loader reported gone
	is_attached "$CG_B" || { CTL_MSG="b detached by SIGKILL (the links should stay)"; return 1; }
	ctl -j status | jq -e '[.. | objects | select(has("foreground_loader")) | .foreground_loader.running] | all(. == false) and length > 0' >/dev/null ||
		{ CTL_MSG="status does not say the killed loader is not running: $(ctl -j status | jq -c '[.. | objects | select(has("foreground_loader"))]')"; return 1; }
	out=$(ctl -j detach --timeout 120 "$CG_B" 2>&1) || { CTL_MSG="detach b after SIGKILL: $out"; return 1; }
	fg_start
}

# controller_run DIR: the loop (run it in the background). The first
# --foreground loader is started here, so that it is this shell's child;
# DIR/controller.ready appears once it has attached; the actions start
# once DIR/go exists.
controller_run() {
	local dir=$1 i=0 a t0 ok
	FG_PIDFILE=$dir/fg.pid FG_LOG=$dir/fg-loader.log
	: >"$FG_LOG"
	CTL_MSG=
	if ! fg_start; then
		emit "$dir/controller.jsonl" "$(jq -nc --arg m "$CTL_MSG" '{t: now, action: "fg_start", secs: 0, ok: false, msg: $m}')"
		return 1
	fi
	touch "$dir/controller.ready"
	while [ ! -e "$dir/go" ] && [ ! -e "$dir/stop" ]; do sleep 0.1; done	# the soak's baseline first
	while [ ! -e "$dir/stop" ]; do
		sleep "$CTL_PAUSE"
		[ -e "$dir/stop" ] && break
		a=${CTL_ACTIONS[i % ${#CTL_ACTIONS[@]}]}
		i=$((i + 1))
		CTL_MSG= t0=$(now)
		if "act_$a" && attached_ok; then ok=true; else ok=false; fi
		emit "$dir/controller.jsonl" "$(jq -nc --arg a "$a" --argjson t0 "$t0" --argjson t1 "$(now)" \
			--argjson ok $ok --arg m "$CTL_MSG" '{t: $t0, action: $a, secs: ($t1 - $t0), ok: $ok, msg: $m}')"
		# after a failure, get back to both attached so the soak goes on
		# (gracefully: a forced detach would drop redirected bytes not read yet)
		if [ $ok = false ]; then
			loader "$CG_A" >/dev/null 2>&1
			if ! is_attached "$CG_B" || ! kill -0 "$(cat "$FG_PIDFILE")" 2>/dev/null; then
				kill -TERM "$(cat "$FG_PIDFILE")" 2>/dev/null && wait_exit "$(cat "$FG_PIDFILE")" 180
				ctl detach --timeout 120 "$CG_B" >/dev/null 2>&1
				fg_start
			fi
		fi
	done
}
