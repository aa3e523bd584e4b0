// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sockaccelctl stats [-i SECONDS] [-c COUNT] */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "attach.h"
#include "counters.h"
#include "ctl.h"
#include "output.h"
#include "parse.h"
#include "percg_print.h"
#include "prom.h"

/* Totals derived from the per-reason counters. */
struct totals {
	uint64_t insert_failed, passed_msgs, passed_bytes;
};

static struct totals derive(const struct sa_counters *c)
{
	return (struct totals){
		.insert_failed = c->v[SA_INSERT_FAILED_EXISTS] + c->v[SA_INSERT_FAILED_FULL] +
				 c->v[SA_INSERT_FAILED_OTHER],
		.passed_msgs = c->v[SA_PASSED_NO_PEER_MSGS] + c->v[SA_PASSED_TCP_MODE_MSGS],
		.passed_bytes = c->v[SA_PASSED_NO_PEER_BYTES] + c->v[SA_PASSED_TCP_MODE_BYTES],
	};
}

static void print_counter(const char *name, uint64_t v)
{
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "%-28s %%llu\n", name);
	print_uint(name, fmt, v);
}

static void print_totals(const struct sa_counters *c, int active)
{
	struct totals t = derive(c);

	print_counter("sockets_added", c->v[SA_SOCKETS_ADDED]);
	if (active >= 0)
		print_counter("sockets_active", active);
	print_counter("insert_failed", t.insert_failed);
	for (int i = SA_INSERT_FAILED_EXISTS; i <= SA_SOCKETS_SKIPPED_REMOTE; i++)
		print_counter(sa_counter_names[i], c->v[i]);
	print_counter("redirected_msgs", c->v[SA_REDIRECTED_MSGS]);
	print_counter("redirected_bytes", c->v[SA_REDIRECTED_BYTES]);
	print_counter("passed_msgs", t.passed_msgs);
	print_counter("passed_bytes", t.passed_bytes);
	print_counter("passed_no_peer_msgs", c->v[SA_PASSED_NO_PEER_MSGS]);
	print_counter("passed_no_peer_bytes", c->v[SA_PASSED_NO_PEER_BYTES]);
	for (int i = SA_PASSED_TCP_MODE_MSGS; i <= SA_TX_SENT_BEFORE_INSERT; i++)
		print_counter(sa_counter_names[i], c->v[i]);
	/* Every transition of the per-direction state machine (docs/design.md). */
	print_text("transitions:\n");
	for (int i = SA_T_NEW_REDIRECT; i <= SA_UNMAPPED_CONNS; i++)
		print_counter(sa_counter_names[i], c->v[i]);
	/* appended after rx_read_bytes in the enum (pinned counter layout) */
	print_counter(sa_counter_names[SA_T_SLOW_STREAM], c->v[SA_T_SLOW_STREAM]);
	print_counter(sa_counter_names[SA_RX_READ_BYTES], c->v[SA_RX_READ_BYTES]);
	print_counter(sa_counter_names[SA_RX_RELEASED], c->v[SA_RX_RELEASED]);
	/* splice readers (docs/design.md "Splice readers") */
	for (int i = SA_T_NEW_AWAIT_READER; i <= SA_SPLICE_LATE_TCP; i++)
		print_counter(sa_counter_names[i], c->v[i]);
	/* short-lived connections (docs/design.md "Short-lived connections") */
	print_counter(sa_counter_names[SA_SKIPPED_SHORT], c->v[SA_SKIPPED_SHORT]);
}

static void print_rates(const struct sa_counters *now, const struct sa_counters *prev,
			double secs, int active)
{
	struct sa_counters d;

	for (int i = 0; i < SA_COUNTER_MAX; i++)
		d.v[i] = now->v[i] - prev->v[i];
	open_json_object(NULL);
	print_float("interval_s", "interval %.3fs, per second:\n", secs);
	print_uint("sockets_active", "  sockets_active               %llu\n", active);
	open_json_object("per_second");
	for (int i = 0; i < SA_COUNTER_MAX; i++) {
		char fmt[64];

		snprintf(fmt, sizeof(fmt), "  %-28s %%.1f\n", sa_counter_names[i]);
		print_float(sa_counter_names[i], fmt, d.v[i] / secs);
	}
	close_json_object();
	close_json_object();
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = 1; }

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int do_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "prometheus", no_argument, NULL, 'P' },
		{},
	};
	struct sa_counters cur, prev;
	double interval = 0, t_prev;
	long count = -1;
	bool prom = false;
	int opt, cnt_fd, map_fd, r, ret = EXIT_OK;
	uint64_t u;

	while ((opt = getopt_long(argc, argv, "i:c:", opts, NULL)) >= 0) {
		switch (opt) {
		case 'i':
			if (sa_parse_seconds(optarg, &interval))
				return ctl_usage_err("stats: -i needs a positive number of seconds");
			break;
		case 'c':
			if (sa_parse_u64(optarg, 1, LONG_MAX, &u))
				return ctl_usage_err("stats: -c needs a positive count");
			count = u;
			break;
		case 'P':
			prom = true;
			break;
		default:
			return ctl_usage_err("stats: unknown option");
		}
	}
	if (optind < argc)
		return ctl_usage_err("stats: unexpected argument '%s'", argv[optind]);
	if (prom && (interval > 0 || count >= 0 || json_output))
		return ctl_usage_err("stats: --prometheus takes no -i, -c or -j");
	if (!ctl_require_loaded())
		return EXIT_ERR;
	if (prom) {
		/* The same text as the loader's --metrics endpoint (lib/prom.c). */
		r = sa_prom_write(&ctl_pins, stdout);
		if (r)
			p_err("read counters in %s: %s", ctl_pins.dir, strerror(-r));
		return r ? EXIT_ERR : EXIT_OK;
	}

	cnt_fd = sa_pin_open(&ctl_pins, SA_PIN_COUNTERS);
	map_fd = sa_pin_open(&ctl_pins, SA_PIN_SOCK_MAP);
	if (cnt_fd < 0 || map_fd < 0) {
		p_err("open pinned maps in %s: %s", ctl_pins.dir, strerror(-(cnt_fd < 0 ? cnt_fd : map_fd)));
		ret = EXIT_ERR;
		goto out;
	}
	r = sa_counters_read(cnt_fd, &cur);
	if (r) {
		p_err("read counters: %s", strerror(-r));
		ret = EXIT_ERR;
		goto out;
	}
	if (interval == 0) {
		output_begin(pretty_output);
		open_json_object(NULL);
		print_totals(&cur, sa_sock_map_count(map_fd));
		sa_percg_print_all(&ctl_pins);
		close_json_object();
		output_end();
		goto out;
	}

	/* -i: one block (one JSON object per line with -j) per interval. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t_prev = now_s();
	while (!stop && count != 0) {
		double t;

		usleep((useconds_t)(interval * 1e6));
		prev = cur;
		if ((r = sa_counters_read(cnt_fd, &cur))) {
			if (stop)
				break;
			p_err("read counters: %s", strerror(-r));
			ret = EXIT_ERR;
			break;
		}
		t = now_s();
		output_begin(pretty_output);
		print_rates(&cur, &prev, t - t_prev, sa_sock_map_count(map_fd));
		output_end();
		t_prev = t;
		if (count > 0)
			count--;
	}
out:
	if (cnt_fd >= 0)
		close(cnt_fd);
	if (map_fd >= 0)
		close(map_fd);
	return ret;
}
