// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sa-stream: byte-exact TCP integrity stream tool for the sockaccel tests.
 *
 * Every byte carries its own position: the byte at stream offset i is byte
 * (i % 8) of mix64(mix64(seed) + i / 8).  A receiver that knows the seed can
 * therefore tell loss, duplication, reordering and data meant for another
 * socket (other seed) apart from correct delivery, and reports the first bad
 * offset.
 *
 * The client writes --bytes of pattern SEED and, at the same time, reads and
 * verifies --reply-bytes (default: --bytes) of pattern SEED+1.  The server
 * verifies --bytes of pattern SEED followed by EOF and, with --echo, sends
 * --bytes of pattern SEED+1 back.  Each connection uses two threads (reader and
 * writer) on blocking sockets.  A watchdog ends the process after --timeout.
 *
 * Exit status: 0 every byte matched, 1 data or I/O error or timeout, 2 usage.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "sa-stream"
#include "tool_util.h"
#include "pattern.h"

#define EXIT_DATA	1
#define EXIT_USAGE	2

/* ---------------------------------------------------------------- options */

enum mode { MODE_NONE, MODE_SERVER, MODE_CLIENT };

static struct config {
	enum mode mode;
	const char *addr;
	int port;
	int conns;
	uint64_t seed;
	uint64_t bytes;
	uint64_t reply_bytes;
	bool reply_bytes_set;
	bool echo;
	size_t write_size;
	size_t read_size;
	double timeout;
	bool nodelay;
	bool json;
	bool quiet;
	bool seed_by_port;
	bool sync;		/* one byte each way before the streams */
	bool strict;
	const char *bind_addr;
	int bind_port;
	double rate;		/* bytes per second per connection, 0 = unlimited */
	double hold;		/* seconds to keep a client conn open after the transfer */
} cfg = {
	.port = -1,
	.conns = 1,
	.seed = 1,
	.bytes = 1 << 20,
	.write_size = 16384,
	.read_size = 65536,
	.timeout = 30,
	.bind_port = 0,
};

enum {
	OPT_SEED = 0x100,
	OPT_BYTES,
	OPT_ECHO,
	OPT_JSON,
	OPT_REPLY_BYTES,
	OPT_NO_REPLY,
	OPT_BIND_PORT,
	OPT_SEED_BY_PORT,
	OPT_SYNC,
	OPT_HOLD,
	OPT_READ_SIZE,
	OPT_STRICT,
};

static const char doc[] =
"Byte-exact TCP integrity stream for the sockaccel tests.\n"
"\n"
"MODE is `server' or `client'. The byte at stream offset i is derived from\n"
"(seed, i), so the first lost, duplicated, reordered or misdelivered byte is\n"
"reported as `MISMATCH conn K at offset X: expected 0x.. got 0x..'.\n"
"The client sends --bytes of pattern SEED and verifies --reply-bytes (default\n"
"--bytes) of pattern SEED+1 coming back; the server verifies --bytes of\n"
"pattern SEED then EOF, and with --echo sends --bytes of pattern SEED+1.\n"
"SIZE arguments accept K, M, G suffixes (powers of 1024).\n"
"Exit status: 0 all bytes matched, 1 mismatch/I-O error/timeout, 2 usage."
"\v"
"EXAMPLES:\n"
"  sa-stream server -l :: -p 5000 --echo --bytes 4M &\n"
"  sa-stream client -c 127.0.0.1 -p 5000 --bytes 4M\n"
"      4 MiB each way over an IPv4 client to a dual-stack server.\n"
"\n"
"  sa-stream server -l ::1 -p 5001 -n 8 --seed 7 --bytes 1M --seed-by-port &\n"
"  sa-stream client -c ::1 -p 5001 -n 8 --seed 7 --bytes 1M --no-reply \\\n"
"      --seed-by-port -w 100 -N\n"
"      8 parallel one-way connections, each with its own pattern, in\n"
"      100-byte writes with TCP_NODELAY.\n"
"\n"
"  sa-stream client -c 127.0.0.1 -p 5000 --bind-port 40000 --seed 9\n"
"      fixed source port (identical 4-tuples in several namespaces).\n"
"\n"
"  sa-stream client -c 127.0.0.1 -p 5000 --bytes 64K --rate 16K --hold 2\n"
"      a slow long-lived connection (~4 s plus 2 s open after the transfer).\n";

static const char args_doc[] = "server|client";

static struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Common:", 1 },
	{ "port", 'p', "PORT", 0, "TCP port (server: 0 = any, printed)", 1 },
	{ "seed", OPT_SEED, "S", 0, "pattern seed of the client->server direction (default 1)", 1 },
	{ "bytes", OPT_BYTES, "SIZE", 0, "bytes per connection and direction (default 1M)", 1 },
	{ "conns", 'n', "N", 0, "number of connections (default 1)", 1 },
	{ "write-size", 'w', "SIZE", 0, "bytes per write() (default 16K)", 1 },
	{ "read-size", OPT_READ_SIZE, "SIZE", 0, "bytes per read() (default 64K)", 1 },
	{ "timeout", 't', "SECONDS", 0, "give up after this long (default 30, 0 = never)", 1 },
	{ "nodelay", 'N', NULL, 0, "set TCP_NODELAY", 1 },
	{ "seed-by-port", OPT_SEED_BY_PORT, NULL, 0,
	  "mix the client's source port into the seed (both sides must agree)", 1 },
	{ "json", OPT_JSON, NULL, 0, "print a JSON summary as the last line", 1 },
	{ "sync", OPT_SYNC, NULL, 0,
	  "exchange one byte each way before the streams, like a request and its reply "
	  "(both sides must agree)", 1 },
	{ "strict", OPT_STRICT, NULL, 0,
	  "fail on EAGAIN from a blocking recv() (default: count it and retry)", 1 },
	{ "quiet", 'q', NULL, 0, "no per-connection lines", 1 },
	{ NULL, 0, NULL, 0, "Server:", 2 },
	{ "listen", 'l', "ADDR", 0, "address to listen on (:: is dual-stack)", 2 },
	{ "echo", OPT_ECHO, NULL, 0, "send --bytes of pattern SEED+1 back on each connection", 2 },
	{ NULL, 0, NULL, 0, "Client:", 3 },
	{ "connect", 'c', "ADDR", 0, "server address", 3 },
	{ "reply-bytes", OPT_REPLY_BYTES, "SIZE", 0, "bytes expected back (default --bytes)", 3 },
	{ "no-reply", OPT_NO_REPLY, NULL, 0, "expect no data back (--reply-bytes 0)", 3 },
	{ "bind", 'b', "ADDR", 0, "local address to bind", 3 },
	{ "bind-port", OPT_BIND_PORT, "PORT", 0, "local port to bind (connection k uses PORT+k)", 3 },
	{ "rate", 'r', "SIZE", 0, "limit each connection to SIZE bytes per second", 3 },
	{ "hold", OPT_HOLD, "SECONDS", 0, "keep the connection open this long after the transfer", 3 },
	{ 0 }
};

static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (errno || end == s || *end || *out < 0) ? -1 : 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	uint64_t v = 0;	/* argp_error() exits, the compiler does not know */

	switch (key) {
	case 'p':
		if ((cfg.port = parse_port(arg)) < 0)
			argp_error(st, "bad port: %s", arg);
		break;
	case OPT_SEED:
		if (parse_size(arg, &cfg.seed))
			argp_error(st, "bad seed: %s", arg);
		break;
	case OPT_BYTES:
		if (parse_size(arg, &cfg.bytes))
			argp_error(st, "bad size: %s", arg);
		break;
	case 'n':
		if (parse_size(arg, &v) || v < 1 || v > 10000)
			argp_error(st, "bad connection count: %s", arg);
		cfg.conns = (int)v;
		break;
	case 'w':
		if (parse_size(arg, &v) || v < 1 || v > (64 << 20))
			argp_error(st, "bad write size: %s", arg);
		cfg.write_size = v;
		break;
	case OPT_READ_SIZE:
		if (parse_size(arg, &v) || v < 1 || v > (64 << 20))
			argp_error(st, "bad read size: %s", arg);
		cfg.read_size = v;
		break;
	case 't':
		if (parse_double(arg, &cfg.timeout))
			argp_error(st, "bad timeout: %s", arg);
		break;
	case 'N': cfg.nodelay = true; break;
	case OPT_SEED_BY_PORT: cfg.seed_by_port = true; break;
	case OPT_SYNC: cfg.sync = true; break;
	case OPT_JSON: cfg.json = true; break;
	case OPT_STRICT: cfg.strict = true; break;
	case 'q': cfg.quiet = true; break;
	case 'l': cfg.addr = arg; break;
	case 'c': cfg.addr = arg; break;
	case OPT_ECHO: cfg.echo = true; break;
	case OPT_REPLY_BYTES:
		if (parse_size(arg, &cfg.reply_bytes))
			argp_error(st, "bad size: %s", arg);
		cfg.reply_bytes_set = true;
		break;
	case OPT_NO_REPLY:
		cfg.reply_bytes = 0;
		cfg.reply_bytes_set = true;
		break;
	case 'b': cfg.bind_addr = arg; break;
	case OPT_BIND_PORT:
		if ((cfg.bind_port = parse_port(arg)) < 0)
			argp_error(st, "bad port: %s", arg);
		break;
	case 'r':
		if (parse_size(arg, &v))
			argp_error(st, "bad rate: %s", arg);
		cfg.rate = (double)v;
		break;
	case OPT_HOLD:
		if (parse_double(arg, &cfg.hold))
			argp_error(st, "bad hold time: %s", arg);
		break;
	case ARGP_KEY_ARG:
		if (cfg.mode != MODE_NONE)
			argp_error(st, "unexpected argument: %s", arg);
		if (!strcmp(arg, "server"))
			cfg.mode = MODE_SERVER;
		else if (!strcmp(arg, "client"))
			cfg.mode = MODE_CLIENT;
		else
			argp_error(st, "unknown mode: %s (expected server or client)", arg);
		break;
	case ARGP_KEY_END:
		if (cfg.mode == MODE_NONE)
			argp_error(st, "missing mode (server or client)");
		if (!cfg.addr)
			argp_error(st, cfg.mode == MODE_SERVER ? "server needs -l ADDR"
							       : "client needs -c ADDR");
		if (cfg.port < 0 || (cfg.mode == MODE_CLIENT && cfg.port == 0))
			argp_error(st, "missing or bad -p PORT");
		if (cfg.mode == MODE_CLIENT && cfg.bind_port &&
		    cfg.bind_port + cfg.conns - 1 > 65535)
			argp_error(st, "--bind-port + conns exceeds 65535");
		if (!cfg.reply_bytes_set)
			cfg.reply_bytes = cfg.bytes;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = { options, parse_opt, args_doc, doc, NULL, NULL, NULL };
const char *argp_program_bug_address = NULL;

/* ---------------------------------------------------------------- state */

struct conn {
	int idx;
	int fd;
	uint64_t seed_in;	/* pattern we verify */
	uint64_t seed_out;	/* pattern we send */
	uint64_t want_in;	/* bytes to verify, then EOF */
	uint64_t want_out;	/* bytes to send */
	_Atomic uint64_t got_in;
	_Atomic uint64_t sent_out;
	_Atomic uint64_t eagain;	/* spurious EAGAIN from blocking recv() */
	_Atomic bool in_done;		/* the reader has stopped */
	bool ok_in, ok_out;
	char peer[INET6_ADDRSTRLEN + 8];
	char local[INET6_ADDRSTRLEN + 8];
	char err[256];		/* first error of this connection */
	pthread_mutex_t lock;
	pthread_t thr;
};

static struct conn *conns;
static int nconns_started;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static struct timespec t_start;

static double now_s(void)
{
	return since_s(&t_start);
}

static void out(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void conn_error(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&c->lock);
	if (!c->err[0])
		snprintf(c->err, sizeof(c->err), "%s", buf);
	pthread_mutex_unlock(&c->lock);
	out("%s\n", buf);
}

static const char *role(void)
{
	return cfg.mode == MODE_SERVER ? "server" : "client";
}

static void print_summary(bool timed_out)
{
	uint64_t in = 0, outb = 0, eagain = 0;
	int i, nok = 0;

	for (i = 0; i < nconns_started; i++) {
		in += atomic_load(&conns[i].got_in);
		outb += atomic_load(&conns[i].sent_out);
		eagain += atomic_load(&conns[i].eagain);
		nok += conns[i].ok_in && conns[i].ok_out;
	}
	if (!cfg.json)
		return;
	pthread_mutex_lock(&out_lock);
	printf("{\"role\":\"%s\",\"ok\":%s,\"timed_out\":%s,\"conns\":%d,\"conns_ok\":%d,"
	       "\"bytes_received\":%" PRIu64 ",\"bytes_sent\":%" PRIu64 ",\"eagain\":%" PRIu64 ","
	       "\"seconds\":%.3f,\"errors\":[",
	       role(), (!timed_out && nok == cfg.conns) ? "true" : "false",
	       timed_out ? "true" : "false", nconns_started, nok, in, outb, eagain, now_s());
	for (i = 0, nok = 0; i < nconns_started; i++) {
		const char *p;

		if (!conns[i].err[0])
			continue;
		printf("%s\"", nok++ ? "," : "");
		for (p = conns[i].err; *p; p++)
			printf((*p == '"' || *p == '\\') ? "\\%c" : "%c", *p);
		printf("\"");
	}
	printf("]}\n");
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void *watchdog(void *arg)
{
	int i;

	sleep_s(cfg.timeout);	/* > 0: started only then */
	out("TIMEOUT %s after %.1fs: %d of %d connections started\n", role(), cfg.timeout,
	    nconns_started, cfg.conns);
	for (i = 0; i < nconns_started; i++)
		out("TIMEOUT conn %d: received %" PRIu64 " of %" PRIu64 ", sent %" PRIu64
		    " of %" PRIu64 "\n", i, atomic_load(&conns[i].got_in), conns[i].want_in,
		    atomic_load(&conns[i].sent_out), conns[i].want_out);
	print_summary(true);
	_exit(EXIT_DATA);
	return arg;
}

/* ---------------------------------------------------------------- I/O */

static void *writer(void *arg)
{
	struct conn *c = arg;
	unsigned char *buf = malloc(cfg.write_size);
	double t0 = now_s();
	uint64_t off = 0;

	if (!buf) {
		conn_error(c, "ERROR conn %d: out of memory", c->idx);
		return NULL;
	}
	/* --sync server: start once the client's stream has begun, i.e. once the
	 * client has read our 'A' (it sends only after that), so that this
	 * direction's first byte finds everything we sent read. */
	while (cfg.sync && cfg.mode == MODE_SERVER && c->want_in &&
	       !atomic_load(&c->got_in) && !atomic_load(&c->in_done))
		usleep(100);
	while (off < c->want_out) {
		size_t len = cfg.write_size, done = 0;

		if (len > c->want_out - off)
			len = (size_t)(c->want_out - off);
		pattern_fill(c->seed_out, off, buf, len);
		if (cfg.rate > 0)
			sleep_s(t0 + (double)off / cfg.rate - now_s());
		while (done < len) {
			ssize_t n = send(c->fd, buf + done, len - done, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				conn_error(c, "ERROR conn %d: send at offset %" PRIu64 ": %s",
					   c->idx, off + done, n < 0 ? strerror(errno) : "returned 0");
				free(buf);
				return NULL;
			}
			done += (size_t)n;
			atomic_store(&c->sent_out, off + done);
		}
		off += len;
	}
	free(buf);
	c->ok_out = true;
	if (cfg.mode == MODE_CLIENT) {
		sleep_s(cfg.hold);
		shutdown(c->fd, SHUT_WR);
	}
	return NULL;
}

/*
 * recv() on a blocking socket, retried on EINTR. A blocking recv() must not
 * fail with EAGAIN, but on a socket in a sockmap tcp_bpf_recvmsg() can (e.g.
 * woken by the peer's FIN): count it, wait for readiness, retry. --strict
 * returns it as the error it is.
 */
static ssize_t recv_blocking(struct conn *c, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !cfg.strict) {
			struct pollfd pfd = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

			atomic_fetch_add(&c->eagain, 1);
			poll(&pfd, 1, 100);
			continue;
		}
		return n;
	}
}

static void reader(struct conn *c)
{
	unsigned char *buf = malloc(cfg.read_size), *exp = malloc(cfg.read_size);
	uint64_t off = 0;

	if (!buf || !exp) {
		conn_error(c, "ERROR conn %d: out of memory", c->idx);
		goto out;
	}
	for (;;) {
		ssize_t n = recv_blocking(c, buf, cfg.read_size);

		if (n < 0) {
			conn_error(c, "ERROR conn %d: recv at offset %" PRIu64 ": %s", c->idx, off,
				   strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (off + (uint64_t)n > c->want_in) {
			uint64_t x = off > c->want_in ? off : c->want_in;

			conn_error(c, "MISMATCH conn %d at offset %" PRIu64 ": expected EOF got 0x%02x"
				   " (more than %" PRIu64 " bytes)", c->idx, x, buf[x - off],
				   c->want_in);
			goto out;
		}
		pattern_fill(c->seed_in, off, exp, (size_t)n);
		if (memcmp(buf, exp, (size_t)n)) {
			ssize_t i = 0;

			while (buf[i] == exp[i])
				i++;
			conn_error(c, "MISMATCH conn %d at offset %" PRIu64 ": expected 0x%02x got 0x%02x",
				   c->idx, off + (uint64_t)i, pattern_byte(c->seed_in, off + (uint64_t)i),
				   buf[i]);
			goto out;
		}
		off += (uint64_t)n;
		atomic_store(&c->got_in, off);
	}
	if (off < c->want_in) {
		conn_error(c, "SHORT conn %d: EOF after %" PRIu64 " of %" PRIu64 " bytes", c->idx,
			   off, c->want_in);
		goto out;
	}
	c->ok_in = true;
out:
	atomic_store(&c->in_done, true);
	free(buf);
	free(exp);
}

static void fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		snprintf(buf, len, "%s:%d", a, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(buf, len, "[%s]:%d", a, port);
	} else {
		snprintf(buf, len, "?");
	}
}

static int ss_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
}

static uint64_t conn_seed(int client_port)
{
	return cfg.seed_by_port ? cfg.seed ^ ((uint64_t)client_port << 32) : cfg.seed;
}

static const char *eagain_note(struct conn *c)
{
	static __thread char buf[64];
	uint64_t n = atomic_load(&c->eagain);

	if (!n)
		return "";
	snprintf(buf, sizeof(buf), " (%" PRIu64 " spurious EAGAIN)", n);
	return buf;
}

/*
 * --sync: one byte each way before the streams, as a protocol's request and
 * reply would (client 'S', server 'A'). sockaccel redirects to a socket only
 * once it has read with recv() everything sent to it: after this exchange
 * both directions can be redirected from their first stream byte.
 */
static int sync_exchange(struct conn *c)
{
	char b = cfg.mode == MODE_CLIENT ? 'S' : 'A', want = cfg.mode == MODE_CLIENT ? 'A' : 'S', got = 0;

	if (cfg.mode == MODE_CLIENT && full_io(c->fd, &b, 1, true) != 1)
		return -1;
	if (recv_blocking(c, &got, 1) != 1 || got != want)
		return -1;
	if (cfg.mode == MODE_SERVER && full_io(c->fd, &b, 1, true) != 1)
		return -1;
	return 0;
}

/* Both directions of one connection: a writer thread and this thread reading. */
static void *conn_main(void *arg)
{
	struct conn *c = arg;
	pthread_t wt;
	bool have_writer = false;

	if (cfg.sync && sync_exchange(c)) {
		conn_error(c, "ERROR conn %d: --sync exchange failed", c->idx);
		close(c->fd);
		return NULL;
	}

	if (c->want_out) {
		if (pthread_create(&wt, NULL, writer, c)) {
			conn_error(c, "ERROR conn %d: pthread_create failed", c->idx);
			return NULL;
		}
		have_writer = true;
	} else {
		c->ok_out = true;
		if (cfg.mode == MODE_CLIENT) {
			sleep_s(cfg.hold);
			shutdown(c->fd, SHUT_WR);
		}
	}
	/* Verify the peer's stream until EOF while the writer sends. */
	if (c->want_in || cfg.mode == MODE_SERVER) {
		reader(c);
	} else {
		/* --no-reply: still wait for the server's EOF so it has seen everything */
		char b[256];
		ssize_t n;

		n = recv_blocking(c, b, sizeof(b));
		if (n > 0)
			conn_error(c, "MISMATCH conn %d at offset 0: expected EOF got 0x%02x "
				   "(--no-reply)", c->idx, (unsigned char)b[0]);
		else if (n < 0)
			conn_error(c, "ERROR conn %d: recv: %s", c->idx, strerror(errno));
		else
			c->ok_in = true;
	}
	if (!c->ok_in)
		shutdown(c->fd, SHUT_RDWR);	/* unblock the writer: this connection failed */
	if (have_writer)
		pthread_join(wt, NULL);
	if (cfg.mode == MODE_SERVER)
		shutdown(c->fd, SHUT_WR);
	if (!cfg.quiet) {
		if (c->ok_in && c->ok_out)
			out("OK conn %d local %s peer %s received %" PRIu64 " sent %" PRIu64 "%s\n",
			    c->idx, c->local, c->peer, atomic_load(&c->got_in),
			    atomic_load(&c->sent_out), eagain_note(c));
		else
			out("FAILED conn %d local %s peer %s received %" PRIu64 " of %" PRIu64
			    " sent %" PRIu64 " of %" PRIu64 "%s\n", c->idx, c->local, c->peer,
			    atomic_load(&c->got_in), c->want_in, atomic_load(&c->sent_out),
			    c->want_out, eagain_note(c));
	}
	close(c->fd);
	return NULL;
}

/*
 * A numeric address and port into *ss with getaddrinfo(); -1 after
 * "sa-stream: bad address ADDR: why" (tool_util.h's resolve() exits instead).
 */
static int resolve_gai(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	char ps[8];
	int rc;

	snprintf(ps, sizeof(ps), "%d", port);
	rc = getaddrinfo(addr, ps, &hints, &res);
	if (rc) {
		fprintf(stderr, "sa-stream: bad address %s: %s\n", addr, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void conn_names(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	getsockname(c->fd, (void *)&ss, &l);
	fmt_addr(&ss, c->local, sizeof(c->local));
	l = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	getpeername(c->fd, (void *)&ss, &l);
	fmt_addr(&ss, c->peer, sizeof(c->peer));
}

/* Name the connection and start its thread; on failure close it. */
static int conn_start(struct conn *c)
{
	conn_names(c);
	pthread_mutex_init(&c->lock, NULL);
	if (pthread_create(&c->thr, NULL, conn_main, c)) {
		fprintf(stderr, "sa-stream: pthread_create failed\n");
		close(c->fd);
		return -1;
	}
	return 0;
}

static int run_server(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int lfd, i;

	if (resolve_gai(cfg.addr, cfg.port, &ss, &sl))
		return EXIT_USAGE;
	lfd = listen_tcp(&ss, sl, cfg.addr, cfg.port, 1024);
	if (lfd < 0)
		return EXIT_DATA;
	sl = sizeof(ss);
	getsockname(lfd, (void *)&ss, &sl);
	if (!cfg.quiet)
		out("listening on %s port %d, %d connection(s), %" PRIu64 " bytes each%s\n",
		    cfg.addr, ss_port(&ss), cfg.conns, cfg.bytes, cfg.echo ? ", echo" : "");

	for (i = 0; i < cfg.conns; i++) {
		struct conn *c = &conns[i];
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		int fd;

		fd = accept4(lfd, (void *)&peer, &pl, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED) {
				i--;
				continue;
			}
			perror("sa-stream: accept");
			break;
		}
		if (cfg.nodelay)
			set_nodelay(fd);
		c->idx = i;
		c->fd = fd;
		c->seed_in = conn_seed(ss_port(&peer));
		c->seed_out = c->seed_in + 1;
		c->want_in = cfg.bytes;
		c->want_out = cfg.echo ? cfg.bytes : 0;
		if (conn_start(c))
			break;
		nconns_started = i + 1;
	}
	close(lfd);
	return 0;
}

static int run_client(void)
{
	struct sockaddr_storage ss, bs;
	socklen_t sl, bl = 0;
	int i;

	if (resolve_gai(cfg.addr, cfg.port, &ss, &sl))
		return EXIT_USAGE;
	if ((cfg.bind_addr || cfg.bind_port) &&
	    resolve_gai(cfg.bind_addr ? cfg.bind_addr : (ss.ss_family == AF_INET ? "0.0.0.0" : "::"),
		    0, &bs, &bl))
		return EXIT_USAGE;
	if (bl && bs.ss_family != ss.ss_family) {
		fprintf(stderr, "sa-stream: --bind and -c address families differ\n");
		return EXIT_USAGE;
	}

	for (i = 0; i < cfg.conns; i++) {
		struct conn *c = &conns[i];
		struct sockaddr_storage local;
		socklen_t ll = sizeof(local);
		int fd, one = 1;

		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("sa-stream: socket");
			break;
		}
		if (cfg.nodelay)
			set_nodelay(fd);
		if (bl) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (cfg.bind_port) {
				if (bs.ss_family == AF_INET)
					((struct sockaddr_in *)(void *)&bs)->sin_port =
						htons((uint16_t)(cfg.bind_port + i));
				else
					((struct sockaddr_in6 *)(void *)&bs)->sin6_port =
						htons((uint16_t)(cfg.bind_port + i));
			}
			if (bind(fd, (void *)&bs, bl)) {
				fprintf(stderr, "sa-stream: bind port %d: %s\n",
					cfg.bind_port ? cfg.bind_port + i : 0, strerror(errno));
				close(fd);
				break;
			}
		}
		if (connect(fd, (void *)&ss, sl)) {
			fprintf(stderr, "sa-stream: connect %s port %d: %s\n", cfg.addr, cfg.port,
				strerror(errno));
			close(fd);
			break;
		}
		getsockname(fd, (void *)&local, &ll);
		c->idx = i;
		c->fd = fd;
		c->seed_out = conn_seed(ss_port(&local));
		c->seed_in = c->seed_out + 1;
		c->want_out = cfg.bytes;
		c->want_in = cfg.reply_bytes;
		if (conn_start(c))
			break;
		nconns_started = i + 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t wd;
	int rc, i, nok = 0;

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return EXIT_USAGE;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	conns = calloc((size_t)cfg.conns, sizeof(*conns));
	if (!conns) {
		fprintf(stderr, "sa-stream: out of memory\n");
		return EXIT_DATA;
	}
	if (cfg.timeout > 0 && pthread_create(&wd, NULL, watchdog, NULL)) {
		fprintf(stderr, "sa-stream: pthread_create failed\n");
		return EXIT_DATA;
	}
	rc = cfg.mode == MODE_SERVER ? run_server() : run_client();
	for (i = 0; i < nconns_started; i++) {
		pthread_join(conns[i].thr, NULL);
		nok += conns[i].ok_in && conns[i].ok_out;
	}
	if (rc)
		return rc;
	if (!cfg.quiet)
		out("%s: %d of %d connections ok\n", role(), nok, cfg.conns);
	print_summary(false);
	return nok == cfg.conns ? 0 : EXIT_DATA;
}
