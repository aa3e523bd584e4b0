/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Attach / detach / unload on pinned objects. Callers hold the pin-dir lock. */
#ifndef SA_ATTACH_H
#define SA_ATTACH_H

#include <stddef.h>
#include <stdint.h>
#include "cgroup.h"
#include "../bpf/sockaccel.h"
#include "pins.h"

/* 1: attached now; 0: was already attached (no-op); <0: -errno, err set.
 * owner_pid: the --foreground loader that will detach it (0: none). */
int sa_attach_cgroup(const struct sa_pins *p, const struct sa_cgroup *cg, uint32_t owner_pid,
		     char *err, size_t errlen);

/* Start time of a process (clock ticks since boot, /proc/PID/stat field 22), 0 if gone. */
uint64_t sa_proc_start_time(uint32_t pid);
/* The start time (field 22) from a /proc/PID/stat line; 0 if none. */
uint64_t sa_proc_stat_start_time(const char *line);
/* 1 when the foreground loader recorded in info is still running. */
int sa_owner_alive(const struct sa_cgroup_info *info);

/* Detach the link of cgroup id cgid and remove its pin and record. */
int sa_detach_cgroup(const struct sa_pins *p, uint64_t cgid, char *err, size_t errlen);

/* Find an attached cgroup by id, or by the path it was attached with. */
int sa_find_attached(const struct sa_pins *p, const char *arg, uint64_t *cgid);

/* Detach every attached cgroup (links and records). 0 or -EBUSY, err set. */
int sa_detach_all(const struct sa_pins *p, char *err, size_t errlen);

/*
 * Detach every cgroup, detach sk_msg from the map, remove every pin and the
 * directory at once. Sockets still in the map revert to plain TCP when the
 * map is freed; data redirected to them and not yet read is lost (kernel
 * behaviour): callers drain first (lib/drain.h).
 * Returns the number of map entries that were present, or -errno.
 */
int sa_unload(struct sa_pins *p, char *err, size_t errlen);
/* sa_unload without removing the directory (a loader repairing an
 * interrupted load keeps its lock on it). */
int sa_unload_objects(struct sa_pins *p, char *err, size_t errlen);

/* Entries in the pinned sock_map (sockets accelerated right now), or -errno. */
int sa_sock_map_count(int map_fd);

#endif
