// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sa_cgroup_resolve (every CGROUP argument of the loader and ctl): it only
 * stats, statfs'es and realpath's the real file system, so any input is safe
 * to try. A success names an absolute cgroup2 directory; a failure says why. */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <errno.h>
#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sa_cgroup cg;
	char *s = fuzz_str(data, size), err[512] = "";
	int r;

	r = sa_cgroup_resolve(s, &cg, err, sizeof(err));
	FUZZ_CHECK(r <= 0);
	if (r) {
		FUZZ_CHECK(err[0]);
	} else {
		FUZZ_CHECK(cg.abs_path[0] == '/' && cg.rel_path[0] == '/');
		FUZZ_CHECK(cg.id != 0);
	}
	free(s);
	return 0;
}
