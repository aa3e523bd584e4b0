// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The number parsers of lib/parse.c: sa_parse_u64 (--map-size, --max-unread),
 * sa_parse_seconds (ctl latency -d/-i), sa_parse_timeout (--drain-timeout).
 * What is accepted is in range, finite, and written only then. */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <errno.h>
#include <math.h>
#include "parse.h"

/* An accepted integer is the input's digits, as written (no sign, no blank,
 * no wrap, no clamping on overflow). */
static void check_as_written(const char *s, uint64_t v)
{
	char buf[32];

	while (*s == '0' && s[1])
		s++;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	FUZZ_CHECK(!strcmp(s, buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	uint64_t u = 12345;
	double d = -7;
	int r;

	r = sa_parse_u64(s, 1, 1u << 24, &u);		/* --map-size */
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r) {
		FUZZ_CHECK(u == 12345);
	} else {
		FUZZ_CHECK(u >= 1 && u <= 1u << 24);
		check_as_written(s, u);
	}
	u = 12345;
	r = sa_parse_u64(s, 4096, UINT64_MAX, &u);	/* --max-unread */
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r) {
		FUZZ_CHECK(u == 12345);
	} else {
		FUZZ_CHECK(u >= 4096);
		check_as_written(s, u);
	}

	r = sa_parse_seconds(s, &d);
	FUZZ_CHECK(r == 0 || r == -1);
	if (r)
		FUZZ_CHECK(d == -7);
	else
		FUZZ_CHECK(isfinite(d) && d > 0 && d <= 1e7);
	d = -7;
	r = sa_parse_timeout(s, &d);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r)
		FUZZ_CHECK(d == -7);
	else
		FUZZ_CHECK(isfinite(d) && d >= 0);
	free(s);
	return 0;
}
