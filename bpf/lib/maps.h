/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Maps shared by the sockops and sk_msg programs (one object, pinned by the loader). */
#ifndef SA_BPF_MAPS_H
#define SA_BPF_MAPS_H

#include "common.h"

/* Every accelerated socket, keyed by its own view of the connection.
 * value_size 8: a user-space lookup returns the socket cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SA_SOCK_MAP_ENTRIES);
	__type(key, struct sa_sock_key);
	__type(value, __u64);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SA_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Written by user space only: which cgroups are attached (for status). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SA_CGROUP_MAP_ENTRIES);
	__type(key, __u64);
	__type(value, struct sa_cgroup_info);
} cgroups SEC(".maps");

#endif
