/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the per-CPU counters and their names. */
#ifndef SA_COUNTERS_H
#define SA_COUNTERS_H

#include <stdint.h>
#include "../bpf/sockaccel.h"

struct sa_counters {
	uint64_t v[SA_COUNTER_MAX];
};

/* JSON/text name of each enum sa_counter. */
extern const char *const sa_counter_names[SA_COUNTER_MAX];

/* Sum every counter over all possible CPUs. 0 or -errno. */
int sa_counters_read(int map_fd, struct sa_counters *out);

#endif
