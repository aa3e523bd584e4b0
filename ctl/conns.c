// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockaccelctl conns: every TCP socket sockaccel has seen established, with
 * the mode of each direction and the reason for it (docs/design.md).
 * TX is this socket's sends; RX is its peer's sends (the peer's TX).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "addr.h"
#include "conns.h"
#include "ctl.h"
#include "output.h"

static const char *mode_name(unsigned int m)
{
	/* SA_MODE_MAX: a socket known from sock_map only (no iterator saw it) */
	return m < SA_MODE_MAX && sa_mode_names[m] ? sa_mode_names[m] : "unknown";
}

static const char *reason_name(unsigned int r)
{
	return r < SA_REASON_MAX && sa_reason_names[r] ? sa_reason_names[r] : "?";
}

static void print_record(const struct sa_conn_record *r, const struct sa_conn_record *peer, int map_fd)
{
	uint64_t cookie;
	const struct sa_sock_state *st = &r->st;
	char local[64], remote[64], addr[48], comm[SA_COMM_LEN + 1] = {};
	uint64_t sent = st->tx_redir_bytes + st->tx_tcp_bytes, unread = 0;

	memcpy(comm, st->comm, SA_COMM_LEN);
	if (!(st->flags & SA_F_COMM_SET))
		snprintf(comm, sizeof(comm), "?");
	sa_endpoint_str(st->key.local_ip, st->key.local_port, local, sizeof(local));
	sa_endpoint_str(st->key.remote_ip, st->key.remote_port, remote, sizeof(remote));
	/* Bytes the peer sent that this socket has not read (tracked reads);
	 * once the peer socket is gone (its state with it), at least what was
	 * redirected and not read. */
	if (r->has_rx) {
		uint64_t psent = peer ? peer->st.tx_redir_bytes + peer->st.tx_tcp_bytes : 0;

		if (psent < r->rx_redir_end)
			psent = r->rx_redir_end;
		unread = psent > r->rx_read_bytes ? psent - r->rx_read_bytes : 0;
	}

	open_json_object(NULL);
	print_uint("netns", "%-12llu ", st->key.netns);
	if (json_output) {
		sa_addr_str(st->key.local_ip, addr, sizeof(addr));
		print_string("local_addr", NULL, addr);
		print_uint("local_port", NULL, st->key.local_port);
		sa_addr_str(st->key.remote_ip, addr, sizeof(addr));
		print_string("remote_addr", NULL, addr);
		print_uint("remote_port", NULL, st->key.remote_port);
	}
	print_string("local", "%-24s ", local);
	print_string("remote", "%-24s ", remote);
	print_string("state", "%-11s ", sa_tcp_state_name(r->tcp_state));
	print_string("comm", "%-15s ", comm);
	/* The map itself, not the state flag: a drain removes sockets from it. */
	print_bool("in_map", NULL, map_fd >= 0 && !bpf_map_lookup_elem(map_fd, &st->key, &cookie));
	print_uint("cookie", NULL, st->cookie);
	print_uint("cgroup_id", NULL, st->cgroup_id);
	open_json_object("tx");
	print_string("mode", "%-8s ", mode_name(st->mode));
	print_string("reason", "%-18s ", reason_name(st->reason));
	print_uint("redirected_bytes", "%12llu ", st->tx_redir_bytes);
	print_uint("tcp_bytes", "%12llu ", st->tx_tcp_bytes);
	print_uint("redirected_msgs", NULL, st->tx_redir_msgs);
	print_uint("tcp_msgs", NULL, st->tx_tcp_msgs);
	print_uint("transitions", "%3llu ", st->transitions);
	print_uint("sent_bytes", NULL, sent);
	close_json_object();
	open_json_object("rx");
	if (peer) {
		print_string("mode", "%-8s ", mode_name(peer->st.mode));
		print_string("reason", "%-18s ", reason_name(peer->st.reason));
	} else {
		print_null("mode", "-        ");
		print_null("reason", "-                  ");
	}
	if (r->has_rx) {
		print_uint("read_bytes", NULL, r->rx_read_bytes);
		print_uint("unread_bytes", "%10llu ", unread);
		print_uint("limit", "%10llu", r->rx_limit);
		/* How this socket reads, as the programs saw it: recvmsg
		 * counted (the proof redirects wait for), splice seen. */
		print_bool("reads_recvmsg", NULL, r->rx_flags & SA_RX_READS);
		print_bool("splices", r->rx_flags & SA_RX_SPLICED ? " splice" : "",
			   r->rx_flags & SA_RX_SPLICED);
	} else {
		print_null("read_bytes", NULL);
		print_null("unread_bytes", "         - ");
		print_null("limit", "         -");
	}
	close_json_object();
	print_text("\n");
	close_json_object();
}

static int cmp_rec(const void *a, const void *b)
{
	const struct sa_conn_record *x = a, *y = b;

	if (x->st.key.netns != y->st.key.netns)
		return x->st.key.netns < y->st.key.netns ? -1 : 1;
	if (x->st.key.local_port != y->st.key.local_port)
		return x->st.key.local_port < y->st.key.local_port ? -1 : 1;
	return (x->st.key.remote_port > y->st.key.remote_port) - (x->st.key.remote_port < y->st.key.remote_port);
}

int do_conns(int argc, char **argv)
{
	const struct sa_conn_record **index;
	struct sa_conn_record *recs = NULL;
	size_t n = 0, shown = 0;
	int r, map_fd;

	if (argc > 1)
		return ctl_usage_err("conns takes no arguments");
	if (!ctl_require_loaded())
		return EXIT_ERR;
	r = sa_conns_read(&ctl_pins, &recs, &n);
	if (r) {
		p_err("read the connections in %s: %s", ctl_pins.dir, strerror(-r));
		return EXIT_ERR;
	}
	qsort(recs, n, sizeof(*recs), cmp_rec);
	index = sa_conns_index(recs, n);
	map_fd = sa_pin_open(&ctl_pins, SA_PIN_SOCK_MAP);
	output_begin(pretty_output);
	open_json_array(NULL, NULL);
	print_text("%-12s %-24s %-24s %-11s %-15s %-8s %-18s %12s %12s %3s %-8s %-18s %10s %10s\n",
		   "NETNS", "LOCAL", "REMOTE", "STATE", "COMM", "TX-MODE", "TX-REASON", "TX-REDIR",
		   "TX-TCP", "TR", "RX-MODE", "RX-REASON", "RX-UNREAD", "RX-LIMIT");
	for (size_t i = 0; i < n; i++) {
		/* Listeners and sockets never established carry no key. */
		if (!recs[i].st.key.netns)
			continue;
		print_record(&recs[i], sa_conns_peer(index, n, &recs[i].st.key), map_fd);
		shown++;
	}
	close_json_array(NULL);
	output_end();
	if (!json_output && shown == 0)
		printf("(no connections seen)\n");
	free(index);
	free(recs);
	if (map_fd >= 0)
		close(map_fd);
	return EXIT_OK;
}
