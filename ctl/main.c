// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sockaccelctl: inspect and control sockaccel (bpftool-style OBJECT/COMMAND dispatch). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "checks.h"
#include "ctl.h"
#include "output.h"
#include "pin_check.h"

struct sa_pins ctl_pins = { .dir = SA_DEFAULT_PIN_DIR, .lock_fd = -1 };
bool pretty_output;

static int do_help(int argc, char **argv);

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct cmd cmds[] = {
	{ "status", do_status },
	{ "stats", do_stats },
	{ "conns", do_conns },
	{ "detach", do_detach },
	{ "teardown", do_teardown },
	{ "latency", do_latency },
	{ "run", do_run },
	{ "help", do_help },
};

bool is_prefix(const char *pfx, const char *str)
{
	return *pfx && !strncmp(str, pfx, strlen(pfx));
}

int ctl_usage_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p_err("%s (see `sockaccelctl help`)", msg);
	return EXIT_USAGE;
}

bool ctl_pins_safe(void)
{
	char err[1024];

	/* Before anything is read: a pin dir someone else controls, or a
	 * planted or mismatched pin, is refused (lib/pin_check.h). */
	if (sa_pins_check_dir(ctl_pins.dir, -1, err, sizeof(err)) ||
	    sa_pins_check_contents(&ctl_pins, err, sizeof(err))) {
		p_err("%s", err);
		return false;
	}
	return true;
}

bool ctl_require_loaded(void)
{
	const char *missing = NULL;
	char err[512];

	if (sa_check_privileges(err, sizeof(err))) {
		p_err("%s", err);
		return false;
	}
	if (access(ctl_pins.dir, F_OK) && errno == ENOENT) {
		p_err("nothing loaded: %s does not exist%s (run sockaccel-loader first)", ctl_pins.dir,
		      sa_pins_absent_hint(&ctl_pins));
		return false;
	}
	if (!ctl_pins_safe())
		return false;
	if (!sa_pins_complete(&ctl_pins, &missing)) {
		p_err("sockaccel at %s is incomplete (missing pin %s); `sockaccelctl teardown` removes the rest",
		      ctl_pins.dir, missing);
		return false;
	}
	return true;
}

static int do_help(int argc, char **argv)
{
	if (json_output) {
		p_err("help has no JSON output");
		return EXIT_USAGE;
	}
	printf(
"Usage: sockaccelctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Inspect and control sockaccel (load it with sockaccel-loader).\n"
"\n"
"COMMANDS (any unique prefix works):\n"
"    status                 loaded or not, program ids, attached cgroups,\n"
"                           policy, map use\n"
"    stats [-i SEC] [-c N]  counters summed over CPUs, totals and per attached\n"
"                           cgroup; -i: per-interval rates (totals), -c: stop\n"
"                           after N intervals\n"
"    stats --prometheus     the same in Prometheus text format (node_exporter's\n"
"                           textfile collector; as the loader's endpoint)\n"
"    conns                  every socket seen established: endpoints, netns,\n"
"                           process, per direction mode, reason, bytes, unread\n"
"    detach [--timeout S] [--force] CGROUP|--unit NAME|--pid PID|--container ID\n"
"                           detach one cgroup gracefully: no new sockets; its\n"
"                           connections move to TCP and leave the map once they\n"
"                           have read what was redirected to them. On timeout\n"
"                           (default 30 s) the pending ones are listed and stay\n"
"                           accelerated (exit 1). --force: remove at once and\n"
"                           report what may be lost. --unit: a systemd unit's\n"
"                           cgroup; --pid: a process's; --container: a docker,\n"
"                           podman, nerdctl or crictl container's\n"
"    teardown [--timeout S] [--force]\n"
"                           the same for every cgroup, then unload the programs\n"
"                           and remove all pins (on timeout nothing is removed)\n"
"    latency ...            syscall latency histograms (see latency --help)\n"
"    run [--name NAME] [--parent CGROUP] [--timeout S] -- COMMAND [ARG...]\n"
"                           run COMMAND in a new cgroup (sockaccel-run-NAME-PID\n"
"                           under PARENT, default the cgroup2 mount), attached\n"
"                           (loading first if nothing is loaded; it stays\n"
"                           loaded); when it exits, detach gracefully and remove\n"
"                           the cgroup. Exit status: the command's; TERM, INT,\n"
"                           HUP, QUIT sent to sockaccelctl are forwarded to it\n"
"    help                   this text\n"
"\n"
"OPTIONS:\n"
"    -j, --json             JSON output (errors too: {\"error\": \"...\"})\n"
"    -p, --pretty           pretty-printed JSON (implies -j)\n"
"    --pin-dir DIR          pin directory (default " SA_DEFAULT_PIN_DIR ")\n"
"\n"
"EXIT STATUS: 0 ok, 1 error, 2 usage error.\n"
"\n"
"EXAMPLES:\n"
"    sockaccelctl status\n"
"    sockaccelctl -p stats\n"
"    sockaccelctl stats -i 1\n"
"    sockaccelctl conns\n"
"    sockaccelctl detach /sys/fs/cgroup/myservice\n"
"    sockaccelctl detach --unit redis-server.service\n"
"    sockaccelctl detach --pid 1234\n"
"    sockaccelctl run -- redis-server --port 6380\n"
"    sockaccelctl run --name bench -- redis-benchmark -p 6380 -q\n"
"    sockaccelctl teardown --timeout 60\n"
"    sockaccelctl teardown\n");
	return EXIT_OK;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const struct cmd *found = NULL;
	int opt;

	prog_name = "sockaccelctl";
	libbpf_set_print(libbpf_quiet);
	opterr = 0;	/* one error line, ours */
	/* '+': stop at the command; its own options follow it */
	while ((opt = getopt_long(argc, argv, "+jphP:", opts, NULL)) >= 0) {
		switch (opt) {
		case 'j': json_output = true; break;
		case 'p': json_output = pretty_output = true; break;
		case 'P':
			snprintf(ctl_pins.dir, sizeof(ctl_pins.dir), "%s", optarg);
			for (size_t l = strlen(ctl_pins.dir); l > 1 && ctl_pins.dir[l - 1] == '/'; l--)
				ctl_pins.dir[l - 1] = '\0';
			break;
		case 'h': return do_help(0, NULL);
		default: return ctl_usage_err("unknown option");
		}
	}
	if (optind >= argc)
		return ctl_usage_err("no command given");

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!is_prefix(argv[optind], cmds[i].name))
			continue;
		if (found)
			return ctl_usage_err("command '%s' is ambiguous", argv[optind]);
		found = &cmds[i];
	}
	if (!found)
		return ctl_usage_err("unknown command '%s'", argv[optind]);
	argc -= optind;
	argv += optind;
	optind = 0;	/* commands run getopt again on their own argv */
	return found->fn(argc, argv);
}
