// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TEST-ONLY: SOCKACCEL_TEST_STOP_AT (lib/test_hook.h). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test_hook.h"

void sa_test_step(const char *fmt, ...)
{
	static unsigned int n;
	const char *at = getenv("SOCKACCEL_TEST_STOP_AT");
	char name[128], *end;
	unsigned long want;
	va_list ap;

	if (!at || !*at)
		return;
	n++;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (!strcmp(at, "list")) {
		fprintf(stderr, "sockaccel-test-step %u %s\n", n, name);
		return;
	}
	want = strtoul(at, &end, 10);
	if ((*end || want != n) && strcmp(at, name))
		return;
	fprintf(stderr, "sockaccel-test-step %u %s: SIGKILL (SOCKACCEL_TEST_STOP_AT)\n", n, name);
	fflush(NULL);
	raise(SIGKILL);
}
