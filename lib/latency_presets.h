/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Named syscall sets for `latency --preset`, and the syscalls whose
 * arguments and return value count queue entries (libaio, io_uring). */
#ifndef SA_LATENCY_PRESETS_H
#define SA_LATENCY_PRESETS_H

#include <stddef.h>

struct lat_preset {
	const char *name;
	const char *desc;
	const char *syscalls;	/* comma-separated, as --syscalls takes them */
};

/* The presets, NULL-terminated by name; the first one is the default. */
extern const struct lat_preset lat_presets[];

/* The preset called NAME, or NULL. */
const struct lat_preset *lat_preset_find(const char *name);

/* The preset's syscalls that exist on this architecture, comma-separated,
 * in buf (names the architecture lacks, e.g. poll on arm64, are left out).
 * Returns buf. */
char *lat_preset_syscalls(const struct lat_preset *p, char *buf, size_t len);

/*
 * Syscalls that move queue entries: the sum over calls that succeeded of
 * arguments 1 and 2 (0-based; NULL label: not summed) and of the return
 * value, each with the name the output gives it.
 */
struct lat_entries {
	const char *syscall;
	const char *arg1;
	const char *arg2;
	const char *ret;
};

/* The entry-counting description of syscall NAME, or NULL. */
const struct lat_entries *lat_entries_find(const char *name);

#endif
