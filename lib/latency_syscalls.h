/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Syscall names and numbers of the build architecture. */
#ifndef SA_LATENCY_SYSCALLS_H
#define SA_LATENCY_SYSCALLS_H

#include <stddef.h>

struct lat_syscall_name {
	const char *name;
	int nr;
};

/* The number of syscall NAME, or -1 when this architecture has none. */
int lat_syscall_nr(const char *name);
/* The name of syscall NR, or NULL. */
const char *lat_syscall_name(int nr);

/* One traced syscall (`latency --syscalls`). */
struct lat_slot {
	char name[64];
	int nr;
};

/* Parse a --syscalls list: names separated by commas, blanks around a name
 * and a "sys_" prefix ignored, each syscall kept once in the order given.
 * Every name must exist on this architecture with a number below max_nr
 * (restart_syscall is refused: it is timed as part of the call it restarts).
 * Fills at most max slots. The number of slots (>= 1), or -EINVAL with a
 * one-line reason in err (an unknown name, too many, an empty list). */
int lat_parse_syscall_list(const char *list, struct lat_slot *slots, int max, int max_nr,
			   char *err, size_t errlen);

#endif
