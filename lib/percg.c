// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "percg.h"

const char *const sa_cg_counter_names[SA_CG_FALLBACKS] = {
	[SA_CG_SOCKETS_ADDED] = "sockets_added",
	[SA_CG_REDIRECTED_MSGS] = "redirected_msgs",
	[SA_CG_REDIRECTED_BYTES] = "redirected_bytes",
	[SA_CG_PASSED_MSGS] = "passed_msgs",
	[SA_CG_PASSED_BYTES] = "passed_bytes",
};

/* Per-CPU values of one slot: ncpu copies of the map's value, each
 * 8-aligned. The value is the map's own size: a load by an older build has
 * room for fewer reasons (lib/pin_check.c accepts it), and its missing
 * counters read as 0. */
static int slot_rw(int fd, uint32_t slot, struct sa_cg_counters *sum, bool zero)
{
	int ncpu = libbpf_num_possible_cpus(), r = 0;
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	size_t n, stride;
	uint64_t *vals;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		return -errno;
	n = mi.value_size / sizeof(uint64_t);
	if (!n || n > SA_CG_COUNTER_MAX)
		return -EINVAL;
	stride = n;	/* value sizes are multiples of 8 */
	vals = calloc((size_t)ncpu * stride, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (zero) {
		if (bpf_map_update_elem(fd, &slot, vals, BPF_ANY))
			r = -errno;
	} else if (bpf_map_lookup_elem(fd, &slot, vals)) {
		r = -errno;
	} else {
		memset(sum, 0, sizeof(*sum));
		for (int c = 0; c < ncpu; c++)
			for (size_t i = 0; i < n; i++)
				sum->v[i] += vals[(size_t)c * stride + i];
	}
	free(vals);
	return r;
}

uint32_t sa_percg_slot_alloc(const struct sa_pins *p, int cgroups_fd, uint64_t cgid)
{
	bool used[SA_CG_SLOTS] = { true };	/* slot 0: never */
	uint64_t key, next, *prev = NULL;
	struct sa_cgroup_info info;
	uint32_t slot = 0, start;
	int fd = sa_pin_open(p, SA_PIN_PERCG_COUNTERS);

	if (fd < 0)
		return 0;
	while (bpf_map_get_next_key(cgroups_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key != cgid && !bpf_map_lookup_elem(cgroups_fd, &key, &info) && info.slot < SA_CG_SLOTS)
			used[info.slot] = true;
	}
	/* Start where this cgroup id hashes to rather than at 1: a slot just
	 * freed by a detach is seldom the next one handed out, so the few
	 * sends of its draining sockets (they keep their slot index) are
	 * unlikely to land on a newly attached cgroup (docs/design.md). */
	start = 1 + (uint32_t)((cgid * 0x9E3779B97F4A7C15ull) >> 32) % (SA_CG_SLOTS - 1);
	for (uint32_t i = 0; i < SA_CG_SLOTS - 1; i++) {
		uint32_t s = 1 + (start - 1 + i) % (SA_CG_SLOTS - 1);

		if (!used[s]) {
			slot = s;
			break;
		}
	}
	if (slot && slot_rw(fd, slot, NULL, true))
		slot = 0;
	close(fd);
	return slot;
}

int sa_percg_assign_missing(const struct sa_pins *p)
{
	uint64_t key, next, *prev = NULL;
	struct sa_cgroup_info info;
	int fd = sa_pin_open(p, SA_PIN_CGROUPS), n = 0;

	if (fd < 0)
		return 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &info) || info.slot)
			continue;
		info.slot = sa_percg_slot_alloc(p, fd, key);
		if (info.slot && !bpf_map_update_elem(fd, &key, &info, BPF_EXIST))
			n++;
	}
	close(fd);
	return n;
}

int sa_percg_read(const struct sa_pins *p, uint32_t slot, struct sa_cg_counters *out)
{
	int fd = sa_pin_open(p, SA_PIN_PERCG_COUNTERS), r;

	if (fd < 0)
		return fd;
	r = slot && slot < SA_CG_SLOTS ? slot_rw(fd, slot, out, false) : -ENOENT;
	close(fd);
	return r;
}

bool sa_percg_available(const struct sa_pins *p)
{
	int fd = sa_pin_open(p, SA_PIN_PERCG_COUNTERS);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct sa_percg *)a)->path, ((const struct sa_percg *)b)->path);
}

int sa_percg_list(const struct sa_pins *p, struct sa_percg **out, int *n)
{
	uint64_t key, next, *prev = NULL;
	struct sa_cgroup_info info;
	struct sa_percg *v = NULL, *t;
	int fd, cfd, cnt = 0, cap = 0;

	fd = sa_pin_open(p, SA_PIN_CGROUPS);
	if (fd < 0)
		return fd;
	cfd = sa_pin_open(p, SA_PIN_PERCG_COUNTERS);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &info))
			continue;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 16;
			t = realloc(v, cap * sizeof(*v));
			if (!t) {
				free(v);
				close(fd);
				if (cfd >= 0)
					close(cfd);
				return -ENOMEM;
			}
			v = t;
		}
		t = &v[cnt++];
		memset(t, 0, sizeof(*t));
		t->cgid = key;
		snprintf(t->path, sizeof(t->path), "%.*s", (int)sizeof(info.path), info.path);
		sa_cgroup_name_get(p, key, t->name, sizeof(t->name));
		t->slot = cfd >= 0 && info.slot < SA_CG_SLOTS ? info.slot : 0;
		if (t->slot && slot_rw(cfd, t->slot, &t->c, false))
			t->slot = 0;
	}
	close(fd);
	if (cfd >= 0)
		close(cfd);
	if (cnt)
		qsort(v, cnt, sizeof(*v), by_path);
	*out = v;
	*n = cnt;
	return 0;
}
