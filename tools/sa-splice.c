// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sa-splice: a receiver that reads its TCP connections with splice(), like
 * HAProxy or Go's io.Copy between sockets, and verifies the bytes.
 *
 *   sa-splice -l ADDR -p PORT --bytes N [--seed S] [--conns N] [--seed-by-port]
 *             [--recv-first BYTES [--splice-after SECONDS]] [--stuck-after SECONDS]
 *             [--nonblock]
 *
 * Accepts --conns connections (each in a thread of its own) and splices
 * socket -> pipe (SPLICE_F_NONBLOCK after poll() says POLLIN), reads the pipe
 * and checks the sa-stream pattern of SEED (with --seed-by-port, SEED xor the
 * client port << 32, as sa-stream --seed-by-port sends). --recv-first reads
 * that many bytes with recv() before the first splice(): HAProxy's pattern
 * (headers with recv, body with splice); --splice-after waits that long
 * between the two, so that what the sender sends meanwhile is waiting when
 * the first splice() comes. Prints one line per connection:
 * "received N bytes, M splice EAGAIN after POLLIN".
 * Exit 0: every connection got N bytes, pattern intact, EOF. 1: error or
 * corrupt byte. 3: stuck (poll says readable but splice keeps returning
 * EAGAIN for SECONDS: what the kernel does on a socket whose data was
 * redirected by sockmap). 4: false EOF (splice returned 0 while recv() still
 * finds bytes to read: what it does once the sender has closed). With several
 * connections, the highest of these.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#define TOOL_NAME "sa-splice"
#include "tool_util.h"
#include "pattern.h"

#define MAX_CONNS 1024

static struct {
	uint64_t bytes, seed, recv_first;
	double stuck_after, splice_after;
	int nonblock, seed_by_port;
} cfg = { .seed = 1, .stuck_after = 2 };

struct conn {
	pthread_t th;
	int fd, idx, rc;
	uint64_t seed;
};

static void usage(void)
{
	fprintf(stderr, "usage: sa-splice -l ADDR -p PORT --bytes N [--seed S] [--conns N] [--seed-by-port]\n"
			"                 [--recv-first BYTES [--splice-after SECONDS]] [--stuck-after SECONDS]\n"
			"                 [--nonblock]\n");
	exit(2);
}

/* Verify n bytes at stream offset *got; 0 or -1 (reported). */
static int check(struct conn *c, const unsigned char *buf, size_t n, uint64_t *got)
{
	size_t bad = pattern_check(c->seed, *got, buf, n);

	if (bad < n) {
		fprintf(stderr, "sa-splice: conn %d: corrupt byte at offset %" PRIu64 "\n", c->idx, *got + bad);
		return -1;
	}
	*got += n;
	return 0;
}

static void *serve(void *arg)
{
	static __thread unsigned char buf[65536];
	struct conn *c = arg;
	uint64_t got = 0, eagain = 0;
	double stuck_since = 0;
	int pfd[2], fd = c->fd;

	c->rc = 1;
	if (pipe(pfd))
		die("pipe");
	/* HAProxy-style: an O_NONBLOCK socket, poll() then splice(). */
	if (cfg.nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		die("fcntl O_NONBLOCK");
	/* --recv-first: the start with recv(), as a proxy reads headers. */
	while (got < cfg.recv_first) {
		size_t want = cfg.recv_first - got < sizeof(buf) ? cfg.recv_first - got : sizeof(buf);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0) {
			fprintf(stderr, "sa-splice: conn %d: no POLLIN for 5 s after %" PRIu64 " bytes\n", c->idx, got);
			goto out;
		}
		n = recv(fd, buf, want, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0) {
			fprintf(stderr, "sa-splice: conn %d: recv: %s\n", c->idx, n ? strerror(errno) : "EOF");
			goto out;
		}
		if (check(c, buf, n, &got))
			goto out;
	}
	if (cfg.recv_first)
		sleep_s(cfg.splice_after);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0) {
			fprintf(stderr, "sa-splice: conn %d: no POLLIN for 5 s after %" PRIu64 " bytes\n", c->idx, got);
			goto out;
		}
		n = splice(fd, NULL, pfd[1], NULL, sizeof(buf), SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n < 0 && errno == EAGAIN) {
			/* Readable by poll(), yet nothing to splice. */
			eagain++;
			if (!stuck_since)
				stuck_since = now_us();
			if (now_us() - stuck_since > cfg.stuck_after * 1e6) {
				printf("received %" PRIu64 " bytes, %" PRIu64 " splice EAGAIN after POLLIN: stuck\n",
				       got, eagain);
				c->rc = 3;
				goto out;
			}
			usleep(1000);
			continue;
		}
		if (n < 0)
			die("splice");
		if (n == 0) {
			ssize_t left = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

			if (left > 0) {
				printf("received %" PRIu64 " bytes, splice EOF while recv() still reads %zd: false EOF\n",
				       got, left);
				c->rc = 4;
				goto out;
			}
			break;
		}
		stuck_since = 0;
		if (full_io(pfd[0], (char *)buf, n, false) != 1)
			die("read pipe");
		if (check(c, buf, n, &got))
			goto out;
	}
	printf("received %" PRIu64 " bytes, %" PRIu64 " splice EAGAIN after POLLIN\n", got, eagain);
	if (got != cfg.bytes)
		fprintf(stderr, "sa-splice: conn %d: expected %" PRIu64 " bytes\n", c->idx, cfg.bytes);
	else
		c->rc = 0;
out:
	fflush(stdout);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "conns", required_argument, NULL, 'c' },
		{ "seed-by-port", no_argument, NULL, 'P' },
		{ "recv-first", required_argument, NULL, 'r' },
		{ "stuck-after", required_argument, NULL, 'S' },
		{ "splice-after", required_argument, NULL, 'A' },
		{ "nonblock", no_argument, NULL, 'n' },
		{},
	};
	static struct conn conns[MAX_CONNS];
	const char *addr = NULL;
	struct sockaddr_storage ss;
	socklen_t sl;
	int port = 0, opt, lfd, one = 1, nconns = 1, rc = 0;

	while ((opt = getopt_long(argc, argv, "l:p:", opts, NULL)) >= 0) {
		switch (opt) {
		case 'l': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'b': cfg.bytes = strtoull(optarg, NULL, 0); break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); break;
		case 'c': nconns = atoi(optarg); break;
		case 'P': cfg.seed_by_port = 1; break;
		case 'r': cfg.recv_first = strtoull(optarg, NULL, 0); break;
		case 'S': cfg.stuck_after = atof(optarg); break;
		case 'A': cfg.splice_after = atof(optarg); break;
		case 'n': cfg.nonblock = 1; break;
		default: usage();
		}
	}
	if (!addr || port <= 0 || !cfg.bytes || nconns < 1 || nconns > MAX_CONNS ||
	    cfg.recv_first > cfg.bytes)
		usage();
	resolve(addr, port, &ss, &sl);
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, sl) || listen(lfd, 128))
		die("bind/listen");
	for (int i = 0; i < nconns; i++) {
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		int port_of_peer;

		conns[i].fd = accept(lfd, (struct sockaddr *)&peer, &pl);
		if (conns[i].fd < 0)
			die("accept");
		port_of_peer = ntohs(peer.ss_family == AF_INET ? ((struct sockaddr_in *)&peer)->sin_port :
				     ((struct sockaddr_in6 *)&peer)->sin6_port);
		conns[i].idx = i;
		conns[i].seed = cfg.seed_by_port ? cfg.seed ^ ((uint64_t)port_of_peer << 32) : cfg.seed;
		if (pthread_create(&conns[i].th, NULL, serve, &conns[i]))
			die("pthread_create");
	}
	for (int i = 0; i < nconns; i++) {
		pthread_join(conns[i].th, NULL);
		if (conns[i].rc > rc)
			rc = conns[i].rc;
	}
	return rc;
}
