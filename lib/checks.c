// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "checks.h"
#include "feature_table.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int sa_check_privileges(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};
	static const struct { int cap; const char *name; } need[] = {
		{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },	/* cgroup attach, bpffs */
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },	/* sockops, sk_msg */
	};

	if (syscall(SYS_capget, &hdr, d)) {
		snprintf(err, errlen, "cannot read capabilities: %s", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!has_cap(d, need[i].cap)) {
			snprintf(err, errlen, "must be run as root (missing %s%s)", need[i].name,
				 geteuid() ? "; running as a non-root user" : "");
			return -EPERM;
		}
	}
	return sa_check_bpf_allowed(err, errlen);
}

int sa_check_bpf_allowed(char *err, size_t errlen)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	/* Capabilities held only in a user namespace (unshare -Ur, a rootless
	 * container) pass capget() but not bpf(): say so, not "kernel lacks". */
	if (errno == EPERM) {
		snprintf(err, errlen, "needs root (CAP_BPF+CAP_NET_ADMIN+CAP_SYS_ADMIN in the initial user "
			 "namespace): bpf() was refused (EPERM; kernel.unprivileged_bpf_disabled, a user "
			 "namespace or a seccomp policy?)");
		return -EPERM;
	}
	return 0;	/* anything else: the feature probes say what is missing */
}

int sa_check_kernel_features(char *err, size_t errlen)
{
	static const struct { enum bpf_prog_type t; const char *name; } progs[] = {
		{ BPF_PROG_TYPE_SOCK_OPS, "BPF_PROG_TYPE_SOCK_OPS (CONFIG_CGROUP_BPF)" },
		{ BPF_PROG_TYPE_SK_MSG, "BPF_PROG_TYPE_SK_MSG (CONFIG_BPF_STREAM_PARSER)" },
	};
	static const struct { enum bpf_prog_type t; enum bpf_func_id f; const char *name; } helpers[] = {
		{ BPF_PROG_TYPE_SOCK_OPS, BPF_FUNC_sock_hash_update, "helper bpf_sock_hash_update" },
		{ BPF_PROG_TYPE_SOCK_OPS, BPF_FUNC_get_netns_cookie, "helper bpf_get_netns_cookie in sock_ops (Linux 5.7+)" },
		{ BPF_PROG_TYPE_SK_MSG, BPF_FUNC_msg_redirect_hash, "helper bpf_msg_redirect_hash" },
		{ BPF_PROG_TYPE_SK_MSG, BPF_FUNC_get_netns_cookie, "helper bpf_get_netns_cookie in sk_msg (Linux 5.15+)" },
		{ BPF_PROG_TYPE_SK_MSG, BPF_FUNC_sk_storage_get, "helper bpf_sk_storage_get in sk_msg (Linux 5.12+)" },
	};
	const char *missing = NULL;

	for (size_t i = 0; !missing && i < sizeof(progs) / sizeof(progs[0]); i++)
		if (sa_feature_forced_missing(progs[i].name) || libbpf_probe_bpf_prog_type(progs[i].t, NULL) != 1)
			missing = progs[i].name;
	if (!missing && (sa_feature_forced_missing("BPF_MAP_TYPE_SOCKHASH") ||
			 libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SOCKHASH, NULL) != 1))
		missing = "BPF_MAP_TYPE_SOCKHASH (CONFIG_BPF_STREAM_PARSER)";
	if (!missing && (sa_feature_forced_missing("BPF_MAP_TYPE_SK_STORAGE") ||
			 libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SK_STORAGE, NULL) != 1))
		missing = "BPF_MAP_TYPE_SK_STORAGE (Linux 5.2+)";
	/* Everything else is optional: lib/feature_table.c, probed by the loader. */
	for (size_t i = 0; !missing && i < sizeof(helpers) / sizeof(helpers[0]); i++)
		if (sa_feature_forced_missing(helpers[i].name) ||
		    libbpf_probe_bpf_helper(helpers[i].t, helpers[i].f, NULL) != 1)
			missing = helpers[i].name;
	if (missing) {
		snprintf(err, errlen, "this kernel lacks %s, which sockaccel needs", missing);
		return -EOPNOTSUPP;
	}
	return 0;
}
