# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Matrix: real servers on loopback inside the bench netns, started here with a
# config in the scratch directory: redis-server + redis-benchmark, and
# nginx + wrk (small and large static responses). Plain vs accelerated; each
# run checks that the tools saw zero errors.
# Sourced by bench/run.sh. Uses REPS, REDIS_REQUESTS, REDIS_CLIENTS, WRK_TIME, WRK_CONNS.

declare -A REDIS_PORT=([plain]=6379 [accel]=6380 [bare]=6381)
declare -A REDIS_PID=()

redis_info() { # MODE: "total_error_replies rejected_connections total_commands_processed"
	inmode "$1" redis-cli -h 127.0.0.1 -p "${REDIS_PORT[$1]}" info stats 2>/dev/null | tr -d '\r' |
		awk -F: '{ v[$1] = $2 } END { printf "%d %d %d\n", v["total_error_replies"], v["rejected_connections"], v["total_commands_processed"] }'
}

redis_one() {
	local mode=$1 rep=$2 out before after i0 i1 rc
	i0=$(redis_info "$mode")
	before=$(stats "$mode")
	run_in "$mode" timeout 300 $(cpu client) redis-benchmark -h 127.0.0.1 -p "${REDIS_PORT[$mode]}" -t set,get \
		-n "$REDIS_REQUESTS" -c "$REDIS_CLIENTS" -d 64 --csv 2>"$TMPD/redis-benchmark.err"
	rc=$?
	out=$FG_OUT
	after=$(stats "$mode")
	i1=$(redis_info "$mode")
	local -a a=($i0) b=($i1)
	local errs=$((b[0] - a[0])) rejected=$((b[1] - a[1])) cmds=$((b[2] - a[2]))
	local stderr_lines
	stderr_lines=$(grep -ciE 'error|fail' "$TMPD/redis-benchmark.err")
	local tests
	tests=$(tr -d '\r' <<<"$out" | awk -F'","' 'NR > 1 && NF >= 8 {
		gsub(/"/, ""); split($0, f, ",")
		printf "%s{\"test\":\"%s\",\"rps\":%s,\"lat_mean_ms\":%s,\"lat_p50_ms\":%s,\"lat_p99_ms\":%s,\"lat_max_ms\":%s}", (n++ ? "," : ""), f[1], f[2], f[3], f[5], f[7], f[8]
	}')
	if [ $rc -ne 0 ] || [ -z "$tests" ]; then
		log "redis-benchmark $mode failed (exit $rc): $(head -c 300 "$TMPD/redis-benchmark.err")"
		record "{\"bench\":\"redis\",\"mode\":\"$mode\",\"rep\":$rep,\"error\":\"redis-benchmark exit $rc\"}"
		return 0
	fi
	# every request must have been executed: SET and GET, REDIS_REQUESTS each
	local missing=$((2 * REDIS_REQUESTS - cmds))
	((missing < 0)) && missing=0
	((errs + rejected + missing + stderr_lines)) &&
		log "WARNING: redis $mode: error replies $errs, rejected connections $rejected, missing commands $missing, stderr error lines $stderr_lines"
	local t
	for t in $(jq -r '.[].test' <<<"[$tests]"); do
		record "$(jq -c --arg mode "$mode" --argjson rep "$rep" --arg t "$t" \
			--argjson ctr "$(stats_delta "$before" "$after")" \
			--argjson e "{\"error_replies\":$errs,\"rejected_connections\":$rejected,\"missing_commands\":$missing,\"stderr_error_lines\":$stderr_lines}" \
			'.[] | select(.test == $t) | {bench: "redis", mode: $mode, test, rep: $rep, requests: '"$REDIS_REQUESTS"',
			clients: '"$REDIS_CLIENTS"', rps, lat_mean_ms, lat_p50_ms, lat_p99_ms, lat_max_ms,
			errors: $e, errors_total: ($e | add), counters: $ctr}' <<<"[$tests]")"
	done
}

bench_redis() {
	local rep mode
	if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
		log "redis-server/redis-benchmark not installed: skipping redis"
		return 0
	fi
	log "redis: redis-benchmark -t set,get -d 64 -n $REDIS_REQUESTS -c $REDIS_CLIENTS, $REPS repetitions"
	for mode in "${SVC_MODES[@]}"; do
		mkdir -p "$TMPD/redis-$mode"
		start_bg "$mode" "$TMPD/redis-$mode/stdout.log" $(cpu server) redis-server --bind 127.0.0.1 --port "${REDIS_PORT[$mode]}" \
			--save "" --appendonly no --protected-mode no --daemonize no --dir "$TMPD/redis-$mode" \
			--logfile "$TMPD/redis-$mode/redis.log" --io-threads 1
		REDIS_PID[$mode]=$BG_PID
		wait_listen "${REDIS_PORT[$mode]}" "$BG_PID" || return 1
	done
	for rep in $(seq "$REPS"); do
		for mode in $(order "$rep" "${SVC_MODES[@]}"); do
			redis_one "$mode" "$rep"
		done
	done
	for mode in "${SVC_MODES[@]}"; do stop_bg "${REDIS_PID[$mode]}"; done
}

declare -A NGINX_PORT=([plain]=8080 [accel]=8081 [bare]=8082)
declare -A NGINX_PID=()
NGINX_FILES=(small:128 large:1048576)

nginx_conf() { # MODE
	local d=$TMPD/nginx-$1
	mkdir -p "$d/tmp"
	cat >"$d/nginx.conf" <<EOF
# written by sockaccel bench/m-servers.sh
user root;
daemon off;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	server {
		listen 127.0.0.1:${NGINX_PORT[$1]};
		root $TMPD/www;
	}
}
EOF
	echo "$d/nginx.conf"
}

wrk_one() {
	local mode=$1 name=$2 rep=$3 out before after
	before=$(stats "$mode")
	run_in "$mode" timeout $((WRK_TIME + 30)) $(cpu client) wrk -t1 -c"$WRK_CONNS" -d"${WRK_TIME}s" --timeout 5s \
		-s "$BENCH_DIR/wrk-report.lua" "http://127.0.0.1:${NGINX_PORT[$mode]}/$name.bin" 2>&1
	out=$(grep '^{' <<<"$FG_OUT")
	after=$(stats "$mode")
	if [ -z "$out" ]; then
		log "wrk $mode /$name failed"
		record "{\"bench\":\"nginx\",\"mode\":\"$mode\",\"test\":\"$name\",\"rep\":$rep,\"error\":\"wrk failed\"}"
		return 0
	fi
	local size=${NGINX_SIZE[$name]}
	record "$(jq -c --arg mode "$mode" --arg name "$name" --argjson size "$size" --argjson rep "$rep" \
		--argjson ctr "$(stats_delta "$before" "$after")" \
		'{bench: "nginx", mode: $mode, test: $name, size: $size, rep: $rep, connections: '"$WRK_CONNS"'} + .
		+ {errors_total: (.errors | add), counters: $ctr}' <<<"$out")"
	if [ "$(jq '.errors | add' <<<"$out")" != 0 ]; then
		log "WARNING: wrk $mode /$name reported errors: $(jq -c .errors <<<"$out")"
	fi
	# every byte accounted for: response bytes / requests must be at least the body size
	jq -e --argjson size "$size" '.requests > 0 and (.bytes / .requests) >= $size' <<<"$out" >/dev/null ||
		log "WARNING: wrk $mode /$name: short responses ($(jq -c '{requests, bytes}' <<<"$out"))"
}
declare -A NGINX_SIZE=()

bench_nginx() {
	local rep mode f name
	if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
		log "nginx/wrk not installed: skipping nginx"
		return 0
	fi
	mkdir -p "$TMPD/www"
	for f in "${NGINX_FILES[@]}"; do
		name=${f%%:*}
		NGINX_SIZE[$name]=${f#*:}
		head -c "${f#*:}" /dev/urandom >"$TMPD/www/$name.bin"
	done
	chmod -R a+rX "$TMPD/www"
	log "nginx: wrk -t1 -c$WRK_CONNS ${WRK_TIME}s, responses ${NGINX_FILES[*]} bytes, $REPS repetitions"
	for mode in "${SVC_MODES[@]}"; do
		start_bg "$mode" "$TMPD/nginx-$mode.log" $(cpu server) nginx -c "$(nginx_conf "$mode")" -e "$TMPD/nginx-$mode/error.log"
		NGINX_PID[$mode]=$BG_PID
		wait_listen "${NGINX_PORT[$mode]}" "$BG_PID" || { cat "$TMPD/nginx-$mode.log" >&2; return 1; }
	done
	for rep in $(seq "$REPS"); do
		for f in "${NGINX_FILES[@]}"; do
			for mode in $(order "$rep" "${SVC_MODES[@]}"); do
				wrk_one "$mode" "${f%%:*}" "$rep"
			done
		done
	done
	for mode in "${SVC_MODES[@]}"; do stop_bg "${NGINX_PID[$mode]}"; done
}
