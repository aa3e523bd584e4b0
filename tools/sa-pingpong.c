// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sa-pingpong: request/response latency, full round trips.
 *   sa-pingpong server -l ADDR -p PORT [-s SIZE] [-n CONNS]
 *   sa-pingpong client -c ADDR -p PORT [-s SIZE] [-n ROUNDS] [-w WARMUP] [-t SEC] [-j]
 *   sa-pingpong unix [-s SIZE] [-n ROUNDS] [-w WARMUP] [-t SEC] [-a CPU,CPU] [-j]
 *                                                  (AF_UNIX socketpair)
 *   sa-pingpong ustream [-s SIZE] [-t SEC] [-a CPU,CPU] [-j]
 *                                                  (AF_UNIX socketpair, one-way stream)
 * The server echoes every SIZE-byte request back (without -s: echoes whatever
 * each read returns, so it serves clients of any size). The client sends SIZE
 * bytes, reads SIZE bytes back, and times each round trip. TCP_NODELAY on both
 * sides.
 * ustream is the AF_UNIX reference for iperf3: one process writes SIZE-byte
 * writes for SEC seconds, another reads with SIZE-byte reads (as iperf3 does).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "sa-pingpong"
#include "tool_util.h"

static const char usage[] =
"Usage: sa-pingpong server -l ADDR -p PORT [-s SIZE] [-n CONNS]\n"
"       sa-pingpong client -c ADDR -p PORT [-s SIZE] [-n ROUNDS] [-w WARMUP] [-t SEC] [-j]\n"
"       sa-pingpong unix [-s SIZE] [-n ROUNDS] [-w WARMUP] [-t SEC] [-a CPU,CPU] [-j]\n"
"       sa-pingpong ustream [-s SIZE] [-t SEC] [-a CPU,CPU] [-j]\n"
"\n"
"Request/response round-trip latency (full round trips, not half).\n"
"ustream: one-way AF_UNIX stream throughput (SIZE-byte writes and reads) and\n"
"the CPU use of the writer and the reader, in percent of one CPU.\n"
"  -l ADDR    server listen address (:: listens dual-stack)\n"
"  -c ADDR    server address to connect to\n"
"  -p PORT    TCP port\n"
"  -n N       server: connections to serve then exit (default 1);\n"
"             client/unix: timed round trips (default 100000)\n"
"  -s SIZE    request and response size in bytes (default 64); server: echo\n"
"             whole SIZE-byte messages (default: echo what each read returns)\n"
"  -w N       untimed warm-up round trips (default 1000)\n"
"  -t SEC     ustream: run time in seconds, fractions allowed (default 2);\n"
"             client/unix: stop after SEC seconds even if fewer than -n rounds\n"
"  -a C1,C2   unix/ustream: pin the measuring (writing) process to CPU C1 and\n"
"             the echoing (reading) process to CPU C2\n"
"  -j         JSON result\n"
"\n"
"EXAMPLES:\n"
"    sa-pingpong server -l 127.0.0.1 -p 7000 &\n"
"    sa-pingpong client -c 127.0.0.1 -p 7000 -s 64 -n 50000\n"
"    sa-pingpong unix -s 1024 -n 50000 -j\n"
"    sa-pingpong ustream -s 65536 -t 2 -j\n";

struct opts {
	const char *addr;
	int port, conns;
	long rounds, warmup;
	size_t size;
	double seconds;
	bool json, size_set;
	int cpu_main, cpu_peer;	/* -1: not pinned */
};

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* size 0: echo whatever each read returns */
static void echo_loop(int fd, size_t size)
{
	size_t cap = size ? size : 65536;
	char *buf = malloc(cap);

	if (!buf)
		die("malloc");
	if (!size) {
		for (;;) {
			ssize_t n = read(fd, buf, cap);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || full_io(fd, buf, n, true) != 1)
				break;
		}
	} else {
		while (full_io(fd, buf, size, false) == 1)
			if (full_io(fd, buf, size, true) != 1)
				break;
	}
	free(buf);
}

static int run_server(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, lfd;

	resolve(o->addr, o->port, &ss, &len);
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&ss, len) || listen(lfd, 128))
		die("bind/listen");
	signal(SIGCHLD, SIG_IGN);
	for (int i = 0; i < o->conns; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		nodelay(fd);
		if (i == o->conns - 1) {	/* last one: serve inline, then exit */
			close(lfd);
			echo_loop(fd, o->size_set ? o->size : 0);
			return 0;
		}
		if (fork() == 0) {
			close(lfd);
			echo_loop(fd, o->size_set ? o->size : 0);
			_exit(0);
		}
		close(fd);
	}
	return 0;
}

/* Time o->rounds round trips on fd; print the result. */
static int measure(int fd, const struct opts *o, const char *transport)
{
	double *rtt = calloc(o->rounds, sizeof(double)), sum = 0, t0, t_start, t_limit;
	long rounds = o->rounds;
	char *buf = malloc(o->size);

	if (!rtt || !buf)
		die("malloc");
	memset(buf, 'x', o->size);
	for (long i = 0; i < o->warmup; i++)
		if (full_io(fd, buf, o->size, true) != 1 || full_io(fd, buf, o->size, false) != 1)
			die("warm-up round trip");
	t_start = now_us();
	t_limit = o->seconds > 0 ? t_start + o->seconds * 1e6 : 0;
	for (long i = 0; i < o->rounds; i++) {
		t0 = now_us();
		if (t_limit && t0 >= t_limit && i > 0) {
			rounds = i;
			break;
		}
		if (full_io(fd, buf, o->size, true) != 1 || full_io(fd, buf, o->size, false) != 1)
			die("round trip");
		rtt[i] = now_us() - t0;
		sum += rtt[i];
	}
	double elapsed = now_us() - t_start;

	qsort(rtt, rounds, sizeof(double), cmp_double);
	double mean = sum / rounds, p50 = rtt[rounds / 2], p99 = rtt[(long)(rounds * 0.99)];
	double tps = rounds / (elapsed / 1e6);

	if (o->json)
		printf("{\"transport\":\"%s\",\"size\":%zu,\"rounds\":%ld,\"mean_us\":%.3f,\"p50_us\":%.3f,"
		       "\"p99_us\":%.3f,\"tps\":%.1f}\n", transport, o->size, rounds, mean, p50, p99, tps);
	else
		printf("%s %zu B: round trip mean %.2f us, p50 %.2f us, p99 %.2f us, %.0f trans/s (%ld rounds)\n",
		       transport, o->size, mean, p50, p99, tps, rounds);
	free(rtt);
	free(buf);
	return 0;
}

static int run_client(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, r;

	resolve(o->addr, o->port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (void *)&ss, len))
		die("connect");
	nodelay(fd);
	r = measure(fd, o, "tcp");
	close(fd);
	return r;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* An AF_UNIX socketpair and a forked peer: returns 0 in the peer (pinned to
 * cpu_peer, holding sv[1]) and the peer's pid in the parent. */
static pid_t unix_peer(const struct opts *o, int sv[2])
{
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin(o->cpu_peer);
		close(sv[0]);
	}
	return pid;
}

static int run_unix(const struct opts *o)
{
	int sv[2], r, st;
	pid_t pid;

	pid = unix_peer(o, sv);
	if (pid == 0) {
		echo_loop(sv[1], o->size);
		_exit(0);
	}
	pin(o->cpu_main);
	close(sv[1]);
	r = measure(sv[0], o, "unix");
	close(sv[0]);
	waitpid(pid, &st, 0);
	return r;
}

static double cpu_s(const struct rusage *ru)
{
	return ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
	       ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

/* One-way AF_UNIX stream: the parent writes, a child reads until EOF. */
static int run_ustream(const struct opts *o)
{
	char *buf = malloc(o->size);
	long long bytes = 0;
	struct rusage self, child;
	double t_start, t_end, elapsed;
	int sv[2], st;
	pid_t pid;

	if (!buf)
		die("malloc");
	memset(buf, 'x', o->size);
	pid = unix_peer(o, sv);
	if (pid == 0) {
		for (;;) {
			ssize_t n = read(sv[1], buf, o->size);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				_exit(n < 0);
		}
	}
	pin(o->cpu_main);
	close(sv[1]);
	t_start = now_us();
	t_end = t_start + o->seconds * 1e6;
	while (now_us() < t_end) {
		/* check the clock every 64 writes at most */
		for (int i = 0; i < 64; i++) {
			if (full_io(sv[0], buf, o->size, true) != 1)
				die("write");
			bytes += o->size;
		}
	}
	close(sv[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("reader");
	elapsed = (now_us() - t_start) / 1e6;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &child);
	double gbps = bytes * 8 / elapsed / 1e9;
	double cpu_w = 100 * cpu_s(&self) / elapsed, cpu_r = 100 * cpu_s(&child) / elapsed;

	if (o->json)
		printf("{\"transport\":\"unix\",\"mode\":\"stream\",\"size\":%zu,\"seconds\":%.3f,"
		       "\"bytes\":%lld,\"gbps\":%.4f,\"cpu_sender_pct\":%.1f,\"cpu_receiver_pct\":%.1f}\n",
		       o->size, elapsed, bytes, gbps, cpu_w, cpu_r);
	else
		printf("unix stream %zu B writes: %.3f Gbit/s (%lld bytes in %.2f s), CPU writer %.0f%%, "
		       "reader %.0f%%\n", o->size, gbps, bytes, elapsed, cpu_w, cpu_r);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .conns = 1, .rounds = 100000, .warmup = 1000, .size = 64,
			  .cpu_main = -1, .cpu_peer = -1 };
	const char *mode;
	int opt;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "l:c:p:n:s:w:t:a:jh")) >= 0) {
		switch (opt) {
		case 'l': case 'c': o.addr = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'n': o.rounds = atol(optarg); o.conns = atoi(optarg); break;
		case 's': o.size = strtoul(optarg, NULL, 0); o.size_set = true; break;
		case 'w': o.warmup = atol(optarg); break;
		case 't': o.seconds = atof(optarg); break;
		case 'a':
			if (sscanf(optarg, "%d,%d", &o.cpu_main, &o.cpu_peer) != 2 || o.cpu_main < 0 || o.cpu_peer < 0) {
				fprintf(stderr, "sa-pingpong: -a needs CPU,CPU\n");
				return 2;
			}
			break;
		case 'j': o.json = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (o.size == 0 || o.rounds <= 0 || o.conns <= 0 || o.warmup < 0 || o.seconds < 0) {
		fprintf(stderr, "sa-pingpong: -s, -n and -t must be positive\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "unix"))
		return run_unix(&o);
	if (!strcmp(mode, "ustream")) {
		if (o.seconds == 0)
			o.seconds = 2;
		return run_ustream(&o);
	}
	if (!o.addr || o.port <= 0 || o.port > 65535) {
		fprintf(stderr, "sa-pingpong: %s needs an address and -p PORT\n", mode);
		return 2;
	}
	if (!strcmp(mode, "server"))
		return run_server(&o);
	if (!strcmp(mode, "client"))
		return run_client(&o);
	fprintf(stderr, "sa-pingpong: unknown mode '%s'\n%s", mode, usage);
	return 2;
}
