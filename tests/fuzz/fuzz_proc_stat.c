// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sa_proc_stat_start_time: field 22 of a /proc/PID/stat line (a process's
 * comm, between the parentheses, can hold anything but NUL). The line ends
 * right before an unmapped page: a read past its NUL faults at once (glibc's
 * sscanf reads its input unseen by ASan). */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <sys/mman.h>
#include <unistd.h>
#include "attach.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *area;
	static size_t page;
	char *s;

	if (!area) {
		page = sysconf(_SC_PAGESIZE);
		area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		FUZZ_CHECK(area != MAP_FAILED);
		FUZZ_CHECK(!mprotect(area + page, page, PROT_NONE));
	}
	if (size >= page)
		size = page - 1;
	s = area + page - size - 1;
	memcpy(s, data, size);
	s[size] = '\0';

	(void)sa_proc_stat_start_time(s);
	if (!strchr(s, ')'))
		FUZZ_CHECK(sa_proc_stat_start_time(s) == 0);
	return 0;
}
