// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include "conns.h"
#include "output.h"
#include "percg_print.h"

bool sa_cg_reason_is_fallback(int r)
{
	return r > SA_R_NONE && r < SA_REASON_MAX && r != SA_R_PEER_ACCELERATED && r != SA_R_RECOVERED &&
	       r != SA_R_NAIVE;
}

void sa_percg_print_counters_only(const struct sa_percg *e, const char *indent)
{
	const struct sa_cg_counters *c = &e->c;

	print_text("%s", indent);
	print_uint(sa_cg_counter_names[SA_CG_SOCKETS_ADDED], "sockets_added %llu",
		   c->v[SA_CG_SOCKETS_ADDED]);
	print_uint(sa_cg_counter_names[SA_CG_REDIRECTED_MSGS], ", redirected %llu msgs",
		   c->v[SA_CG_REDIRECTED_MSGS]);
	print_uint(sa_cg_counter_names[SA_CG_REDIRECTED_BYTES], " / %llu bytes", c->v[SA_CG_REDIRECTED_BYTES]);
	print_uint(sa_cg_counter_names[SA_CG_PASSED_MSGS], ", passed %llu msgs", c->v[SA_CG_PASSED_MSGS]);
	print_uint(sa_cg_counter_names[SA_CG_PASSED_BYTES], " / %llu bytes\n", c->v[SA_CG_PASSED_BYTES]);
}

void sa_percg_print_counters(const struct sa_percg *e, const char *indent)
{
	const struct sa_cg_counters *c = &e->c;
	bool any = false;

	if (!e->slot) {
		print_null("counters", NULL);
		print_text("%snot counted per cgroup (attached by an older build, or more than %d cgroups: "
			   "in the totals only)\n", indent, SA_CG_SLOTS - 1);
		return;
	}
	open_json_object("counters");
	sa_percg_print_counters_only(e, indent);
	open_json_object("fallbacks");
	print_text("%sfallbacks:", indent);
	for (int r = 0; r < SA_REASON_MAX; r++) {
		char fmt[64];

		if (!sa_cg_reason_is_fallback(r))
			continue;
		/* JSON: every reason; text: those that happened. */
		snprintf(fmt, sizeof(fmt), " %s %%llu", sa_reason_names[r]);
		print_uint(sa_reason_names[r], c->v[SA_CG_FALLBACKS + r] ? fmt : NULL, c->v[SA_CG_FALLBACKS + r]);
		any |= c->v[SA_CG_FALLBACKS + r] != 0;
	}
	print_text("%s\n", any ? "" : " none");
	close_json_object();
	close_json_object();
}

void sa_percg_print_all(const struct sa_pins *p)
{
	struct sa_percg *v = NULL;
	int n = 0;

	if (sa_percg_list(p, &v, &n))
		n = 0;
	open_json_array("cgroups", "per cgroup:\n");
	for (int i = 0; i < n; i++) {
		open_json_object(NULL);
		print_string("path", "  %s", v[i].path);
		if (v[i].name[0])
			print_string("name", " (%s)", v[i].name);
		else
			print_null("name", NULL);
		print_uint("id", " id %llu\n", v[i].cgid);
		sa_percg_print_counters(&v[i], "    ");
		close_json_object();
	}
	if (!n)
		print_text("  (none attached)\n");
	close_json_array(NULL);
	free(v);
}
