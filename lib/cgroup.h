/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Finding and validating cgroup v2 directories. */
#ifndef SA_CGROUP_H
#define SA_CGROUP_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

struct sa_cgroup {
	char abs_path[PATH_MAX];	/* e.g. /sys/fs/cgroup/unified/svc */
	char rel_path[PATH_MAX];	/* relative to the mount, "/" for the root: /svc */
	uint64_t id;			/* the kernel's cgroup id */
};

/* The cgroup2 mount point from /proc/self/mountinfo. 0 or -ENOENT. */
int sa_cgroup2_mount(char *buf, size_t len);
/* The same from an open mountinfo stream f (the first cgroup2 line). */
int sa_cgroup2_mount_parse(FILE *f, char *buf, size_t len);

/*
 * Resolve a user's CGROUP argument (absolute, or relative to the cgroup2
 * mount) and check it is a cgroup v2 directory. On failure returns -errno
 * and writes a one-line reason into err.
 */
int sa_cgroup_resolve(const char *arg, struct sa_cgroup *cg, char *err, size_t errlen);

/* The cgroup id of a cgroup2 directory (what bpf_link info reports). */
int sa_cgroup_id(const char *abs_path, uint64_t *id);

#endif
