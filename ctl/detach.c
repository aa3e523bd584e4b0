// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sockaccelctl detach CGROUP | teardown */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "attach.h"
#include "cgroup.h"
#include "checks.h"
#include "ctl.h"
#include "output.h"

int do_detach(int argc, char **argv)
{
	struct sa_cgroup cg = {};
	char err[1024], rerr[1024], path[PATH_MAX];
	uint64_t cgid;
	int r;

	if (argc != 2)
		return ctl_usage_err("usage: detach CGROUP");
	if (!ctl_require_loaded())
		return EXIT_ERR;

	/* The cgroup by path; or, if it no longer exists, by the path it was attached with. */
	if (sa_cgroup_resolve(argv[1], &cg, rerr, sizeof(rerr)) == 0) {
		cgid = cg.id;
	} else if (sa_find_attached(&ctl_pins, argv[1], &cgid) == 0) {
		snprintf(cg.abs_path, sizeof(cg.abs_path), "%s", argv[1]);
	} else {
		p_err("%s", rerr);
		return EXIT_ERR;
	}
	sa_link_pin_path(&ctl_pins, cgid, path, sizeof(path));
	if (access(path, F_OK)) {
		p_err("cgroup %s (id %llu) is not attached", cg.abs_path, (unsigned long long)cgid);
		return EXIT_ERR;
	}
	if (sa_pins_lock(&ctl_pins, false, err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	r = sa_detach_cgroup(&ctl_pins, cgid, err, sizeof(err));
	sa_pins_unlock(&ctl_pins);
	if (r) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	output_begin(pretty_output);
	open_json_object(NULL);
	print_string("detached", "detached %s", cg.abs_path);
	print_uint("id", " (cgroup id %llu)\n", cgid);
	close_json_object();
	output_end();
	return EXIT_OK;
}

int do_teardown(int argc, char **argv)
{
	char err[1024];
	int r;

	if (argc > 1)
		return ctl_usage_err("teardown takes no arguments");
	if (access(ctl_pins.dir, F_OK)) {
		p_err("nothing loaded: %s does not exist", ctl_pins.dir);
		return EXIT_ERR;
	}
	/* No ctl_require_loaded(): an incomplete pin dir must be removable too. */
	if (sa_check_privileges(err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	if (sa_pins_lock(&ctl_pins, false, err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	r = sa_unload(&ctl_pins, err, sizeof(err));
	sa_pins_unlock(&ctl_pins);
	if (r < 0) {
		p_err("teardown: %s", err);
		return EXIT_ERR;
	}
	output_begin(pretty_output);
	open_json_object(NULL);
	print_string("removed", "removed %s", ctl_pins.dir);
	print_uint("sockets_reverted", ": %llu accelerated sockets reverted to plain TCP\n", r);
	close_json_object();
	output_end();
	return EXIT_OK;
}
