// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "counters.h"

const char *const sa_counter_names[SA_COUNTER_MAX] = {
	[SA_SOCKETS_ADDED] = "sockets_added",
	[SA_INSERT_FAILED_EXISTS] = "insert_failed_exists",
	[SA_INSERT_FAILED_FULL] = "insert_failed_full",
	[SA_INSERT_FAILED_OTHER] = "insert_failed_other",
	[SA_SOCKETS_SKIPPED_REMOTE] = "sockets_skipped_remote",
	[SA_REDIRECTED_MSGS] = "redirected_msgs",
	[SA_REDIRECTED_BYTES] = "redirected_bytes",
	[SA_PASSED_NO_PEER_MSGS] = "passed_no_peer_msgs",
	[SA_PASSED_NO_PEER_BYTES] = "passed_no_peer_bytes",
};

int sa_counters_read(int map_fd, struct sa_counters *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));	/* per-CPU values are 8-byte slots */
	if (!vals)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	for (uint32_t k = 0; k < SA_COUNTER_MAX; k++) {
		if (bpf_map_lookup_elem(map_fd, &k, vals)) {
			int r = -errno;

			free(vals);
			return r;
		}
		for (int c = 0; c < ncpu; c++)
			out->v[k] += vals[c];
	}
	free(vals);
	return 0;
}
