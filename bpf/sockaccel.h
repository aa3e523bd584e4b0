/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by the sockaccel BPF programs and user space (loader, ctl). */
#ifndef SOCKACCEL_H
#define SOCKACCEL_H

#ifndef __VMLINUX_H__	/* user space; BPF code gets the types from vmlinux.h */
#include <linux/types.h>
#endif

/*
 * One key form for every TCP socket: IPv4 is stored v4-mapped (::ffff:a.b.c.d),
 * so an AF_INET client and the AF_INET6 socket accepted by a [::] listener
 * produce byte-identical keys. The network namespace cookie keeps identical
 * 4-tuples in different namespaces apart. Ports are host byte order.
 * 48 bytes, no implicit padding (the verifier and the hash need every byte set).
 */
struct sa_sock_key {
	__u64 netns;		/* bpf_get_netns_cookie() */
	__u32 local_ip[4];	/* network byte order, v4-mapped for IPv4 */
	__u32 remote_ip[4];
	__u32 local_port;	/* host byte order */
	__u32 remote_port;	/* host byte order */
};

/* Per-CPU counters, index into the "counters" PERCPU_ARRAY. */
enum sa_counter {
	SA_SOCKETS_ADDED,		/* inserted into the SOCKHASH */
	SA_INSERT_FAILED_EXISTS,	/* key already present (-EEXIST) */
	SA_INSERT_FAILED_FULL,		/* map full (-E2BIG/-ENOMEM) */
	SA_INSERT_FAILED_OTHER,		/* any other error */
	SA_SOCKETS_SKIPPED_REMOTE,	/* peer is not on this host: never inserted */
	SA_REDIRECTED_MSGS,
	SA_REDIRECTED_BYTES,
	SA_PASSED_NO_PEER_MSGS,		/* peer not in the map: normal TCP path */
	SA_PASSED_NO_PEER_BYTES,
	/* --- per-connection state machine (docs/design.md) --- */
	SA_PASSED_TCP_MODE_MSGS,	/* direction in TCP mode although the peer is in the map */
	SA_PASSED_TCP_MODE_BYTES,
	SA_SKIPPED_RX_DATA,		/* not inserted: held received data already */
	SA_SKIPPED_POLICY_PORT,		/* not inserted: port policy */
	SA_SKIPPED_POLICY_COMM,		/* not inserted: process-name policy */
	SA_TX_SENT_BEFORE_INSERT,	/* had sent data before insertion: TCP for good */
	SA_T_NEW_REDIRECT,		/* first send redirected */
	SA_T_NEW_TCP,			/* first send found no peer (setup race, or peer not accelerated) */
	SA_T_REDIRECT_TCP_SLOW_READER,	/* unread redirected bytes would pass the bound */
	SA_T_REDIRECT_TCP_PEER_GONE,	/* peer left the map while redirecting */
	SA_T_TCP_REDIRECT,		/* back to redirect: peer proved to have read every byte */
	SA_T_DRAIN_TCP,			/* moved to TCP by a graceful detach/teardown */
	SA_T_REDIRECT_TCP_STREAM,	/* small-write stream: TCP coalesces better */
	SA_UNMAPPED_CONNS,		/* stream connections taken out of the map (plain TCP) */
	SA_RX_READ_BYTES,		/* bytes read by accelerated sockets (tracked reads) */
	SA_T_SLOW_STREAM,		/* one-way stream its reader could not keep up with: leaves the map */
	SA_RX_RELEASED,			/* read accounting entries freed when their socket was destroyed */
	/* --- splice readers (docs/design.md "Splice readers") --- */
	SA_T_NEW_AWAIT_READER,		/* first send on TCP: the peer has not read with recvmsg yet */
	SA_T_AWAIT_REDIRECT,		/* first redirect, once the peer read every byte with recvmsg */
	SA_SPLICE_SOCKETS,		/* accelerated sockets seen splicing (first splice of each) */
	SA_T_PEER_SPLICES,		/* directions moved to TCP for good: their peer splices */
	SA_SPLICE_LATE,			/* directions whose peer began to splice with redirected bytes unread */
	SA_SPLICE_REFUSED_MSGS,		/* sends refused (EACCES): late splicer past the unread bound */
	SA_SKIPPED_SPLICER,		/* not inserted: created by a process known to splice */
	SA_SPLICE_LATE_TCP,		/* like splice_late, but the direction was already on TCP: misordered */
	SA_SKIPPED_SHORT,		/* not inserted: its service port's connections are short-lived */
	SA_COUNTER_MAX,
};
/* Size of the "counters" map: room for counters later builds add, so that
 * an --upgrade keeps the pinned map (its size must not change). */
#define SA_COUNTER_SLOTS	64

/*
 * Per-connection state machine, one per socket and direction (this socket's
 * sends). See docs/design.md: NEW -> REDIRECT | TCP; REDIRECT -> TCP (order
 * safe); TCP -> REDIRECT only when the peer has read every byte ever sent.
 */
enum sa_mode {
	SA_MODE_NEW = 0,	/* nothing sent yet */
	SA_MODE_REDIRECT,	/* sends go to the peer's ingress queue */
	SA_MODE_TCP,		/* sends take the TCP path */
	SA_MODE_OFF,		/* not in the map: never accelerated (see reason) */
	SA_MODE_MAX,
};

enum sa_reason {
	SA_R_NONE = 0,
	SA_R_PEER_ACCELERATED,	/* REDIRECT: peer in the map and reading */
	SA_R_PEER_NOT_IN_MAP,	/* TCP: peer not in the map when sending (setup race or not accelerated) */
	SA_R_PEER_GONE,		/* TCP: peer left the map */
	SA_R_SLOW_READER,	/* TCP: peer's unread redirected bytes reached the bound */
	SA_R_RECOVERED,		/* REDIRECT: returned after the peer read every byte */
	SA_R_SENT_BEFORE_INSERT,/* TCP for good: data went out before insertion */
	SA_R_RX_DATA,		/* OFF: held received data when it would be inserted */
	SA_R_POLICY_PORT,	/* OFF: excluded by the port policy */
	SA_R_POLICY_COMM,	/* OFF: excluded by the process-name policy */
	SA_R_REMOTE,		/* OFF: peer not on this host */
	SA_R_MAP_FULL,		/* OFF: sock_map full */
	SA_R_INSERT_FAILED,	/* OFF: other insertion error */
	SA_R_NAIVE,		/* built with SA_NO_STICKY: naive redirect */
	SA_R_DRAINING,		/* TCP for good: a detach/teardown is draining this connection */
	SA_R_STREAM,		/* TCP for good: many small sends without a reply (a stream) */
	SA_R_PEER_UNMAPPING,	/* TCP for good: the peer is leaving the map (stream) */
	SA_R_UNMAPPED,		/* OFF: taken out of the map once drained (plain TCP) */
	SA_R_SLOW_STREAM,	/* TCP for good: a one-way stream its reader cannot keep up with */
	SA_R_AWAIT_READER,	/* TCP until the peer has read every byte with recvmsg (splice safety) */
	SA_R_PEER_SPLICES,	/* TCP for good: the peer reads with splice() */
	SA_R_SPLICE_LATE,	/* the peer began to splice with redirected bytes unread (REDIRECT kept) */
	SA_R_SPLICER,		/* OFF: created by a process known to splice (--splicers, or seen) */
	SA_R_SHORT_LIVED,	/* OFF: its service port's recent connections ended after <= 1 send */
	SA_REASON_MAX,
};
/* Per-cgroup fallback counters per reason (struct sa_cg_counters): room for
 * reasons later builds add (the value size of a pinned map must not change). */
#define SA_CG_REASON_SLOTS	32

#define SA_F_INSERTED		(1u << 0)	/* in sock_map */
#define SA_F_EXCLUDED_COMM	(1u << 1)	/* created by an excluded process */
#define SA_F_COMM_SET		(1u << 2)	/* comm[] is the creating process */
#define SA_F_RX_GONE		(1u << 3)	/* its rx_progress entry is gone (unmapped) */
#define SA_F_PASSIVE		(1u << 4)	/* accepted (its local port is the service port) */

#define SA_COMM_LEN 16

/* sk_storage of every socket sockaccel has seen (BPF_F_CLONE: an accepted
 * socket starts with its listener's comm and policy flags). */
struct sa_sock_state {
	struct sa_sock_key key;		/* own view, set at establishment */
	__u64 cookie;			/* socket cookie */
	__u64 tx_redir_bytes;		/* sent by redirect */
	__u64 tx_tcp_bytes;		/* sent on the TCP path while in the map */
	__u64 tx_redir_msgs;
	__u64 tx_tcp_msgs;
	__u64 mode_since_ns;		/* bpf_ktime_get_ns() of the last transition */
	__u64 cgroup_id;		/* the socket's cgroup (v2 id) */
	__u32 transitions;		/* mode changes of this direction */
	__u32 flags;			/* SA_F_* */
	__u64 burst_bytes;		/* sent since this socket last read anything */
	__u32 burst_msgs;
	__u32 slow_msgs;		/* sends since the last switch to TCP (slow_reader) */
	__u8 mode;			/* enum sa_mode */
	__u8 reason;			/* enum sa_reason */
	__u16 cg_slot;			/* its attached cgroup's percg_counters slot; 0: none */
	__u8 pad[4];
	char comm[SA_COMM_LEN];		/* process that created the socket (or its listener) */
};

/* Value of rx_progress (key: the reading socket's own key): how many bytes
 * that socket has read, and the bound on what may wait unread for it. */
struct sa_rx_progress {
	__u64 read_bytes;	/* stream position read so far (tracked reads) */
	__u64 limit;
	__u64 redir_end;	/* stream position just past the last byte redirected to it */
	__u64 cgroup_id;	/* the reading socket's cgroup */
	__u64 flags;		/* SA_RX_* */
	__u64 cookie;		/* the reading socket's cookie: only it may free the entry */
};

/* One flag per byte of flags: each is set by a plain byte store (its
 * writers run on different CPUs, and an atomic OR needs -mcpu=v3). */
#define SA_RX_B_UNMAPPING	0	/* leaving the map: peers must send by TCP */
#define SA_RX_B_READS		1	/* it has read with recvmsg (counted) */
#define SA_RX_B_SPLICED		2	/* it was seen reading with splice() */
#define SA_RX_UNMAPPING	(1ull << (8 * SA_RX_B_UNMAPPING))
#define SA_RX_READS	(1ull << (8 * SA_RX_B_READS))
#define SA_RX_SPLICED	(1ull << (8 * SA_RX_B_SPLICED))

/* Stream detection: this many sends in a row without a read, averaging
 * less than SA_STREAM_AVG_BYTES, make a direction a stream (docs/design.md). */
#define SA_STREAM_MSGS		64
#define SA_STREAM_AVG_BYTES	32768
/* A direction on TCP for a slow reader that sends this many more messages
 * without the reader catching up is a stream too (slow_stream). */
#define SA_SLOW_STREAM_MSGS	64

/* Unread redirected bytes a reader may hold: at most this many times its
 * sk_rcvbuf (tcp_add_backlog drops segments above ~2 x; bpf/lib/state.h). */
#define SA_BACKLOG_SAFE_RCVBUFS	2

/* Value of the "splicers" map (key: process name, NUL padded): processes
 * whose sockets are never inserted, because they read sockets with splice(). */
struct sa_splicer {
	__u64 sockets;		/* accelerated sockets it was seen splicing */
	__u64 late;		/* of those, with redirected bytes unread at that moment */
	__u64 last_ns;		/* bpf_ktime_get_ns() of the last one */
	__u32 last_pid;		/* its tgid */
	__u32 flags;		/* SA_SPLICER_* */
};
#define SA_SPLICER_LISTED	(1u << 0)	/* in the loader's --splicers list */
#define SA_SPLICER_SEEN		(1u << 1)	/* seen splicing from an accelerated socket */
#define SA_SPLICER_ENTRIES	1024

/* One record of the conns iterator: a socket's state plus live fields. */
struct sa_conn_record {
	struct sa_sock_state st;
	__u64 rx_read_bytes;		/* this socket's tracked reads */
	__u64 rx_limit;			/* its unread bound (0: not tracked) */
	__u64 rx_redir_end;		/* rx_progress.redir_end */
	__u32 tcp_state;		/* sk_state */
	__u32 has_rx;			/* rx_progress entry present */
	__u64 rx_flags;			/* rx_progress.flags (SA_RX_*) */
};

/* Loader policy, persisted in the "config" ARRAY (one element). */
#define SA_CFG_PORTS_INCLUDE	(1u << 0)	/* only ports marked INCLUDE are accelerated */
#define SA_CFG_DRAIN_CGROUPS	(1u << 1)	/* connections with an end in a "drain" cgroup: TCP */
#define SA_CFG_DRAIN_ALL	(1u << 2)	/* every connection: TCP (teardown) */
/* (1u << 3) was the opt-in --stream-tcp flag; stream detection is now the default. */
#define SA_CFG_REDIRECT_STREAMS	(1u << 4)	/* --redirect-streams: no stream detection */
/* Set by the loader when this kernel gives no read accounting (feature
 * "read accounting" off): reads are never seen, so "sends without a read"
 * says nothing and the 64-send stream rule is off; the unread bound then
 * caps what a direction may ever redirect (docs/kernels.md). */
#define SA_CFG_RX_UNTRACKED	(1u << 5)
/* --accelerate-short: insert every connection, also on service ports whose
 * connections are short-lived (no SA_R_SHORT_LIVED). */
#define SA_CFG_ACCEL_SHORT	(1u << 6)
struct sa_config {
	__u32 flags;
	__u32 pad;
	__u64 max_unread;	/* bound on unread redirected bytes; 0 = auto (tcp_rmem max) */
};

/*
 * Short-lived connections (docs/design.md "Short-lived connections"): the
 * "short_ports" LRU hash keeps, per service port and network namespace, how
 * many sockets in a row were destroyed having sent at most one message. From
 * SA_SHORT_STREAK on, new connections to that port are not inserted: a
 * connection that exchanges once gains less from the redirect than its
 * insertion and removal cost (docs/benchmarks.md, connection rate). One
 * socket that sent more resets the streak.
 */
struct sa_port_key {
	__u64 netns;		/* bpf_get_netns_cookie() */
	__u32 port;		/* the service (listening) port, host byte order */
	__u32 pad;
};
struct sa_port_hist {
	__u32 streak;		/* sockets in a row that sent <= 1 message */
	__u32 pad;
	__u64 skipped;		/* connection ends not inserted because of it */
	__u64 last_ns;		/* bpf_ktime_get_ns() of the last update */
};
#define SA_SHORT_STREAK		16
#define SA_SHORT_PORTS_ENTRIES	4096

#define SA_PORT_INCLUDE	1
#define SA_PORT_EXCLUDE	2
#define SA_POLICY_ENTRIES	256
#define SA_DRAIN_ENTRIES	4096

/* Value of the "cgroups" hash (key: cgroup id): what the loader attached. */
#define SA_CGROUP_PATH_MAX 256
struct sa_cgroup_info {
	char path[SA_CGROUP_PATH_MAX];	/* path relative to the cgroup2 mount */
	__u64 attached_at;		/* CLOCK_REALTIME seconds */
	__u32 owner_pid;		/* --foreground loader that detaches it on exit; 0: none */
	__u32 slot;			/* its percg_counters slot (1..SA_CG_SLOTS-1); 0: totals only */
	__u64 owner_start;		/* its start time (/proc/PID/stat field 22), against pid reuse */
};

/*
 * Optional kernel features (lib/feature_table.c holds the table: implementations
 * in order of preference, what is lost without them). The loader records
 * what it chose in the "features" ARRAY (key: enum sa_feature), pinned last:
 * its presence also marks a load as complete.
 */
enum sa_feature {
	SA_FEAT_RX_TRACK,	/* read accounting */
	SA_FEAT_SOCK_DESTROY,	/* free read accounting when a socket is destroyed */
	SA_FEAT_CONNS,		/* listing every socket's state (conns) */
	SA_FEAT_PROC_NAMES,	/* process names (--exclude-comm, conns comm) */
	SA_FEAT_SPLICE_DETECT,	/* seeing a socket read with splice() */
	SA_FEAT_MAX,
};
#define SA_FEAT_MAX_IMPLS	4
#define SA_IMPL_OFF		0xff	/* no implementation in use */
struct sa_feature_state {
	__u32 impl;			/* index into the feature's implementations, or SA_IMPL_OFF */
	__s32 err[SA_FEAT_MAX_IMPLS];	/* probe result of each implementation: 0 or -errno */
	__u32 forced;			/* bit i: implementation i reported missing for a test */
};

/*
 * Per attached cgroup counters (docs/design.md "Per-cgroup counters"): the
 * "percg_counters" PERCPU_ARRAY, one struct sa_cg_counters per slot. An
 * attached cgroup gets a slot when it is recorded (sa_cgroup_info.slot); a
 * socket gets its attached cgroup's slot at insertion (sa_sock_state.cg_slot),
 * so a send costs one more per-CPU lookup. Slot 0 is never used: a socket
 * without a slot counts under the totals only.
 */
enum sa_cg_counter {
	SA_CG_SOCKETS_ADDED,
	SA_CG_REDIRECTED_MSGS,
	SA_CG_REDIRECTED_BYTES,
	SA_CG_PASSED_MSGS,
	SA_CG_PASSED_BYTES,
	SA_CG_FALLBACKS,	/* + enum sa_reason: directions that went to TCP or OFF */
	SA_CG_COUNTER_MAX = SA_CG_FALLBACKS + SA_CG_REASON_SLOTS,
};
struct sa_cg_counters {
	__u64 v[SA_CG_COUNTER_MAX];
};
#define SA_CG_SLOTS		256
#define SA_CG_MAX_DEPTH		32	/* cgroup levels walked up at insertion */

#define SA_SOCK_MAP_ENTRIES	65536
#define SA_CGROUP_MAP_ENTRIES	1024

#endif /* SOCKACCEL_H */
