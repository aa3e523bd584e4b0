# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The soak's summary: per workload, runs, errors, the longest request, the
# mean rate with sockaccel and on plain TCP; integrity bytes; the
# controller's actions; the leak figures; the plot; PASS or FAIL (adds to
# FAILS). Sourced by soak.sh at the end (uses OUT, SECS, PLAIN_SECS, STALL_MS).

# wstats DIR W: "runs ops bytes errors max_ms" of one workload in one phase
wstats() {
	jq -s -r '"\(length) \(map(.ops) | add // 0) \(map(.bytes) | add // 0) \(map(.errors) | add // 0) \(map(.max_ms) | max // 0)"' "$1/$2.jsonl"
}

summary() {
	local w ph r e m runs ops bytes errs max pct plot=$OUT/soak.png
	for ph in plain accel; do
		tput_series "$OUT/$ph"
		events_dat "$OUT/$ph"
	done
	plot_soak "$plot" "$OUT/accel" "$OUT/plain" || { plot="(no plot: gnuplot failed)"; failed "plot"; }

	echo
	echo "== sockaccel soak: $SECS s through sockaccel, $PLAIN_SECS s plain TCP ($(uname -r), $(nproc) CPUs)"
	printf '%-10s %6s %6s %8s %8s %10s %10s %12s %12s %7s\n' workload runs/a runs/p errors/a errors/p \
		max_ms/a max_ms/p "mean/accel" "mean/plain" unit
	for w in "${WORKLOADS[@]}"; do
		read -r runs ops bytes errs max <<<"$(wstats "$OUT/accel" "$w")"
		read -r r _ _ e m <<<"$(wstats "$OUT/plain" "$w")"
		printf '%-10s %6s %6s %8s %8s %10s %10s %12s %12s %s\n' "$w" "$runs" "$r" "$errs" "$e" "$max" "$m" \
			"$(mean_rate "$OUT/accel" "$w")" "$(mean_rate "$OUT/plain" "$w")" "${UNIT[$w]}"
		[ "$errs" = 0 ] && [ "$e" = 0 ] || failed "$w: client errors (sockaccel $errs, plain $e)"
		[ "$runs" -gt 0 ] && [ "$ops" != 0 ] && [ "$r" -gt 0 ] || failed "$w: did not run (runs: sockaccel $runs, plain $r)"
		awk -v m="$max" -v b="$STALL_MS" 'BEGIN { exit !(m > b) }' && failed "$w: stall of $max ms (bound $STALL_MS ms)"
	done
	echo "errors: every error the tool or server reported, per run summed (a: sockaccel, p: plain TCP);"
	echo "max_ms: the longest single request/transaction (iperf3: longest run of 1-s intervals without a byte); bound $STALL_MS ms"

	local ib il lx ln
	ib=$(jq -s 'map(.bytes) | add // 0' "$OUT/accel/integrity.jsonl" "$OUT/plain/integrity.jsonl")
	il=$(jq -s 'map(.bytes_received // 0) | add // 0' "$OUT/accel/integrity_long.jsonl" "$OUT/plain/integrity_long.jsonl")
	lx=$(jq -s 'map(select(.exact)) | length' "$OUT/accel/integrity_long.jsonl" "$OUT/plain/integrity_long.jsonl")
	ln=$(jq -s 'length' "$OUT/accel/integrity_long.jsonl" "$OUT/plain/integrity_long.jsonl")
	echo "integrity: $(jq -s 'map(.ops) | add // 0' "$OUT/accel/integrity.jsonl" "$OUT/plain/integrity.jsonl") churn connections verified, $ib bytes;" \
		"long-lived streams: $lx of $ln ends exact, $il bytes; total $((ib + il)) bytes verified"
	[ "$lx" = "$ln" ] && [ "$ln" -gt 0 ] || failed "long-lived integrity streams: $lx of $ln ends exact"

	echo "controller: $(jq -s -r 'group_by(.action) | map("\(.[0].action) \(length)") | join(", ")' "$OUT/accel/controller.jsonl"):" \
		"$(jq -s 'length' "$OUT/accel/controller.jsonl") actions, $(jq -s 'map(select(.ok | not)) | length' "$OUT/accel/controller.jsonl") failed," \
		"longest $(jq -s 'map(.secs) | max // 0 | . * 10 | round / 10' "$OUT/accel/controller.jsonl") s"
	jq -r 'select(.ok | not) | "  controller FAILED: \(.action) at \(.t): \(.msg)"' "$OUT/accel/controller.jsonl"
	[ "$(jq -s 'map(select(.ok | not)) | length' "$OUT/accel/controller.jsonl")" = 0 ] || failed "controller actions failed"
	[ "$(jq -s 'length' "$OUT/accel/controller.jsonl")" -gt 0 ] || failed "the controller did nothing"
	jq -r '"sockaccel counters at the end: redirected_bytes \(.redirected_bytes), sockets_added \(.sockets_added), insert_failed \(.insert_failed)"' \
		"$OUT/stats-end.json" 2>/dev/null

	echo "leak check while loaded (before: after load, servers listening; after: clients stopped) [exact; map memory +$LEAK_MAP_BYTES B]:"
	sed 's/^/  /' <<<"$LEAK_L"
	echo "leak check machine-wide (before setup / after teardown) [+$LEAK_GLOBAL_OBJS each; tw_* reported only]:"
	sed 's/^/  /' <<<"$LEAK_G"
	echo "throughput per ${BIN_SECONDS} s: $OUT/{accel,plain}/tput.dat; plot: $plot"
	echo "records: $OUT"
	if [ ${#FAILS[@]} = 0 ]; then
		echo "PASS: soak $SECS s: 0 errors, integrity exact, no stall over $STALL_MS ms, no leak"
	else
		printf 'failure: %s\n' "${FAILS[@]}"
		echo "FAIL: soak $SECS s: ${#FAILS[@]} failure(s)"
	fi
}
