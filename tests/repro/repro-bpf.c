// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * repro-bpf: load the reproducer's BPF programs (repro.bpf.c), attach what the
 * mode asks for, and keep them attached until SIGINT/SIGTERM. Everything is
 * attached through bpf links or to a map this process owns, so nothing
 * outlives the process (no pins), even after SIGKILL.
 *
 *   repro-bpf --mode MODE [--cgroup DIR] [--msg] [--netns-ino N]
 *             [--trace FILE] [--trace-rx] [--passive-cb OP]
 *
 *   MODE: plain   nothing attached to the cgroup (tracing only)
 *         noop    sockops program that inserts nothing
 *         passive insert at PASSIVE_ESTABLISHED_CB only
 *         active  insert at ACTIVE_ESTABLISHED_CB only
 *         both    insert at both (what every sockmap accelerator does)
 *   --msg        also attach the sk_msg redirect program to the map
 *   --guard      attach the reset guard (cgroup_skb/ingress, see repro.bpf.c)
 *   --trace F    write resets / state changes / SYN-ACK retransmits of netns N
 *                (inode of /proc/PID/ns/net) to F, kernel stacks symbolized
 *
 * Prints "ready" on stdout once attached; on exit prints the counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "repro.skel.h"

#define STACK_DEPTH 32
struct ev {
	unsigned long long ts;
	unsigned int type, cpu;
	int a, b;
	unsigned short lport, rport;
	unsigned int seq, ack;
	unsigned short len;
	unsigned char flags, pad;
	unsigned long long skaddr;
	int nstack;
	unsigned long long stack[STACK_DEPTH];
};

static volatile sig_atomic_t stop;
static FILE *trace_out;

struct ksym { unsigned long long addr; char *name; };
static struct ksym *ksyms;
static size_t nksyms;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256], t;
	unsigned long long a;
	size_t cap = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &a, &t, name) != 3 || !a)
			continue;
		if (t != 't' && t != 'T' && t != 'W' && t != 'w')
			continue;
		if (nksyms == cap) {
			cap = cap ? cap * 2 : 65536;
			ksyms = realloc(ksyms, cap * sizeof(*ksyms));
		}
		ksyms[nksyms].addr = a;
		ksyms[nksyms].name = strdup(name);
		nksyms++;
	}
	fclose(f);
	qsort(ksyms, nksyms, sizeof(*ksyms), ksym_cmp);
}

static const char *ksym_name(unsigned long long a, unsigned long long *off)
{
	size_t lo = 0, hi = nksyms;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (ksyms[mid].addr <= a)
			lo = mid;
		else
			hi = mid;
	}
	if (!nksyms || ksyms[lo].addr > a)
		return "?";
	*off = a - ksyms[lo].addr;
	return ksyms[lo].name;
}

static const char *type_name[] = { "?", "SEND_RST", "RECV_RST", "STATE", "SYNACK_RTX", "RX" };

static int on_event(void *ctx, void *data, size_t len)
{
	const struct ev *e = data;
	int i, n;

	fprintf(trace_out, "%llu cpu%u %s l=%u r=%u a=%d b=%d seq=%u ack=%u fl=0x%02x len=%u sk=%llx",
		e->ts, e->cpu, e->type < 6 ? type_name[e->type] : "?", e->lport, e->rport,
		e->a, e->b, e->seq, e->ack, e->flags, e->len, e->skaddr);
	n = e->nstack > 0 ? e->nstack / 8 : 0;
	for (i = 0; i < n && i < STACK_DEPTH; i++) {
		unsigned long long off = 0;
		const char *s = ksym_name(e->stack[i], &off);

		fprintf(trace_out, "%s%s+0x%llx", i ? " <- " : " | ", s, off);
	}
	fputc('\n', trace_out);
	return 0;
}

static void on_sig(int s) { stop = 1; }

static void usage(void)
{
	fprintf(stderr, "usage: repro-bpf --mode plain|noop|passive|active|both [--cgroup DIR] "
		"[--msg] [--guard] [--netns-ino N] [--trace FILE] [--trace-rx] [--passive-cb OP]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, 0, 'm' },
		{ "cgroup", required_argument, 0, 'c' },
		{ "msg", no_argument, 0, 'M' },
		{ "netns-ino", required_argument, 0, 'n' },
		{ "trace", required_argument, 0, 't' },
		{ "trace-rx", no_argument, 0, 'r' },
		{ "passive-cb", required_argument, 0, 'p' },
		{ "guard", no_argument, 0, 'g' },
		{ 0 }
	};
	const char *mode = NULL, *cgroup = NULL, *trace = NULL;
	int msg = 0, trace_rx = 0, guard = 0, o, cg_fd = -1, err;
	unsigned long netns_ino = 0, passive_cb = 0;
	struct ring_buffer *rb = NULL;
	struct repro_bpf *skel;
	unsigned int mask;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'm': mode = optarg; break;
		case 'c': cgroup = optarg; break;
		case 'M': msg = 1; break;
		case 'n': netns_ino = strtoul(optarg, NULL, 0); break;
		case 't': trace = optarg; break;
		case 'r': trace_rx = 1; break;
		case 'p': passive_cb = strtoul(optarg, NULL, 0); break;
		case 'g': guard = 1; break;
		default: usage();
		}
	}
	if (!mode)
		usage();
	if (!strcmp(mode, "plain") || !strcmp(mode, "noop"))
		mask = 0;
	else if (!strcmp(mode, "passive"))
		mask = 1;
	else if (!strcmp(mode, "active"))
		mask = 2;
	else if (!strcmp(mode, "both"))
		mask = 3;
	else
		usage();
	if ((strcmp(mode, "plain") || guard) && !cgroup)
		usage();

	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	skel = repro_bpf__open();
	if (!skel) {
		fprintf(stderr, "repro-bpf: open failed\n");
		return 1;
	}
	skel->rodata->insert_mask = mask;
	skel->rodata->netns_ino = netns_ino;
	skel->rodata->want_rx = trace_rx;
	skel->rodata->passive_cb = passive_cb;
	if (!trace) {
		bpf_program__set_autoload(skel->progs.trace_send_reset, false);
		bpf_program__set_autoload(skel->progs.trace_recv_reset, false);
		bpf_program__set_autoload(skel->progs.trace_state, false);
		bpf_program__set_autoload(skel->progs.trace_synack_retrans, false);
		bpf_program__set_autoload(skel->progs.trace_rx, false);
	} else if (!trace_rx) {
		bpf_program__set_autoload(skel->progs.trace_rx, false);
	}
	err = repro_bpf__load(skel);
	if (err) {
		fprintf(stderr, "repro-bpf: load failed: %d\n", err);
		return 1;
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);

	if (trace) {
		trace_out = fopen(trace, "w");
		if (!trace_out) {
			perror(trace);
			return 1;
		}
		ksyms_load();
		if (!bpf_program__attach(skel->progs.trace_send_reset) ||
		    !bpf_program__attach(skel->progs.trace_recv_reset) ||
		    !bpf_program__attach(skel->progs.trace_state) ||
		    !bpf_program__attach(skel->progs.trace_synack_retrans) ||
		    (trace_rx && !bpf_program__attach(skel->progs.trace_rx))) {
			fprintf(stderr, "repro-bpf: attaching the tracepoints failed\n");
			return 1;
		}
		rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
		if (!rb) {
			fprintf(stderr, "repro-bpf: ring buffer failed\n");
			return 1;
		}
	}
	if (msg) {
		err = bpf_prog_attach(bpf_program__fd(skel->progs.repro_sk_msg),
				      bpf_map__fd(skel->maps.sock_hash), BPF_SK_MSG_VERDICT, 0);
		if (err) {
			fprintf(stderr, "repro-bpf: sk_msg attach failed: %s\n", strerror(errno));
			return 1;
		}
	}
	if (strcmp(mode, "plain")) {
		cg_fd = open(cgroup, O_RDONLY | O_DIRECTORY);
		if (cg_fd < 0) {
			perror(cgroup);
			return 1;
		}
		/* a link: detached when this process exits, however it exits */
		if (!bpf_program__attach_cgroup(skel->progs.repro_sockops, cg_fd)) {
			fprintf(stderr, "repro-bpf: sockops attach failed: %s\n", strerror(errno));
			return 1;
		}
	}
	if (guard) {
		if (cg_fd < 0)
			cg_fd = open(cgroup, O_RDONLY | O_DIRECTORY);
		if (cg_fd < 0 || !bpf_program__attach_cgroup(skel->progs.repro_rst_guard, cg_fd)) {
			fprintf(stderr, "repro-bpf: guard attach failed: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		if (rb)
			ring_buffer__poll(rb, 200);
		else
			usleep(200000);
	}
	if (rb) {
		ring_buffer__consume(rb);
		fflush(trace_out);
	}
	{
		const char *names[] = { "inserted", "insert_failed", "redirected", "passed", "sockops_runs",
					"trace_events_lost", "guard_dropped_rst", "guard_passed_rst" };
		__u64 v;
		__u32 i;

		for (i = 0; i < 8; i++) {
			v = 0;
			bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &i, &v);
			printf("%s=%llu%s", names[i], (unsigned long long)v, i < 7 ? " " : "\n");
		}
	}
	repro_bpf__destroy(skel);
	return 0;
}
