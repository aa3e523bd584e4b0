// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sockaccelctl status */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "attach.h"
#include "cgroup_names.h"
#include "checks.h"
#include "counters.h"
#include "ctl.h"
#include "feature_table.h"
#include "output.h"
#include "percg_print.h"
#include "short_ports.h"
#include "policy.h"
#include "../bpf/sockaccel.h"

static __u32 prog_id(const char *pin)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = sa_pin_open(&ctl_pins, pin);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

/* Sockets refused by a full sock_map since the load (counter insert_failed_full). */
static unsigned long long map_full_count(void)
{
	static struct sa_counters c;
	int fd = sa_pin_open(&ctl_pins, SA_PIN_COUNTERS);
	int r = fd < 0 ? fd : sa_counters_read(fd, &c);

	if (fd >= 0)
		close(fd);
	return r ? 0 : c.v[SA_INSERT_FAILED_FULL];
}

/* The whole load's counters in the per-cgroup form: the sum of the cgroups,
 * plus sockets no attached cgroup claims (docs/design.md). */
static void print_totals_line(void)
{
	struct sa_percg t = { .slot = 1 };
	struct sa_counters c;
	int fd = sa_pin_open(&ctl_pins, SA_PIN_COUNTERS);
	int r = fd < 0 ? fd : sa_counters_read(fd, &c);

	if (fd >= 0)
		close(fd);
	if (r)
		return;
	t.c.v[SA_CG_SOCKETS_ADDED] = c.v[SA_SOCKETS_ADDED];
	t.c.v[SA_CG_REDIRECTED_MSGS] = c.v[SA_REDIRECTED_MSGS];
	t.c.v[SA_CG_REDIRECTED_BYTES] = c.v[SA_REDIRECTED_BYTES];
	t.c.v[SA_CG_PASSED_MSGS] = c.v[SA_PASSED_NO_PEER_MSGS] + c.v[SA_PASSED_TCP_MODE_MSGS];
	t.c.v[SA_CG_PASSED_BYTES] = c.v[SA_PASSED_NO_PEER_BYTES] + c.v[SA_PASSED_TCP_MODE_BYTES];
	open_json_object("totals");
	print_text("totals:\n");
	sa_percg_print_counters_only(&t, "    ");
	close_json_object();
}

static void print_cgroup(const struct sa_pins *p, uint64_t cgid, void *arg)
{
	struct sa_cgroup_info info = {};
	struct sa_percg pc = {};
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	char path[PATH_MAX], name[SA_CGROUP_NAME_MAX];
	int fd, cg_fd = *(int *)arg;
	bool live = false;

	if (cg_fd < 0 || bpf_map_lookup_elem(cg_fd, &cgid, &info))
		snprintf(info.path, sizeof(info.path), "?");
	sa_link_pin_path(p, cgid, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* A link whose cgroup was removed reports cgroup id 0. */
		if (!bpf_obj_get_info_by_fd(fd, &li, &len))
			live = li.cgroup.cgroup_id == cgid;
		close(fd);
	}
	open_json_object(NULL);
	/* The name it was attached by (--unit, --pid, --container, ctl run), if any. */
	if (!sa_cgroup_name_get(p, cgid, name, sizeof(name))) {
		print_string("name", "    %s: ", name);
		print_string("path", "%s", info.path);
	} else {
		print_null("name", NULL);
		print_string("path", "    %s", info.path);
	}
	print_uint("id", " (id %llu)", cgid);
	print_uint("link_id", " link %llu", li.id);
	print_bool("attached", live ? "" : "  [cgroup gone: link defunct]", live);
	/* A --foreground loader detaches on SIGTERM; after SIGKILL its
	 * attachment stays (pinned link) and is said so here. */
	if (info.owner_pid) {
		bool alive = sa_owner_alive(&info);

		open_json_object("foreground_loader");
		print_uint("pid", "  [--foreground loader pid %llu", info.owner_pid);
		print_bool("running", alive ? ": running]" :
			   ": not running (killed?); stays attached until `sockaccelctl detach` or `teardown`]",
			   alive);
		close_json_object();
	}
	print_text("\n");
	/* Its own counters (docs/design.md "Per-cgroup counters"). */
	pc.slot = info.slot;
	if (!pc.slot || sa_percg_read(p, pc.slot, &pc.c))
		pc.slot = 0;
	sa_percg_print_counters(&pc, "      ");
	close_json_object();
}

int do_status(int argc, char **argv)
{
	static struct sa_policy pol;
	struct sa_feature_state feat[SA_FEAT_MAX];
	char err[512];
	int map_fd, cg_fd, entries;
	unsigned long long full;
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);

	if (argc > 1)
		return ctl_usage_err("status takes no arguments");
	if (sa_check_privileges(err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	if (!access(ctl_pins.dir, F_OK) && !ctl_pins_safe())
		return EXIT_ERR;
	if (access(ctl_pins.dir, F_OK) || !sa_pins_complete(&ctl_pins, NULL)) {
		const char *why = access(ctl_pins.dir, F_OK) ? "nothing loaded" :
			"incomplete pins (an interrupted load: the next loader run repairs it, or run teardown)";

		output_begin(pretty_output);
		open_json_object(NULL);
		print_bool("loaded", NULL, false);
		print_string("pin_dir", NULL, ctl_pins.dir);
		if (access(ctl_pins.dir, F_OK) && *sa_pins_absent_hint(&ctl_pins))
			why = "nothing loaded (the pin dir's parent is not on a bpf filesystem: bpffs unmounted? "
			      "a running --foreground loader keeps its dataplane loaded and pins it again "
			      "once bpffs is mounted there)";
		print_string("error", NULL, why);
		close_json_object();
		output_end();
		if (!json_output)
			fprintf(stderr, "%s: %s at %s%s\n", prog_name, why, ctl_pins.dir,
				access(ctl_pins.dir, F_OK) ? " (run sockaccel-loader first)" : "");
		return EXIT_ERR;
	}

	map_fd = sa_pin_open(&ctl_pins, SA_PIN_SOCK_MAP);
	if (map_fd < 0) {
		p_err("open %s/%s: %s", ctl_pins.dir, SA_PIN_SOCK_MAP, strerror(-map_fd));
		return EXIT_ERR;
	}
	entries = sa_sock_map_count(map_fd);
	full = map_full_count();
	bpf_obj_get_info_by_fd(map_fd, &mi, &len);
	close(map_fd);
	cg_fd = sa_pin_open(&ctl_pins, SA_PIN_CGROUPS);

	output_begin(pretty_output);
	open_json_object(NULL);
	print_bool("loaded", "loaded:    %s\n", true);
	print_string("pin_dir", "pin dir:   %s\n", ctl_pins.dir);
	open_json_object("programs");
	print_uint("sockops", "programs:  sockops id %llu", prog_id(SA_PIN_PROG_SOCKOPS));
	print_uint("sk_msg", ", sk_msg id %llu", prog_id(SA_PIN_PROG_SK_MSG));
	print_uint("sock_create", ", sock_create id %llu\n", prog_id(SA_PIN_PROG_SOCK_CREATE));
	close_json_object();
	/* What this kernel gave the load (lib/feature_table.c). */
	if (!sa_features_read(&ctl_pins, feat))
		sa_features_print(feat, latency_print_feature);
	else
		print_null("features", "features:  not recorded (loaded by an older build, which needed every feature)\n");
	if (!sa_policy_read(&ctl_pins, &pol))
		sa_policy_print(&pol);
	sa_splicers_seen_print(&ctl_pins);
	sa_short_ports_print(&ctl_pins);
	print_uint("map_entries", "sock_map:  %llu", entries);
	print_uint("map_capacity", " / %llu entries", mi.max_entries);
	/* A full map is never silent: sockets it refused stay on TCP, counted. */
	print_uint("insert_failed_full", NULL, full);
	if (full)
		print_text(" (%s: %llu socket(s) refused since load, on plain TCP; see insert_failed_full "
			   "in `sockaccelctl stats`, and --map-size)",
			   entries >= 0 && (__u32)entries >= mi.max_entries ? "FULL" : "was full", full);
	print_text("\n");
	open_json_array("cgroups", "cgroups:\n");
	if (!sa_pins_for_each_link(&ctl_pins, print_cgroup, &cg_fd))
		print_text("    (none attached)\n");
	close_json_array(NULL);
	print_totals_line();
	close_json_object();
	output_end();
	if (cg_fd >= 0)
		close(cg_fd);
	return EXIT_OK;
}
