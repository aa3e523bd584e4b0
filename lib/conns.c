// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "conns.h"
#include "feature_table.h"

const char *const sa_mode_names[SA_MODE_MAX] = {
	[SA_MODE_NEW] = "new",
	[SA_MODE_REDIRECT] = "redirect",
	[SA_MODE_TCP] = "tcp",
	[SA_MODE_OFF] = "off",
};

const char *const sa_reason_names[SA_REASON_MAX] = {
	[SA_R_NONE] = "-",
	[SA_R_PEER_ACCELERATED] = "peer_accelerated",
	[SA_R_PEER_NOT_IN_MAP] = "peer_not_in_map",
	[SA_R_PEER_GONE] = "peer_gone",
	[SA_R_SLOW_READER] = "slow_reader",
	[SA_R_RECOVERED] = "recovered",
	[SA_R_SENT_BEFORE_INSERT] = "sent_before_insert",
	[SA_R_RX_DATA] = "had_rx_data",
	[SA_R_POLICY_PORT] = "policy_port",
	[SA_R_POLICY_COMM] = "policy_comm",
	[SA_R_REMOTE] = "remote_peer",
	[SA_R_MAP_FULL] = "map_full",
	[SA_R_INSERT_FAILED] = "insert_failed",
	[SA_R_NAIVE] = "naive_build",
	[SA_R_DRAINING] = "draining",
	[SA_R_STREAM] = "stream",
	[SA_R_PEER_UNMAPPING] = "peer_unmapping",
	[SA_R_SLOW_STREAM] = "slow_stream",
	[SA_R_UNMAPPED] = "unmapped",
	[SA_R_AWAIT_READER] = "await_reader",
	[SA_R_PEER_SPLICES] = "peer_splices",
	[SA_R_SPLICE_LATE] = "splice_late",
	[SA_R_SPLICER] = "splicer",
	[SA_R_SHORT_LIVED] = "short_lived",
};

const char *sa_tcp_state_name(unsigned int state)
{
	static const char *const names[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
		"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

/* Append everything an iterator created from link_fd yields, in the network
 * namespace this process is in now. Records may arrive split across read()
 * calls: collect bytes first. */
static int read_iter(int link_fd, struct sa_conn_record **recs, size_t *n, size_t *cap)
{
	size_t got = *n * sizeof(**recs);
	struct sa_conn_record *tmp;
	int it_fd, r = 0;
	ssize_t len;

	it_fd = bpf_iter_create(link_fd);
	if (it_fd < 0)
		return -errno;
	for (;;) {
		if (got + sizeof(**recs) > *cap * sizeof(**recs)) {
			size_t ncap = *cap ? *cap * 2 : 64;

			tmp = realloc(*recs, ncap * sizeof(**recs));
			if (!tmp) {
				r = -ENOMEM;
				break;
			}
			*recs = tmp;
			*cap = ncap;
		}
		len = read(it_fd, (char *)*recs + got, *cap * sizeof(**recs) - got);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (len == 0)
			break;
		got += len;
	}
	close(it_fd);
	*n = got / sizeof(**recs);
	return r;
}

static int cmp_rec_key(const void *a, const void *b)
{
	const struct sa_conn_record *x = a, *y = b;

	return memcmp(&x->st.key, &y->st.key, sizeof(x->st.key));
}

/* Network namespaces seen so far (device and inode of their nsfs file). */
struct ns_seen {
	struct { dev_t dev; ino_t ino; } *v;
	size_t n, cap;
};

static bool ns_add(struct ns_seen *s, const struct stat *sb)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].dev == sb->st_dev && s->v[i].ino == sb->st_ino)
			return false;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		void *tmp = realloc(s->v, ncap * sizeof(*s->v));

		if (!tmp)
			return false;
		s->v = tmp;
		s->cap = ncap;
	}
	s->v[s->n].dev = sb->st_dev;
	s->v[s->n].ino = sb->st_ino;
	s->n++;
	return true;
}

struct iter_walk {
	int link_fd, self_ns, err;
	struct ns_seen seen;
	struct sa_conn_record **recs;
	size_t *n, *cap;
};

/* Read the iterator inside the network namespace behind path (a
 * /proc/PID/ns/net link or an nsfs mount), once per namespace. */
static void iter_in_ns(struct iter_walk *w, const char *path)
{
	struct stat sb;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;		/* the process ended meanwhile */
	if (fstat(fd, &sb) || !ns_add(&w->seen, &sb) || setns(fd, CLONE_NEWNET)) {
		close(fd);	/* seen already, or not a network namespace */
		return;
	}
	close(fd);
	r = read_iter(w->link_fd, w->recs, w->n, w->cap);
	if (r && !w->err)
		w->err = r;
	if (setns(w->self_ns, CLONE_NEWNET) && !w->err)
		w->err = -errno;
}

/* iter/tcp sees the namespace of its reader only (lib/feature_table.c):
 * enter every namespace a process is in or a mount holds (ip netns). */
static int read_iter_per_netns(int link_fd, struct sa_conn_record **recs, size_t *n, size_t *cap)
{
	struct iter_walk w = { .link_fd = link_fd, .recs = recs, .n = n, .cap = cap };
	char path[PATH_MAX], line[4096];
	struct dirent *e;
	DIR *d;
	FILE *f;

	w.self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (w.self_ns < 0)
		return -errno;
	iter_in_ns(&w, "/proc/self/ns/net");
	d = opendir("/proc");
	while (d && !w.err && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		iter_in_ns(&w, path);
	}
	if (d)
		closedir(d);
	/* Mounted namespaces (/run/netns/NAME): field 5 is the mount point, the
	 * file system type follows the " - " separator. */
	f = fopen("/proc/self/mountinfo", "re");
	while (f && !w.err && fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], *sep = strstr(line, " - ");

		if (!sep || strncmp(sep + 3, "nsfs ", 5) ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		iter_in_ns(&w, mnt);
	}
	if (f)
		fclose(f);
	close(w.self_ns);
	free(w.seen.v);
	return w.err;
}

int sa_conns_read_map(const struct sa_pins *p, struct sa_conn_record **out, size_t *n)
{
	struct sa_conn_record *recs = NULL, *tmp;
	struct sa_sock_key key, next, *prev = NULL;
	struct sa_rx_progress rx;
	int map_fd, rx_fd, r = 0;
	size_t cnt = 0, cap = 0, steps = 0, limit;
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	uint64_t cookie;

	map_fd = sa_pin_open(p, SA_PIN_SOCK_MAP);
	if (map_fd < 0)
		return map_fd;
	rx_fd = sa_pin_open(p, SA_PIN_RX_PROGRESS);
	if (rx_fd < 0) {
		close(map_fd);
		return rx_fd;
	}
	/* A key deleted under the walk restarts it from the first key: bound
	 * the walk, and keep each key once (below). */
	limit = bpf_obj_get_info_by_fd(map_fd, &mi, &len) ? 1u << 20 : 4 * (size_t)mi.max_entries + 16;
	while (bpf_map_get_next_key(map_fd, prev, &next) == 0 && steps++ < limit) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map_fd, &key, &cookie))
			continue;	/* left the map meanwhile */
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(recs, cap * sizeof(*recs));
			if (!tmp) {
				r = -ENOMEM;
				break;
			}
			recs = tmp;
		}
		memset(&recs[cnt], 0, sizeof(recs[cnt]));
		recs[cnt].st.key = key;
		recs[cnt].st.cookie = cookie;
		recs[cnt].st.flags = SA_F_INSERTED;
		recs[cnt].st.mode = SA_MODE_MAX;	/* not known from the maps */
		if (!bpf_map_lookup_elem(rx_fd, &key, &rx)) {
			recs[cnt].has_rx = 1;
			recs[cnt].rx_read_bytes = rx.read_bytes;
			recs[cnt].rx_limit = rx.limit;
			recs[cnt].rx_redir_end = rx.redir_end;
			recs[cnt].rx_flags = rx.flags;
			recs[cnt].st.cgroup_id = rx.cgroup_id;
		}
		cnt++;
	}
	close(map_fd);
	close(rx_fd);
	if (r) {
		free(recs);
		return r;
	}
	/* A restarted walk saw some keys twice. */
	if (cnt) {
		size_t u = 1;

		qsort(recs, cnt, sizeof(*recs), cmp_rec_key);
		for (size_t i = 1; i < cnt; i++)
			if (cmp_rec_key(&recs[i], &recs[u - 1]))
				recs[u++] = recs[i];
		cnt = u;
	}
	*out = recs;
	*n = cnt;
	return 0;
}

int sa_conns_read(const struct sa_pins *p, struct sa_conn_record **out, size_t *n)
{
	struct sa_feature_state feat[SA_FEAT_MAX];
	struct sa_conn_record *recs = NULL, *inmap = NULL, *tmp;
	const struct sa_conn_record **idx = NULL;
	size_t cnt = 0, cap = 0, n_map = 0, added = 0;
	unsigned int impl = 0;	/* a load without the table has the first */
	int link_fd, r;

	if (!sa_features_read(p, feat))
		impl = feat[SA_FEAT_CONNS].impl;
	if (impl == SA_CONNS_ITER_MAP || impl == SA_CONNS_ITER_TCP) {
		link_fd = sa_pin_open(p, SA_PIN_ITER_CONNS);
		if (link_fd < 0)
			return link_fd;
		r = impl == SA_CONNS_ITER_MAP ? read_iter(link_fd, &recs, &cnt, &cap) :
						read_iter_per_netns(link_fd, &recs, &cnt, &cap);
		close(link_fd);
		if (r)
			goto fail;
	}
	/* Sockets in the map the iterator did not show (every one of them
	 * without an iterator): what the maps know. */
	r = sa_conns_read_map(p, &inmap, &n_map);
	if (r)
		goto fail;
	idx = sa_conns_index(recs, cnt);
	if (!idx) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n_map; i++)
		if (!sa_conns_find(idx, cnt, &inmap[i].st.key))
			inmap[added++] = inmap[i];
	if (added) {
		tmp = realloc(recs, (cnt + added) * sizeof(*recs));
		if (!tmp) {
			r = -ENOMEM;
			goto fail;
		}
		recs = tmp;
		memcpy(recs + cnt, inmap, added * sizeof(*recs));
		cnt += added;
	}
	free(idx);
	free(inmap);
	*out = recs;
	*n = cnt;
	return 0;
fail:
	free(idx);
	free(inmap);
	free(recs);
	return r;
}

static int cmp_key(const void *a, const void *b)
{
	const struct sa_conn_record *const *x = a, *const *y = b;

	return memcmp(&(*x)->st.key, &(*y)->st.key, sizeof((*x)->st.key));
}

const struct sa_conn_record **sa_conns_index(const struct sa_conn_record *recs, size_t n)
{
	const struct sa_conn_record **idx = calloc(n ? n : 1, sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = &recs[i];
	qsort(idx, n, sizeof(*idx), cmp_key);
	return idx;
}

/* Binary search: a host can hold tens of thousands of sockets. */
const struct sa_conn_record *sa_conns_find(const struct sa_conn_record **index, size_t n,
					   const struct sa_sock_key *k)
{
	struct sa_conn_record want = {};
	const struct sa_conn_record *w = &want, **hit;

	want.st.key = *k;
	hit = index && n ? bsearch(&w, index, n, sizeof(*index), cmp_key) : NULL;
	return hit ? *hit : NULL;
}

const struct sa_conn_record *sa_conns_peer(const struct sa_conn_record **index, size_t n,
					   const struct sa_sock_key *k)
{
	struct sa_sock_key rev = { .netns = k->netns, .local_port = k->remote_port,
				   .remote_port = k->local_port };

	memcpy(rev.local_ip, k->remote_ip, sizeof(rev.local_ip));
	memcpy(rev.remote_ip, k->local_ip, sizeof(rev.remote_ip));
	return sa_conns_find(index, n, &rev);
}
