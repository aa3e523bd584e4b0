# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Matrix: syscall latency probes (sockaccelctl latency) on one request/response
# and one streaming run, plain vs accelerated, through bench/latency-compare.sh.
# Sourced by bench/run.sh. Uses QUICK.

bench_latency() {
	local script=$BENCH_DIR/latency-compare.sh out
	if [ ! -x "$script" ]; then
		log "latency probes not available ($script missing): skipping"
		record '{"bench":"latency","skipped":"latency probes not available"}'
		return 0
	fi
	log "latency probes: $script"
	out=$TMPD/latency.json
	if run_fg "$script" ${QUICK:+--quick} --json "$out" 2>"$TMPD/latency.log" && jq -e . "$out" >/dev/null 2>&1; then
		record "$(jq -c '{bench: "latency", result: .}' "$out")"
	else
		log "latency-compare.sh failed: $(tail -n 5 "$TMPD/latency.log" | tr '\n' ' ')"
		record "$(jq -cn --arg e "$(tail -n 5 "$TMPD/latency.log")" '{bench: "latency", error: $e}')"
	fi
}
