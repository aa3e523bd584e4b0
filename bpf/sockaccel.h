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
	SA_COUNTER_MAX,
};

/* Value of the "cgroups" hash (key: cgroup id): what the loader attached. */
#define SA_CGROUP_PATH_MAX 256
struct sa_cgroup_info {
	char path[SA_CGROUP_PATH_MAX];	/* path relative to the cgroup2 mount */
	__u64 attached_at;		/* CLOCK_REALTIME seconds */
};

#define SA_SOCK_MAP_ENTRIES	65536
#define SA_CGROUP_MAP_ENTRIES	1024

#endif /* SOCKACCEL_H */
