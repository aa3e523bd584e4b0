// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockaccel dataplane.
 *  sockops: every established TCP socket of an attached cgroup whose peer is
 *           on this host goes into sock_map, keyed by its own view.
 *  sk_msg:  attached to sock_map; each sendmsg() looks up the peer's view and
 *           redirects into the peer's receive queue, or passes to TCP.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/counters.h"
#include "lib/key.h"

char LICENSE[] SEC("license") = "GPL";

/* errno values (not in vmlinux.h) */
#define SA_EEXIST 17
#define SA_ENOMEM 12
#define SA_E2BIG  7

static __always_inline void sa_insert(struct bpf_sock_ops *skops)
{
	struct sa_sock_key key = {};
	struct sa_conn c;
	long err;

	SA_CONN_FROM_CTX(&c, skops);
	if (c.family != AF_INET && c.family != AF_INET6)
		return;
	sa_key_build(&key, &c, bpf_get_netns_cookie(skops), 0);
	if (!sa_peer_is_local(&key)) {
		count(SA_SOCKETS_SKIPPED_REMOTE, 1);
		return;
	}

	err = bpf_sock_hash_update(skops, &sock_map, &key, BPF_NOEXIST);
	if (!err)
		count(SA_SOCKETS_ADDED, 1);
	else if (err == -SA_EEXIST)
		count(SA_INSERT_FAILED_EXISTS, 1);
	else if (err == -SA_E2BIG || err == -SA_ENOMEM)
		count(SA_INSERT_FAILED_FULL, 1);
	else
		count(SA_INSERT_FAILED_OTHER, 1);
}

SEC("sockops")
int sa_sockops(struct bpf_sock_ops *skops)
{
	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		sa_insert(skops);
		break;
	default:
		break;
	}
	return 1;
}

SEC("sk_msg")
int sa_sk_msg(struct sk_msg_md *msg)
{
	struct sa_sock_key peer = {};
	struct sa_conn c;
	__u64 len = msg->size;

	SA_CONN_FROM_CTX(&c, msg);
	sa_key_build(&peer, &c, bpf_get_netns_cookie(msg), 1);

	if (bpf_msg_redirect_hash(msg, &sock_map, &peer, BPF_F_INGRESS) == SK_PASS) {
		count(SA_REDIRECTED_MSGS, 1);
		count(SA_REDIRECTED_BYTES, len);
		return SK_PASS;
	}
	/* A miss returns SK_DROP, which would drop the data and fail the
	 * sender with EACCES: never return it, take the TCP path instead. */
	count(SA_PASSED_NO_PEER_MSGS, 1);
	count(SA_PASSED_NO_PEER_BYTES, len);
	return SK_PASS;
}
