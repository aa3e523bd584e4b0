/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The loader's acceleration policy, persisted in the config/policy_* maps. */
#ifndef SA_POLICY_H
#define SA_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pins.h"
#include "../bpf/sockaccel.h"

struct sa_policy {
	uint32_t include_ports[SA_POLICY_ENTRIES];
	int n_include;
	uint32_t exclude_ports[SA_POLICY_ENTRIES];
	int n_exclude;
	char exclude_comms[SA_POLICY_ENTRIES][SA_COMM_LEN];
	int n_comms;
	uint64_t max_unread;	/* 0: auto */
	bool redirect_streams;	/* --redirect-streams: no stream detection */
	bool accelerate_short;	/* --accelerate-short: no short-lived connection skipping */
	/* --splicers: processes whose sockets are never inserted because they
	 * read sockets with splice() (the "splicers" map, flag LISTED). */
	char splicers[SA_POLICY_ENTRIES][SA_COMM_LEN];
	int n_splicers;
};

/* Known programs that read sockets with recv() and then splice() (which the
 * kernel cannot serve redirected data to): the --splicers default. */
#define SA_DEFAULT_SPLICERS "haproxy"

/* Append a comma list of ports (1-65535) to ports[]. 0 or -EINVAL, err set. */
int sa_policy_parse_ports(const char *list, uint32_t *ports, int *n, char *err, size_t errlen);
/* Append a comma list of process names (at most 15 bytes each). */
int sa_policy_parse_comms(const char *list, struct sa_policy *pol, char *err, size_t errlen);
/* Replace pol's splicers by a comma list of process names ("none": empty). */
int sa_policy_parse_splicers(const char *list, struct sa_policy *pol, char *err, size_t errlen);

/* Replace the pinned policy by pol. 0 or -errno, err set. */
int sa_policy_write(const struct sa_pins *p, const struct sa_policy *pol, char *err, size_t errlen);
/* Read the pinned policy. 0 or -errno. */
int sa_policy_read(const struct sa_pins *p, struct sa_policy *pol);
/* Print it (text and JSON, as object "policy"). */
void sa_policy_print(const struct sa_policy *pol);
/* The processes seen splicing from accelerated sockets (learned entries of the
 * "splicers" map), text and JSON (array "splicers_seen"). */
void sa_splicers_seen_print(const struct sa_pins *p);

#endif
