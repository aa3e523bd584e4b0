/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The pin directory (default /sys/fs/bpf/sockaccel):
 *   sock_map      SOCKHASH of accelerated sockets (sk_msg program attached)
 *   counters      PERCPU_ARRAY of enum sa_counter
 *   cgroups       HASH cgroup id -> struct sa_cgroup_info
 *   prog_sockops  the sockops program
 *   prog_sk_msg   the sk_msg program
 *   sock_state    SK_STORAGE: struct sa_sock_state of every socket seen
 *   rx_progress   LRU_HASH own key -> struct sa_rx_progress (reads, bound)
 *   config        ARRAY[1] struct sa_config (policy flags, --max-unread)
 *   policy_ports  HASH port -> SA_PORT_INCLUDE/EXCLUDE
 *   policy_comms  HASH comm -> 1 (excluded process names)
 *   drain         HASH cgroup id -> 1: cgroups a graceful detach is draining
 *   prog_sock_create  the cgroup/sock_create program
 *   link_rx_track the read accounting link (optional: tp_btf/sock_recv_length)
 *   link_rx_track6 its second link when the implementation has two (fexit)
 *   link_sock_destroy the tp_btf/tcp_destroy_sock link (optional)
 *   iter_conns    the conns iterator link (optional: sock_state or tcp)
 *   features      ARRAY enum sa_feature -> struct sa_feature_state: what this
 *                 load uses of the optional features (lib/feature_table.c);
 *                 pinned last, so its presence marks a complete load
 *   cgroup_names  HASH cgroup id -> the name it was attached by ("pid 1234"),
 *                 created on first use by lib/cgroup_names.c (optional)
 *   percg_counters PERCPU_ARRAY slot -> struct sa_cg_counters: per attached
 *                 cgroup counters (optional: older loads have none)
 *   short_ports   LRU_HASH struct sa_port_key -> struct sa_port_hist: the
 *                 short-lived connection streak of each service port
 *                 (optional: older loads have none)
 *   link_cg_<ID>  the sockops bpf_link of an attached cgroup (ID = cgroup id)
 *   link_cs_<ID>  its sock_create bpf_link
 * Every change to it happens under an exclusive flock on the directory.
 */
#ifndef SA_PINS_H
#define SA_PINS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SA_DEFAULT_PIN_DIR "/sys/fs/bpf/sockaccel"
#define SA_PIN_SOCK_MAP "sock_map"
#define SA_PIN_COUNTERS "counters"
#define SA_PIN_CGROUPS "cgroups"
#define SA_PIN_PROG_SOCKOPS "prog_sockops"
#define SA_PIN_PROG_SK_MSG "prog_sk_msg"
#define SA_PIN_SOCK_STATE "sock_state"
#define SA_PIN_RX_PROGRESS "rx_progress"
#define SA_PIN_CONFIG "config"
#define SA_PIN_POLICY_PORTS "policy_ports"
#define SA_PIN_POLICY_COMMS "policy_comms"
#define SA_PIN_DRAIN "drain"
#define SA_PIN_PROG_SOCK_CREATE "prog_sock_create"
#define SA_PIN_LINK_RX_TRACK "link_rx_track"
#define SA_PIN_LINK_RX_TRACK6 "link_rx_track6"
#define SA_PIN_LINK_SOCK_DESTROY "link_sock_destroy"
#define SA_PIN_FEATURES "features"
#define SA_PIN_ITER_CONNS "iter_conns"
#define SA_PIN_SPLICERS "splicers"
#define SA_PIN_LINK_SPLICE "link_splice"
#define SA_PIN_CGROUP_NAMES "cgroup_names"
#define SA_PIN_PERCG_COUNTERS "percg_counters"
#define SA_PIN_SHORT_PORTS "short_ports"
#define SA_PIN_LINK_PREFIX "link_cg_"
#define SA_PIN_LINK_CS_PREFIX "link_cs_"
#define SA_MAX_LINKS_SCAN 4096

struct sa_pins {
	char dir[PATH_MAX];
	int lock_fd;		/* -1 when not locked */
};

/* Full path of a pin. */
void sa_pin_path(const struct sa_pins *p, const char *name, char *buf, size_t len);
void sa_link_pin_path(const struct sa_pins *p, uint64_t cgid, char *buf, size_t len);
void sa_cs_link_pin_path(const struct sa_pins *p, uint64_t cgid, char *buf, size_t len);

/* Every pin of a complete load, except the per-cgroup links (NULL-terminated). */
extern const char *const sa_object_pins[];

/* 1 when the pin dir's parent is on bpffs, 0 when not, -errno (absent). */
int sa_pins_parent_on_bpffs(const struct sa_pins *p);

/* Why an absent pin dir may be absent: "" or a hint, to append to a message. */
const char *sa_pins_absent_hint(const struct sa_pins *p);

/* Make sure the pin dir's parent is on bpffs; mounts /sys/fs/bpf when absent. */
int sa_pins_ensure_bpffs(const struct sa_pins *p, char *err, size_t errlen);

/*
 * Take the exclusive lock. With create, makes the directory first (0700).
 * Without create, -ENOENT if it is absent. Refuses (err says why) a pin dir
 * that is not safe to use: lib/pin_check.h.
 */
int sa_pins_lock(struct sa_pins *p, bool create, char *err, size_t errlen);
void sa_pins_unlock(struct sa_pins *p);

/* True when every object pin (maps and programs) exists. */
bool sa_pins_complete(const struct sa_pins *p, const char **missing);
/* True when any pin at all exists in the directory. */
bool sa_pins_any(const struct sa_pins *p);

/* bpf_obj_get() of a pin; -errno on failure. */
int sa_pin_open(const struct sa_pins *p, const char *name);

/* Call fn for each link pin (link_cg_<ID>); returns the count. */
int sa_pins_for_each_link(const struct sa_pins *p,
			  void (*fn)(const struct sa_pins *p, uint64_t cgid, void *arg), void *arg);
/* The same for the pins named prefix<ID>; fn may be NULL (count only). */
int sa_pins_for_each_prefix(const struct sa_pins *p, const char *prefix,
			    void (*fn)(const struct sa_pins *p, uint64_t cgid, void *arg), void *arg);
/* Cgroup link pins of either kind (link_cg_, link_cs_). */
int sa_pins_count_links(const struct sa_pins *p);

#endif
