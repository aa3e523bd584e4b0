// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sa_policy_parse_comms (--exclude-comm) and sa_policy_parse_splicers
 * (--splicers): every name kept is non-empty, NUL-padded, at most 15 bytes. */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <errno.h>
#include "policy.h"

static void check_names(char names[][SA_COMM_LEN], int n)
{
	FUZZ_CHECK(n >= 0 && n <= SA_POLICY_ENTRIES);
	for (int i = 0; i < n; i++) {
		size_t len = strnlen(names[i], SA_COMM_LEN);

		FUZZ_CHECK(len >= 1 && len < SA_COMM_LEN);
		FUZZ_CHECK(!memchr(names[i], ',', len));
		for (size_t j = len; j < SA_COMM_LEN; j++)
			FUZZ_CHECK(names[i][j] == '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sa_policy pol;
	char *s = fuzz_str(data, size), err[256] = "";
	int r;

	memset(&pol, 0xaa, sizeof(pol));	/* the parsers must not rely on zeroed names */
	pol.n_comms = 0;
	r = sa_policy_parse_comms(s, &pol, err, sizeof(err));
	FUZZ_CHECK(r == 0 || (r == -EINVAL && err[0]));
	check_names(pol.exclude_comms, pol.n_comms);

	err[0] = '\0';
	pol.n_splicers = 3;
	r = sa_policy_parse_splicers(s, &pol, err, sizeof(err));
	FUZZ_CHECK(r == 0 || (r == -EINVAL && err[0]));
	check_names(pol.splicers, pol.n_splicers);
	if (!strcmp(s, "none"))
		FUZZ_CHECK(r == 0 && pol.n_splicers == 0);
	free(s);
	return 0;
}
