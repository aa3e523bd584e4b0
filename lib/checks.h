/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Preconditions: privileges and kernel features. */
#ifndef SA_CHECKS_H
#define SA_CHECKS_H

#include <stddef.h>

/* 0 when we may load and attach; else -EPERM with the missing capability named. */
int sa_check_privileges(char *err, size_t errlen);

/*
 * 0 when the kernel has every BPF feature sockaccel needs; else -EOPNOTSUPP
 * and the missing piece named in err. For tests, the environment variable
 * SOCKACCEL_TEST_MISSING_FEATURE=<name> makes that probe report "missing".
 */
int sa_check_kernel_features(char *err, size_t errlen);

#endif
