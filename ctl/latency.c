// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockaccelctl latency: per-syscall latency histograms (count, errors, total,
 * log2 histogram, p50/p99), calls that slept apart from calls that did not.
 * Independent of the sockaccel dataplane: it loads its own programs and
 * removes them when it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "checks.h"
#include "ctl.h"
#include "feature_table.h"
#include "histogram.h"
#include "latency_presets.h"
#include "latency_syscalls.h"
#include "output.h"
#include "parse.h"
#include "latency.h"
#include "latency.skel.h"

#if defined(__x86_64__)
#define SYSCALL_PREFIX "__x64_sys_"
#elif defined(__aarch64__)
#define SYSCALL_PREFIX "__arm64_sys_"
#elif defined(__s390x__)
#define SYSCALL_PREFIX "__s390x_sys_"
#elif defined(__riscv)
#define SYSCALL_PREFIX "__riscv_sys_"
#else
#define SYSCALL_PREFIX "sys_"
#endif

enum mech { MECH_FENTRY, MECH_TP_BTF, MECH_RAW_TP, MECH_NR };
static const char *mech_names[MECH_NR] = { "fentry", "tp_btf", "raw_tp" };
static const char *mech_desc[MECH_NR] = {
	"fentry/fexit on " SYSCALL_PREFIX "<name>",
	"tp_btf/sys_enter + tp_btf/sys_exit (BTF raw tracepoints)",
	"raw_tp/sys_enter + raw_tp/sys_exit (raw tracepoints)",
};

static struct {
	const char *cgroup;
	int pid;
	const char *comm;
	double duration;	/* 0: until a signal */
	double interval;	/* 0: one block at the end */
	const char *syscalls;	/* --syscalls, or NULL */
	const char *preset;	/* --preset, or NULL */
	enum lat_unit unit;
	int verbose;
	int mech;		/* -1: auto */
	long max_threads;
} env;

static struct lat_slot slots[LAT_MAX_SYSCALLS];
static int nslots;
static volatile sig_atomic_t exiting;
/* io_uring_enter traced: why its completions are not counted, or NULL */
static char cqe_note[256];
static int uring_slot_idx = -1;

struct snap {
	struct lat_hist h[LAT_MAX_SYSCALLS][LAT_NR_CLASSES];
	struct lat_misc m[LAT_MAX_SYSCALLS];
	uint64_t inflight;	/* threads inside a traced syscall now (not a delta) */
};

static void on_signal(int sig)
{
	exiting = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (env.verbose >= 2 || (env.verbose && level == LIBBPF_WARN))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void vinfo(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vinfo(const char *fmt, ...)
{
	va_list ap;

	if (!env.verbose)
		return;
	fprintf(stderr, "latency: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(void)
{
	printf(
"Usage: sockaccelctl latency [--cgroup CGROUP | --pid PID | --comm NAME]\n"
"                            [-d SECONDS] [-i SECONDS] [--preset NAME | --syscalls LIST]\n"
"                            [-m|-u] [-j] [-v]\n"
"       sockaccelctl latency --preset list\n"
"\n"
"Time system calls and print, per syscall: calls, errors, total time, a log2\n"
"histogram and p50/p99 estimates. Calls that slept (blocking waits: a recv or\n"
"epoll_wait that waited for data) are shown apart from calls that did not\n"
"sleep (CPU cost), so one does not hide the other. Needs root; does not need\n"
"sockaccel to be loaded; loads nothing that outlives it.\n"
"\n"
"OPTIONS:\n"
"    -c, --cgroup CGROUP    only threads in this cgroup v2 directory or below it\n"
"                           (absolute, or relative to the cgroup2 mount)\n"
"        --pid PID          only threads of this process\n"
"        --comm NAME        only threads with this command name (15 chars max)\n"
"    -d, --duration SECONDS stop after SECONDS (default: at Ctrl-C)\n"
"    -i, --interval SECONDS one block per interval (Ctrl-C prints the last one)\n"
"        --preset NAME      a named set of syscalls: sockets (the default), file\n"
"                           (read/write, pread/pwrite, vectored, libaio, io_uring,\n"
"                           fsync...), all; `--preset list` lists them\n"
"    -s, --syscalls LIST    comma-separated syscall names, at most %d, instead of\n"
"                           a preset\n"
"    -m, --milliseconds     histograms in milliseconds\n"
"    -u, --microseconds     histograms in microseconds (default: nanoseconds)\n"
"    -j, --json             JSON, one object per block (bucket bounds explicit)\n"
"    -p, --pretty           pretty JSON\n"
"    -v, --verbose          say which mechanism is used and why (-vv: libbpf debug)\n"
"        --mechanism M      auto (default), fentry, tp_btf or raw_tp\n"
"        --max-threads N    threads that can be inside a traced syscall at once\n"
"                           (default %d); beyond it calls are counted as dropped\n"
"    -h, --help             this text\n"
"\n"
"Counters: unmatched = returns whose entry was not seen (in flight when tracing\n"
"started); dropped = entries not recorded because the thread map was full;\n"
"exited = threads that exited inside a traced syscall; restarted = calls the\n"
"kernel restarted after a signal (timed from the first entry); interrupted =\n"
"calls ended by a signal (EINTR, killed). See docs/latency.md.\n"
"\n"
"EXAMPLES:\n"
"    sockaccelctl latency -u -d 10                 # all processes, 10 s, usecs\n"
"    sockaccelctl latency --cgroup myservice -i 1  # one block per second\n"
"    sockaccelctl latency --pid 1234 --syscalls sendto,recvfrom -m\n"
"    sockaccelctl latency --preset file --comm fio -u  # libaio/io_uring/pread\n"
"    sockaccelctl -j latency --comm iperf3 -d 5    # JSON\n",
	LAT_MAX_SYSCALLS, LAT_DEFAULT_THREADS);
}

static int parse_syscalls(const char *list)
{
	char err[256];
	int n = lat_parse_syscall_list(list, slots, LAT_MAX_SYSCALLS, LAT_MAX_NR, err, sizeof(err));

	if (n < 0)
		return ctl_usage_err("latency: %s", err);
	nslots = n;
	return 0;
}

/* ---------------------------------------------------------------- loading */

static bool btf_has_func(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

static struct bpf_program *prog_by_name(struct latency_bpf *skel, const char *fmt, ...)
{
	char name[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return bpf_object__find_program_by_name(skel->obj, name);
}

/*
 * Open, configure and load the object for mechanism m. On failure returns
 * NULL with a reason in why.
 */
static struct latency_bpf *load_mech(enum mech m, const struct btf *vmlinux_btf,
				     char *why, size_t whylen)
{
	struct latency_bpf *skel;
	struct bpf_program *p;
	char fn[128];
	const char *restart_fn = NULL;
	int err;

	if (m == MECH_FENTRY) {
		if (!vmlinux_btf) {
			snprintf(why, whylen, "no kernel BTF");
			return NULL;
		}
		for (int i = 0; i < nslots; i++) {
			snprintf(fn, sizeof(fn), SYSCALL_PREFIX "%s", slots[i].name);
			if (!btf_has_func(vmlinux_btf, fn)) {
				snprintf(why, whylen, "no function %s in kernel BTF", fn);
				return NULL;
			}
		}
		if (btf_has_func(vmlinux_btf, SYSCALL_PREFIX "restart_syscall"))
			restart_fn = SYSCALL_PREFIX "restart_syscall";
		else if (btf_has_func(vmlinux_btf, "__do_sys_restart_syscall"))
			restart_fn = "__do_sys_restart_syscall";
	}

	skel = latency_bpf__open();
	if (!skel) {
		snprintf(why, whylen, "open BPF object: %s", strerror(errno));
		return NULL;
	}
	skel->rodata->targ_unit = env.unit;
	if (env.pid > 0)
		skel->rodata->targ_tgid = env.pid;
	if (env.comm) {
		skel->rodata->filter_comm = true;
		strncpy((char *)skel->rodata->targ_comm, env.comm, LAT_TASK_COMM_LEN - 1);
	}
	skel->rodata->filter_cg = env.cgroup != NULL;
	for (int i = 0; i < nslots; i++) {
		static const char *const forks[] = { "fork", "vfork", "clone", "clone3" };
		const struct lat_entries *en = lat_entries_find(slots[i].name);

		skel->rodata->nr_slot[slots[i].nr] = i + 1;
		if (en) {
			skel->rodata->entry_slots |= 1u << i;
			if (en->arg1)
				skel->rodata->arg1_slots |= 1u << i;
			if (en->arg2)
				skel->rodata->arg2_slots |= 1u << i;
		}
		if (!strcmp(slots[i].name, "io_uring_enter"))
			skel->rodata->uring_slot = i;
		for (size_t k = 0; k < sizeof(forks) / sizeof(forks[0]); k++)
			if (!strcmp(slots[i].name, forks[k]))
				skel->rodata->fork_slots |= 1u << i;
	}
#ifdef __NR_restart_syscall
	if (__NR_restart_syscall < LAT_MAX_NR && !skel->rodata->nr_slot[__NR_restart_syscall])
		skel->rodata->nr_slot[__NR_restart_syscall] = LAT_NR_RESTART_MARK;
#endif
	if (env.max_threads)
		bpf_map__set_max_entries(skel->maps.starts, env.max_threads);

	/* Only the chosen mechanism's programs are loaded. */
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	switch (m) {
	case MECH_FENTRY:
		for (int i = 0; i < nslots; i++) {
			snprintf(fn, sizeof(fn), SYSCALL_PREFIX "%s", slots[i].name);
			struct bpf_program *fe = prog_by_name(skel, "lat_fentry_%d", i);
			struct bpf_program *fx = prog_by_name(skel, "lat_fexit_%d", i);

			if (!fe || !fx || bpf_program__set_attach_target(fe, 0, fn) ||
			    bpf_program__set_attach_target(fx, 0, fn)) {
				snprintf(why, whylen, "cannot target %s", fn);
				goto fail;
			}
			bpf_program__set_autoload(fe, true);
			bpf_program__set_autoload(fx, true);
		}
		if (restart_fn) {
			bpf_program__set_attach_target(skel->progs.lat_fentry_rs, 0, restart_fn);
			bpf_program__set_attach_target(skel->progs.lat_fexit_rs, 0, restart_fn);
			bpf_program__set_autoload(skel->progs.lat_fentry_rs, true);
			bpf_program__set_autoload(skel->progs.lat_fexit_rs, true);
		}
		bpf_program__set_autoload(skel->progs.lat_texit_btf, true);
		bpf_program__set_autoload(skel->progs.lat_exec_btf, true);
		break;
	case MECH_TP_BTF:
		bpf_program__set_autoload(skel->progs.lat_enter_btf, true);
		bpf_program__set_autoload(skel->progs.lat_exit_btf, true);
		bpf_program__set_autoload(skel->progs.lat_texit_btf, true);
		bpf_program__set_autoload(skel->progs.lat_exec_btf, true);
		break;
	default:
		bpf_program__set_autoload(skel->progs.lat_enter_raw, true);
		bpf_program__set_autoload(skel->progs.lat_exit_raw, true);
		bpf_program__set_autoload(skel->progs.lat_texit_raw, true);
		bpf_program__set_autoload(skel->progs.lat_exec_raw, true);
		break;
	}
	/* io_uring completions, whatever the mechanism (attached apart: optional) */
	bpf_program__set_autoload(skel->progs.lat_cqe_raw,
				  skel->rodata->uring_slot < LAT_MAX_SYSCALLS);
	err = latency_bpf__load(skel);
	if (err) {
		snprintf(why, whylen, "load failed: %s", strerror(-err));
		goto fail;
	}
	return skel;
fail:
	latency_bpf__destroy(skel);
	return NULL;
}

/* Links, attached in an order that never sees a return before its entry program. */
#define MAX_LINKS (2 * LAT_MAX_SYSCALLS + 8)
static struct bpf_link *links[MAX_LINKS];
static int nlinks;

static int attach_one(struct bpf_program *p, char *why, size_t whylen)
{
	struct bpf_link *l;

	if (!bpf_program__autoload(p))
		return 0;
	l = bpf_program__attach(p);
	if (!l) {
		snprintf(why, whylen, "attach %s: %s", bpf_program__name(p), strerror(errno));
		return -1;
	}
	links[nlinks++] = l;
	return 0;
}

static void detach_all(void)
{
	/* entry side first, so no new entries appear while the rest goes */
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
}

/* Ids of the loaded programs, to wait for the kernel to free them at exit. */
static __u32 prog_ids[MAX_LINKS];
static int nprog_ids;

static void remember_prog_ids(struct latency_bpf *skel)
{
	char list[2048] = "";
	struct bpf_program *p;
	size_t off = 0;

	bpf_object__for_each_program(p, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || nprog_ids >= MAX_LINKS || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		prog_ids[nprog_ids++] = info.id;
		if (off < sizeof(list))
			off += snprintf(list + off, sizeof(list) - off, "%s%s id %u",
					off ? ", " : "", bpf_program__name(p), info.id);
	}
	vinfo("programs: %s", list);
}

/*
 * Detached tracing links are freed after an RCU grace period, a few hundred
 * milliseconds after the last fd is closed. Wait (bounded) until none of our
 * program ids is listed any more, so "nothing stays loaded" holds when we exit.
 */
static void wait_progs_gone(double max_s)
{
	double t0 = 0;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (;;) {
		__u32 id = 0;
		int left = 0;

		while (!bpf_prog_get_next_id(id, &id))
			for (int i = 0; i < nprog_ids; i++)
				if (prog_ids[i] == id)
					left++;
		if (!left)
			return;
		if (t0 >= max_s) {
			vinfo("%d program(s) still being freed by the kernel", left);
			return;
		}
		nanosleep(&ts, NULL);
		t0 += 0.02;
	}
}

static int attach_mech(struct latency_bpf *skel, enum mech m, char *why, size_t whylen)
{
	struct bpf_program *p;

	/* thread exit, then returns, then entries */
	if (attach_one(skel->progs.lat_texit_btf, why, whylen) ||
	    attach_one(skel->progs.lat_texit_raw, why, whylen) ||
	    attach_one(skel->progs.lat_exec_btf, why, whylen) ||
	    attach_one(skel->progs.lat_exec_raw, why, whylen))
		return -1;
	if (m == MECH_FENTRY) {
		for (int i = 0; i < nslots; i++)
			if (!(p = prog_by_name(skel, "lat_fexit_%d", i)) || attach_one(p, why, whylen))
				return -1;
		if (attach_one(skel->progs.lat_fexit_rs, why, whylen) ||
		    attach_one(skel->progs.lat_fentry_rs, why, whylen))
			return -1;
		for (int i = 0; i < nslots; i++)
			if (!(p = prog_by_name(skel, "lat_fentry_%d", i)) || attach_one(p, why, whylen))
				return -1;
		return 0;
	}
	if (attach_one(skel->progs.lat_exit_btf, why, whylen) ||
	    attach_one(skel->progs.lat_exit_raw, why, whylen) ||
	    attach_one(skel->progs.lat_enter_btf, why, whylen) ||
	    attach_one(skel->progs.lat_enter_raw, why, whylen))
		return -1;
	return 0;
}

/*
 * The io_uring completion counter: optional. Without the tracepoint (no
 * CONFIG_IO_URING, or a kernel that does not have it) the run goes on and
 * the output says why "completed" is missing.
 */
static void attach_cqe(struct latency_bpf *skel)
{
	struct bpf_link *l;

	cqe_note[0] = '\0';
	if (!bpf_program__autoload(skel->progs.lat_cqe_raw))
		return;
	l = bpf_program__attach(skel->progs.lat_cqe_raw);
	if (!l) {
		snprintf(cqe_note, sizeof(cqe_note),
			 "tracepoint io_uring:io_uring_complete not available: %s", strerror(errno));
		vinfo("io_uring completions not counted: %s", cqe_note);
		return;
	}
	links[nlinks++] = l;
}

/* ---------------------------------------------------------------- reading */

static int read_snap(struct latency_bpf *skel, struct snap *s)
{
	int ncpu = libbpf_num_possible_cpus();
	int hfd = bpf_map__fd(skel->maps.hists), mfd = bpf_map__fd(skel->maps.misc);
	int sfd = bpf_map__fd(skel->maps.starts);
	struct lat_hist *hv;
	struct lat_misc *mv;
	__u32 key, next, *prev = NULL;
	struct lat_start st;
	int ret = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	hv = calloc(ncpu, sizeof(*hv));
	mv = calloc(ncpu, sizeof(*mv));
	if (!hv || !mv) {
		ret = -ENOMEM;
		goto out;
	}
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < nslots; i++) {
		for (int c = 0; c < LAT_NR_CLASSES; c++) {
			struct lat_hist *d = &s->h[i][c];

			key = i * LAT_NR_CLASSES + c;
			if (bpf_map_lookup_elem(hfd, &key, hv)) {
				ret = -errno;
				goto out;
			}
			/* per-CPU values summed here */
			for (int cpu = 0; cpu < ncpu; cpu++) {
				d->count += hv[cpu].count;
				d->errors += hv[cpu].errors;
				d->interrupted += hv[cpu].interrupted;
				d->restarted += hv[cpu].restarted;
				d->total_ns += hv[cpu].total_ns;
				for (int b = 0; b < LAT_MAX_BUCKETS; b++) {
					d->buckets[b] += hv[cpu].buckets[b];
					d->buckets_ns[b] += hv[cpu].buckets_ns[b];
				}
			}
		}
		key = i;
		if (bpf_map_lookup_elem(mfd, &key, mv)) {
			ret = -errno;
			goto out;
		}
		for (int cpu = 0; cpu < ncpu; cpu++) {
			s->m[i].unmatched += mv[cpu].unmatched;
			s->m[i].dropped += mv[cpu].dropped;
			s->m[i].exited += mv[cpu].exited;
			s->m[i].arg1 += mv[cpu].arg1;
			s->m[i].arg2 += mv[cpu].arg2;
			s->m[i].ret += mv[cpu].ret;
			s->m[i].cqes += mv[cpu].cqes;
			s->m[i].cqes_in_call += mv[cpu].cqes_in_call;
		}
	}
	while (!bpf_map_get_next_key(sfd, prev, &next)) {
		if (!bpf_map_lookup_elem(sfd, &next, &st) && st.state != LAT_IDLE)
			s->inflight++;
		key = next;
		prev = &key;
	}
out:
	free(hv);
	free(mv);
	return ret;
}

static void snap_sub(struct snap *d, const struct snap *a, const struct snap *b)
{
	for (int i = 0; i < nslots; i++) {
		for (int c = 0; c < LAT_NR_CLASSES; c++) {
			const struct lat_hist *x = &a->h[i][c], *y = &b->h[i][c];
			struct lat_hist *z = &d->h[i][c];

			z->count = x->count - y->count;
			z->errors = x->errors - y->errors;
			z->interrupted = x->interrupted - y->interrupted;
			z->restarted = x->restarted - y->restarted;
			z->total_ns = x->total_ns - y->total_ns;
			for (int k = 0; k < LAT_MAX_BUCKETS; k++) {
				z->buckets[k] = x->buckets[k] - y->buckets[k];
				z->buckets_ns[k] = x->buckets_ns[k] - y->buckets_ns[k];
			}
		}
		d->m[i].unmatched = a->m[i].unmatched - b->m[i].unmatched;
		d->m[i].dropped = a->m[i].dropped - b->m[i].dropped;
		d->m[i].exited = a->m[i].exited - b->m[i].exited;
		d->m[i].arg1 = a->m[i].arg1 - b->m[i].arg1;
		d->m[i].arg2 = a->m[i].arg2 - b->m[i].arg2;
		d->m[i].ret = a->m[i].ret - b->m[i].ret;
		d->m[i].cqes = a->m[i].cqes - b->m[i].cqes;
		d->m[i].cqes_in_call = a->m[i].cqes_in_call - b->m[i].cqes_in_call;
	}
	d->inflight = a->inflight;
}

/* ---------------------------------------------------------------- printing */

static const char *unit_name(void)
{
	return env.unit == LAT_MSEC ? "msecs" : env.unit == LAT_USEC ? "usecs" : "nsecs";
}

static const char *unit_short(void)
{
	return env.unit == LAT_MSEC ? "ms" : env.unit == LAT_USEC ? "us" : "ns";
}

static double ns_to_unit(uint64_t ns)
{
	return env.unit == LAT_MSEC ? ns / 1e6 : env.unit == LAT_USEC ? ns / 1e3 : (double)ns;
}

static const char *num_fmt(void)
{
	return env.unit == LAT_MSEC ? "%.3f" : env.unit == LAT_USEC ? "%.1f" : "%.0f";
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, num_fmt(), v);
}

/* The two classes of a syscall added up. */
static struct lat_hist sum_classes(const struct lat_hist *h)
{
	struct lat_hist t = {};

	for (int c = 0; c < LAT_NR_CLASSES; c++) {
		t.count += h[c].count;
		t.errors += h[c].errors;
		t.interrupted += h[c].interrupted;
		t.restarted += h[c].restarted;
		t.total_ns += h[c].total_ns;
		for (int b = 0; b < LAT_MAX_BUCKETS; b++) {
			t.buckets[b] += h[c].buckets[b];
			t.buckets_ns[b] += h[c].buckets_ns[b];
		}
	}
	return t;
}

/* p-quantile estimate in the display unit, -1 without calls. */
static double percentile(const struct lat_hist *h, double p)
{
	double ns;

	if (env.unit == LAT_NSEC)
		return hist_percentile(h->buckets, LAT_MAX_BUCKETS, p);
	ns = hist_percentile(h->buckets_ns, LAT_MAX_BUCKETS, p);
	return ns < 0 ? ns : env.unit == LAT_MSEC ? ns / 1e6 : ns / 1e3;
}

static void json_percentile(const char *key, double v)
{
	if (v < 0)
		print_null(key, NULL);
	else
		print_float(key, NULL, v);	/* 6 significant digits */
}

static void json_class(const char *name, const struct lat_hist *h)
{
	open_json_object(name);
	print_uint("count", NULL, h->count);
	print_uint("errors", NULL, h->errors);
	print_uint("interrupted", NULL, h->interrupted);
	print_uint("restarted", NULL, h->restarted);
	print_uint("total_ns", NULL, h->total_ns);
	json_percentile("p50", percentile(h, 0.50));
	json_percentile("p99", percentile(h, 0.99));
	hist_print_json("buckets", h->buckets, LAT_MAX_BUCKETS);
	close_json_object();
}

static void text_class_section(const struct snap *d, int c, const char *title)
{
	bool any = false;

	for (int i = 0; i < nslots; i++) {
		const struct lat_hist *h = &d->h[i][c];
		char tot[32], p50[32], p99[32];

		if (!h->count)
			continue;
		if (!any)
			printf("\n%s\n", title);
		any = true;
		fmt_num(tot, sizeof(tot), ns_to_unit(h->total_ns));
		fmt_num(p50, sizeof(p50), percentile(h, 0.50));
		fmt_num(p99, sizeof(p99), percentile(h, 0.99));
		printf("\n%s: %llu call%s, %llu error%s", slots[i].name,
		       (unsigned long long)h->count, h->count == 1 ? "" : "s",
		       (unsigned long long)h->errors, h->errors == 1 ? "" : "s");
		if (h->interrupted)
			printf(", %llu interrupted", (unsigned long long)h->interrupted);
		if (h->restarted)
			printf(", %llu restarted", (unsigned long long)h->restarted);
		printf(", total %s %s, p50 ~%s %s, p99 ~%s %s\n", tot, unit_short(), p50,
		       unit_short(), p99, unit_short());
		hist_print_text(h->buckets, LAT_MAX_BUCKETS, unit_name());
	}
}

/*
 * Queue entries of a libaio/io_uring syscall (calls that succeeded): an
 * "entries" object in the syscall's JSON object, or one text line.
 */
static void print_entries(int i, const struct snap *d)
{
	const struct lat_entries *en = lat_entries_find(slots[i].name);
	const struct lat_misc *m = &d->m[i];
	struct lat_hist t = sum_classes(d->h[i]);
	uint64_t ok = t.count - t.errors - t.interrupted;
	char fmt[96];

	if (!en)
		return;
	open_json_object("entries");
	print_uint("calls", "%llu calls", ok);
	snprintf(fmt, sizeof(fmt), ", %s %%llu", en->arg1);
	print_uint(en->arg1, fmt, m->arg1);
	if (en->arg2) {
		snprintf(fmt, sizeof(fmt), ", %s %%llu", en->arg2);
		print_uint(en->arg2, fmt, m->arg2);
	}
	snprintf(fmt, sizeof(fmt), ", %s %%llu", en->ret);
	print_uint(en->ret, fmt, m->ret);
	if (ok)
		print_float("per_call", " (%.2f per call)", (double)m->ret / ok);
	else
		print_null("per_call", NULL);
	if (i == uring_slot_idx) {
		if (cqe_note[0]) {
			print_null("completed", ", completed: not counted");
			print_string("completed_note", " (%s)", cqe_note);
		} else {
			print_uint("completed", ", completed %llu", m->cqes);
			if (ok)
				print_float("completed_per_call", " (%.2f per call", (double)m->cqes / ok);
			else
				print_null("completed_per_call", " (");
			print_uint("completed_in_call", ", %llu while inside io_uring_enter)",
				   m->cqes_in_call);
		}
	}
	print_text("\n");
	close_json_object();
}

static void print_block(const struct snap *d, double secs, const char *mech,
			const struct sa_cgroup *cg)
{
	uint64_t tot_unmatched = 0, tot_dropped = 0, tot_exited = 0, tot_restarted = 0,
		 tot_interrupted = 0;
	char hdr[64];

	output_begin(pretty_output);
	open_json_object(NULL);
	if (json_wtr) {
		print_string("mechanism", NULL, mech);
		if (env.preset)
			print_string("preset", NULL, env.preset);
		else
			print_null("preset", NULL);
		print_string("unit", NULL, unit_name());
		print_uint("timestamp", NULL, (uint64_t)time(NULL));
		print_float("interval_s", NULL, round(secs * 1000) / 1000);
		open_json_object("filter");
		if (cg) {
			print_string("cgroup", NULL, cg->rel_path);
			print_uint("cgroup_id", NULL, cg->id);
			print_bool("subtree", NULL, true);
		}
		if (env.pid > 0)
			print_uint("pid", NULL, env.pid);
		if (env.comm)
			print_string("comm", NULL, env.comm);
		close_json_object();
	} else {
		char ts[32];
		time_t t = time(NULL);

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
		printf("%s  (%.3f s, %s)\n", ts, secs, mech);
		snprintf(hdr, sizeof(hdr), "TOTAL_%s", unit_short());
		printf("%-16s %10s %8s %8s %16s %12s%s %12s%s\n", "SYSCALL", "CALLS", "ERRORS",
		       "BLOCKED", hdr, "P50_", unit_short(), "P99_", unit_short());
	}

	open_json_array("syscalls", NULL);
	for (int i = 0; i < nslots; i++) {
		struct lat_hist t = sum_classes(d->h[i]);
		double p50 = percentile(&t, 0.50);
		double p99 = percentile(&t, 0.99);

		tot_unmatched += d->m[i].unmatched;
		tot_dropped += d->m[i].dropped;
		tot_exited += d->m[i].exited;
		tot_restarted += t.restarted;
		tot_interrupted += t.interrupted;
		if (json_wtr) {
			open_json_object(NULL);
			print_string("name", NULL, slots[i].name);
			print_int("nr", NULL, slots[i].nr);
			print_uint("count", NULL, t.count);
			print_uint("errors", NULL, t.errors);
			print_uint("interrupted", NULL, t.interrupted);
			print_uint("restarted", NULL, t.restarted);
			print_uint("unmatched", NULL, d->m[i].unmatched);
			print_uint("dropped", NULL, d->m[i].dropped);
			print_uint("exited", NULL, d->m[i].exited);
			print_uint("total_ns", NULL, t.total_ns);
			json_percentile("p50", p50);
			json_percentile("p99", p99);
			json_class("ran", &d->h[i][LAT_RAN]);
			json_class("blocked", &d->h[i][LAT_BLOCKED]);
			print_entries(i, d);
			close_json_object();
		} else {
			char tot[32], s50[32], s99[32];

			fmt_num(tot, sizeof(tot), ns_to_unit(t.total_ns));
			fmt_num(s50, sizeof(s50), p50);
			fmt_num(s99, sizeof(s99), p99);
			printf("%-16s %10llu %8llu %8llu %16s %14s %14s\n", slots[i].name,
			       (unsigned long long)t.count, (unsigned long long)t.errors,
			       (unsigned long long)d->h[i][LAT_BLOCKED].count, tot, s50, s99);
		}
	}
	close_json_array(NULL);

	print_uint("unmatched", "unmatched %llu", tot_unmatched);
	print_uint("dropped", ", dropped %llu", tot_dropped);
	print_uint("exited", ", exited %llu", tot_exited);
	print_uint("restarted", ", restarted %llu", tot_restarted);
	print_uint("interrupted", ", interrupted %llu", tot_interrupted);
	print_uint("inflight", ", in flight now %llu\n", d->inflight);

	if (!json_wtr) {
		bool hdr_done = false;

		for (int i = 0; i < nslots; i++) {
			if (!lat_entries_find(slots[i].name) || !sum_classes(d->h[i]).count)
				continue;
			if (!hdr_done)
				printf("\nQueue entries (calls that succeeded; per call = average)\n");
			hdr_done = true;
			printf("%s: ", slots[i].name);
			print_entries(i, d);
		}
		text_class_section(d, LAT_RAN, "CPU cost: calls that did not sleep");
		text_class_section(d, LAT_BLOCKED, "Blocking waits: calls that slept");
		printf("\n");
		fflush(stdout);
	}
	close_json_object();
	output_end();
}

/* `latency --preset list`: the presets and their syscalls (on this architecture). */
static void print_presets(void)
{
	output_begin(pretty_output);
	open_json_object(NULL);
	open_json_array("presets", NULL);
	if (!json_wtr)
		printf("%-8s %s\n", "PRESET", "SYSCALLS");
	for (const struct lat_preset *p = lat_presets; p->name; p++) {
		char list[1024];

		lat_preset_syscalls(p, list, sizeof(list));
		open_json_object(NULL);
		print_string("name", "%-8s ", p->name);
		print_bool("default", NULL, p == lat_presets);
		print_string("description", "%s\n", p->desc);
		open_json_array("syscalls", NULL);
		for (const char *s = list; *s;) {
			size_t n = strcspn(s, ",");
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)n, s);
			print_string(NULL, NULL, name);
			s += n + (s[n] == ',');
		}
		close_json_array(NULL);
		print_text("%-8s %s\n", "", list);
		close_json_object();
	}
	close_json_array(NULL);
	close_json_object();
	output_end();
}

/* ---------------------------------------------------------------- main */

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep until t (monotonic, may be INFINITY) or a signal. */
static void sleep_until(double t)
{
	while (!exiting) {
		double left = t - now_mono();
		struct timespec ts;

		if (left <= 0)
			return;
		if (left > 0.2)	/* a signal just before nanosleep() costs at most this */
			left = 0.2;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);	/* EINTR on a signal: loop checks exiting */
	}
}

/* For `status`: the syscall_latency row of the feature table, i.e. which
 * mechanism `latency` would use on this kernel. Each one is loaded (not
 * attached) for one syscall (sendto), as a run would load it. */
void latency_print_feature(void)
{
	static char why[MECH_NR][256];
	const char *errors[MECH_NR];
	struct btf *vmlinux_btf = btf__load_vmlinux_btf();
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	int in_use = -1;

	nslots = 1;
	snprintf(slots[0].name, sizeof(slots[0].name), "sendto");
	slots[0].nr = lat_syscall_nr("sendto");
	env.unit = LAT_USEC;
	for (int i = 0; i < MECH_NR; i++) {
		struct latency_bpf *skel = NULL;

		if (i == MECH_TP_BTF && !vmlinux_btf)
			snprintf(why[i], sizeof(why[i]), "no kernel BTF");
		else
			skel = load_mech(i, vmlinux_btf, why[i], sizeof(why[i]));
		errors[i] = skel ? NULL : why[i];
		if (skel && in_use < 0)
			in_use = i;
		latency_bpf__destroy(skel);
	}
	libbpf_set_print(old);
	btf__free(vmlinux_btf);
	sa_feature_print_row("syscall_latency", in_use, mech_names, errors, MECH_NR,
			     in_use < 0 ? "`sockaccelctl latency` cannot trace syscalls here" : NULL);
}

int do_latency(int argc, char **argv)
{
	enum { OPT_PID = 1000, OPT_COMM, OPT_MECH, OPT_MAX_THREADS, OPT_PRESET };
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "syscalls", required_argument, NULL, 's' },
		{ "preset", required_argument, NULL, OPT_PRESET },
		{ "milliseconds", no_argument, NULL, 'm' },
		{ "microseconds", no_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "mechanism", required_argument, NULL, OPT_MECH },
		{ "max-threads", required_argument, NULL, OPT_MAX_THREADS },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct sa_cgroup cg = {};
	struct latency_bpf *skel = NULL;
	struct btf *vmlinux_btf = NULL;
	struct snap *cur = NULL, *prev = NULL, *delta = NULL;
	struct sigaction sa = {};
	char err[1024], why[MECH_NR][512] = {};
	int opt, ret = EXIT_ERR, nfilters = 0, cg_fd = -1, r;
	enum mech m = MECH_NR;
	double t_start, t_prev, t_end;
	uint64_t u;

	memset(&env, 0, sizeof(env));
	env.mech = -1;
	optind = 0;
	opterr = 0;	/* one error line, ours */
	while ((opt = getopt_long(argc, argv, "c:d:i:s:mujpvh", opts, NULL)) >= 0) {
		switch (opt) {
		case 'c':
			env.cgroup = optarg;
			nfilters++;
			break;
		case OPT_PID:
			if (sa_parse_u64(optarg, 1, INT32_MAX, &u))
				return ctl_usage_err("latency: --pid needs a process id");
			env.pid = u;
			nfilters++;
			break;
		case OPT_COMM:
			if (!*optarg)
				return ctl_usage_err("latency: --comm needs a name");
			env.comm = optarg;
			nfilters++;
			break;
		case 'd':
			if (sa_parse_seconds(optarg, &env.duration))
				return ctl_usage_err("latency: -d needs a positive number of seconds");
			break;
		case 'i':
			if (sa_parse_seconds(optarg, &env.interval))
				return ctl_usage_err("latency: -i needs a positive number of seconds");
			break;
		case 's':
			env.syscalls = optarg;
			break;
		case OPT_PRESET:
			env.preset = optarg;
			break;
		case 'm':
			if (env.unit == LAT_USEC)
				return ctl_usage_err("latency: -m and -u exclude each other");
			env.unit = LAT_MSEC;
			break;
		case 'u':
			if (env.unit == LAT_MSEC)
				return ctl_usage_err("latency: -m and -u exclude each other");
			env.unit = LAT_USEC;
			break;
		case 'j':
			json_output = true;
			break;
		case 'p':
			json_output = pretty_output = true;
			break;
		case 'v':
			env.verbose++;
			break;
		case OPT_MECH:
			if (!strcmp(optarg, "auto"))
				env.mech = -1;
			else if (!strcmp(optarg, "fentry"))
				env.mech = MECH_FENTRY;
			else if (!strcmp(optarg, "tp_btf"))
				env.mech = MECH_TP_BTF;
			else if (!strcmp(optarg, "raw_tp"))
				env.mech = MECH_RAW_TP;
			else
				return ctl_usage_err("latency: --mechanism: auto, fentry, tp_btf or raw_tp");
			break;
		case OPT_MAX_THREADS:
			if (sa_parse_u64(optarg, 1, 1 << 22, &u))
				return ctl_usage_err("latency: --max-threads needs a number from 1 to %d",
						     1 << 22);
			env.max_threads = u;
			break;
		case 'h':
			if (json_output)
				return ctl_usage_err("latency: help has no JSON output");
			usage();
			return EXIT_OK;
		default:
			if (optopt > 0 && optopt < 128)
				return ctl_usage_err("latency: bad option -%c or missing argument", optopt);
			return ctl_usage_err("latency: bad option %s or missing argument", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ctl_usage_err("latency: unexpected argument '%s'", argv[optind]);
	if (nfilters > 1)
		return ctl_usage_err("latency: --cgroup, --pid and --comm exclude each other");
	if (env.comm && strlen(env.comm) >= LAT_TASK_COMM_LEN)
		return ctl_usage_err("latency: --comm: command names are at most %d characters",
				     LAT_TASK_COMM_LEN - 1);
	if (env.preset && !strcmp(env.preset, "list")) {
		if (nfilters || env.syscalls)
			return ctl_usage_err("latency: --preset list takes no filter and no --syscalls");
		print_presets();
		return EXIT_OK;
	}
	/* One rule: a preset or an explicit list, never a mix (no guessing
	 * whether --syscalls narrows or extends the preset). */
	if (env.preset && env.syscalls)
		return ctl_usage_err("latency: --preset and --syscalls exclude each other");
	if (env.syscalls) {
		r = parse_syscalls(env.syscalls);
	} else {
		const struct lat_preset *p = lat_preset_find(env.preset ? env.preset : lat_presets[0].name);
		char list[1024];

		if (!p)
			return ctl_usage_err("latency: unknown preset '%s' (see --preset list)", env.preset);
		env.preset = p->name;
		r = parse_syscalls(lat_preset_syscalls(p, list, sizeof(list)));
	}
	if (r)
		return r;
	for (int i = 0; i < nslots; i++)
		if (!strcmp(slots[i].name, "io_uring_enter"))
			uring_slot_idx = i;

	libbpf_set_print(libbpf_print);
	if (sa_check_privileges(err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	if (env.pid > 0 && kill(env.pid, 0) && errno == ESRCH) {
		p_err("latency: no process %d", env.pid);
		return EXIT_ERR;
	}
	if (env.cgroup) {
		if (sa_cgroup_resolve(env.cgroup, &cg, err, sizeof(err))) {
			p_err("%s", err);
			return EXIT_ERR;
		}
		cg_fd = open(cg.abs_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg_fd < 0) {
			p_err("latency: open %s: %s", cg.abs_path, strerror(errno));
			return EXIT_ERR;
		}
	}

	/* Signals: end the run (and print the last block) from here on. */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf)
		vinfo("no kernel BTF (%s): fentry and tp_btf unavailable", strerror(errno));
	for (int i = 0; i < MECH_NR && !skel; i++) {
		if (env.mech >= 0 && env.mech != i)
			continue;
		if (i == MECH_TP_BTF && !vmlinux_btf) {
			snprintf(why[i], sizeof(why[i]), "no kernel BTF");
		} else {
			skel = load_mech(i, vmlinux_btf, why[i], sizeof(why[i]));
			if (skel && cg_fd >= 0) {
				__u32 key = 0;

				if (bpf_map_update_elem(bpf_map__fd(skel->maps.cgroup_map), &key,
							&cg_fd, BPF_ANY)) {
					p_err("latency: cgroup filter map: %s", strerror(errno));
					goto out;
				}
			}
			if (skel && attach_mech(skel, i, why[i], sizeof(why[i]))) {
				detach_all();
				latency_bpf__destroy(skel);
				skel = NULL;
			}
		}
		if (skel)
			m = i;
		else
			vinfo("%s: %s", mech_names[i], why[i]);
	}
	if (!skel) {
		if (env.mech >= 0)
			p_err("latency: %s: %s", mech_names[env.mech], why[env.mech]);
		else
			p_err("latency: cannot trace syscalls here: fentry: %s; tp_btf: %s; raw_tp: %s",
			      why[MECH_FENTRY], why[MECH_TP_BTF], why[MECH_RAW_TP]);
		goto out;
	}
	vinfo("using %s: %s", mech_names[m], mech_desc[m]);
	attach_cqe(skel);
	remember_prog_ids(skel);

	cur = calloc(1, sizeof(*cur));
	prev = calloc(1, sizeof(*prev));
	delta = calloc(1, sizeof(*delta));
	if (!cur || !prev || !delta) {
		p_err("latency: out of memory");
		goto out;
	}
	if (!json_output || env.verbose) {
		char what[PATH_MAX + 64];

		if (env.cgroup)
			snprintf(what, sizeof(what), "in cgroup %s and below", cg.rel_path);
		else if (env.pid > 0)
			snprintf(what, sizeof(what), "of pid %d", env.pid);
		else if (env.comm)
			snprintf(what, sizeof(what), "of comm '%s'", env.comm);
		else
			snprintf(what, sizeof(what), "of all processes");
		fprintf(stderr, "Tracing %d syscall%s%s%s %s with %s... Hit Ctrl-C to end.\n", nslots,
			nslots == 1 ? "" : "s", env.preset ? " of preset " : "",
			env.preset ? env.preset : "", what, mech_names[m]);
	}

	t_start = t_prev = now_mono();
	t_end = env.duration > 0 ? t_start + env.duration : INFINITY;
	ret = EXIT_OK;
	for (;;) {
		double next = env.interval > 0 ? t_prev + env.interval : INFINITY;
		double t;

		if (next > t_end)
			next = t_end;
		sleep_until(next);
		r = read_snap(skel, cur);
		if (r) {
			p_err("latency: read maps: %s", strerror(-r));
			ret = EXIT_ERR;
			break;
		}
		t = now_mono();
		snap_sub(delta, cur, prev);
		print_block(delta, t - t_prev, mech_names[m], env.cgroup ? &cg : NULL);
		*prev = *cur;
		t_prev = t;
		if (exiting || t >= t_end)
			break;
	}
out:
	detach_all();
	latency_bpf__destroy(skel);
	wait_progs_gone(3.0);
	btf__free(vmlinux_btf);
	if (cg_fd >= 0)
		close(cg_fd);
	free(cur);
	free(prev);
	free(delta);
	return ret;
}
