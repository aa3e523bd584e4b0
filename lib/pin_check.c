// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Is a pin directory safe to use? (pin_check.h, docs/security.md) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cgroup_names.h"
#include "feature_table.h"
#include "pin_check.h"
#include "../bpf/sockaccel.h"

#define REMEDY "remove it or use another --pin-dir"

int sa_pins_check_dir(const char *dir, int fd, char *err, size_t errlen)
{
	char tmp[PATH_MAX], target[PATH_MAX], *parent;
	struct stat st, fst, pst;
	uid_t me = geteuid();
	ssize_t n;

	if (lstat(dir, &st)) {
		int r = -errno;

		snprintf(err, errlen, "pin dir %s: %s", dir, strerror(errno));
		return r;
	}
	if (S_ISLNK(st.st_mode)) {
		n = readlink(dir, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		snprintf(err, errlen, "pin dir %s is a symbolic link (to %s), refusing: " REMEDY, dir, target);
		return -ELOOP;
	}
	if (fd >= 0) {
		if (fstat(fd, &fst) || fst.st_ino != st.st_ino || fst.st_dev != st.st_dev) {
			snprintf(err, errlen, "pin dir %s changed while it was being opened, refusing", dir);
			return -EAGAIN;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "pin dir %s is not a directory, refusing: " REMEDY, dir);
		return -ENOTDIR;
	}
	if (st.st_uid != me) {
		snprintf(err, errlen, "pin dir %s is owned by uid %u, not by uid %u (created by someone else?), "
			 "refusing: " REMEDY, dir, (unsigned)st.st_uid, (unsigned)me);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "pin dir %s is writable by %s (mode %04o), refusing: " REMEDY, dir,
			 st.st_mode & S_IWOTH ? "everyone" : "its group", (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	/* Whoever may write to the parent can rename the directory away and
	 * put another in its place; a sticky parent (/sys/fs/bpf) forbids that. */
	snprintf(tmp, sizeof(tmp), "%s", dir);
	parent = dirname(tmp);
	if (stat(parent, &pst)) {
		int r = -errno;

		snprintf(err, errlen, "pin dir parent %s: %s", parent, strerror(errno));
		return r;
	}
	if ((pst.st_uid != me && pst.st_uid != 0) ||
	    ((pst.st_mode & (S_IWGRP | S_IWOTH)) && !(pst.st_mode & S_ISVTX))) {
		snprintf(err, errlen, "pin dir parent %s (uid %u, mode %04o) lets others replace %s, refusing: "
			 "use a pin dir whose parent only root can change", parent, (unsigned)pst.st_uid,
			 (unsigned)(pst.st_mode & 07777), dir);
		return -EPERM;
	}
	return 0;
}

enum kind { K_MAP, K_PROG, K_LINK };

/* What each pin must be. max: exact max_entries; with at_most, the largest
 * accepted (a build that knew fewer counters or features); 0 with !at_most:
 * any (sized at load: sock_map, rx_progress, checked below). */
struct pin_spec {
	const char *name;
	enum kind kind;
	__u32 type, type2;	/* type2: another accepted type (0: none) */
	__u32 key, value, max;
	bool at_most;
};

static const struct pin_spec specs[] = {
	/* sock_map first: rx_progress is checked against its size */
	{ SA_PIN_SOCK_MAP, K_MAP, BPF_MAP_TYPE_SOCKHASH, 0, sizeof(struct sa_sock_key), 8, 0, false },
	{ SA_PIN_RX_PROGRESS, K_MAP, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, sizeof(struct sa_sock_key),
	  sizeof(struct sa_rx_progress), 0, false },
	{ SA_PIN_COUNTERS, K_MAP, BPF_MAP_TYPE_PERCPU_ARRAY, 0, 4, 8, SA_COUNTER_SLOTS, true },
	{ SA_PIN_CGROUPS, K_MAP, BPF_MAP_TYPE_HASH, 0, 8, sizeof(struct sa_cgroup_info), SA_CGROUP_MAP_ENTRIES, false },
	{ SA_PIN_SOCK_STATE, K_MAP, BPF_MAP_TYPE_SK_STORAGE, 0, 4, sizeof(struct sa_sock_state), 0, false },
	{ SA_PIN_CONFIG, K_MAP, BPF_MAP_TYPE_ARRAY, 0, 4, sizeof(struct sa_config), 1, false },
	{ SA_PIN_POLICY_PORTS, K_MAP, BPF_MAP_TYPE_HASH, 0, 4, 4, SA_POLICY_ENTRIES, false },
	{ SA_PIN_POLICY_COMMS, K_MAP, BPF_MAP_TYPE_HASH, 0, SA_COMM_LEN, 4, SA_POLICY_ENTRIES, false },
	{ SA_PIN_DRAIN, K_MAP, BPF_MAP_TYPE_HASH, 0, 8, 4, SA_DRAIN_ENTRIES, false },
	{ SA_PIN_SPLICERS, K_MAP, BPF_MAP_TYPE_LRU_HASH, 0, SA_COMM_LEN, sizeof(struct sa_splicer),
	  SA_SPLICER_ENTRIES, false },
	/* optional, made by user space (lib/cgroup_names.c); read into fixed
	 * buffers, so a planted one with bigger keys or values is refused */
	{ SA_PIN_CGROUP_NAMES, K_MAP, BPF_MAP_TYPE_HASH, 0, 8, SA_CGROUP_NAME_MAX, SA_CGROUP_MAP_ENTRIES, false },
	{ SA_PIN_PERCG_COUNTERS, K_MAP, BPF_MAP_TYPE_PERCPU_ARRAY, 0, 4, sizeof(struct sa_cg_counters),
	  SA_CG_SLOTS, false },
	{ SA_PIN_SHORT_PORTS, K_MAP, BPF_MAP_TYPE_LRU_HASH, 0, sizeof(struct sa_port_key),
	  sizeof(struct sa_port_hist), SA_SHORT_PORTS_ENTRIES, false },
	{ SA_PIN_FEATURES, K_MAP, BPF_MAP_TYPE_ARRAY, 0, 4, sizeof(struct sa_feature_state), SA_FEAT_MAX, true },
	{ SA_PIN_PROG_SOCKOPS, K_PROG, BPF_PROG_TYPE_SOCK_OPS, 0, 0, 0, 0, false },
	{ SA_PIN_PROG_SK_MSG, K_PROG, BPF_PROG_TYPE_SK_MSG, 0, 0, 0, 0, false },
	{ SA_PIN_PROG_SOCK_CREATE, K_PROG, BPF_PROG_TYPE_CGROUP_SOCK, 0, 0, 0, 0, false },
	{ SA_PIN_LINK_RX_TRACK, K_LINK, 0, 0, 0, 0, 0, false },
	{ SA_PIN_LINK_RX_TRACK6, K_LINK, 0, 0, 0, 0, 0, false },
	{ SA_PIN_LINK_SOCK_DESTROY, K_LINK, 0, 0, 0, 0, 0, false },
	{ SA_PIN_ITER_CONNS, K_LINK, 0, 0, 0, 0, 0, false },
	{ SA_PIN_LINK_SPLICE, K_LINK, 0, 0, 0, 0, 0, false },
};

static const char *const kind_names[] = { "map", "program", "link" };

/* The kind of a bpf fd, from its anon inode's name; -1 if not a bpf object. */
static int fd_kind(int fd)
{
	char path[64], name[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, name, sizeof(name) - 1);
	if (n < 0)
		return -1;
	name[n] = '\0';
	if (!strcmp(name, "anon_inode:bpf-map"))
		return K_MAP;
	if (!strcmp(name, "anon_inode:bpf-prog"))
		return K_PROG;
	/* older kernels name it "bpf_link", newer ones (6.18 here) "bpf-link" */
	if (!strcmp(name, "anon_inode:bpf_link") || !strcmp(name, "anon_inode:bpf-link"))
		return K_LINK;
	return -1;
}

static bool is_link_pin(const char *name)
{
	const char *pfx[] = { SA_PIN_LINK_PREFIX, SA_PIN_LINK_CS_PREFIX };

	for (size_t i = 0; i < 2; i++) {
		size_t l = strlen(pfx[i]);

		if (!strncmp(name, pfx[i], l) && name[l] && strspn(name + l, "0123456789") == strlen(name + l))
			return true;
	}
	return false;
}

static const struct pin_spec *spec_of(const char *name)
{
	static const struct pin_spec link = { NULL, K_LINK, 0, 0, 0, 0, 0, false };

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (!strcmp(specs[i].name, name))
			return &specs[i];
	return is_link_pin(name) ? &link : NULL;
}

/* Open one pin and compare it with its spec. sock_max: sock_map's size. */
static int check_object(const char *path, const struct pin_spec *s, __u32 *sock_max, char *err, size_t errlen)
{
	int fd = bpf_obj_get(path), kind, r = 0;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "pin %s: cannot open it: %s", path, strerror(errno));
		return r;
	}
	kind = fd_kind(fd);
	if (kind != (int)s->kind) {
		snprintf(err, errlen, "pin %s is %s, not the %s sockaccel pins under this name, refusing: "
			 "remove it (rm %s) or use another --pin-dir", path,
			 kind < 0 ? "not a BPF object" : kind == K_MAP ? "a map" : kind == K_PROG ? "a program" : "a link",
			 kind_names[s->kind], path);
		r = -EINVAL;
	} else if (kind == K_PROG) {
		struct bpf_prog_info pi = {};
		__u32 len = sizeof(pi);

		if (bpf_obj_get_info_by_fd(fd, &pi, &len)) {
			r = -errno;
			snprintf(err, errlen, "pin %s: %s", path, strerror(errno));
		} else if (pi.type != s->type) {
			snprintf(err, errlen, "pin %s is a program of type %u, not %u, refusing: remove it (rm %s) "
				 "or use another --pin-dir", path, pi.type, s->type, path);
			r = -EINVAL;
		}
	} else if (kind == K_MAP) {
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);
		char want[32];
		bool bad_max, bad_value;

		if (bpf_obj_get_info_by_fd(fd, &mi, &len)) {
			r = -errno;
			snprintf(err, errlen, "pin %s: %s", path, strerror(errno));
			goto out;
		}
		if (!strcmp(s->name, SA_PIN_SOCK_MAP)) {
			bad_max = !mi.max_entries || mi.max_entries > (1u << 24);	/* --map-size */
			snprintf(want, sizeof(want), "1..%u", 1u << 24);
		} else if (!strcmp(s->name, SA_PIN_RX_PROGRESS)) {
			bad_max = mi.max_entries < 2ull * *sock_max;	/* loader/load.c, size_maps */
			snprintf(want, sizeof(want), ">= %llu", 2ull * *sock_max);
		} else if (s->at_most) {	/* a build that knew fewer */
			bad_max = !mi.max_entries || mi.max_entries > s->max;
			snprintf(want, sizeof(want), "1..%u", s->max);
		} else {
			bad_max = mi.max_entries != s->max;
			snprintf(want, sizeof(want), "%u", s->max);
		}
		/* per-cgroup counters of an older build: room for fewer reasons
		 * (lib/percg.c reads them with the map's own value size) */
		bad_value = !strcmp(s->name, SA_PIN_PERCG_COUNTERS) ?
			    mi.value_size > s->value || mi.value_size % 8 ||
			    mi.value_size < 8 * (SA_CG_FALLBACKS + 1) :
			    mi.value_size != s->value;
		if ((mi.type != s->type && (!s->type2 || mi.type != s->type2)) || mi.key_size != s->key ||
		    bad_value || bad_max) {
			snprintf(err, errlen, "pin %s does not match this build's map (type %u key %u value %u "
				 "max_entries %u; expected type %u key %u value %u max_entries %s), refusing to "
				 "use it: remove it (rm %s) or use another --pin-dir", path, mi.type, mi.key_size,
				 mi.value_size, mi.max_entries, s->type, s->key, s->value, want, path);
			r = -EINVAL;
		}
		if (!strcmp(s->name, SA_PIN_SOCK_MAP))
			*sock_max = mi.max_entries;
	}
out:
	close(fd);
	return r;
}

/* An entry as a file: no symlink anywhere; our names: not a directory, ours. */
static int check_entry(const struct sa_pins *p, int dfd, const char *name, char *err, size_t errlen)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		int r = -errno;

		snprintf(err, errlen, "pin %s/%s: %s", p->dir, name, strerror(errno));
		return r;
	}
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(dfd, name, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		snprintf(err, errlen, "pin dir %s holds a symbolic link %s (to %s), refusing: remove it "
			 "(rm %s/%s) or use another --pin-dir", p->dir, name, target, p->dir, name);
		return -ELOOP;
	}
	if (!spec_of(name))
		return 0;	/* not ours: never opened */
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "pin %s/%s is %s, not a pinned BPF object, refusing: remove it or use "
			 "another --pin-dir", p->dir, name, S_ISDIR(st.st_mode) ? "a directory" : "a special file");
		return -EINVAL;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "pin %s/%s is owned by uid %u, not by uid %u, refusing: remove it or use "
			 "another --pin-dir", p->dir, name, (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

int sa_pins_check_contents(const struct sa_pins *p, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *e;
	__u32 sock_max = 0;
	int dfd, r = 0;
	DIR *d;

	dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		r = -errno;
		snprintf(err, errlen, "cannot read pin dir %s: %s", p->dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	while (!r && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = check_entry(p, dfd, e->d_name, err, errlen);
	/* Every name in order (sock_map before rx_progress), then the cgroup links. */
	for (size_t i = 0; !r && i < sizeof(specs) / sizeof(specs[0]); i++) {
		sa_pin_path(p, specs[i].name, path, sizeof(path));
		if (!faccessat(dfd, specs[i].name, F_OK, AT_SYMLINK_NOFOLLOW))
			r = check_object(path, &specs[i], &sock_max, err, errlen);
	}
	rewinddir(d);
	while (!r && (e = readdir(d)))
		if (is_link_pin(e->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", p->dir, e->d_name);
			r = check_object(path, spec_of(e->d_name), &sock_max, err, errlen);
		}
	closedir(d);
	return r;
}
