/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The name each attached cgroup was given ("unit redis-server.service",
 * "pid 1234", "container web", "run NAME"), for `status` and for `detach` of a
 * cgroup that is gone. Kept in the pinned HASH "cgroup_names" (cgroup id ->
 * char[SA_CGROUP_NAME_MAX]), created by user space on first use: no program
 * reads it, and loads from older builds simply have none. Callers hold the
 * pin-dir lock for changes.
 */
#ifndef SA_CGROUP_NAMES_H
#define SA_CGROUP_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include "pins.h"

#define SA_CGROUP_NAME_MAX 128

/* Record name for cgid (creating the map when absent). 0 or -errno. */
int sa_cgroup_name_set(const struct sa_pins *p, uint64_t cgid, const char *name);
/* The recorded name; 0, or -ENOENT (none, or no map). */
int sa_cgroup_name_get(const struct sa_pins *p, uint64_t cgid, char *buf, size_t len);
/* Forget it (no error when absent). */
void sa_cgroup_name_del(const struct sa_pins *p, uint64_t cgid);
/* The cgroup recorded with this name; 0 or -ENOENT. */
int sa_cgroup_find_by_name(const struct sa_pins *p, const char *name, uint64_t *cgid);

#endif
