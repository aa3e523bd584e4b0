# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Matrix: more real services on loopback inside the bench netns, one server per
# mode in the mode's cgroup (plain, accel, and bare when the floor build is
# loaded), data in the scratch directory, started and stopped by pid:
#   memcached + memaslap (Debian: memcaslap; memtier is not in Debian 12)
#   PostgreSQL + pgbench -S (select-only), on kept connections and with -C
#     (a new connection per transaction: the connection-rate case)
# Every run counts its errors; the report marks a run with any error FAILED.
# Sourced by bench/run.sh. Uses REPS, SVC_MODES, MC_TIME, MC_CONNS, PG_TIME, PG_CLIENTS.

declare -A MC_PORT=([plain]=11311 [accel]=11312 [bare]=11313)
declare -A PG_PORT=([plain]=5441 [accel]=5442 [bare]=5443)
declare -A SVC_PID=()

# lines matching error/fail/fatal in FILE (0 when it does not exist)
err_lines() { local n; n=$(grep -ciE 'error|fail|fatal' "$1" 2>/dev/null); echo "${n:-0}"; }

memcached_one() {
	local mode=$1 rep=$2 before after rc out parsed se
	before=$(stats "$mode")
	# 10 % of the gets verify the value (a wrong byte is an error); -S: the statistics block
	run_in "$mode" timeout $((MC_TIME + 30)) $(cpu client) memcaslap -s "127.0.0.1:${MC_PORT[$mode]}" -T 1 \
		-c "$MC_CONNS" -t "${MC_TIME}s" -S "${MC_TIME}s" -X 64 -v 0.1 2>"$TMPD/memcaslap.err"
	rc=$?
	out=$FG_OUT
	after=$(stats "$mode")
	se=$(err_lines "$TMPD/memcaslap.err")
	parsed=$(awk '
		/^Run time: / { for (i = 1; i <= NF; i++) { if ($i == "Ops:") ops = $(i + 1); if ($i == "TPS:") tps = $(i + 1) } }
		/^Total Statistics \(/ { t = 1 }
		t && $1 == "Avg:" && avg == "" { avg = $2 }
		t && $1 == "Max:" && max == "" { max = $2 }
		/^get_misses: / { gm = $2 }
		/^verify_failed: / { vf = $2 }
		END { if (ops != "") printf "{\"ops\":%d,\"rps\":%s,\"lat_mean_us\":%s,\"lat_max_us\":%s,\"get_misses\":%d,\"verify_failed\":%s}",
			ops, tps, (avg == "" ? "null" : avg), (max == "" ? "null" : max), gm, (vf == "" ? "null" : vf) }
	' <<<"$out")
	if [ -z "$parsed" ]; then
		log "memcaslap $mode failed (exit $rc): $(head -c 300 "$TMPD/memcaslap.err")"
		record "{\"bench\":\"memcached\",\"mode\":\"$mode\",\"test\":\"get/set\",\"rep\":$rep,\"error\":\"memcaslap exit $rc\"}"
		return 0
	fi
	record "$(jq -c --arg mode "$mode" --argjson rep "$rep" --argjson ctr "$(stats_delta "$before" "$after")" \
		--argjson rc "$rc" --argjson se "$se" \
		'{bench: "memcached", mode: $mode, test: "get/set", rep: $rep, connections: '"$MC_CONNS"'} + .
		+ {errors: {exit: (if $rc != 0 then 1 else 0 end), verify_failed: (.verify_failed // 1),
		            no_ops: (if .ops > 0 then 0 else 1 end), stderr_error_lines: $se}}
		| .errors_total = (.errors | add) | .counters = $ctr' <<<"$parsed")"
	[ "$(jq -r '.errors_total' <<<"$(tail -n 1 "$RAW")")" = 0 ] ||
		log "WARNING: memcached $mode: errors $(jq -c .errors <<<"$(tail -n 1 "$RAW")")"
}

bench_memcached() {
	local rep mode
	if ! command -v memcached >/dev/null || ! command -v memcaslap >/dev/null || ! id memcache >/dev/null 2>&1; then
		log "memcached/memcaslap (libmemcached-tools) not installed: skipping memcached"
		return 0
	fi
	log "memcached: memcaslap -T 1 -c $MC_CONNS -X 64 ${MC_TIME}s, modes ${SVC_MODES[*]}, $REPS repetitions"
	for mode in "${SVC_MODES[@]}"; do
		start_bg "$mode" "$TMPD/memcached-$mode.log" $(cpu server) memcached -u memcache -l 127.0.0.1 \
			-p "${MC_PORT[$mode]}" -U 0 -m 64 -c 1024 -t 1
		SVC_PID[mc-$mode]=$BG_PID
		wait_listen "${MC_PORT[$mode]}" "$BG_PID" || { cat "$TMPD/memcached-$mode.log" >&2; return 1; }
	done
	for rep in $(seq "$REPS"); do
		for mode in $(order "$rep" "${SVC_MODES[@]}"); do
			memcached_one "$mode" "$rep"
		done
	done
	for mode in "${SVC_MODES[@]}"; do stop_bg "${SVC_PID[mc-$mode]}"; done
}

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

# pg_start MODE: a throw-away cluster in the scratch directory, as user
# postgres (it refuses root), no durability (a benchmark, not a database).
pg_start() {
	local mode=$1 d=$TMPD/pg-$1
	mkdir -p "$d" && chown postgres "$d"
	setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/initdb" -D "$d/data" -A trust -U postgres \
		>"$d/initdb.log" 2>&1 || { log "initdb failed: $(tail -n 3 "$d/initdb.log")"; return 1; }
	# setpriv execs: the pid stays the server's own
	start_bg "$mode" "$d/postgres.log" $(cpu server) setpriv --reuid=postgres --regid=postgres --init-groups \
		"$PG_BIN/postgres" -D "$d/data" -c listen_addresses=127.0.0.1 -p "${PG_PORT[$mode]}" -k "$d" \
		-c max_connections=100 -c shared_buffers=32MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off
	SVC_PID[pg-$mode]=$BG_PID
	wait_listen "${PG_PORT[$mode]}" "$BG_PID" || { log "postgres did not start: $(tail -n 3 "$d/postgres.log")"; return 1; }
	inmode "$mode" pgbench -h 127.0.0.1 -p "${PG_PORT[$mode]}" -U postgres -i -s 1 -q postgres >"$d/pgbench-init.log" 2>&1 ||
		{ log "pgbench -i failed: $(tail -n 3 "$d/pgbench-init.log")"; return 1; }
}

pgbench_one() {
	local mode=$1 test=$2 rep=$3 before after rc out parsed se log0 log1 churn=
	[ "$test" = select-connect ] && churn=-C
	log0=$(err_lines "$TMPD/pg-$mode/postgres.log")
	before=$(stats "$mode")
	run_in "$mode" timeout $((PG_TIME + 60)) $(cpu client) pgbench -h 127.0.0.1 -p "${PG_PORT[$mode]}" -U postgres \
		-S $churn -c "$PG_CLIENTS" -j 1 -T "$PG_TIME" postgres 2>"$TMPD/pgbench.err"
	rc=$?
	out=$FG_OUT
	after=$(stats "$mode")
	log1=$(err_lines "$TMPD/pg-$mode/postgres.log")
	# pgbench writes progress and "starting vacuum..." notes to stderr: only error lines count
	se=$(err_lines "$TMPD/pgbench.err")
	parsed=$(awk '
		/^number of transactions actually processed: / { split($0, a, ": "); tx = a[2] + 0 }
		/^number of failed transactions: / { split($0, a, ": "); failed = a[2] + 0 }
		/^latency average = / { lat = $4 }
		/^average connection time = / { conn = $5 }
		/^tps = / { tps = $3 }
		END { if (tps != "") printf "{\"transactions\":%d,\"rps\":%s,\"lat_mean_ms\":%s,\"conn_ms\":%s,\"failed\":%s}",
			tx, tps, (lat == "" ? "null" : lat), (conn == "" ? "null" : conn), (failed == "" ? 0 : failed) }
	' <<<"$out")
	if [ -z "$parsed" ]; then
		log "pgbench $mode $test failed (exit $rc): $(head -c 300 "$TMPD/pgbench.err")"
		record "{\"bench\":\"pgbench\",\"mode\":\"$mode\",\"test\":\"$test\",\"rep\":$rep,\"error\":\"pgbench exit $rc\"}"
		return 0
	fi
	record "$(jq -c --arg mode "$mode" --arg test "$test" --argjson rep "$rep" --argjson ctr "$(stats_delta "$before" "$after")" \
		--argjson rc "$rc" --argjson se "$se" --argjson sl $((log1 - log0)) \
		'{bench: "pgbench", mode: $mode, test: $test, rep: $rep, clients: '"$PG_CLIENTS"'} + .
		+ {errors: {exit: (if $rc != 0 then 1 else 0 end), failed_transactions: .failed,
		            no_transactions: (if .transactions > 0 then 0 else 1 end),
		            stderr_error_lines: $se, server_log_error_lines: $sl}}
		| .errors_total = (.errors | add) | .counters = $ctr' <<<"$parsed")"
	[ "$(jq -r '.errors_total' <<<"$(tail -n 1 "$RAW")")" = 0 ] ||
		log "WARNING: pgbench $mode $test: errors $(jq -c .errors <<<"$(tail -n 1 "$RAW")") $(head -c 200 "$TMPD/pgbench.err")"
}

bench_pgbench() {
	local rep mode test
	if ! command -v pgbench >/dev/null || [ ! -x "$PG_BIN/postgres" ] || ! id postgres >/dev/null 2>&1 ||
		! command -v setpriv >/dev/null; then
		log "postgresql/pgbench not installed: skipping pgbench"
		return 0
	fi
	log "pgbench: -S -c $PG_CLIENTS -j 1 ${PG_TIME}s, kept connections and -C, modes ${SVC_MODES[*]}, $REPS repetitions"
	for mode in "${SVC_MODES[@]}"; do pg_start "$mode" || return 1; done
	for rep in $(seq "$REPS"); do
		for test in select select-connect; do
			for mode in $(order "$rep" "${SVC_MODES[@]}"); do
				pgbench_one "$mode" "$test" "$rep"
			done
		done
	done
	for mode in "${SVC_MODES[@]}"; do stop_bg "${SVC_PID[pg-$mode]}"; done
}
