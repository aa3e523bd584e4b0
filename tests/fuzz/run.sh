#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# run.sh OUTPUT SECONDS TARGET...: run each libFuzzer target OUTPUT/TARGET for
# SECONDS (one at a time, nice'd) on OUTPUT/corpus/TARGET, a scratch copy of
# tests/fuzz/corpus/TARGET; crashing inputs go to OUTPUT/crashes/TARGET/.
# One summary line per target; exit 1 if any target crashed.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1 secs=$2
shift 2
fail=0
declare -a lines
for t in "$@"; do
	corpus=$out/corpus/$t crashes=$out/crashes/$t log=$out/$t.log
	mkdir -p "$corpus" "$crashes"
	cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
	before=$(ls "$crashes" | wc -l)
	printf '  %-8s %s\n' FUZZ "$t (${secs}s)"
	nice -n "${FUZZ_NICE:-10}" "$out/$t" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	ncrash=$(( $(ls "$crashes" | wc -l) - before ))
	if [ "$rc" -ne 0 ] && [ "$ncrash" -eq 0 ]; then
		ncrash=1	# died without an artifact: count it, the log says why
	fi
	[ "$ncrash" -eq 0 ] || fail=1
	lines+=("$(printf '%-22s %10s execs  %5d corpus  %d crashes%s' "$t" "${execs:-?}" \
		"$(ls "$corpus" | wc -l)" "$ncrash" "$([ "$ncrash" -eq 0 ] || echo "  (see $log, $crashes/)")")")
done
echo "fuzz summary (${secs}s per target):"
printf '%s\n' "${lines[@]}"
exit $fail
