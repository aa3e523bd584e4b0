# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# gnuplot script for bench/io-report.sh. Variables (gnuplot -e):
#   tput     rows: "label" ops/s without probes, under probes, fio
#   hist     one block per case (same order): bucket middle (µs), fraction of calls
#   ncase    number of cases (blocks in hist; each block's first row names it)
#   out      the PNG
#   subtitle one line (date, host, kernel, file)
set terminal pngcairo size 1400,600 font "sans,10" noenhanced
set output out
set multiplot layout 1,2 title "4 KiB random reads: throughput and the probes' histograms\n" . subtitle

# ---- throughput
set title "ops/s (median)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics lc rgb "#dddddd"
set key below box
set yrange [0:*]
set xtics rotate by -30
set ylabel "reads per second"
plot tput using 2:xtic(1) lc rgb "#1f77b4" title "no probes", \
     tput using 3 lc rgb "#d62728" title "under latency --preset file", \
     tput using 4 lc rgb "#7f7f7f" title "fio (cross-check)"

# ---- histograms of the syscall each engine waits in
unset style
set style data linespoints
set title "latency of the syscall each engine waits in (log2 buckets)"
set logscale x 2
set xtics auto norotate
set xlabel "µs"
set ylabel "fraction of calls"
set yrange [0:*]
set key inside top right box opaque
plot for [i=0:ncase-1] hist index i using 1:2 with linespoints lw 2 pt (i + 4) title columnheader(1)
unset multiplot
