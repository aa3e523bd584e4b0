// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sa_cgroup2_mount_parse: the cgroup2 mount point from /proc/self/mountinfo
 * text (fmemopen of the input). A result is a NUL-terminated, non-empty word
 * of the input; a short buffer truncates without overflow. */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <errno.h>
#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[PATH_MAX], small[8];
	FILE *f;
	int r;

	f = fuzz_file(data, size);
	if (!f)
		return 0;
	memset(buf, 'x', sizeof(buf));
	r = sa_cgroup2_mount_parse(f, buf, sizeof(buf));
	FUZZ_CHECK(r == 0 || r == -ENOENT);
	if (!r) {
		size_t len = strnlen(buf, sizeof(buf));

		FUZZ_CHECK(len > 0 && len < sizeof(buf));
		FUZZ_CHECK(!strpbrk(buf, " \t\n"));
		FUZZ_CHECK(memmem(data, size, buf, len));
	}
	rewind(f);
	r = sa_cgroup2_mount_parse(f, small, sizeof(small));
	if (!r)
		FUZZ_CHECK(strnlen(small, sizeof(small)) < sizeof(small));
	fclose(f);
	return 0;
}
