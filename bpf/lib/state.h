/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The per-connection state machine (docs/design.md, "Per-direction state").
 * One struct sa_sock_state per socket describes the direction "this socket's
 * sends". Every mode change goes through sa_set_mode(), which counts it.
 */
#ifndef SA_BPF_STATE_H
#define SA_BPF_STATE_H

#include <bpf/bpf_core_read.h>
#include "maps.h"
#include "counters.h"

#define SA_SOCK_RCVBUF_LOCK 2	/* include/net/sock.h, not in vmlinux.h */

static __always_inline struct sa_config *sa_config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sa_config, &zero);
}

/*
 * Bound on bytes redirected to socket sk and not yet read by it. Plain TCP
 * lets at most the receive buffer queue up at a receiver: the application's
 * SO_RCVBUF when it set one, else the ceiling autotuning can grow the buffer
 * to (tcp_rmem[2] of the socket's netns). The loader's --max-unread replaces
 * the latter.
 */
static __always_inline __u64 sa_rx_limit(struct sock *sk)
{
	struct sa_config *cfg = sa_config_get();
	__u64 rcvbuf = (__u32)sk->sk_rcvbuf, bound;

	/* A bitfield before Linux 6.2 (a u8 since): read it the CO-RE way. */
	if (BPF_CORE_READ_BITFIELD(sk, sk_userlocks) & SA_SOCK_RCVBUF_LOCK)
		return rcvbuf;
	/* The operator's explicit bound is taken as it is (docs/usage.md). */
	if (cfg && cfg->max_unread)
		return cfg->max_unread;
	bound = (__u32)sk->__sk_common.skc_net.net->ipv4.sysctl_tcp_rmem[2];
	/* Redirected bytes waiting in the reader's queue count against its
	 * receive memory, and while the reader is inside recvmsg() every TCP
	 * segment for it goes through the socket backlog, which drops it once
	 * that memory passes ~2 x sk_rcvbuf (+ sndbuf/2 + 64 KiB headroom,
	 * tcp_add_backlog). A dropped FIN comes back after an RTO; a dropped
	 * RST never does, and the reader then waits forever (measured:
	 * TCPBacklogDrop, docs/limitations.md). Stay under it. */
	return bound < rcvbuf * SA_BACKLOG_SAFE_RCVBUFS ? bound : rcvbuf * SA_BACKLOG_SAFE_RCVBUFS;
}

/* Stream detection is on unless the loader ran with --redirect-streams. */
static __always_inline int sa_stream_detection(const struct sa_config *cfg)
{
	return cfg && !(cfg->flags & SA_CFG_REDIRECT_STREAMS);
}

/* The reasons that take a connection out of the map (sa_try_unmap). */
static __always_inline int sa_reason_leaves_map(__u8 reason)
{
	return reason == SA_R_STREAM || reason == SA_R_SLOW_STREAM || reason == SA_R_PEER_SPLICES;
}

/* Set one SA_RX_* flag: each is bit 0 of its own byte (see sockaccel.h), set
 * by a byte store, so flags set concurrently on other CPUs survive. */
static __always_inline void sa_rx_flag_set(struct sa_rx_progress *rx, int byte)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	byte = 7 - byte;
#endif
	((volatile __u8 *)&rx->flags)[byte] = 1;
}

/* Counter of the transition from the state's current mode to (mode, reason). */
static __always_inline int sa_transition_counter(__u8 from, __u8 to, __u8 reason)
{
	if (to == SA_MODE_TCP && reason == SA_R_PEER_SPLICES)
		return SA_T_PEER_SPLICES;
	if (from == SA_MODE_NEW) {
		if (to == SA_MODE_REDIRECT)
			return SA_T_NEW_REDIRECT;
		return reason == SA_R_AWAIT_READER ? SA_T_NEW_AWAIT_READER : SA_T_NEW_TCP;
	}
	if (from == SA_MODE_TCP && to == SA_MODE_REDIRECT)
		return reason == SA_R_PEER_ACCELERATED ? SA_T_AWAIT_REDIRECT : SA_T_TCP_REDIRECT;
	if (from == SA_MODE_REDIRECT && to == SA_MODE_TCP) {
		if (reason == SA_R_SLOW_READER)
			return SA_T_REDIRECT_TCP_SLOW_READER;
		if (reason == SA_R_DRAINING)
			return SA_T_DRAIN_TCP;
		if (reason == SA_R_STREAM)
			return SA_T_REDIRECT_TCP_STREAM;
		return SA_T_REDIRECT_TCP_PEER_GONE;
	}
	return -1;
}

static __always_inline void sa_set_mode(struct sa_sock_state *st, __u8 mode, __u8 reason)
{
	int c;

	if (st->mode == mode) {
		st->reason = reason;
		return;
	}
	c = sa_transition_counter(st->mode, mode, reason);
	if (c >= 0)
		count(c, 1);
	if (mode == SA_MODE_TCP || mode == SA_MODE_OFF)
		sa_cg_fallback(st, reason);
	st->mode = mode;
	st->reason = reason;
	st->transitions++;
	st->mode_since_ns = bpf_ktime_get_ns();
}

/* TCP -> REDIRECT is allowed only for these reasons: the bytes that went
 * over TCP are all accounted in tx_*_bytes, so "the peer read them all" is
 * provable. SENT_BEFORE_INSERT is not: bytes went out before we counted. */
static __always_inline int sa_reason_recoverable(__u8 reason)
{
	return reason == SA_R_PEER_NOT_IN_MAP || reason == SA_R_PEER_GONE ||
	       reason == SA_R_SLOW_READER || reason == SA_R_AWAIT_READER;
}

/*
 * The proof every move to redirect needs: the peer has read with recvmsg
 * (the read accounting saw it) every byte this socket has sent. It keeps
 * the order (TCP bytes are never overtaken), and it keeps splice readers
 * safe by construction (docs/design.md "Splice readers"): splice() cannot see
 * redirected data and its reads are never counted, so a socket read only
 * with splice never receives any.
 */
static __always_inline int sa_peer_proved_reads(const struct sa_rx_progress *rx, __u64 sent)
{
	return (rx->flags & SA_RX_READS) && rx->read_bytes == sent;
}

/* No read accounting on this kernel: no proof can ever be made. */
static __always_inline int sa_rx_untracked(const struct sa_config *cfg)
{
	return cfg && (cfg->flags & SA_CFG_RX_UNTRACKED);
}

/* Is a graceful detach/teardown draining this connection? Either end's
 * cgroup in the drain set, or everything (teardown). */
static __always_inline int sa_draining(const struct sa_config *cfg, const struct sa_sock_state *st,
				       const struct sa_rx_progress *peer_rx)
{
	if (!cfg || !(cfg->flags & (SA_CFG_DRAIN_CGROUPS | SA_CFG_DRAIN_ALL)))
		return 0;
	if (cfg->flags & SA_CFG_DRAIN_ALL)
		return 1;
	if (bpf_map_lookup_elem(&drain, &st->cgroup_id))
		return 1;
	return peer_rx && bpf_map_lookup_elem(&drain, &peer_rx->cgroup_id);
}

/* The socket's cgroup v2 id, read through BTF (sockops may run in softirq,
 * where the current task's cgroup is unrelated). */
static __always_inline __u64 sa_sock_cgroup_id(struct sock *sk)
{
	struct cgroup *cg = sk->sk_cgrp_data.cgroup;

	return cg ? cg->kn->id : 0;
}

/*
 * The percg_counters slot of the attached cgroup sk belongs to: the deepest
 * of its cgroup and the cgroup's ancestors that is in the "cgroups" hash
 * (programs attached to a cgroup run for its descendants too). Walked
 * through BTF (cgroup->self.parent, in every kernel we support) rather than
 * bpf_sk_ancestor_cgroup_id(), which sockops programs may not call. Runs at
 * insertion only. 0: none (totals only).
 */
static __always_inline __u16 sa_cg_slot_of(struct sock *sk)
{
	struct cgroup *cg = sk->sk_cgrp_data.cgroup;
	struct cgroup_subsys_state *parent;
	struct sa_cgroup_info *info;
	__u64 id;

	for (int i = 0; i < SA_CG_MAX_DEPTH; i++) {
		if (!cg)
			break;
		id = cg->kn->id;
		info = bpf_map_lookup_elem(&cgroups, &id);
		if (info)
			return info->slot < SA_CG_SLOTS ? info->slot : 0;
		parent = cg->self.parent;
		cg = parent ? parent->cgroup : NULL;
	}
	return 0;
}

#endif
