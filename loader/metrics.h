/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The foreground loader's opt-in Prometheus endpoint (--metrics ADDR:PORT):
 * GET /metrics serves lib/prom.c's text for every cgroup attached in the pin
 * dir, from libmicrohttpd's own thread.
 */
#ifndef SA_LOADER_METRICS_H
#define SA_LOADER_METRICS_H

#include <stddef.h>
#include <sys/socket.h>
#include "pins.h"

#define SA_METRICS_DEFAULT_ADDR "127.0.0.1"

/* Parse PORT, :PORT, ADDR:PORT or [ADDR6]:PORT (numeric addresses only;
 * the address defaults to 127.0.0.1). 0, or -EINVAL with err set. */
int sa_metrics_parse(const char *arg, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen);

/* Bind and listen on arg (as parsed above), then serve from a thread that
 * never takes SIGTERM/SIGINT/SIGHUP (they stay with the main thread, whose
 * graceful drain must not be disturbed). 0, or -errno with err set. */
int sa_metrics_start(const char *arg, const struct sa_pins *pins, char *err, size_t errlen);

/* Stop serving (no-op when not started). */
void sa_metrics_stop(void);

#endif
