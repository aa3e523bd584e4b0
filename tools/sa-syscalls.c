// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sa-syscalls: a workload with an exact, known number of syscalls, for the
 * `sockaccelctl latency` tests.
 *
 * In this order (each step optional):
 *   --wait FILE        wait until FILE exists (the tracer is ready)
 *   --sendto N         N sendto() calls of 1 byte (a drain thread read()s them)
 *   --send-threads T   ... in each of T threads (T * N sendto() calls)
 *   --recvfrom M       M recvfrom() calls of 1 byte (M bytes were queued by one write())
 *   --eagain K         K recvfrom(MSG_DONTWAIT) on an empty socket: K errors (EAGAIN)
 *   --block-ms MS      one recvfrom() that waits MS ms: a second thread sleeps
 *                      MS ms, then sendto()s 1 byte
 *   --block-until FILE one recvfrom() (in the main thread) that waits until FILE
 *                      exists: a second thread checks every 10 ms, then sendto()s
 *   --threads T        with --block-ms/--block-until: T threads each block in one
 *                      recvfrom(); released (T sendto()s) only once all T are
 *                      inside recvfrom (checked in /proc/self/task/TID/syscall)
 *   --poll-until FILE  one poll() (60 s timeout) that waits until FILE exists
 *                      (a second thread sendto()s 1 byte then)
 *   --int80 N          N 32-bit syscalls (int $0x80, x86_64 only) with eax = 45:
 *                      ia32 brk, x86_64's recvfrom number (must not count as recvfrom)
 *   --thread-exec PATH last: a second thread (not the leader) execve()s PATH
 * So the traced counts are: sendto = T*N + (blocks) ; recvfrom = M + K + (blocks);
 * recvfrom errors = K ; poll = 1 with --poll-until. Other syscalls (read, write,
 * nanosleep, ...) are not exact.
 *
 * --pid-file FILE writes the pid first. --unix uses AF_UNIX socketpairs instead
 * of TCP connections over 127.0.0.1. Exit status 0 when every call did what was
 * expected, 1 otherwise, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "sa-syscalls"
#include "tool_util.h"

static const char usage_text[] =
"Usage: sa-syscalls [--wait FILE] [--pid-file FILE] [--unix]\n"
"                   [--sendto N [--send-threads T]] [--recvfrom M] [--eagain K]\n"
"                   [--block-ms MS | --block-until FILE [--threads T]] [--poll-until FILE]\n"
"                   [--int80 N] [--thread-exec PATH]\n"
"\n"
"Makes an exact number of sendto()/recvfrom()/poll() calls (see the source\n"
"header for the formula), for testing `sockaccelctl latency`.\n"
"\n"
"EXAMPLES:\n"
"    sa-syscalls --sendto 1000 --recvfrom 600 --eagain 7 --block-ms 200\n"
"    sa-syscalls --block-until /tmp/go --threads 16\n";

static struct {
	const char *wait_file, *pid_file, *block_file, *poll_file, *exec_path;
	long sendto_n, recvfrom_n, eagain_n, block_ms, threads, send_threads, int80_n;
	bool unix_sock;
} o = { .threads = 1, .send_threads = 1, .block_ms = -1 };

static atomic_int failures;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sa-syscalls: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	atomic_fetch_add(&failures, 1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void wait_file(const char *f)
{
	while (access(f, F_OK))
		sleep_ms(10);
}

/* A connected pair: sv[0] and sv[1]. */
static void make_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l;

	if (o.unix_sock) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			die("socketpair");
		return;
	}
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		die("socket");
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		die("bind/listen on 127.0.0.1 (is lo up?)");
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv[0] < 0 || connect(sv[0], (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	sv[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (sv[1] < 0)
		die("accept");
	close(l);
}

/* ---------------------------------------------------------------- sendto */

struct sender {
	pthread_t th, drain;
	int sv[2];
	long n;
};

static void *drain_main(void *arg)
{
	struct sender *s = arg;
	char buf[4096];
	long got = 0;

	while (got < s->n) {
		ssize_t r = read(s->sv[1], buf, sizeof(buf));

		if (r <= 0) {
			failf("drain read: %s", r ? strerror(errno) : "EOF");
			break;
		}
		got += r;
	}
	return NULL;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	char c = 's';

	for (long i = 0; i < s->n; i++) {
		ssize_t r = sendto(s->sv[0], &c, 1, 0, NULL, 0);

		if (r != 1)
			failf("sendto #%ld returned %zd: %s", i, r, strerror(errno));
	}
	return NULL;
}

static void do_sendto(void)
{
	long t = o.send_threads;
	struct sender *s = calloc(t, sizeof(*s));

	if (!s)
		die("calloc");
	for (long i = 0; i < t; i++) {
		make_pair(s[i].sv);
		s[i].n = o.sendto_n;
		if (pthread_create(&s[i].drain, NULL, drain_main, &s[i]))
			die("pthread_create");
	}
	if (t == 1) {
		sender_main(&s[0]);
	} else {
		for (long i = 0; i < t; i++)
			if (pthread_create(&s[i].th, NULL, sender_main, &s[i]))
				die("pthread_create");
		for (long i = 0; i < t; i++)
			pthread_join(s[i].th, NULL);
	}
	for (long i = 0; i < t; i++) {
		pthread_join(s[i].drain, NULL);
		close(s[i].sv[0]);
		close(s[i].sv[1]);
	}
	free(s);
}

/* ---------------------------------------------------------------- recvfrom */

static void do_recvfrom(void)
{
	int sv[2];
	char *buf = malloc(o.recvfrom_n), c;

	if (!buf)
		die("malloc");
	make_pair(sv);
	memset(buf, 'r', o.recvfrom_n);
	/* one write() queues all M bytes; each recvfrom() then takes one */
	for (long done = 0; done < o.recvfrom_n;) {
		ssize_t r = write(sv[0], buf + done, o.recvfrom_n - done);

		if (r <= 0)
			die("write");
		done += r;
	}
	for (long i = 0; i < o.recvfrom_n; i++) {
		ssize_t r = recvfrom(sv[1], &c, 1, 0, NULL, NULL);

		if (r != 1)
			failf("recvfrom #%ld returned %zd: %s", i, r, strerror(errno));
	}
	close(sv[0]);
	close(sv[1]);
	free(buf);
}

static void do_eagain(void)
{
	int sv[2];
	char c;

	make_pair(sv);
	for (long i = 0; i < o.eagain_n; i++) {
		ssize_t r = recvfrom(sv[1], &c, 1, MSG_DONTWAIT, NULL, NULL);

		if (r != -1 || errno != EAGAIN)
			failf("recvfrom(MSG_DONTWAIT) #%ld: expected EAGAIN, got %zd (%s)", i, r,
			      strerror(errno));
	}
	close(sv[0]);
	close(sv[1]);
}

/* ---------------------------------------------------------------- blocking */

struct blocker {
	pthread_t th;
	int sv[2];
	atomic_int tid;
	double waited;
};

static struct blocker *blockers;
static long nblockers;

static void block_one(struct blocker *b)
{
	double t0;
	char c;
	ssize_t r;

	atomic_store(&b->tid, (int)syscall(SYS_gettid));
	t0 = now_s();
	r = recvfrom(b->sv[1], &c, 1, 0, NULL, NULL);
	b->waited = now_s() - t0;
	if (r != 1)
		failf("blocking recvfrom returned %zd: %s", r, r < 0 ? strerror(errno) : "EOF");
}

static void *blocker_main(void *arg)
{
	block_one(arg);
	return NULL;
}

/* True when thread tid is inside syscall nr (first field of /proc/self/task/TID/syscall). */
static bool in_syscall(int tid, long nr)
{
	char path[64], buf[64];
	FILE *f;
	long cur;
	bool in = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%ld", &cur) == 1)
		in = cur == nr;
	fclose(f);
	return in;
}

static void wait_all_blocked(void)
{
	for (long i = 0; i < nblockers; i++) {
		int tid;

		while (!(tid = atomic_load(&blockers[i].tid)))
			sleep_ms(1);
		while (!in_syscall(tid, SYS_recvfrom))
			sleep_ms(1);
	}
}

static void *releaser_main(void *arg)
{
	char c = 'b';

	if (o.block_file) {
		wait_file(o.block_file);
		wait_all_blocked();
	} else {
		wait_all_blocked();
		sleep_ms(o.block_ms);	/* MS ms from the moment all are inside recvfrom */
	}
	for (long i = 0; i < nblockers; i++)
		if (sendto(blockers[i].sv[0], &c, 1, 0, NULL, 0) != 1)
			failf("release sendto: %s", strerror(errno));
	return NULL;
}

static void do_block(void)
{
	pthread_t rel;

	nblockers = o.threads;
	blockers = calloc(nblockers, sizeof(*blockers));
	if (!blockers)
		die("calloc");
	for (long i = 0; i < nblockers; i++)
		make_pair(blockers[i].sv);
	if (pthread_create(&rel, NULL, releaser_main, NULL))
		die("pthread_create");
	/* blocker 0 is the main thread (so /proc/PID/syscall shows it) */
	for (long i = 1; i < nblockers; i++)
		if (pthread_create(&blockers[i].th, NULL, blocker_main, &blockers[i]))
			die("pthread_create");
	block_one(&blockers[0]);
	for (long i = 1; i < nblockers; i++)
		pthread_join(blockers[i].th, NULL);
	pthread_join(rel, NULL);
	printf("blocked %.3f s in recvfrom (main thread)\n", blockers[0].waited);
	for (long i = 0; i < nblockers; i++) {
		close(blockers[i].sv[0]);
		close(blockers[i].sv[1]);
	}
	free(blockers);
}

static int poll_sv[2];

static void *poll_releaser(void *arg)
{
	char c = 'p';

	wait_file(o.poll_file);
	if (sendto(poll_sv[0], &c, 1, 0, NULL, 0) != 1)
		failf("poll release sendto: %s", strerror(errno));
	return NULL;
}

static void do_poll(void)
{
	struct pollfd p;
	pthread_t rel;
	int r;

	make_pair(poll_sv);
	if (pthread_create(&rel, NULL, poll_releaser, NULL))
		die("pthread_create");
	p.fd = poll_sv[1];
	p.events = POLLIN;
	/* a timeout makes an interrupted poll come back through restart_syscall */
	r = poll(&p, 1, 60000);
	if (r != 1)
		failf("poll returned %d: %s", r, r < 0 ? strerror(errno) : "timeout");
	pthread_join(rel, NULL);
	close(poll_sv[0]);
	close(poll_sv[1]);
}

#if defined(__x86_64__)
/* One ia32 brk(0) through int $0x80. */
static long int80_brk(void)
{
	long r = 45;	/* ia32 brk(0) */

	__asm__ volatile("int $0x80" : "+a"(r) : "b"(0L) : "memory");
	return r;
}

/* A kernel without IA32 emulation (CONFIG_IA32_EMULATION off, or
 * ia32_emulation=false, as on 6.18.44-fc-v782) answers int $0x80 with
 * SIGSEGV, not an error. Try once in a child with the default handler
 * (a sanitizer's would report the crash as a bug): the signal that killed
 * the child, 0 if it lived, -1 if the check itself failed. */
static int int80_killed_by(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		failf("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		int80_brk();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0) {
		failf("waitpid: %s", strerror(errno));
		return -1;
	}
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}
#endif

static void do_int80(void)
{
#if defined(__x86_64__)
	int sig = int80_killed_by();

	if (sig > 0)
		failf("int $0x80: not available (killed by signal %d: no IA32 emulation in this kernel?)", sig);
	if (sig)
		return;
	for (long i = 0; i < o.int80_n; i++) {
		long r = int80_brk();

		if (r < 0 && r > -4096)
			failf("int $0x80: %ld", r);
	}
#else
	failf("--int80 works on x86_64 only");
#endif
}

static void *exec_main(void *arg)
{
	char *const av[] = { (char *)o.exec_path, NULL };

	fflush(stdout);
	execv(o.exec_path, av);
	failf("execv %s: %s", o.exec_path, strerror(errno));
	exit(1);
}

static void do_thread_exec(void)
{
	pthread_t th;

	if (pthread_create(&th, NULL, exec_main, NULL))
		die("pthread_create");
	pthread_join(th, NULL);	/* never returns when the exec works */
	exit(1);
}

static long num_arg(const char *name, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0) {
		fprintf(stderr, "sa-syscalls: %s needs a number >= 0\n", name);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	enum { O_WAIT = 1000, O_PIDFILE, O_SENDTO, O_SENDTHR, O_RECVFROM, O_EAGAIN, O_BLOCKMS,
	       O_BLOCKUNTIL, O_THREADS, O_POLLUNTIL, O_UNIX, O_INT80, O_TEXEC };
	static const struct option opts[] = {
		{ "wait", required_argument, NULL, O_WAIT },
		{ "pid-file", required_argument, NULL, O_PIDFILE },
		{ "sendto", required_argument, NULL, O_SENDTO },
		{ "send-threads", required_argument, NULL, O_SENDTHR },
		{ "recvfrom", required_argument, NULL, O_RECVFROM },
		{ "eagain", required_argument, NULL, O_EAGAIN },
		{ "block-ms", required_argument, NULL, O_BLOCKMS },
		{ "block-until", required_argument, NULL, O_BLOCKUNTIL },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "poll-until", required_argument, NULL, O_POLLUNTIL },
		{ "unix", no_argument, NULL, O_UNIX },
		{ "int80", required_argument, NULL, O_INT80 },
		{ "thread-exec", required_argument, NULL, O_TEXEC },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (opt) {
		case O_WAIT: o.wait_file = optarg; break;
		case O_PIDFILE: o.pid_file = optarg; break;
		case O_SENDTO: o.sendto_n = num_arg("--sendto", optarg); break;
		case O_SENDTHR: o.send_threads = num_arg("--send-threads", optarg); break;
		case O_RECVFROM: o.recvfrom_n = num_arg("--recvfrom", optarg); break;
		case O_EAGAIN: o.eagain_n = num_arg("--eagain", optarg); break;
		case O_BLOCKMS: o.block_ms = num_arg("--block-ms", optarg); break;
		case O_BLOCKUNTIL: o.block_file = optarg; break;
		case O_THREADS: o.threads = num_arg("--threads", optarg); break;
		case O_POLLUNTIL: o.poll_file = optarg; break;
		case O_UNIX: o.unix_sock = true; break;
		case O_INT80: o.int80_n = num_arg("--int80", optarg); break;
		case O_TEXEC: o.exec_path = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind < argc || o.threads < 1 || o.send_threads < 1 ||
	    (o.block_ms >= 0 && o.block_file)) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (o.pid_file) {
		FILE *f = fopen(o.pid_file, "w");

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
			die(o.pid_file);
	}
	if (o.wait_file)
		wait_file(o.wait_file);
	if (o.sendto_n)
		do_sendto();
	if (o.recvfrom_n)
		do_recvfrom();
	if (o.eagain_n)
		do_eagain();
	if (o.block_ms >= 0 || o.block_file)
		do_block();
	if (o.poll_file)
		do_poll();
	if (o.int80_n)
		do_int80();
	fflush(stdout);
	if (o.exec_path && !atomic_load(&failures))
		do_thread_exec();
	return atomic_load(&failures) ? 1 : 0;
}
