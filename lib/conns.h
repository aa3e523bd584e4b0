/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading every socket's state through the pinned sock_state iterator. */
#ifndef SA_CONNS_H
#define SA_CONNS_H

#include <stddef.h>
#include "pins.h"
#include "../bpf/sockaccel.h"

extern const char *const sa_mode_names[SA_MODE_MAX];
extern const char *const sa_reason_names[SA_REASON_MAX];
const char *sa_tcp_state_name(unsigned int state);

/* All records (malloc'ed array in *out, count in *n). 0 or -errno. */
int sa_conns_read(const struct sa_pins *p, struct sa_conn_record **out, size_t *n);

/* An index of recs sorted by key, for sa_conns_peer() (malloc'ed; NULL on ENOMEM). */
const struct sa_conn_record **sa_conns_index(const struct sa_conn_record *recs, size_t n);
/* The record whose key is the reverse of k (the peer socket), or NULL. */
const struct sa_conn_record *sa_conns_peer(const struct sa_conn_record **index, size_t n,
					   const struct sa_sock_key *k);

#endif
