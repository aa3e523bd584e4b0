/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Printing the per-cgroup counters (lib/output: text and JSON in one call). */
#ifndef SA_PERCG_PRINT_H
#define SA_PERCG_PRINT_H

#include <stdbool.h>
#include "percg.h"

/* Reasons counted as fallbacks (a direction to TCP, or never accelerated). */
bool sa_cg_reason_is_fallback(int reason);

/* The counters of one cgroup: a JSON object "counters" in the open object;
 * in text, two lines starting with indent. A cgroup without a slot gets
 * null and "not counted per cgroup". */
void sa_percg_print_counters(const struct sa_percg *e, const char *indent);

/* The first of the two lines alone, into the open JSON object (no
 * "counters" object, no fallbacks): for totals that have no per-reason form. */
void sa_percg_print_counters_only(const struct sa_percg *e, const char *indent);

/* "per cgroup:" then each attached cgroup with its counters; JSON: array "cgroups". */
void sa_percg_print_all(const struct sa_pins *p);

#endif
