// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe.h"

#define SA_TRACEFS "/sys/kernel/tracing"

/* Is prog part of some feature's implementation (i.e. optional)? */
static bool optional_prog(const char *name)
{
	for (int f = 0; f < SA_FEAT_MAX; f++)
		for (unsigned int i = 0; i < sa_features[f].n_impls; i++)
			for (int k = 0; sa_features[f].impls[i].progs[k]; k++)
				if (!strcmp(sa_features[f].impls[i].progs[k], name))
					return true;
	return false;
}

static void autoload_impl(struct sockaccel_bpf *skel, const struct sa_feature_impl *im, bool on)
{
	for (int k = 0; im->progs[k]; k++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, im->progs[k]);

		if (prog)
			bpf_program__set_autoload(prog, on);
	}
}

void sa_probe_select_programs(struct sockaccel_bpf *skel, const struct sa_feature_state st[SA_FEAT_MAX])
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj)
		if (optional_prog(bpf_program__name(prog)))
			bpf_program__set_autoload(prog, false);
	for (int f = 0; f < SA_FEAT_MAX; f++)
		if (st && st[f].impl < sa_features[f].n_impls)
			autoload_impl(skel, &sa_features[f].impls[st[f].impl], true);
}

struct bpf_link *sa_probe_attach(struct sockaccel_bpf *skel, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, iter_opts);
	union bpf_iter_link_info linfo = {};

	if (prog != skel->progs.sa_conns_iter)
		return bpf_program__attach(prog);
	linfo.map.map_fd = bpf_map__fd(skel->maps.sock_state);
	iter_opts.link_info = &linfo;
	iter_opts.link_info_len = sizeof(linfo);
	return bpf_program__attach_iter(prog, &iter_opts);
}

/* 0 when the implementation's programs load and attach here, else -errno. */
static int probe_impl(const struct sa_feature_impl *im)
{
	struct bpf_link *links[3] = {};
	struct sockaccel_bpf *skel;
	int r, k;

	if (!im->progs[0])
		return 0;
	skel = sockaccel_bpf__open();
	if (!skel)
		return -errno;
	/* Throw-away maps: keep them small (rx_progress is preallocated). */
	bpf_map__set_max_entries(skel->maps.sock_map, 64);
	bpf_map__set_max_entries(skel->maps.rx_progress, 64);
	sa_probe_select_programs(skel, NULL);
	bpf_program__set_autoload(skel->progs.sa_sockops, false);
	bpf_program__set_autoload(skel->progs.sa_sk_msg, false);
	autoload_impl(skel, im, true);
	r = sockaccel_bpf__load(skel);
	for (k = 0; !r && im->progs[k]; k++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, im->progs[k]);

		/* cgroup programs need a cgroup to attach to: loading is the probe */
		if (bpf_program__type(prog) != BPF_PROG_TYPE_TRACING &&
		    bpf_program__type(prog) != BPF_PROG_TYPE_TRACEPOINT)
			continue;
		links[k] = sa_probe_attach(skel, prog);
		if (!links[k])
			r = -errno;
	}
	for (k = 0; k < 3; k++)
		bpf_link__destroy(links[k]);
	sockaccel_bpf__destroy(skel);
	return r;
}

/* libbpf attaches tp/ programs through tracefs, which some systems do not
 * mount (ours: docs/kernels.md). Mount it at its standard place if nothing is
 * mounted there; a failure only means the tracepoint probes fail. */
static void tracefs_ensure(void)
{
	struct statfs s;

	if (!statfs(SA_TRACEFS, &s) && s.f_type == TRACEFS_MAGIC)
		return;
	if (!access(SA_TRACEFS, F_OK))
		mount("tracefs", SA_TRACEFS, "tracefs", 0, NULL);
}

void sa_probe_feature(enum sa_feature f, struct sa_feature_state *st)
{
	/* libbpf's own messages about a refused program are expected here. */
	libbpf_print_fn_t old = libbpf_set_print(NULL);

	tracefs_ensure();
	memset(st, 0, sizeof(*st));
	st->impl = SA_IMPL_OFF;
	for (unsigned int i = 0; i < sa_features[f].n_impls; i++) {
		const struct sa_feature_impl *im = &sa_features[f].impls[i];

		if (sa_feature_forced_missing(im->name)) {
			st->forced |= 1u << i;
			st->err[i] = -EOPNOTSUPP;
		} else {
			st->err[i] = probe_impl(im);
		}
		if (!st->err[i] && st->impl == SA_IMPL_OFF)
			st->impl = i;
	}
	libbpf_set_print(old);
}

void sa_probe_features(struct sa_feature_state st[SA_FEAT_MAX])
{
	for (int f = 0; f < SA_FEAT_MAX; f++)
		sa_probe_feature(f, &st[f]);
}
