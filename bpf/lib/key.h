/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one key builder used by both programs (see struct sa_sock_key). */
#ifndef SA_BPF_KEY_H
#define SA_BPF_KEY_H

#include "common.h"
#include <bpf/bpf_core_read.h>

/*
 * Connection fields as read from a context. The caller reads every field
 * unconditionally into this struct: reading local_ip6[]/remote_ip6[] behind a
 * branch on family makes clang emit a computed ctx offset, which the verifier
 * rejects ("dereference of modified ctx ptr").
 */
struct sa_conn {
	__u32 family;
	__u32 local_ip4, remote_ip4;		/* network order */
	__u32 local_ip6[4], remote_ip6[4];	/* network order */
	__u32 local_port;	/* host order in both sock_ops and sk_msg_md */
	__u32 remote_port;	/* network-order port in the UPPER 16 bits */
};

/* A volatile load: clang may not sink or merge it into a branch, so every ctx
 * access keeps a constant offset the verifier accepts. */
#define SA_CTX_LOAD(f) (*(volatile __u32 *)&(f))

/* Read the same-named fields from a bpf_sock_ops or sk_msg_md. */
#define SA_CONN_FROM_CTX(c, ctx) do {					\
	(c)->family = SA_CTX_LOAD((ctx)->family);					\
	(c)->local_ip4 = SA_CTX_LOAD((ctx)->local_ip4);				\
	(c)->remote_ip4 = SA_CTX_LOAD((ctx)->remote_ip4);				\
	(c)->local_ip6[0] = SA_CTX_LOAD((ctx)->local_ip6[0]);			\
	(c)->local_ip6[1] = SA_CTX_LOAD((ctx)->local_ip6[1]);			\
	(c)->local_ip6[2] = SA_CTX_LOAD((ctx)->local_ip6[2]);			\
	(c)->local_ip6[3] = SA_CTX_LOAD((ctx)->local_ip6[3]);			\
	(c)->remote_ip6[0] = SA_CTX_LOAD((ctx)->remote_ip6[0]);			\
	(c)->remote_ip6[1] = SA_CTX_LOAD((ctx)->remote_ip6[1]);			\
	(c)->remote_ip6[2] = SA_CTX_LOAD((ctx)->remote_ip6[2]);			\
	(c)->remote_ip6[3] = SA_CTX_LOAD((ctx)->remote_ip6[3]);			\
	(c)->local_port = SA_CTX_LOAD((ctx)->local_port);				\
	(c)->remote_port = SA_CTX_LOAD((ctx)->remote_port);				\
} while (0)

static __always_inline void sa_ip_store(__u32 dst[4], __u32 family, __u32 ip4,
					const __u32 ip6[4])
{
	if (family == AF_INET) {
		/* ::ffff:a.b.c.d, so AF_INET and v4-mapped AF_INET6 keys match */
		dst[0] = 0;
		dst[1] = 0;
		dst[2] = bpf_htonl(0x0000ffff);
		dst[3] = ip4;
	} else {
		dst[0] = ip6[0];
		dst[1] = ip6[1];
		dst[2] = ip6[2];
		dst[3] = ip6[3];
	}
}

/*
 * Build a key. peer == 0: this socket's own view (what sockops inserts).
 * peer == 1: the view of the socket at the other end (what sk_msg looks up):
 * local and remote swapped.
 */
static __always_inline void sa_key_build(struct sa_sock_key *key,
					 const struct sa_conn *c, __u64 netns,
					 int peer)
{
	/* remote_port: network-order 16-bit port in the upper half of the
	 * u32, so bpf_ntohl() yields the host-order port. */
	__u32 rport = bpf_ntohl(c->remote_port);
	__u32 lport = c->local_port;

	key->netns = netns;
	if (!peer) {
		sa_ip_store(key->local_ip, c->family, c->local_ip4, c->local_ip6);
		sa_ip_store(key->remote_ip, c->family, c->remote_ip4, c->remote_ip6);
		key->local_port = lport;
		key->remote_port = rport;
	} else {
		sa_ip_store(key->local_ip, c->family, c->remote_ip4, c->remote_ip6);
		sa_ip_store(key->remote_ip, c->family, c->local_ip4, c->local_ip6);
		key->local_port = rport;
		key->remote_port = lport;
	}
}

/* The same fields read from a kernel socket (tracing programs that reach a
 * socket without a context: bpf_probe_read through CO-RE). */
static __always_inline void sa_conn_from_sock(struct sa_conn *c, struct sock *sk)
{
	struct sock_common *skc = &sk->__sk_common;

	c->family = BPF_CORE_READ(skc, skc_family);
	c->local_ip4 = BPF_CORE_READ(skc, skc_rcv_saddr);
	c->remote_ip4 = BPF_CORE_READ(skc, skc_daddr);
	BPF_CORE_READ_INTO(&c->local_ip6, skc, skc_v6_rcv_saddr.in6_u.u6_addr32);
	BPF_CORE_READ_INTO(&c->remote_ip6, skc, skc_v6_daddr.in6_u.u6_addr32);
	c->local_port = BPF_CORE_READ(skc, skc_num);
	/* skc_dport is network order: put it where sock_ops has it. */
	c->remote_port = (__u32)BPF_CORE_READ(skc, skc_dport) << 16;
}

/* The network namespace cookie bpf_get_netns_cookie() returns for sk. */
static __always_inline __u64 sa_sock_netns_cookie(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
}

/* The other socket's view of the same connection. */
static __always_inline void sa_key_reverse(struct sa_sock_key *dst, const struct sa_sock_key *k)
{
	dst->netns = k->netns;
	__builtin_memcpy(dst->local_ip, k->remote_ip, sizeof(dst->local_ip));
	__builtin_memcpy(dst->remote_ip, k->local_ip, sizeof(dst->remote_ip));
	dst->local_port = k->remote_port;
	dst->remote_port = k->local_port;
}

/* True when the other end of the connection can be a socket on this host:
 * a loopback address (127/8, ::1, ::ffff:127/104) or our own address. */
static __always_inline int sa_peer_is_local(const struct sa_sock_key *key)
{
	const __u32 *r = key->remote_ip;

	if (r[0] == 0 && r[1] == 0 && r[2] == bpf_htonl(0x0000ffff) &&
	    (bpf_ntohl(r[3]) >> 24) == 127)
		return 1;
	if (r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == bpf_htonl(1))
		return 1;
	return r[0] == key->local_ip[0] && r[1] == key->local_ip[1] &&
	       r[2] == key->local_ip[2] && r[3] == key->local_ip[3];
}

#endif
