// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "feature_table.h"
#include "output.h"

const struct sa_feature_desc sa_features[SA_FEAT_MAX] = {
	[SA_FEAT_RX_TRACK] = {
		.key = "read_accounting",
		.title = "read accounting",
		.lost_off = "reads are not counted: a direction that moved to TCP never comes back to "
			    "redirect; the unread bound caps what a direction redirects in all; the "
			    "stream rule (64 sends without a read) is off; detach/teardown wait for "
			    "connections that ever received redirected data to close",
		.impls = {
			{ "tp_btf/sock_recv_length", "Linux 6.3+ with BTF", { "sa_rx_track" }, NULL },
			{ "fexit/inet_recvmsg+inet6_recvmsg", "tracing programs (fexit), Linux 5.5+",
			  { "sa_rx_fexit4", "sa_rx_fexit6" }, NULL },
		},
		.n_impls = 2,
	},
	[SA_FEAT_SOCK_DESTROY] = {
		.key = "destroy_hook",
		.title = "destroy hook",
		.lost_off = "read accounting of closed sockets is freed only by LRU eviction: new "
			    "connections may evict (slower setup at scale) and, under heavy churn, a "
			    "live connection may lose its entry and continue on TCP",
		.impls = {
			{ "tp_btf/tcp_destroy_sock", "BTF", { "sa_sock_destroy" }, NULL },
		},
		.n_impls = 1,
	},
	[SA_FEAT_CONNS] = {
		.key = "conns_listing",
		.title = "conns listing",
		.lost_off = NULL,	/* the sock_map walk always works */
		.impls = {
			{ "iter/bpf_sk_storage_map", "map-element iterators, Linux 5.9+",
			  { "sa_conns_iter" }, NULL },
			{ "iter/tcp", "TCP iterators, Linux 5.9+", { "sa_conns_tcp" },
			  "sockets are found one network namespace at a time, through /proc and "
			  "namespace mounts; a socket of a namespace no process holds shows "
			  "without its state (from sock_map)" },
			{ "sock_map walk", "nothing", { NULL },
			  "only sockets in sock_map are listed, without mode, reason, counters or "
			  "process name" },
		},
		.n_impls = 3,
	},
	[SA_FEAT_PROC_NAMES] = {
		.key = "process_names",
		.title = "process names",
		.lost_off = "--exclude-comm cannot be used and conns shows no process names",
		.impls = {
			{ "cgroup/sock_create", "CONFIG_CGROUP_BPF", { "sa_sock_create" }, NULL },
		},
		.n_impls = 1,
	},
	[SA_FEAT_SPLICE_DETECT] = {
		.key = "splice_detection",
		.title = "splice detection",
		.lost_off = "a program that reads a socket with recv() and then splice()s it is not "
			    "seen: bytes redirected before its first splice() stay invisible to splice "
			    "(docs/limitations.md); programs that only splice are still never redirected "
			    "to, and --splicers still applies",
		.impls = {
			{ "fentry/tcp_splice_read", "tracing programs (fentry), Linux 5.5+",
			  { "sa_splice_fentry" }, NULL },
			{ "tp/syscalls/sys_enter_splice", "syscall tracepoints and tracefs",
			  { "sa_splice_tp" },
			  "io_uring's splice (IORING_OP_SPLICE) is not seen (no system call)" },
		},
		.n_impls = 2,
	},
};

bool sa_feature_forced_missing(const char *name)
{
	const char *m = getenv("SOCKACCEL_TEST_MISSING_FEATURE");
	size_t len = strlen(name);

	while (m && *m) {
		const char *end = strchr(m, ',');
		size_t n = end ? (size_t)(end - m) : strlen(m);

		if (n == len && !strncmp(m, name, n))
			return true;
		m = end ? end + 1 : NULL;
	}
	return false;
}

int sa_features_read(const struct sa_pins *p, struct sa_feature_state st[SA_FEAT_MAX])
{
	int fd = sa_pin_open(p, SA_PIN_FEATURES), r = 0;

	if (fd < 0)
		return fd;
	for (__u32 i = 0; i < SA_FEAT_MAX && !r; i++) {
		if (!bpf_map_lookup_elem(fd, &i, &st[i]))
			continue;
		r = -errno;
		/* A load by a build that knew fewer features: the rest are off. */
		if (r == -ENOENT && i > 0) {
			memset(&st[i], 0, sizeof(st[i]));
			st[i].impl = SA_IMPL_OFF;
			r = 0;
		}
	}
	close(fd);
	return r;
}

int sa_features_pin(const struct sa_pins *p, const struct sa_feature_state st[SA_FEAT_MAX])
{
	char path[PATH_MAX];
	int fd, r = 0;

	/* User space only: no program reads it, so it is not in the skeleton
	 * (an --upgrade from a build without it keeps working). */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sa_features", sizeof(__u32),
			    sizeof(struct sa_feature_state), SA_FEAT_MAX, NULL);
	if (fd < 0)
		return -errno;
	for (__u32 i = 0; i < SA_FEAT_MAX && !r; i++)
		if (bpf_map_update_elem(fd, &i, &st[i], BPF_ANY))
			r = -errno;
	sa_pin_path(p, SA_PIN_FEATURES, path, sizeof(path));
	if (!r && bpf_obj_pin(fd, path))
		r = -errno;
	close(fd);
	return r;
}

const char *sa_feature_impl_name(enum sa_feature f, const struct sa_feature_state *st)
{
	return st->impl < sa_features[f].n_impls ? sa_features[f].impls[st->impl].name : "off";
}

static void impl_error(const struct sa_feature_impl *im, const struct sa_feature_state *st,
		       unsigned int i, char *buf, size_t len)
{
	if (st->forced & (1u << i))
		snprintf(buf, len, "reported missing (SOCKACCEL_TEST_MISSING_FEATURE)");
	else if (st->err[i] == -ENOENT || st->err[i] == -ESRCH)
		snprintf(buf, len, "not in this kernel (needs %s)", im->needs);
	else
		snprintf(buf, len, "%s", strerror(-st->err[i]));
}

void sa_feature_print_row(const char *key, int in_use, const char *const names[],
			  const char *const errors[], unsigned int n, const char *loses)
{
	bool first = true;

	open_json_object(NULL);
	print_string("name", "    %-17s", key);
	if (in_use >= 0)
		print_string("in_use", " %s", names[in_use]);
	else
		print_null("in_use", " off");
	/* Why a better implementation is not used. */
	open_json_array("implementations", NULL);
	for (unsigned int i = 0; i < n; i++) {
		open_json_object(NULL);
		print_string("name", NULL, names[i]);
		print_bool("available", NULL, !errors[i]);
		if (errors[i]) {
			print_string("error", NULL, errors[i]);
			if (in_use < 0 || i < (unsigned int)in_use) {
				print_text("%s%s: %s", !first ? "; " : in_use >= 0 ? " (not " : " (",
					   names[i], errors[i]);
				first = false;
			}
		}
		close_json_object();
	}
	close_json_array(NULL);
	if (!first)
		print_text(")");
	if (loses)
		print_string("loses", "\n                      loses: %s", loses);
	else
		print_null("loses", NULL);
	print_text("\n");
	close_json_object();
}

void sa_features_print(const struct sa_feature_state st[SA_FEAT_MAX], void (*more)(void))
{
	char why[SA_FEAT_MAX_IMPLS][256];

	open_json_array("features", "features:\n");
	for (int f = 0; f < SA_FEAT_MAX; f++) {
		const struct sa_feature_desc *d = &sa_features[f];
		const char *names[SA_FEAT_MAX_IMPLS], *errors[SA_FEAT_MAX_IMPLS];
		bool on = st[f].impl < d->n_impls;

		for (unsigned int i = 0; i < d->n_impls; i++) {
			names[i] = d->impls[i].name;
			errors[i] = NULL;
			if (st[f].err[i] || (st[f].forced & (1u << i))) {
				impl_error(&d->impls[i], &st[f], i, why[i], sizeof(why[i]));
				errors[i] = why[i];
			}
		}
		sa_feature_print_row(d->key, on ? (int)st[f].impl : -1, names, errors, d->n_impls,
				     on ? d->impls[st[f].impl].lost : d->lost_off);
	}
	if (more)
		more();
	close_json_array(NULL);
}
