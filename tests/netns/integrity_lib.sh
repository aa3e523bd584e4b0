# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers of the t_integrity_*.sh tests (source after lib.sh):
# pair, summ and jget around tools/sa-integrity.
SAI=$SA_BUILD/sa-integrity
need_bin sa-integrity
PORT=5100

# summ FILE: the interesting part of an sa-integrity JSON summary, one line
summ() {
	jq -c '{ok, conns_ok, conns_failed, bytes_sent, bytes_received, seconds}
		+ with_entries(select((.key | test("eagain|fionread|short|timeouts|wakeups"))
				      and .value != 0))
		+ (if .rst then {rst: (.rst | del(.detail))} else {} end)
		+ (if (.errors | length) > 0 then {errors: .errors[:3]} else {} end)' "$1" \
		2>/dev/null || { echo "(no JSON)"; cat "$1"; }
}

# pair NAME ADDR "SERVER ARGS" "CLIENT ARGS" COMMON ARGS...
# sa-integrity server (background) and client on the next PORT, both in
# $SA_NS+$SA_CG; fails the test unless both exit 0. JSON summaries in
# $SA_TMP/NAME.server.json and NAME.client.json.
pair() {
	local name=$1 addr=$2 sargs=$3 cargs=$4 spid rc src r
	shift 4
	PORT=$((PORT + 1))
	# shellcheck disable=SC2086 # word splitting of the role-only args is wanted
	bg_in "$SA_NS" "$SA_CG" "$SAI" server -l "$addr" -p "$PORT" --json -t 60 $sargs "$@" \
		>"$SA_TMP/$name.server.json" 2>"$SA_TMP/$name.server.err"
	spid=$BG_PID
	wait_port "$SA_NS" "$PORT"
	# shellcheck disable=SC2086
	run_in "$SA_NS" "$SA_CG" "$SAI" client -c "$addr" -p "$PORT" --json -t 60 $cargs "$@" \
		>"$SA_TMP/$name.client.json" 2>"$SA_TMP/$name.client.err"
	rc=$?
	wait_pid "$spid" 70
	src=$?
	for r in server client; do
		sed "s/^/# $name $r: /" "$SA_TMP/$name.$r.err"
		info "$name $r: $(summ "$SA_TMP/$name.$r.json")"
	done
	[ "$rc" = 0 ] && [ "$src" = 0 ] ||
		fail "$name: sa-integrity client exit $rc, server exit $src"
}

# jget NAME ROLE FILTER: jq -r FILTER on NAME's ROLE summary
jget() { jq -r "$3" "$SA_TMP/$1.$2.json"; }

# pair_start SERVER_CG CLIENT_CG "SERVER ARGS" ARGS...: an sa-integrity
# server (in SERVER_CG, with SERVER ARGS) and client (CLIENT_CG) on the next
# PORT, both in $SA_NS, in the background, with ARGS for both. Sets SPID CPID;
# the JSON summaries go to $SA_TMP/{server,client}-PORT.json.
pair_start() {
	local scg=$1 ccg=$2 sargs=$3
	shift 3
	PORT=$((PORT + 1))
	# shellcheck disable=SC2086 # word splitting of the server-only args is wanted
	bg_in "$SA_NS" "$scg" "$SAI" server -l 127.0.0.1 -p "$PORT" --json -t 120 "$@" $sargs \
		>"$SA_TMP/server-$PORT.json" 2>"$SA_TMP/server-$PORT.err"
	SPID=$BG_PID
	wait_port "$SA_NS" "$PORT"
	bg_in "$SA_NS" "$ccg" "$SAI" client -c 127.0.0.1 -p "$PORT" --json -t 120 "$@" \
		>"$SA_TMP/client-$PORT.json" 2>"$SA_TMP/client-$PORT.err"
	CPID=$BG_PID
}

# pair_finish BYTES [expect_fail]: wait for both ends of PORT; unless
# expect_fail, both must exit 0 and the server must have BYTES.
pair_finish() {
	local crc src
	wait_pid "$CPID" 120
	crc=$?
	wait_pid "$SPID" 60
	src=$?
	[ "${2:-}" = expect_fail ] && return 0
	cat "$SA_TMP/server-$PORT.err" "$SA_TMP/client-$PORT.err"
	[ $crc = 0 ] && [ $src = 0 ] || fail "port $PORT: stream not intact (client $crc, server $src)"
	assert_eq "$(jq .bytes_received "$SA_TMP/server-$PORT.json")" "$1" "port $PORT: bytes received"
}

# held_start SERVER_CG CLIENT_CG ARGS...: pair_start with the server's reads
# held until $HOLD exists (set here). held_finish BYTES [expect_fail]: create
# $HOLD, then pair_finish.
held_start() {
	HOLD=$SA_TMP/go-$((PORT + 1))
	pair_start "$1" "$2" "--hold-file $HOLD" "${@:3}"
}
# held_both_start SERVER_CG CLIENT_CG ARGS...: held_start with neither end
# reading until held_finish, so both sockets stay open until then however
# slow the machine is (a client that has read everything closes).
held_both_start() { held_start "$1" "$2" --hold-file "$SA_TMP/go-$((PORT + 1))" "${@:3}"; }
# held_until_bound SERVER_CG CLIENT_CG BOUND BYTES SIZE: a held c2s stream of
# BYTES in SIZE writes; returns once the client has redirected up to BOUND
# (the unread bound: the rest waits on TCP).
held_until_bound() {
	local i r0
	r0=$(stats_get redirected_bytes)
	held_start "$1" "$2" --bytes "$4" --direction c2s --sizes "$5"
	for ((i = 0; i < 100; i++)); do
		[ $(( $(stats_get redirected_bytes) - r0 )) -ge $(($3 - (1 << 20))) ] && return
		sleep 0.1
	done
	fail "the client did not redirect $3 bytes"
}
held_finish() {
	touch "$HOLD"
	pair_finish "$@"
}

# conn_tx PORT FIELD: the tx FIELD of the socket whose peer port is PORT
# (the client's, for a server on PORT) in conns
conn_tx() { $SA_CTL -j conns | jq -r "[.[] | select(.remote_port == $1) | .tx.$2] | first"; }
# held_live_start [ARGS...]: a held stream of BYTES in $SA_CG, both directions
# at 1 MiB/s in 64 KiB writes, neither end reading until held_live_finish (so
# the connection outlives whatever the test does meanwhile, however slow the
# machine: in a VM a client that has read all closes before the check);
# returns once its client has sent. ARGS go to both ends (-t SECONDS: its life).
held_live_start() {
	local i
	held_both_start "$SA_CG" "$SA_CG" --bytes "$BYTES" --sizes 64K --write-rate 1M "$@"
	for ((i = 0; i < 300; i++)); do
		case $(conn_tx $PORT mode) in null | new | "") sleep 0.1 ;; *) sleep 0.5; return ;; esac
	done
	fail "the client of port $PORT never sent"
}
held_live_finish() { held_finish "$BYTES"; }

# proxied NAME PROXY_PORT BACKEND_PORT CONNS TIMEOUT "CLIENT ARGS" ARGS...: an sa-integrity
# server on 127.0.0.1:BACKEND_PORT (background) and a client connecting to the
# proxy that listens on 127.0.0.1:PROXY_PORT (started by the caller and
# forwarding to BACKEND_PORT), both in $SA_NS+$SA_CG, CONNS connections,
# CLIENT ARGS (word-split) for the client only, ARGS for both, each end giving up after TIMEOUT s. Prints both summaries;
# fails unless both ends exit 0 and verified all CONNS connections (the
# failure names how many connections failed at each end, and how).
# JSON summaries in $SA_TMP/NAME.{server,client}.json.
proxied() {
	local name=$1 pport=$2 bport=$3 conns=$4 tmo=$5 cargs=$6 spid rc src r bad=""
	shift 6
	bg_in "$SA_NS" "$SA_CG" "$SAI" server -l 127.0.0.1 -p "$bport" --json -t "$((tmo + 5))" \
		--conns "$conns" "$@" >"$SA_TMP/$name.server.json" 2>"$SA_TMP/$name.server.err"
	spid=$BG_PID
	wait_port "$SA_NS" "$bport"
	# shellcheck disable=SC2086 # word splitting of the client-only args is wanted
	run_in "$SA_NS" "$SA_CG" "$SAI" client -c 127.0.0.1 -p "$pport" --json -t "$tmo" \
		--conns "$conns" $cargs "$@" >"$SA_TMP/$name.client.json" 2>"$SA_TMP/$name.client.err"
	rc=$?
	wait_pid "$spid" "$((tmo + 15))"
	src=$?
	for r in server client; do
		head -n 20 "$SA_TMP/$name.$r.err" | sed "s/^/# $name $r: /"
		info "$name $r: $(summ "$SA_TMP/$name.$r.json")"
		# how the failed connections failed (the first 64 errors, by kind)
		info "$name $r errors by kind: $(jq -c '[.errors[]? | .what] | group_by(.)
			| map({(.[0]): length}) | add // {}' "$SA_TMP/$name.$r.json" 2>/dev/null)"
		bad+=" $r: $(jq -r '"\(.conns_ok // 0) ok, \(.conns_failed // 0) failed, \(.conns - (.conns_ok // 0) - (.conns_failed // 0)) unfinished of \(.conns)\(if .timed_out then " (timed out)" else "" end)"' \
			"$SA_TMP/$name.$r.json" 2>/dev/null || echo "no JSON");"
	done
	[ "$rc" = 0 ] && [ "$src" = 0 ] ||
		fail "$name: sa-integrity client exit $rc, server exit $src;$bad"
	assert_eq "$(jget "$name" server .conns_ok)" "$conns" "$name: server: connections verified"
	assert_eq "$(jget "$name" client .conns_ok)" "$conns" "$name: client: connections verified"
}

# proxy_stop PID LOG LABEL: end a proxy the test started (SIGTERM by pid, then
# wait) and show the head of its LOG, on success and on failure alike; nothing
# when PID is empty (already stopped).
proxy_stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait_pid "$1" 10
	head -n 20 "$2" | sed "s/^/# $3: /"
}

# proxy_rounds NAME PROXY_PORT BACKEND_PORT CONNS TIMEOUT: two proxied runs
# through the proxy on PROXY_PORT (forwarding to BACKEND_PORT), both
# directions at once on every connection, 256 KiB each way, 16 at a time:
#  NAME-small: CONNS/2 connections writing right after connect() (no ack),
#    small writes (7..1000 B): many writes per connection, so the default
#    policy's stream detection moves directions between redirect and TCP.
#  NAME-mixed: CONNS connections; the server acks each 16-byte header before
#    data flows (a small request/response first), then writes of 1 B..1 MiB
#    (seeded, log-uniform).
# Adds the connections to PROXIED_CONNS and the bytes the proxy must have
# forwarded (both ways, headers and acks included) to PROXIED_BYTES.
PROXY_BYTES=$((256 << 10))
PROXIED_CONNS=0 PROXIED_BYTES=0
proxy_rounds() {
	local name=$1 pport=$2 bport=$3 conns=$4 tmo=$5
	proxied "$name-small" "$pport" "$bport" "$((conns / 2))" "$tmo" --connect-send-now \
		--parallel 16 --bytes "$PROXY_BYTES" --sizes 7,1000,100,300 --seed 5000
	proxied "$name-mixed" "$pport" "$bport" "$conns" "$tmo" "" \
		--parallel 16 --bytes "$PROXY_BYTES" --sizes mixed --seed 3000
	PROXIED_CONNS=$((PROXIED_CONNS + conns / 2 + conns))
	PROXIED_BYTES=$((PROXIED_BYTES + (conns / 2) * (2 * PROXY_BYTES + 16) +
			 conns * (2 * PROXY_BYTES + 32)))
}
