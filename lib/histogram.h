/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log2 histograms as libbpf-tools prints them. Bucket 0 holds 0 and 1,
 * bucket i > 0 holds [2^i, 2^(i+1) - 1] (bounds inclusive, in the unit the
 * values were bucketed in).
 */
#ifndef SA_HISTOGRAM_H
#define SA_HISTOGRAM_H

#include <stdint.h>

void hist_bucket_bounds(int i, uint64_t *low, uint64_t *high);
/* Index of the last non-empty bucket, -1 when all are empty. */
int hist_last_nonzero(const unsigned long long *b, int n);
unsigned long long hist_sum(const unsigned long long *b, int n);
/*
 * Estimate of the p-quantile (0 < p <= 1): the bucket holding it, linear
 * inside the bucket. Within a factor of two of the true value. -1 when empty.
 */
double hist_percentile(const unsigned long long *b, int n, double p);
/* Text (libbpf-tools print_log2_hist layout): nothing when empty. */
void hist_print_text(const unsigned long long *b, int n, const char *unit);
/*
 * JSON (needs json_wtr open): an array named `name` of
 * {"low": L, "high": H, "count": C} from bucket 0 to the last non-empty one,
 * the same rows the text shows.
 */
void hist_print_json(const char *name, const unsigned long long *b, int n);

#endif
