/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Small helpers shared by the measurement tools (sa-pingpong, sa-connrate).
 * Define TOOL_NAME before including: it prefixes every error message.
 */
#ifndef SA_TOOL_UTIL_H
#define SA_TOOL_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
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

/* qsort() comparator for doubles (percentiles). */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif
