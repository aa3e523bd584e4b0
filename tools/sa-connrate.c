// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sa-connrate: TCP connection setup rate (connect/accept/close per second).
 *   sa-connrate server -l ADDR -p PORT [-r SIZE]
 *   sa-connrate client -c ADDR -p PORT [-t SEC] [-r SIZE] [-j]
 *
 * One connection at a time. The client connects, optionally sends a SIZE-byte
 * request that the server echoes back, then waits for the server's close
 * (EOF) and closes too. The server closes first, so TIME_WAIT sockets stay on
 * the server side and the client does not run out of ephemeral ports. Each
 * connection's whole life (connect() to the client's close()) is timed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "sa-connrate"
#include "tool_util.h"

static const char usage[] =
"Usage: sa-connrate server -l ADDR -p PORT [-r SIZE]\n"
"       sa-connrate client -c ADDR -p PORT [-t SEC] [-r SIZE] [-j]\n"
"\n"
"Connection setup rate: connect/accept/close per second, one at a time.\n"
"  -l ADDR    server listen address\n"
"  -c ADDR    server address to connect to\n"
"  -p PORT    TCP port\n"
"  -t SEC     client: run time in seconds, fractions allowed (default 2)\n"
"  -r SIZE    exchange one SIZE-byte request/response per connection\n"
"             (default 0: connect, accept, close only); give the server the same\n"
"  -j         JSON result\n"
"\n"
"EXAMPLES:\n"
"    sa-connrate server -l 127.0.0.1 -p 7001 &\n"
"    sa-connrate client -c 127.0.0.1 -p 7001 -t 2 -j\n";

struct opts {
	const char *addr;
	int port;
	double seconds;
	size_t size;
	bool json;
};

static int run_server(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, lfd;
	char *buf = malloc(o->size ? o->size : 1);

	if (!buf)
		die("malloc");
	resolve(o->addr, o->port, &ss, &len);
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&ss, len) || listen(lfd, 1024))
		die("bind/listen");
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		if (o->size) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			if (full_io(fd, buf, o->size, false) == 1)
				full_io(fd, buf, o->size, true);
		}
		close(fd);
	}
	return 0;
}

static int run_client(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t cap = 1 << 16, n = 0;
	double *lat = malloc(cap * sizeof(double)), t_start, t_end, t0, sum = 0;
	char *buf = malloc(o->size ? o->size : 1), c;
	long errors = 0;
	int one = 1;

	if (!lat || !buf)
		die("malloc");
	memset(buf, 'x', o->size ? o->size : 1);
	resolve(o->addr, o->port, &ss, &len);
	t_start = now_us();
	t_end = t_start + o->seconds * 1e6;
	for (t0 = t_start; t0 < t_end; t0 = now_us()) {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);
		bool ok;

		if (fd < 0)
			die("socket");
		ok = connect(fd, (void *)&ss, len) == 0;
		if (ok && o->size) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			ok = full_io(fd, buf, o->size, true) == 1 && full_io(fd, buf, o->size, false) == 1;
		}
		if (ok)		/* wait for the server's close */
			ok = read(fd, &c, 1) == 0;
		close(fd);
		if (!ok) {
			if (++errors > 1000) {
				fprintf(stderr, "sa-connrate: too many failed connections\n");
				return 1;
			}
			continue;
		}
		if (n == cap) {
			cap *= 2;
			lat = realloc(lat, cap * sizeof(double));
			if (!lat)
				die("realloc");
		}
		lat[n] = now_us() - t0;
		sum += lat[n++];
	}
	double elapsed = now_us() - t_start;

	if (!n) {
		fprintf(stderr, "sa-connrate: no connection completed\n");
		return 1;
	}
	qsort(lat, n, sizeof(double), cmp_double);
	double rate = n / (elapsed / 1e6), mean = sum / n, p50 = lat[n / 2], p99 = lat[(size_t)(n * 0.99)];

	if (o->json)
		printf("{\"size\":%zu,\"conns\":%zu,\"errors\":%ld,\"seconds\":%.3f,\"conns_per_s\":%.1f,"
		       "\"mean_us\":%.3f,\"p50_us\":%.3f,\"p99_us\":%.3f}\n",
		       o->size, n, errors, elapsed / 1e6, rate, mean, p50, p99);
	else
		printf("%zu connections in %.2f s: %.0f conn/s, per connection mean %.2f us, p50 %.2f us, "
		       "p99 %.2f us, %ld failed\n", n, elapsed / 1e6, rate, mean, p50, p99, errors);
	free(lat);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 2 };
	const char *mode;
	int opt;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "l:c:p:t:r:jh")) >= 0) {
		switch (opt) {
		case 'l': case 'c': o.addr = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 't': o.seconds = atof(optarg); break;
		case 'r': o.size = strtoul(optarg, NULL, 0); break;
		case 'j': o.json = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!o.addr || o.port <= 0 || o.port > 65535 || o.seconds <= 0) {
		fprintf(stderr, "sa-connrate: needs an address, -p PORT and a positive -t\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "server"))
		return run_server(&o);
	if (!strcmp(mode, "client"))
		return run_client(&o);
	fprintf(stderr, "sa-connrate: unknown mode '%s'\n%s", mode, usage);
	return 2;
}
