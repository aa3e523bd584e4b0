/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Includes and constants every sockaccel BPF program needs. */
#ifndef SA_BPF_COMMON_H
#define SA_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "../sockaccel.h"

/* vmlinux.h carries no #defines. */
#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

#endif
