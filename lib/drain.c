// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "attach.h"
#include "cgroup.h"
#include "conns.h"
#include "drain.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool cgroup_attached(const struct sa_pins *p, uint64_t id)
{
	char path[PATH_MAX];

	sa_link_pin_path(p, id, path, sizeof(path));
	return access(path, F_OK) == 0;
}

/* nftw() has no user argument: the walk's state lives here. */
static struct {
	const struct sa_pins *p;
	const char *root;
	uint64_t *ids;
	size_t n, cap;
	int err;
} walk;

static int walk_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	if (type != FTW_D)
		return FTW_CONTINUE;
	/* A descendant attached on its own keeps its sockets accelerated. */
	if (strcmp(path, walk.root) && cgroup_attached(walk.p, sb->st_ino))
		return FTW_SKIP_SUBTREE;
	if (walk.n == walk.cap) {
		uint64_t *n = realloc(walk.ids, (walk.cap = walk.cap ? walk.cap * 2 : 64) * sizeof(*n));

		if (!n) {
			walk.err = -ENOMEM;
			return FTW_STOP;
		}
		walk.ids = n;
	}
	walk.ids[walk.n++] = sb->st_ino;	/* a cgroup2 directory's inode is its id */
	return FTW_CONTINUE;
}

int sa_drain_cgroup_set(const struct sa_pins *p, const char *abs_path, uint64_t cgid, uint64_t **out)
{
	char mnt[PATH_MAX], up[PATH_MAX], *slash;
	size_t mlen;
	struct stat sb;

	*out = NULL;
	/* An attached ancestor still covers every socket below it. */
	if (sa_cgroup2_mount(mnt, sizeof(mnt)) == 0) {
		mlen = strlen(mnt);
		snprintf(up, sizeof(up), "%s", abs_path);
		while ((slash = strrchr(up, '/')) && (size_t)(slash - up) >= mlen) {
			*slash = '\0';
			if (!*up || stat(up, &sb))
				break;
			if (cgroup_attached(p, sb.st_ino))
				return 0;
			if ((size_t)(slash - up) == mlen)
				break;
		}
	}
	memset(&walk, 0, sizeof(walk));
	walk.p = p;
	walk.root = abs_path;
	if (stat(abs_path, &sb) || (uint64_t)sb.st_ino != cgid ||
	    nftw(abs_path, walk_one, 16, FTW_PHYS | FTW_ACTIONRETVAL) || walk.err) {
		/* The cgroup is gone (or was replaced): its own id is all we know. */
		free(walk.ids);
		if (walk.err)
			return walk.err;
		walk.ids = malloc(sizeof(uint64_t));
		if (!walk.ids)
			return -ENOMEM;
		walk.ids[0] = cgid;
		walk.n = 1;
	}
	*out = walk.ids;
	return walk.n;
}

static int config_flags(int cfg_fd, uint32_t set, uint32_t clear)
{
	struct sa_config cfg = {};
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(cfg_fd, &zero, &cfg))
		return -errno;
	cfg.flags = (cfg.flags | set) & ~clear;
	return bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

static bool affected(const struct sa_conn_record *r, const struct sa_drain_opts *o)
{
	if (o->all)
		return true;
	for (size_t i = 0; i < o->n_cgids; i++)
		if (r->st.cgroup_id == o->cgids[i])
			return true;
	return false;
}

/* Redirected bytes waiting in the socket's queue: the stream position just past
 * the last redirected byte, minus the position read so far. The receiver reads
 * its redirected queue before TCP, so "read >= redir_end" means drained. */
static uint64_t unread_redirected(const struct sa_conn_record *r)
{
	return r->has_rx && r->rx_redir_end > r->rx_read_bytes ? r->rx_redir_end - r->rx_read_bytes : 0;
}

/* One look at every socket in the map (from the maps alone: no iterator, so
 * every network namespace, on every kernel). Keeps in (*recs)[0..*n) only
 * the concerned ones and counts those holding data. Without read
 * accounting (feature off) nothing is ever counted as read, so a socket
 * that ever received redirected data stays pending until it closes. */
static int survey(const struct sa_pins *p, const struct sa_drain_opts *o,
		  struct sa_conn_record **recs, size_t *n, struct sa_drain_status *st)
{
	size_t all, kept = 0;
	int r;

	free(*recs);
	*recs = NULL;
	r = sa_conns_read_map(p, recs, &all);
	if (r)
		return r;
	st->affected = st->pending = 0;
	st->pending_bytes = 0;
	for (size_t i = 0; i < all; i++) {
		struct sa_conn_record *c = &(*recs)[i];

		if (!affected(c, o))
			continue;
		(*recs)[kept++] = *c;
		if (unread_redirected(c)) {
			st->pending++;
			st->pending_bytes += unread_redirected(c);
		}
	}
	st->affected = *n = kept;
	return 0;
}

/* The pending sockets, with the process names the conns listing knows. */
static void list_pending(const struct sa_pins *p, const struct sa_conn_record *recs, size_t n,
			 struct sa_drain_result *res)
{
	struct sa_conn_record *all = NULL;
	const struct sa_conn_record **idx = NULL, *c;
	size_t n_all = 0;

	if (!sa_conns_read(p, &all, &n_all))
		idx = sa_conns_index(all, n_all);
	res->list = calloc(n ? n : 1, sizeof(*res->list));
	res->n_list = 0;
	for (size_t i = 0; res->list && i < n; i++) {
		if (!unread_redirected(&recs[i]))
			continue;
		res->list[res->n_list].key = recs[i].st.key;
		res->list[res->n_list].unread = unread_redirected(&recs[i]);
		c = idx ? sa_conns_find(idx, n_all, &recs[i].st.key) : NULL;
		if (c && (c->st.flags & SA_F_COMM_SET))
			memcpy(res->list[res->n_list].comm, c->st.comm, SA_COMM_LEN);
		res->n_list++;
	}
	free(idx);
	free(all);
}

int sa_drain(const struct sa_pins *p, const struct sa_drain_opts *o, struct sa_drain_result *res,
	     char *err, size_t errlen)
{
	struct sa_conn_record *recs = NULL;
	int map_fd, rx_fd, cfg_fd, drain_fd, r = 0;
	uint32_t one = 1, flag = o->all ? SA_CFG_DRAIN_ALL : SA_CFG_DRAIN_CGROUPS;
	double t0 = now_s();
	size_t n = 0;

	memset(res, 0, sizeof(*res));
	map_fd = sa_pin_open(p, SA_PIN_SOCK_MAP);
	rx_fd = sa_pin_open(p, SA_PIN_RX_PROGRESS);
	cfg_fd = sa_pin_open(p, SA_PIN_CONFIG);
	drain_fd = sa_pin_open(p, SA_PIN_DRAIN);
	if (map_fd < 0 || rx_fd < 0 || cfg_fd < 0 || drain_fd < 0) {
		r = map_fd < 0 ? map_fd : rx_fd < 0 ? rx_fd : cfg_fd < 0 ? cfg_fd : drain_fd;
		snprintf(err, errlen, "open pinned maps in %s: %s", p->dir, strerror(-r));
		goto out;
	}

	/* 1. Every affected direction takes TCP from its next send on. */
	for (size_t i = 0; !o->all && i < o->n_cgids; i++)
		if (bpf_map_update_elem(drain_fd, &o->cgids[i], &one, BPF_ANY)) {
			r = -errno;
			snprintf(err, errlen, "mark cgroup for draining: %s", strerror(errno));
			goto out;
		}
	if ((r = config_flags(cfg_fd, flag, 0))) {
		snprintf(err, errlen, "set drain flag: %s", strerror(-r));
		goto out;
	}

	/* 2. Wait until what was already redirected has been read. */
	for (;;) {
		r = survey(p, o, &recs, &n, &res->last);
		if (r) {
			snprintf(err, errlen, "read connection states: %s", strerror(-r));
			goto undo;
		}
		res->last.elapsed_s = now_s() - t0;
		if (!res->first.elapsed_s)
			res->first = res->last;
		if (o->progress)
			o->progress(&res->last, o->arg);
		if (!res->last.pending || o->force)
			break;
		if (o->stop && *o->stop) {
			res->interrupted = true;
			list_pending(p, recs, n, res);
			goto undo;	/* as on timeout: nothing dropped, marks undone */
		}
		if (res->last.elapsed_s >= o->timeout_s) {
			res->timed_out = true;
			list_pending(p, recs, n, res);
			goto undo;	/* leave them accelerated rather than drop data */
		}
		usleep(200 * 1000);
	}
	if (o->force)
		list_pending(p, recs, n, res);

	/* 3. Out of the map. Their peers find no read accounting: TCP. */
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_delete_elem(map_fd, &recs[i].st.key) == 0)
			res->removed++;
		bpf_map_delete_elem(rx_fd, &recs[i].st.key);
	}
undo:
	/* The drain marks are no longer needed: removed sockets' peers use TCP
	 * (peer gone); on timeout the pending ones stay as they are. Directions
	 * already moved keep TCP (draining is not a recoverable reason). */
	for (size_t i = 0; !o->all && i < o->n_cgids; i++)
		bpf_map_delete_elem(drain_fd, &o->cgids[i]);
	if (o->all || bpf_map_get_next_key(drain_fd, NULL, &(uint64_t){ 0 }))
		config_flags(cfg_fd, 0, flag);
out:
	free(recs);
	if (map_fd >= 0)
		close(map_fd);
	if (rx_fd >= 0)
		close(rx_fd);
	if (cfg_fd >= 0)
		close(cfg_fd);
	if (drain_fd >= 0)
		close(drain_fd);
	return r;
}

int sa_detach_graceful(const struct sa_pins *p, uint64_t cgid, const char *abs_path,
		       struct sa_drain_opts *o, struct sa_drain_result *res, char *err, size_t errlen)
{
	uint64_t *ids = NULL;
	int n, r;

	/* Before the links go: the ancestor/descendant checks read link pins. */
	n = sa_drain_cgroup_set(p, abs_path, cgid, &ids);
	if (n < 0) {
		snprintf(err, errlen, "list the cgroups below %s: %s", abs_path, strerror(-n));
		return n;
	}
	r = sa_detach_cgroup(p, cgid, err, errlen);
	if (r == -ENOENT && o->resume)
		r = 0;	/* detached before: its connections may still be in the map */
	else if (r) {
		free(ids);
		return r;
	}
	o->all = false;
	o->cgids = ids;
	o->n_cgids = n;
	if (n)
		r = sa_drain(p, o, res, err, errlen);
	else
		memset(res, 0, sizeof(*res));	/* still covered by an attached ancestor */
	free(ids);
	o->cgids = NULL;
	if (!r && o->resume && !res->first.affected) {
		snprintf(err, errlen, "cgroup %s (id %llu) is not attached", abs_path, (unsigned long long)cgid);
		return -ENOENT;
	}
	return r;
}
