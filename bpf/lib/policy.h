/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Which connections may be accelerated: the loader's port and comm policy. */
#ifndef SA_BPF_POLICY_H
#define SA_BPF_POLICY_H

#include "maps.h"
#include "state.h"

static __always_inline __u32 sa_port_action(__u32 port)
{
	__u32 *a = bpf_map_lookup_elem(&policy_ports, &port);

	return a ? *a : 0;
}

/* 1 when the port policy allows a connection between these ports. Both ports
 * are checked: the service port is local on one side and remote on the other. */
static __always_inline int sa_ports_allowed(const struct sa_sock_key *key)
{
	struct sa_config *cfg = sa_config_get();
	__u32 l = sa_port_action(key->local_port), r = sa_port_action(key->remote_port);

	if (l == SA_PORT_EXCLUDE || r == SA_PORT_EXCLUDE)
		return 0;
	if (cfg && (cfg->flags & SA_CFG_PORTS_INCLUDE))
		return l == SA_PORT_INCLUDE || r == SA_PORT_INCLUDE;
	return 1;
}

/* 1 when the current process's name is excluded. Only meaningful in process
 * context (cgroup/sock_create), not in sockops (often softirq). */
static __always_inline int sa_comm_excluded(char comm[SA_COMM_LEN])
{
	return bpf_map_lookup_elem(&policy_comms, comm) != NULL;
}

#endif
