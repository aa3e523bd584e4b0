/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef SA_LOADER_LOAD_H
#define SA_LOADER_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include "pins.h"

/*
 * Load the programs, pin maps and programs into p->dir and attach sk_msg to
 * sock_map. On failure returns -errno with the failed step in err; pins it
 * made are left for the caller's rollback (sa_unload).
 */
int sa_load_and_pin(const struct sa_pins *p, char *err, size_t errlen);

#endif
