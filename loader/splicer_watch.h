/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The foreground loader's warnings about processes seen splicing. */
#ifndef SA_LOADER_SPLICER_WATCH_H
#define SA_LOADER_SPLICER_WATCH_H

#include "pins.h"

/*
 * Compare the "splicers" map with what the last call saw and print one
 * warning line per process newly seen splicing from an accelerated socket,
 * and per process whose late splices (redirected bytes unread) grew. The
 * first call only records the current state.
 */
void sa_splicer_watch(const struct sa_pins *p);

#endif
