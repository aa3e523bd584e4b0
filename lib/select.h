/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Selecting a cgroup by what an operator knows: a path, a systemd unit, a
 * process, a container. Each resolves to a cgroup v2 directory and a display
 * name ("unit redis-server.service", "pid 1234", "container web"; "" for a
 * path), recorded in the pin dir by lib/cgroup_names.h for `status`.
 */
#ifndef SA_SELECT_H
#define SA_SELECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cgroup.h"

enum sa_sel_kind { SA_SEL_PATH, SA_SEL_UNIT, SA_SEL_PID, SA_SEL_CONTAINER };

struct sa_selector {
	enum sa_sel_kind kind;
	const char *arg;
};

/* systemd's runtime directory: present when systemd is PID 1. */
#define SA_SYSTEMD_RUN_DIR "/run/systemd/system"
/* The container CLIs asked, in this order. */
#define SA_CONTAINER_CLIS "docker, podman, nerdctl, crictl"

/*
 * Resolve a selector to a cgroup v2 directory. name gets the display name
 * ("" for a path). 0, or -errno with a one-line reason in err that names what
 * was not found.
 */
int sa_select_resolve(const struct sa_selector *s, struct sa_cgroup *cg, char *name, size_t namelen,
		      char *err, size_t errlen);

/* The display name of a selector ("pid 1234"); "" for a path. */
void sa_select_name(const struct sa_selector *s, char *name, size_t namelen);

/* --pid's value: a decimal pid, 1 to 2^22 (pid_max's ceiling). 0 or -EINVAL. */
int sa_select_parse_pid(const char *s, uint32_t *pid);

/*
 * The cgroup v2 path of a /proc/PID/cgroup stream: the "0::PATH" line.
 * deleted is set when the kernel marks the cgroup removed (" (deleted)").
 * 0, or -ENOENT when there is no such line.
 */
int sa_proc_cgroup_v2_parse(FILE *f, char *buf, size_t len, int *deleted);

#endif
