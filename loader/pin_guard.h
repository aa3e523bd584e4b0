/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --foreground: the dataplane outlives its pins. The loader holds a
 * reference (fd) to every object pinned in the pin dir, so unmounting bpffs
 * or deleting the pin dir by hand does not unload anything while it runs,
 * and pins them again as soon as the pin dir can be written (docs/faults.md).
 * A teardown or detach is told apart by its links: it detaches them before
 * it removes their pins, and detached links are never pinned again.
 */
#ifndef SA_LOADER_PIN_GUARD_H
#define SA_LOADER_PIN_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include "pins.h"

struct sa_pin_guard {
	struct sa_held_pin *held;
	size_t n;
	bool lost;		/* pins gone, not restored yet (reported once) */
};

/* Once a second: take references to what is pinned now, or pin again what
 * disappeared under attached cgroups. Messages on stderr. */
void sa_pin_guard_tick(struct sa_pin_guard *g, const struct sa_pins *p);
/* True when pins are gone that this process still holds live. */
static inline bool sa_pin_guard_lost(const struct sa_pin_guard *g) { return g->lost; }
void sa_pin_guard_release(struct sa_pin_guard *g);

#endif
