/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one table of sockaccel's optional kernel features (docs/kernels.md):
 * for each, its implementations in order of preference and what the user
 * loses with a lesser one or with none. The loader probes them
 * (loader/probe.c), uses the best that works, and records its choice in the
 * pinned "features" map; status, conns, the drain and the tests read it back.
 */
#ifndef SA_FEATURE_TABLE_H
#define SA_FEATURE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include "pins.h"
#include "../bpf/sockaccel.h"

struct sa_feature_impl {
	const char *name;		/* e.g. "tp_btf/sock_recv_length" */
	const char *needs;		/* the kernel it takes, for messages */
	const char *progs[3];		/* its BPF programs (skeleton names); none: always there */
	const char *lost;		/* what is missing while this one is in use (NULL: nothing) */
};

struct sa_feature_desc {
	const char *key;		/* JSON key and test name, e.g. "read_accounting" */
	const char *title;		/* text, e.g. "read accounting" */
	const char *lost_off;		/* what the user loses with no implementation */
	struct sa_feature_impl impls[SA_FEAT_MAX_IMPLS];
	unsigned int n_impls;
};

extern const struct sa_feature_desc sa_features[SA_FEAT_MAX];

/*
 * Tests: SOCKACCEL_TEST_MISSING_FEATURE=NAME[,NAME...] makes the probes of
 * these names (implementation names, or the mandatory checks' names in
 * lib/checks.c) report "missing" on any kernel.
 */
bool sa_feature_forced_missing(const char *name);

/* The recorded choices of a load (pinned "features" map): 0 or -errno. */
int sa_features_read(const struct sa_pins *p, struct sa_feature_state st[SA_FEAT_MAX]);
/* Create, fill and pin the "features" map (the load's last pin). */
int sa_features_pin(const struct sa_pins *p, const struct sa_feature_state st[SA_FEAT_MAX]);

/* Name of the implementation in use, or "off". */
const char *sa_feature_impl_name(enum sa_feature f, const struct sa_feature_state *st);
/* The feature table with each implementation's probe result, text or JSON
 * (lib/output.h), as `status` and `sockaccel-loader --probe` show it; more
 * (may be NULL) prints further rows into the same table. */
void sa_features_print(const struct sa_feature_state st[SA_FEAT_MAX], void (*more)(void));
/* One row: in_use indexes names[] (-1: off); errors[i] NULL when available. */
void sa_feature_print_row(const char *key, int in_use, const char *const names[],
			  const char *const errors[], unsigned int n, const char *loses);

#endif
