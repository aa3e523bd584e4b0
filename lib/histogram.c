// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include "histogram.h"
#include "output.h"

void hist_bucket_bounds(int i, uint64_t *low, uint64_t *high)
{
	*low = i ? 1ULL << i : 0;
	*high = i >= 63 ? UINT64_MAX : (1ULL << (i + 1)) - 1;
}

int hist_last_nonzero(const unsigned long long *b, int n)
{
	int last = -1;

	for (int i = 0; i < n; i++)
		if (b[i])
			last = i;
	return last;
}

unsigned long long hist_sum(const unsigned long long *b, int n)
{
	uint64_t s = 0;

	for (int i = 0; i < n; i++)
		s += b[i];
	return s;
}

double hist_percentile(const unsigned long long *b, int n, double p)
{
	uint64_t total = hist_sum(b, n), cum = 0, low, high, rank;

	if (!total)
		return -1;
	/* the rank (1-based) of the sample at quantile p */
	rank = (uint64_t)ceil(p * (double)total);
	if (rank < 1)
		rank = 1;
	for (int i = 0; i < n; i++) {
		if (!b[i])
			continue;
		if (cum + b[i] >= rank) {
			/* samples spread evenly over the bucket, each at the middle of its share */
			hist_bucket_bounds(i, &low, &high);
			return (double)low + (((double)(rank - cum) - 0.5) / (double)b[i]) *
					     ((double)high + 1 - (double)low);
		}
		cum += b[i];
	}
	return -1;	/* not reached */
}

static void print_stars(uint64_t val, uint64_t val_max, int width)
{
	int num_stars = (int)((val < val_max ? val : val_max) * width / val_max);

	for (int i = 0; i < num_stars; i++)
		putchar('*');
	for (int i = num_stars; i < width; i++)
		putchar(' ');
	if (val > val_max)
		putchar('+');
}

void hist_print_text(const unsigned long long *b, int n, const char *unit)
{
	int idx_max = hist_last_nonzero(b, n), stars, width;
	uint64_t val_max = 0, low, high;

	if (idx_max < 0)
		return;
	for (int i = 0; i <= idx_max; i++)
		if (b[i] > val_max)
			val_max = b[i];
	printf("%*s%-*s : count    distribution\n", idx_max <= 32 ? 5 : 15, "",
	       idx_max <= 32 ? 19 : 29, unit);
	stars = idx_max <= 32 ? 40 : 20;
	width = idx_max <= 32 ? 10 : 20;
	for (int i = 0; i <= idx_max; i++) {
		hist_bucket_bounds(i, &low, &high);
		printf("%*llu -> %-*llu : %-8llu |", width, (unsigned long long)low, width,
		       (unsigned long long)high, (unsigned long long)b[i]);
		print_stars(b[i], val_max, stars);
		printf("|\n");
	}
}

void hist_print_json(const char *name, const unsigned long long *b, int n)
{
	int idx_max = hist_last_nonzero(b, n);
	uint64_t low, high;

	if (!json_wtr)
		return;
	open_json_array(name, NULL);
	for (int i = 0; i <= idx_max; i++) {
		hist_bucket_bounds(i, &low, &high);
		open_json_object(NULL);
		print_uint("low", NULL, low);
		print_uint("high", NULL, high);
		print_uint("count", NULL, b[i]);
		close_json_object();
	}
	close_json_array(NULL);
}
