// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sa-fileio: 4 KiB random reads from one file through one I/O interface,
 * for `sockaccelctl latency --preset file` (bench/io.sh, the
 * t_latency_fileio* tests). Prints one JSON object: ops/s and the calls it
 * made itself, so a tracer's counts can be checked exactly.
 *
 *   --engine pread    pread64(); --qd N > 1 runs N threads, one read each
 *   --engine libaio   io_submit + io_getevents (libaio), N reads in flight
 *   --engine uring    io_uring_enter (liburing), N reads in flight
 *
 * Default "refill" loop: keep N reads in flight, submit as many as completed.
 * --lockstep: submit N, wait for all N, again: every call moves exactly N
 * entries (tests assert the per-call counts).
 */
#define _GNU_SOURCE
#define TOOL_NAME "sa-fileio"
#include <fcntl.h>
#include <getopt.h>
#include <libaio.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "tool_util.h"

#define BS 4096

enum engine { E_PREAD, E_LIBAIO, E_URING };

static struct {
	enum engine engine;
	int qd;
	double seconds;		/* 0: --ops decides */
	uint64_t ops;		/* 0: --seconds decides */
	const char *file;
	uint64_t create;	/* write a file of this size first */
	int direct;		/* -1 auto, 0 no, 1 yes */
	bool lockstep;
	uint64_t seed;
	const char *pid_file, *wait_file, *phase_dir;
	int phases;
} o = { .engine = E_PREAD, .qd = 1, .direct = -1, .seed = 1, .phases = 1 };

static int fd;
/* SIGTERM/SIGINT: end a --seconds run early, still printing the JSON */
static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}
static uint64_t nblocks;
static bool used_direct;

/* What this process asked the kernel for (checked against a tracer). */
static struct {
	uint64_t reads;		/* completed 4 KiB reads */
	uint64_t pread_calls;
	uint64_t submit_calls, getevents_calls, submitted, events;
	uint64_t enter_calls, to_submit, min_complete, enter_submitted, cqes;
	uint64_t short_reads;
} st;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: sa-fileio --file F [--create BYTES] [--engine pread|libaio|uring] [--qd N]\n"
"                 (--seconds S | --ops N) [--direct auto|yes|no] [--lockstep]\n"
"                 [--seed N] [--pid-file F] [--wait F] [--phases N --phase-dir D]\n"
"4 KiB random reads; prints JSON (ops/s, its own syscall counts).\n"
"  --create BYTES   (re)write F with BYTES of data first, then drop it from the\n"
"                   page cache (posix_fadvise DONTNEED after fsync)\n"
"  --direct         O_DIRECT: auto = where the filesystem accepts it; without it\n"
"                   the file is dropped from the page cache when opened\n"
"  --lockstep       submit N, wait for all N (exact per-call entry counts)\n"
"  --phases N       run --ops N times; after phase i create D/done-i and wait\n"
"                   for D/go-(i+1) before the next (no syscall of the traced\n"
"                   kinds happens between phases)\n"
"SIGTERM or SIGINT ends a --seconds run early (the JSON is still printed).\n");
}

static uint64_t rng;
static uint64_t next_off(void)
{
	/* xorshift64*: reproducible offsets for a given --seed */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return ((rng * 0x2545F4914F6CDD1DULL) % nblocks) * BS;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void wait_for(const char *f)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	while (access(f, F_OK)) {
		if (stop)
			exit(1);
		nanosleep(&ts, NULL);
	}
}

/* create without write(): open + close only, outside the traced syscalls */
static void touch(const char *f)
{
	int t = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (t < 0)
		die(f);
	close(t);
}

static void create_file(void)
{
	char *buf = malloc(1 << 20);
	int w = open(o.file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (!buf || w < 0)
		die(o.file);
	for (size_t i = 0; i < (1 << 20); i++)
		buf[i] = (char)(i * 131 + 7);
	for (uint64_t done = 0; done < o.create; done += 1 << 20) {
		size_t n = o.create - done < (1 << 20) ? o.create - done : (1 << 20);

		buf[0] = (char)done;
		if (full_io(w, buf, n, true) != 1)
			die("write");
	}
	if (fsync(w))
		die("fsync");
	/* the page cache: reads must reach the device (or be O_DIRECT) */
	posix_fadvise(w, 0, 0, POSIX_FADV_DONTNEED);
	close(w);
	free(buf);
}

static void open_file(void)
{
	struct stat sb;

	if (o.direct) {
		fd = open(o.file, O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (fd >= 0)
			used_direct = true;
		else if (o.direct > 0 || errno != EINVAL)
			die("open O_DIRECT");
	}
	if (!used_direct) {
		fd = open(o.file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(o.file);
	}
	if (fstat(fd, &sb))
		die("fstat");
	nblocks = sb.st_size / BS;
	if (!nblocks) {
		fprintf(stderr, TOOL_NAME ": %s: smaller than %d bytes\n", o.file, BS);
		exit(1);
	}
	if (!used_direct) {
		/* buffered: start from an empty page cache for this file, every run */
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	}
}

static void *xbuf(void)
{
	void *p;

	if (posix_memalign(&p, BS, BS))
		die("posix_memalign");
	memset(p, 0, BS);
	return p;
}

/* ---- pread: one thread per queue slot ---- */
struct pth {
	pthread_t t;
	uint64_t ops, calls, shorts, seed;
	double t_end;
	uint64_t limit;
};

static void *pread_thread(void *arg)
{
	struct pth *p = arg;
	char *buf = xbuf();
	uint64_t r = p->seed;

	while (p->limit ? p->ops < p->limit : !stop && now() < p->t_end) {
		uint64_t off;
		ssize_t n;

		r ^= r >> 12; r ^= r << 25; r ^= r >> 27;
		off = ((r * 0x2545F4914F6CDD1DULL) % nblocks) * BS;
		n = pread(fd, buf, BS, off);
		p->calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("pread");
		if (n != BS)
			p->shorts++;
		p->ops++;
	}
	free(buf);
	return NULL;
}

static void run_pread(uint64_t ops, double t_end)
{
	struct pth th[o.qd];

	for (int i = 0; i < o.qd; i++) {
		th[i] = (struct pth){ .seed = o.seed * 7919 + i + 1, .t_end = t_end,
				      .limit = ops ? ops / o.qd + ((uint64_t)i < ops % o.qd) : 0 };
		if (o.qd == 1) {
			pread_thread(&th[0]);
			break;
		}
		if (pthread_create(&th[i].t, NULL, pread_thread, &th[i]))
			die("pthread_create");
	}
	for (int i = 0; i < o.qd; i++) {
		if (o.qd > 1)
			pthread_join(th[i].t, NULL);
		st.reads += th[i].ops;
		st.pread_calls += th[i].calls;
		st.short_reads += th[i].shorts;
	}
}

/* ---- libaio ---- */
static io_context_t aio_ctx;
static struct iocb *iocbs;
static char **bufs;

static void run_libaio(uint64_t ops, double t_end)
{
	struct iocb *ptrs[o.qd];
	struct io_event ev[o.qd];
	uint64_t issued = 0;
	int inflight = 0, free_n = o.qd;
	int free_idx[o.qd];

	for (int i = 0; i < o.qd; i++)
		free_idx[i] = i;
	for (;;) {
		bool more = ops ? issued < ops : !stop && now() < t_end;
		int n = 0, r;

		/* refill (lockstep: only when everything came back) */
		if (more && (!o.lockstep || inflight == 0)) {
			while (free_n > 0 && (ops ? issued + n < ops : true)) {
				int i = free_idx[--free_n];

				io_prep_pread(&iocbs[i], fd, bufs[i], BS, next_off());
				iocbs[i].data = (void *)(long)i;
				ptrs[n++] = &iocbs[i];
			}
		}
		if (n) {
			r = io_submit(aio_ctx, n, ptrs);
			st.submit_calls++;
			if (r < 0) {
				errno = -r;
				die("io_submit");
			}
			st.submitted += r;
			/* not taken ones go back to the free list */
			for (int k = r; k < n; k++)
				free_idx[free_n++] = (int)(long)ptrs[k]->data;
			inflight += r;
			issued += r;
		}
		if (!inflight)
			break;
		/* timeout NULL: libaio always makes the syscall (its user-space
		 * ring check only runs for a zero timeout) */
		r = io_getevents(aio_ctx, o.lockstep ? inflight : 1, o.qd, ev, NULL);
		st.getevents_calls++;
		if (r == -EINTR)
			continue;
		if (r < 0) {
			errno = -r;
			die("io_getevents");
		}
		st.events += r;
		for (int k = 0; k < r; k++) {
			if ((long)ev[k].res != BS)
				st.short_reads++;
			free_idx[free_n++] = (int)(long)ev[k].data;
		}
		inflight -= r;
		st.reads += r;
	}
}

/* ---- io_uring ---- */
static struct io_uring ring;

static void run_uring(uint64_t ops, double t_end)
{
	uint64_t issued = 0;
	int inflight = 0, free_n = o.qd;
	int free_idx[o.qd];

	for (int i = 0; i < o.qd; i++)
		free_idx[i] = i;
	for (;;) {
		bool more = ops ? issued < ops : !stop && now() < t_end;
		unsigned int n = 0, wait;
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		int r;

		if (more && (!o.lockstep || inflight == 0)) {
			while (free_n > 0 && (ops ? issued + n < ops : true)) {
				int i = free_idx[--free_n];
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

				if (!sqe) {
					free_idx[free_n++] = i;
					break;
				}
				io_uring_prep_read(sqe, fd, bufs[i], BS, next_off());
				io_uring_sqe_set_data64(sqe, i);
				n++;
			}
		}
		if (!n && !inflight)
			break;
		wait = o.lockstep ? inflight + n : 1;
		/* one io_uring_enter(fd, n, wait, GETEVENTS): liburing enters
		 * whenever it has SQEs or must wait (no SQPOLL here) */
		r = io_uring_submit_and_wait(&ring, wait);
		st.enter_calls++;
		st.to_submit += n;
		st.min_complete += wait;
		if (r == -EINTR)
			continue;
		if (r < 0) {
			errno = -r;
			die("io_uring_submit_and_wait");
		}
		st.enter_submitted += r;
		inflight += r;
		issued += r;
		/* reaping from the CQ ring makes no syscall */
		io_uring_for_each_cqe(&ring, head, cqe) {
			if (cqe->res != BS)
				st.short_reads++;
			free_idx[free_n++] = (int)cqe->user_data;
			seen++;
		}
		io_uring_cq_advance(&ring, seen);
		st.cqes += seen;
		inflight -= seen;
		st.reads += seen;
	}
}

static const char *engine_name(void)
{
	return o.engine == E_PREAD ? "pread" : o.engine == E_LIBAIO ? "libaio" : "uring";
}

int main(int argc, char **argv)
{
	enum { OPT_ENGINE = 1000, OPT_QD, OPT_SECONDS, OPT_OPS, OPT_FILE, OPT_CREATE, OPT_DIRECT, OPT_LOCKSTEP,
	       OPT_SEED, OPT_PIDFILE, OPT_WAIT, OPT_PHASES, OPT_PHASEDIR };
	static const struct option opts[] = {
		{ "engine", required_argument, NULL, OPT_ENGINE },
		{ "qd", required_argument, NULL, OPT_QD },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "ops", required_argument, NULL, OPT_OPS },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "create", required_argument, NULL, OPT_CREATE },
		{ "direct", required_argument, NULL, OPT_DIRECT },
		{ "lockstep", no_argument, NULL, OPT_LOCKSTEP },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "pid-file", required_argument, NULL, OPT_PIDFILE },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "phases", required_argument, NULL, OPT_PHASES },
		{ "phase-dir", required_argument, NULL, OPT_PHASEDIR },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	double t0, t1;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (opt) {
		case OPT_ENGINE:
			if (!strcmp(optarg, "pread"))
				o.engine = E_PREAD;
			else if (!strcmp(optarg, "libaio"))
				o.engine = E_LIBAIO;
			else if (!strcmp(optarg, "uring"))
				o.engine = E_URING;
			else
				goto bad;
			break;
		case OPT_QD: o.qd = atoi(optarg); break;
		case OPT_SECONDS: o.seconds = atof(optarg); break;
		case OPT_OPS: o.ops = strtoull(optarg, NULL, 0); break;
		case OPT_FILE: o.file = optarg; break;
		case OPT_CREATE: o.create = strtoull(optarg, NULL, 0); break;
		case OPT_DIRECT:
			o.direct = !strcmp(optarg, "yes") ? 1 : !strcmp(optarg, "no") ? 0 : -1;
			if (o.direct < 0 && strcmp(optarg, "auto"))
				goto bad;
			break;
		case OPT_LOCKSTEP: o.lockstep = true; break;
		case OPT_SEED: o.seed = strtoull(optarg, NULL, 0); break;
		case OPT_PIDFILE: o.pid_file = optarg; break;
		case OPT_WAIT: o.wait_file = optarg; break;
		case OPT_PHASES: o.phases = atoi(optarg); break;
		case OPT_PHASEDIR: o.phase_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (optind < argc || !o.file || o.qd < 1 || o.qd > 1024 || (!o.ops == !(o.seconds > 0)) ||
	    o.phases < 1 || (o.phases > 1 && (!o.phase_dir || !o.ops)))
		goto bad;
	struct sigaction sa = { .sa_handler = on_stop };	/* no SA_RESTART */

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (o.create)
		create_file();
	open_file();
	rng = o.seed * 0x9E3779B97F4A7C15ULL + 1;
	if (o.engine != E_PREAD) {
		iocbs = calloc(o.qd, sizeof(*iocbs));
		bufs = calloc(o.qd, sizeof(*bufs));
		if (!iocbs || !bufs)
			die("calloc");
		for (int i = 0; i < o.qd; i++)
			bufs[i] = xbuf();
	}
	if (o.engine == E_LIBAIO) {
		int r = io_setup(o.qd, &aio_ctx);

		if (r < 0) {
			errno = -r;
			die("io_setup");
		}
	} else if (o.engine == E_URING) {
		int r = io_uring_queue_init(o.qd, &ring, 0);

		if (r < 0) {
			errno = -r;
			die("io_uring_queue_init");
		}
	}
	if (o.pid_file) {
		FILE *f = fopen(o.pid_file, "w");

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
			die(o.pid_file);
	}
	if (o.wait_file)
		wait_for(o.wait_file);

	t0 = now();
	for (int ph = 1; ph <= o.phases; ph++) {
		char f[4096];

		if (ph > 1) {
			snprintf(f, sizeof(f), "%s/go-%d", o.phase_dir, ph);
			wait_for(f);
		}
		if (o.engine == E_PREAD)
			run_pread(o.ops, t0 + o.seconds);
		else if (o.engine == E_LIBAIO)
			run_libaio(o.ops, t0 + o.seconds);
		else
			run_uring(o.ops, t0 + o.seconds);
		if (o.phase_dir) {
			snprintf(f, sizeof(f), "%s/done-%d", o.phase_dir, ph);
			touch(f);
		}
	}
	t1 = now();

	printf("{\"engine\": \"%s\", \"qd\": %d, \"lockstep\": %s, \"direct\": %s, \"file_bytes\": %llu, "
	       "\"phases\": %d, \"ops\": %llu, \"seconds\": %.3f, \"ops_per_s\": %.0f, \"mib_per_s\": %.1f, "
	       "\"short_reads\": %llu, \"calls\": {",
	       engine_name(), o.qd, o.lockstep ? "true" : "false", used_direct ? "true" : "false",
	       (unsigned long long)(nblocks * BS), o.phases, (unsigned long long)st.reads, t1 - t0,
	       st.reads / (t1 - t0), st.reads * (double)BS / (1 << 20) / (t1 - t0),
	       (unsigned long long)st.short_reads);
	if (o.engine == E_PREAD)
		printf("\"pread64\": %llu}", (unsigned long long)st.pread_calls);
	else if (o.engine == E_LIBAIO)
		printf("\"io_submit\": %llu, \"io_getevents\": %llu}, \"io_submit\": {\"submitted\": %llu}, "
		       "\"io_getevents\": {\"events\": %llu}",
		       (unsigned long long)st.submit_calls, (unsigned long long)st.getevents_calls,
		       (unsigned long long)st.submitted, (unsigned long long)st.events);
	else
		printf("\"io_uring_enter\": %llu}, \"io_uring_enter\": {\"to_submit\": %llu, "
		       "\"min_complete\": %llu, \"submitted\": %llu, \"completed\": %llu}",
		       (unsigned long long)st.enter_calls, (unsigned long long)st.to_submit,
		       (unsigned long long)st.min_complete, (unsigned long long)st.enter_submitted,
		       (unsigned long long)st.cqes);
	printf("}\n");
	return st.short_reads ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
