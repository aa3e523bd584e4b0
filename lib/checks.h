/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Preconditions: privileges and kernel features. */
#ifndef SA_CHECKS_H
#define SA_CHECKS_H

#include <stddef.h>

/* 0 when we may load and attach; else -EPERM with the missing capability
 * named, or bpf() refused (sa_check_bpf_allowed: capabilities held only in a
 * user namespace). */
int sa_check_privileges(char *err, size_t errlen);
/* bpf() itself may be used (creates a one-entry array): -EPERM, err set, if not. */
int sa_check_bpf_allowed(char *err, size_t errlen);

/*
 * 0 when the kernel has every BPF feature the dataplane needs (sockops
 * insertion and sk_msg redirect); else -EOPNOTSUPP and the missing piece
 * named in err. The optional features are in lib/feature_table.h. For tests,
 * SOCKACCEL_TEST_MISSING_FEATURE=NAME[,NAME...] makes these probes report
 * "missing".
 */
int sa_check_kernel_features(char *err, size_t errlen);

#endif
