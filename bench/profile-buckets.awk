# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Groups the samples of `perf script -F comm,tid,period,ip,sym` (with call
# chains) into the cost buckets of a request/response round trip, for
# bench/profile.sh. Each sample goes to the bucket of the deepest frame of its
# chain that is an "anchor" below (leaf first); helpers without an anchor of
# their own (locks, copies, allocators, retpoline thunks) count for the
# nearest anchored caller. Output: one line per bucket and comm group,
#   GROUP<TAB>BUCKET<TAB>SAMPLES<TAB>PERIOD_NS
# GROUP is "app" for the threads given as -v pids="TID ..." (or, without
# pids, for the comm given as -v comm=NAME; on a shared machine other
# sessions run the same tools: prefer pids), "kworker" for kernel
# workers whose chain has sk_psock_backlog, "bpf_prog:NAME" lines count the
# samples inside each BPF program (any comm), and everything else is skipped.

function bucket_of(sym, ip,    n) {
	if (ip !~ /^ffffffff/) return "user space"
	if (sym ~ /^bpf_prog_[0-9a-f]+_/) {
		n = sym; sub(/^bpf_prog_[0-9a-f]+_/, "", n)
		if (n ~ /sk_msg/) return "sk_msg program"
		if (n ~ /rx_track|recv/) return "read tracking (tp_btf program)"
		if (n ~ /sockops/) return "sockops program"
		return "other BPF programs"
	}
	# map work done by helpers: sockhash redirect lookup, hash maps, socket storage
	if (sym ~ /^(bpf_msg_redirect_hash|sock_hash_|__sock_hash_|htab_|__htab_|lookup_nulls_elem_raw|lookup_elem_raw|bpf_sk_storage_|bpf_local_storage_|__bpf_local_storage|bpf_lru_|pcpu_freelist|array_map_|percpu_array_|bpf_map_)/)
		return "BPF map lookups/updates"
	if (sym ~ /^(bpf_trace_run[0-9]|__bpf_trace_sock_recv_length|__traceiter_sock_recv_length|__bpf_trace_tcp_destroy_sock)/)
		return "read tracking (tp_btf program)"
	if (sym ~ /^(sk_psock_msg_verdict|bpf_prog_run_pin_on_cpu)/) return "sk_msg program"
	if (sym ~ /^(__cgroup_bpf_run_filter_sock_ops|tcp_call_bpf)/) return "sockops program"
	if (sym ~ /^(syscall_trace_enter|syscall_exit_work|trace_sys_enter|trace_sys_exit|perf_syscall_|ftrace_syscall_|__traceiter_sys_|__bpf_trace_sys_)/)
		return "syscall tracepoints"
	if (sym ~ /^(try_to_wake_up|__wake_up|wake_up_q|sock_def_readable|sk_psock_data_ready|sk_psock_verdict_data_ready|ep_poll_callback|default_wake_function|autoremove_wake_function|woken_wake_function|pollwake|sk_stream_write_space|ttwu_)/)
		return "wakeup"
	if (sym ~ /^(schedule|__schedule|schedule_timeout|finish_task_switch|__switch_to|switch_mm|sk_wait_data|wait_woken|sk_wait_event|pick_next_task|__cond_resched|preempt_schedule)/)
		return "sleep, scheduler, context switch"
	if (sym ~ /^(sysvec_|asm_sysvec|__sysvec|hrtimer_|irq_exit|__irq_exit|irqentry_|common_interrupt|asm_common_interrupt)/)
		return "interrupts (timer, IPI)"
	if (sym ~ /^(tcp_recvmsg|tcp_recvmsg_locked|tcp_bpf_recvmsg|tcp_bpf_recvmsg_parser|sk_msg_recvmsg|skb_copy_datagram_iter|__skb_datagram_iter|tcp_rcv_space_adjust|tcp_cleanup_rbuf|tcp_bpf_recv|__tcp_cleanup_rbuf)/)
		return "receive: tcp_recvmsg / tcp_bpf_recvmsg"
	if (sym ~ /^(sk_psock_|bpf_tcp_ingress|tcp_bpf_sendmsg_redir|tcp_bpf_send_verdict|tcp_bpf_push|sk_msg_|__sk_msg_|sk_psock_backlog|bpf_exec_tx_verdict)/)
		return "psock queueing"
	if (sym ~ /^(tcp_sendmsg|tcp_sendmsg_locked|tcp_bpf_sendmsg|tcp_push|__tcp_push_pending_frames|tcp_write_xmit|__tcp_transmit_skb|tcp_skb_entail|tcp_stream_alloc_skb|sk_stream_alloc_skb|tcp_send_mss|tcp_rate_)/)
		return "send: tcp_sendmsg / tcp_bpf_sendmsg"
	if (sym ~ /^(ip_|__ip_|ip6_|__ip6_|dev_|__dev_|loopback_xmit|netif_|__netif_|net_rx_action|__napi_|napi_|process_backlog|do_softirq|__do_softirq|__local_bh_enable|tcp_v4_rcv|tcp_v4_do_rcv|tcp_v6_rcv|tcp_v6_do_rcv|tcp_rcv_|tcp_ack|tcp_data_queue|tcp_queue_rcv|tcp_event_|tcp_clean_rtx_queue|tcp_rack_|nf_hook|__inet_lookup|tcp_add_backlog|__release_sock|tcp_send_ack|__tcp_send_ack)/)
		return "TCP/IP loopback (xmit, softirq, receive)"
	if (sym ~ /^(ksys_read|ksys_write|vfs_read|vfs_write|sock_read_iter|sock_write_iter|sock_sendmsg|sock_recvmsg|__sock_sendmsg|__sys_sendto|__sys_recvfrom|__sys_sendmsg|__sys_recvmsg|__fdget|fdget|__fget|fput|security_|apparmor_|inet_sendmsg|inet_recvmsg|inet6_sendmsg|inet6_recvmsg|rw_verify_area|fsnotify|__fsnotify|aa_|lock_sock|release_sock)/)
		return "socket layer (vfs, sock_*, LSM)"
	if (sym ~ /^(entry_SYSCALL|do_syscall_64|syscall_exit_to_user_mode|exit_to_user_mode|syscall_return|__x64_sys_|x64_sys_call|entry_|arch_exit_to_user|restore_regs|swapgs|native_irq_return)/)
		return "syscall entry/exit"
	return ""
}

BEGIN { n = split(pids, a, /[ ,]+/); for (i = 1; i <= n; i++) if (a[i] != "") want[a[i]] = 1 }

function flush(    i, b, prog, backlog) {
	if (!insample) return
	insample = 0
	backlog = 0
	for (i = 1; i <= nf; i++) {
		if (sy[i] ~ /^sk_psock_backlog/) backlog = 1
		if (sy[i] ~ /^bpf_prog_[0-9a-f]+_/) { prog = sy[i]; sub(/^bpf_prog_[0-9a-f]+_/, "", prog) }
	}
	if (prog != "") { ps["bpf_prog:" prog]++; pp["bpf_prog:" prog] += per }
	if (pids != "" ? (tid in want) : (cm == comm)) g = "app"
	else if (cm ~ /^kworker/ && backlog) g = "kworker"
	else return
	b = ""
	# kernel.bpf_stats_enabled: bpf_prog_run() reads the clock before and after
	# every program run (sched_clock, pvclock in a VM), inlined into its caller
	for (i = 1; i < nf && b == ""; i++)
		if (sy[i] ~ /^sched_clock/ && sy[i + 1] ~ /^(bpf_trace_run|bpf_prog_run|__bpf_prog_run|__cgroup_bpf_run|sk_psock_msg_verdict|bpf_prog_[0-9a-f]+_)/)
			b = "BPF run-time stats clock reads"
	for (i = 1; i <= nf && b == ""; i++) b = bucket_of(sy[i], ipa[i])
	if (b == "") b = (nf > 0 && ipa[1] ~ /^ffffffff/) ? "other kernel" : "user space"
	s[g "\t" b]++
	p[g "\t" b] += per
}

# header: "comm tid period"; the comm may hold spaces, the last two fields do not
/^[^ \t]/ {
	flush()
	insample = 1; nf = 0
	per = $NF; tid = $(NF - 1); cm = $0
	sub(/[ \t]+[0-9]+[ \t]+[0-9]+[ \t]*$/, "", cm)
	next
}
/^[ \t]+[0-9a-f]+ / {
	nf++; ipa[nf] = $1; sy[nf] = $2
	sub(/\+0x[0-9a-f]+$/, "", sy[nf])
	next
}
/^[ \t]*$/ { flush() }
END {
	flush()
	for (k in s) print k "\t" s[k] "\t" p[k]
	for (k in ps) print k "\t\t" ps[k] "\t" pp[k]
}
