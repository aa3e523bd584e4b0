# HAProxy (Debian's haproxy, TCP mode) between an sa-integrity client and
# server, all three in the attached cgroup, default policy: every connection
# must arrive byte-exact in both directions at both ends, with
#  a. `option splice-auto` (HAProxy splices when it judges it worth it),
#  b. `option splice-request` + `option splice-response` (always splices).
#
# HAProxy really splices here. Checked with haproxy 2.6.12 (Debian 12) in a
# netns, without sockaccel, 20 connections of 256 KiB each way (mixed sizes):
#   strace -f -e trace=splice,recvfrom,sendto,read,write,readv,writev haproxy -db -f CFG
# a. splice-auto: 47 splice() calls (splice(sock, NULL, pipe, NULL, 1073741824,
#    SPLICE_F_MOVE|SPLICE_F_NONBLOCK) = 65536, splice(pipe, NULL, sock, ...)),
#    332 505 bytes spliced, the rest by 662 recvfrom() / 656 sendto();
# b. splice-request + splice-response: 456 splice() calls carried the
#    streams; only 20 recvfrom() (208 bytes: the first bytes of each
#    connection) and 20 sendto().
# Data redirected into a socket's ingress queue is invisible to splice()
# (docs/limitations.md), so this test fails unless the programs keep a
# splicing reader's data on a path splice() reads, in order.
#
# HAProxy reads the first bytes with recv() and then splices: the kernel
# cannot serve redirected data to it once it switches, so it is on the
# default --splicers list and its sockets never enter the map
# (skipped_splicer: 2 per proxied connection); the client and server ends do.
# With `--splicers none` (the user's override) the test pins what detection
# alone gives: see the end of this file and docs/limitations.md.
#
# SA_SPLICE_CONNS (default 200; 40 in the kernel-matrix VM) and SA_SPLICE_TIMEOUT (default 40 s; 150 in the VM; per
# sa-integrity run) scale it for slow machines.
# timeout: 400
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
need_cmd haproxy

# In the kernel-matrix VM (SA_VM: software emulation, ~20x slower) a lighter load.
if [ -n "${SA_VM:-}" ]; then CONNS=${SA_SPLICE_CONNS:-40} TMO=${SA_SPLICE_TIMEOUT:-150}
else CONNS=${SA_SPLICE_CONNS:-200} TMO=${SA_SPLICE_TIMEOUT:-40}; fi
HAP=""

# haproxy_start NAME PORT BACKEND_PORT OPTION_LINE...: a config in $SA_TMP,
# checked, then `haproxy -db` (foreground) in $SA_NS+$SA_CG; sets HAP (its pid).
haproxy_start() {
	local name=$1 port=$2 bport=$3 o cfg=$SA_TMP/$1.cfg
	shift 3
	{
		printf 'global\n\tmaxconn 1000\n'
		printf 'defaults\n\tmode tcp\n\ttimeout connect 5s\n'
		printf '\ttimeout client %ss\n\ttimeout server %ss\n' "$((TMO + 20))" "$((TMO + 20))"
		for o in "$@"; do printf '\t%s\n' "$o"; done
		printf 'frontend fe\n\tbind 127.0.0.1:%s\n\tdefault_backend be\n' "$port"
		printf 'backend be\n\tserver s1 127.0.0.1:%s\n' "$bport"
	} >"$cfg"
	sed "s/^/# $name.cfg: /" "$cfg"
	haproxy -c -q -f "$cfg" || fail "haproxy -c: $cfg is not valid"
	bg_in "$SA_NS" "$SA_CG" haproxy -db -f "$cfg" >"$SA_TMP/$name.log" 2>&1
	HAP=$BG_PID	# haproxy itself (ip netns exec execs it)
	HAP_NAME=$name
	wait_port "$SA_NS" "$port"
}
haproxy_stop() {
	proxy_stop "$HAP" "$SA_TMP/$HAP_NAME.log" "$HAP_NAME"
	HAP=""
}
trap haproxy_stop EXIT

load "$SA_CG"
assert_eq "$($SA_CTL -j status | jq -c .policy.splicers)" '["haproxy"]' "default --splicers list"
a0=$(stats_get sockets_added)
k0=$(stats_get skipped_splicer)

haproxy_start hap-auto 6100 6101 "option splice-auto"
proxy_rounds hap-auto 6100 6101 "$CONNS" "$TMO"
haproxy_stop

haproxy_start hap-forced 6200 6201 "option splice-request" "option splice-response"
proxy_rounds hap-forced 6200 6201 "$CONNS" "$TMO"
haproxy_stop

a1=$(stats_get sockets_added)
k1=$(stats_get skipped_splicer)
info "sockets_added +$((a1 - a0)), skipped_splicer +$((k1 - k0))"
# client and server ends in the map; haproxy's accepted and connected sockets not
assert_ge $((a1 - a0)) $((2 * PROXIED_CONNS)) "sockets_added (client and server sockets)"
assert_ge $((k1 - k0)) $((2 * PROXIED_CONNS)) "skipped_splicer (haproxy's sockets)"
