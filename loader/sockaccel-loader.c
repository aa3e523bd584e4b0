// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sockaccel-loader: load, pin and attach the sockaccel programs to cgroups. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "cgroup.h"
#include "cgroup_names.h"
#include "checks.h"
#include "config.h"
#include "output.h"
#include "parse.h"
#include "pins.h"
#include "policy.h"
#include "drain.h"
#include "load.h"
#include "metrics.h"
#include "notify.h"
#include "percg.h"
#include "probe.h"
#include "reload.h"
#include "pin_guard.h"
#include "select.h"
#include "splicer_watch.h"
#include "test_hook.h"

#define MAX_CGROUPS 256

static struct env {
	bool verbose;
	bool foreground;
	const char *pin_dir;
	struct sa_selector sel[MAX_CGROUPS];	/* CGROUP, --unit, --pid, --container */
	int n_cgroups;
	struct sa_policy policy;
	bool policy_set;
	bool splicers_set;
	double drain_timeout;
	bool upgrade;
	bool probe;
	uint32_t map_size;
	/* --config FILE (loader/config.h): its selectors follow the command
	 * line's n_cli ones in sel[]; its values fill what the command line
	 * left unset (policy_keys, pin_dir_set, drain_timeout_set). */
	const char *config_path;
	struct sa_conf cfg;
	int sel_line[MAX_CGROUPS];		/* line in the file; 0: command line */
	int n_cli;
	unsigned int policy_keys;		/* SA_CONF_* given on the command line */
	struct sa_policy cli_policy;
	bool pin_dir_set, drain_timeout_set;
	const char *metrics;			/* [loader] metrics= (--metrics ADDR:PORT) */
} env = { .pin_dir = SA_DEFAULT_PIN_DIR, .drain_timeout = 30 };

const char *argp_program_version = "sockaccel-loader 0.1";
static const char doc[] =
"Load the sockaccel programs once, pin them, and attach them to cgroups.\n"
"\n"
"Every established TCP socket of a process in CGROUP (or below it) whose\n"
"peer is on this host is put into the socket map; sendmsg() between two such\n"
"sockets is redirected straight into the peer's receive queue. CGROUP is a\n"
"cgroup v2 directory, absolute or relative to the cgroup2 mount point; or\n"
"name it by --unit (a systemd unit), --pid (a process's cgroup) or\n"
"--container (docker, podman, nerdctl or crictl), each repeatable. Every\n"
"cgroup is found before anything changes: if one is not, nothing is attached.\n"
"`sockaccelctl status` shows each with the name it was given.\n"
"\n"
"Running it again reuses the pinned programs; a cgroup already attached is\n"
"left as it is. If any step fails, what this run created is removed again.\n"
"Unload everything with `sockaccelctl teardown`.\n"
"\n"
"Policy (kept in the pinned maps, shown by `sockaccelctl status`): given any\n"
"of --ports, --exclude-ports, --exclude-comm, --max-unread or\n"
"--redirect-streams, --accelerate-short, the whole policy is replaced by the options of this run;\n"
"without them it is left as it is. It applies to connections established\n"
"afterwards.\n"
"\n"
"splice() cannot read redirected data. Nothing is redirected to a socket\n"
"before it has read with recv() everything sent to it, so programs that only\n"
"splice (Go's io.Copy between sockets) are never redirected to; a process\n"
"seen splicing from an accelerated socket is not accelerated afterwards; and\n"
"--splicers names programs that recv() first and then splice() (default:\n"
SA_DEFAULT_SPLICERS "), which are never accelerated (docs/limitations.md).\n"
"\n"
"USAGE: sockaccel-loader [-v] [--pin-dir DIR] [--foreground] [POLICY] SELECTOR...\n"
"       SELECTOR: CGROUP | --unit NAME | --pid PID | --container ID\n"
"       sockaccel-loader [--foreground] --config FILE [OPTIONS] [SELECTOR...]\n"
"       sockaccel-loader --upgrade [CGROUP...]\n"
"       sockaccel-loader [-j] --probe\n"
"\n"
"EXAMPLES:\n"
"  sockaccel-loader /sys/fs/cgroup/myservice   # attach one service\n"
"  sockaccel-loader myservice otherservice     # relative to the cgroup2 mount\n"
"  sockaccel-loader --unit redis-server.service # a systemd unit's cgroup\n"
"  sockaccel-loader --pid $(pidof redis-server) # the cgroup of that process\n"
"  sockaccel-loader --container web            # a container's cgroup\n"
"  sockaccel-loader --foreground myservice     # stay running; detach on TERM\n"
"  sockaccel-loader --foreground --config /etc/sockaccel/sockaccel.conf\n"
"                                              # what the file names; HUP re-reads it\n"
"  sockaccel-loader --exclude-comm backup web  # never accelerate 'backup'\n"
"  sockaccel-loader --splicers haproxy,myproxy web  # these recv() then splice()\n"
"  sockaccel-loader --ports 6379,5432 db       # only these service ports\n"
"  sockaccel-loader --upgrade                  # a newer build takes over\n"
"  sockaccel-loader --probe                    # what this kernel supports\n";

enum { OPT_PIN_DIR = 1000, OPT_FOREGROUND, OPT_PORTS, OPT_EXCLUDE_PORTS, OPT_EXCLUDE_COMM, OPT_MAX_UNREAD,
       OPT_DRAIN_TIMEOUT, OPT_UPGRADE, OPT_MAP_SIZE, OPT_STREAM_TCP, OPT_REDIRECT_STREAMS, OPT_ACCEL_SHORT, OPT_PROBE,
       OPT_SPLICERS, OPT_UNIT, OPT_PID, OPT_CONTAINER, OPT_CONFIG, OPT_METRICS };

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Print libbpf debug output and the features in use", 0 },
	{ "json", 'j', NULL, 0, "JSON output (--probe)", 0 },
	{ "pin-dir", OPT_PIN_DIR, "DIR", 0, "Pin directory on bpffs (default " SA_DEFAULT_PIN_DIR ")", 0 },
	{ "config", OPT_CONFIG, "FILE", 0,
	  "Read cgroups, policy and settings from FILE (sockaccel.conf(5)); options given here "
	  "override it; --foreground re-reads it on SIGHUP", 0 },
	{ "foreground", OPT_FOREGROUND, NULL, 0,
	  "Stay running; on SIGTERM/SIGINT detach the cgroups this run attached (gracefully)", 0 },
	{ "upgrade", OPT_UPGRADE, NULL, 0,
	  "Replace the running programs by this build's, keeping maps, counters and live "
	  "connections (CGROUP optional)", 0 },
	{ "probe", OPT_PROBE, NULL, 0,
	  "Probe this kernel's optional features, print what a load would use (and what "
	  "it would lose), and exit without loading anything", 0 },
	{ "map-size", OPT_MAP_SIZE, "N", 0,
	  "Entries of the socket map, at first load (default 65536); when full, new "
	  "connections use TCP and are counted", 0 },
	{ "unit", OPT_UNIT, "NAME", 0, "Attach the cgroup of this systemd unit (asks systemctl)", 0 },
	{ "pid", OPT_PID, "PID", 0, "Attach the cgroup v2 of this process (/proc/PID/cgroup)", 0 },
	{ "container", OPT_CONTAINER, "ID", 0,
	  "Attach the cgroup of this container (its process, from docker, podman, nerdctl or crictl inspect)", 0 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	  "--foreground: serve Prometheus metrics at http://ADDR:PORT/metrics (every cgroup attached "
	  "in the pin dir; ADDR defaults to 127.0.0.1, IPv6 as [ADDR]:PORT)", 0 },
	{ "drain-timeout", OPT_DRAIN_TIMEOUT, "SECONDS", 0,
	  "--foreground: how long the detach waits for redirected data to be read (default 30)", 0 },
	{ "ports", OPT_PORTS, "PORT[,PORT...]", 0,
	  "Accelerate only connections to or from these ports", 1 },
	{ "exclude-ports", OPT_EXCLUDE_PORTS, "PORT[,PORT...]", 0,
	  "Never accelerate connections to or from these ports", 1 },
	{ "exclude-comm", OPT_EXCLUDE_COMM, "NAME[,NAME...]", 0,
	  "Never accelerate sockets created by these processes (or accepted from their listeners)", 1 },
	{ "splicers", OPT_SPLICERS, "NAME[,NAME...]|none", 0,
	  "Processes that read sockets with splice() after recv(): their sockets are never "
	  "accelerated (default " SA_DEFAULT_SPLICERS "; processes seen splicing are added)", 1 },
	{ "redirect-streams", OPT_REDIRECT_STREAMS, NULL, 0,
	  "Redirect small-write streams too. By default, after 64 sends averaging under "
	  "32 KiB without a read, a direction moves to TCP and the connection leaves the "
	  "map once drained, because TCP coalesces small writes better (docs/benchmarks.md)", 1 },
	{ "accelerate-short", OPT_ACCEL_SHORT, NULL, 0,
	  "Insert every connection. By default, once 16 sockets in a row of a service port "
	  "ended having sent at most one message each, new connections to that port stay "
	  "plain TCP (reason short_lived) until one sends more (docs/design.md)", 1 },
	/* The default since stream detection stopped being opt-in; still accepted. */
	{ "stream-tcp", OPT_STREAM_TCP, NULL, OPTION_HIDDEN, NULL, 1 },
	{ "max-unread", OPT_MAX_UNREAD, "BYTES", 0,
	  "Bound on redirected bytes a reader may leave unread before that direction "
	  "moves to TCP (default: the reader's SO_RCVBUF if set, else tcp_rmem max)", 1 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'v': env.verbose = true; break;
	case 'j': json_output = true; break;
	case OPT_PIN_DIR: env.pin_dir = arg; env.pin_dir_set = true; break;
	case OPT_CONFIG: env.config_path = arg; break;
	case OPT_FOREGROUND: env.foreground = true; break;
	case OPT_DRAIN_TIMEOUT:
		if (sa_parse_timeout(arg, &env.drain_timeout))
			argp_error(state, "invalid --drain-timeout '%s'", arg);
		env.drain_timeout_set = true;
		break;
	case OPT_PORTS:
	case OPT_EXCLUDE_PORTS:
	case OPT_EXCLUDE_COMM: {
		char err[256];
		int r = key == OPT_PORTS ?
			sa_policy_parse_ports(arg, env.policy.include_ports, &env.policy.n_include, err, sizeof(err)) :
			key == OPT_EXCLUDE_PORTS ?
			sa_policy_parse_ports(arg, env.policy.exclude_ports, &env.policy.n_exclude, err, sizeof(err)) :
			sa_policy_parse_comms(arg, &env.policy, err, sizeof(err));
		if (r)
			argp_error(state, "%s", err);
		env.policy_set = true;
		env.policy_keys |= key == OPT_PORTS ? SA_CONF_PORTS : key == OPT_EXCLUDE_PORTS ?
				   SA_CONF_EXCLUDE_PORTS : SA_CONF_EXCLUDE_COMM;
		break;
	}
	case OPT_SPLICERS: {
		char err[256];

		if (sa_policy_parse_splicers(arg, &env.policy, err, sizeof(err)))
			argp_error(state, "%s", err);
		env.splicers_set = true;
		env.policy_set = true;
		env.policy_keys |= SA_CONF_SPLICERS;
		break;
	}
	case OPT_STREAM_TCP:
	case OPT_REDIRECT_STREAMS:
		env.policy.redirect_streams = key == OPT_REDIRECT_STREAMS;
		env.policy_set = true;
		env.policy_keys |= SA_CONF_REDIRECT_STREAMS;
		break;
	case OPT_ACCEL_SHORT:
		env.policy.accelerate_short = true;
		env.policy_set = true;
		env.policy_keys |= SA_CONF_ACCEL_SHORT;
		break;
	case OPT_MAX_UNREAD: {
		uint64_t v;

		if (sa_parse_u64(arg, 4096, UINT64_MAX, &v))
			argp_error(state, "invalid --max-unread '%s' (bytes, at least 4096)", arg);
		env.policy.max_unread = v;
		env.policy_set = true;
		env.policy_keys |= SA_CONF_MAX_UNREAD;
		break;
	}
	case ARGP_KEY_ARG:
	case OPT_UNIT:
	case OPT_PID:
	case OPT_CONTAINER: {
		uint32_t pid;

		if (env.n_cgroups >= MAX_CGROUPS)
			argp_error(state, "too many cgroups (at most %d)", MAX_CGROUPS);
		if (key == OPT_PID && sa_select_parse_pid(arg, &pid))
			argp_error(state, "invalid --pid '%s' (a process id)", arg);
		env.sel[env.n_cgroups].kind = key == OPT_UNIT ? SA_SEL_UNIT : key == OPT_PID ? SA_SEL_PID :
					      key == OPT_CONTAINER ? SA_SEL_CONTAINER : SA_SEL_PATH;
		env.sel[env.n_cgroups++].arg = arg;
		break;
	}
	case OPT_METRICS: {
		struct sockaddr_storage ss;
		socklen_t len;
		char err[256];

		if (sa_metrics_parse(arg, &ss, &len, err, sizeof(err)))
			argp_error(state, "%s", err);
		env.metrics = arg;
		break;
	}
	case OPT_UPGRADE: env.upgrade = true; break;
	case OPT_PROBE: env.probe = true; break;
	case OPT_MAP_SIZE: {
		uint64_t v;

		if (sa_parse_u64(arg, 1, 1u << 24, &v))
			argp_error(state, "invalid --map-size '%s' (1 to 16777216)", arg);
		env.map_size = v;
		break;
	}
	case ARGP_KEY_END:
		if (!env.n_cgroups && !env.upgrade && !env.probe && !env.config_path)
			argp_error(state, "no CGROUP, --unit, --pid, --container or --config given");
		if (env.metrics && !env.foreground)
			argp_error(state, "--metrics needs --foreground (a loader that stays running)");
		if (!env.splicers_set)	/* the default, as every policy option has one */
			sa_policy_parse_splicers(SA_DEFAULT_SPLICERS, &env.policy, NULL, 0);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!env.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/*
 * The pin dir holds pins but not a complete load: a load killed before its
 * last step (or pins removed by hand). Without cgroup links and with an empty
 * socket map nothing can be lost: remove what is there, and load afresh.
 * Otherwise refuse (a teardown drains first). 0 when repaired.
 */
static int repair_interrupted_load(struct sa_pins *pins, const char *missing)
{
	char err[1024];
	int fd, n = 0, r;

	fd = sa_pin_open(pins, SA_PIN_SOCK_MAP);
	if (fd >= 0) {
		n = sa_sock_map_count(fd);
		close(fd);
	}
	if (sa_pins_count_links(pins) || n) {
		p_err("pin dir %s is incomplete (missing %s) but has cgroups attached or sockets in its map: "
		      "run `sockaccelctl --pin-dir %s teardown` first", pins->dir, missing, pins->dir);
		return -EBUSY;
	}
	p_info("pin dir %s is incomplete (missing %s: an interrupted load?); nothing is attached: "
	       "removing what it holds and loading again", pins->dir, missing);
	r = sa_unload_objects(pins, err, sizeof(err));
	if (r < 0) {
		p_err("cannot repair %s: %s", pins->dir, err);
		return r;
	}
	return 0;
}

/*
 * --config: read the file (nothing is applied if it is bad) and fill in what
 * the command line did not give; its [attach] entries follow the command
 * line's. 0 or -1 (one line said why).
 */
static int config_apply(void)
{
	char err[1024];

	if (sa_config_load(env.config_path, &env.cfg, err, sizeof(err))) {
		p_err("%s", err);
		return -1;
	}
	env.n_cli = env.n_cgroups;
	env.cli_policy = env.policy;
	sa_config_merge_policy(&env.policy, &env.cli_policy, env.policy_keys, &env.cfg);
	env.policy_set = env.policy_set || env.cfg.policy_keys;
	/* copies: a reload frees the file's strings */
	if (!env.pin_dir_set && env.cfg.pin_dir && !(env.pin_dir = strdup(env.cfg.pin_dir))) {
		p_err("out of memory");
		return -1;
	}
	if (!env.map_size)
		env.map_size = env.cfg.map_size;
	if (!env.drain_timeout_set && env.cfg.drain_timeout_set)
		env.drain_timeout = env.cfg.drain_timeout;
	if (!env.metrics && env.cfg.metrics) {
		if (env.foreground)
			env.metrics = strdup(env.cfg.metrics);
		else	/* a one-shot run would serve for no time */
			p_info("%s: [loader] metrics= applies to --foreground only: not served", env.config_path);
	}
	for (int i = 0; i < env.cfg.n_sel; i++) {
		if (env.n_cgroups >= MAX_CGROUPS) {
			p_err("%s:%d: too many cgroups (at most %d with the command line's)", env.config_path,
			      env.cfg.sel_line[i], MAX_CGROUPS);
			return -1;
		}
		env.sel[env.n_cgroups].kind = env.cfg.sel[i].kind;
		env.sel[env.n_cgroups].arg = strdup(env.cfg.sel[i].arg);	/* a reload frees it */
		if (!env.sel[env.n_cgroups].arg) {
			p_err("out of memory");
			return -1;
		}
		env.sel_line[env.n_cgroups++] = env.cfg.sel_line[i];
	}
	return 0;
}

/* Wait for a signal; meanwhile, once a second, warn about new splicers and
 * keep the pinned objects held (pin_guard.h). Returns the signal. */
static int wait_for_signal(const struct sa_pins *pins, struct sa_pin_guard *guard)
{
	struct timespec tick = { .tv_sec = 1 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	int sig;

	sa_splicer_watch(pins);
	sa_pin_guard_tick(guard, pins);
	while ((sig = sigtimedwait(&set, NULL, &tick)) < 0) {
		sa_splicer_watch(pins);
		sa_pin_guard_tick(guard, pins);
		fflush(stderr);
	}
	return sig;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, "[CGROUP...]", doc, NULL, NULL, NULL };
	static struct sa_cgroup cgs[MAX_CGROUPS];
	static char names[MAX_CGROUPS][SA_CGROUP_NAME_MAX];
	bool attached_now[MAX_CGROUPS] = {};
	struct sa_feature_state feat[SA_FEAT_MAX];
	struct sa_pins pins = { .lock_fd = -1 };
	struct sa_pin_guard guard = {};
	bool loading = false;
	char err[1024], err2[1024];
	const char *missing = "?";
	sigset_t block;
	int r, i;

	prog_name = "sockaccel-loader";
	argp_err_exit_status = 2;	/* usage errors: exit 2, like sockaccelctl */
	r = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (r)
		return 2;
	if (env.config_path && config_apply())
		return 1;
	libbpf_set_print(libbpf_print);
	snprintf(pins.dir, sizeof(pins.dir), "%s", env.pin_dir);
	/* strip trailing '/' so dirname() and lock checks see the dir itself */
	for (size_t l = strlen(pins.dir); l > 1 && pins.dir[l - 1] == '/'; l--)
		pins.dir[l - 1] = '\0';

	/* Signals are blocked before anything is attached: a SIGTERM during
	 * setup is handled after it, by the same detach path. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	if (env.foreground)
		sigprocmask(SIG_BLOCK, &block, NULL);

	/* Every check that needs no change to the system comes first. */
	if (sa_check_privileges(err, sizeof(err))) {
		p_err("%s", err);
		return 1;
	}
	for (i = 0; i < env.n_cgroups; i++) {
		if (sa_select_resolve(&env.sel[i], &cgs[i], names[i], sizeof(names[i]), err, sizeof(err))) {
			if (env.sel_line[i])
				p_err("%s:%d: %s", env.config_path, env.sel_line[i], err);
			else
				p_err("%s", err);
			return 1;
		}
	}
	if (sa_check_kernel_features(err, sizeof(err))) {
		p_err("%s", err);
		return 1;
	}
	/* Before any change: a port in use fails here, nothing attached. */
	if (env.metrics && !env.probe && sa_metrics_start(env.metrics, &pins, err, sizeof(err))) {
		p_err("%s", err);
		return 1;
	}
	if (env.probe) {
		sa_probe_features(feat);
		output_begin(false);
		open_json_object(NULL);
		sa_features_print(feat, NULL);
		close_json_object();
		output_end();
		return 0;
	}
	if (sa_pins_ensure_bpffs(&pins, err, sizeof(err))) {
		p_err("%s", err);
		return 1;
	}
	if (sa_pins_lock(&pins, true, err, sizeof(err))) {
		p_err("%s", err);
		return 1;
	}
	sa_test_step("pin-dir");

	if (!sa_pins_complete(&pins, &missing)) {
		if (sa_pins_any(&pins) && env.upgrade) {
			p_err("pin dir %s is incomplete (missing %s): run `sockaccelctl --pin-dir %s teardown` first",
			      pins.dir, missing, pins.dir);
			sa_pins_unlock(&pins);
			return 1;
		}
		if (sa_pins_any(&pins) && repair_interrupted_load(&pins, missing)) {
			sa_pins_unlock(&pins);
			return 1;
		}
		if (env.upgrade) {
			p_err("--upgrade: nothing loaded at %s", pins.dir);
			sa_pins_unlock(&pins);
			return 1;
		}
		/* Every optional feature: the best implementation this kernel has. */
		sa_probe_features(feat);
		loading = true;	/* from here, a failure unloads what this run pinned */
		r = sa_load_and_pin(&pins, env.map_size, feat, err, sizeof(err));
		if (r) {
			p_err("%s", err);
			goto rollback;
		}
		if (env.verbose) {
			printf("loaded programs and pinned them in %s\n", pins.dir);
			sa_features_print(feat, NULL);
		}
		for (i = 0; i < SA_FEAT_MAX; i++)
			if (feat[i].impl == SA_IMPL_OFF)
				p_info("this kernel has no %s (see `sockaccelctl status`): %s",
				       sa_features[i].title, sa_features[i].lost_off);
	} else if (env.upgrade) {
		char spath[PATH_MAX];
		bool had_splicers;

		sa_pin_path(&pins, SA_PIN_SPLICERS, spath, sizeof(spath));
		had_splicers = !access(spath, F_OK);
		r = sa_upgrade(&pins, err, sizeof(err));
		if (r < 0) {
			p_err("upgrade: %s", err);
			goto rollback;
		}
		printf("upgraded the programs in %s (%d cgroup(s) switched in place; sockets already "
		       "accelerated keep the sk_msg program they were inserted with)\n", pins.dir, r);
		sa_percg_assign_missing(&pins);	/* cgroups an older build attached: counted from now on */
		/* From a build without --splicers: its default joins the running policy. */
		err[0] = '\0';
		if (!had_splicers && !env.policy_set) {
			struct sa_policy *pol = calloc(1, sizeof(*pol));

			if (!pol || sa_policy_read(&pins, pol) ||
			    sa_policy_parse_splicers(SA_DEFAULT_SPLICERS, pol, err, sizeof(err)) ||
			    sa_policy_write(&pins, pol, err, sizeof(err)))
				p_err("upgrade: could not add the default --splicers list: %s", err);
			free(pol);
		}
	} else if (env.verbose) {
		printf("reusing programs pinned in %s\n", pins.dir);
	}
	if (env.map_size && !loading)
		p_info("--map-size applies at first load only; the pinned map keeps its size");
	/* The policy is in place before any cgroup is attached. */
	if (env.policy.n_comms && (loading || !sa_features_read(&pins, feat)) &&
	    feat[SA_FEAT_PROC_NAMES].impl == SA_IMPL_OFF) {
		p_err("--exclude-comm needs the process names feature, which this load lacks "
		      "(see `sockaccelctl status`)");
		goto rollback;
	}
	/* A first load writes the policy even without options: the defaults. */
	if (env.policy_set || loading) {
		if (sa_policy_write(&pins, &env.policy, err, sizeof(err))) {
			p_err("%s", err);
			goto rollback;
		}
		sa_test_step("policy");
		if (env.policy_set)
			printf("policy set (see `sockaccelctl status`)\n");
	}
	/* Last step of a load: the feature table's pin marks it complete, so a
	 * load killed before here is seen as interrupted (and repaired). */
	if (loading) {
		if ((r = sa_features_pin(&pins, feat))) {
			p_err("pin the feature table in %s: %s", pins.dir, strerror(-r));
			goto rollback;
		}
		sa_test_step("pin-features");
	}

	for (i = 0; i < env.n_cgroups; i++) {
		r = sa_attach_cgroup(&pins, &cgs[i], env.foreground ? (uint32_t)getpid() : 0, err, sizeof(err));
		if (r < 0) {
			p_err("%s", err);
			goto rollback;
		}
		attached_now[i] = r == 1;
		/* Only for display: a name that cannot be recorded fails nothing. */
		if (r == 1 && names[i][0] && (r = sa_cgroup_name_set(&pins, cgs[i].id, names[i])))
			p_info("could not record the name '%s' of %s: %s", names[i], cgs[i].abs_path, strerror(-r));
		printf("%s %s%s%s%s (cgroup id %llu)\n", attached_now[i] ? "attached" : "already attached, nothing to do:",
		       names[i], names[i][0] ? " (" : "", cgs[i].abs_path, names[i][0] ? ")" : "",
		       (unsigned long long)cgs[i].id);
	}
	sa_pins_unlock(&pins);
	fflush(stdout);

	if (!env.foreground)
		return 0;

	printf("running in the foreground; SIGTERM or SIGINT detaches what this run attached%s\n",
	       env.config_path ? ", SIGHUP re-reads the config file" : "");
	fflush(stdout);
	sa_notify_ready("%d cgroup(s) attached, pin dir %s", env.n_cgroups, pins.dir);
	for (;;) {
		struct sa_reload rl = {
			.path = env.config_path, .pins = &pins, .sel = env.sel, .sel_line = env.sel_line,
			.cgs = cgs, .names = names, .ours = attached_now, .n = &env.n_cgroups,
			.n_cli = env.n_cli, .max = MAX_CGROUPS, .cfg = &env.cfg, .cli_policy = &env.cli_policy,
			.cli_keys = env.policy_keys, .policy = &env.policy, .policy_set = &env.policy_set,
			.drain_timeout = &env.drain_timeout, .drain_timeout_cli = env.drain_timeout_set,
			.owner = (uint32_t)getpid(),
		};

		if (wait_for_signal(&pins, &guard) != SIGHUP)
			break;
		if (!env.config_path) {
			printf("SIGHUP: no --config file to re-read; nothing changed\n");
			fflush(stdout);
			continue;
		}
		sa_notify_reloading();
		sa_reload(&rl);
		sa_notify_ready("%d cgroup(s) attached, pin dir %s", env.n_cgroups, pins.dir);
	}
	sa_notify_stopping();
	r = 0;
	sa_pin_guard_tick(&guard, &pins);	/* a last chance to pin again */
	if (sa_pin_guard_lost(&guard)) {
		p_err("cannot detach gracefully: the pins in %s are gone; exiting releases the dataplane "
		      "(its connections fall back to TCP; redirected data not yet read is lost)", pins.dir);
		sa_pin_guard_release(&guard);
		return 1;
	}
	sa_pin_guard_release(&guard);
	if (sa_pins_lock(&pins, false, err, sizeof(err))) {
		printf("nothing to detach: %s\n", err);
		return 0;
	}
	for (i = 0; i < env.n_cgroups; i++) {
		struct sa_drain_opts o = { .timeout_s = env.drain_timeout };
		struct sa_drain_result res;
		char path[PATH_MAX];

		sa_link_pin_path(&pins, cgs[i].id, path, sizeof(path));
		if (!attached_now[i] || access(path, F_OK))
			continue;	/* not ours, or detached by someone else meanwhile */
		/* Graceful, like `sockaccelctl detach`: nothing redirected is dropped. */
		if (sa_detach_graceful(&pins, cgs[i].id, cgs[i].abs_path, &o, &res, err, sizeof(err))) {
			p_err("%s", err);
			r = 1;
			continue;
		}
		if (res.timed_out) {
			printf("detached %s; %zu connection(s) still held unread redirected data after %.0f s and stay accelerated\n",
			       cgs[i].abs_path, res.n_list, env.drain_timeout);
			r = 1;
		} else {
			printf("detached %s (drained %zu connection(s) in %.1f s)\n", cgs[i].abs_path,
			       res.first.affected, res.last.elapsed_s);
		}
		free(res.list);
	}
	sa_pins_unlock(&pins);
	return r;

rollback:
	/* All-or-nothing: undo what this run did, in reverse. */
	for (i = env.n_cgroups - 1; i >= 0; i--)
		if (attached_now[i])
			sa_detach_cgroup(&pins, cgs[i].id, err2, sizeof(err2));
	if (loading) {
		if (sa_unload(&pins, err2, sizeof(err2)) < 0)
			p_err("rollback incomplete: %s", err2);
	}
	sa_pins_unlock(&pins);
	return 1;
}
