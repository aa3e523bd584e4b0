#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# bench/report.sh [--docs FILE] RESULT.json [OUTDIR]
# Adds the summary (median, min, max of every figure per configuration) to
# RESULT.json and writes OUTDIR/latest.md, OUTDIR/throughput.png and
# OUTDIR/rr-latency.png (latest-quick.md, quick-*.png for a --quick result).
# OUTDIR defaults to the directory of RESULT.json. --docs FILE: also copy the
# tables into FILE between the lines "<!-- results:begin -->" and
# "<!-- results:end -->" (not for quick results). Needs jq; gnuplot for the PNGs.
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
DOCS=
if [ "${1:-}" = --docs ]; then DOCS=$2; shift 2; fi
JSON=${1:?usage: report.sh [--docs FILE] RESULT.json [OUTDIR]}
OUT=${2:-$(dirname "$JSON")}
LIB="include \"report\"; "
jqr() { jq -L "$DIR" "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jqr --arg file "$(basename "$JSON")" "$LIB"'.meta.file = $file | .summary = summarize' "$JSON" >"$tmp/r.json"
mv "$tmp/r.json" "$JSON"

quick=$(jq -r 'if .meta.quick then "-quick" else "" end' "$JSON")
jqr -r "$LIB report" "$JSON" >"$OUT/latest$quick.md"
echo "report: wrote $OUT/latest$quick.md"

if [ -n "$DOCS" ] && [ -z "$quick" ]; then
	if grep -q '^<!-- results:begin -->' "$DOCS" && grep -q '^<!-- results:end -->' "$DOCS"; then
		# the report without its title, headings one level down
		sed -e '1,/^$/d' -e 's/^#/##/' "$OUT/latest.md" >"$tmp/body.md"
		awk -v body="$tmp/body.md" '
			/^<!-- results:end -->/ { skip = 0 }
			!skip { print }
			/^<!-- results:begin -->/ { while ((getline l < body) > 0) print l; skip = 1 }
		' "$DOCS" >"$tmp/docs.md" && cat "$tmp/docs.md" >"$DOCS"
		echo "report: updated the results in $DOCS"
	else
		echo "report: $DOCS has no results markers, not updated" >&2
	fi
fi

if ! command -v gnuplot >/dev/null; then
	echo "report: gnuplot not installed, no plots" >&2
	exit 0
fi
jqr -r "$LIB tput_dat" "$JSON" >"$tmp/tput.dat"
jqr -r "$LIB rr_dat(\"cross\")" "$JSON" >"$tmp/rrx.dat"
jqr -r "$LIB rr_dat(\"same\")" "$JSON" >"$tmp/rrs.dat"
sub=$(jq -r '.meta | "\(.date), \(.host), kernel \(.kernel), \(.ncpu) CPUs\(if .quick then ", quick run" else "" end)"' "$JSON")
# a data line (not only a header) in each: a --only subset may lack some
has_data() { grep -q '[0-9]' "$1"; }
if has_data "$tmp/tput.dat" && has_data "$tmp/rrx.dat" && has_data "$tmp/rrs.dat"; then
	gnuplot -e "tput='$tmp/tput.dat'; rrx='$tmp/rrx.dat'; rrs='$tmp/rrs.dat'; out='$OUT/${quick#-}${quick:+-}'; subtitle='$sub'" \
		"$DIR/plot.gp" 2>"$tmp/gnuplot.err" || { cat "$tmp/gnuplot.err" >&2; exit 1; }
	grep -v '^$' "$tmp/gnuplot.err" >&2 || true
	echo "report: wrote $OUT/${quick#-}${quick:+-}throughput.png, $OUT/${quick#-}${quick:+-}rr-latency.png"
else
	echo "report: not enough data for the plots (iperf3 and rr in both placements needed)" >&2
fi
