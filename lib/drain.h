/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Graceful detach/teardown (docs/design.md, "Draining"): move the affected
 * connections to TCP, wait until every byte already redirected to their
 * sockets has been read, then remove those sockets from the map. The caller
 * holds the pin-dir lock and has detached the cgroup links already.
 */
#ifndef SA_DRAIN_H
#define SA_DRAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pins.h"
#include "../bpf/sockaccel.h"

struct sa_drain_pending {
	struct sa_sock_key key;		/* the socket with unread redirected data */
	uint64_t unread;		/* bytes */
	char comm[SA_COMM_LEN + 1];
};

struct sa_drain_status {
	double elapsed_s;
	size_t affected;		/* accelerated sockets concerned */
	size_t pending;			/* ... of which still hold unread redirected data */
	uint64_t pending_bytes;
};

struct sa_drain_opts {
	bool all;			/* teardown: every connection */
	const uint64_t *cgids;		/* else: sockets whose cgroup is one of these */
	size_t n_cgids;
	double timeout_s;		/* give up after this long (0: do not wait) */
	bool force;			/* remove at once, report what may be lost */
	void (*progress)(const struct sa_drain_status *st, void *arg);	/* ~every 200 ms */
	void *arg;
	const volatile sig_atomic_t *stop;	/* set (by a signal handler): stop waiting, as on timeout */
	bool resume;			/* detach: the links may be gone already (a detach
					 * interrupted or timed out before): drain what is left */
};

struct sa_drain_result {
	struct sa_drain_status first;	/* when the drain started */
	struct sa_drain_status last;
	bool timed_out;			/* pending data left: nothing removed */
	bool interrupted;		/* the same, stopped by o->stop */
	size_t removed;			/* sockets taken out of the map */
	struct sa_drain_pending *list;	/* pending sockets (timeout or --force), malloc'ed */
	size_t n_list;
};

/* 0 (see res->timed_out) or -errno with err set. */
int sa_drain(const struct sa_pins *p, const struct sa_drain_opts *o, struct sa_drain_result *res,
	     char *err, size_t errlen);

/*
 * The cgroup ids a detach of `abs_path` (id `cgid`) must drain: the cgroup
 * and its descendants, minus subtrees that stay covered by another attached
 * cgroup. None when an ancestor is attached too. Returns the count (ids in
 * *out, malloc'ed) or -errno.
 */
int sa_drain_cgroup_set(const struct sa_pins *p, const char *abs_path, uint64_t cgid, uint64_t **out);

/*
 * Graceful detach of one attached cgroup: compute its drain set, detach its
 * links (no new sockets), then sa_drain() with o's timeout/force/progress
 * (o->all and o->cgids are filled in here). With o->resume, a cgroup whose
 * links are gone but whose sockets are still in the map is drained too;
 * -ENOENT when there is neither. 0 or -errno with err set.
 */
int sa_detach_graceful(const struct sa_pins *p, uint64_t cgid, const char *abs_path,
		       struct sa_drain_opts *o, struct sa_drain_result *res, char *err, size_t errlen);

#endif
