// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sa_proc_cgroup_v2_parse: the "0::PATH" line of /proc/PID/cgroup (--pid,
 * --container), on fmemopen of the input. A result is an absolute path found
 * in the input, without newline or " (deleted)" suffix; a short buffer
 * truncates without overflow. */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <errno.h>
#include <limits.h>
#include "select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[PATH_MAX], small[8];
	int r, deleted = -1;
	FILE *f;

	f = fuzz_file(data, size);
	if (!f)
		return 0;
	memset(buf, 'x', sizeof(buf));
	r = sa_proc_cgroup_v2_parse(f, buf, sizeof(buf), &deleted);
	FUZZ_CHECK(r == 0 || r == -ENOENT);
	if (!r) {
		size_t len = strnlen(buf, sizeof(buf));

		FUZZ_CHECK(len > 0 && len < sizeof(buf));
		FUZZ_CHECK(buf[0] == '/');
		FUZZ_CHECK(!strchr(buf, '\n'));
		FUZZ_CHECK(deleted == 0 || deleted == 1);
		FUZZ_CHECK(memmem(data, size, buf, len));
	}
	rewind(f);
	r = sa_proc_cgroup_v2_parse(f, small, sizeof(small), &deleted);
	if (!r)
		FUZZ_CHECK(strnlen(small, sizeof(small)) < sizeof(small));
	fclose(f);
	return 0;
}
