/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Probing the optional kernel features of lib/feature_table.h with this build's programs. */
#ifndef SA_LOADER_PROBE_H
#define SA_LOADER_PROBE_H

#include <bpf/libbpf.h>
#include "feature_table.h"
#include "sockaccel.skel.h"

/*
 * Try every implementation of every optional feature: load its programs
 * (alone, against small throw-away maps) and attach its tracing programs
 * for a moment. st[f].impl is the first that worked, or SA_IMPL_OFF.
 */
void sa_probe_features(struct sa_feature_state st[SA_FEAT_MAX]);
/* The same for one feature. */
void sa_probe_feature(enum sa_feature f, struct sa_feature_state *st);

/* Load only the programs every load needs plus the chosen implementations'. */
void sa_probe_select_programs(struct sockaccel_bpf *skel, const struct sa_feature_state st[SA_FEAT_MAX]);

/* Attach one tracing or iterator program of the skeleton (the conns
 * iterator over sock_state gets its map). NULL with errno set on failure. */
struct bpf_link *sa_probe_attach(struct sockaccel_bpf *skel, struct bpf_program *prog);

#endif
