# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Matrix: connection setup rate (connect/accept/close per second) with and
# without sockaccel, to show what the sockops program costs short connections.
# Variant 0: connect, accept, close. Variant 64: plus one 64-byte request/response.
# Sourced by bench/run.sh. Uses REPS, CONNRATE_TIME, CONNRATE_VARIANTS.

declare -A CONNRATE_PID=()

connrate_one() {
	local mode=$1 variant=$2 rep=$3 port=$4 out before after
	before=$(stats "$mode")
	run_in "$mode" timeout 60 $(cpu client) "$BUILD/sa-connrate" client -c 127.0.0.1 -p "$port" -r "$variant" \
		-t "$CONNRATE_TIME" -j
	out=$FG_OUT
	after=$(stats "$mode")
	if [ -z "$out" ]; then
		log "sa-connrate $mode -r $variant failed"
		record "{\"bench\":\"connrate\",\"mode\":\"$mode\",\"size\":$variant,\"rep\":$rep,\"error\":\"sa-connrate failed\"}"
		return 0
	fi
	record "$(jq -c --arg mode "$mode" --argjson rep "$rep" --argjson ctr "$(stats_delta "$before" "$after")" \
		'{bench: "connrate", mode: $mode, size, rep: $rep, conns, errors, seconds, conns_per_s, mean_us, p50_us, p99_us, counters: $ctr}' <<<"$out")"
}

bench_connrate() {
	local rep variant mode port=7300 modes=(plain accel ${CG_BARE:+bare})
	log "connection rate: variants ${CONNRATE_VARIANTS[*]} (bytes exchanged), ${CONNRATE_TIME}s each, $REPS repetitions"
	for variant in "${CONNRATE_VARIANTS[@]}"; do
		for mode in "${modes[@]}"; do
			port=$((port + 1))
			start_bg "$mode" "$TMPD/connrate-$mode-$variant.log" $(cpu server) "$BUILD/sa-connrate" server -l 127.0.0.1 -p $port -r "$variant"
			CONNRATE_PID[$mode]=$BG_PID
			wait_listen $port "$BG_PID" || return 1
			CONNRATE_PORT[$mode]=$port
		done
		for rep in $(seq "$REPS"); do
			for mode in $(order "$rep" "${modes[@]}"); do
				connrate_one "$mode" "$variant" "$rep" "${CONNRATE_PORT[$mode]}"
			done
		done
		for mode in "${modes[@]}"; do stop_bg "${CONNRATE_PID[$mode]}"; done
	done
}
declare -A CONNRATE_PORT=()
