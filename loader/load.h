/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef SA_LOADER_LOAD_H
#define SA_LOADER_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "feature_table.h"
#include "pins.h"

/*
 * Load the programs, pin maps and programs into p->dir, attach the chosen
 * implementation of each optional feature (feat, from sa_probe_features) and
 * sk_msg to sock_map. The caller pins the feature table (sa_features_pin)
 * last, after the policy: its pin marks the load complete. On failure returns
 * -errno with the failed step in err; pins it made are left for the caller's
 * rollback (sa_unload).
 */
int sa_load_and_pin(const struct sa_pins *p, uint32_t map_size, const struct sa_feature_state *feat,
		    char *err, size_t errlen);

/*
 * Replace the running programs by this build's, keeping the pinned maps
 * (state, counters, policy) and every live connection: cgroup links are
 * updated in place (bpf_link_update), sk_msg is re-attached to sock_map (new
 * sockets get it; sockets already in the map keep the program they were
 * inserted with, which uses the same maps), the iterator is re-created. The
 * read-accounting links (sock_recv_length, tcp_destroy_sock) are kept:
 * replacing a tracing link cannot be atomic, and a gap or an overlap would
 * miscount reads. Fails, changing nothing,
 * when the pinned maps do not match this build's layout.
 * Returns the number of cgroup links updated, or -errno with err set.
 */
int sa_upgrade(const struct sa_pins *p, char *err, size_t errlen);

#endif
