// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sockaccel.skel.h"
#include "load.h"
#include "probe.h"
#include "test_hook.h"

#define STEP_FAIL(r, fmt, ...) do {					\
		snprintf(err, errlen, fmt ": %s", ##__VA_ARGS__, strerror(-(r)));	\
		goto out;						\
	} while (0)

static int pin_map(const struct sa_pins *p, struct bpf_map *m, const char *name)
{
	char path[PATH_MAX];
	int r;

	sa_pin_path(p, name, path, sizeof(path));
	if ((r = bpf_map__pin(m, path)))
		return r;
	sa_test_step("pin-map:%s", name);
	return 0;
}

static int pin_prog(const struct sa_pins *p, struct bpf_program *prog, const char *name)
{
	char path[PATH_MAX];
	int r;

	sa_pin_path(p, name, path, sizeof(path));
	if ((r = bpf_program__pin(prog, path)))
		return r;
	sa_test_step("pin-prog:%s", name);
	return 0;
}

/* Pin a fresh link; the pin keeps it attached after this process exits. */
static int pin_link(const struct sa_pins *p, struct bpf_link *link, const char *name)
{
	char path[PATH_MAX];
	int r;

	if (!link)
		return -errno;
	sa_pin_path(p, name, path, sizeof(path));
	r = bpf_link__pin(link, path);
	bpf_link__destroy(link);	/* closes our fd only: the link stays pinned */
	if (!r)
		sa_test_step("pin-link:%s", name);
	return r;
}

/* Every map of the skeleton, with its pin name. */
#define SA_SKEL_MAPS(skel) {						\
	{ (skel)->maps.sock_map, SA_PIN_SOCK_MAP },			\
	{ (skel)->maps.counters, SA_PIN_COUNTERS },			\
	{ (skel)->maps.cgroups, SA_PIN_CGROUPS },			\
	{ (skel)->maps.sock_state, SA_PIN_SOCK_STATE },			\
	{ (skel)->maps.rx_progress, SA_PIN_RX_PROGRESS },		\
	{ (skel)->maps.sa_config, SA_PIN_CONFIG },			\
	{ (skel)->maps.policy_ports, SA_PIN_POLICY_PORTS },		\
	{ (skel)->maps.policy_comms, SA_PIN_POLICY_COMMS },		\
	{ (skel)->maps.drain, SA_PIN_DRAIN },				\
}

/* A skeleton map and its pin name. */
struct sa_named_map {
	struct bpf_map *m;
	const char *name;
};

/* Maps a build before them did not have: --upgrade creates them. */
#define SA_SKEL_NEW_MAPS(skel) {					\
	{ (skel)->maps.splicers, SA_PIN_SPLICERS },			\
	{ (skel)->maps.percg_counters, SA_PIN_PERCG_COUNTERS },		\
	{ (skel)->maps.short_ports, SA_PIN_SHORT_PORTS },		\
}

/* Attach the chosen implementation of feature f and pin its links under
 * names[] (one per program). Nothing to do when the feature is off. */
static int attach_feature(const struct sa_pins *p, struct sockaccel_bpf *skel,
			  const struct sa_feature_state *st, enum sa_feature f, const char *const names[])
{
	const struct sa_feature_impl *im;
	int r = 0;

	if (st[f].impl >= sa_features[f].n_impls)
		return 0;
	im = &sa_features[f].impls[st[f].impl];
	for (int k = 0; !r && im->progs[k]; k++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, im->progs[k]);

		r = prog ? pin_link(p, sa_probe_attach(skel, prog), names[k]) : -ENOENT;
	}
	return r;
}

static const char *const rx_link_names[] = { SA_PIN_LINK_RX_TRACK, SA_PIN_LINK_RX_TRACK6 };
static const char *const destroy_link_names[] = { SA_PIN_LINK_SOCK_DESTROY };
static const char *const conns_link_names[] = { SA_PIN_ITER_CONNS };
static const char *const splice_link_names[] = { SA_PIN_LINK_SPLICE };

/* Without read accounting the BPF side must know (bpf/sockaccel.h). */
static int record_rx_untracked(struct sockaccel_bpf *skel)
{
	struct sa_config cfg = {};
	__u32 zero = 0;
	int fd = bpf_map__fd(skel->maps.sa_config);

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	cfg.flags |= SA_CFG_RX_UNTRACKED;
	return bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

/*
 * sock_map holds map_size sockets (default SA_SOCK_MAP_ENTRIES); rx_progress
 * twice that (bpf/lib/maps.h). With the destroy hook every entry is deleted
 * with its socket, so rx_progress is a plain hash: it never evicts. An LRU hash
 * evicts long before it is full: a CPU refills its local free list 128 entries
 * at a time and evicts in-use entries to make up whatever the global free list
 * lacks (kernel/bpf/bpf_lru_list.c, LOCAL_FREE_TARGET), and a live socket's lost
 * read count makes its unread redirected data look drained. Without the hook the
 * LRU is kept, to recycle the entries of closed sockets, with that much more
 * room per CPU. 0 or -errno.
 */
#define SA_LRU_LOCAL_FREE_TARGET 128
static int size_maps(struct sockaccel_bpf *skel, uint32_t map_size, const struct sa_feature_state *feat)
{
	uint32_t socks = map_size ? map_size : bpf_map__max_entries(skel->maps.sock_map);
	uint64_t rx = 2ull * socks;
	int r, cpus;

	if (feat && feat[SA_FEAT_SOCK_DESTROY].impl < sa_features[SA_FEAT_SOCK_DESTROY].n_impls) {
		r = bpf_map__set_type(skel->maps.rx_progress, BPF_MAP_TYPE_HASH);
	} else {
		cpus = libbpf_num_possible_cpus();
		rx += 2ull * SA_LRU_LOCAL_FREE_TARGET * (cpus > 0 ? cpus : 1);
		r = 0;
	}
	if (rx > UINT32_MAX)
		return -E2BIG;
	if (!r && map_size)
		r = bpf_map__set_max_entries(skel->maps.sock_map, map_size);
	if (!r)
		r = bpf_map__set_max_entries(skel->maps.rx_progress, (uint32_t)rx);
	return r;
}

int sa_load_and_pin(const struct sa_pins *p, uint32_t map_size, const struct sa_feature_state *feat,
		    char *err, size_t errlen)
{
	struct sockaccel_bpf *skel;
	int r;

	skel = sockaccel_bpf__open();
	if (!skel) {
		r = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		return r;
	}
	if ((r = size_maps(skel, map_size, feat)))
		STEP_FAIL(r, "set the map sizes");
	sa_probe_select_programs(skel, feat);
	r = sockaccel_bpf__load(skel);
	if (r)
		STEP_FAIL(r, "load BPF programs (run with -v for the verifier log)");

	{
		struct { struct bpf_map *m; const char *name; } maps[] = SA_SKEL_MAPS(skel);

		struct { struct bpf_map *m; const char *name; } new_maps[] = SA_SKEL_NEW_MAPS(skel);

		for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
			if ((r = pin_map(p, maps[i].m, maps[i].name)))
				STEP_FAIL(r, "pin map %s in %s", maps[i].name, p->dir);
		for (size_t i = 0; i < sizeof(new_maps) / sizeof(new_maps[0]); i++)
			if ((r = pin_map(p, new_maps[i].m, new_maps[i].name)))
				STEP_FAIL(r, "pin map %s in %s", new_maps[i].name, p->dir);
	}
	if (feat[SA_FEAT_RX_TRACK].impl == SA_IMPL_OFF) {
		if ((r = record_rx_untracked(skel)))
			STEP_FAIL(r, "write config");
		sa_test_step("config-rx-untracked");
	}
	if ((r = pin_prog(p, skel->progs.sa_sockops, SA_PIN_PROG_SOCKOPS)) ||
	    (r = pin_prog(p, skel->progs.sa_sk_msg, SA_PIN_PROG_SK_MSG)))
		STEP_FAIL(r, "pin programs in %s", p->dir);
	if (feat[SA_FEAT_PROC_NAMES].impl != SA_IMPL_OFF &&
	    (r = pin_prog(p, skel->progs.sa_sock_create, SA_PIN_PROG_SOCK_CREATE)))
		STEP_FAIL(r, "pin programs in %s", p->dir);

	/* Read accounting first: a socket must never be redirected to before
	 * its reads are counted (sockops only inserts after this). */
	if ((r = attach_feature(p, skel, feat, SA_FEAT_RX_TRACK, rx_link_names)))
		STEP_FAIL(r, "attach %s", sa_feature_impl_name(SA_FEAT_RX_TRACK, &feat[SA_FEAT_RX_TRACK]));
	if ((r = attach_feature(p, skel, feat, SA_FEAT_SOCK_DESTROY, destroy_link_names)))
		STEP_FAIL(r, "attach %s", sa_feature_impl_name(SA_FEAT_SOCK_DESTROY, &feat[SA_FEAT_SOCK_DESTROY]));
	if ((r = attach_feature(p, skel, feat, SA_FEAT_CONNS, conns_link_names)))
		STEP_FAIL(r, "attach %s", sa_feature_impl_name(SA_FEAT_CONNS, &feat[SA_FEAT_CONNS]));
	/* Before any cgroup is attached: a socket is seen splicing from the start. */
	if ((r = attach_feature(p, skel, feat, SA_FEAT_SPLICE_DETECT, splice_link_names)))
		STEP_FAIL(r, "attach %s", sa_feature_impl_name(SA_FEAT_SPLICE_DETECT,
							      &feat[SA_FEAT_SPLICE_DETECT]));

	/* libbpf 1.1 has no bpf_program__attach_sockmap(): attach by fd. The
	 * attachment lives as long as the (pinned) map. */
	if (bpf_prog_attach(bpf_program__fd(skel->progs.sa_sk_msg),
			    bpf_map__fd(skel->maps.sock_map), BPF_SK_MSG_VERDICT, 0)) {
		r = -errno;
		STEP_FAIL(r, "attach sk_msg program to sock_map");
	}
	sa_test_step("attach-sk-msg");
	/* The feature table, whose pin marks the load complete, is pinned by
	 * the caller once the policy is written too (sa_pins_complete). */
	r = 0;
out:
	/* Pins keep the objects alive; the skeleton's fds are not needed. */
	sockaccel_bpf__destroy(skel);
	return r;
}

/* Make the skeleton's maps use the pinned ones. optional: a map a load by an
 * older build did not pin is left for the load to create. 0 or -errno. */
static int reuse_pinned(const struct sa_pins *p, const struct sa_named_map *maps, size_t n,
			bool optional, char *err, size_t errlen)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		int fd = sa_pin_open(p, maps[i].name);

		if (fd == -ENOENT && optional)
			continue;
		if (fd < 0)
			STEP_FAIL(fd, "open pinned map %s", maps[i].name);
		r = bpf_map__reuse_fd(maps[i].m, fd);
		close(fd);
		if (r)
			STEP_FAIL(r, "reuse pinned map %s", maps[i].name);
	}
out:
	return r;
}

/* Point a link pinned at path to prog (bpf_link_update). */
static int update_link(const char *path, int prog_fd)
{
	int fd = bpf_obj_get(path), r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_link_update(fd, prog_fd, NULL))
		r = -errno;
	close(fd);
	return r ? r : 1;
}

struct upgrade_ctx {
	int sockops_fd, create_fd, updated, err;
};

static void upgrade_cgroup(const struct sa_pins *p, uint64_t cgid, void *arg)
{
	struct upgrade_ctx *c = arg;
	char path[PATH_MAX];
	int r;

	sa_link_pin_path(p, cgid, path, sizeof(path));
	r = update_link(path, c->sockops_fd);
	if (r > 0 && c->create_fd >= 0) {
		sa_cs_link_pin_path(p, cgid, path, sizeof(path));
		r = update_link(path, c->create_fd);
	}
	if (r < 0 && !c->err)
		c->err = r;
	if (r > 0)
		c->updated++;
}

/* Replace a program pin by prog (the old program lives on in its links). */
static int repin_prog(const struct sa_pins *p, struct bpf_program *prog, const char *name)
{
	char path[PATH_MAX];

	sa_pin_path(p, name, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return bpf_program__pin(prog, path);
}

/* What a load by a build from before the feature table has attached. */
static void legacy_features(struct sa_feature_state feat[SA_FEAT_MAX])
{
	memset(feat, 0, sizeof(*feat) * SA_FEAT_MAX);	/* impl 0 of each: the first choice */
}

int sa_upgrade(const struct sa_pins *p, char *err, size_t errlen)
{
	struct sa_feature_state feat[SA_FEAT_MAX], running[SA_FEAT_MAX];
	struct upgrade_ctx c = {};
	struct sockaccel_bpf *skel;
	char path[PATH_MAX];
	bool legacy, splice_new;
	int r, map_fd = -1;

	r = sa_features_read(p, running);
	legacy = r == -ENOENT;
	if (legacy)
		legacy_features(running);
	else if (r) {
		snprintf(err, errlen, "read the pinned feature table: %s", strerror(-r));
		return r;
	}
	/* Read accounting and the destroy hook keep running as they are (see
	 * load.h); the conns listing and process names are this build's. */
	memcpy(feat, running, sizeof(feat));
	feat[SA_FEAT_RX_TRACK].impl = SA_IMPL_OFF;
	feat[SA_FEAT_SOCK_DESTROY].impl = SA_IMPL_OFF;
	/* Splice detection is kept too (same reason). A load from before it
	 * gets it now: probed and attached after the new programs. */
	sa_pin_path(p, SA_PIN_LINK_SPLICE, path, sizeof(path));
	splice_new = access(path, F_OK) && running[SA_FEAT_SPLICE_DETECT].impl == SA_IMPL_OFF;
	if (splice_new)
		sa_probe_feature(SA_FEAT_SPLICE_DETECT, &running[SA_FEAT_SPLICE_DETECT]);
	feat[SA_FEAT_SPLICE_DETECT] = running[SA_FEAT_SPLICE_DETECT];
	if (!splice_new)
		feat[SA_FEAT_SPLICE_DETECT].impl = SA_IMPL_OFF;

	skel = sockaccel_bpf__open();
	if (!skel) {
		r = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		return r;
	}
	{
		struct sa_named_map maps[] = SA_SKEL_MAPS(skel), new_maps[] = SA_SKEL_NEW_MAPS(skel);

		if ((r = reuse_pinned(p, maps, sizeof(maps) / sizeof(maps[0]), false, err, errlen)) ||
		    (r = reuse_pinned(p, new_maps, sizeof(new_maps) / sizeof(new_maps[0]), true, err, errlen)))
			goto out;
	}
	/* The tracking programs are not replaced (see load.h): do not load them. */
	sa_probe_select_programs(skel, feat);
	r = sockaccel_bpf__load(skel);
	if (r)
		STEP_FAIL(r, "load the new programs against the pinned maps (map layout changed? "
			  "then drain with `sockaccelctl teardown` and load again)");

	/* From here on every step leaves a consistent state. */
	{
		struct sa_named_map maps[] = SA_SKEL_NEW_MAPS(skel);

		for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
			sa_pin_path(p, maps[i].name, path, sizeof(path));
			if (access(path, F_OK) && (r = pin_map(p, maps[i].m, maps[i].name)))
				STEP_FAIL(r, "pin map %s in %s", maps[i].name, p->dir);
		}
	}
	c.sockops_fd = bpf_program__fd(skel->progs.sa_sockops);
	c.create_fd = bpf_program__fd(skel->progs.sa_sock_create);
	sa_pins_for_each_link(p, upgrade_cgroup, &c);
	if (c.err)
		STEP_FAIL(c.err, "update a cgroup link");
	map_fd = bpf_map__fd(skel->maps.sock_map);
	if (bpf_prog_attach(bpf_program__fd(skel->progs.sa_sk_msg), map_fd, BPF_SK_MSG_VERDICT, 0)) {
		r = -errno;
		STEP_FAIL(r, "attach the new sk_msg program to sock_map");
	}
	if ((r = repin_prog(p, skel->progs.sa_sockops, SA_PIN_PROG_SOCKOPS)) ||
	    (feat[SA_FEAT_PROC_NAMES].impl != SA_IMPL_OFF &&
	     (r = repin_prog(p, skel->progs.sa_sock_create, SA_PIN_PROG_SOCK_CREATE))) ||
	    (r = repin_prog(p, skel->progs.sa_sk_msg, SA_PIN_PROG_SK_MSG)))
		STEP_FAIL(r, "pin the new programs");
	sa_pin_path(p, SA_PIN_ITER_CONNS, path, sizeof(path));
	unlink(path);
	if ((r = attach_feature(p, skel, feat, SA_FEAT_CONNS, conns_link_names)))
		STEP_FAIL(r, "attach the conns iterator");
	if (splice_new &&
	    (r = attach_feature(p, skel, running, SA_FEAT_SPLICE_DETECT, splice_link_names)))
		STEP_FAIL(r, "attach splice detection");
	if (legacy || splice_new) {
		sa_pin_path(p, SA_PIN_FEATURES, path, sizeof(path));
		unlink(path);
		if ((r = sa_features_pin(p, running)))
			STEP_FAIL(r, "pin the feature table");
	}
	r = c.updated;
out:
	sockaccel_bpf__destroy(skel);
	return r;
}
