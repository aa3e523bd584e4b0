# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Matrix: request/response. sa-pingpong (full round trips) over plain TCP,
# accelerated TCP and an AF_UNIX socketpair; sockperf ping-pong --full-rtt
# (plain vs accelerated) as an outside check.
# Client and server on different CPUs ("cross") and, for sa-pingpong, also on
# the same CPU ("same"): on a VM a cross-CPU wakeup can cost more than the
# whole TCP stack, so both are shown.
# Sourced by bench/run.sh. Uses REPS, RR_SIZES, RR_ROUNDS, RR_TIME, RR_PLACEMENTS,
# SOCKPERF_SIZES, SOCKPERF_TIME, SOCKPERF_REPS.

RR_PORT=7100

pingpong_one() {
	local mode=$1 size=$2 rep=$3 out before after spid
	before=$(stats "$mode")
	if [ "$mode" = unix ]; then
		run_in unix timeout 120 "$BUILD/sa-pingpong" unix -s "$size" -n "$RR_ROUNDS" -t "$RR_TIME" -w "${RR_WARMUP:-1000}" $(cpupair) -j
		out=$FG_OUT
	else
		RR_PORT=$((RR_PORT + 1))
		start_bg "$mode" "$TMPD/pingpong-server.log" $(cpu server) "$BUILD/sa-pingpong" server -l 127.0.0.1 -p "$RR_PORT" -s "$size"
		spid=$BG_PID
		if wait_listen "$RR_PORT" "$spid"; then
			run_in "$mode" timeout 120 $(cpu client) "$BUILD/sa-pingpong" client -c 127.0.0.1 -p "$RR_PORT" \
				-s "$size" -n "$RR_ROUNDS" -t "$RR_TIME" -w "${RR_WARMUP:-1000}" -j
			out=$FG_OUT
		fi
		stop_bg "$spid"
	fi
	after=$(stats "$mode")
	if [ -z "$out" ]; then
		log "sa-pingpong $mode -s $size failed"
		record "{\"bench\":\"rr\",\"mode\":\"$mode\",\"size\":$size,\"placement\":\"$(placement)\",\"rep\":$rep,\"error\":\"sa-pingpong failed\"}"
		return 0
	fi
	record "$(jq -c --arg mode "$mode" --argjson rep "$rep" --argjson ctr "$(stats_delta "$before" "$after")" \
		--arg pl "$(placement)" '{bench: "rr", mode: $mode, size, placement: $pl, rep: $rep, rounds, mean_us, p50_us, p99_us, tps, counters: $ctr}' <<<"$out")"
}

declare -A SOCKPERF_PORT=([plain]=11111 [accel]=11112)
declare -A SOCKPERF_PID=()

sockperf_server_start() {
	local mode=$1
	start_bg "$mode" "$TMPD/sockperf-$mode.log" $(cpu server) sockperf sr --tcp -i 127.0.0.1 -p "${SOCKPERF_PORT[$mode]}"
	SOCKPERF_PID[$mode]=$BG_PID
	wait_listen "${SOCKPERF_PORT[$mode]}" "$BG_PID"
}

# sockperf prints colour escapes and "sockperf: " prefixes; pick the figures out.
sockperf_one() {
	local mode=$1 size=$2 rep=$3 out before after
	before=$(stats)
	run_in "$mode" timeout $((SOCKPERF_TIME + 30)) $(cpu client) sockperf pp --tcp -i 127.0.0.1 -p "${SOCKPERF_PORT[$mode]}" \
		-m "$size" -t "$SOCKPERF_TIME" --full-rtt --mps max 2>&1
	out=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$FG_OUT")
	after=$(stats)
	local parsed
	parsed=$(awk '
		/\[Valid Duration\]/ { for (i = 1; i <= NF; i++) { split($i, kv, "[=;]"); if (kv[1] == "RunTime") rt = kv[2]; if (kv[1] == "ReceivedMessages") rx = kv[2] } }
		/avg-rtt=/ { sub(/.*avg-rtt=/, ""); sub(/ .*/, ""); avg = $0 }
		/percentile 50.000 =/ { p50 = $NF }
		/percentile 99.000 =/ { p99 = $NF }
		/dropped messages =/ { split($0, a, /dropped messages = /); split(a[2], b, ";"); drop = b[1] + 0 }
		END { if (avg != "" && rt > 0) printf "{\"mean_us\":%s,\"p50_us\":%s,\"p99_us\":%s,\"tps\":%.1f,\"messages\":%d,\"dropped\":%d}", avg, p50, p99, rx / rt, rx, drop }
	' <<<"$out")
	if [ -z "$parsed" ]; then
		log "sockperf $mode -m $size failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
		record "{\"bench\":\"sockperf\",\"mode\":\"$mode\",\"size\":$size,\"rep\":$rep,\"error\":\"sockperf failed\"}"
		stop_bg "${SOCKPERF_PID[$mode]}"
		sockperf_server_start "$mode"
		return 0
	fi
	record "$(jq -c --arg mode "$mode" --argjson size "$size" --argjson rep "$rep" \
		--argjson ctr "$(stats_delta "$before" "$after")" \
		'{bench: "sockperf", mode: $mode, size: $size, rep: $rep} + . + {counters: $ctr}' <<<"$parsed")"
}

bench_rr() {
	local rep size mode
	log "request/response: sa-pingpong sizes ${RR_SIZES[*]}, ${RR_TIME}s (at most $RR_ROUNDS round trips), $REPS repetitions"
	local pl
	for rep in $(seq "$REPS"); do
		for PLACEMENT in "${RR_PLACEMENTS[@]}"; do
			for size in "${RR_SIZES[@]}"; do
				for mode in $(order "$rep" plain accel unix ${CG_BARE:+bare}); do
					pingpong_one "$mode" "$size" "$rep"
				done
			done
		done
	done
	PLACEMENT=cross
	if ! command -v sockperf >/dev/null; then
		log "sockperf not installed: skipping the sockperf check"
		return 0
	fi
	log "request/response: sockperf ping-pong --full-rtt sizes ${SOCKPERF_SIZES[*]}, ${SOCKPERF_TIME}s each, $SOCKPERF_REPS repetitions"
	sockperf_server_start plain || return 1
	sockperf_server_start accel || return 1
	for rep in $(seq "$SOCKPERF_REPS"); do
		for size in "${SOCKPERF_SIZES[@]}"; do
			for mode in $(order "$rep" plain accel); do
				sockperf_one "$mode" "$size" "$rep"
			done
		done
	done
	stop_bg "${SOCKPERF_PID[plain]}"
	stop_bg "${SOCKPERF_PID[accel]}"
}
