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

#endif
