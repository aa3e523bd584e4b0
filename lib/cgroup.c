// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>
#include "cgroup.h"

int sa_cgroup2_mount_parse(FILE *f, char *buf, size_t len)
{
	char line[4096];

	/* "36 25 0:30 / /sys/fs/cgroup/unified rw,... - cgroup2 cgroup2 rw" */
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], *sep = strstr(line, " - ");
		char fstype[64];

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		snprintf(buf, len, "%s", mnt);
		return 0;
	}
	return -ENOENT;
}

int sa_cgroup2_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int err;

	if (!f)
		return -errno;
	err = sa_cgroup2_mount_parse(f, buf, len);
	fclose(f);
	return err;
}

int sa_cgroup_id(const char *abs_path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t cgid;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mount_id;
	struct stat st;

	/* On cgroup2 the file handle is the 64-bit cgroup id. */
	if (!name_to_handle_at(AT_FDCWD, abs_path, &h.fh, &mount_id, 0)) {
		*id = h.cgid;
		return 0;
	}
	if (stat(abs_path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

int sa_cgroup_resolve(const char *arg, struct sa_cgroup *cg, char *err, size_t errlen)
{
	char mnt[PATH_MAX], joined[PATH_MAX * 2], *real;
	struct statfs sfs;
	struct stat st;
	size_t mlen;
	int r;

	r = sa_cgroup2_mount(mnt, sizeof(mnt));
	if (r) {
		snprintf(err, errlen, "no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)");
		return r;
	}
	if (!arg || !*arg) {
		snprintf(err, errlen, "empty cgroup path");
		return -EINVAL;
	}
	if (arg[0] == '/' && stat(arg, &st) == 0)
		snprintf(joined, sizeof(joined), "%s", arg);
	else if (arg[0] == '/' && strncmp(arg, mnt, strlen(mnt)) == 0)
		snprintf(joined, sizeof(joined), "%s", arg);	/* absolute, missing */
	else if (arg[0] == '/' && strncmp(arg, "/sys/fs/cgroup", 14) == 0)
		snprintf(joined, sizeof(joined), "%s", arg);	/* other hierarchy */
	else
		snprintf(joined, sizeof(joined), "%s/%s", mnt, arg[0] == '/' ? arg + 1 : arg);

	if (stat(joined, &st)) {
		r = -errno;
		if (strcmp(arg, joined))
			snprintf(err, errlen, "cgroup '%s' (%s): %s", arg, joined, strerror(errno));
		else
			snprintf(err, errlen, "cgroup '%s': %s", arg, strerror(errno));
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cgroup '%s': %s is not a directory", arg, joined);
		return -ENOTDIR;
	}
	if (statfs(joined, &sfs)) {
		r = -errno;
		snprintf(err, errlen, "cgroup '%s': statfs: %s", arg, strerror(errno));
		return r;
	}
	if (sfs.f_type == CGROUP_SUPER_MAGIC) {
		snprintf(err, errlen, "cgroup '%s' is on a cgroup v1 hierarchy; sockaccel needs cgroup v2 (mounted at %s)",
			 arg, mnt);
		return -EINVAL;
	}
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, errlen, "'%s' is not a cgroup v2 directory (cgroup v2 is mounted at %s)", arg, mnt);
		return -EINVAL;
	}
	real = realpath(joined, NULL);
	if (!real) {
		r = -errno;
		snprintf(err, errlen, "cgroup '%s': %s", arg, strerror(errno));
		return r;
	}
	mlen = strlen(mnt);
	snprintf(cg->abs_path, sizeof(cg->abs_path), "%s", real);
	if (strncmp(real, mnt, mlen) == 0 && (real[mlen] == '/' || real[mlen] == '\0'))
		snprintf(cg->rel_path, sizeof(cg->rel_path), "%s", real[mlen] ? real + mlen : "/");
	else	/* a second cgroup2 mount: keep the absolute path */
		snprintf(cg->rel_path, sizeof(cg->rel_path), "%s", real);
	free(real);
	r = sa_cgroup_id(cg->abs_path, &cg->id);
	if (r) {
		snprintf(err, errlen, "cgroup '%s': cannot read its id: %s", arg, strerror(-r));
		return r;
	}
	return 0;
}
