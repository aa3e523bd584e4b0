// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockaccel dataplane (docs/design.md).
 *  sa_sock_create: records which process created a TCP socket (policy).
 *  sa_sockops:     every established TCP socket of an attached cgroup whose
 *                  peer is on this host goes into sock_map, keyed by its own
 *                  view, unless policy or its history forbids it.
 *  sa_sk_msg:      runs on each sendmsg(); the per-direction state machine
 *                  chooses redirect into the peer's receive queue or TCP.
 *  sa_rx_track / sa_rx_fexit*: count what accelerated sockets read (the
 *                  slow-reader bound and the proof that lets a direction
 *                  come back); the loader attaches the best one the kernel
 *                  has (lib/feature_table.c).
 *  sa_sock_destroy: frees a destroyed socket's read accounting.
 *  sa_conns_iter / sa_conns_tcp: dump every socket's state for `conns`.
 */
#include "lib/common.h"
#include <bpf/bpf_tracing.h>
#include "lib/maps.h"
#include "lib/counters.h"
#include "lib/key.h"
#include "lib/state.h"
#include "lib/policy.h"

char LICENSE[] SEC("license") = "GPL";

/* errno values (not in vmlinux.h) */
#define SA_EEXIST 17
#define SA_ENOMEM 12
#define SA_E2BIG  7
#define SA_MSG_PEEK 2
#define SA_IPPROTO_TCP 6

/* ------------------------------------------------------------ sock_create */

SEC("cgroup/sock_create")
int sa_sock_create(struct bpf_sock *sk)
{
	struct sa_sock_state *st;

#ifdef SA_BARE
	return 1;
#endif
	if (sk->protocol != SA_IPPROTO_TCP)
		return 1;
	st = bpf_sk_storage_get(&sock_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return 1;
	bpf_get_current_comm(st->comm, sizeof(st->comm));
	st->flags |= SA_F_COMM_SET;
	if (sa_comm_excluded(st->comm))
		st->flags |= SA_F_EXCLUDED_COMM;
	return 1;	/* never refuse a socket */
}

/* ---------------------------------------------------------------- sockops */

static __always_inline void sa_off(struct sa_sock_state *st, __u8 reason, int counter)
{
	st->mode = SA_MODE_OFF;
	st->reason = reason;
	st->mode_since_ns = bpf_ktime_get_ns();
	count(counter, 1);
	sa_cg_fallback(st, reason);
}

/* Reset what a listener's storage passed on (BPF_F_CLONE), keep comm/policy. */
static __always_inline void sa_state_reset(struct sa_sock_state *st,
					   const struct sa_sock_key *key)
{
	st->key = *key;
	st->cookie = 0;
	st->tx_redir_bytes = 0;
	st->tx_tcp_bytes = 0;
	st->tx_redir_msgs = 0;
	st->tx_tcp_msgs = 0;
	st->transitions = 0;
	st->cgroup_id = 0;
	st->cg_slot = 0;
	st->flags &= SA_F_EXCLUDED_COMM | SA_F_COMM_SET;
	st->mode = SA_MODE_NEW;
	st->reason = SA_R_NONE;
	st->mode_since_ns = bpf_ktime_get_ns();
}

/* The key of the short_ports entry of a socket's service port: its local
 * port when it was accepted, its peer's when it connected. */
static __always_inline void sa_port_key_of(struct sa_port_key *pk, const struct sa_sock_state *st)
{
	pk->netns = st->key.netns;
	pk->port = (st->flags & SA_F_PASSIVE) ? st->key.local_port : st->key.remote_port;
	pk->pad = 0;
}

/* 1 when this connection's service port had SA_SHORT_STREAK short-lived
 * sockets in a row (and --accelerate-short is off): not worth inserting. */
static __always_inline int sa_short_lived(const struct sa_config *cfg, const struct sa_sock_state *st)
{
	struct sa_port_key pk;
	struct sa_port_hist *h;

	if (cfg && (cfg->flags & SA_CFG_ACCEL_SHORT))
		return 0;
	sa_port_key_of(&pk, st);
	h = bpf_map_lookup_elem(&short_ports, &pk);
	if (!h || h->streak < SA_SHORT_STREAK)
		return 0;
	__sync_fetch_and_add(&h->skipped, 1);
	return 1;
}

static __always_inline void sa_insert(struct bpf_sock_ops *skops, int passive)
{
	struct sa_rx_progress rx = {};
	struct sa_sock_key key = {};
	struct sa_cg_counters *pc;
	struct sa_sock_state *st;
	struct bpf_sock *sk = skops->sk;
	struct sa_config *cfg;
	struct tcp_sock *tp;
	struct sa_conn c;
	long err;

	if (!sk)
		return;
	SA_CONN_FROM_CTX(&c, skops);
	if (c.family != AF_INET && c.family != AF_INET6)
		return;
	sa_key_build(&key, &c, bpf_get_netns_cookie(skops), 0);
#ifdef SA_BARE
	/* Floor build (make SA_BARE=1): insertion and nothing else. */
	if (!bpf_sock_hash_update(skops, &sock_map, &key, BPF_NOEXIST))
		count(SA_SOCKETS_ADDED, 1);
	return;
#endif
	st = bpf_sk_storage_get(&sock_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		count(SA_INSERT_FAILED_OTHER, 1);
		return;
	}
	sa_state_reset(st, &key);
	if (passive)
		st->flags |= SA_F_PASSIVE;
	st->cookie = bpf_get_socket_cookie(skops);
	tp = bpf_skc_to_tcp_sock(sk);
	if (tp)
		st->cg_slot = sa_cg_slot_of(&tp->inet_conn.icsk_inet.sk);

	if (!sa_peer_is_local(&key))
		return sa_off(st, SA_R_REMOTE, SA_SOCKETS_SKIPPED_REMOTE);
	if (st->flags & SA_F_EXCLUDED_COMM)
		return sa_off(st, SA_R_POLICY_COMM, SA_SKIPPED_POLICY_COMM);
	if (!sa_ports_allowed(&key))
		return sa_off(st, SA_R_POLICY_PORT, SA_SKIPPED_POLICY_PORT);
	/* A process known to read sockets with splice() (--splicers, or seen
	 * doing it): nothing may ever be redirected to its sockets. Looked up
	 * here, not at creation: a name learned later covers listeners and
	 * processes that existed before. */
	if ((st->flags & SA_F_COMM_SET) && bpf_map_lookup_elem(&splicers, st->comm))
		return sa_off(st, SA_R_SPLICER, SA_SKIPPED_SPLICER);
	cfg = sa_config_get();
	if (sa_short_lived(cfg, st))
		return sa_off(st, SA_R_SHORT_LIVED, SA_SKIPPED_SHORT);
	/* Bytes already in this socket's TCP receive queue would be overtaken
	 * by anything redirected to it: peers must not redirect to it, so it
	 * stays out of the map (its own sends then find no peer view: TCP). */
	if (skops->bytes_received)
		return sa_off(st, SA_R_RX_DATA, SA_SKIPPED_RX_DATA);

	rx.cookie = st->cookie;
	if (tp) {
		rx.limit = sa_rx_limit(&tp->inet_conn.icsk_inet.sk);
		rx.cgroup_id = sa_sock_cgroup_id(&tp->inet_conn.icsk_inet.sk);
		st->cgroup_id = rx.cgroup_id;
	}
	/* The read accounting exists before the socket can be found in sock_map,
	 * so a sender that finds the socket always finds its bound. BPF_ANY:
	 * an entry with this key can only be left over from a closed socket
	 * (entries are not deleted at TCP_CLOSE: a socket in CLOSE can still
	 * hold unread redirected data, e.g. after both sides shut down). */
	err = bpf_map_update_elem(&rx_progress, &key, &rx, BPF_ANY);
	if (!err)
		err = bpf_sock_hash_update(skops, &sock_map, &key, BPF_NOEXIST);
	if (err) {
		bpf_map_delete_elem(&rx_progress, &key);
		if (err == -SA_EEXIST)
			return sa_off(st, SA_R_INSERT_FAILED, SA_INSERT_FAILED_EXISTS);
		if (err == -SA_E2BIG || err == -SA_ENOMEM)
			return sa_off(st, SA_R_MAP_FULL, SA_INSERT_FAILED_FULL);
		return sa_off(st, SA_R_INSERT_FAILED, SA_INSERT_FAILED_OTHER);
	}
	st->flags |= SA_F_INSERTED;
	count(SA_SOCKETS_ADDED, 1);
	pc = sa_cg(st);
	if (pc)
		pc->v[SA_CG_SOCKETS_ADDED]++;
	/* Data that left before insertion (TCP Fast Open) was never counted:
	 * this direction can never prove the peer read it all. TCP for good. */
	if (skops->data_segs_out) {
		sa_set_mode(st, SA_MODE_TCP, SA_R_SENT_BEFORE_INSERT);
		count(SA_TX_SENT_BEFORE_INSERT, 1);
	}
	/* Stream detection (default; off with --redirect-streams): RTT
	 * callbacks come with ACKs, i.e. only while this socket sends over TCP:
	 * that is when a stream connection can leave the map (sa_try_unmap). */
	if (sa_stream_detection(cfg))
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_RTT_CB_FLAG);
}

/* Nothing redirected to this socket is still unread. */
static __always_inline int sa_rx_drained(const struct sa_rx_progress *rx)
{
	return !rx || rx->redir_end <= rx->read_bytes;
}

/*
 * A stream connection (this direction TCP for reason "stream") leaves the map
 * once neither socket holds unread redirected data: both then run plain TCP,
 * which coalesces small writes (in the map, even the TCP path goes through
 * tcp_bpf_sendmsg, 20-40 % slower). Peers stopped redirecting to us when the
 * switch set SA_RX_UNMAPPING; a redirect already decided has moved redir_end,
 * so "drained" waits for it. Runs on our ACKs (RTT callback).
 */
static __always_inline void sa_try_unmap(struct bpf_sock_ops *skops)
{
	struct sa_rx_progress *own, *peer_rx;
	struct bpf_sock *sk = skops->sk;
	struct sa_sock_key peer;
	struct sa_sock_state *st;

	if (!sk)
		return;
	st = bpf_sk_storage_get(&sock_state, sk, 0, 0);
	if (!st || !(st->flags & SA_F_INSERTED) || !sa_reason_leaves_map(st->reason))
		return;
	sa_key_reverse(&peer, &st->key);
	own = bpf_map_lookup_elem(&rx_progress, &st->key);
	peer_rx = bpf_map_lookup_elem(&rx_progress, &peer);
	/* Our own entry lives as long as we are in the map; without it (an LRU
	 * eviction: loader/load.c) nothing proves our queue drained, and
	 * leaving the map would discard whatever is unread: stay. A missing
	 * peer entry is a peer that is not (or no longer) accelerated. */
	if (!own || !sa_rx_drained(own) || !sa_rx_drained(peer_rx))
		return;
	bpf_map_delete_elem(&sock_map, &st->key);
	bpf_map_delete_elem(&sock_map, &peer);
	bpf_map_delete_elem(&rx_progress, &st->key);
	bpf_map_delete_elem(&rx_progress, &peer);
	st->flags &= ~SA_F_INSERTED;
	sa_set_mode(st, SA_MODE_OFF, SA_R_UNMAPPED);
	count(SA_UNMAPPED_CONNS, 1);
	/* Plain TCP from now on: no program run per ACK either. */
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags & ~BPF_SOCK_OPS_RTT_CB_FLAG);
}

SEC("sockops")
int sa_sockops(struct bpf_sock_ops *skops)
{
	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		sa_insert(skops, 0);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		sa_insert(skops, 1);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		sa_try_unmap(skops);
		break;
	default:
		break;
	}
	return 1;
}

/* ----------------------------------------------------------------- sk_msg */

/* Take the TCP path. no_peer: the peer has no read accounting, i.e. it is
 * not (or no longer) accelerated. */
static __always_inline int sa_pass(struct sa_sock_state *st, __u64 len, int no_peer)
{
	if (st) {
		struct sa_cg_counters *pc = sa_cg(st);

		st->tx_tcp_bytes += len;
		st->tx_tcp_msgs++;
		if (pc) {
			pc->v[SA_CG_PASSED_MSGS]++;
			pc->v[SA_CG_PASSED_BYTES] += len;
		}
	}
	count(no_peer ? SA_PASSED_NO_PEER_MSGS : SA_PASSED_TCP_MODE_MSGS, 1);
	count(no_peer ? SA_PASSED_NO_PEER_BYTES : SA_PASSED_TCP_MODE_BYTES, len);
	/* Never SK_DROP: that would drop the data and fail the sender. */
	return SK_PASS;
}

static __always_inline int sa_redirected(struct sa_sock_state *st,
					 struct sa_rx_progress *peer_rx, __u64 len)
{
	if (st) {
		struct sa_cg_counters *pc = sa_cg(st);

		st->tx_redir_bytes += len;
		st->tx_redir_msgs++;
		if (pc) {
			pc->v[SA_CG_REDIRECTED_MSGS]++;
			pc->v[SA_CG_REDIRECTED_BYTES] += len;
		}
		/* Where the peer's redirected data ends in the stream: a drain
		 * waits until the peer has read up to here. */
		if (peer_rx)
			peer_rx->redir_end = st->tx_redir_bytes + st->tx_tcp_bytes;
	}
	count(SA_REDIRECTED_MSGS, 1);
	count(SA_REDIRECTED_BYTES, len);
	return SK_PASS;
}

/* The peer is not (or no longer) accelerated: a direction that has not
 * decided yet, or was redirecting, moves to TCP. */
static __always_inline int sa_no_peer(struct sa_sock_state *st, __u64 len)
{
	if (st->mode == SA_MODE_NEW)
		sa_set_mode(st, SA_MODE_TCP, SA_R_PEER_NOT_IN_MAP);
	else if (st->mode == SA_MODE_REDIRECT)
		sa_set_mode(st, SA_MODE_TCP, SA_R_PEER_GONE);
	return sa_pass(st, len, 1);
}

/* This direction is a stream (reason): TCP for good, and its own rx_progress
 * entry is flagged so peers stop redirecting to it; sa_try_unmap then takes
 * the connection out of the map once drained. */
static __always_inline void sa_leave_map(struct sa_sock_state *st, __u8 reason)
{
	struct sa_rx_progress *own = bpf_map_lookup_elem(&rx_progress, &st->key);

	if (own)
		sa_rx_flag_set(own, SA_RX_B_UNMAPPING);
	sa_set_mode(st, SA_MODE_TCP, reason);
}

/* Stream detection (unless --redirect-streams): this direction outran its
 * reader (slow-reader bound) and has sent SA_STREAM_MSGS more messages since,
 * without the reader ever catching up and without reading anything itself
 * (request/response reads, and a reader that keeps up brings the direction
 * back to redirect first). TCP for good, and the connection leaves the map once
 * drained (sa_try_unmap): inside the map even the TCP path is slower than
 * plain TCP, and a continuous stream almost never gives the exact catch-up a
 * return to redirect needs. Peers stop redirecting to us first. */
static __always_inline int sa_slow_stream(const struct sa_config *cfg, struct sa_sock_state *st)
{
	if (!sa_stream_detection(cfg) ||
	    st->slow_msgs < SA_SLOW_STREAM_MSGS || st->burst_msgs < SA_STREAM_MSGS)
		return 0;
	sa_leave_map(st, SA_R_SLOW_STREAM);
	count(SA_T_SLOW_STREAM, 1);
	return 1;
}

/*
 * The peer was seen reading with splice(), which reads only the TCP receive
 * queue. With nothing redirected left unread, TCP is in order for every
 * reader: TCP for good, and the connection leaves the map once drained. With
 * redirected bytes unread (the peer read with recvmsg, then began to splice),
 * any TCP byte would overtake them for a splice reader: keep redirecting, so
 * that order holds and a recvmsg still reads everything; past the unread
 * bound, refuse the send (EACCES) rather than reorder (docs/limitations.md).
 * Returns the verdict, or -1: redirect.
 */
static __always_inline int sa_to_splicer(struct sa_sock_state *st, struct sa_rx_progress *rx,
					 __u64 len, __u64 sent)
{
	if (rx->redir_end <= rx->read_bytes) {
		if (st->reason != SA_R_PEER_SPLICES) {
			if (st->mode == SA_MODE_TCP)	/* sa_set_mode counts mode changes only */
				count(SA_T_PEER_SPLICES, 1);
			sa_leave_map(st, SA_R_PEER_SPLICES);
		}
		return sa_pass(st, len, 0);
	}
	/* Already on TCP (e.g. slow reader): a splice reader reads the later
	 * TCP bytes before the redirected ones, which the kernel gives only to
	 * recvmsg. Nothing left to save; count it (docs/limitations.md). */
	if (st->mode != SA_MODE_REDIRECT) {
		if (st->reason != SA_R_SPLICE_LATE) {
			count(SA_SPLICE_LATE_TCP, 1);
			sa_set_mode(st, SA_MODE_TCP, SA_R_SPLICE_LATE);
		}
		return sa_pass(st, len, 0);
	}
	if (st->reason != SA_R_SPLICE_LATE) {
		count(SA_SPLICE_LATE, 1);
		sa_set_mode(st, SA_MODE_REDIRECT, SA_R_SPLICE_LATE);
	}
	if ((sent > rx->read_bytes ? sent - rx->read_bytes : 0) + len > rx->limit) {
		count(SA_SPLICE_REFUSED_MSGS, 1);
		return SK_DROP;
	}
	return -1;	/* redirect */
}

SEC("sk_msg")
int sa_sk_msg(struct sk_msg_md *msg)
{
	struct sa_sock_key peer = {};
	struct sa_config *cfg = sa_config_get();
	struct sa_rx_progress *rx;
	struct sa_sock_state *st;
	struct bpf_sock *sk = msg->sk;
	__u64 len = msg->size, sent, unread;
	struct sa_conn c;
	__u8 ok_reason;
	int counted = 0;

	SA_CONN_FROM_CTX(&c, msg);
	sa_key_build(&peer, &c, bpf_get_netns_cookie(msg), 1);
#ifdef SA_BARE
	/* Floor build: the redirect and nothing else, no per-socket state. */
	if (bpf_msg_redirect_hash(msg, &sock_map, &peer, BPF_F_INGRESS) == SK_PASS)
		return sa_redirected(NULL, NULL, len);
	return sa_pass(NULL, len, 1);
#endif
	st = sk ? bpf_sk_storage_get(&sock_state, sk, 0, 0) : NULL;

#ifdef SA_NO_STICKY
	/* Test build only (make SA_NO_STICKY=1): the naive redirect every other
	 * sockmap project uses, to show that the integrity tests catch it. */
	if (bpf_msg_redirect_hash(msg, &sock_map, &peer, BPF_F_INGRESS) == SK_PASS) {
		if (st)
			sa_set_mode(st, SA_MODE_REDIRECT, SA_R_NAIVE);
		return sa_redirected(st, NULL, len);
	}
	return sa_pass(st, len, 1);
#endif

	/* Every socket in sock_map got its state before insertion; without it
	 * nothing is known about this direction's history: TCP. */
	if (!st)
		return sa_pass(st, len, 1);

	rx = bpf_map_lookup_elem(&rx_progress, &peer);
	sent = st->tx_redir_bytes + st->tx_tcp_bytes;

	/* A graceful detach/teardown: TCP for good (order-safe), then the
	 * drainer waits until the peer has read what was redirected. */
	if (sa_draining(cfg, st, rx)) {
		if (st->reason != SA_R_DRAINING)
			sa_set_mode(st, SA_MODE_TCP, SA_R_DRAINING);
		return sa_pass(st, len, !rx);
	}
	/* The peer is leaving the map (its direction became a stream). */
	if (rx && (rx->flags & SA_RX_UNMAPPING)) {
		if (st->reason != SA_R_PEER_UNMAPPING)
			sa_set_mode(st, SA_MODE_TCP, SA_R_PEER_UNMAPPING);
		return sa_pass(st, len, 0);
	}
	/* The peer reads with splice(). */
	if (rx && (rx->flags & SA_RX_SPLICED)) {
		int v = sa_to_splicer(st, rx, len, sent);

		if (v >= 0)
			return v;
		if (bpf_msg_redirect_hash(msg, &sock_map, &peer, BPF_F_INGRESS) != SK_PASS)
			return sa_no_peer(st, len);
		return sa_redirected(st, rx, len);
	}

	if (st->mode == SA_MODE_TCP) {
		if (st->reason == SA_R_SLOW_READER || st->reason == SA_R_AWAIT_READER) {
			st->burst_msgs++;
			st->burst_bytes += len;
			st->slow_msgs++;
			counted = 1;
			if (sa_slow_stream(cfg, st))
				return sa_pass(st, len, !rx);
		}
		/* Back to redirect only with proof that nothing sent earlier is
		 * in flight or unread: the peer has read every byte this socket
		 * ever sent (both counters only count bytes after insertion,
		 * before which neither side had sent or received any). */
		if (!sa_reason_recoverable(st->reason) || !rx || !sa_peer_proved_reads(rx, sent))
			return sa_pass(st, len, !rx);
		ok_reason = st->reason == SA_R_AWAIT_READER ? SA_R_PEER_ACCELERATED : SA_R_RECOVERED;
	} else if (st->mode == SA_MODE_NEW && rx && !sa_rx_untracked(cfg) &&
		   !sa_peer_proved_reads(rx, sent)) {
		/* Nothing is redirected to a socket before it has read with
		 * recvmsg (splice readers never do: state.h). Without read
		 * accounting there is no proof to wait for: redirect from the
		 * first send. Counted like a slow reader's sends, so that a
		 * one-way stream to a reader that never proves leaves the map
		 * (sa_slow_stream). */
		sa_set_mode(st, SA_MODE_TCP, SA_R_AWAIT_READER);
		st->slow_msgs = 1;
		st->burst_msgs++;
		st->burst_bytes += len;
		return sa_pass(st, len, 0);
	} else {
		ok_reason = SA_R_PEER_ACCELERATED;
	}

	/* NEW, REDIRECT, or TCP with the proof above. */
	if (!rx)
		return sa_no_peer(st, len);

	/* Slow reader: what was redirected and not read yet, plus this message,
	 * must fit in the peer's bound; past it, TCP's flow control takes over. */
	if (!counted) {
		st->burst_msgs++;
		st->burst_bytes += len;
	}
	unread = sent > rx->read_bytes ? sent - rx->read_bytes : 0;
	if (unread + len > rx->limit) {
		if (st->mode != SA_MODE_TCP) {
			sa_set_mode(st, SA_MODE_TCP, SA_R_SLOW_READER);
			st->slow_msgs = 0;	/* sa_slow_stream() counts from here */
		}
		return sa_pass(st, len, 0);
	}

	/* Stream detection (unless --redirect-streams): a stream of small sends
	 * without replies goes to TCP (Nagle, autocork beat one redirect per
	 * send), and the connection then leaves the map (sa_try_unmap); peers
	 * stop redirecting to us first. */
	if (sa_stream_detection(cfg) && !sa_rx_untracked(cfg) &&
	    st->burst_msgs >= SA_STREAM_MSGS &&
	    st->burst_bytes < (__u64)st->burst_msgs * SA_STREAM_AVG_BYTES) {
		sa_leave_map(st, SA_R_STREAM);
		return sa_pass(st, len, 0);
	}

	/* A miss returns SK_DROP: take the TCP path instead. */
	if (bpf_msg_redirect_hash(msg, &sock_map, &peer, BPF_F_INGRESS) != SK_PASS)
		return sa_no_peer(st, len);
	if (st->mode != SA_MODE_REDIRECT)
		sa_set_mode(st, SA_MODE_REDIRECT, ok_reason);
	return sa_redirected(st, rx, len);
}

/* ------------------------------------------------------- read accounting */

/* Count a read of ret bytes by sk (flags: the recvmsg flags). Every
 * recvmsg() (read, recv*, io_uring recv) reaches one of the hooks below with
 * the byte count; splice and zero-copy receive do not, so they can only keep
 * a direction on TCP (their reads are never counted), never misorder it. */
static __always_inline void sa_rx_account(struct sock *sk, int ret, int flags)
{
	struct sa_rx_progress *rx;
	struct sa_sock_state *st;

#ifdef SA_BARE
	return;
#endif
	if (ret <= 0 || (flags & SA_MSG_PEEK))
		return;
	st = bpf_sk_storage_get(&sock_state, sk, 0, 0);
	if (!st || (st->flags & (SA_F_INSERTED | SA_F_RX_GONE)) != SA_F_INSERTED)
		return;
	rx = bpf_map_lookup_elem(&rx_progress, &st->key);
	if (!rx) {
		/* Its connection left the map (sa_try_unmap ran on the peer):
		 * plain TCP from now on, so skip the lookup on later reads. */
		st->flags |= SA_F_RX_GONE;
		return;
	}
	__sync_fetch_and_add(&rx->read_bytes, (__u64)ret);
	/* It reads with recvmsg: the proof sa_peer_proved_reads() waits for. */
	if (!(rx->flags & SA_RX_READS))
		sa_rx_flag_set(rx, SA_RX_B_READS);
	/* It reads: whatever it sends is not a one-way stream. */
	st->burst_msgs = 0;
	st->burst_bytes = 0;
	rx->limit = sa_rx_limit(sk);	/* SO_RCVBUF may have changed */
	count(SA_RX_READ_BYTES, ret);
}

/* Read accounting, first choice: the sock_recv_length tracepoint (Linux 6.3+),
 * at the end of sock_recvmsg() for every socket family. */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(sa_rx_track, struct sock *sk, int ret, int flags)
{
	sa_rx_account(sk, ret, flags);
	return 0;
}

/* Second choice (Linux 5.5+ with tracing programs, e.g. Debian 12's 6.1):
 * fexit on the inet recvmsg entry points that sock_recvmsg() calls for
 * TCP over IPv4 and IPv6 (io_uring's recv goes through sock_recvmsg too). */
SEC("fexit/inet_recvmsg")
int BPF_PROG(sa_rx_fexit4, struct socket *sock, struct msghdr *msg, size_t size, int flags, int ret)
{
	sa_rx_account(sock->sk, ret, flags);
	return 0;
}

SEC("fexit/inet6_recvmsg")
int BPF_PROG(sa_rx_fexit6, struct socket *sock, struct msghdr *msg, size_t size, int flags, int ret)
{
	sa_rx_account(sock->sk, ret, flags);
	return 0;
}

/* ------------------------------------------------------- splice readers */

#define SA_S_IFMT	00170000
#define SA_S_IFSOCK	0140000
#define SA_SOCK_STREAM	1

/* Socket key (own view) was seen read with splice() by the current process:
 * mark its read accounting (sa_sk_msg stops redirecting to it) and learn the
 * process name (sa_insert keeps its new sockets out). Only sockets sockaccel
 * accelerates (with read accounting) count. */
static __always_inline void sa_splice_seen(const struct sa_sock_key *key)
{
	struct sa_splicer *sp, fresh = { .flags = SA_SPLICER_SEEN };
	char comm[SA_COMM_LEN] = {};
	struct sa_rx_progress *rx;
	int late;

	rx = bpf_map_lookup_elem(&rx_progress, key);
	if (!rx || (rx->flags & SA_RX_SPLICED))
		return;
	sa_rx_flag_set(rx, SA_RX_B_SPLICED);
	late = rx->redir_end > rx->read_bytes;
	count(SA_SPLICE_SOCKETS, 1);
	bpf_get_current_comm(comm, sizeof(comm));
	sp = bpf_map_lookup_elem(&splicers, comm);
	if (!sp) {
		bpf_map_update_elem(&splicers, comm, &fresh, BPF_NOEXIST);
		sp = bpf_map_lookup_elem(&splicers, comm);
		if (!sp)
			return;
	}
	/* Statistics for status and the foreground loader's warning. */
	__sync_fetch_and_add(&sp->sockets, 1);
	if (late)
		__sync_fetch_and_add(&sp->late, 1);
	sp->last_ns = bpf_ktime_get_ns();
	sp->last_pid = bpf_get_current_pid_tgid() >> 32;
	if (!(sp->flags & SA_SPLICER_SEEN))
		sp->flags |= SA_SPLICER_SEEN;
}

/* Splice detection, first choice: every splice read of a TCP socket, from
 * splice(2) and io_uring alike, with the socket in hand. */
SEC("fentry/tcp_splice_read")
int BPF_PROG(sa_splice_fentry, struct socket *sock)
{
	struct sa_sock_state *st;
	struct sa_sock_key key;

#ifdef SA_BARE
	return 0;
#endif
	st = bpf_sk_storage_get(&sock_state, sock->sk, 0, 0);
	if (!st || !(st->flags & SA_F_INSERTED))
		return 0;
	key = st->key;
	sa_splice_seen(&key);
	return 0;
}

/* The TCP socket behind the current process's file descriptor fd, or NULL.
 * Read with bpf_probe_read (CO-RE): a tracepoint has no socket argument. */
static __always_inline struct sock *sa_fd_tcp_sock(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;
	struct socket *sock;
	struct sock *sk;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & SA_S_IFMT) != SA_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != SA_IPPROTO_TCP ||
	    BPF_CORE_READ(sk, sk_type) != SA_SOCK_STREAM)
		return NULL;
	return sk;
}

/* Second choice: the splice(2) system call's entry (its input descriptor).
 * Misses io_uring's splice (no system call). */
SEC("tp/syscalls/sys_enter_splice")
int sa_splice_tp(struct trace_event_raw_sys_enter *ctx)
{
	struct sa_sock_key key = {};
	struct sa_conn c;
	struct sock *sk;

#ifdef SA_BARE
	return 0;
#endif
	sk = sa_fd_tcp_sock(ctx->args[0]);
	if (!sk)
		return 0;
	sa_conn_from_sock(&c, sk);
	if (c.family != AF_INET && c.family != AF_INET6)
		return 0;
	sa_key_build(&key, &c, sa_sock_netns_cookie(sk), 0);
	sa_splice_seen(&key);
	return 0;
}

/* Learn whether sk's service port serves short-lived connections: a socket
 * that sent at most one message extends the port's streak, one that sent
 * more resets it. Sends are counted by sa_sk_msg while the socket was in the
 * map; one left out for being short-lived has the kernel's count of data
 * segments (one per small message). Sockets left out for other reasons
 * (policy, remote peer, ...) say nothing. Only short ones create an entry. */
static __always_inline void sa_short_learn(struct sock *sk, const struct sa_sock_state *st)
{
	struct sa_port_key pk;
	struct sa_port_hist *h, fresh = {};
	struct tcp_sock *tp;
	__u64 sent;

	if (st->mode == SA_MODE_OFF && st->reason == SA_R_SHORT_LIVED) {
		tp = bpf_skc_to_tcp_sock(sk);
		if (!tp)
			return;
		sent = tp->data_segs_out;
	} else if (st->mode != SA_MODE_OFF || st->reason == SA_R_UNMAPPED) {
		sent = st->tx_redir_msgs + st->tx_tcp_msgs;
	} else {
		return;
	}
	sa_port_key_of(&pk, st);
	h = bpf_map_lookup_elem(&short_ports, &pk);
	if (sent > 1) {
		if (h && h->streak)
			h->streak = 0;
		return;
	}
	if (!h) {
		fresh.streak = 1;
		fresh.last_ns = bpf_ktime_get_ns();
		bpf_map_update_elem(&short_ports, &pk, &fresh, BPF_NOEXIST);
		return;
	}
	/* racing updates may lose an increment: a heuristic, not a count */
	if (h->streak < SA_SHORT_STREAK * 4)
		h->streak++;
	h->last_ns = bpf_ktime_get_ns();
}

/* A destroyed socket (closed by its owner, or never accepted) cannot read
 * any more: its read accounting goes, so rx_progress holds live sockets only
 * (see the map). Only the entry's own socket frees it: after this socket
 * left the hash tables, a new connection with the same 4-tuple may already
 * have its own entry under the same key. It also reports to its service
 * port's short-lived streak (sa_short_learn). */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(sa_sock_destroy, struct sock *sk)
{
	struct sa_rx_progress *rx;
	struct sa_sock_state *st;

#ifdef SA_BARE
	return 0;
#endif
	st = bpf_sk_storage_get(&sock_state, sk, 0, 0);
	/* st->key is set at establishment: a socket that never got there
	 * (a listener, a failed connect) has netns 0 */
	if (st && st->key.netns)
		sa_short_learn(sk, st);
	if (!st || !(st->flags & SA_F_INSERTED))
		return 0;
	rx = bpf_map_lookup_elem(&rx_progress, &st->key);
	if (rx && rx->cookie == st->cookie && !bpf_map_delete_elem(&rx_progress, &st->key))
		count(SA_RX_RELEASED, 1);
	return 0;
}

/* --------------------------------------------------------------- conns */

/* One conns record: the socket's state plus its live fields. */
static __always_inline void sa_conn_record_write(struct seq_file *seq, const struct sa_sock_state *st,
						 __u32 tcp_state)
{
	struct sa_conn_record r = {};
	struct sa_rx_progress *rx;

	__builtin_memcpy(&r.st, st, sizeof(r.st));
	r.tcp_state = tcp_state;
	/* The key from the stack copy: before Linux 6.x a pointer into the
	 * iterator's value buffer is refused as a map key (EACCES on 6.1). */
	rx = bpf_map_lookup_elem(&rx_progress, &r.st.key);
	if (rx) {
		r.has_rx = 1;
		r.rx_read_bytes = rx->read_bytes;
		r.rx_limit = rx->limit;
		r.rx_redir_end = rx->redir_end;
		r.rx_flags = rx->flags;
	}
	bpf_seq_write(seq, &r, sizeof(r));
}

/* First choice: every socket with sockaccel state, in every network
 * namespace, in one pass (some kernels refuse map-element iterators). */
SEC("iter/bpf_sk_storage_map")
int sa_conns_iter(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	struct sa_sock_state *st = ctx->value;
	struct sock *sk = ctx->sk;

	if (!sk || !st)
		return 0;
	sa_conn_record_write(ctx->meta->seq, st, sk->__sk_common.skc_state);
	return 0;
}

/* Second choice: the TCP sockets of one network namespace, the one of the
 * process that creates the iterator (lib/conns.c enters each in turn). */
SEC("iter/tcp")
int sa_conns_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct sa_sock_state *st;
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);	/* NULL for TIME_WAIT and request socks */
	if (!tp)
		return 0;
	st = bpf_sk_storage_get(&sock_state, tp, 0, 0);
	if (!st)
		return 0;
	sa_conn_record_write(ctx->meta->seq, st, skc->skc_state);
	return 0;
}
