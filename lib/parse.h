/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Parsers of command-line values, pure (no I/O) so that tests/fuzz can fuzz them. */
#ifndef SA_PARSE_H
#define SA_PARSE_H

#include <stdint.h>

/* A decimal integer from min to max (e.g. --map-size, --max-unread): digits
 * only (no sign, no blank), no overflow. 0, or -EINVAL (out untouched). */
int sa_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A positive number of seconds, at most 1e7 (ctl latency -d/-i, ctl stats -i). 0 or -1. */
int sa_parse_seconds(const char *s, double *out);
/* A finite number of seconds >= 0 (--drain-timeout, ctl detach/teardown
 * --timeout). 0 or -EINVAL. */
int sa_parse_timeout(const char *s, double *out);

#endif
