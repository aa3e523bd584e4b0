// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "output.h"
#include "splicer_watch.h"
#include "../bpf/sockaccel.h"

static struct seen {
	char comm[SA_COMM_LEN];
	__u64 sockets, late;
} seen[SA_SPLICER_ENTRIES];
static int n_seen;
static bool primed;

static struct seen *find(const char *comm)
{
	for (int i = 0; i < n_seen; i++)
		if (!memcmp(seen[i].comm, comm, SA_COMM_LEN))
			return &seen[i];
	if (n_seen == SA_SPLICER_ENTRIES)
		return NULL;
	memcpy(seen[n_seen].comm, comm, SA_COMM_LEN);
	seen[n_seen].sockets = seen[n_seen].late = 0;
	return &seen[n_seen++];
}

void sa_splicer_watch(const struct sa_pins *p)
{
	char key[SA_COMM_LEN], next[SA_COMM_LEN], *prev = NULL;
	int fd = sa_pin_open(p, SA_PIN_SPLICERS);
	struct sa_splicer v;

	if (fd < 0)
		return;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		char name[SA_COMM_LEN + 1] = {};
		struct seen *s;

		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &v) || !(v.flags & SA_SPLICER_SEEN) || !(s = find(key)))
			continue;
		memcpy(name, key, SA_COMM_LEN);
		if (primed && !s->sockets && v.sockets)
			p_info("sockaccel-loader: warning: %s (pid %u) reads accelerated sockets with splice(): its new "
			       "sockets are not accelerated from now on (sockaccelctl status)",
			       name, v.last_pid);
		if (primed && v.late > s->late)
			p_info("sockaccel-loader: warning: %s (pid %u) began to splice() %llu socket(s) holding redirected "
			       "bytes, which splice() cannot read (recv() can): those connections may "
			       "stall; name it in --splicers (docs/limitations.md)",
			       name, v.last_pid, (unsigned long long)(v.late - s->late));
		s->sockets = v.sockets;
		s->late = v.late;
	}
	primed = true;
	close(fd);
}
