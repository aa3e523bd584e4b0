// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "metrics.h"
#include "parse.h"
#include "prom.h"

static struct MHD_Daemon *daemon_;
static struct sa_pins metrics_pins;

int sa_metrics_parse(const char *arg, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2] = SA_METRICS_DEFAULT_ADDR;
	const char *port_s = arg, *colon = strrchr(arg, ':');
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	uint64_t port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (colon) {
		hl = colon - arg;
		port_s = colon + 1;
		if (hl >= 2 && arg[0] == '[' && arg[hl - 1] == ']') {	/* [v6]:port */
			arg++;
			hl -= 2;
		} else if (memchr(arg, ':', hl)) {
			snprintf(err, errlen, "invalid --metrics '%s' (an IPv6 address goes in brackets: [::1]:PORT)",
				 arg);
			return -EINVAL;
		}
		if (hl) {
			if (hl >= sizeof(host)) {
				snprintf(err, errlen, "invalid --metrics address '%.*s'", (int)hl, arg);
				return -EINVAL;
			}
			memcpy(host, arg, hl);
			host[hl] = '\0';
		}
	}
	if (sa_parse_u64(port_s, 1, 65535, &port)) {
		snprintf(err, errlen, "invalid --metrics port '%s' (1 to 65535)", port_s);
		return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
	} else {
		snprintf(err, errlen, "invalid --metrics address '%s' (a numeric IPv4 or [IPv6] address)", host);
		return -EINVAL;
	}
	return 0;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size,
			      void **con_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		static const char msg[] = "only GET /metrics\n";

		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		if (resp)
			MHD_add_response_header(resp, "Allow", "GET, HEAD");
	} else if (strcmp(url, "/metrics")) {
		static const char msg[] = "not found: the metrics are at /metrics\n";

		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	} else {
		f = open_memstream(&buf, &len);
		if (!f)
			return MHD_NO;
		/* Each scrape reads the pinned maps afresh: what every loader
		 * and sockaccelctl attached in this pin dir. */
		r = sa_prom_write(&metrics_pins, f);
		if (r) {
			fprintf(f, "sockaccel: nothing loaded at %s (%s)\n", metrics_pins.dir, strerror(-r));
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
		}
		if (fclose(f)) {
			free(buf);
			return MHD_NO;
		}
		resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(buf);
		else if (!r)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SA_PROM_CONTENT_TYPE);
	}
	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

int sa_metrics_start(const char *arg, const struct sa_pins *pins, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	sigset_t all, old;
	socklen_t len;
	int fd, r, one = 1;

	r = sa_metrics_parse(arg, &ss, &len, err, errlen);
	if (r)
		return r;
	/* Our own socket: a port in use is a clear error here, before anything
	 * is attached, rather than a daemon that failed somewhere inside. */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "--metrics %s: socket: %s", arg, strerror(errno));
		return r;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		r = -errno;
		snprintf(err, errlen, "--metrics %s: cannot listen: %s", arg, strerror(errno));
		close(fd);
		return r;
	}
	metrics_pins = *pins;
	metrics_pins.lock_fd = -1;	/* scrapes only read: no lock */
	/* The daemon's thread inherits this mask: every signal stays with the
	 * main thread (sigtimedwait), so a SIGTERM is never taken by the
	 * metrics thread and the graceful drain runs as without --metrics. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, answer, NULL,
				   MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, 16u,
				   MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!daemon_) {
		snprintf(err, errlen, "--metrics %s: cannot start the HTTP server (libmicrohttpd)", arg);
		close(fd);
		return -EIO;
	}
	return 0;
}

void sa_metrics_stop(void)
{
	if (daemon_)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}
