# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for the t_latency_* tests (sourced after lib.sh): start and stop a
# `sockaccelctl latency` tracer, and read its JSON output.
# start_tracer NAME ARGS...: sockaccelctl latency ARGS in the background,
# stdout in $SA_TMP/NAME.out, stderr in NAME.err; waits for "Tracing".
declare -A TPID
start_tracer() {
	local name=$1 i
	shift
	$SA_CTL latency -v "$@" >"$SA_TMP/$name.out" 2>"$SA_TMP/$name.err" &
	TPID[$name]=$!
	echo "${TPID[$name]}" >>"$SA_REG/pids"
	for ((i = 0; i < 200; i++)); do
		grep -q '^Tracing' "$SA_TMP/$name.err" 2>/dev/null && return 0
		kill -0 "${TPID[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	cat "$SA_TMP/$name.err"
	fail "tracer $name did not start"
}
# prog_ids NAME: ids of the tracer's BPF programs (from its -v output)
prog_ids() { sed -n 's/^latency: programs: //p' "$SA_TMP/$1.err" | grep -o 'id [0-9]*' | cut -d' ' -f2; }
# stop_tracer NAME: SIGINT, must exit 0 and leave no program behind
stop_tracer() {
	local name=$1 ids id
	ids=$(prog_ids "$name")
	[ -n "$ids" ] || fail "tracer $name: no program ids in its -v output"
	kill -INT "${TPID[$name]}"
	wait_pid "${TPID[$name]}" 20 || { cat "$SA_TMP/$name.err"; fail "tracer $name exited with $?"; }
	for id in $ids; do
		bpftool prog show id "$id" >/dev/null 2>&1 && fail "tracer $name left program id $id loaded"
	done
	return 0
}
# jsys FILE SYSCALL FILTER: jq FILTER on one syscall's object of the last block
jsys() { jq -rs --arg n "$2" "last | .syscalls[] | select(.name == \$n) | $3" "$1"; }
