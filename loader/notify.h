/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The service manager's notifications (sd_notify(3), libsystemd) from the
 * --foreground loader: READY=1 once attached, RELOADING=1 ... READY=1 around
 * a SIGHUP reload, STOPPING=1 before the drain on SIGTERM. Each sends a
 * STATUS= line too. Without $NOTIFY_SOCKET (not under systemd) nothing is
 * sent.
 */
#ifndef SA_NOTIFY_H
#define SA_NOTIFY_H

void sa_notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sa_notify_reloading(void);
void sa_notify_stopping(void);

#endif
