// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * repro-churn: short TCP connections that write right after connect().
 *
 *   repro-churn server -p PORT [-P THREADS] [-b BYTES]
 *   repro-churn client -p PORT -n CONNS [-P THREADS] [-b BYTES]
 *
 * client: each connection connects to 127.0.0.1:PORT, at once writes BYTES
 * in writes of 1, 7, 100, 512, 1500, ... bytes, shuts down its write side,
 * reads BYTES back until EOF and closes. Every byte is a function of its
 * offset, so reordering or loss is caught on both ends.
 * server: THREADS threads accept(), read until EOF, check, write BYTES back.
 * It runs until SIGINT/SIGTERM and then prints its counts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port = 5000, threads = 32, bytes = 2048;
static long conns;
static atomic_long next_k, n_ok, n_reset, n_other, n_bad_data, n_accepted;
static int lfd;

static const int sizes[] = { 1, 7, 100, 512, 1500 };

static unsigned char pat(long i) { return (unsigned char)((i * 131 + 17) % 251); }

static atomic_int n_logged;

static void count_err(int e)
{
	if (atomic_fetch_add(&n_logged, 1) < 5)
		fprintf(stderr, "error: %s\n", strerror(e));
	if (e == ECONNRESET || e == EPIPE)
		atomic_fetch_add(&n_reset, 1);
	else
		atomic_fetch_add(&n_other, 1);
}

/* 0 ok, else errno (-1: bad data) */
static int send_pattern(int fd)
{
	unsigned char buf[1500];
	long off = 0;
	int si = 0;

	while (off < bytes) {
		int n = sizes[si++ % 5], i;
		ssize_t w;

		if (n > bytes - off)
			n = bytes - off;
		for (i = 0; i < n; i++)
			buf[i] = pat(off + i);
		w = write(fd, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		off += w;
	}
	return 0;
}

static int recv_pattern(int fd)
{
	unsigned char buf[4096];
	long off = 0;

	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf)), i;

		if (r < 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (errno == EINTR)
				continue;
			/* a sockmap socket's blocking read can return EAGAIN when
			 * it was woken by data on the TCP queue: wait and retry */
			if (errno == EAGAIN) {
				if (poll(&p, 1, 30000) == 1)
					continue;
				return ETIMEDOUT;
			}
			return errno;
		}
		if (r == 0)
			break;
		for (i = 0; i < r; i++)
			if (buf[i] != pat(off + i))
				return -1;
		off += r;
	}
	return off == bytes ? 0 : -1;
}

static void finish(int e)
{
	if (!e)
		atomic_fetch_add(&n_ok, 1);
	else if (e == -1) {
		if (atomic_fetch_add(&n_logged, 1) < 5)
			fprintf(stderr, "error: bad data or short stream\n");
		atomic_fetch_add(&n_bad_data, 1);
	}
	else
		count_err(e);
}

static void *client_thread(void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	while (atomic_fetch_add(&next_k, 1) < conns) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), e;

		if (fd < 0) {
			count_err(errno);
			continue;
		}
		if (connect(fd, (void *)&a, sizeof(a))) {
			count_err(errno);
			close(fd);
			continue;
		}
		e = send_pattern(fd);
		if (!e)
			shutdown(fd, SHUT_WR);
		if (!e)
			e = recv_pattern(fd);
		finish(e);
		close(fd);
	}
	return NULL;
}

static void *server_thread(void *arg)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL), e;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		atomic_fetch_add(&n_accepted, 1);
		e = recv_pattern(fd);
		if (!e)
			e = send_pattern(fd);
		finish(e);
		close(fd);
	}
}

static void print_counts(const char *role, double secs)
{
	printf("%s accepted=%ld ok=%ld reset=%ld bad_data=%ld other=%ld secs=%.1f\n", role,
	       atomic_load(&n_accepted), atomic_load(&n_ok), atomic_load(&n_reset),
	       atomic_load(&n_bad_data), atomic_load(&n_other), secs);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t *tids;
	int i, o, server;

	if (argc < 2)
		goto usage;
	server = !strcmp(argv[1], "server");
	if (!server && strcmp(argv[1], "client"))
		goto usage;
	optind = 2;
	while ((o = getopt(argc, argv, "p:n:P:b:")) != -1) {
		switch (o) {
		case 'p': port = atoi(optarg); break;
		case 'n': conns = atol(optarg); break;
		case 'P': threads = atoi(optarg); break;
		case 'b': bytes = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (threads < 1 || bytes < 1 || (!server && conns < 1))
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	tids = calloc(threads, sizeof(*tids));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (server) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		sigset_t ss;
		int one = 1, sig;

		sigemptyset(&ss);
		sigaddset(&ss, SIGINT);
		sigaddset(&ss, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &ss, NULL);
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (lfd < 0 || bind(lfd, (void *)&a, sizeof(a)) || listen(lfd, 4096)) {
			perror("repro-churn: listen");
			return 1;
		}
		printf("listening\n");
		fflush(stdout);
		for (i = 0; i < threads; i++)
			pthread_create(&tids[i], NULL, server_thread, NULL);
		sigwait(&ss, &sig);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		print_counts("server", t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		_exit(0);
	}
	for (i = 0; i < threads; i++)
		pthread_create(&tids[i], NULL, client_thread, NULL);
	for (i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	atomic_store(&n_accepted, conns);
	print_counts("client", t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return atomic_load(&n_ok) == conns ? 0 : 1;
usage:
	fprintf(stderr, "usage: repro-churn server -p PORT [-P THREADS] [-b BYTES]\n"
		"       repro-churn client -p PORT -n CONNS [-P THREADS] [-b BYTES]\n");
	return 2;
}
