# Prometheus: `stats --prometheus` and the foreground loader's --metrics
# endpoint print the same families, both pass `promtool check metrics`, label
# values are escaped (a cgroup named with a quote and a backslash, a recorded
# name with a newline too); a real
# Prometheus server (Debian's) scrapes the endpoint every second and its API
# shows sockaccel_redirected_bytes_total of the test's cgroup rising while
# traffic runs. Errors: --metrics without --foreground, a bad port, a port in
# use (one line, nothing attached). SIGTERM still drains and detaches.
# The loader, Prometheus and curl run in the test's netns (nsenter keeps /sys,
# where `ip netns exec` would hide cgroup2 and bpffs): its loopback only.
# vm: host-only the text format, the HTTP server and Prometheus are user space (the kernel side, per-cgroup counting, is t_counters_percg; the systemd VM scrapes a real endpoint on 6.1)
# timeout: 240
. "$SA_LIB"
. "$SA_ROOT/tests/netns/errors_lib.sh"
need_cmd promtool prometheus curl nsenter
need_bin sa-stream

PORT=9477
PROM_PORT=9090
NSX=(nsenter --net=/run/netns/"$SA_NS")
A_REL=${SA_CG#"$SA_CG2"}
# A cgroup path that needs escaping. (A newline, which the format escapes
# too, cannot be tested this way: cgroupfs refuses it in names, EINVAL.)
Q=$(new_cgroup 'q"b\s')
Q_REL=${Q#"$SA_CG2"}
Q_ESC=$(sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' <<<"$Q_REL")

# bg_nsx CMD...: CMD in the test's netns, in the background (BG_PID), registered for cleanup
bg_nsx() {
	"${NSX[@]}" "$@" &
	BG_PID=$!
	echo "$BG_PID" >>"$SA_REG/pids"
}

# --- bad input: one line, exit 2, nothing loaded
expect_usage "--metrics without --foreground" $SA_LOADER --metrics "$PORT" "$SA_CG"
expect_usage "--metrics port 0" $SA_LOADER --foreground --metrics 0 "$SA_CG"
expect_usage "--metrics port 70000" $SA_LOADER --foreground --metrics 127.0.0.1:70000 "$SA_CG"
expect_usage "--metrics bad address" $SA_LOADER --foreground --metrics localhost:9 "$SA_CG"
expect_usage "--metrics v6 without brackets" $SA_LOADER --foreground --metrics ::1:9 "$SA_CG"
no_pin "bad --metrics"

# --- the loader with the endpoint, both cgroups attached
# Q is attached by --pid of a process in it: a recorded name (cgroup_names)
bg_in - "$Q" sleep 600
holder=$BG_PID
for _ in $(seq 100); do
	grep -qxF "0::$Q_REL" "/proc/$holder/cgroup" 2>/dev/null && break
	sleep 0.05
done
bg_nsx $SA_LOADER --foreground --redirect-streams --metrics "$PORT" "$SA_CG" --pid "$holder" >"$SA_TMP/loader.log" 2>&1
loader=$BG_PID
for _ in $(seq 100); do
	grep -q "running in the foreground" "$SA_TMP/loader.log" && break
	kill -0 "$loader" 2>/dev/null || { cat "$SA_TMP/loader.log"; fail "loader exited"; }
	sleep 0.1
done
grep -q "running in the foreground" "$SA_TMP/loader.log" || { cat "$SA_TMP/loader.log"; fail "loader not up"; }

# A port in use: one line, exit 1, the other cgroup not attached.
C=$(new_cgroup c)
expect_err "--metrics port in use" 1 "${NSX[@]}" $SA_LOADER --foreground --metrics "127.0.0.1:$PORT" "$C"
assert_match "$ERR" "--metrics 127.0.0.1:$PORT: cannot listen: Address already in use" "port in use: says so"
assert_eq "$(cg_links "$C")" 0 "port in use: nothing attached"

# The name label: a recorded name with a newline, a quote and a backslash
# (written over its recorded `pid N` in the cgroup_names map).
hexbytes() { od -An -tx1 -v | tr -s ' \n' ' '; }
key=$(python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<Q', $(cgroup_id "$Q")))" | hexbytes)
val=$(python3 -c "import sys; sys.stdout.buffer.write(b'a\\nb\"c\\\\d'.ljust(128, b'\\0'))" | hexbytes)
# shellcheck disable=SC2086
bpftool map update pinned "$SA_PIN/cgroup_names" key hex $key value hex $val ||
	fail "bpftool map update cgroup_names"
NAME_ESC='a\nb\"c\\d'

scrape() { "${NSX[@]}" curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics"; }
stream "$SA_NS" "$SA_CG" 127.0.0.1 127.0.0.1 5000 $((256 << 10)) 3
scrape >"$SA_TMP/endpoint.txt" || fail "curl /metrics failed"
$SA_CTL stats --prometheus >"$SA_TMP/stats.txt" || fail "stats --prometheus failed"
info "endpoint (first lines):"; head -12 "$SA_TMP/endpoint.txt" | sed 's/^/#   /'
for f in endpoint stats; do
	out=$(promtool check metrics <"$SA_TMP/$f.txt" 2>&1) || fail "promtool check metrics ($f): $out"
done
assert_eq "$(grep -v '^#' "$SA_TMP/endpoint.txt" | sed 's/ .*//' | sort | md5sum)" \
	"$(grep -v '^#' "$SA_TMP/stats.txt" | sed 's/ .*//' | sort | md5sum)" "endpoint and stats --prometheus: the same series"
grep -qF "sockaccel_redirected_bytes_total{cgroup=\"$Q_ESC\",name=\"$NAME_ESC\"} 0" "$SA_TMP/endpoint.txt" ||
	fail "the quote/backslash cgroup and its name are not escaped as $Q_ESC, $NAME_ESC"
v=$(sed -n "s|^sockaccel_redirected_bytes_total{cgroup=\"$A_REL\",name=\"\"} ||p" "$SA_TMP/endpoint.txt")
assert_ge "${v:-0}" $((2 * SA_MIN_REDIRECT)) "endpoint: the test cgroup's redirected bytes"
code=$("${NSX[@]}" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/other")
assert_eq "$code" 404 "another path: 404"

# --- a real Prometheus server scraping every second
cat >"$SA_TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sockaccel
    static_configs:
      - targets: ['127.0.0.1:$PORT']
YML
bg_nsx prometheus --config.file="$SA_TMP/prometheus.yml" --storage.tsdb.path="$SA_TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PROM_PORT" >"$SA_TMP/prometheus.log" 2>&1
prom=$BG_PID

# pq: the test cgroup's redirected bytes as Prometheus has them now ("" if none)
pq() {
	"${NSX[@]}" curl -sS --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=sockaccel_redirected_bytes_total{cgroup=\"$A_REL\"}" 2>/dev/null |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
# Traffic in the background while Prometheus scrapes: short streams in a row.
(
	for i in $(seq 40); do
		run_in "$SA_NS" "$SA_CG" "$SA_STREAM" server -l 127.0.0.1 -p $((6000 + i)) --sync --echo \
			--bytes $((512 << 10)) --seed "$i" -t 30 >/dev/null 2>&1 &
		sleep 0.2
		run_in "$SA_NS" "$SA_CG" "$SA_STREAM" client -c 127.0.0.1 -p $((6000 + i)) --sync \
			--bytes $((512 << 10)) --seed "$i" -t 30 >/dev/null 2>&1
		wait
		sleep 0.3
	done
) &
traffic=$!
echo "$traffic" >>"$SA_REG/pids"
first= ; last=
for _ in $(seq 60); do
	v=$(pq)
	if [ -n "$v" ]; then
		[ -n "$first" ] || first=$v
		last=$v
		[ "${last%.*}" -gt "${first%.*}" ] && break
	fi
	sleep 1
done
info "Prometheus: sockaccel_redirected_bytes_total{cgroup=\"$A_REL\"} $first -> $last"
[ -n "$first" ] || { tail -20 "$SA_TMP/prometheus.log"; fail "Prometheus never had the series"; }
assert_ge "${last%.*}" $(( ${first%.*} + 1 )) "redirected bytes rising in Prometheus"
kill "$traffic" 2>/dev/null
wait "$traffic" 2>/dev/null
kill "$prom"
wait_pid "$prom" 20 >/dev/null

# --- SIGTERM: the metrics thread does not hold up the graceful drain
kill -TERM "$loader"
wait_pid "$loader" 60
rc=$?
sed 's/^/loader: /' "$SA_TMP/loader.log"
assert_eq "$rc" 0 "loader exit status after SIGTERM"
grep -q "^detached $SA_CG " "$SA_TMP/loader.log" || fail "SIGTERM: $SA_CG not detached"
assert_eq "$(cg_links "$SA_CG")" 0 "SIGTERM: nothing left attached"
