// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Syscall presets for `sockaccelctl latency --preset NAME`, and which
 * syscalls count queue entries (docs/latency.md, "Presets").
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "latency_presets.h"
#include "latency_syscalls.h"

#define SOCKETS "sendto,sendmsg,sendmmsg,write,writev,recvfrom,recvmsg,recvmmsg,read,readv," \
		"epoll_wait,epoll_pwait,poll,io_uring_enter"
#define FILE_IO "read,write,pread64,pwrite64,readv,writev,preadv,pwritev,preadv2,pwritev2," \
		"io_submit,io_getevents,io_pgetevents,io_uring_enter,fsync,fdatasync,sync_file_range"

const struct lat_preset lat_presets[] = {
	{ "sockets", "socket I/O and waiting (the default)", SOCKETS },
	{ "file", "file I/O: blocking, positioned, vectored, libaio, io_uring, sync", FILE_IO },
	/* at most LAT_MAX_SYSCALLS (32) names: sockets + file is 26 */
	{ "all", "sockets and file together", SOCKETS "," FILE_IO },
	{ NULL, NULL, NULL },
};

const struct lat_preset *lat_preset_find(const char *name)
{
	for (const struct lat_preset *p = lat_presets; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/* NAME is one of the comma-separated names in LIST */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *s = list; *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] == ','))
		if (strcspn(s, ",") == n && !strncmp(s, name, n))
			return true;
	return false;
}

char *lat_preset_syscalls(const struct lat_preset *p, char *buf, size_t len)
{
	const char *s = p->syscalls;
	size_t off = 0;

	buf[0] = '\0';
	while (*s) {
		size_t n = strcspn(s, ",");
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)n, s);
		s += n + (s[n] == ',');
		/* "all" repeats the names both sets have: keep each once */
		if (lat_syscall_nr(name) < 0 || in_list(buf, name))
			continue;
		if (off + strlen(name) + 2 > len)
			break;
		off += snprintf(buf + off, len - off, "%s%s", off ? "," : "", name);
	}
	return buf;
}

static const struct lat_entries entries[] = {
	/* io_submit(ctx, nr, iocbpp): returns the iocbs submitted */
	{ "io_submit", "nr", NULL, "submitted" },
	/* io_getevents(ctx, min_nr, nr, events, timeout): returns the events reaped */
	{ "io_getevents", "min_nr", "nr", "events" },
	{ "io_pgetevents", "min_nr", "nr", "events" },
	/* io_uring_enter(fd, to_submit, min_complete, flags, ...): returns the SQEs consumed */
	{ "io_uring_enter", "to_submit", "min_complete", "submitted" },
};

const struct lat_entries *lat_entries_find(const char *name)
{
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (!strcmp(entries[i].syscall, name))
			return &entries[i];
	return NULL;
}
