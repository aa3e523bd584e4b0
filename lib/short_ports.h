/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The short-lived connection ports the programs learned (the "short_ports"
 * map, docs/design.md "Short-lived connections"), for status. */
#ifndef SA_SHORT_PORTS_H
#define SA_SHORT_PORTS_H

#include "pins.h"

/* Print the service ports whose new connections are not inserted now
 * (streak at SA_SHORT_STREAK or more), as "short_lived_ports" in JSON. */
void sa_short_ports_print(const struct sa_pins *p);

#endif
