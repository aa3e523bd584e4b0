// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sockaccelctl conns: the sockets in sock_map, one per line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "addr.h"
#include "ctl.h"
#include "output.h"
#include "../bpf/sockaccel.h"

static void peer_key(const struct sa_sock_key *k, struct sa_sock_key *peer)
{
	peer->netns = k->netns;
	memcpy(peer->local_ip, k->remote_ip, sizeof(peer->local_ip));
	memcpy(peer->remote_ip, k->local_ip, sizeof(peer->remote_ip));
	peer->local_port = k->remote_port;
	peer->remote_port = k->local_port;
}

int do_conns(int argc, char **argv)
{
	struct sa_sock_key key, next, peer, *prev = NULL;
	char local[64], remote[64], addr[48];
	uint64_t cookie, pcookie;
	int fd, n = 0;

	if (argc > 1)
		return ctl_usage_err("conns takes no arguments");
	if (!ctl_require_loaded())
		return EXIT_ERR;
	fd = sa_pin_open(&ctl_pins, SA_PIN_SOCK_MAP);
	if (fd < 0) {
		p_err("open %s/%s: %s", ctl_pins.dir, SA_PIN_SOCK_MAP, strerror(-fd));
		return EXIT_ERR;
	}
	output_begin(pretty_output);
	open_json_array(NULL, NULL);
	print_text("%-20s %-46s %-46s %-20s %s\n", "NETNS", "LOCAL", "REMOTE", "SOCKET-COOKIE", "PEER");
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		/* value_size 8: the kernel returns the socket cookie */
		if (bpf_map_lookup_elem(fd, &key, &cookie))
			continue;	/* closed meanwhile */
		peer_key(&key, &peer);
		bool peer_in = bpf_map_lookup_elem(fd, &peer, &pcookie) == 0;

		sa_endpoint_str(key.local_ip, key.local_port, local, sizeof(local));
		sa_endpoint_str(key.remote_ip, key.remote_port, remote, sizeof(remote));
		open_json_object(NULL);
		print_uint("netns", "%-20llu ", key.netns);
		if (json_output) {
			sa_addr_str(key.local_ip, addr, sizeof(addr));
			print_string("local_addr", NULL, addr);
			print_uint("local_port", NULL, key.local_port);
			sa_addr_str(key.remote_ip, addr, sizeof(addr));
			print_string("remote_addr", NULL, addr);
			print_uint("remote_port", NULL, key.remote_port);
		}
		print_string("local", "%-46s ", local);
		print_string("remote", "%-46s ", remote);
		print_uint("cookie", "%-20llu ", cookie);
		print_bool("peer_in_map", "%s\n", peer_in);
		close_json_object();
		n++;
	}
	close_json_array(NULL);
	output_end();
	if (!json_output && n == 0)
		printf("(no accelerated sockets)\n");
	close(fd);
	return EXIT_OK;
}
