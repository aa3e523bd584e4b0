# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The soak's servers, started once (before the plain phase) and kept until
# the end: redis and nginx in cgroup a; PostgreSQL, memcached and an iperf3
# server in cgroup b. Sourced by soak.sh after lib.sh.

SOAK_TOOLS=(redis-server redis-benchmark redis-cli nginx wrk pgbench memcached memcaslap iperf3 gnuplot jq bpftool setpriv)
PG_BIN=

soak_check_tools() {
	local c missing=()
	for c in "${SOAK_TOOLS[@]}"; do command -v "$c" >/dev/null || missing+=("$c"); done
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/initdb" ] || missing+=("postgres (postgresql)")
	id postgres >/dev/null 2>&1 || missing+=("user postgres (postgresql)")
	id memcache >/dev/null 2>&1 || missing+=("user memcache (memcached)")
	[ ${#missing[@]} = 0 ] || die "missing: ${missing[*]} (make soak installs them: make soak-deps)"
}

# as_pg CMD...: CMD as the postgres user (PostgreSQL refuses root); setpriv
# execs, so the pid stays the command's own.
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

start_servers() {
	local d
	# redis (a)
	mkdir -p "$TMPD/redis"
	start_bg a "$TMPD/redis/stdout.log" redis-server --bind 127.0.0.1 --port "${REDIS_PORT[a]}" \
		--save "" --appendonly no --protected-mode no --daemonize no --dir "$TMPD/redis" \
		--logfile "$TMPD/redis/redis.log" --maxclients 2000
	wait_listen "${REDIS_PORT[a]}" "$BG_PID" || die "redis-server did not start"
	# nginx (a): a 4 KiB and a 256 KiB file
	mkdir -p "$TMPD/www"
	head -c 4096 /dev/urandom >"$TMPD/www/small.bin"
	head -c 262144 /dev/urandom >"$TMPD/www/large.bin"
	chmod -R a+rX "$TMPD/www"
	start_bg a "$TMPD/nginx.log" nginx -c "$(nginx_conf a)" -e "$TMPD/nginx-a/error.log"
	wait_listen "${NGINX_PORT[a]}" "$BG_PID" || die "nginx did not start: $(head -c 300 "$TMPD/nginx.log")"
	# memcached (b)
	start_bg b "$TMPD/memcached.log" memcached -u memcache -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 64 -c 4096 -t 2
	wait_listen "$MC_PORT" "$BG_PID" || die "memcached did not start: $(head -c 300 "$TMPD/memcached.log")"
	# iperf3 (b)
	start_bg b "$TMPD/iperf3-server.log" iperf3 -s -p "$IPERF_PORT"
	wait_listen "$IPERF_PORT" "$BG_PID" || die "iperf3 -s did not start"
	# PostgreSQL (b): a throw-away cluster, no durability (a benchmark, not a database)
	d=$TMPD/pg
	mkdir -p "$d" && chown postgres "$d"
	as_pg "$PG_BIN/initdb" -D "$d/data" -A trust -U postgres >"$TMPD/initdb.log" 2>&1 ||
		die "initdb failed: $(tail -n 3 "$TMPD/initdb.log")"
	start_bg b "$TMPD/postgres.log" setpriv --reuid=postgres --regid=postgres --init-groups \
		"$PG_BIN/postgres" -D "$d/data" -c listen_addresses=127.0.0.1 -p "$PG_PORT" -k "$d" \
		-c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off
	wait_listen "$PG_PORT" "$BG_PID" || die "postgres did not start: $(tail -n 3 "$TMPD/postgres.log")"
	inmode b pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 2 -q postgres >"$TMPD/pgbench-init.log" 2>&1 ||
		die "pgbench -i failed: $(tail -n 3 "$TMPD/pgbench-init.log")"
	log "servers up: redis :${REDIS_PORT[a]}, nginx :${NGINX_PORT[a]} (cgroup a); postgres :$PG_PORT, memcached :$MC_PORT, iperf3 :$IPERF_PORT (cgroup b)"
}
