// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "conns.h"

const char *const sa_mode_names[SA_MODE_MAX] = {
	[SA_MODE_NEW] = "new",
	[SA_MODE_REDIRECT] = "redirect",
	[SA_MODE_TCP] = "tcp",
	[SA_MODE_OFF] = "off",
};

const char *const sa_reason_names[SA_REASON_MAX] = {
	[SA_R_NONE] = "-",
	[SA_R_PEER_ACCELERATED] = "peer_accelerated",
	[SA_R_PEER_NOT_IN_MAP] = "peer_not_in_map",
	[SA_R_PEER_GONE] = "peer_gone",
	[SA_R_SLOW_READER] = "slow_reader",
	[SA_R_RECOVERED] = "recovered",
	[SA_R_SENT_BEFORE_INSERT] = "sent_before_insert",
	[SA_R_RX_DATA] = "had_rx_data",
	[SA_R_POLICY_PORT] = "policy_port",
	[SA_R_POLICY_COMM] = "policy_comm",
	[SA_R_REMOTE] = "remote_peer",
	[SA_R_MAP_FULL] = "map_full",
	[SA_R_INSERT_FAILED] = "insert_failed",
	[SA_R_NAIVE] = "naive_build",
	[SA_R_DRAINING] = "draining",
	[SA_R_STREAM] = "stream",
	[SA_R_PEER_UNMAPPING] = "peer_unmapping",
	[SA_R_SLOW_STREAM] = "slow_stream",
	[SA_R_UNMAPPED] = "unmapped",
};

const char *sa_tcp_state_name(unsigned int state)
{
	static const char *const names[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
		"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

int sa_conns_read(const struct sa_pins *p, struct sa_conn_record **out, size_t *n)
{
	struct sa_conn_record *recs = NULL, *tmp;
	size_t cap = 0, cnt = 0, got = 0;
	int link_fd, it_fd, r = 0;
	char *buf;
	ssize_t len;

	link_fd = sa_pin_open(p, SA_PIN_ITER_CONNS);
	if (link_fd < 0)
		return link_fd;
	it_fd = bpf_iter_create(link_fd);
	close(link_fd);
	if (it_fd < 0)
		return -errno;
	/* Records may arrive split across read() calls: collect bytes first. */
	for (;;) {
		if (got + sizeof(*recs) > cap * sizeof(*recs)) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(recs, cap * sizeof(*recs));
			if (!tmp) {
				r = -ENOMEM;
				break;
			}
			recs = tmp;
		}
		buf = (char *)recs + got;
		len = read(it_fd, buf, cap * sizeof(*recs) - got);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (len == 0)
			break;
		got += len;
	}
	close(it_fd);
	cnt = got / sizeof(*recs);
	if (r) {
		free(recs);
		return r;
	}
	*out = recs;
	*n = cnt;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct sa_conn_record *const *x = a, *const *y = b;

	return memcmp(&(*x)->st.key, &(*y)->st.key, sizeof((*x)->st.key));
}

const struct sa_conn_record **sa_conns_index(const struct sa_conn_record *recs, size_t n)
{
	const struct sa_conn_record **idx = calloc(n ? n : 1, sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = &recs[i];
	qsort(idx, n, sizeof(*idx), cmp_key);
	return idx;
}

/* Binary search: a host can hold tens of thousands of sockets. */
const struct sa_conn_record *sa_conns_peer(const struct sa_conn_record **index, size_t n,
					   const struct sa_sock_key *k)
{
	struct sa_conn_record want = {};
	const struct sa_conn_record *w = &want, **hit;

	want.st.key.netns = k->netns;
	memcpy(want.st.key.local_ip, k->remote_ip, sizeof(want.st.key.local_ip));
	memcpy(want.st.key.remote_ip, k->local_ip, sizeof(want.st.key.remote_ip));
	want.st.key.local_port = k->remote_port;
	want.st.key.remote_port = k->local_port;
	hit = index ? bsearch(&w, index, n, sizeof(*index), cmp_key) : NULL;
	return hit ? *hit : NULL;
}
