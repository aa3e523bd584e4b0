// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <bpf/bpf.h>
#include <unistd.h>

#include "short_ports.h"
#include "output.h"
#include "../bpf/sockaccel.h"

void sa_short_ports_print(const struct sa_pins *p)
{
	struct sa_port_key key, next, *prev = NULL;
	int fd = sa_pin_open(p, SA_PIN_SHORT_PORTS), n = 0;
	struct sa_port_hist v;

	open_json_array("short_lived_ports",
			"short-lived ports (new connections not inserted, --accelerate-short to insert them):\n");
	while (fd >= 0 && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || v.streak < SA_SHORT_STREAK)
			continue;
		open_json_object(NULL);
		print_uint("port", "  port %-5llu", key.port);
		print_uint("netns_cookie", " netns %llu", key.netns);
		print_uint("streak", ": %llu short sockets in a row", v.streak);
		print_uint("skipped", ", %llu connection ends skipped\n", v.skipped);
		close_json_object();
		n++;
	}
	if (!n)
		print_text(fd >= 0 ? "  -\n" : "  - (not learned by this load's build)\n");
	close_json_array(NULL);
	if (fd >= 0)
		close(fd);
}
