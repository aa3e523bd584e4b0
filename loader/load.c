// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sockaccel.skel.h"
#include "load.h"

#define STEP_FAIL(r, fmt, ...) do {					\
		snprintf(err, errlen, fmt ": %s", ##__VA_ARGS__, strerror(-(r)));	\
		goto out;						\
	} while (0)

int sa_load_and_pin(const struct sa_pins *p, char *err, size_t errlen)
{
	struct sockaccel_bpf *skel;
	char path[PATH_MAX];
	int r;

	skel = sockaccel_bpf__open();
	if (!skel) {
		r = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		return r;
	}
	r = sockaccel_bpf__load(skel);
	if (r)
		STEP_FAIL(r, "load BPF programs (run with -v for the verifier log)");

	sa_pin_path(p, SA_PIN_SOCK_MAP, path, sizeof(path));
	if ((r = bpf_map__pin(skel->maps.sock_map, path)))
		STEP_FAIL(r, "pin %s", path);
	sa_pin_path(p, SA_PIN_COUNTERS, path, sizeof(path));
	if ((r = bpf_map__pin(skel->maps.counters, path)))
		STEP_FAIL(r, "pin %s", path);
	sa_pin_path(p, SA_PIN_CGROUPS, path, sizeof(path));
	if ((r = bpf_map__pin(skel->maps.cgroups, path)))
		STEP_FAIL(r, "pin %s", path);
	sa_pin_path(p, SA_PIN_PROG_SOCKOPS, path, sizeof(path));
	if ((r = bpf_program__pin(skel->progs.sa_sockops, path)))
		STEP_FAIL(r, "pin %s", path);
	sa_pin_path(p, SA_PIN_PROG_SK_MSG, path, sizeof(path));
	if ((r = bpf_program__pin(skel->progs.sa_sk_msg, path)))
		STEP_FAIL(r, "pin %s", path);

	/* libbpf 1.1 has no bpf_program__attach_sockmap(): attach by fd. The
	 * attachment lives as long as the (pinned) map. */
	if (bpf_prog_attach(bpf_program__fd(skel->progs.sa_sk_msg),
			    bpf_map__fd(skel->maps.sock_map), BPF_SK_MSG_VERDICT, 0)) {
		r = -errno;
		STEP_FAIL(r, "attach sk_msg program to sock_map");
	}
	r = 0;
out:
	/* Pins keep the objects alive; the skeleton's fds are not needed. */
	sockaccel_bpf__destroy(skel);
	return r;
}
