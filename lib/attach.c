// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <bpf/bpf.h>
#include "../bpf/sockaccel.h"
#include "attach.h"
#include "cgroup_names.h"
#include "percg.h"
#include "test_hook.h"

uint64_t sa_proc_stat_start_time(const char *line)
{
	unsigned long long start = 0;
	const char *p = strrchr(line, ')');

	/* after "pid (comm)": field 3 is state; start time is field 22
	 * (p + 2 is past the string's end when ')' is its last character) */
	if (p && p[1] && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			&start) != 1)
		start = 0;
	return start;
}

uint64_t sa_proc_start_time(uint32_t pid)
{
	char path[64], buf[1024];
	uint64_t start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		start = sa_proc_stat_start_time(buf);
	fclose(f);
	return start;
}

int sa_owner_alive(const struct sa_cgroup_info *info)
{
	return info->owner_pid && sa_proc_start_time(info->owner_pid) == info->owner_start;
}

static void record_cgroup(const struct sa_pins *p, const struct sa_cgroup *cg, uint32_t owner_pid)
{
	struct sa_cgroup_info info = { .attached_at = time(NULL), .owner_pid = owner_pid };
	int fd = sa_pin_open(p, SA_PIN_CGROUPS);

	if (fd < 0)
		return;
	snprintf(info.path, sizeof(info.path), "%s", cg->rel_path);
	if (owner_pid)
		info.owner_start = sa_proc_start_time(owner_pid);
	info.slot = sa_percg_slot_alloc(p, fd, cg->id);
	bpf_map_update_elem(fd, &cg->id, &info, BPF_ANY);
	close(fd);
}

static bool cgroup_recorded(const struct sa_pins *p, uint64_t cgid)
{
	struct sa_cgroup_info info;
	int fd = sa_pin_open(p, SA_PIN_CGROUPS);
	bool found;

	if (fd < 0)
		return true;	/* nowhere to record it */
	found = !bpf_map_lookup_elem(fd, &cgid, &info);
	close(fd);
	return found;
}

/* Attach pinned program `prog` to the cgroup as a bpf_link pinned at `path`. */
static int attach_link(const struct sa_pins *p, const char *prog, const struct sa_cgroup *cg,
		       enum bpf_attach_type type, const char *path, char *err, size_t errlen)
{
	int prog_fd, cg_fd, link_fd, r;

	prog_fd = sa_pin_open(p, prog);
	if (prog_fd < 0) {
		snprintf(err, errlen, "open pinned %s: %s", prog, strerror(-prog_fd));
		return prog_fd;
	}
	cg_fd = open(cg->abs_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "open cgroup %s: %s", cg->abs_path, strerror(errno));
		close(prog_fd);
		return r;
	}
	link_fd = bpf_link_create(prog_fd, cg_fd, type, NULL);
	close(cg_fd);
	close(prog_fd);
	if (link_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "attach %s to cgroup %s: %s", prog, cg->abs_path, strerror(errno));
		return r;
	}
	if (bpf_obj_pin(link_fd, path)) {
		r = -errno;
		snprintf(err, errlen, "pin link %s: %s", path, strerror(errno));
		bpf_link_detach(link_fd);
		close(link_fd);
		return r;
	}
	close(link_fd);
	return 0;
}

/* Detach the link pinned at path (even if a --foreground loader holds it
 * too) and remove the pin. 0, -ENOENT when absent, or -errno with err set. */
static int detach_link(const char *path, char *err, size_t errlen)
{
	int fd = bpf_obj_get(path), r = 0;

	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd >= 0) {
		if (bpf_link_detach(fd) && errno != ENOLINK && errno != ENOENT) {
			r = -errno;
			snprintf(err, errlen, "detach link %s: %s", path, strerror(errno));
		}
		close(fd);
	}
	if (!r && unlink(path) && errno != ENOENT) {
		r = -errno;
		snprintf(err, errlen, "remove %s: %s", path, strerror(errno));
	}
	return r;
}

int sa_attach_cgroup(const struct sa_pins *p, const struct sa_cgroup *cg, uint32_t owner_pid,
		     char *err, size_t errlen)
{
	char path[PATH_MAX], cs_path[PATH_MAX], err2[256];
	int r;

	sa_link_pin_path(p, cg->id, path, sizeof(path));
	sa_cs_link_pin_path(p, cg->id, cs_path, sizeof(cs_path));
	if (access(path, F_OK) == 0) {
		/* An attach killed between its link pin and its record: record now. */
		if (!cgroup_recorded(p, cg->id))
			record_cgroup(p, cg, owner_pid);
		return 0;
	}
	/* A sock_create link without its sockops link is what an attach killed
	 * in between leaves: replace it (its pin would make ours fail). */
	r = detach_link(cs_path, err, errlen);
	if (r && r != -ENOENT)
		return r;
	/* sock_create first: sockets created from now on carry their process
	 * name by the time sockops sees them established. Optional (feature
	 * "process names"): without its program there is nothing to attach. */
	sa_pin_path(p, SA_PIN_PROG_SOCK_CREATE, path, sizeof(path));
	if (access(path, F_OK) == 0) {
		r = attach_link(p, SA_PIN_PROG_SOCK_CREATE, cg, BPF_CGROUP_INET_SOCK_CREATE, cs_path,
				err, errlen);
		if (r)
			return r;
		sa_test_step("attach-link-cs:%s", cg->rel_path);
	}
	sa_link_pin_path(p, cg->id, path, sizeof(path));
	r = attach_link(p, SA_PIN_PROG_SOCKOPS, cg, BPF_CGROUP_SOCK_OPS, path, err, errlen);
	if (r) {
		detach_link(cs_path, err2, sizeof(err2));
		return r;
	}
	sa_test_step("attach-link-cg:%s", cg->rel_path);
	record_cgroup(p, cg, owner_pid);
	sa_test_step("attach-record:%s", cg->rel_path);
	return 1;
}

int sa_detach_cgroup(const struct sa_pins *p, uint64_t cgid, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd, r;

	sa_link_pin_path(p, cgid, path, sizeof(path));
	r = detach_link(path, err, errlen);
	if (r == -ENOENT) {
		snprintf(err, errlen, "cgroup id %llu is not attached", (unsigned long long)cgid);
		return r;
	}
	if (r)
		return r;
	sa_cs_link_pin_path(p, cgid, path, sizeof(path));
	r = detach_link(path, err, errlen);
	if (r == -ENOENT)
		r = 0;
	fd = sa_pin_open(p, SA_PIN_CGROUPS);
	if (fd >= 0) {
		bpf_map_delete_elem(fd, &cgid);
		close(fd);
	}
	sa_cgroup_name_del(p, cgid);
	return r;
}

int sa_find_attached(const struct sa_pins *p, const char *arg, uint64_t *cgid)
{
	struct sa_cgroup_info info;
	uint64_t key, next, *prev = NULL;
	char mnt[PATH_MAX], rel[PATH_MAX];
	size_t mlen;
	int fd, r = -ENOENT;

	/* The same relative form the loader recorded: "/svc" for
	 * "/sys/fs/cgroup/svc", "svc" or "/svc". */
	if (sa_cgroup2_mount(mnt, sizeof(mnt)))
		mnt[0] = '\0';
	mlen = strlen(mnt);
	if (mlen && !strncmp(arg, mnt, mlen) && (arg[mlen] == '/' || !arg[mlen]))
		snprintf(rel, sizeof(rel), "%s", arg[mlen] ? arg + mlen : "/");
	else
		snprintf(rel, sizeof(rel), "%s%s", arg[0] == '/' ? "" : "/", arg);
	for (size_t l = strlen(rel); l > 1 && rel[l - 1] == '/'; l--)
		rel[l - 1] = '\0';

	fd = sa_pin_open(p, SA_PIN_CGROUPS);
	if (fd < 0)
		return fd;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &info) == 0 && !strcmp(info.path, rel)) {
			*cgid = key;
			r = 0;
			break;
		}
	}
	close(fd);
	return r;
}

int sa_sock_map_count(int map_fd)
{
	struct sa_sock_key key, next, *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

struct detach_all_ctx {
	char *err;
	size_t errlen;
	int failed;
};

static void detach_one(const struct sa_pins *p, uint64_t cgid, void *arg)
{
	struct detach_all_ctx *c = arg;

	if (sa_detach_cgroup(p, cgid, c->err, c->errlen))
		c->failed++;
}

/* A sock_create link left without its sockops link by a killed attach. */
static void detach_orphan_cs(const struct sa_pins *p, uint64_t cgid, void *arg)
{
	struct detach_all_ctx *c = arg;
	char path[PATH_MAX];
	int r;

	sa_link_pin_path(p, cgid, path, sizeof(path));
	if (!access(path, F_OK))
		return;
	sa_cs_link_pin_path(p, cgid, path, sizeof(path));
	r = detach_link(path, c->err, c->errlen);
	if (r && r != -ENOENT)
		c->failed++;
}

int sa_detach_all(const struct sa_pins *p, char *err, size_t errlen)
{
	struct detach_all_ctx c = { err, errlen, 0 };

	sa_pins_for_each_link(p, detach_one, &c);
	sa_pins_for_each_prefix(p, SA_PIN_LINK_CS_PREFIX, detach_orphan_cs, &c);
	return c.failed ? -EBUSY : 0;
}

int sa_unload_objects(struct sa_pins *p, char *err, size_t errlen)
{
	static const char *const links[] = { SA_PIN_LINK_RX_TRACK, SA_PIN_LINK_RX_TRACK6,
					     SA_PIN_LINK_SOCK_DESTROY, SA_PIN_ITER_CONNS, SA_PIN_LINK_SPLICE };
	char path[PATH_MAX];
	int map_fd, prog_fd, entries = 0, r;

	/* 1. No new sockets: every cgroup link goes first. */
	if ((r = sa_detach_all(p, err, errlen)))
		return r;

	/* 2. Detach sk_msg from the map, so nothing is redirected any more. */
	map_fd = sa_pin_open(p, SA_PIN_SOCK_MAP);
	prog_fd = sa_pin_open(p, SA_PIN_PROG_SK_MSG);
	if (map_fd >= 0) {
		entries = sa_sock_map_count(map_fd);
		if (prog_fd >= 0)
			bpf_prog_detach2(prog_fd, map_fd, BPF_SK_MSG_VERDICT);
	}
	if (prog_fd >= 0)
		close(prog_fd);
	if (map_fd >= 0)
		close(map_fd);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		sa_pin_path(p, links[i], path, sizeof(path));
		detach_link(path, err, errlen);
	}

	/* 3. Remove the pins; the kernel frees each object with its last reference. */
	for (size_t i = 0; sa_object_pins[i]; i++) {
		sa_pin_path(p, sa_object_pins[i], path, sizeof(path));
		if (unlink(path) && errno != ENOENT) {
			int r = -errno;

			snprintf(err, errlen, "remove %s: %s", path, strerror(errno));
			return r;
		}
	}
	return entries;
}

int sa_unload(struct sa_pins *p, char *err, size_t errlen)
{
	int entries = sa_unload_objects(p, err, errlen);

	if (entries < 0)
		return entries;
	if (rmdir(p->dir) && errno != ENOENT) {
		int r = -errno;

		snprintf(err, errlen, "remove %s: %s (files not created by sockaccel?)", p->dir, strerror(errno));
		return r;
	}
	return entries;
}
