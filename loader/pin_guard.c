// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --foreground: hold every pinned object, pin again what vanished (pin_guard.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "output.h"
#include "pin_guard.h"

struct sa_held_pin {
	char name[256];
	int fd;
};

void sa_pin_guard_release(struct sa_pin_guard *g)
{
	for (size_t i = 0; i < g->n; i++)
		close(g->held[i].fd);
	free(g->held);
	g->held = NULL;
	g->n = 0;
}

/* Hold what is pinned now (and nothing else). */
static void refresh(struct sa_pin_guard *g, const struct sa_pins *p)
{
	DIR *d = opendir(p->dir);
	struct dirent *e;
	char path[PATH_MAX];
	size_t cap = 0;

	sa_pin_guard_release(g);
	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(g->held[0].name))
			continue;
		sa_pin_path(p, e->d_name, path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (g->n == cap) {
			struct sa_held_pin *h = realloc(g->held, (cap = cap ? 2 * cap : 64) * sizeof(*h));

			if (!h) {
				close(fd);
				break;
			}
			g->held = h;
		}
		snprintf(g->held[g->n].name, sizeof(g->held[0].name), "%s", e->d_name);
		g->held[g->n++].fd = fd;
	}
	closedir(d);
}

static size_t cg_link_prefix(const char *name)
{
	static const char *const pfx[] = { SA_PIN_LINK_PREFIX, SA_PIN_LINK_CS_PREFIX };

	for (size_t i = 0; i < 2; i++)
		if (!strncmp(name, pfx[i], strlen(pfx[i])))
			return strlen(pfx[i]);
	return 0;
}

/* A cgroup link (link_cg_<ID>, link_cs_<ID>) still attached? A detached one
 * reports cgroup id 0. */
static bool cg_link_live(const struct sa_held_pin *h)
{
	size_t plen = cg_link_prefix(h->name);
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	unsigned long long id;
	char *end;

	if (!plen)
		return false;
	id = strtoull(h->name + plen, &end, 10);
	return !*end && !bpf_obj_get_info_by_fd(h->fd, &li, &len) && li.cgroup.cgroup_id == id;
}

/* The exclusive pin-dir lock without waiting (a loader or ctl at work:
 * try again next tick). -1 when not taken. */
static int try_lock(const struct sa_pins *p)
{
	int fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void sa_pin_guard_tick(struct sa_pin_guard *g, const struct sa_pins *p)
{
	char path[PATH_MAX];
	size_t missing = 0, repinned = 0;
	bool live = false;
	int lock, r;

	for (size_t i = 0; i < g->n; i++) {
		sa_pin_path(p, g->held[i].name, path, sizeof(path));
		/* a detached cgroup's link pin (ctl detach, a reload) is gone by design */
		missing += access(path, F_OK) != 0 &&
			   !(cg_link_prefix(g->held[i].name) && !cg_link_live(&g->held[i]));
		live |= cg_link_live(&g->held[i]);
	}
	if (!missing || !live) {
		/* All there, or removed by a teardown/detach (links detached
		 * first): hold what is pinned now. */
		if ((lock = try_lock(p)) < 0 && !access(p->dir, F_OK))
			return;
		refresh(g, p);
		if (lock >= 0)
			close(lock);
		if (g->lost && !missing)
			p_info("pins in %s are back", p->dir);
		g->lost = false;
		return;
	}
	/* Pins gone under attached cgroups: bpffs unmounted or the pin dir
	 * deleted. Our references keep everything loaded; pin them again. */
	r = sa_pins_parent_on_bpffs(p);
	if (r != 1 || (mkdir(p->dir, 0700) && errno != EEXIST) || (lock = try_lock(p)) < 0) {
		if (!g->lost)
			p_err("%zu pin(s) in %s are gone (%s) while cgroups stay attached; this process "
			      "keeps the dataplane loaded and pins it again once it can (mount bpffs there "
			      "again); stopping it now releases the dataplane",
			      missing, p->dir, r != 1 ? "not on bpffs any more: unmounted?" : strerror(errno));
		g->lost = true;
		return;
	}
	for (size_t i = 0; i < g->n; i++) {
		sa_pin_path(p, g->held[i].name, path, sizeof(path));
		if (!access(path, F_OK) || (cg_link_prefix(g->held[i].name) && !cg_link_live(&g->held[i])))
			continue;	/* present, or a detached cgroup's link */
		if (bpf_obj_pin(g->held[i].fd, path))
			p_err("pin %s again: %s", path, strerror(errno));
		else
			repinned++;
	}
	p_info("%zu pin(s) in %s had disappeared (bpffs unmounted or the directory deleted?) while "
	       "cgroups stayed attached: pinned %zu again from this process's references",
	       missing, p->dir, repinned);
	refresh(g, p);
	close(lock);
	g->lost = false;
}
