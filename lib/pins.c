// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include "parse.h"
#include "pin_check.h"
#include "pins.h"

void sa_pin_path(const struct sa_pins *p, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->dir, name);
}

void sa_link_pin_path(const struct sa_pins *p, uint64_t cgid, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%" PRIu64, p->dir, SA_PIN_LINK_PREFIX, cgid);
}

void sa_cs_link_pin_path(const struct sa_pins *p, uint64_t cgid, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%" PRIu64, p->dir, SA_PIN_LINK_CS_PREFIX, cgid);
}

static int is_bpffs(const char *path)
{
	struct statfs s;

	if (statfs(path, &s))
		return -errno;
	return s.f_type == BPF_FS_MAGIC;
}

int sa_pins_parent_on_bpffs(const struct sa_pins *p)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", p->dir);
	return is_bpffs(dirname(tmp));
}

const char *sa_pins_absent_hint(const struct sa_pins *p)
{
	return sa_pins_parent_on_bpffs(p) == 1 ? "" :
		" (and its parent is not on a bpf filesystem: bpffs unmounted? a running --foreground "
		"loader keeps its dataplane loaded and pins it again once bpffs is mounted there)";
}

int sa_pins_ensure_bpffs(const struct sa_pins *p, char *err, size_t errlen)
{
	char tmp[PATH_MAX], *parent;
	int r;

	snprintf(tmp, sizeof(tmp), "%s", p->dir);
	parent = dirname(tmp);
	r = is_bpffs(parent);
	if (r == 1)
		return 0;
	if (r < 0) {
		snprintf(err, errlen, "pin dir parent %s: %s", parent, strerror(-r));
		return r;
	}
	/* Only the standard location is mounted for the user. */
	if (strcmp(parent, "/sys/fs/bpf")) {
		snprintf(err, errlen, "pin dir %s is not on a bpf filesystem (mount -t bpf bpf %s)", p->dir, parent);
		return -EINVAL;
	}
	if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
		r = -errno;
		snprintf(err, errlen, "bpffs is not mounted at %s and mounting it failed: %s", parent, strerror(errno));
		return r;
	}
	return 0;
}

int sa_pins_lock(struct sa_pins *p, bool create, char *err, size_t errlen)
{
	struct stat a, b;
	int r0;

	for (;;) {
		if (create) {
			if (mkdir(p->dir, 0700) && errno != EEXIST) {
				int r = -errno;

				snprintf(err, errlen, "cannot create pin dir %s: %s", p->dir, strerror(errno));
				return r;
			}
		}
		/* O_NOFOLLOW: a symlink planted in place of the directory is refused. */
		p->lock_fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (p->lock_fd < 0) {
			int r = -errno;

			if (errno == ENOENT && create)
				continue;	/* removed under us by a teardown */
			if (errno != ENOENT && sa_pins_check_dir(p->dir, -1, err, errlen))
				return r;	/* a symlink, not a directory: said why */
			snprintf(err, errlen, "nothing loaded at %s (%s)", p->dir, strerror(errno));
			return r;
		}
		/* Owned by us, writable by nobody else, in a parent others cannot
		 * change (docs/security.md); checked on the fd we opened. */
		if ((r0 = sa_pins_check_dir(p->dir, p->lock_fd, err, errlen))) {
			close(p->lock_fd);
			p->lock_fd = -1;
			/* gone between open() and the check: a teardown that
			 * held the lock finished (seen in t_fault_runtime) */
			if (r0 == -ENOENT && create)
				continue;
			if (r0 == -ENOENT) {
				snprintf(err, errlen, "nothing loaded at %s (removed by a concurrent teardown)", p->dir);
				return -ENOENT;
			}
			return -EPERM;
		}
		if (flock(p->lock_fd, LOCK_EX)) {
			int r = -errno;

			snprintf(err, errlen, "cannot lock %s: %s", p->dir, strerror(errno));
			close(p->lock_fd);
			p->lock_fd = -1;
			return r;
		}
		/* A teardown may have removed the directory while we waited. */
		if (fstat(p->lock_fd, &a) == 0 && stat(p->dir, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			int r = sa_pins_check_contents(p, err, errlen);

			if (r) {
				close(p->lock_fd);
				p->lock_fd = -1;
			}
			return r;
		}
		close(p->lock_fd);
		p->lock_fd = -1;
		if (!create) {
			snprintf(err, errlen, "nothing loaded at %s (removed by a concurrent teardown)", p->dir);
			return -ENOENT;
		}
	}
}

void sa_pins_unlock(struct sa_pins *p)
{
	if (p->lock_fd >= 0)
		close(p->lock_fd);	/* drops the flock */
	p->lock_fd = -1;
}

const char *const sa_object_pins[] = {
	SA_PIN_PROG_SOCKOPS, SA_PIN_PROG_SOCK_CREATE, SA_PIN_LINK_RX_TRACK, SA_PIN_LINK_RX_TRACK6,
	SA_PIN_LINK_SOCK_DESTROY, SA_PIN_ITER_CONNS, SA_PIN_LINK_SPLICE, SA_PIN_FEATURES,
	SA_PIN_PROG_SK_MSG, SA_PIN_SPLICERS, SA_PIN_PERCG_COUNTERS, SA_PIN_SHORT_PORTS, SA_PIN_CGROUP_NAMES, SA_PIN_CGROUPS, SA_PIN_COUNTERS, SA_PIN_CONFIG, SA_PIN_POLICY_PORTS,
	SA_PIN_POLICY_COMMS, SA_PIN_DRAIN, SA_PIN_RX_PROGRESS, SA_PIN_SOCK_STATE, SA_PIN_SOCK_MAP, NULL,
};

static const char *const required_pins[] = {
	SA_PIN_PROG_SOCKOPS, SA_PIN_PROG_SK_MSG, SA_PIN_CGROUPS, SA_PIN_COUNTERS, SA_PIN_CONFIG,
	SA_PIN_POLICY_PORTS, SA_PIN_POLICY_COMMS, SA_PIN_DRAIN, SA_PIN_RX_PROGRESS, SA_PIN_SOCK_STATE,
	SA_PIN_SOCK_MAP, NULL,
};

/* What a build from before the feature table pinned besides the above. */
static const char *const legacy_pins[] = {
	SA_PIN_PROG_SOCK_CREATE, SA_PIN_LINK_RX_TRACK, SA_PIN_LINK_SOCK_DESTROY, SA_PIN_ITER_CONNS, NULL,
};

static bool pins_present(const struct sa_pins *p, const char *const *names, const char **missing)
{
	char path[PATH_MAX];

	for (size_t i = 0; names[i]; i++) {
		sa_pin_path(p, names[i], path, sizeof(path));
		if (access(path, F_OK)) {
			if (missing)
				*missing = names[i];
			return false;
		}
	}
	return true;
}

bool sa_pins_complete(const struct sa_pins *p, const char **missing)
{
	char path[PATH_MAX];

	if (!pins_present(p, required_pins, missing))
		return false;
	sa_pin_path(p, SA_PIN_FEATURES, path, sizeof(path));
	if (!access(path, F_OK))
		return true;
	/* A build from before the feature table had no splicers map either:
	 * with it, a missing table is a load killed before its last step, not
	 * a legacy load (which looks the same up to there). */
	sa_pin_path(p, SA_PIN_SPLICERS, path, sizeof(path));
	if (access(path, F_OK) && pins_present(p, legacy_pins, NULL))
		return true;
	if (missing)
		*missing = SA_PIN_FEATURES;
	return false;
}

bool sa_pins_any(const struct sa_pins *p)
{
	DIR *d = opendir(p->dir);
	struct dirent *e;
	bool any = false;

	if (!d)
		return false;
	while (!any && (e = readdir(d)))
		any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return any;
}

int sa_pin_open(const struct sa_pins *p, const char *name)
{
	char path[PATH_MAX];
	int fd;

	sa_pin_path(p, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int sa_pins_for_each_prefix(const struct sa_pins *p, const char *prefix,
			    void (*fn)(const struct sa_pins *p, uint64_t cgid, void *arg), void *arg)
{
	size_t plen = strlen(prefix);
	uint64_t ids[SA_MAX_LINKS_SCAN];
	DIR *d = opendir(p->dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	/* Collect first: fn may unlink entries. */
	while ((e = readdir(d)) && n < SA_MAX_LINKS_SCAN) {
		uint64_t id;

		/* digits only: strtoull would take "-5", "+5", " 5" and "" */
		if (strncmp(e->d_name, prefix, plen) ||
		    sa_parse_u64(e->d_name + plen, 1, UINT64_MAX, &id))
			continue;
		ids[n++] = id;
	}
	closedir(d);
	for (int i = 0; fn && i < n; i++)
		fn(p, ids[i], arg);
	return n;
}

int sa_pins_for_each_link(const struct sa_pins *p,
			  void (*fn)(const struct sa_pins *p, uint64_t cgid, void *arg), void *arg)
{
	return sa_pins_for_each_prefix(p, SA_PIN_LINK_PREFIX, fn, arg);
}

int sa_pins_count_links(const struct sa_pins *p)
{
	return sa_pins_for_each_prefix(p, SA_PIN_LINK_PREFIX, NULL, NULL) +
	       sa_pins_for_each_prefix(p, SA_PIN_LINK_CS_PREFIX, NULL, NULL);
}
