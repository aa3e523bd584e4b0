/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Syscall names and numbers of the build architecture. */
#ifndef SA_LATENCY_SYSCALLS_H
#define SA_LATENCY_SYSCALLS_H

struct lat_syscall_name {
	const char *name;
	int nr;
};

/* The number of syscall NAME, or -1 when this architecture has none. */
int lat_syscall_nr(const char *name);
/* The name of syscall NR, or NULL. */
const char *lat_syscall_name(int nr);

#endif
