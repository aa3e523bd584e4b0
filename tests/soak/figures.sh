# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The soak's leak figures, as one JSON object each. Sourced by soak.sh.
#
# figures_loaded: what sockaccel holds, read while it is loaded:
#   map_entries (sockaccelctl -j status: sock_map), entries of every hash/LRU
#   map in the pin dir (bpftool map dump), their memory (bpftool's
#   bytes_memlock), conns_open (`sockaccelctl -j conns`: the sockets with
#   sockaccel's sk_storage state still open; the kernel refuses sk_storage
#   map iterators here, and an SK_STORAGE map has no get_next_key), and the
#   soak netns's own sockstat (TCP inuse and tw are per network namespace).
# figures_global: what the whole machine shows (shared, so compared with a
#   tolerance): /proc/net/sockstat of the root netns (sockets used, TCP
#   alloc/orphan/mem are machine-wide) and /proc/slabinfo's socket caches.

SLAB_CACHES=(TCP TCPv6 tw_sock_TCP tw_sock_TCPv6 request_sock_TCP sock_inode_cache)

# sockstat_json FILE-CONTENT: {"sockets_used", "tcp_inuse", "tcp_orphan", "tcp_tw", "tcp_alloc", "tcp_mem"}
sockstat_json() {
	awk '$1 == "sockets:" { u = $3 }
	     $1 == "TCP:" { for (i = 2; i < NF; i += 2) t[$i] = $(i + 1) }
	     END { printf "{\"sockets_used\":%d,\"tcp_inuse\":%d,\"tcp_orphan\":%d,\"tcp_tw\":%d,\"tcp_alloc\":%d,\"tcp_mem\":%d}\n",
		   u, t["inuse"], t["orphan"], t["tw"], t["alloc"], t["mem"] }'
}

figures_loaded() {
	local m out maps='{}' name type n mem
	for m in "$PIN"/*; do
		name=${m##*/}
		out=$(bpftool -j map show pinned "$m" 2>/dev/null) || continue	# programs and links
		type=$(jq -r .type <<<"$out")
		mem=$(jq '.bytes_memlock // 0' <<<"$out")
		case $type in
		hash | lru_hash | sockhash)
			n=$(bpftool -j map dump pinned "$m" 2>/dev/null | jq 'length' 2>/dev/null) || n=null ;;
		*) n=null ;;
		esac
		maps=$(jq -c --arg k "$name" --arg t "$type" --argjson n "${n:-null}" --argjson mem "$mem" \
			'. + {($k): {type: $t, entries: $n, bytes: $mem}}' <<<"$maps")
	done
	jq -nc --argjson st "$(ctl -j status)" --argjson maps "$maps" \
		--argjson conns "$(ctl -j conns 2>/dev/null | jq 'length' 2>/dev/null || echo null)" \
		--argjson ns "$(ip netns exec "$NS" cat /proc/net/sockstat | sockstat_json)" \
		--argjson listen "$(ip netns exec "$NS" ss -Htln 2>/dev/null | awk '{ sub(/.*:/, "", $4); print $4 }' | sort -u | wc -l)" \
		'{map_entries: $st.map_entries, attached: ([$st.cgroups[] | select(.attached)] | length),
		  conns_open: $conns, netns_tcp_inuse: $ns.tcp_inuse, netns_tcp_tw: $ns.tcp_tw,
		  listen_ports: $listen, maps: $maps}'
}

figures_global() {
	local slab='{}' c v
	if [ -r /proc/slabinfo ]; then
		for c in "${SLAB_CACHES[@]}"; do
			v=$(awk -v c="$c" '$1 == c { print $2 }' /proc/slabinfo)
			[ -n "$v" ] && slab=$(jq -c --arg c "$c" --argjson v "$v" '. + {($c): $v}' <<<"$slab")
		done
	fi
	jq -nc --argjson ss "$(sockstat_json </proc/net/sockstat)" --argjson slab "$slab" \
		'{sockstat: $ss, slab_active_objs: $slab}'
}

# leak_loaded BEFORE AFTER: exact comparison of what sockaccel holds. Prints
# one line per figure: "name before after ok|LEAK".
# Exact: entry counts, open sockets with state, netns TCP inuse. Map memory:
# at most LEAK_MAP_BYTES (default 64 KiB) above (allocator caches).
# short_ports is learned, one entry per service port whose sockets ended short
# (docs/design.md "Short-lived connections"): at most one per port the
# namespace listens on (the servers are still up when AFTER is taken).
LEAK_MAP_BYTES=${LEAK_MAP_BYTES:-65536}
leak_loaded() {
	jq -r -n --argjson b "$1" --argjson a "$2" --argjson tol "$LEAK_MAP_BYTES" '
		def row(n; x; y; ok): "\(n) \(x) \(y) \(if ok then "ok" else "LEAK" end)";
		row("sock_map_entries(status)"; $b.map_entries; $a.map_entries; $a.map_entries <= $b.map_entries),
		row("sk_storage_sockets(conns)"; $b.conns_open; $a.conns_open; $a.conns_open != null and $a.conns_open <= $b.conns_open),
		row("netns_tcp_inuse"; $b.netns_tcp_inuse; $a.netns_tcp_inuse; $a.netns_tcp_inuse <= $b.netns_tcp_inuse),
		row("attached_cgroups"; $b.attached; $a.attached; $a.attached == $b.attached),
		($b.maps | keys[] as $k | select($b.maps[$k].entries != null and $k != "short_ports") |
			row("map:\($k):entries"; $b.maps[$k].entries; $a.maps[$k].entries; ($a.maps[$k].entries // 1e18) <= $b.maps[$k].entries)),
		($b.maps | keys[] as $k | select($k == "short_ports" and $b.maps[$k].entries != null) |
			row("map:\($k):entries(<= \($a.listen_ports) listening ports)"; $b.maps[$k].entries; $a.maps[$k].entries;
			    ($a.maps[$k].entries // 1e18) <= ([$b.maps[$k].entries, ($a.listen_ports // 0)] | max))),
		($b.maps | keys[] as $k |
			row("map:\($k):bytes"; $b.maps[$k].bytes; $a.maps[$k].bytes; ($a.maps[$k].bytes // 1e18) <= $b.maps[$k].bytes + $tol))'
}

# leak_global BEFORE AFTER: the machine-wide figures, each at most
# LEAK_GLOBAL_OBJS (default 512) above its baseline: the machine is shared
# (other tests open and close sockets meanwhile), a leak of one socket per
# connection of the soak would be tens of thousands. TIME_WAIT caches are
# reported, not checked (they expire by themselves).
LEAK_GLOBAL_OBJS=${LEAK_GLOBAL_OBJS:-512}
leak_global() {
	jq -r -n --argjson b "$1" --argjson a "$2" --argjson tol "$LEAK_GLOBAL_OBJS" '
		def row(n; x; y; chk): "\(n) \(x) \(y) \(if (chk | not) then "info" elif y <= x + $tol then "ok" else "LEAK" end)";
		row("sockets_used"; $b.sockstat.sockets_used; $a.sockstat.sockets_used; true),
		row("tcp_alloc"; $b.sockstat.tcp_alloc; $a.sockstat.tcp_alloc; true),
		row("tcp_orphan"; $b.sockstat.tcp_orphan; $a.sockstat.tcp_orphan; true),
		row("tcp_mem_pages"; $b.sockstat.tcp_mem; $a.sockstat.tcp_mem; true),
		($b.slab_active_objs | keys[] as $k |
			row("slab:\($k)"; $b.slab_active_objs[$k]; ($a.slab_active_objs[$k] // 0); ($k | test("^tw_") | not)))'
}

# settle CHECK BEFORE FIGURES_FN: FIGURES_FN until CHECK BEFORE AFTER shows no
# LEAK row or 60 s have passed (sockets closing, RCU-freed objects); prints
# the last figures. A wall-clock bound: with a real leak a map dump is slow.
settle() {
	local check=$1 before=$2 fn=$3 end=$((SECONDS + 60)) after
	while :; do
		after=$("$fn")
		{ [ -z "$("$check" "$before" "$after" | grep ' LEAK$')" ] || [ $SECONDS -ge $end ]; } && break
		sleep 1
	done
	echo "$after"
}
