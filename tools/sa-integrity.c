// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sa-integrity: byte-integrity checker for TCP, for the sockaccel tests.
 *
 *   sa-integrity server -l ADDR -p PORT [OPTION...]
 *   sa-integrity client -c ADDR -p PORT [OPTION...]
 *
 * Every connection k of the client first sends a 16-byte header {magic, seed}
 * (little-endian u64s) with seed = --seed + k, then the pattern of that seed
 * (tools/pattern.h: the byte at offset i depends on (seed, i) only).  The
 * server sends back the pattern of seed + 1000000.  The server only accepts
 * seeds in [--seed, --seed + --conns), each once, so a byte stream that belongs
 * to another server's connection is reported as misdelivery.  Without
 * --connect-send-now the server answers the header with a 16-byte ack before
 * any pattern byte flows, so both sockets are fully established first; the
 * server then starts its pattern once the client's has begun (with
 * --direction s2c, once the client has sent one "go" byte 'G'), i.e. once the
 * client has read the ack: like a reply after a request, both directions find
 * everything sent before them read (sockaccel redirects only then).
 *
 * Each of the --parallel slots has two threads: one opens (client) or accepts
 * (server) a connection, does the handshake and reads; the other writes.  The
 * threads are reused for the next connection, so --conns 10000 costs no thread
 * creation per connection.
 *
 * Exit status: 0 every connection verified every expected byte (and EOF where
 * expected), 1 data or I/O error or timeout, 2 usage.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define TOOL_NAME "sa-integrity"
#include "tool_util.h"
#include "pattern.h"

#define EXIT_DATA	1
#define EXIT_USAGE	2

#define MAGIC_SYNC	0x31474554494e4153ULL	/* "SAINTEG1": server acks, then data */
#define MAGIC_NOW	0x32474554494e4153ULL	/* "SAINTEG2": data right after the header */
#define MAGIC_ACK	0x41474554494e4153ULL	/* "SAINTEGA": the server's ack */
#define HDR_LEN		16
#define S2C_SEED_OFF	1000000ULL		/* server->client seed = conn seed + this */
#define LOWAT		4096
#define MAX_SIZE	(64u << 20)
#define MIXED_MAX	(1u << 20)
#define MAX_ERRORS	64			/* kept for JSON */
#define MAX_ERR_LINES	100			/* printed on stderr */
#define MAX_DETAIL	32			/* rst per-connection details in JSON */

/* ---------------------------------------------------------------- options */

enum role { ROLE_NONE, ROLE_SERVER, ROLE_CLIENT };
enum send_mode { SM_WRITE, SM_SEND, SM_WRITEV, SM_SENDMSG, SM_SENDFILE, SM_MORE, SM_URING };
enum recv_mode { RM_READ, RM_RECV, RM_PEEK, RM_WAITALL, RM_RCVLOWAT, RM_FIONREAD, RM_NONBLOCK,
		 RM_EPOLL_ET, RM_EPOLL_LT, RM_RCVTIMEO, RM_URING };
enum end_mode { EM_SHUTDOWN, EM_RST, EM_CLOSE_UNREAD };
enum direction { DIR_BOTH, DIR_C2S, DIR_S2C };

static const char *const send_names[] = { "write", "send", "writev", "sendmsg", "sendfile",
					  "more", "uring", NULL };
static const char *const recv_names[] = { "read", "recv", "peek", "waitall", "rcvlowat",
					  "fionread", "nonblock", "epoll-et", "epoll-lt",
					  "rcvtimeo", "uring", NULL };
static const char *const end_names[] = { "shutdown", "rst", "close-unread", NULL };
static const char *const dir_names[] = { "both", "c2s", "s2c", NULL };

static struct config {
	enum role role;
	const char *addr;
	int port;
	long conns;
	long parallel;
	uint64_t bytes;
	uint64_t seed;
	size_t *sizes;
	int nsizes;
	bool mixed;
	size_t max_size;
	size_t read_size;
	double timeout;
	bool json;
	bool quiet;
	bool nodelay;
	bool now;
	bool probe;
	enum send_mode send_mode;
	enum recv_mode recv_mode;
	enum end_mode end_mode;
	enum direction dir;
	double read_delay;	/* seconds */
	uint64_t read_rate;	/* bytes per second, 0 = unlimited */
	uint64_t write_rate;	/* bytes per second per conn, 0 = unlimited */
	const char *hold_file;
} cfg = {
	.port = -1,
	.conns = 1,
	.parallel = 1,
	.bytes = 1 << 20,
	.seed = 1,
	.read_size = 65536,
	.timeout = 60,
};

enum {
	OPT_BYTES = 0x100, OPT_SIZES, OPT_READ_SIZE, OPT_SEED, OPT_JSON, OPT_SEND_MODE,
	OPT_RECV_MODE, OPT_END_MODE, OPT_DIRECTION, OPT_READ_DELAY, OPT_READ_RATE, OPT_WRITE_RATE, OPT_HOLD_FILE,
	OPT_NOW, OPT_PROBE,
};

static const char doc[] =
"Byte-integrity checker for TCP (sockaccel tests).\n"
"\n"
"ROLE is `server' or `client'; give both ends the same --conns, --bytes,\n"
"--seed, --direction and --end-mode. Connection k sends a 16-byte header {magic, seed}\n"
"with seed = SEED+k, then SIZE bytes of the pattern of that seed; the server\n"
"sends SIZE bytes of pattern seed+1000000 back. The byte at offset i of a\n"
"pattern depends on (seed, i) only, so loss, duplication, reordering and bytes\n"
"of another connection are reported with the first bad offset. The server only\n"
"accepts seeds in [SEED, SEED+N), each once (anything else: misdelivery).\n"
"Without --connect-send-now the server acks the header before data flows.\n"
"SIZE arguments accept K, M, G suffixes (powers of 1024).\n"
"Exit status: 0 all verified, 1 data/I-O error or timeout, 2 usage."
"\v"
"Send modes: write, send, writev (up to 64 iovecs of varying length per call),\n"
"sendmsg (128 iovecs per call), sendfile (pattern written to an unlinked temp\n"
"file in $TMPDIR or /tmp first), more (MSG_MORE on every write but every 4th),\n"
"uring (io_uring IORING_OP_SEND).\n"
"Receive modes: read, recv, peek (MSG_PEEK then read the same amount; both must\n"
"match), waitall (MSG_WAITALL), rcvlowat (SO_RCVLOWAT 4096 + poll), fionread\n"
"(poll, FIONREAD, read that many), nonblock (O_NONBLOCK + poll), epoll-et\n"
"(drain until EAGAIN), epoll-lt, rcvtimeo (SO_RCVTIMEO 100 ms: timeouts are\n"
"counted and retried), uring (IORING_OP_RECV). EAGAIN from a blocking read\n"
"(sooner than 90 ms with rcvtimeo) is spurious: counted (eagain) and retried.\n"
"Readiness waits time out after 1 s; if data (rcvlowat: 4096 bytes) or EOF was\n"
"there all along, the wake-up was missed (missed_wakeups, not a failure).\n"
"End modes: shutdown (SHUT_WR after the last byte; the peer must read exactly\n"
"SIZE then EOF), rst (SO_LINGER {1,0} + close after the last byte; the\n"
"receiver must get a correct prefix, its length is reported), close-unread\n"
"(close() right after the last byte; the receiver, typically with\n"
"--read-delay, must get every byte then EOF). rst and close-unread need\n"
"--direction c2s or s2c.\n"
"\n"
"Measured, not failures: fionread_zero (FIONREAD said 0, data was\n"
"readable), fionread_over (read returned less than FIONREAD said),\n"
"peek_short, waitall_short (MSG_WAITALL returned less than asked before the\n"
"end), lowat_short (a read returned less than SO_RCVLOWAT before the end),\n"
"spurious_wakeups.\n"
"\n"
"JSON (--json, one object on stdout): role, ok, timed_out, conns, conns_ok,\n"
"conns_failed, bytes_sent, bytes_received, eagain, send_eagain,\n"
"fionread_calls, fionread_zero, fionread_over, peek_short, waitall_short,\n"
"lowat_short, rcvtimeo_timeouts, missed_wakeups, spurious_wakeups,\n"
"send_calls, recv_calls, max_gap_ms (longest wait for data, from the first\n"
"read on), max_eof_wait_ms (longest wait from the last byte to EOF),\n"
"send_mode, recv_mode, end_mode, direction, sizes,\n"
"seconds, rst {receiving_conns, full, min_received, max_received,\n"
"total_received, ends, detail} (end mode rst), errors [{conn, offset,\n"
"expected, got, what, msg}] (first 64), errors_dropped.\n"
"\n"
"EXAMPLES:\n"
"  sa-integrity server -l 127.0.0.1 -p 5000 --bytes 8M --sizes mixed &\n"
"  sa-integrity client -c 127.0.0.1 -p 5000 --bytes 8M --sizes mixed \\\n"
"      --send-mode writev\n"
"      8 MiB each way, writev() of random sizes from 1 B to 1 MiB.\n"
"\n"
"  sa-integrity server -l ::1 -p 5001 -n 10000 -P 32 --bytes 1K -q &\n"
"  sa-integrity client -c ::1 -p 5001 -n 10000 -P 32 --bytes 1K \\\n"
"      --sizes 1,7,100 --connect-send-now -q\n"
"      setup-race churn: 10000 short connections writing right after connect().\n"
"\n"
"  sa-integrity server -l 127.0.0.1 -p 5002 --direction c2s --end-mode rst \\\n"
"      --read-delay 300 --json &\n"
"  sa-integrity client -c 127.0.0.1 -p 5002 --direction c2s --end-mode rst\n"
"      reset after the burst while the server is not reading yet; the\n"
"      server reports how much of a correct prefix arrived and the errno.\n";

static const char args_doc[] = "server|client";

static struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Connections:", 1 },
	{ "listen", 'l', "ADDR", 0, "server: address to listen on (:: is dual-stack)", 1 },
	{ "connect", 'c', "ADDR", 0, "client: server address", 1 },
	{ "port", 'p', "PORT", 0, "TCP port", 1 },
	{ "conns", 'n', "N", 0, "total connections (default 1)", 1 },
	{ "parallel", 'P', "P", 0, "concurrent connections (default 1)", 1 },
	{ "connect-send-now", OPT_NOW, NULL, 0,
	  "client: write right after connect() returns, no ack from the server", 1 },
	{ "nodelay", 'N', NULL, 0, "set TCP_NODELAY", 1 },
	{ NULL, 0, NULL, 0, "Data:", 2 },
	{ "bytes", OPT_BYTES, "SIZE", 0, "bytes per direction per connection (default 1M)", 2 },
	{ "direction", OPT_DIRECTION, "DIR", 0, "both (default), c2s or s2c", 2 },
	{ "seed", OPT_SEED, "S", 0, "seed of connection 0 (default 1)", 2 },
	{ "sizes", OPT_SIZES, "LIST", 0,
	  "write sizes, comma list cycled (default 64K), or `mixed': seeded log-uniform 1 B..1 MiB", 2 },
	{ "read-size", OPT_READ_SIZE, "SIZE", 0, "bytes per read (default 64K)", 2 },
	{ "send-mode", OPT_SEND_MODE, "MODE", 0,
	  "write (default), send, writev, sendmsg, sendfile, more, uring", 2 },
	{ "recv-mode", OPT_RECV_MODE, "MODE", 0,
	  "read (default), recv, peek, waitall, rcvlowat, fionread, nonblock, epoll-et, "
	  "epoll-lt, rcvtimeo, uring", 2 },
	{ "end-mode", OPT_END_MODE, "MODE", 0, "shutdown (default), rst, close-unread", 2 },
	{ NULL, 0, NULL, 0, "Receiver:", 3 },
	{ "read-delay", OPT_READ_DELAY, "MS", 0, "sleep before the first data read", 3 },
	{ "read-rate", OPT_READ_RATE, "SIZE", 0, "read at most SIZE bytes per second per conn", 3 },
	{ "write-rate", OPT_WRITE_RATE, "SIZE", 0,
	  "write at most SIZE bytes per second per conn (a live stream across an event)", 3 },
	{ "hold-file", OPT_HOLD_FILE, "PATH", 0, "do not read data until PATH exists", 3 },
	{ NULL, 0, NULL, 0, "Output:", 4 },
	{ "timeout", 't', "SECONDS", 0, "give up after this long: exit 1 (default 60, 0 = never)", 4 },
	{ "json", OPT_JSON, NULL, 0, "one JSON summary object on stdout (nothing else there)", 4 },
	{ "quiet", 'q', NULL, 0, "no summary line", 4 },
	{ "probe", OPT_PROBE, NULL, 0,
	  "only check that the selected modes work here (io_uring), exit 0 or 1", 4 },
	{ 0 }
};

static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (errno || end == s || *end || !(*out >= 0)) ? -1 : 0;
}

static int parse_name(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static int parse_sizes(const char *arg)
{
	char *copy, *tok, *save = NULL;
	int n = 1;
	const char *p;

	if (!strcmp(arg, "mixed")) {
		cfg.mixed = true;
		cfg.max_size = MIXED_MAX;
		return 0;
	}
	for (p = arg; *p; p++)
		n += *p == ',';
	free(cfg.sizes);
	cfg.sizes = calloc((size_t)n, sizeof(*cfg.sizes));
	copy = strdup(arg);
	if (!cfg.sizes || !copy) {
		free(copy);
		return -1;
	}
	cfg.nsizes = 0;
	cfg.mixed = false;
	cfg.max_size = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (parse_size(tok, &v) || v < 1 || v > MAX_SIZE) {
			free(copy);
			return -1;
		}
		cfg.sizes[cfg.nsizes++] = (size_t)v;
		if (v > cfg.max_size)
			cfg.max_size = (size_t)v;
	}
	free(copy);
	return cfg.nsizes ? 0 : -1;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	uint64_t v = 0;	/* argp_error() exits, the compiler does not know */
	double d;
	int i;

	switch (key) {
	case 'l':
	case 'c':
		cfg.addr = arg;
		break;
	case 'p':
		if ((cfg.port = parse_port(arg)) < 0)
			argp_error(st, "bad port: %s", arg);
		break;
	case 'n':
		if (parse_size(arg, &v) || v < 1 || v > 1000000)
			argp_error(st, "bad connection count: %s", arg);
		cfg.conns = (long)v;
		break;
	case 'P':
		if (parse_size(arg, &v) || v < 1 || v > 4096)
			argp_error(st, "bad --parallel: %s", arg);
		cfg.parallel = (long)v;
		break;
	case OPT_NOW: cfg.now = true; break;
	case 'N': cfg.nodelay = true; break;
	case OPT_BYTES:
		if (parse_size(arg, &cfg.bytes))
			argp_error(st, "bad size: %s", arg);
		break;
	case OPT_DIRECTION:
		if ((i = parse_name(arg, dir_names)) < 0)
			argp_error(st, "bad --direction: %s", arg);
		cfg.dir = i;
		break;
	case OPT_SEED:
		if (parse_size(arg, &cfg.seed))
			argp_error(st, "bad seed: %s", arg);
		break;
	case OPT_SIZES:
		if (parse_sizes(arg))
			argp_error(st, "bad --sizes (1..64M each, or mixed): %s", arg);
		break;
	case OPT_READ_SIZE:
		if (parse_size(arg, &v) || v < 1 || v > MAX_SIZE)
			argp_error(st, "bad read size: %s", arg);
		cfg.read_size = (size_t)v;
		break;
	case OPT_SEND_MODE:
		if ((i = parse_name(arg, send_names)) < 0)
			argp_error(st, "bad --send-mode: %s", arg);
		cfg.send_mode = i;
		break;
	case OPT_RECV_MODE:
		if ((i = parse_name(arg, recv_names)) < 0)
			argp_error(st, "bad --recv-mode: %s", arg);
		cfg.recv_mode = i;
		break;
	case OPT_END_MODE:
		if ((i = parse_name(arg, end_names)) < 0)
			argp_error(st, "bad --end-mode: %s", arg);
		cfg.end_mode = i;
		break;
	case OPT_READ_DELAY:
		if (parse_double(arg, &d))
			argp_error(st, "bad --read-delay: %s", arg);
		cfg.read_delay = d / 1000;
		break;
	case OPT_READ_RATE:
		if (parse_size(arg, &cfg.read_rate) || !cfg.read_rate)
			argp_error(st, "bad --read-rate: %s", arg);
		break;
	case OPT_WRITE_RATE:
		if (parse_size(arg, &cfg.write_rate) || !cfg.write_rate)
			argp_error(st, "bad --write-rate: %s", arg);
		break;
	case OPT_HOLD_FILE: cfg.hold_file = arg; break;
	case 't':
		if (parse_double(arg, &cfg.timeout))
			argp_error(st, "bad timeout: %s", arg);
		break;
	case OPT_JSON: cfg.json = true; break;
	case 'q': cfg.quiet = true; break;
	case OPT_PROBE: cfg.probe = true; break;
	case ARGP_KEY_ARG:
		if (cfg.role != ROLE_NONE)
			argp_error(st, "unexpected argument: %s", arg);
		if (!strcmp(arg, "server"))
			cfg.role = ROLE_SERVER;
		else if (!strcmp(arg, "client"))
			cfg.role = ROLE_CLIENT;
		else
			argp_error(st, "unknown role: %s (expected server or client)", arg);
		break;
	case ARGP_KEY_END:
		if (cfg.role == ROLE_NONE)
			argp_error(st, "missing role (server or client)");
		if (cfg.probe)
			break;
		if (!cfg.addr)
			argp_error(st, cfg.role == ROLE_SERVER ? "server needs -l ADDR"
							       : "client needs -c ADDR");
		if (cfg.port < 1)
			argp_error(st, "missing or bad -p PORT");
		if (cfg.end_mode != EM_SHUTDOWN && cfg.dir == DIR_BOTH)
			argp_error(st, "--end-mode %s needs --direction c2s or s2c",
				   end_names[cfg.end_mode]);
		if (cfg.now && cfg.role != ROLE_CLIENT)
			argp_error(st, "--connect-send-now is a client option");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = { options, parse_opt, args_doc, doc, NULL, NULL, NULL };
const char *argp_program_bug_address = NULL;

/* ---------------------------------------------------------------- state */

/* Counters; what they mean is in the --help text (JSON). */
static struct stats {
	_Atomic uint64_t bytes_sent, bytes_received;
	_Atomic uint64_t eagain, send_eagain;
	_Atomic uint64_t fionread_calls, fionread_zero, fionread_over;
	_Atomic uint64_t peek_short, waitall_short, lowat_short;
	_Atomic uint64_t rcvtimeo_timeouts, missed_wakeups, spurious_wakeups;
	_Atomic uint64_t send_calls, recv_calls;
	_Atomic long conns_ok, conns_failed, conns_done;
	_Atomic uint64_t max_gap_us;		/* longest wait for the next data */
	_Atomic uint64_t max_eof_wait_us;	/* longest last byte -> EOF wait */
} st;

static void atomic_max(_Atomic uint64_t *a, uint64_t v)
{
	uint64_t cur = atomic_load(a);

	while (v > cur && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

/* One connection's outcome (indexed by connection number). */
struct result {
	uint64_t received, want_in;
	int end;		/* receive end: 0 EOF, >0 errno, -1 not read to the end */
	bool used, ok;
};

struct conn {
	long k;			/* connection number, -1 before the server read the header */
	int fd;
	uint64_t seed_in;	/* pattern we verify */
	uint64_t seed_out;	/* pattern we send */
	uint64_t want_in;
	uint64_t want_out;
	_Atomic uint64_t got;
	_Atomic uint64_t sent;
	bool in_ok, out_ok;
	int end;		/* as in struct result */
	_Atomic bool failed;	/* an error was reported for this connection */
	bool acked;		/* server: answered a MAGIC_SYNC header with the ack */
	_Atomic bool rx_done;	/* the receiver has stopped */
};

struct slot {
	int id;
	pthread_t rt, wt;
	sem_t go, done;
	bool quit;
	struct conn c;
	_Atomic bool busy;
};

struct error_rec {
	long conn;
	int64_t offset;		/* -1: none */
	int expected, got;	/* -1: none */
	char what[24];
	char msg[200];
};

static struct slot *slots;
static long nslots;
static struct result *results;
static _Atomic unsigned char *seen;	/* server: seed already used */
static _Atomic long next_conn;		/* client: next connection number; server: accepts */
static int listen_fd = -1;
static struct sockaddr_storage peer_ss;
static socklen_t peer_len;
static struct timespec t_start;

static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static struct error_rec errors[MAX_ERRORS];
static int nerrors;
static long errors_total;
static pthread_mutex_t summary_lock = PTHREAD_MUTEX_INITIALIZER;
static bool summary_done;

static double now_s(void)
{
	return since_s(&t_start);
}

static const char *role_name(void)
{
	return cfg.role == ROLE_SERVER ? "server" : "client";
}

/*
 * Record an error of connection `conn` (-1 unknown): one stderr line
 * "sa-integrity: <role> conn K: <msg>", and an entry for the JSON summary.
 */
static void report(struct conn *c, long conn, int64_t offset, int expected, int got,
		   const char *what, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (c)
		atomic_store(&c->failed, true);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&err_lock);
	if (nerrors < MAX_ERRORS) {
		struct error_rec *e = &errors[nerrors++];

		e->conn = conn;
		e->offset = offset;
		e->expected = expected;
		e->got = got;
		snprintf(e->what, sizeof(e->what), "%s", what);
		snprintf(e->msg, sizeof(e->msg), "%s", msg);
	}
	if (errors_total++ < MAX_ERR_LINES)
		fprintf(stderr, TOOL_NAME ": %s conn %ld: %s\n", role_name(), conn, msg);
	pthread_mutex_unlock(&err_lock);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static const char *end_name(int end, char *buf, size_t len)
{
	if (end == 0)
		return "EOF";
	if (end < 0)
		return "none";
	snprintf(buf, len, "%s", strerrorname_np(end) ? strerrorname_np(end) : "?");
	return buf;
}

/* The rst summary: how much of a correct prefix each receiving connection got. */
static void print_rst_json(void)
{
	uint64_t minr = UINT64_MAX, maxr = 0, sum = 0;
	long n = 0, full = 0, k;
	long ends[4] = { 0 };	/* EOF, ECONNRESET, EPIPE, other */
	int detail = 0;
	char b[32];

	for (k = 0; k < cfg.conns; k++) {
		struct result *r = &results[k];

		if (!r->used || !r->want_in)
			continue;
		n++;
		full += r->received == r->want_in;
		sum += r->received;
		if (r->received < minr)
			minr = r->received;
		if (r->received > maxr)
			maxr = r->received;
		ends[r->end == 0 ? 0 : r->end == ECONNRESET ? 1 : r->end == EPIPE ? 2 : 3]++;
	}
	printf(",\"rst\":{\"receiving_conns\":%ld,\"full\":%ld,\"min_received\":%" PRIu64
	       ",\"max_received\":%" PRIu64 ",\"total_received\":%" PRIu64
	       ",\"ends\":{\"EOF\":%ld,\"ECONNRESET\":%ld,\"EPIPE\":%ld,\"other\":%ld},\"detail\":[",
	       n, full, n ? minr : 0, maxr, sum, ends[0], ends[1], ends[2], ends[3]);
	for (k = 0; k < cfg.conns && detail < MAX_DETAIL; k++) {
		struct result *r = &results[k];

		if (!r->used || !r->want_in)
			continue;
		printf("%s{\"conn\":%ld,\"received\":%" PRIu64 ",\"expected\":%" PRIu64
		       ",\"end\":\"%s\"}", detail++ ? "," : "", k, r->received, r->want_in,
		       end_name(r->end, b, sizeof(b)));
	}
	printf("]}");
}

#define C(x) atomic_load(&st.x)

/* The summary (once): a line, or with --json the JSON object. */
static void print_summary(bool timed_out)
{
	bool ok;
	int i;

	pthread_mutex_lock(&summary_lock);
	if (summary_done) {
		pthread_mutex_unlock(&summary_lock);
		return;
	}
	summary_done = true;
	pthread_mutex_lock(&err_lock);
	ok = !timed_out && C(conns_ok) == cfg.conns && !errors_total;
	if (cfg.json) {
		printf("{\"role\":\"%s\",\"ok\":%s,\"timed_out\":%s,\"conns\":%ld,\"conns_ok\":%ld,"
		       "\"conns_failed\":%ld,\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64
		       ",\"eagain\":%" PRIu64 ",\"send_eagain\":%" PRIu64
		       ",\"fionread_calls\":%" PRIu64 ",\"fionread_zero\":%" PRIu64
		       ",\"fionread_over\":%" PRIu64 ",\"peek_short\":%" PRIu64
		       ",\"waitall_short\":%" PRIu64 ",\"lowat_short\":%" PRIu64
		       ",\"rcvtimeo_timeouts\":%" PRIu64 ",\"missed_wakeups\":%" PRIu64
		       ",\"spurious_wakeups\":%" PRIu64 ",\"send_calls\":%" PRIu64
		       ",\"recv_calls\":%" PRIu64 ",\"max_gap_ms\":%.3f,\"max_eof_wait_ms\":%.3f"
		       ",\"send_mode\":\"%s\",\"recv_mode\":\"%s\""
		       ",\"end_mode\":\"%s\",\"direction\":\"%s\",\"sizes\":\"%s\",\"seconds\":%.3f",
		       role_name(), ok ? "true" : "false", timed_out ? "true" : "false", cfg.conns,
		       C(conns_ok), C(conns_failed), C(bytes_sent), C(bytes_received), C(eagain),
		       C(send_eagain), C(fionread_calls), C(fionread_zero), C(fionread_over),
		       C(peek_short), C(waitall_short), C(lowat_short), C(rcvtimeo_timeouts),
		       C(missed_wakeups), C(spurious_wakeups), C(send_calls), C(recv_calls),
		       C(max_gap_us) / 1e3, C(max_eof_wait_us) / 1e3, send_names[cfg.send_mode], recv_names[cfg.recv_mode],
		       end_names[cfg.end_mode], dir_names[cfg.dir], cfg.mixed ? "mixed" : "list",
		       now_s());
		if (cfg.end_mode == EM_RST)
			print_rst_json();
		printf(",\"errors\":[");
		for (i = 0; i < nerrors; i++) {
			struct error_rec *e = &errors[i];

			printf("%s{\"conn\":%ld,", i ? "," : "", e->conn);
			if (e->offset >= 0)
				printf("\"offset\":%" PRId64 ",", e->offset);
			else
				printf("\"offset\":null,");
			if (e->expected >= 0)
				printf("\"expected\":%d,", e->expected);
			else
				printf("\"expected\":null,");
			if (e->got >= 0)
				printf("\"got\":%d,", e->got);
			else
				printf("\"got\":null,");
			printf("\"what\":");
			json_str(stdout, e->what);
			printf(",\"msg\":");
			json_str(stdout, e->msg);
			printf("}");
		}
		printf("],\"errors_dropped\":%ld}\n", errors_total - nerrors);
	} else if (!cfg.quiet) {
		printf("%s: %s: %ld of %ld connections ok, sent %" PRIu64 " received %" PRIu64
		       " bytes, eagain %" PRIu64 ", fionread_zero %" PRIu64 ", missed_wakeups %"
		       PRIu64 ", %.3f s\n", role_name(), ok ? "OK" : "FAILED", C(conns_ok),
		       cfg.conns, C(bytes_sent), C(bytes_received), C(eagain), C(fionread_zero),
		       C(missed_wakeups), now_s());
	}
	if (errors_total > MAX_ERR_LINES)
		fprintf(stderr, TOOL_NAME ": %s: %ld more errors not shown\n", role_name(),
			errors_total - MAX_ERR_LINES);
	fflush(stdout);
	fflush(stderr);
	pthread_mutex_unlock(&err_lock);
	pthread_mutex_unlock(&summary_lock);
}

static void *watchdog(void *arg)
{
	long i;

	sleep_s(cfg.timeout);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	fprintf(stderr, TOOL_NAME ": %s: timeout after %.1f s: %ld of %ld connections done\n",
		role_name(), cfg.timeout, atomic_load(&st.conns_done), cfg.conns);
	for (i = 0; i < nslots; i++) {
		struct conn *c = &slots[i].c;

		if (!atomic_load(&slots[i].busy))
			continue;
		if (c->k < 0) {
			fprintf(stderr, TOOL_NAME ": %s: timeout: a connection in %s\n", role_name(),
				cfg.role == ROLE_SERVER ? "accept() or its header" : "connect()");
			continue;
		}
		fprintf(stderr, TOOL_NAME ": %s: timeout: conn %ld received %" PRIu64 " of %"
			PRIu64 ", sent %" PRIu64 " of %" PRIu64 "\n", role_name(), c->k,
			atomic_load(&c->got), c->want_in, atomic_load(&c->sent), c->want_out);
	}
	print_summary(true);
	_exit(EXIT_DATA);
	return arg;
}

/* ---------------------------------------------------------------- io_uring */

static __thread struct io_uring ring;
static __thread int ring_state;		/* 0 not set up, 1 ready, <0 -errno */

static int ring_get(void)
{
	if (!ring_state) {
		int rc = io_uring_queue_init(8, &ring, 0);

		ring_state = rc < 0 ? rc : 1;
	}
	return ring_state < 0 ? ring_state : 0;
}

static void ring_put(void)
{
	if (ring_state == 1)
		io_uring_queue_exit(&ring);
	ring_state = 0;
}

/* One IORING_OP_SEND or IORING_OP_RECV, waited for. Like send()/recv(). */
static ssize_t uring_io(int fd, void *buf, size_t len, bool send_, int flags)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int rc, res;

	rc = ring_get();
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	sqe = io_uring_get_sqe(&ring);
	if (!sqe) {
		errno = EBUSY;
		return -1;
	}
	if (send_)
		io_uring_prep_send(sqe, fd, buf, len, flags);
	else
		io_uring_prep_recv(sqe, fd, buf, len, flags);
	rc = io_uring_submit(&ring);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	do
		rc = io_uring_wait_cqe(&ring, &cqe);
	while (rc == -EINTR);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	if (res < 0) {
		errno = -res;
		return -1;
	}
	return res;
}

/* 0 when io_uring with IORING_OP_SEND and IORING_OP_RECV works here. */
static int uring_probe(char *why, size_t len)
{
	struct io_uring_probe *p;
	int rc = ring_get();

	if (rc < 0) {
		snprintf(why, len, "io_uring_setup: %s (%s)", strerror(-rc),
			 strerrorname_np(-rc) ? strerrorname_np(-rc) : "?");
		ring_state = 0;
		return -1;
	}
	p = io_uring_get_probe_ring(&ring);
	if (p && (!io_uring_opcode_supported(p, IORING_OP_SEND) ||
		  !io_uring_opcode_supported(p, IORING_OP_RECV))) {
		snprintf(why, len, "IORING_OP_SEND/RECV not supported");
		rc = -1;
	}
	io_uring_free_probe(p);
	ring_put();
	return rc;
}

/* ---------------------------------------------------------------- helpers */

/* Per-connection PRNG (write sizes, iovec splits). */
static inline uint64_t rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return mix64(*s);
}

static size_t next_size(uint64_t *rs, unsigned long n)
{
	if (cfg.mixed) {
		double u = (double)(rnd(rs) >> 11) * 0x1.0p-53;
		size_t v = (size_t)exp2(u * 20.0);

		return v < 1 ? 1 : v > MIXED_MAX ? MIXED_MAX : v;
	}
	if (!cfg.nsizes)
		return 65536;
	return cfg.sizes[n % (unsigned long)cfg.nsizes];
}

static void put_le64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Wait for POLLIN (or POLLOUT) up to ms; 0 ready or timed out, -1 error. */
static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = ev | (ev == POLLIN ? POLLRDHUP : 0) };
	int rc;

	do
		rc = poll(&pfd, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -1 : 0;
}

/*
 * Blocking read of exactly len bytes for the handshake (header, ack), spurious
 * EAGAIN retried. Returns the bytes read (< len on EOF or error; *err = errno
 * or 0 for EOF).
 */
static size_t read_exact(int fd, unsigned char *buf, size_t len, int *err)
{
	size_t done = 0;

	*err = 0;
	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			atomic_fetch_add(&st.eagain, 1);
			wait_fd(fd, POLLIN, 100);
			continue;
		}
		if (n <= 0) {
			*err = n < 0 ? errno : 0;
			break;
		}
		done += (size_t)n;
	}
	return done;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			atomic_fetch_add(&st.send_eagain, 1);
			wait_fd(fd, POLLOUT, 100);
			continue;
		}
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* ---------------------------------------------------------------- sender */

/* Split [p, p+len) into at most max iovecs of varying length (some empty). */
static int split_iov(struct iovec *iov, int max, unsigned char *p, size_t len, uint64_t *rs,
		     bool vary)
{
	int k = vary ? 1 + (int)(rnd(rs) % (uint64_t)max) : max, i;

	if ((size_t)k > len)
		k = (int)len;
	for (i = 0; i < k; i++) {
		size_t pieces = (size_t)(k - i), piece;

		if (pieces == 1) {
			piece = len;
		} else if (!vary) {
			piece = len / pieces;
		} else {
			uint64_t r = rnd(rs);

			piece = (r & 15) == 0 ? 0 : 1 + (size_t)((r >> 4) % (2 * (len / pieces)));
			if (piece > len - (pieces - 1))
				piece = len - (pieces - 1);
		}
		iov[i].iov_base = p;
		iov[i].iov_len = piece;
		p += piece;
		len -= piece;
	}
	return k;
}

/* A temp file holding the pattern of `seed` for len bytes (unlinked), or -1. */
static int pattern_file(uint64_t seed, uint64_t len, unsigned char *buf, size_t bufsz)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[4096];
	uint64_t off = 0;
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/sa-integrity.XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return -1;
		unlink(path);
	}
	while (off < len) {
		size_t n = bufsz;

		if (n > len - off)
			n = (size_t)(len - off);
		pattern_fill(seed, off, buf, n);
		if (full_io(fd, (char *)buf, n, true) != 1) {
			close(fd);
			return -1;
		}
		off += n;
	}
	return fd;
}

/* Send buf[0..len) (stream offset off) with the send mode; 0 ok, -1 error. */
static int tx_chunk(struct conn *c, unsigned char *buf, uint64_t off, size_t len,
		    unsigned long nw, int filefd, uint64_t *rs)
{
	struct iovec iov[128];
	size_t done = 0;

	while (done < len) {
		struct msghdr mh = { .msg_iov = iov };
		ssize_t n = -1;
		off_t fo;

		switch (cfg.send_mode) {
		case SM_WRITE:
			n = write(c->fd, buf + done, len - done);
			break;
		case SM_SEND:
			n = send(c->fd, buf + done, len - done, MSG_NOSIGNAL);
			break;
		case SM_MORE:
			n = send(c->fd, buf + done, len - done,
				 MSG_NOSIGNAL | (nw % 4 != 3 ? MSG_MORE : 0));
			break;
		case SM_WRITEV:
			n = writev(c->fd, iov, split_iov(iov, 64, buf + done, len - done, rs, true));
			break;
		case SM_SENDMSG:
			mh.msg_iovlen = (size_t)split_iov(iov, 128, buf + done, len - done, rs, false);
			n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
			break;
		case SM_SENDFILE:
			fo = (off_t)(off + done);
			n = sendfile(c->fd, filefd, &fo, len - done);
			break;
		case SM_URING:
			n = uring_io(c->fd, buf + done, len - done, true, MSG_NOSIGNAL);
			break;
		}
		atomic_fetch_add(&st.send_calls, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			atomic_fetch_add(&st.send_eagain, 1);
			wait_fd(c->fd, POLLOUT, 100);
			continue;
		}
		if (n <= 0) {
			report(c, c->k, (int64_t)(off + done), -1, -1, "send",
			       "%s at offset %" PRIu64 " of %" PRIu64 ": %s", send_names[cfg.send_mode],
			       off + done, c->want_out, n < 0 ? strerror(errno) : "returned 0");
			return -1;
		}
		done += (size_t)n;
		atomic_store(&c->sent, off + done);
		atomic_fetch_add(&st.bytes_sent, (uint64_t)n);
	}
	return 0;
}

/* The writer thread's work for one connection. */
static void tx_run(struct conn *c, unsigned char *buf, size_t bufsz)
{
	uint64_t rs = mix64(c->seed_out ^ 0x5157a11e5ULL), off = 0;
	unsigned long nw = 0;
	int filefd = -1;
	double t0 = now_s();

	/* After the ack, the server starts once the client's data has begun,
	 * i.e. once the client has read the ack (it sends only after that):
	 * sockaccel redirects to a socket only once it has read with recv()
	 * everything sent to it, so this direction can be redirected from its
	 * first byte, as a reply after a request is. */
	while (c->acked && c->want_out && c->want_in && !atomic_load(&c->got) &&
	       !atomic_load(&c->rx_done) && !atomic_load(&c->failed))
		usleep(100);
	if (c->want_out && cfg.send_mode == SM_SENDFILE) {
		filefd = pattern_file(c->seed_out, c->want_out, buf, bufsz);
		if (filefd < 0) {
			report(c, c->k, -1, -1, -1, "send", "sendfile: temp file: %s", strerror(errno));
			goto fail;
		}
	}
	while (off < c->want_out) {
		size_t len = next_size(&rs, nw);

		if (len > c->want_out - off)
			len = (size_t)(c->want_out - off);
		if (filefd < 0)
			pattern_fill(c->seed_out, off, buf, len);
		if (cfg.write_rate)
			sleep_s(t0 + (double)off / (double)cfg.write_rate - now_s());
		if (tx_chunk(c, buf, off, len, nw, filefd, &rs))
			goto fail;
		off += len;
		nw++;
	}
	if (filefd >= 0)
		close(filefd);
	c->out_ok = true;
	if (cfg.end_mode == EM_SHUTDOWN || !c->want_out)
		shutdown(c->fd, SHUT_WR);
	return;
fail:
	if (filefd >= 0)
		close(filefd);
	shutdown(c->fd, SHUT_RDWR);	/* wake our reader: this connection failed */
}

static void *writer_main(void *arg)
{
	struct slot *s = arg;
	size_t bufsz = cfg.max_size ? cfg.max_size : 65536;
	unsigned char *buf;

	if (bufsz < 65536)
		bufsz = 65536;
	buf = malloc(bufsz);
	if (!buf)
		die("malloc");
	for (;;) {
		while (sem_wait(&s->go) && errno == EINTR)
			;
		if (s->quit)
			break;
		tx_run(&s->c, buf, bufsz);
		sem_post(&s->done);
	}
	free(buf);
	ring_put();
	return NULL;
}

/* ---------------------------------------------------------------- receiver */

struct rx {
	struct conn *c;
	int fd;
	int epfd;
	bool need_wait;		/* epoll-et: drained to EAGAIN, wait for the next edge */
	unsigned char *buf, *pbuf;
	uint64_t off;
};

/*
 * Wait until the socket is readable (poll, or epoll in the epoll modes). A 1 s
 * timeout is followed by a non-blocking MSG_PEEK: if data (>= the wake-up
 * threshold) or EOF was there all along, the wake-up was missed: counted.
 */
static int rx_wait(struct rx *r)
{
	unsigned char tmp[LOWAT];
	size_t thr = cfg.recv_mode == RM_RCVLOWAT ? LOWAT : 1;

	for (;;) {
		int rc;

		if (r->epfd >= 0) {
			struct epoll_event ev;

			rc = epoll_wait(r->epfd, &ev, 1, 1000);
		} else {
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN | POLLRDHUP };

			rc = poll(&pfd, 1, 1000);
		}
		if (rc > 0)
			return 0;
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		rc = (int)recv(r->fd, tmp, thr, MSG_PEEK | MSG_DONTWAIT);
		if (rc == 0 || (rc > 0 && (size_t)rc >= thr)) {
			atomic_fetch_add(&st.missed_wakeups, 1);
			return 0;
		}
		if (rc < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return 0;	/* let the read report it */
	}
}

/* read()/recv() on a blocking socket: spurious EAGAIN counted, waited, retried. */
static ssize_t rx_blocking(struct rx *r, void *buf, size_t len, int flags, bool use_read)
{
	for (;;) {
		double t0 = cfg.recv_mode == RM_RCVTIMEO ? now_s() : 0;
		ssize_t n = use_read ? read(r->fd, buf, len) : recv(r->fd, buf, len, flags);

		atomic_fetch_add(&st.recv_calls, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* rcvtimeo: a timeout takes 100 ms; an earlier EAGAIN is spurious */
			if (cfg.recv_mode == RM_RCVTIMEO && now_s() - t0 >= 0.09) {
				atomic_fetch_add(&st.rcvtimeo_timeouts, 1);
			} else {
				atomic_fetch_add(&st.eagain, 1);
				wait_fd(r->fd, POLLIN, 100);
			}
			continue;
		}
		return n;
	}
}

/* peek: MSG_PEEK up to len, then read the same amount; both must be the same. */
static ssize_t rx_peek(struct rx *r, size_t len)
{
	ssize_t p, n;
	size_t got = 0, i;

	p = rx_blocking(r, r->pbuf, len, MSG_PEEK, false);
	if (p <= 0)
		return p;
	while (got < (size_t)p) {
		n = rx_blocking(r, r->buf + got, (size_t)p - got, 0, true);
		if (n < 0 && !got)
			return n;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got < (size_t)p)
			atomic_fetch_add(&st.peek_short, 1);
	}
	if (memcmp(r->buf, r->pbuf, got)) {
		for (i = 0; r->buf[i] == r->pbuf[i]; i++)
			;
		report(r->c, r->c->k, (int64_t)(r->off + i), r->pbuf[i], r->buf[i], "peek-mismatch",
		       "PEEK MISMATCH at offset %" PRIu64 ": peeked 0x%02x, read 0x%02x",
		       r->off + i, r->pbuf[i], r->buf[i]);
		errno = EBADMSG;
		return -1;
	}
	return (ssize_t)got;
}

/* fionread: poll, FIONREAD, read exactly that many. */
static ssize_t rx_fionread(struct rx *r, size_t len)
{
	for (;;) {
		int avail = 0;
		ssize_t n;

		if (rx_wait(r))
			return -1;
		atomic_fetch_add(&st.fionread_calls, 1);
		if (ioctl(r->fd, FIONREAD, &avail) < 0)
			return -1;
		if (avail > 0) {
			size_t want = (size_t)avail < len ? (size_t)avail : len;

			n = rx_blocking(r, r->buf, want, 0, true);
			if (n >= 0 && (size_t)n < want)
				atomic_fetch_add(&st.fionread_over, 1);
			return n;
		}
		/* FIONREAD says 0: is there data or EOF anyway? */
		n = recv(r->fd, r->buf, len, MSG_DONTWAIT);
		atomic_fetch_add(&st.recv_calls, 1);
		if (n > 0)
			atomic_fetch_add(&st.fionread_zero, 1);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		atomic_fetch_add(&st.spurious_wakeups, 1);
	}
}

/* Non-blocking read after a readiness wait (nonblock, epoll-et, epoll-lt). */
static ssize_t rx_nonblock(struct rx *r, size_t len)
{
	for (;;) {
		ssize_t n;

		if (r->need_wait && rx_wait(r))
			return -1;
		n = read(r->fd, r->buf, len);
		atomic_fetch_add(&st.recv_calls, 1);
		if (n >= 0) {
			/* epoll-et drains to EAGAIN; the others wait (lt) or read (nonblock) */
			r->need_wait = cfg.recv_mode == RM_EPOLL_LT;
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (cfg.recv_mode == RM_EPOLL_LT && r->need_wait)
			atomic_fetch_add(&st.spurious_wakeups, 1);
		r->need_wait = true;
	}
}

static ssize_t rx_uring(struct rx *r, size_t len)
{
	for (;;) {
		ssize_t n = uring_io(r->fd, r->buf, len, false, 0);

		atomic_fetch_add(&st.recv_calls, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			atomic_fetch_add(&st.eagain, 1);
			wait_fd(r->fd, POLLIN, 100);
			continue;
		}
		return n;
	}
}

/* One read of up to len bytes into r->buf with the receive mode. */
static ssize_t rx_read(struct rx *r, size_t len)
{
	ssize_t n;

	switch (cfg.recv_mode) {
	case RM_READ:
	case RM_RCVTIMEO:
		return rx_blocking(r, r->buf, len, 0, true);
	case RM_RECV:
		return rx_blocking(r, r->buf, len, 0, false);
	case RM_PEEK:
		return rx_peek(r, len);
	case RM_WAITALL:
		n = rx_blocking(r, r->buf, len, MSG_WAITALL, false);
		if (n > 0 && (size_t)n < len)
			atomic_fetch_add(&st.waitall_short, 1);
		return n;
	case RM_RCVLOWAT:
		if (rx_wait(r))
			return -1;
		n = rx_blocking(r, r->buf, len, 0, true);
		if (n > 0 && (size_t)n < (len < LOWAT ? len : LOWAT) &&
		    r->off + (uint64_t)n < r->c->want_in)
			atomic_fetch_add(&st.lowat_short, 1);
		return n;
	case RM_FIONREAD:
		return rx_fionread(r, len);
	case RM_NONBLOCK:
	case RM_EPOLL_ET:
	case RM_EPOLL_LT:
		return rx_nonblock(r, len);
	case RM_URING:
		return rx_uring(r, len);
	}
	errno = EINVAL;
	return -1;
}

static int rx_setup(struct rx *r)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	struct timeval tv = { .tv_usec = 100000 };
	int lowat = LOWAT;

	r->epfd = -1;
	switch (cfg.recv_mode) {
	case RM_EPOLL_ET:
		ev.events |= EPOLLET;
		/* fall through */
	case RM_EPOLL_LT:
		r->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (r->epfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->fd, &ev))
			return -1;
		/* fall through */
	case RM_NONBLOCK:
		r->need_wait = cfg.recv_mode == RM_EPOLL_LT;
		return fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) | O_NONBLOCK);
	case RM_RCVLOWAT:
		return setsockopt(r->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
	case RM_RCVTIMEO:
		return setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	default:
		return 0;
	}
}

/* --read-delay, then --hold-file. */
static void rx_hold(void)
{
	sleep_s(cfg.read_delay);
	if (cfg.hold_file) {
		struct stat sb;

		while (stat(cfg.hold_file, &sb))
			sleep_s(0.01);
	}
}

/*
 * Read and verify c->want_in bytes of pattern c->seed_in, then EOF (shutdown
 * and close-unread), or a correct prefix then EOF/error (rst).
 */
static void rx_run(struct conn *c, struct rx *r)
{
	bool rst = cfg.end_mode == EM_RST;
	double t0, t_last;
	char b[32];

	rx_hold();
	t0 = t_last = now_s();
	r->off = 0;
	for (;;) {
		size_t len = cfg.read_size, i;
		ssize_t n;
		double t;

		if (cfg.read_rate) {
			size_t cap = (size_t)(cfg.read_rate / 20);

			if (len > cap)
				len = cap ? cap : 1;
			sleep_s(t0 + (double)r->off / (double)cfg.read_rate - now_s());
		}
		if (cfg.recv_mode == RM_WAITALL && r->off < c->want_in && len > c->want_in - r->off)
			len = (size_t)(c->want_in - r->off);
		n = rx_read(r, len);
		t = now_s();
		if (n >= 0 && r->off == c->want_in && n == 0)
			atomic_max(&st.max_eof_wait_us, (uint64_t)((t - t_last) * 1e6));
		else if (n > 0 && !cfg.read_rate)
			atomic_max(&st.max_gap_us, (uint64_t)((t - t_last) * 1e6));
		t_last = t;
		if (n < 0) {
			c->end = errno;
			if (atomic_load(&c->failed))
				return;
			if (rst)
				break;
			report(c, c->k, (int64_t)r->off, -1, -1, "recv",
			       "%s at offset %" PRIu64 " of %" PRIu64 ": %s (%s)",
			       recv_names[cfg.recv_mode], r->off, c->want_in, strerror(errno),
			       end_name(errno, b, sizeof(b)));
			return;
		}
		if (n == 0) {
			c->end = 0;
			if (r->off < c->want_in && !rst) {
				report(c, c->k, (int64_t)r->off, pattern_byte(c->seed_in, r->off), -1,
				       "short", "SHORT: EOF after %" PRIu64 " of %" PRIu64 " bytes",
				       r->off, c->want_in);
				return;
			}
			break;
		}
		if (r->off + (uint64_t)n > c->want_in) {
			uint64_t x = r->off > c->want_in ? r->off : c->want_in;

			report(c, c->k, (int64_t)x, -1, r->buf[x - r->off], "extra",
			       "MISMATCH at offset %" PRIu64 ": expected EOF got 0x%02x (more than %"
			       PRIu64 " bytes)", x, r->buf[x - r->off], c->want_in);
			return;
		}
		i = pattern_check(c->seed_in, r->off, r->buf, (size_t)n);
		if (i < (size_t)n) {
			uint64_t x = r->off + i;

			report(c, c->k, (int64_t)x, pattern_byte(c->seed_in, x), r->buf[i], "mismatch",
			       "MISMATCH at offset %" PRIu64 ": expected 0x%02x got 0x%02x (%s, %s)",
			       x, pattern_byte(c->seed_in, x), r->buf[i], recv_names[cfg.recv_mode],
			       cfg.role == ROLE_SERVER ? "client->server" : "server->client");
			return;
		}
		r->off += (uint64_t)n;
		atomic_store(&c->got, r->off);
		atomic_fetch_add(&st.bytes_received, (uint64_t)n);
	}
	c->in_ok = true;
}

/* ---------------------------------------------------------------- connections */

/* After the handshake: start the writer, read, wait for the writer, end, close. */
static void conn_run(struct slot *s, struct rx *r)
{
	struct conn *c = &s->c;
	bool reads = c->want_in || cfg.end_mode == EM_SHUTDOWN;
	struct linger lg = { 1, 0 };

	r->c = c;
	r->fd = c->fd;
	r->epfd = -1;
	if (reads && rx_setup(r)) {
		report(c, c->k, -1, -1, -1, "setup", "%s setup: %s", recv_names[cfg.recv_mode],
		       strerror(errno));
		reads = false;
		shutdown(c->fd, SHUT_RDWR);
	}
	sem_post(&s->go);
	if (reads)
		rx_run(c, r);
	else if (!atomic_load(&c->failed))
		c->in_ok = true;
	atomic_store(&c->rx_done, true);
	if (!c->in_ok)
		shutdown(c->fd, SHUT_RDWR);	/* wake the writer: this connection failed */
	while (sem_wait(&s->done) && errno == EINTR)
		;
	if (cfg.end_mode == EM_RST && c->want_out &&
	    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		report(c, c->k, -1, -1, -1, "setup", "SO_LINGER: %s", strerror(errno));
	if (r->epfd >= 0)
		close(r->epfd);
	close(c->fd);
}

static void conn_finish(struct conn *c)
{
	bool ok = c->in_ok && c->out_ok && !atomic_load(&c->failed);

	if (c->k >= 0) {
		struct result *res = &results[c->k];

		res->used = true;
		res->ok = ok;
		res->received = atomic_load(&c->got);
		res->want_in = c->want_in;
		res->end = c->end;
	}
	atomic_fetch_add(ok ? &st.conns_ok : &st.conns_failed, 1);
	atomic_fetch_add(&st.conns_done, 1);
}

static void conn_init(struct conn *c, long k, int fd, uint64_t seed)
{
	c->k = k;
	c->fd = fd;
	c->seed_in = cfg.role == ROLE_SERVER ? seed : seed + S2C_SEED_OFF;
	c->seed_out = cfg.role == ROLE_SERVER ? seed + S2C_SEED_OFF : seed;
	c->want_in = c->want_out = 0;
	if (cfg.dir != DIR_S2C)
		*(cfg.role == ROLE_SERVER ? &c->want_in : &c->want_out) = cfg.bytes;
	if (cfg.dir != DIR_C2S)
		*(cfg.role == ROLE_SERVER ? &c->want_out : &c->want_in) = cfg.bytes;
	atomic_store(&c->got, 0);
	atomic_store(&c->sent, 0);
	c->in_ok = c->out_ok = false;
	c->end = -1;
	atomic_store(&c->failed, false);
	c->acked = false;
	atomic_store(&c->rx_done, false);
}

static void client_conn(struct slot *s, struct rx *r, long k)
{
	struct conn *c = &s->c;
	unsigned char h[HDR_LEN];
	uint64_t seed = cfg.seed + (uint64_t)k;
	int fd, err;
	size_t n;

	conn_init(c, k, -1, seed);
	fd = socket(peer_ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		report(c, k, -1, -1, -1, "connect", "socket: %s", strerror(errno));
		goto fail;
	}
	if (cfg.nodelay)
		set_nodelay(fd);
	while (connect(fd, (void *)&peer_ss, peer_len)) {
		if (errno == EINTR)
			continue;
		report(c, k, -1, -1, -1, "connect", "connect: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	c->fd = fd;
	put_le64(h, cfg.now ? MAGIC_NOW : MAGIC_SYNC);
	put_le64(h + 8, seed);
	if (write_all(fd, h, HDR_LEN)) {
		report(c, k, -1, -1, -1, "header", "sending the header: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	if (!cfg.now) {
		n = read_exact(fd, h, HDR_LEN, &err);
		if (n < HDR_LEN || get_le64(h) != MAGIC_ACK || get_le64(h + 8) != seed) {
			char b[32];

			if (n < HDR_LEN)
				report(c, k, (int64_t)n, -1, -1, "ack", "ack: %s after %zu of %d bytes",
				       end_name(err, b, sizeof(b)), n, HDR_LEN);
			else
				report(c, k, -1, -1, -1, "ack", "bad ack: magic 0x%016" PRIx64
				       " seed %" PRIu64 " (expected %" PRIu64 ")", get_le64(h),
				       get_le64(h + 8), seed);
			close(fd);
			goto fail;
		}
		/* Nothing of ours follows (--direction s2c): say "go" with one
		 * byte, so that the server sends once we have read its ack. */
		if (!c->want_out && write_all(fd, (unsigned char *)"G", 1)) {
			report(c, k, -1, -1, -1, "header", "sending go: %s", strerror(errno));
			close(fd);
			goto fail;
		}
	}
	conn_run(s, r);
	conn_finish(c);
	return;
fail:
	conn_finish(c);
}

/* Does h[0..n) start like one of our headers? (rst: a reset may cut it short) */
static bool header_prefix_ok(const unsigned char *h, size_t n)
{
	unsigned char m[8];

	put_le64(m, MAGIC_SYNC);
	if (!memcmp(h, m, n < 7 ? n : 7))	/* SYNC and NOW differ in byte 7 only */
		return n < 8 || h[7] == '1' || h[7] == '2';
	return false;
}

static void server_conn(struct slot *s, struct rx *r, long ticket, int fd)
{
	struct conn *c = &s->c;
	unsigned char h[HDR_LEN], m[8];
	uint64_t magic, seed;
	size_t n, i;
	long k;
	int err;
	char b[32];

	conn_init(c, -1, fd, 0);
	if (cfg.nodelay)
		set_nodelay(fd);
	n = read_exact(fd, h, HDR_LEN, &err);
	if (n < HDR_LEN) {
		if (cfg.end_mode == EM_RST && header_prefix_ok(h, n)) {
			/* reset before the header was complete: an empty correct prefix */
			c->in_ok = c->out_ok = true;
		} else {
			report(c, -1, (int64_t)n, -1, -1, "header",
			       "accepted connection %ld: %s after %zu of %d header bytes", ticket,
			       end_name(err, b, sizeof(b)), n, HDR_LEN);
		}
		close(fd);
		conn_finish(c);
		return;
	}
	magic = get_le64(h);
	seed = get_le64(h + 8);
	if (magic != MAGIC_SYNC && magic != MAGIC_NOW) {
		put_le64(m, MAGIC_SYNC);
		for (i = 0; i < 7 && h[i] == m[i]; i++)
			;
		report(c, -1, (int64_t)i, m[i], h[i], "header",
		       "accepted connection %ld: bad header magic 0x%016" PRIx64
		       ": not an sa-integrity stream, or bytes of another stream (misdelivery)",
		       ticket, magic);
		close(fd);
		conn_finish(c);
		return;
	}
	if (seed < cfg.seed || seed - cfg.seed >= (uint64_t)cfg.conns) {
		report(c, -1, -1, -1, -1, "misdelivery",
		       "accepted connection %ld: MISDELIVERY: seed %" PRIu64 " not in [%" PRIu64
		       ", %" PRIu64 ")", ticket, seed, cfg.seed, cfg.seed + (uint64_t)cfg.conns);
		close(fd);
		conn_finish(c);
		return;
	}
	k = (long)(seed - cfg.seed);
	if (atomic_exchange(&seen[k], 1)) {
		report(c, k, -1, -1, -1, "duplicate",
		       "accepted connection %ld: seed %" PRIu64 " seen twice", ticket, seed);
		close(fd);
		conn_finish(c);
		return;
	}
	conn_init(c, k, fd, seed);
	if (magic == MAGIC_SYNC) {
		put_le64(h, MAGIC_ACK);
		if (write_all(fd, h, HDR_LEN)) {
			report(c, k, -1, -1, -1, "ack", "sending the ack: %s", strerror(errno));
			close(fd);
			conn_finish(c);
			return;
		}
		c->acked = true;
		/* --direction s2c: the client's "go" (it has read the ack). */
		if (!c->want_in && (read_exact(fd, h, 1, &err) != 1 || h[0] != 'G')) {
			report(c, k, -1, -1, -1, "ack", "no go byte after the ack");
			close(fd);
			conn_finish(c);
			return;
		}
	}
	conn_run(s, r);
	conn_finish(c);
}

static void *slot_main(void *arg)
{
	struct slot *s = arg;
	struct rx r = { 0 };
	size_t sz = cfg.read_size > LOWAT ? cfg.read_size : LOWAT;

	r.buf = malloc(sz);
	r.pbuf = malloc(sz);
	if (!r.buf || !r.pbuf)
		die("malloc");
	for (;;) {
		long k = atomic_fetch_add(&next_conn, 1);

		if (k >= cfg.conns)
			break;
		atomic_store(&s->busy, true);
		if (cfg.role == ROLE_CLIENT) {
			client_conn(s, &r, k);
		} else {
			int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

			while (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
				fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0) {
				report(NULL, -1, -1, -1, -1, "accept", "accept: %s", strerror(errno));
				atomic_fetch_add(&st.conns_failed, 1);
				atomic_fetch_add(&st.conns_done, 1);
			} else {
				server_conn(s, &r, k, fd);
			}
		}
		atomic_store(&s->busy, false);
	}
	s->quit = true;
	sem_post(&s->go);
	pthread_join(s->wt, NULL);
	free(r.buf);
	free(r.pbuf);
	ring_put();
	return NULL;
}

/* ---------------------------------------------------------------- main */

static bool uses_uring(void)
{
	return cfg.send_mode == SM_URING || cfg.recv_mode == RM_URING;
}

static int listen_on(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	resolve(cfg.addr, cfg.port, &ss, &sl);
	listen_fd = listen_tcp(&ss, sl, cfg.addr, cfg.port, 4096);
	return listen_fd < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	pthread_t wd;
	char why[128];
	long i;

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return EXIT_USAGE;
	signal(SIGPIPE, SIG_IGN);
	if (uses_uring() && uring_probe(why, sizeof(why))) {
		fprintf(stderr, TOOL_NAME ": io_uring unavailable: %s\n", why);
		return EXIT_DATA;
	}
	if (cfg.probe) {
		if (!cfg.quiet)
			printf("%s: modes usable here\n", role_name());
		return 0;
	}
	results = calloc((size_t)cfg.conns, sizeof(*results));
	seen = calloc((size_t)cfg.conns, sizeof(*seen));
	nslots = cfg.parallel < cfg.conns ? cfg.parallel : cfg.conns;
	slots = calloc((size_t)nslots, sizeof(*slots));
	if (!results || !seen || !slots)
		die("calloc");
	if (cfg.role == ROLE_SERVER) {
		if (listen_on())
			return EXIT_DATA;
		if (!cfg.quiet && !cfg.json)
			printf("server: listening on %s port %d\n", cfg.addr, cfg.port);
	} else {
		resolve(cfg.addr, cfg.port, &peer_ss, &peer_len);
	}
	fflush(stdout);
	if (cfg.timeout > 0 && pthread_create(&wd, NULL, watchdog, NULL))
		die("pthread_create");
	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];

		s->id = (int)i;
		s->c.k = -1;
		if (sem_init(&s->go, 0, 0) || sem_init(&s->done, 0, 0))
			die("sem_init");
		errno = pthread_create(&s->wt, NULL, writer_main, s);
		if (errno)
			die("pthread_create");
		errno = pthread_create(&s->rt, NULL, slot_main, s);
		if (errno)
			die("pthread_create");
	}
	for (i = 0; i < nslots; i++) {
		pthread_join(slots[i].rt, NULL);
		sem_destroy(&slots[i].go);
		sem_destroy(&slots[i].done);
	}
	if (listen_fd >= 0)
		close(listen_fd);
	if (cfg.timeout > 0) {
		pthread_cancel(wd);	/* or it has fired: then it _exit()s */
		pthread_join(wd, NULL);
	}
	print_summary(false);
	i = C(conns_ok) == cfg.conns && !errors_total;
	free(results);
	free(seen);
	free(slots);
	free(cfg.sizes);
	return i ? 0 : EXIT_DATA;
}
