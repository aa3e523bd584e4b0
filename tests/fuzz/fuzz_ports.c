// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sa_policy_parse_ports (--ports, --exclude-ports): every port kept is 1-65535,
 * at most SA_POLICY_ENTRIES of them, and errors say why. */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <errno.h>
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), err[256] = "";
	uint32_t ports[SA_POLICY_ENTRIES];
	int n = 0, r;

	/* twice: the second call appends to the first's ports */
	for (int pass = 0; pass < 2; pass++) {
		int before = n;

		err[0] = '\0';
		r = sa_policy_parse_ports(s, ports, &n, err, sizeof(err));
		FUZZ_CHECK(r == 0 || r == -EINVAL);
		FUZZ_CHECK(n >= before && n <= SA_POLICY_ENTRIES);
		FUZZ_CHECK(r == 0 || err[0]);
		for (int i = 0; i < n; i++)
			FUZZ_CHECK(ports[i] >= 1 && ports[i] <= 65535);
		if (r)
			break;
	}
	free(s);
	return 0;
}
