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
	__uint(max_entries, SA_COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Short-lived connections per service port (bpf/sockaccel.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SA_SHORT_PORTS_ENTRIES);
	__type(key, struct sa_port_key);
	__type(value, struct sa_port_hist);
} short_ports SEC(".maps");

/* Per attached cgroup counters, by slot (bpf/sockaccel.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SA_CG_SLOTS);
	__type(key, __u32);
	__type(value, struct sa_cg_counters);
} percg_counters SEC(".maps");

/* Written by user space only: which cgroups are attached (for status, and
 * their counter slot, which sa_insert looks up). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SA_CGROUP_MAP_ENTRIES);
	__type(key, __u64);
	__type(value, struct sa_cgroup_info);
} cgroups SEC(".maps");

/* Per-socket state (struct sa_sock_state). BPF_F_CLONE copies a listener's
 * storage to the sockets it accepts, which carries the creating process's
 * comm and policy flags over to them. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct sa_sock_state);
} sock_state SEC(".maps");

/* Read progress of every accelerated socket, keyed by its own view, i.e. the
 * key its peer's sk_msg already builds. A hash, not sk_storage: the sender
 * cannot reach the peer's sk_storage (sk_msg may look a socket up in
 * sock_map but has no bpf_sk_release() to drop the reference). An entry lives
 * as long as its socket: not removed at TCP_CLOSE (a closed socket can still
 * hold unread redirected data) but when the socket is destroyed
 * (sa_sock_destroy), or when its connection leaves the map. So it holds live
 * sockets only, twice the room of sock_map (sockets out of the map but not yet
 * destroyed keep theirs). The loader makes it a plain hash when the destroy
 * hook runs (an LRU hash evicts live entries long before it is full), and
 * keeps the LRU, with more room, to recycle closed sockets' entries when it
 * does not (loader/load.c, size_maps). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2 * SA_SOCK_MAP_ENTRIES);
	__type(key, struct sa_sock_key);
	__type(value, struct sa_rx_progress);
} rx_progress SEC(".maps");

/* Loader policy (struct sa_config), written by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sa_config);
} sa_config SEC(".maps");

/* Cgroups being detached gracefully: connections with an end in one of them
 * move to TCP (written by sockaccelctl detach, see docs/design.md). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SA_DRAIN_ENTRIES);
	__type(key, __u64);
	__type(value, __u32);
} drain SEC(".maps");

/* Port policy: host-order port -> SA_PORT_INCLUDE / SA_PORT_EXCLUDE. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SA_POLICY_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} policy_ports SEC(".maps");

/* Process names (comm, NUL padded) whose sockets are never accelerated. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SA_POLICY_ENTRIES);
	__type(key, char[SA_COMM_LEN]);
	__type(value, __u32);
} policy_comms SEC(".maps");

/* Processes that read sockets with splice() (struct sa_splicer): listed by
 * the loader (--splicers) or learned when seen splicing from an accelerated
 * socket. Their sockets are not inserted (sa_insert). LRU: learning never
 * fails; a full map forgets the least recently used name. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SA_SPLICER_ENTRIES);
	__type(key, char[SA_COMM_LEN]);
	__type(value, struct sa_splicer);
} splicers SEC(".maps");

#endif
