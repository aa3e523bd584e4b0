// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sa-splice: a receiver that reads its TCP connection with splice(), like
 * HAProxy or Go's io.Copy between sockets, and verifies the bytes.
 *
 *   sa-splice -l ADDR -p PORT --bytes N [--seed S] [--stuck-after SECONDS] [--nonblock]
 *
 * Accepts one connection and splices socket -> pipe (SPLICE_F_NONBLOCK after
 * poll() says POLLIN), reads the pipe and checks the sa-stream pattern of
 * SEED. Prints one line: "received N bytes, M splice EAGAIN after POLLIN".
 * Exit 0: N bytes, pattern intact, EOF. 1: error or corrupt byte. 3: stuck
 * (poll says readable but splice keeps returning EAGAIN for SECONDS: what
 * the kernel does on a socket whose data was redirected by sockmap). 4: false
 * EOF (splice returned 0 while recv() still finds bytes to read: what it does
 * once the sender has closed).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#define TOOL_NAME "sa-splice"
#include "tool_util.h"
#include "pattern.h"

static void usage(void)
{
	fprintf(stderr, "usage: sa-splice -l ADDR -p PORT --bytes N [--seed S] [--stuck-after SECONDS] [--nonblock]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "stuck-after", required_argument, NULL, 'S' },
		{ "nonblock", no_argument, NULL, 'n' },
		{},
	};
	const char *addr = NULL;
	uint64_t bytes = 0, seed = 1, got = 0, eagain = 0;
	double stuck_after = 2, stuck_since = 0;
	struct sockaddr_storage ss;
	socklen_t sl;
	int port = 0, opt, lfd, fd, pfd[2], one = 1, nonblock = 0;
	unsigned char buf[65536];

	while ((opt = getopt_long(argc, argv, "l:p:", opts, NULL)) >= 0) {
		switch (opt) {
		case 'l': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'b': bytes = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'S': stuck_after = atof(optarg); break;
		case 'n': nonblock = 1; break;
		default: usage();
		}
	}
	if (!addr || port <= 0 || !bytes)
		usage();
	resolve(addr, port, &ss, &sl);
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, sl) || listen(lfd, 1))
		die("bind/listen");
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	if (pipe(pfd))
		die("pipe");
	/* HAProxy-style: an O_NONBLOCK socket, poll() then splice(). */
	if (nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		die("fcntl O_NONBLOCK");

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0) {
			fprintf(stderr, "sa-splice: no POLLIN for 5 s after %" PRIu64 " bytes\n", got);
			return 1;
		}
		n = splice(fd, NULL, pfd[1], NULL, sizeof(buf), SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n < 0 && errno == EAGAIN) {
			/* Readable by poll(), yet nothing to splice. */
			eagain++;
			if (!stuck_since)
				stuck_since = now_us();
			if (now_us() - stuck_since > stuck_after * 1e6) {
				printf("received %" PRIu64 " bytes, %" PRIu64 " splice EAGAIN after POLLIN: stuck\n",
				       got, eagain);
				return 3;
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
				return 4;
			}
			break;
		}
		stuck_since = 0;
		if (full_io(pfd[0], (char *)buf, n, false) != 1)
			die("read pipe");
		size_t bad = pattern_check(seed, got, buf, n);

		if (bad < (size_t)n) {
			fprintf(stderr, "sa-splice: corrupt byte at offset %" PRIu64 "\n", got + bad);
			return 1;
		}
		got += n;
	}
	printf("received %" PRIu64 " bytes, %" PRIu64 " splice EAGAIN after POLLIN\n", got, eagain);
	if (got != bytes) {
		fprintf(stderr, "sa-splice: expected %" PRIu64 " bytes\n", bytes);
		return 1;
	}
	return 0;
}
