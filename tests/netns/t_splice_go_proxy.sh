# A Go io.Copy proxy (tests/tools/go-proxy) between an sa-integrity client and
# server, all three in the attached cgroup, default policy: every connection
# must arrive byte-exact in both directions at both ends.
#
# Go's io.Copy between two *net.TCPConn splices on Linux ((*TCPConn).ReadFrom
# -> internal/poll.Splice: socket -> pipe -> socket, SPLICE_F_NONBLOCK, EAGAIN
# waits on the netpoller). Checked with go1.19.8 (Debian 12) in a netns,
# without sockaccel:
#   strace -f -e trace=splice,read,write,recvfrom,sendto ./go-proxy ...
# with 4 proxied connections of 256 KiB each way: 119 splice() calls
# (splice(sock, NULL, pipe, NULL, 4194304, SPLICE_F_NONBLOCK) = 16 / EAGAIN,
# splice(pipe, NULL, sock, NULL, 16, SPLICE_F_NONBLOCK) = 16, ...) and not one
# read()/write()/recvfrom()/sendto() on the sockets (4 read()s, all startup).
# Data redirected into a socket's ingress queue is invisible to splice()
# (docs/limitations.md), so this test fails unless the programs keep a
# splicing reader's data on a path splice() reads, in order.
#
# What keeps it safe (docs/design.md "Splice readers"), each part checked:
#  1. default load: the proxy is seen splicing (splice_sockets), its name is
#     learned (status: splicers_seen) and its later sockets stay out of the
#     map (skipped_splicer); the first ones were in the map (sockets_added);
#  2. splice detection off (both implementations reported missing): nothing
#     is redirected to a socket before it has read with recv(), which the
#     proxy never does, so its sockets stay in the map (4 per connection) and
#     every byte still arrives (safe by construction).
# SA_SPLICE_CONNS (default 200; 40 in the kernel-matrix VM) and SA_SPLICE_TIMEOUT (default 40 s; 150 in the VM; per
# sa-integrity run) scale it for slow machines.
# timeout: 400
. "$SA_LIB"
. "$SA_ROOT/tests/netns/integrity_lib.sh"
need_cmd go

# In the kernel-matrix VM (SA_VM: software emulation, ~20x slower) a lighter load.
if [ -n "${SA_VM:-}" ]; then CONNS=${SA_SPLICE_CONNS:-40} TMO=${SA_SPLICE_TIMEOUT:-150}
else CONNS=${SA_SPLICE_CONNS:-200} TMO=${SA_SPLICE_TIMEOUT:-40}; fi
PPORT=6000 BPORT=6001

# Build with the standard library only, everything inside $SA_TMP, no network.
mkdir -p "$SA_TMP/go"
env HOME="$SA_TMP/go" GOCACHE="$SA_TMP/go/cache" GOPATH="$SA_TMP/go/path" \
	GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
	go build -o "$SA_TMP/go-proxy" "$SA_ROOT/tests/tools/go-proxy/main.go" ||
	fail "go build of tests/tools/go-proxy failed"

# start_proxy: the proxy in $SA_NS+$SA_CG; PROXY is its pid.
PROXY=""
start_proxy() {
	bg_in "$SA_NS" "$SA_CG" "$SA_TMP/go-proxy" -l "127.0.0.1:$PPORT" -b "127.0.0.1:$BPORT" \
		>"$SA_TMP/go-proxy.out" 2>"$SA_TMP/go-proxy.err"
	PROXY=$BG_PID	# the go-proxy process itself (ip netns exec execs it)
	wait_port "$SA_NS" "$PPORT"
}
# Stop it and show what it saw (its summary line comes on SIGTERM).
stop_proxy() {
	[ -n "$PROXY" ] || return 0
	proxy_stop "$PROXY" "$SA_TMP/go-proxy.err" go-proxy
	PROXY=""
	info "$(cat "$SA_TMP/go-proxy.out")"
}
trap stop_proxy EXIT
# run_rounds LABEL: both rounds through a fresh proxy, which must have
# forwarded every byte; sets ADDED/REDIR/SEEN/SKIPPED (counter deltas).
run_rounds() {
	local a0 r0 s0 k0
	a0=$(stats_get sockets_added) r0=$(stats_get redirected_bytes)
	s0=$(stats_get splice_sockets) k0=$(stats_get skipped_splicer)
	PROXIED_CONNS=0 PROXIED_BYTES=0
	start_proxy
	proxy_rounds "go-$1" "$PPORT" "$BPORT" "$CONNS" "$TMO"
	stop_proxy
	grep -q "^go-proxy: conns $PROXIED_CONNS copied_bytes $PROXIED_BYTES copy_errors 0\$" \
		"$SA_TMP/go-proxy.out" || fail "go-proxy summary: $(cat "$SA_TMP/go-proxy.out")"
	ADDED=$(( $(stats_get sockets_added) - a0 )) REDIR=$(( $(stats_get redirected_bytes) - r0 ))
	SEEN=$(( $(stats_get splice_sockets) - s0 )) SKIPPED=$(( $(stats_get skipped_splicer) - k0 ))
	info "$1: sockets_added +$ADDED, redirected_bytes +$REDIR, splice_sockets +$SEEN, skipped_splicer +$SKIPPED"
}

# 1. default load, splice detection as this kernel has it
load "$SA_CG"
det=$($SA_CTL -j status | jq -r '.features[] | select(.name == "splice_detection") | .in_use')
info "splice detection: $det"
run_rounds default
# client and server ends, per connection, are always in the map
assert_ge "$ADDED" $((2 * PROXIED_CONNS)) "sockets_added (client and server sockets)"
if [ "$det" != null ]; then
	assert_ge "$SEEN" 1 "splice_sockets: the proxy was not seen splicing"
	assert_ge "$SKIPPED" $((2 * PROXIED_CONNS - 2 * 16)) "skipped_splicer: the learned proxy's later sockets"
	assert_eq "$($SA_CTL -j status | jq -r '[.splicers_seen[].comm] | index("go-proxy") != null')" true \
		"status splicers_seen lists go-proxy"
	$SA_CTL status | grep -q '^  go-proxy' || fail "status (text) does not list go-proxy as a splice reader"
fi
$SA_CTL teardown >/dev/null || fail "teardown"

# 2. no splice detection: safe by construction
SOCKACCEL_TEST_MISSING_FEATURE=fentry/tcp_splice_read,tp/syscalls/sys_enter_splice \
	$SA_LOADER "$SA_CG" >/dev/null 2>&1 || fail "load without splice detection"
assert_eq "$($SA_CTL -j status | jq -r '.features[] | select(.name == "splice_detection") | .in_use')" \
	null "splice detection off"
run_rounds undetected
# client + proxy accepted + proxy dialled + server accepted, per connection
assert_ge "$ADDED" $((4 * PROXIED_CONNS)) "sockets_added (the proxy's sockets were in the map)"
assert_eq "$SEEN" 0 "splice_sockets without detection"
