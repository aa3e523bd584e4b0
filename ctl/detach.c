// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockaccelctl detach [--timeout S] [--force] CGROUP|--unit NAME|--pid PID|--container ID
 * sockaccelctl teardown [--timeout S] [--force]
 *
 * Graceful by default (docs/design.md, "Draining"): stop inserting, move the
 * affected directions to TCP, wait until what was redirected has been read,
 * then remove. On timeout nothing is dropped: the pending connections stay
 * accelerated and are listed. --force removes at once and says what may be lost.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "addr.h"
#include "attach.h"
#include "cgroup.h"
#include "cgroup_names.h"
#include "checks.h"
#include "ctl.h"
#include "drain.h"
#include "output.h"
#include "parse.h"
#include "select.h"

#define DEFAULT_TIMEOUT_S 30

/* SIGINT/SIGTERM while draining: stop waiting and undo the drain marks, as on
 * timeout, instead of dying with them set (docs/faults.md). */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void catch_signals(struct sa_drain_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	o->stop = &interrupted;
}

struct drain_args {
	double timeout_s;
	bool force;
	struct sa_selector sel;	/* detach: --unit, --pid, --container (kind PATH: none) */
	int n_sel;
};

/* with_sel: detach, which takes --unit, --pid and --container too. */
static int parse_drain_args(int argc, char **argv, struct drain_args *a, const char *usage, bool with_sel)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "unit", required_argument, NULL, 'U' },
		{ "pid", required_argument, NULL, 'P' },
		{ "container", required_argument, NULL, 'C' },
		{},
	};
	uint32_t pid;
	int opt;

	memset(a, 0, sizeof(*a));
	a->timeout_s = DEFAULT_TIMEOUT_S;
	while ((opt = getopt_long(argc, argv, "t:f", opts, NULL)) >= 0) {
		switch (opt) {
		case 'U':
		case 'P':
		case 'C':
			if (!with_sel)
				return ctl_usage_err("usage: %s", usage);
			if (opt == 'P' && sa_select_parse_pid(optarg, &pid))
				return ctl_usage_err("invalid --pid '%s' (a process id)", optarg);
			a->sel.kind = opt == 'U' ? SA_SEL_UNIT : opt == 'P' ? SA_SEL_PID : SA_SEL_CONTAINER;
			a->sel.arg = optarg;
			a->n_sel++;
			break;
		case 't':
			if (sa_parse_timeout(optarg, &a->timeout_s))
				return ctl_usage_err("--timeout needs seconds >= 0");
			break;
		case 'f':
			a->force = true;
			break;
		default:
			return ctl_usage_err("usage: %s", usage);
		}
	}
	return -1;
}

/* Progress on stderr, text mode only, at most once a second. */
static void progress(const struct sa_drain_status *st, void *arg)
{
	double *last = arg;

	if (json_output || (st->elapsed_s - *last < 1.0 && *last >= 0))
		return;
	*last = st->elapsed_s;
	if (st->pending)
		fprintf(stderr, "draining: %zu of %zu connections still hold %llu unread redirected bytes (%.0f s)\n",
			st->pending, st->affected, (unsigned long long)st->pending_bytes, st->elapsed_s);
}

static void print_pending(const struct sa_drain_result *res)
{
	char local[64], remote[64];

	open_json_array("pending", NULL);
	for (size_t i = 0; i < res->n_list; i++) {
		const struct sa_drain_pending *d = &res->list[i];

		sa_endpoint_str(d->key.local_ip, d->key.local_port, local, sizeof(local));
		sa_endpoint_str(d->key.remote_ip, d->key.remote_port, remote, sizeof(remote));
		open_json_object(NULL);
		print_string("local", "    %s", local);
		print_string("remote", " <- %s", remote);
		print_uint("unread_bytes", ": %llu bytes unread", d->unread);
		print_string("comm", " by %s\n", d->comm[0] ? d->comm : "?");
		close_json_object();
	}
	close_json_array(NULL);
}

/* The drain part of the output; returns the exit code. */
static int print_drain(const struct sa_drain_result *res, const struct drain_args *a, bool teardown)
{
	print_uint("connections", NULL, res->first.affected);
	print_uint("unread_bytes_at_start", NULL, res->first.pending_bytes);
	print_uint("removed_from_map", NULL, res->removed);
	print_float("drain_seconds", NULL, res->last.elapsed_s);
	print_bool("timed_out", NULL, res->timed_out);
	print_bool("interrupted", NULL, res->interrupted);
	print_bool("forced", NULL, a->force);
	if (res->interrupted) {
		print_uint("pending_connections", NULL, res->n_list);
		print_text("interrupted after %.0f s: ", res->last.elapsed_s);
		print_text("%zu connection(s) still hold unread redirected data; left accelerated (nothing dropped)%s:\n",
			   res->n_list, teardown ? ", programs and maps stay loaded" : "");
		print_pending(res);
		print_text("the cgroup link%s already removed (no new connections); run the same command again to finish\n",
			   teardown ? "s are" : " is");
		return EXIT_ERR;
	}
	if (res->timed_out) {
		print_uint("pending_connections", "after %.0f s, ", res->n_list);
		print_text("%zu connection(s) still hold unread redirected data; left accelerated (nothing dropped)%s:\n",
			   res->n_list, teardown ? ", programs and maps stay loaded" : "");
		print_pending(res);
		print_text("run it again later, or with --force to remove them now (their unread data is then lost)\n");
		return EXIT_ERR;
	}
	if (a->force) {
		print_uint("may_lose_data", "forced: %llu connection(s) might lose data", res->n_list);
		uint64_t bytes = 0;

		for (size_t i = 0; i < res->n_list; i++)
			bytes += res->list[i].unread;
		print_uint("may_lose_bytes", " (%llu unread redirected bytes)\n", bytes);
		print_pending(res);
		return EXIT_OK;
	}
	print_text("drained %zu accelerated connection(s) (%llu unread redirected bytes at the start) in %.1f s, nothing lost\n",
		   res->first.affected, (unsigned long long)res->first.pending_bytes, res->last.elapsed_s);
	return EXIT_OK;
}

int do_detach(int argc, char **argv)
{
	static const char usage[] = "detach [--timeout SECONDS] [--force] CGROUP|--unit NAME|--pid PID|--container ID";
	struct sa_drain_opts o = { .progress = progress };
	struct sa_drain_result res = {};
	struct sa_cgroup cg = {};
	struct drain_args a;
	char err[1024], rerr[1024], path[PATH_MAX], name[SA_CGROUP_NAME_MAX];
	double last = -1;
	uint64_t cgid;
	int r;

	if ((r = parse_drain_args(argc, argv, &a, usage, true)) >= 0)
		return r;
	if (a.n_sel + (argc - optind) != 1)
		return ctl_usage_err("usage: %s", usage);
	if (!a.n_sel)
		a.sel = (struct sa_selector){ SA_SEL_PATH, argv[optind] };
	if (!ctl_require_loaded())
		return EXIT_ERR;

	/* The cgroup by its selector; or, if it no longer exists, by the path
	 * or name it was attached with ("pid 1234" after that process exited). */
	if (sa_select_resolve(&a.sel, &cg, name, sizeof(name), rerr, sizeof(rerr)) == 0) {
		cgid = cg.id;
	} else if (a.sel.kind == SA_SEL_PATH && sa_find_attached(&ctl_pins, a.sel.arg, &cgid) == 0) {
		snprintf(cg.abs_path, sizeof(cg.abs_path), "%s", a.sel.arg);
	} else if (a.sel.kind != SA_SEL_PATH && sa_cgroup_find_by_name(&ctl_pins, name, &cgid) == 0) {
		snprintf(cg.abs_path, sizeof(cg.abs_path), "%s", name);
	} else {
		p_err("%s", rerr);
		return EXIT_ERR;
	}
	/* Not attached: a detach interrupted (or timed out) earlier may have
	 * left its connections in the map; this run finishes their drain. */
	sa_link_pin_path(&ctl_pins, cgid, path, sizeof(path));
	o.resume = access(path, F_OK) != 0;
	if (!name[0])	/* a path: say which name it was attached by, if any */
		sa_cgroup_name_get(&ctl_pins, cgid, name, sizeof(name));
	if (sa_pins_lock(&ctl_pins, false, err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	catch_signals(&o);
	o.arg = &last;
	o.timeout_s = a.timeout_s;
	o.force = a.force;
	r = sa_detach_graceful(&ctl_pins, cgid, cg.abs_path, &o, &res, err, sizeof(err));
	sa_pins_unlock(&ctl_pins);
	if (r) {
		p_err("%s%s%s", name, name[0] ? ": " : "", err);	/* "pid 1234: cgroup ... is not attached" */
		return EXIT_ERR;
	}
	output_begin(pretty_output);
	open_json_object(NULL);
	print_string("detached", "detached %s", cg.abs_path);
	print_uint("id", " (cgroup id %llu", cgid);
	if (name[0])
		print_string("name", ", %s", name);
	else
		print_null("name", NULL);
	print_text(")\n");
	r = print_drain(&res, &a, false);
	close_json_object();
	output_end();
	free(res.list);
	return r;
}

int do_teardown(int argc, char **argv)
{
	static const char usage[] = "teardown [--timeout SECONDS] [--force]";
	struct sa_drain_opts o = { .all = true, .progress = progress };
	struct sa_drain_result res = {};
	struct drain_args a;
	char err[1024];
	double last = -1;
	int r, rc;

	if ((r = parse_drain_args(argc, argv, &a, usage, false)) >= 0)
		return r;
	if (optind != argc)
		return ctl_usage_err("usage: %s", usage);
	/* ENOENT only: a pin dir we may not look into (EACCES, not root) is
	 * for the privilege check below to explain */
	if (access(ctl_pins.dir, F_OK) && errno == ENOENT) {
		p_err("nothing loaded: %s does not exist%s", ctl_pins.dir, sa_pins_absent_hint(&ctl_pins));
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
	/* 1. No new sockets. 2. Drain (only possible with complete pins). */
	catch_signals(&o);
	r = sa_detach_all(&ctl_pins, err, sizeof(err));
	if (!r && sa_pins_complete(&ctl_pins, NULL)) {
		o.arg = &last;
		o.timeout_s = a.timeout_s;
		o.force = a.force;
		r = sa_drain(&ctl_pins, &o, &res, err, sizeof(err));
	}
	/* 3. Unload, unless connections still hold unread redirected data. */
	if (!r && !res.timed_out && !res.interrupted)
		r = sa_unload(&ctl_pins, err, sizeof(err));
	sa_pins_unlock(&ctl_pins);
	if (r < 0) {
		p_err("teardown: %s", err);
		free(res.list);
		return EXIT_ERR;
	}
	output_begin(pretty_output);
	open_json_object(NULL);
	if (!res.timed_out && !res.interrupted)
		print_string("removed", "removed %s\n", ctl_pins.dir);
	else
		print_null("removed", NULL);
	rc = print_drain(&res, &a, true);
	close_json_object();
	output_end();
	free(res.list);
	return rc;
}
