-- SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
-- wrk script for bench/m-servers.sh: print the summary as one JSON line.
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'{"requests":%d,"duration_s":%.6f,"bytes":%d,"rps":%.1f,' ..
		'"lat_mean_us":%.1f,"lat_p50_us":%.1f,"lat_p99_us":%.1f,"lat_max_us":%.1f,' ..
		'"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
		summary.requests, summary.duration / 1e6, summary.bytes,
		summary.requests / (summary.duration / 1e6),
		latency.mean, latency:percentile(50), latency:percentile(99), latency.max,
		e.connect, e.read, e.write, e.status, e.timeout))
end
