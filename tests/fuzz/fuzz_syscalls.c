// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lat_parse_syscall_list (`sockaccelctl latency --syscalls`): a success gives
 * 1..max slots, each a NUL-terminated name that maps back to its own number
 * (below max_nr, never restart_syscall), no number twice, every slot's name
 * present in the input; a failure gives -EINVAL and a one-line reason. */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <errno.h>
#include "latency_syscalls.h"

#define MAX 32
#define MAX_NR 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lat_slot slots[MAX + 1];
	char *s = fuzz_str(data, size), err[256] = "";
	int n;

	memset(slots, 0xaa, sizeof(slots));	/* the parser must not rely on zeroed slots */
	n = lat_parse_syscall_list(s, slots, MAX, MAX_NR, err, sizeof(err));
	if (n < 0) {
		FUZZ_CHECK(n == -EINVAL && err[0] && !strchr(err, '\n'));
	} else {
		FUZZ_CHECK(n >= 1 && n <= MAX);
		for (int i = 0; i < n; i++) {
			FUZZ_CHECK(memchr(slots[i].name, '\0', sizeof(slots[i].name)));
			FUZZ_CHECK(lat_syscall_nr(slots[i].name) == slots[i].nr);
			FUZZ_CHECK(slots[i].nr >= 0 && slots[i].nr < MAX_NR);
			FUZZ_CHECK(strcmp(slots[i].name, "restart_syscall"));
			FUZZ_CHECK(strstr(s, slots[i].name));
			for (int j = 0; j < i; j++)
				FUZZ_CHECK(slots[j].nr != slots[i].nr);
		}
	}
	/* the slot past max is never written */
	for (size_t k = 0; k < sizeof(slots[MAX]); k++)
		FUZZ_CHECK(((unsigned char *)&slots[MAX])[k] == 0xaa);
	free(s);
	return 0;
}
