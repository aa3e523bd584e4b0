// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "../bpf/sockaccel.h"
#include "cgroup_names.h"

struct name_val {
	char name[SA_CGROUP_NAME_MAX];
};

static int names_open(const struct sa_pins *p, bool create)
{
	char path[PATH_MAX];
	int fd = sa_pin_open(p, SA_PIN_CGROUP_NAMES);

	if (fd >= 0 || fd != -ENOENT || !create)
		return fd;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "sa_cg_names", sizeof(uint64_t), sizeof(struct name_val),
			    SA_CGROUP_MAP_ENTRIES, NULL);
	if (fd < 0)
		return -errno;
	sa_pin_path(p, SA_PIN_CGROUP_NAMES, path, sizeof(path));
	if (bpf_obj_pin(fd, path)) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int sa_cgroup_name_set(const struct sa_pins *p, uint64_t cgid, const char *name)
{
	struct name_val v = {};
	int fd = names_open(p, true), r = 0;

	if (fd < 0)
		return fd;
	snprintf(v.name, sizeof(v.name), "%s", name);
	if (bpf_map_update_elem(fd, &cgid, &v, BPF_ANY))
		r = -errno;
	close(fd);
	return r;
}

int sa_cgroup_name_get(const struct sa_pins *p, uint64_t cgid, char *buf, size_t len)
{
	struct name_val v;
	int fd = names_open(p, false), r = 0;

	if (fd < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(fd, &cgid, &v))
		r = -ENOENT;
	else
		snprintf(buf, len, "%.*s", (int)sizeof(v.name), v.name);
	close(fd);
	return r;
}

void sa_cgroup_name_del(const struct sa_pins *p, uint64_t cgid)
{
	int fd = names_open(p, false);

	if (fd < 0)
		return;
	bpf_map_delete_elem(fd, &cgid);
	close(fd);
}

int sa_cgroup_find_by_name(const struct sa_pins *p, const char *name, uint64_t *cgid)
{
	uint64_t key, next, *prev = NULL;
	struct name_val v;
	int fd = names_open(p, false), r = -ENOENT;

	if (fd < 0)
		return -ENOENT;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &v) && !strncmp(v.name, name, sizeof(v.name))) {
			*cgid = key;
			r = 0;
			break;
		}
	}
	close(fd);
	return r;
}
