# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The soak's throughput over time and its plot. Sourced by soak.sh.
#
# tput_series PHASE_DIR: per workload, the rate in each BIN_SECONDS bin since
# the phase's start (PHASE_DIR/t_start), each run's ops spread evenly over
# its [t0, t1]; one gnuplot data block per workload (in WORKLOADS order),
# columns: bin start (s), rate (unit in UNIT below); only the bins that end
# before the phase's stop (PHASE_DIR/t_stop). PHASE_DIR/tput.dat.

BIN_SECONDS=${BIN_SECONDS:-10}
declare -A UNIT=([redis]="kreq/s" [nginx]="req/s" [pgbench]="tx/s" [memcached]="kops/s"
	[iperf3]="Gbit/s" [integrity]="MB/s verified")
# what a run's rate counts: ops or bytes, and the scale to UNIT
declare -A RATE_OF=([redis]="ops 0.001" [nginx]="ops 1" [pgbench]="ops 1" [memcached]="ops 0.001"
	[iperf3]="bytes 8e-9" [integrity]="bytes 1e-6")

tput_series() {
	local dir=$1 w ts te field scale
	ts=$(cat "$dir/t_start") te=$(cat "$dir/t_stop")
	: >"$dir/tput.dat"
	for w in "${WORKLOADS[@]}"; do
		read -r field scale <<<"${RATE_OF[$w]}"
		echo "# $w (${UNIT[$w]})" >>"$dir/tput.dat"
		jq -r --arg f "$field" '"\(.t0) \(.t1) \(.[$f])"' "$dir/$w.jsonl" 2>/dev/null |
			awk -v ts="$ts" -v te="$te" -v bin="$BIN_SECONDS" -v sc="$scale" '
			{ t0 = $1 - ts; t1 = $2 - ts; if (t1 <= t0) next
			  r = $3 / (t1 - t0)
			  for (b = int(t0 / bin); b * bin < t1; b++) {
				lo = (b * bin > t0) ? b * bin : t0; hi = ((b + 1) * bin < t1) ? (b + 1) * bin : t1
				if (hi > lo) v[b] += r * (hi - lo)
				if (b > last) last = b
			  } }
			END { for (b = 0; b <= last && (b + 1) * bin <= te - ts; b++) printf "%d %.6g\n", b * bin, v[b] * sc / bin }' >>"$dir/tput.dat"
		printf '\n\n' >>"$dir/tput.dat"
	done
}

# events_dat PHASE_DIR: the controller's actions as "seconds-since-start name"
events_dat() {
	local ts
	ts=$(cat "$1/t_start")
	jq -r --argjson ts "$ts" '"\(.t - $ts) \(.action) \(.ok)"' "$1/controller.jsonl" 2>/dev/null >"$1/events.dat"
}

# plot OUT_PNG ACCEL_DIR PLAIN_DIR
plot_soak() {
	local titles= w i=0
	for w in "${WORKLOADS[@]}"; do titles+="t$i='$w (${UNIT[$w]})'; "; i=$((i + 1)); done
	gnuplot -e "accel='$2/tput.dat'; plain='$3/tput.dat'; events='$2/events.dat'; out='$1'" \
		-e "subtitle='$(date -u +%F) $(hostname) $(uname -r), bins of ${BIN_SECONDS} s'" \
		-e "$titles" "$SOAK_DIR/plot.gp" 2>"$1.gnuplot.err" ||
		{ log "gnuplot failed: $(head -c 300 "$1.gnuplot.err")"; return 1; }
	rm -f "$1.gnuplot.err"
}

# mean_rate PHASE_DIR WORKLOAD: the mean of the workload's bins (UNIT)
mean_rate() {
	awk -v w="# $2 " 'index($0, w) == 1 { on = 1; next } on && NF == 0 { exit }
		on && NF == 2 { s += $2; n++ } END { printf "%.4g", n ? s / n : 0 }' "$1/tput.dat"
}
