// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --unit, --pid, --container: from what the operator names to a cgroup v2
 * directory. Plain cgroupfs and /proc, and the CLIs of systemd and the
 * container runtimes: libcgroup has no notion of units or containers, and
 * its path lookups assume a pure v2 or v1 layout (our hybrid hosts are
 * neither: docs/usage.md, "Cgroups on hybrid systems").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "parse.h"
#include "select.h"

extern char **environ;

#define CMD_TIMEOUT_MS 15000

int sa_select_parse_pid(const char *s, uint32_t *pid)
{
	uint64_t v;

	if (sa_parse_u64(s, 1, 1u << 22, &v))
		return -EINVAL;
	*pid = v;
	return 0;
}

int sa_proc_cgroup_v2_parse(FILE *f, char *buf, size_t len, int *deleted)
{
	static const char suffix[] = " (deleted)";
	char line[4096];

	/* cgroup v2 is hierarchy 0 with no controller list: "0::/path" */
	while (fgets(line, sizeof(line), f)) {
		size_t n;

		if (strncmp(line, "0::", 3))
			continue;
		n = strcspn(line + 3, "\n");
		line[3 + n] = '\0';
		*deleted = n >= sizeof(suffix) - 1 && !strcmp(line + 3 + n - (sizeof(suffix) - 1), suffix);
		if (*deleted)
			line[3 + n - (sizeof(suffix) - 1)] = '\0';
		if (line[3] != '/')
			return -ENOENT;
		snprintf(buf, len, "%s", line + 3);
		return 0;
	}
	return -ENOENT;
}

void sa_select_name(const struct sa_selector *s, char *name, size_t namelen)
{
	static const char *const kinds[] = { "", "unit", "pid", "container" };

	if (s->kind == SA_SEL_PATH)
		snprintf(name, namelen, "%s", "");
	else
		snprintf(name, namelen, "%s %s", kinds[s->kind], s->arg);
}

/* what: how the error names the process ("pid 12", "container web (pid 12)"). */
static int cgroup_of_pid(uint32_t pid, const char *what, struct sa_cgroup *cg, char *err, size_t errlen)
{
	char path[64], rel[PATH_MAX], err2[1024];
	int deleted = 0, r;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "r");
	if (!f) {
		r = -errno;
		if (errno == ENOENT)
			snprintf(err, errlen, "%s: no such process", what);
		else
			snprintf(err, errlen, "%s: %s: %s", what, path, strerror(errno));
		return r;
	}
	r = sa_proc_cgroup_v2_parse(f, rel, sizeof(rel), &deleted);
	fclose(f);
	if (r) {
		/* a zombie's /proc/PID/cgroup is empty; a process gone meanwhile too */
		if (access(path, F_OK))
			snprintf(err, errlen, "%s: no such process (it exited)", what);
		else
			snprintf(err, errlen, "%s: no cgroup v2 line (0::) in %s (exited, or a zombie?)", what, path);
		return -ESRCH;
	}
	if (deleted) {
		snprintf(err, errlen, "%s: its cgroup %s was removed", what, rel);
		return -ENOENT;
	}
	/* Never the whole host by accident. */
	if (!strcmp(rel, "/")) {
		snprintf(err, errlen, "%s is in the root cgroup v2 (/): that would accelerate the whole host; "
			 "name the root path explicitly if you mean it", what);
		return -EINVAL;
	}
	r = sa_cgroup_resolve(rel, cg, err2, sizeof(err2));
	if (r)
		snprintf(err, errlen, "%s: %s", what, err2);
	return r;
}

/*
 * Run argv (looked up in PATH), collect its stdout and the first line of its
 * stderr, give up after CMD_TIMEOUT_MS. Returns its exit status (>= 0),
 * -ENOENT when the program is not installed, or -errno.
 */
static int run_capture(char *const argv[], char *out, size_t outlen, char *errout, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	int po[2], pe[2], r, status;
	size_t no = 0, ne = 0;
	struct timespec t0, t;
	pid_t pid;

	out[0] = errout[0] = '\0';
	if (pipe2(po, O_CLOEXEC))
		return -errno;
	if (pipe2(pe, O_CLOEXEC)) {
		r = -errno;
		close(po[0]);
		close(po[1]);
		return r;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (r) {
		close(po[0]);
		close(pe[0]);
		return -r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd pfd[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
		char tmp[512];
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = CMD_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms <= 0 || poll(pfd, 2, ms) == 0) {
			kill(pid, SIGKILL);
			snprintf(errout, errlen, "no answer after %d s", CMD_TIMEOUT_MS / 1000);
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pfd[i].fd, tmp, sizeof(tmp));
			if (n <= 0) {
				close(i ? pe[0] : po[0]);
				if (i)
					pe[0] = -1;
				else
					po[0] = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				size_t k = (size_t)n < outlen - 1 - no ? (size_t)n : outlen - 1 - no;

				memcpy(out + no, tmp, k);
				out[no += k] = '\0';
			} else {
				size_t k = (size_t)n < errlen - 1 - ne ? (size_t)n : errlen - 1 - ne;

				memcpy(errout + ne, tmp, k);
				errout[ne += k] = '\0';
			}
		}
		if (po[0] < 0 && pe[0] < 0)
			break;
	}
	if (po[0] >= 0)
		close(po[0]);
	if (pe[0] >= 0)
		close(pe[0]);
	errout[strcspn(errout, "\n")] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* An argument handed to another program: not empty, not an option, printable. */
static int check_arg(const char *what, const char *arg, char *err, size_t errlen)
{
	if (!*arg || arg[0] == '-') {
		snprintf(err, errlen, "invalid %s '%s'", what, arg);
		return -EINVAL;
	}
	for (const char *c = arg; *c; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f) {
			snprintf(err, errlen, "invalid %s '%s' (blank or control character)", what, arg);
			return -EINVAL;
		}
	}
	return 0;
}

static int resolve_unit(const char *unit, struct sa_cgroup *cg, char *err, size_t errlen)
{
	char out[PATH_MAX], eout[256], err2[1024];
	char *argv[] = { "systemctl", "show", "-p", "ControlGroup", "--value", "--", (char *)unit, NULL };
	int r;

	if ((r = check_arg("unit name", unit, err, errlen)))
		return r;
	if (access(SA_SYSTEMD_RUN_DIR, F_OK)) {
		snprintf(err, errlen, "systemd is not running (no %s): --unit needs it", SA_SYSTEMD_RUN_DIR);
		return -ENOENT;
	}
	r = run_capture(argv, out, sizeof(out), eout, sizeof(eout));
	if (r == -ENOENT) {
		snprintf(err, errlen, "unit %s: systemctl is not installed", unit);
		return r;
	}
	if (r) {
		snprintf(err, errlen, "unit %s: systemctl show failed%s%s", unit, eout[0] ? ": " : "", eout);
		return r < 0 ? r : -EIO;
	}
	out[strcspn(out, "\n")] = '\0';
	/* Unknown units and units that are not running have no ControlGroup. */
	if (!out[0]) {
		snprintf(err, errlen, "unit %s not found, or not running (systemd reports no cgroup for it)", unit);
		return -ENOENT;
	}
	r = sa_cgroup_resolve(out, cg, err2, sizeof(err2));
	if (r)
		snprintf(err, errlen, "unit %s: %s", unit, err2);
	return r;
}

static int resolve_container(const char *id, struct sa_cgroup *cg, char *err, size_t errlen)
{
	static const struct {
		const char *cli;
		const char *args[5];
	} clis[] = {
		{ "docker", { "inspect", "-f", "{{.State.Pid}}", "--" } },
		{ "podman", { "inspect", "-f", "{{.State.Pid}}", "--" } },
		{ "nerdctl", { "inspect", "-f", "{{.State.Pid}}", "--" } },
		{ "crictl", { "inspect", "-o", "go-template", "--template", "{{.info.pid}}" } },
	};
	char out[256], eout[160], tried[768] = "", what[256];
	int r, n_tried = 0;

	if ((r = check_arg("container id", id, err, errlen)))
		return r;
	for (size_t i = 0; i < sizeof(clis) / sizeof(clis[0]); i++) {
		char *argv[8] = { (char *)clis[i].cli };
		uint32_t pid;
		int n = 1;

		for (int k = 0; k < 5 && clis[i].args[k]; k++)
			argv[n++] = (char *)clis[i].args[k];
		argv[n++] = (char *)id;
		r = run_capture(argv, out, sizeof(out), eout, sizeof(eout));
		if (r == -ENOENT)
			continue;	/* not installed */
		n_tried++;
		out[strcspn(out, "\n")] = '\0';
		if (r == 0 && !sa_select_parse_pid(out, &pid)) {
			snprintf(what, sizeof(what), "container %s (%s: pid %u)", id, clis[i].cli, pid);
			return cgroup_of_pid(pid, what, cg, err, errlen);
		}
		if (r == 0 && !strcmp(out, "0")) {
			snprintf(err, errlen, "container %s is not running (%s reports pid 0)", id, clis[i].cli);
			return -ESRCH;
		}
		snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried), "%s%s: %s", n_tried > 1 ? "; " : "",
			 clis[i].cli, eout[0] ? eout : r ? "failed" : "no pid");
	}
	if (!n_tried)
		snprintf(err, errlen, "container %s: no container CLI found in PATH (tried %s)", id, SA_CONTAINER_CLIS);
	else
		snprintf(err, errlen, "container %s not found (%s)", id, tried);
	return -ENOENT;
}

int sa_select_resolve(const struct sa_selector *s, struct sa_cgroup *cg, char *name, size_t namelen,
		      char *err, size_t errlen)
{
	char what[64];
	uint32_t pid;

	sa_select_name(s, name, namelen);
	switch (s->kind) {
	case SA_SEL_UNIT:
		return resolve_unit(s->arg, cg, err, errlen);
	case SA_SEL_PID:
		if (sa_select_parse_pid(s->arg, &pid)) {
			snprintf(err, errlen, "invalid pid '%s'", s->arg);
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "pid %u", pid);
		return cgroup_of_pid(pid, what, cg, err, errlen);
	case SA_SEL_CONTAINER:
		return resolve_container(s->arg, cg, err, errlen);
	default:
		return sa_cgroup_resolve(s->arg, cg, err, errlen);
	}
}
