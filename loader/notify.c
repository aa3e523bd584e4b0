// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sd_notify from the foreground loader (notify.h). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include "notify.h"

void sa_notify_ready(const char *fmt, ...)
{
	char status[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void sa_notify_reloading(void)
{
	struct timespec ts;

	/* systemd 253+ (Type=notify-reload) matches RELOADING=1 to the reload
	 * by MONOTONIC_USEC; older ones ignore the field. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading the config file\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void sa_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: detaching and draining what this loader attached");
}
