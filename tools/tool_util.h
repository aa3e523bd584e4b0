/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Small helpers shared by the tools (sa-pingpong, sa-connrate, sa-stream,
 * sa-integrity, sa-splice, sa-syscalls).
 * Define TOOL_NAME before including: it prefixes every error message.
 */
#ifndef SA_TOOL_UTIL_H
#define SA_TOOL_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef TOOL_NAME
#error "define TOOL_NAME before including tool_util.h"
#endif

/* "TOOL: what: strerror(errno)" and exit 1. */
static inline void die(const char *what)
{
	fprintf(stderr, TOOL_NAME ": %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Read or write exactly len bytes. 1: done; 0: EOF; -1: error (errno set). */
static inline int full_io(int fd, char *buf, size_t len, bool write_)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write_ ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		done += n;
	}
	return 1;
}

/* A numeric IPv4 or IPv6 address and port into *ss; exits 2 on a bad address. */
static inline void resolve(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return;
	}
	fprintf(stderr, TOOL_NAME ": bad address '%s'\n", addr);
	exit(2);
}

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Seconds on CLOCK_MONOTONIC since *t0. */
static inline double since_s(const struct timespec *t0)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)(ts.tv_sec - t0->tv_sec) + (ts.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Sleep s seconds (nothing when s <= 0), resumed after signals. */
static inline void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * A SIZE argument: a strtoull() number with an optional K, M or G suffix
 * (powers of 1024), optionally followed by "i", "B" or "iB". 0 ok, -1 bad.
 */
static inline int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* A PORT argument (parse_size() syntax, 0..65535), or -1 when bad. */
static inline int parse_port(const char *s)
{
	uint64_t v;

	if (parse_size(s, &v) || v > 65535)
		return -1;
	return (int)v;
}

/* TCP_NODELAY on fd; a failure is reported ("TOOL: TCP_NODELAY: ..."), not fatal. */
static inline void set_nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		fprintf(stderr, TOOL_NAME ": TCP_NODELAY: %s\n", strerror(errno));
}

/*
 * A TCP socket listening on *ss (SOCK_CLOEXEC, SO_REUSEADDR; an IPv6 one also
 * takes IPv4). addr and port (what ss was made from) are for the message
 * "TOOL: bind/listen ADDR port PORT: ..." and -1 when bind() or listen()
 * fails; exits 1 when socket() does.
 */
static inline int listen_tcp(const struct sockaddr_storage *ss, socklen_t len, const char *addr,
			     int port, int backlog)
{
	int fd, one = 1, zero = 0;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, backlog)) {
		fprintf(stderr, TOOL_NAME ": bind/listen %s port %d: %s\n", addr, port,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* qsort() comparator for doubles (percentiles). */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif
