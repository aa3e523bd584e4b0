/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef SA_BPF_COUNTERS_H
#define SA_BPF_COUNTERS_H

#include "maps.h"

static __always_inline void count(enum sa_counter idx, __u64 n)
{
	__u32 key = idx;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)	/* per-CPU slot: no atomics needed */
		*v += n;
}

/* The per-cgroup counters of a socket's attached cgroup, or NULL (no slot). */
static __always_inline struct sa_cg_counters *sa_cg(const struct sa_sock_state *st)
{
	__u32 slot = st->cg_slot;

	if (!slot)
		return NULL;
	return bpf_map_lookup_elem(&percg_counters, &slot);
}

/* A direction went to TCP or OFF for reason: per-cgroup fallbacks. */
static __always_inline void sa_cg_fallback(const struct sa_sock_state *st, __u8 reason)
{
	struct sa_cg_counters *c = sa_cg(st);

	if (c && reason < SA_CG_REASON_SLOTS)
		c->v[SA_CG_FALLBACKS + reason]++;
}

#endif
