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
	[SA_PASSED_TCP_MODE_MSGS] = "passed_tcp_mode_msgs",
	[SA_PASSED_TCP_MODE_BYTES] = "passed_tcp_mode_bytes",
	[SA_SKIPPED_RX_DATA] = "skipped_rx_data",
	[SA_SKIPPED_POLICY_PORT] = "skipped_policy_port",
	[SA_SKIPPED_POLICY_COMM] = "skipped_policy_comm",
	[SA_TX_SENT_BEFORE_INSERT] = "sent_before_insert",
	[SA_T_NEW_REDIRECT] = "t_new_redirect",
	[SA_T_NEW_TCP] = "t_new_tcp",
	[SA_T_REDIRECT_TCP_SLOW_READER] = "t_redirect_tcp_slow_reader",
	[SA_T_REDIRECT_TCP_PEER_GONE] = "t_redirect_tcp_peer_gone",
	[SA_T_TCP_REDIRECT] = "t_tcp_redirect",
	[SA_T_DRAIN_TCP] = "t_drain_tcp",
	[SA_T_REDIRECT_TCP_STREAM] = "t_redirect_tcp_stream",
	[SA_UNMAPPED_CONNS] = "unmapped_connections",
	[SA_T_SLOW_STREAM] = "t_slow_stream",
	[SA_RX_READ_BYTES] = "rx_read_bytes",
	[SA_RX_RELEASED] = "rx_released",
	[SA_T_NEW_AWAIT_READER] = "t_new_await_reader",
	[SA_T_AWAIT_REDIRECT] = "t_await_redirect",
	[SA_SPLICE_SOCKETS] = "splice_sockets",
	[SA_T_PEER_SPLICES] = "t_peer_splices",
	[SA_SPLICE_LATE] = "splice_late",
	[SA_SPLICE_REFUSED_MSGS] = "splice_refused_msgs",
	[SA_SKIPPED_SPLICER] = "skipped_splicer",
	[SA_SPLICE_LATE_TCP] = "splice_late_tcp",
	[SA_SKIPPED_SHORT] = "skipped_short_lived",
};
_Static_assert(SA_COUNTER_MAX <= SA_COUNTER_SLOTS, "the counters map has no room: raise SA_COUNTER_SLOTS");
_Static_assert(SA_REASON_MAX <= SA_CG_REASON_SLOTS, "sa_cg_counters has no room: raise SA_CG_REASON_SLOTS");

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

			if (r == -ENOENT && k > 0)	/* a map from a build with fewer counters */
				break;
			free(vals);
			return r;
		}
		for (int c = 0; c < ncpu; c++)
			out->v[k] += vals[c];
	}
	free(vals);
	return 0;
}
