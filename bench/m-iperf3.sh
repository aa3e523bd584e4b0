# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Matrix: iperf3 throughput, plain vs accelerated, per write size, with Nagle
# (iperf3 default) and with -N; AF_UNIX reference via `sa-pingpong ustream`.
# Sourced by bench/run.sh. Uses REPS, IPERF_SIZES, IPERF_TIME.

declare -A IPERF_PORT=([plain]=5201 [accel]=5202 [aa]=5203)
declare -A IPERF_PID=()

iperf_server_start() {
	local mode=$1
	start_bg "$mode" "$TMPD/iperf3-$mode.log" $(cpu server) iperf3 -s -B 127.0.0.1 -p "${IPERF_PORT[$mode]}"
	IPERF_PID[$mode]=$BG_PID
	wait_listen "${IPERF_PORT[$mode]}" "$BG_PID"
}

iperf_one() {
	local mode=$1 size=$2 nd=$3 rep=$4 before after out flag=()
	[ "$nd" = true ] && flag=(-N)
	before=$(stats)
	run_in "$mode" timeout $((IPERF_TIME + 30)) $(cpu client) iperf3 -c 127.0.0.1 -p "${IPERF_PORT[$mode]}" \
		-l "$size" -t "$IPERF_TIME" -J "${flag[@]}" 2>"$TMPD/iperf3-client.err"
	out=$FG_OUT
	after=$(stats)
	if ! jq -e '.end.sum_received.bits_per_second' <<<"$out" >/dev/null 2>&1; then
		local err
		err=$(jq -r '.error // empty' <<<"$out" 2>/dev/null)
		[ -n "$err" ] || err=$(head -c 300 "$TMPD/iperf3-client.err")
		log "iperf3 $mode -l $size nodelay=$nd failed: ${err:-no output}"
		record "{\"bench\":\"iperf3\",\"mode\":\"$mode\",\"size\":$size,\"nodelay\":$nd,\"rep\":$rep,\"error\":$(jq -Rn --arg e "${err:-no output}" '$e')}"
		# the server may be stuck in the failed test: restart it
		stop_bg "${IPERF_PID[$mode]}"
		iperf_server_start "$mode"
		return 0
	fi
	record "$(jq -c --arg mode "$mode" --argjson size "$size" --argjson nd "$nd" --argjson rep "$rep" \
		--argjson ctr "$(stats_delta "$before" "$after")" '{
		bench: "iperf3", mode: $mode, size: $size, nodelay: $nd, rep: $rep,
		seconds: .end.sum_received.seconds,
		gbps: (.end.sum_received.bits_per_second / 1e9),
		sent_gbps: (.end.sum_sent.bits_per_second / 1e9),
		retransmits: .end.sum_sent.retransmits,
		cpu_sender_pct: .end.cpu_utilization_percent.host_total,
		cpu_receiver_pct: .end.cpu_utilization_percent.remote_total,
		counters: $ctr }' <<<"$out")"
}

ustream_one() {
	local size=$1 rep=$2 out
	run_in unix timeout $((IPERF_TIME + 30)) "$BUILD/sa-pingpong" ustream -s "$size" -t "$IPERF_TIME" $(cpupair) -j
	out=$FG_OUT
	if [ -z "$out" ]; then
		log "sa-pingpong ustream -s $size failed"
		record "{\"bench\":\"iperf3\",\"mode\":\"unix\",\"size\":$size,\"nodelay\":false,\"rep\":$rep,\"error\":\"sa-pingpong ustream failed\"}"
		return 0
	fi
	record "$(jq -c --argjson rep "$rep" '{bench: "iperf3", mode: "unix", size, nodelay: false, rep: $rep,
		seconds, gbps, cpu_sender_pct, cpu_receiver_pct, tool: "sa-pingpong ustream"}' <<<"$out")"
}

bench_iperf3() {
	local rep size nd mode modes=(plain accel)
	[ -n "${IPERF_AA:-}" ] && modes+=(aa)
	log "iperf3: sizes ${IPERF_SIZES[*]}, ${IPERF_TIME}s each, Nagle on and -N, modes ${modes[*]}, $REPS repetitions"
	for mode in "${modes[@]}"; do iperf_server_start "$mode" || return 1; done
	for rep in $(seq "$REPS"); do
		for size in "${IPERF_SIZES[@]}"; do
			for nd in false true; do
				for mode in $(order "$rep" "${modes[@]}"); do
					iperf_one "$mode" "$size" "$nd" "$rep"
				done
			done
			ustream_one "$size" "$rep"
		done
		log "iperf3: repetition $rep/$REPS done"
	done
	for mode in "${modes[@]}"; do stop_bg "${IPERF_PID[$mode]}"; done
}

# The `make demo` iperf3 run as scripts/demo.sh makes it: unpinned (the
# scheduler places client and server), iperf3's default 128 KiB writes with
# Nagle, server on [::], client to 127.0.0.1, DEMO_TIME seconds. Its target
# (docs/benchmarks.md, "Targets") is read against the floor build here.
declare -A DEMO_PORT=([plain]=5211 [accel]=5212 [bare]=5213)
bench_demo() {
	local rep mode out before after
	local -A pid=()
	log "demo: iperf3 -t $DEMO_TIME as make demo runs it (unpinned, 128 KiB, Nagle), modes ${SVC_MODES[*]}, $REPS repetitions"
	for mode in "${SVC_MODES[@]}"; do
		start_bg "$mode" "$TMPD/demo-$mode.log" iperf3 -s -p "${DEMO_PORT[$mode]}"
		pid[$mode]=$BG_PID
		wait_listen "${DEMO_PORT[$mode]}" "$BG_PID" || return 1
	done
	for rep in $(seq "$REPS"); do
		for mode in $(order "$rep" "${SVC_MODES[@]}"); do
			before=$(stats "$mode")
			run_in "$mode" timeout $((DEMO_TIME + 30)) iperf3 -c 127.0.0.1 -p "${DEMO_PORT[$mode]}" -t "$DEMO_TIME" -J
			out=$FG_OUT
			after=$(stats "$mode")
			if ! jq -e '.end.sum_received.bits_per_second' <<<"$out" >/dev/null 2>&1; then
				log "demo iperf3 $mode failed"
				record "{\"bench\":\"demo\",\"mode\":\"$mode\",\"rep\":$rep,\"error\":\"iperf3 failed\"}"
				continue
			fi
			record "$(jq -c --arg mode "$mode" --argjson rep "$rep" --argjson ctr "$(stats_delta "$before" "$after")" \
				'{bench: "demo", mode: $mode, size: 131072, rep: $rep, gbps: (.end.sum_received.bits_per_second / 1e9),
				  cpu_sender_pct: .end.cpu_utilization_percent.host_total,
				  cpu_receiver_pct: .end.cpu_utilization_percent.remote_total, counters: $ctr}' <<<"$out")"
		done
	done
	for mode in "${SVC_MODES[@]}"; do stop_bg "${pid[$mode]}"; done
}
