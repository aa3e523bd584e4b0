# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The soak's client loops. Each loop_<workload> PHASE_DIR runs short client
# runs (RUN_SECONDS each, new connections every run: connection churn) until
# the file PHASE_DIR/stop exists, and appends one JSON record per run to
# PHASE_DIR/<workload>.jsonl:
#   {w, t0, t1, ops, bytes, errors, max_ms, detail}
# ops: requests/transactions/connections of the run; errors: every error the
# tool or the server reported (must be 0); max_ms: the longest single
# request/transaction the tool saw (iperf3: the longest run of 1-s intervals
# without a byte), the stall figure. Sourced by soak.sh after lib.sh.

RUN_SECONDS=${RUN_SECONDS:-5}

# client MODE LOG CMD...: run CMD in MODE's cgroup and the netns, stdout to
# LOG.out, stderr to LOG.err, bounded by a timeout; returns CMD's status.
client() {
	local mode=$1 out=$2
	shift 2
	inmode "$mode" timeout --kill-after=5 120 "$@" >"$out.out" 2>"$out.err" </dev/null
}

# record_run FILE W T0 OPS BYTES ERRORS MAX_MS DETAIL_JSON
# A run that timed out (exit 124) counts as a stall of its whole length.
record_run() {
	emit "$1" "$(jq -c 'if ([.detail | objects | .rc, .client_rc, .server_rc] | any(. == 124))
		then .max_ms = ([.max_ms, (.t1 - .t0) * 1000] | max) else . end | .max_ms |= (. * 10 | round / 10)' \
		<<<"{\"w\":\"$2\",\"t0\":$3,\"t1\":$(now),\"ops\":${4:-0},\"bytes\":${5:-0},\"errors\":${6:-1},\"max_ms\":${7:-0},\"detail\":${8:-null}}")"
}

loop_redis() {
	local dir=$1 n=0 t0 rc i0 i1 f=$dir/redis.jsonl tmp=$dir/redis.run req=${REDIS_REQUESTS:-20000}
	while [ ! -e "$dir/stop" ]; do
		n=$((n + 1)) t0=$(now)
		i0=$(redis_info a)
		client a "$tmp" redis-benchmark -h 127.0.0.1 -p "${REDIS_PORT[a]}" -t set,get -n "$req" -c 16 -d 64 --csv
		rc=$?
		i1=$(redis_info a)
		local -a a=($i0) b=($i1)
		local errs=$((b[0] - a[0])) rej=$((b[1] - a[1])) cmds=$((b[2] - a[2])) serr max missing
		serr=$(grep -ciE 'error|fail' "$tmp.err")
		missing=$((2 * req - cmds)); ((missing < 0)) && missing=0
		# --csv: "test","rps","avg","min","p50","p95","p99","max" (ms)
		max=$(tr -d '\r"' <"$tmp.out" | awk -F, 'NR > 1 && NF >= 8 { if ($8 > m) m = $8; n++ } END { if (n == 2) print m + 0; else print -1 }')
		[ "$max" = -1 ] && { max=0; [ $rc = 0 ] && rc=99; }	# no CSV: an error
		record_run "$f" redis "$t0" "$cmds" 0 $((errs + rej + missing + serr + (rc != 0))) "$max" \
			"{\"rc\":$rc,\"error_replies\":$errs,\"rejected\":$rej,\"missing\":$missing,\"stderr_errors\":$serr}"
	done
}

loop_nginx() {
	local dir=$1 n=0 t0 rc out f=$dir/nginx.jsonl tmp=$dir/nginx.run name size hdr
	while [ ! -e "$dir/stop" ]; do
		n=$((n + 1)) t0=$(now)
		# alternate small/large responses and keep-alive/close (a connection per request)
		if ((n % 2)); then name=small size=4096; else name=large size=262144; fi
		if (((n / 2) % 2)); then hdr="Connection: close"; else hdr="X-Soak: keep-alive"; fi
		client a "$tmp" wrk -t1 -c8 -d"${RUN_SECONDS}s" --timeout 5s -H "$hdr" \
			-s "$BENCH_DIR/wrk-report.lua" "http://127.0.0.1:${NGINX_PORT[a]}/$name.bin"
		rc=$?
		out=$(grep '^{' "$tmp.out" | tail -n 1)
		[ -n "$out" ] || out='{"requests":0,"bytes":0,"lat_max_us":0,"errors":{"no_output":1}}'
		# errors: wrk's own (connect, read, write, non-2xx status, timeout), a
		# non-zero exit, responses shorter than the file
		record_run "$f" nginx "$t0" "$(jq .requests <<<"$out")" "$(jq .bytes <<<"$out")" \
			"$(jq --argjson rc $rc --argjson size $size \
				'(.errors | add) + (if $rc != 0 then 1 else 0 end)
				 + (if .requests > 0 and (.bytes / .requests) < $size then 1 else 0 end)' <<<"$out")" \
			"$(jq '.lat_max_us / 1000' <<<"$out")" \
			"$(jq -c --argjson rc $rc --arg hdr "$hdr" --arg name "$name" '{rc: $rc, file: $name, header: $hdr, errors}' <<<"$out")"
	done
}

loop_pgbench() {
	local dir=$1 n=0 t0 rc f=$dir/pgbench.jsonl tmp=$dir/pgbench.run tx failed max churn
	while [ ! -e "$dir/stop" ]; do
		n=$((n + 1)) t0=$(now)
		# every other run: a new connection per transaction (-C)
		if ((n % 2)); then churn=-C; else churn=; fi
		rm -f "$dir"/pgl.*
		client b "$tmp" pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 4 -j 1 -T "$RUN_SECONDS" \
			$churn -l --log-prefix="$dir/pgl" postgres
		rc=$?
		tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$tmp.out")
		failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$tmp.out")
		# per-transaction log: client, tx, latency (us), ...
		max=$(cat "$dir"/pgl.* 2>/dev/null | awk '$3 > m { m = $3 } END { print m / 1000 }')
		rm -f "$dir"/pgl.*
		record_run "$f" pgbench "$t0" "${tx:-0}" 0 $(( ${failed:-1} + (rc != 0) + $(grep -ciE 'error|fatal' "$tmp.err") )) \
			"${max:-0}" "{\"rc\":$rc,\"failed\":${failed:-null},\"connect_per_tx\":$([ -n "$churn" ] && echo true || echo false)}"
	done
}

loop_memcached() {
	local dir=$1 n=0 t0 rc f=$dir/memcached.jsonl tmp=$dir/memcached.run ops vf max
	while [ ! -e "$dir/stop" ]; do
		n=$((n + 1)) t0=$(now)
		# memaslap (Debian: memcaslap): 10% of the gets verify the value; -S: latency statistics
		client b "$tmp" memcaslap -s "127.0.0.1:$MC_PORT" -T 1 -c 16 -t "${RUN_SECONDS}s" -S "${RUN_SECONDS}s" -X 512 -v 0.1
		rc=$?
		ops=$(sed -n 's/^Run time: .* Ops: \([0-9]*\) .*/\1/p' "$tmp.out")
		vf=$(sed -n 's/^verify_failed: \([0-9]*\)/\1/p' "$tmp.out")
		# "Total Statistics" block: its Max (us)
		max=$(awk '/^Total Statistics/ { t = 1 } t && $1 == "Max:" { print $2 / 1000; exit }' "$tmp.out")
		record_run "$f" memcached "$t0" "${ops:-0}" 0 $(( ${vf:-1} + (rc != 0) + (${ops:-0} == 0) )) "${max:-0}" \
			"{\"rc\":$rc,\"verify_failed\":${vf:-null}}"
	done
}

loop_iperf3() {
	local dir=$1 n=0 t0 rc f=$dir/iperf3.jsonl tmp=$dir/iperf3.run len
	while [ ! -e "$dir/stop" ]; do
		n=$((n + 1)) t0=$(now)
		if ((n % 2)); then len=128K; else len=16K; fi
		client b "$tmp" iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -t "$RUN_SECONDS" -P 2 -l "$len" -i 1 -J
		rc=$?
		if jq -e '.end.sum_received.bytes' "$tmp.out" >/dev/null 2>&1; then
			# stall: the longest run of consecutive 1-s intervals without a byte
			record_run "$f" iperf3 "$t0" 1 "$(jq .end.sum_received.bytes "$tmp.out")" \
				"$(jq --argjson rc $rc '(if .error then 1 else 0 end) + (if $rc != 0 then 1 else 0 end)' "$tmp.out")" \
				"$(jq '[.intervals[].sum.bytes] | reduce .[] as $b ({c: 0, m: 0};
					if $b == 0 then {c: (.c + 1), m: ([.m, .c + 1] | max)} else {c: 0, m: .m} end) | .m * 1000' "$tmp.out")" \
				"$(jq -c --argjson rc $rc --arg len "$len" '{rc: $rc, len: $len, error}' "$tmp.out")"
		else
			record_run "$f" iperf3 "$t0" 0 0 1 0 "{\"rc\":$rc,\"error\":$(head -c 300 "$tmp.err" "$tmp.out" | jq -Rs .)}"
		fi
	done
}

# sa-integrity runs: a server and a client on a fresh port each run, every
# connection checked byte by byte (tools/sa-integrity.c). Send and receive
# modes rotate. Bytes verified: what both ends received.
INTEG_SEND=(write writev sendmsg sendfile more)
INTEG_RECV=(read epoll-et rcvtimeo peek waitall)
loop_integrity() {
	local dir=$1 n=0 t0 src crc spid f=$dir/integrity.jsonl port sm rm bytes ok
	while [ ! -e "$dir/stop" ]; do
		n=$((n + 1)) t0=$(now)
		port=$((INTEG_PORT0 + n % 50))
		sm=${INTEG_SEND[n % ${#INTEG_SEND[@]}]} rm=${INTEG_RECV[n % ${#INTEG_RECV[@]}]}
		inmode a "$BUILD/sa-integrity" server -l 127.0.0.1 -p "$port" --json -t 120 --conns 16 --parallel 4 \
			--bytes 256K --sizes mixed --seed $((n * 100)) --recv-mode "$rm" \
			>"$dir/integ.server.json" 2>"$dir/integ.server.err" </dev/null &
		spid=$!
		wait_listen "$port" "$spid" >/dev/null 2>&1
		client a "$dir/integ.client" "$BUILD/sa-integrity" client -c 127.0.0.1 -p "$port" --json -t 120 \
			--conns 16 --parallel 4 --bytes 256K --sizes mixed --seed $((n * 100)) --send-mode "$sm"
		crc=$?
		wait "$spid"
		src=$?
		bytes=$(jq -s 'map(.bytes_received // 0) | add' "$dir/integ.server.json" "$dir/integ.client.out" 2>/dev/null)
		ok=$(jq -s 'map(.conns_ok // 0) | min' "$dir/integ.server.json" "$dir/integ.client.out" 2>/dev/null)
		record_run "$f" integrity "$t0" "${ok:-0}" "${bytes:-0}" $(( (crc != 0) + (src != 0) + (${ok:-0} != 16) )) 0 \
			"{\"client_rc\":$crc,\"server_rc\":$src,\"send\":\"$sm\",\"recv\":\"$rm\",\"errors\":$(jq -s -c 'map(.errors[:2]?) | add' "$dir/integ.server.json" "$dir/integ.client.out" 2>/dev/null || echo null)}"
		[ $((crc + src)) = 0 ] || cp "$dir/integ.server.json" "$dir/integ-fail-$n.server.json"
	done
}

# Long-lived checksummed streams, one per cgroup, live through every
# controller event of the phase: 2 connections, both directions, at most
# LONG_RATE bytes per second each, LONG_BYTES each way.
# long_start PHASE_DIR SECONDS: starts both; long_finish PHASE_DIR: waits and
# records them (integrity_long.jsonl).
LONG_RATE=${LONG_RATE:-262144}
LONG_PIDS=()
long_start() {
	local dir=$1 secs=$2 i mode port bytes
	bytes=$((LONG_RATE * secs))
	LONG_PIDS=()
	for i in 0 1; do
		mode=$([ $i = 0 ] && echo a || echo b) port=${INTEG_LONG_PORT[$i]}
		start_bg "$mode" "$dir/long-$mode.server.err" sh -c 'exec "$@" >"$0"' "$dir/long-$mode.server.json" \
			"$BUILD/sa-integrity" server -l 127.0.0.1 -p "$port" --json -t $((secs + 600)) --conns 2 --parallel 2 \
			--bytes "$bytes" --sizes mixed --write-rate "$LONG_RATE" --seed $((7000 + i * 10))
		LONG_PIDS+=("$BG_PID")
		wait_listen "$port" "$BG_PID" || die "sa-integrity server on $port did not start"
		start_bg "$mode" "$dir/long-$mode.client.err" sh -c 'exec "$@" >"$0"' "$dir/long-$mode.client.json" \
			"$BUILD/sa-integrity" client -c 127.0.0.1 -p "$port" --json -t $((secs + 600)) --conns 2 --parallel 2 \
			--bytes "$bytes" --sizes mixed --write-rate "$LONG_RATE" --seed $((7000 + i * 10))
		LONG_PIDS+=("$BG_PID")
	done
	LONG_BYTES=$bytes
}
long_finish() {
	local dir=$1 p rc errs=0 mode role
	for p in "${LONG_PIDS[@]}"; do
		wait "$p"
		rc=$?
		_forget "$p"
		[ $rc = 0 ] || errs=$((errs + 1))
	done
	for mode in a b; do
		for role in server client; do
			emit "$dir/integrity_long.jsonl" "$(jq -c --arg m "$mode" --arg r "$role" --argjson want "$LONG_BYTES" \
				'{w: "integrity_long", cgroup: $m, role: $r, ok, conns_ok, bytes_received, seconds,
				  exact: (.ok == true and .conns_ok == 2 and .bytes_received == 2 * $want), errors: .errors[:3]}' \
				"$dir/long-$mode.$role.json" 2>/dev/null ||
				echo "{\"w\":\"integrity_long\",\"cgroup\":\"$mode\",\"role\":\"$role\",\"exact\":false,\"error\":\"no JSON\"}")"
		done
	done
	return $errs
}

WORKLOADS=(redis nginx pgbench memcached iperf3 integrity)
LOOP_PIDS=()
# loops_start PHASE_DIR / loops_stop PHASE_DIR: every loop_<workload>
loops_start() {
	local w
	LOOP_PIDS=()
	for w in "${WORKLOADS[@]}"; do
		: >"$1/$w.jsonl"
		"loop_$w" "$1" &
		LOOP_PIDS+=("$!")
		BG_PIDS+=("$!")
	done
}
loops_stop() {
	local p i
	touch "$1/stop"
	for p in "${LOOP_PIDS[@]}"; do
		# a run lasts RUN_SECONDS (+ startup); the tools' own timeout is 120 s
		for ((i = 0; i < 1500; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$p" 2>/dev/null && { log "client loop $p did not stop: killing it"; kill -KILL "$p"; }
		wait "$p" 2>/dev/null
		_forget "$p"
	done
}
