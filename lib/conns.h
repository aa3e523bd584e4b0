/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading every socket's state: through the conns iterator this load has
 * (feature "conns listing"), and from the maps for what it cannot show. */
#ifndef SA_CONNS_H
#define SA_CONNS_H

#include <stddef.h>
#include "pins.h"
#include "../bpf/sockaccel.h"

extern const char *const sa_mode_names[SA_MODE_MAX];
extern const char *const sa_reason_names[SA_REASON_MAX];
const char *sa_tcp_state_name(unsigned int state);

/* Implementations of SA_FEAT_CONNS (lib/feature_table.c). */
enum { SA_CONNS_ITER_MAP, SA_CONNS_ITER_TCP, SA_CONNS_MAP_WALK };

/* All records (malloc'ed array in *out, count in *n): every socket the
 * iterator shows, then a record from the maps (mode SA_MODE_MAX: not known)
 * for each socket in sock_map it did not show. 0 or -errno. */
int sa_conns_read(const struct sa_pins *p, struct sa_conn_record **out, size_t *n);
/* Only the sockets in sock_map, from sock_map and rx_progress: key, cookie,
 * cgroup and read accounting, in every network namespace. No iterator. */
int sa_conns_read_map(const struct sa_pins *p, struct sa_conn_record **out, size_t *n);

/* An index of recs sorted by key, for sa_conns_peer() (malloc'ed; NULL on ENOMEM). */
const struct sa_conn_record **sa_conns_index(const struct sa_conn_record *recs, size_t n);
/* The record with key k, or NULL. */
const struct sa_conn_record *sa_conns_find(const struct sa_conn_record **index, size_t n,
					   const struct sa_sock_key *k);
/* The record whose key is the reverse of k (the peer socket), or NULL. */
const struct sa_conn_record *sa_conns_peer(const struct sa_conn_record **index, size_t n,
					   const struct sa_sock_key *k);

#endif
