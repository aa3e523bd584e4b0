# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# gnuplot script for bench/report.sh. Variables (gnuplot -e):
#   tput   throughput data (5 blocks: plain Nagle, accel Nagle, plain -N, accel -N, AF_UNIX;
#          columns: write size, median, min, max Gbit/s)
#   rrx    rr data, client and server on different CPUs; rrs: same CPU
#          (columns: label, then median min max of p50 for plain, accel, AF_UNIX)
#   out    output prefix (out-throughput.png, out-rr-latency.png)
#   subtitle  one line for the titles (date, host, kernel)

set terminal pngcairo size 1100,650 font "sans,11" noenhanced
set grid ytics lc rgb "#dddddd"
set key top left box opaque

# ---- throughput vs write size
set output out . "throughput.png"
set title "iperf3 throughput vs write size (median, bars: min-max)\n" . subtitle
set logscale x 2
set logscale y 10
set xlabel "write size (bytes)"
set ylabel "Gbit/s"
set xtics ("64" 64, "256" 256, "1K" 1024, "4K" 4096, "16K" 16384, "64K" 65536, "128K" 131072, "1M" 1048576)
set xrange [40:1700000]
plot tput index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb "#1f77b4" title "plain TCP (Nagle on)", \
     tput index 1 using 1:2:3:4 with yerrorlines lw 2 pt 5 lc rgb "#d62728" title "sockaccel (Nagle on)", \
     tput index 2 using 1:2:3:4 with yerrorlines lw 1 dt 2 pt 6 lc rgb "#1f77b4" title "plain TCP (-N)", \
     tput index 3 using 1:2:3:4 with yerrorlines lw 1 dt 2 pt 4 lc rgb "#d62728" title "sockaccel (-N)", \
     tput index 4 using 1:2:3:4 with yerrorlines lw 2 pt 9 lc rgb "#2ca02c" title "AF_UNIX (sa-pingpong ustream)"

# ---- request/response latency bars
unset logscale
unset xrange
set xtics auto
set output out . "rr-latency.png"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set xlabel "request and response size"
set ylabel "p50 round trip (µs)"
set multiplot layout 1,2 title "sa-pingpong request/response, p50 full round trip (median, bars: min-max)\n" . subtitle
set title "client and server on different CPUs"
plot rrx using 2:3:4:xtic(1) lc rgb "#1f77b4" title "plain TCP", \
     '' using 5:6:7 lc rgb "#d62728" title "sockaccel", \
     '' using 8:9:10 lc rgb "#2ca02c" title "AF_UNIX"
set title "client and server on the same CPU"
plot rrs using 2:3:4:xtic(1) lc rgb "#1f77b4" title "plain TCP", \
     '' using 5:6:7 lc rgb "#d62728" title "sockaccel", \
     '' using 8:9:10 lc rgb "#2ca02c" title "AF_UNIX"
unset multiplot
