// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "attach.h"
#include "conns.h"
#include "counters.h"
#include "percg.h"
#include "prom.h"
#include "percg_print.h"

void sa_prom_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labels(FILE *f, const struct sa_percg *e)
{
	fputs("{cgroup=\"", f);
	sa_prom_escape(f, e->path);
	fputs("\",name=\"", f);
	sa_prom_escape(f, e->name);
	fputc('"', f);
}

/* The per-cgroup families: sockaccel_<metric>_total, one per counter. */
static const struct {
	enum sa_cg_counter c;
	const char *name, *help;
} percg_families[] = {
	{ SA_CG_SOCKETS_ADDED, "sockaccel_sockets_added_total",
	  "Sockets of the attached cgroup inserted into the socket map." },
	{ SA_CG_REDIRECTED_MSGS, "sockaccel_redirected_messages_total",
	  "Messages sent by the cgroup's sockets straight into their peer's receive queue." },
	{ SA_CG_REDIRECTED_BYTES, "sockaccel_redirected_bytes_total",
	  "Bytes sent by the cgroup's sockets straight into their peer's receive queue." },
	{ SA_CG_PASSED_MSGS, "sockaccel_passed_messages_total",
	  "Messages the cgroup's accelerated sockets sent on the TCP path (fallbacks)." },
	{ SA_CG_PASSED_BYTES, "sockaccel_passed_bytes_total",
	  "Bytes the cgroup's accelerated sockets sent on the TCP path (fallbacks)." },
};

int sa_prom_write(const struct sa_pins *p, FILE *f)
{
	struct sa_percg *cg = NULL;
	struct sa_counters tot;
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	int n = 0, r, fd, active = -1;

	r = sa_percg_list(p, &cg, &n);
	if (r)
		return r;
	fd = sa_pin_open(p, SA_PIN_COUNTERS);
	r = fd < 0 ? fd : sa_counters_read(fd, &tot);
	if (fd >= 0)
		close(fd);
	if (r) {
		free(cg);
		return r;
	}
	fd = sa_pin_open(p, SA_PIN_SOCK_MAP);
	if (fd >= 0) {
		active = sa_sock_map_count(fd);
		bpf_obj_get_info_by_fd(fd, &mi, &len);
		close(fd);
	}

	for (size_t k = 0; k < sizeof(percg_families) / sizeof(percg_families[0]); k++) {
		family(f, percg_families[k].name, "counter", percg_families[k].help);
		for (int i = 0; i < n; i++) {
			if (!cg[i].slot)	/* not counted per cgroup: no series rather than zeros */
				continue;
			fputs(percg_families[k].name, f);
			labels(f, &cg[i]);
			fprintf(f, "} %llu\n", (unsigned long long)cg[i].c.v[percg_families[k].c]);
		}
	}
	family(f, "sockaccel_fallbacks_total", "counter",
	       "Directions of the cgroup's sockets that went to TCP or were never accelerated, by reason.");
	for (int i = 0; i < n; i++)
		for (int rs = 0; rs < SA_REASON_MAX; rs++) {
			if (!cg[i].slot || !sa_cg_reason_is_fallback(rs))
				continue;
			fputs("sockaccel_fallbacks_total", f);
			labels(f, &cg[i]);
			fprintf(f, ",reason=\"%s\"} %llu\n", sa_reason_names[rs],
				(unsigned long long)cg[i].c.v[SA_CG_FALLBACKS + rs]);
		}
	/* Whole-load figures, under names of their own (not sums of the above). */
	family(f, "sockaccel_cgroups_attached", "gauge", "Cgroups attached in this pin dir.");
	fprintf(f, "sockaccel_cgroups_attached %d\n", n);
	if (active >= 0) {
		family(f, "sockaccel_sockets_active", "gauge", "Sockets in the socket map now.");
		fprintf(f, "sockaccel_sockets_active %d\n", active);
		family(f, "sockaccel_socket_map_capacity", "gauge", "Entries the socket map can hold.");
		fprintf(f, "sockaccel_socket_map_capacity %u\n", mi.max_entries);
	}
	family(f, "sockaccel_insert_failures_total", "counter",
	       "Sockets that could not be inserted into the socket map, by reason (all cgroups).");
	fprintf(f, "sockaccel_insert_failures_total{reason=\"exists\"} %llu\n",
		(unsigned long long)tot.v[SA_INSERT_FAILED_EXISTS]);
	fprintf(f, "sockaccel_insert_failures_total{reason=\"map_full\"} %llu\n",
		(unsigned long long)tot.v[SA_INSERT_FAILED_FULL]);
	fprintf(f, "sockaccel_insert_failures_total{reason=\"other\"} %llu\n",
		(unsigned long long)tot.v[SA_INSERT_FAILED_OTHER]);
	free(cg);
	return 0;
}
