/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Prometheus text exposition format (version 0.0.4) of a load's
 * counters: `sockaccelctl stats --prometheus` and the foreground loader's
 * `--metrics` endpoint print the same text from here. Every cgroup attached
 * in the pin dir gets its series (labels cgroup, name; reason for
 * fallbacks); the totals are their sum, so there is no unlabelled duplicate.
 */
#ifndef SA_PROM_H
#define SA_PROM_H

#include <stdio.h>
#include "pins.h"

#define SA_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Write the whole text to f. 0, or -errno when the pin dir holds no load
 * (nothing written then). */
int sa_prom_write(const struct sa_pins *p, FILE *f);

/* A label value escaped per the format: backslash, double quote and newline
 * become \\, \" and \n; anything else is copied as is. */
void sa_prom_escape(FILE *f, const char *s);

#endif
