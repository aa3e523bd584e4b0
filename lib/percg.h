/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per attached cgroup counters (docs/design.md "Per-cgroup counters"): the
 * slot each attached cgroup gets in the "percg_counters" PERCPU_ARRAY, and
 * the list of attached cgroups with their counters for stats, status and
 * the Prometheus text.
 */
#ifndef SA_PERCG_H
#define SA_PERCG_H

#include <stdbool.h>
#include <stdint.h>
#include "../bpf/sockaccel.h"
#include "cgroup_names.h"
#include "pins.h"

/* Names of enum sa_cg_counter below SA_CG_FALLBACKS. */
extern const char *const sa_cg_counter_names[SA_CG_FALLBACKS];

/*
 * A free slot for cgid (1..SA_CG_SLOTS-1), its counters zeroed, or 0 when
 * every slot is taken or the load has no percg_counters map (that cgroup
 * then counts under the totals only). cgroups_fd: the "cgroups" hash, whose
 * records hold the slots in use. The caller holds the pin-dir lock.
 */
uint32_t sa_percg_slot_alloc(const struct sa_pins *p, int cgroups_fd, uint64_t cgid);

/* Give every attached cgroup recorded without a slot (by an older build)
 * one, e.g. after --upgrade. Returns how many got one. Pin-dir lock held. */
int sa_percg_assign_missing(const struct sa_pins *p);

struct sa_percg {
	uint64_t cgid;
	char path[SA_CGROUP_PATH_MAX];
	char name[SA_CGROUP_NAME_MAX];	/* "" when none was recorded */
	uint32_t slot;			/* 0: not counted per cgroup */
	struct sa_cg_counters c;
};

/* Every attached cgroup with its counters, sorted by path; *n entries in
 * *out (free() it). 0 or -errno (no cgroups map). */
int sa_percg_list(const struct sa_pins *p, struct sa_percg **out, int *n);

/* The counters of one slot, summed over CPUs. 0 or -errno. */
int sa_percg_read(const struct sa_pins *p, uint32_t slot, struct sa_cg_counters *out);

/* True when the load counts per cgroup (it has the percg_counters map). */
bool sa_percg_available(const struct sa_pins *p);

#endif
