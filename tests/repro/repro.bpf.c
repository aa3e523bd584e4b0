// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Minimal reproducer programs (no sockaccel code):
 *  - repro_sockops: a bare SOCKHASH insertion at PASSIVE/ACTIVE_ESTABLISHED
 *    (which sides: insert_mask), or nothing at all (insert_mask = 0);
 *  - repro_sk_msg:  optional msg verdict that redirects to the peer's ingress;
 *  - trace_*:       tracepoints that report resets, TCP state changes,
 *                   SYN-ACK retransmits and received TCP segments of one
 *                   network namespace (netns_ino) to user space.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define INS_PASSIVE 1
#define INS_ACTIVE  2

const volatile __u32 insert_mask = 0;
const volatile __u32 netns_ino = 0;
const volatile __u32 want_rx = 0;	/* also report every received segment */
const volatile __u32 passive_cb = 0;	/* insert on this sockops op instead of PASSIVE_ESTABLISHED (0 = default) */

struct key4 {
	__u32 lip, rip;
	__u32 lport, rport;	/* host order */
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, struct key4);
	__type(value, __u64);
} sock_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

enum { C_INSERTED, C_INSERT_FAILED, C_REDIRECTED, C_PASSED, C_SOCKOPS_RUNS, C_EV_LOST, C_GUARD_DROPPED, C_GUARD_PASSED };

static __always_inline void count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &i);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("sockops")
int repro_sockops(struct bpf_sock_ops *skops)
{
	struct key4 k = {};
	__u32 op = skops->op;
	int want = 0;

	count(C_SOCKOPS_RUNS);
	if (op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB && (insert_mask & INS_ACTIVE))
		want = 1;
	if ((insert_mask & INS_PASSIVE) &&
	    op == (passive_cb ? passive_cb : BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB))
		want = 1;
	if (!want || skops->family != 2 /* AF_INET */)
		return 1;
	k.lip = skops->local_ip4;
	k.rip = skops->remote_ip4;
	k.lport = skops->local_port;
	k.rport = bpf_ntohl(skops->remote_port);
	if (bpf_sock_hash_update(skops, &sock_hash, &k, BPF_NOEXIST))
		count(C_INSERT_FAILED);
	else
		count(C_INSERTED);
	return 1;
}

SEC("sk_msg")
int repro_sk_msg(struct sk_msg_md *msg)
{
	struct key4 peer = {};

	peer.lip = msg->remote_ip4;
	peer.rip = msg->local_ip4;
	peer.lport = bpf_ntohl(msg->remote_port);
	peer.rport = msg->local_port;
	if (bpf_msg_redirect_hash(msg, &sock_hash, &peer, BPF_F_INGRESS) == SK_PASS)
		count(C_REDIRECTED);
	else
		count(C_PASSED);
	return SK_PASS;
}

/*
 * Workaround (--guard): a reset that a LISTEN socket sent because a lockless
 * ehash lookup raced inet_ehash_insert() (it saw neither the request socket
 * nor the child replacing it) reaches a client whose peer, the child, is alive.
 * A genuine reset from the server's own socket is sent after that socket went
 * to TCP_CLOSE (and left the hash), so the peer cannot be found any more.
 * Drop such a reset: the client keeps its connection and retransmits the
 * segment the listener refused, which then finds the child.
 */
SEC("cgroup_skb/ingress")
int repro_rst_guard(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = skb->sk, *peer;
	struct iphdr *ip = data;
	struct tcphdr *th;
	__u32 state;

	if (!sk || skb->protocol != bpf_htons(0x0800 /* ETH_P_IP */))
		return 1;
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP)
		return 1;
	th = data + ip->ihl * 4;
	if ((void *)(th + 1) > end || !th->rst)
		return 1;
	if (sk->state != BPF_TCP_ESTABLISHED)
		return 1;
	/* the socket that receives what this client sends: the server's child */
	t.ipv4.saddr = ip->daddr;
	t.ipv4.daddr = ip->saddr;
	t.ipv4.sport = th->dest;
	t.ipv4.dport = th->source;
	peer = bpf_skc_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!peer)
		return 1;
	state = peer->state;
	bpf_sk_release(peer);
	if (state != BPF_TCP_ESTABLISHED && state != BPF_TCP_SYN_RECV) {
		count(C_GUARD_PASSED);
		return 1;
	}
	count(C_GUARD_DROPPED);
	return 0;
}

/* ------------------------------------------------------------------ tracing */

enum { EV_SEND_RESET = 1, EV_RECV_RESET, EV_STATE, EV_SYNACK_RETRANS, EV_RX };

#define STACK_DEPTH 32

struct ev {
	__u64 ts;
	__u32 type, cpu;
	__s32 a, b;		/* reset: sk state, reason; state: old, new */
	__u16 lport, rport;	/* the socket's view, host order (skb view if no sk) */
	__u32 seq, ack;
	__u16 len;
	__u8 flags, pad;
	__u64 skaddr;
	__s32 nstack;
	__u64 stack[STACK_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 27);
} events SEC(".maps");

static __always_inline int sk_in_ns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) == netns_ino;
}

static __always_inline struct ev *ev_new(__u32 type)
{
	struct ev *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(C_EV_LOST);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->type = type;
	return e;
}

static __always_inline void ev_sk(struct ev *e, const struct sock *sk)
{
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->skaddr = (__u64)sk;
}

/* TCP header of an skb whose transport header is set (receive path) */
static __always_inline void ev_skb_tcp(struct ev *e, const struct sk_buff *skb, int from_sk)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 th_off = BPF_CORE_READ(skb, transport_header);
	struct tcphdr th;

	if (bpf_probe_read_kernel(&th, sizeof(th), head + th_off))
		return;
	if (!from_sk) {
		/* the receiver's view: local = destination */
		e->lport = bpf_ntohs(th.dest);
		e->rport = bpf_ntohs(th.source);
	}
	e->seq = bpf_ntohl(th.seq);
	e->ack = bpf_ntohl(th.ack_seq);
	e->flags = ((__u8 *)&th)[13];
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(trace_send_reset, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	struct ev *e;

	if (sk) {
		if (!sk_in_ns(sk))
			return 0;
	} else {
		if (!skb || BPF_CORE_READ(skb, dev, nd_net.net, ns.inum) != netns_ino)
			return 0;
	}
	e = ev_new(EV_SEND_RESET);
	if (!e)
		return 0;
	e->a = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : -1;
	e->b = reason;
	if (sk)
		ev_sk(e, sk);
	if (skb)
		ev_skb_tcp(e, skb, 0);
	e->nstack = bpf_get_stack(ctx, e->stack, sizeof(e->stack), 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(trace_recv_reset, struct sock *sk)
{
	struct ev *e;

	if (!sk_in_ns(sk))
		return 0;
	e = ev_new(EV_RECV_RESET);
	if (!e)
		return 0;
	e->a = BPF_CORE_READ(sk, __sk_common.skc_state);
	ev_sk(e, sk);
	e->nstack = bpf_get_stack(ctx, e->stack, sizeof(e->stack), 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(trace_state, const struct sock *sk, int oldstate, int newstate)
{
	struct ev *e;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP || !sk_in_ns(sk))
		return 0;
	e = ev_new(EV_STATE);
	if (!e)
		return 0;
	e->a = oldstate;
	e->b = newstate;
	ev_sk(e, sk);
	/* the stack only for the unusual: a child closed before it was accepted */
	if (oldstate == TCP_SYN_RECV && newstate == TCP_CLOSE)
		e->nstack = bpf_get_stack(ctx, e->stack, sizeof(e->stack), 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(trace_synack_retrans, const struct sock *sk, const struct request_sock *req)
{
	struct ev *e;

	if (!sk_in_ns(sk))
		return 0;
	e = ev_new(EV_SYNACK_RETRANS);
	if (!e)
		return 0;
	ev_sk(e, (const struct sock *)req);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(trace_rx, struct sk_buff *skb)
{
	unsigned char *data;
	struct iphdr iph;
	struct tcphdr th;
	struct ev *e;

	if (!want_rx || BPF_CORE_READ(skb, dev, nd_net.net, ns.inum) != netns_ino)
		return 0;
	data = BPF_CORE_READ(skb, data);
	if (bpf_probe_read_kernel(&iph, sizeof(iph), data) || iph.version != 4 ||
	    iph.protocol != IPPROTO_TCP)
		return 0;
	if (bpf_probe_read_kernel(&th, sizeof(th), data + iph.ihl * 4))
		return 0;
	e = ev_new(EV_RX);
	if (!e)
		return 0;
	e->lport = bpf_ntohs(th.dest);
	e->rport = bpf_ntohs(th.source);
	e->seq = bpf_ntohl(th.seq);
	e->ack = bpf_ntohl(th.ack_seq);
	e->flags = ((__u8 *)&th)[13];
	e->len = bpf_ntohs(iph.tot_len) - iph.ihl * 4 - th.doff * 4;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
