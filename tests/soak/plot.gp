# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# gnuplot script of tests/soak/report.sh: throughput over time per workload,
# sockaccel under the controller (red) next to the plain-TCP run (blue).
# Variables (gnuplot -e): accel, plain (data files: one block per workload,
# columns: seconds since the phase's start, rate), events (controller actions:
# seconds, name, ok), t0..t5 (panel titles, in block order), out, subtitle.

set terminal pngcairo size 1400,1000 font "sans,10" noenhanced
set output out
set grid ytics lc rgb "#dddddd"
set key top right box opaque font ",8"
set yrange [0:*]
set xlabel "seconds since the phase's start"
set multiplot layout 3,2 title "sockaccel soak: throughput over time (red: sockaccel with the controller cycling; blue: plain TCP)\n" . subtitle
do for [i = 0:5] {
	set title value(sprintf("t%d", i))
	plot accel index i using 1:2 with lines lw 1.5 lc rgb "#d62728" title "sockaccel", \
	     plain index i using 1:2 with lines lw 1.5 lc rgb "#1f77b4" title "plain TCP", \
	     events using 1:(0) with points pt 9 ps 0.7 lc rgb "#555555" title "controller action"
}
unset multiplot
