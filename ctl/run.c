// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockaccelctl run [--name NAME] [--parent CGROUP] [--timeout S] -- COMMAND [ARG...]
 *
 * The quickest way to try sockaccel on one program: a new cgroup
 * (PARENT/sockaccel-run-NAME-PID, PARENT by default the cgroup2 mount), attached (loading the programs
 * with sockaccel-loader when nothing is loaded; they stay loaded), the
 * command moved into it between fork and exec, then, once it has exited, a
 * graceful detach (like `detach`) and the cgroup removed. Exit status: the
 * command's (128+N when killed by signal N; 127/126 when it cannot be run).
 *
 * Plain cgroupfs (mkdir, cgroup.procs, rmdir), not libcgroup: its
 * cgroup_create_cgroup()/cgroup_attach_task() (cgcreate, cgexec) fail on our
 * hybrid hosts, where cgroup v2 has no controllers (docs/usage.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "attach.h"
#include "cgroup.h"
#include "cgroup_names.h"
#include "checks.h"
#include "ctl.h"
#include "drain.h"
#include "output.h"
#include "parse.h"

extern char **environ;

#define RUN_NAME_MAX 48
#define DEFAULT_TIMEOUT_S 30

/* NAME for the cgroup's directory name: [A-Za-z0-9_.-], 1 to RUN_NAME_MAX. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > RUN_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* The default NAME: the command's base name, other characters as '_'. */
static void default_name(const char *cmd, char *buf, size_t len)
{
	char tmp[PATH_MAX];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", cmd);
	snprintf(buf, len < RUN_NAME_MAX + 1 ? len : RUN_NAME_MAX + 1, "%s", basename(tmp));
	for (i = 0; buf[i]; i++)
		if (!strchr("_.-", buf[i]) && !((buf[i] >= 'a' && buf[i] <= 'z') || (buf[i] >= 'A' && buf[i] <= 'Z') ||
						 (buf[i] >= '0' && buf[i] <= '9')))
			buf[i] = '_';
	if (!i || !strcmp(buf, ".") || !strcmp(buf, ".."))
		snprintf(buf, len, "cmd");
}

/* Nothing loaded: load as the loader would, by running it (the one next to
 * this binary, else the one in PATH) on the new cgroup. Its output goes to
 * our stderr: stdout is the command's. */
static int run_loader(const char *cg_path, const sigset_t *orig, char *err, size_t errlen)
{
	char self[PATH_MAX], loader[PATH_MAX + 32];
	char *argv[] = { loader, "--pin-dir", ctl_pins.dir, (char *)cg_path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	ssize_t n;
	pid_t pid;
	int r, st;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(loader, sizeof(loader), "%s/sockaccel-loader", dirname(self));
	if (n <= 0 || access(loader, X_OK))
		snprintf(loader, sizeof(loader), "sockaccel-loader");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, orig);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	r = posix_spawnp(&pid, loader, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (r) {
		snprintf(err, errlen, "nothing loaded at %s and %s cannot be run: %s", ctl_pins.dir, loader, strerror(r));
		return -r;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(err, errlen, "nothing loaded at %s and loading failed (%s: exit %d, its error above)",
			 ctl_pins.dir, loader, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -EIO;
	}
	return 0;
}

/* Attach cg (loading first if nothing is loaded) and record its name. */
static int attach(const struct sa_cgroup *cg, const char *name, const sigset_t *orig, char *err, size_t errlen)
{
	const char *missing = "?";
	int r;

	if (access(ctl_pins.dir, F_OK) || !sa_pins_any(&ctl_pins)) {
		if ((r = run_loader(cg->abs_path, orig, err, errlen)))
			return r;
		fprintf(stderr, "%s: loaded sockaccel at %s; it stays loaded (`sockaccelctl teardown` unloads it)\n",
			prog_name, ctl_pins.dir);
	} else if (!sa_pins_complete(&ctl_pins, &missing)) {
		snprintf(err, errlen, "sockaccel at %s is incomplete (missing pin %s); `sockaccelctl teardown` removes the rest",
			 ctl_pins.dir, missing);
		return -EINVAL;
	}
	if ((r = sa_pins_lock(&ctl_pins, false, err, errlen)))
		return r;
	r = sa_attach_cgroup(&ctl_pins, cg, 0, err, errlen);
	if (r >= 0 && sa_cgroup_name_set(&ctl_pins, cg->id, name))
		fprintf(stderr, "%s: could not record the name '%s' (status shows the path only)\n", prog_name, name);
	sa_pins_unlock(&ctl_pins);
	return r < 0 ? r : 0;
}

/* Graceful, like `detach`: nothing redirected is dropped. */
static void detach(const struct sa_cgroup *cg, double timeout_s)
{
	struct sa_drain_opts o = { .timeout_s = timeout_s };
	struct sa_drain_result res = {};
	char err[1024], path[PATH_MAX];

	if (sa_pins_lock(&ctl_pins, false, err, sizeof(err))) {
		p_err("detach %s: %s", cg->abs_path, err);
		return;
	}
	sa_link_pin_path(&ctl_pins, cg->id, path, sizeof(path));
	if (access(path, F_OK)) {
		sa_pins_unlock(&ctl_pins);
		return;		/* detached by someone else meanwhile */
	}
	if (sa_detach_graceful(&ctl_pins, cg->id, cg->abs_path, &o, &res, err, sizeof(err)))
		p_err("detach %s: %s", cg->abs_path, err);
	else if (res.timed_out)
		fprintf(stderr, "%s: detached %s; %zu connection(s) still held unread redirected data after %.0f s "
			"and stay accelerated\n", prog_name, cg->abs_path, res.n_list, timeout_s);
	else
		fprintf(stderr, "%s: detached %s (drained %zu connection(s) in %.1f s)\n", prog_name, cg->abs_path,
			res.first.affected, res.last.elapsed_s);
	sa_pins_unlock(&ctl_pins);
	free(res.list);
}

static void remove_cgroup(const char *dir)
{
	/* The last exited process may take a moment to leave it (up to 5 s). */
	for (int i = 0; i < 250; i++) {
		if (!rmdir(dir) || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		usleep(20 * 1000);
	}
	fprintf(stderr, "%s: cannot remove cgroup %s: %s (processes the command left behind?); "
		"rmdir it once they have exited\n", prog_name, dir, strerror(errno));
}

/* The child: join the cgroup, then exec. Failures reach the parent through
 * the close-on-exec pipe as {stage, errno}. */
static void child(const char *dir, char **cmd, const sigset_t *orig, int wfd)
{
	char procs[PATH_MAX + 16];
	int e[2] = { 0, 0 }, fd;

	sigprocmask(SIG_SETMASK, orig, NULL);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%d\n", (int)getpid()) < 0) {
		e[1] = errno;
		if (write(wfd, e, sizeof(e)) < 0)
			_exit(126);
		_exit(126);
	}
	close(fd);
	execvp(cmd[0], cmd);
	e[0] = 1;
	e[1] = errno;
	if (write(wfd, e, sizeof(e)) < 0)
		_exit(127);
	_exit(errno == ENOENT ? 127 : 126);
}

/* Wait for the child, forwarding signals; returns its wait status. */
static int supervise(pid_t pid, const sigset_t *set)
{
	siginfo_t si;
	int st;

	for (;;) {
		if (sigwaitinfo(set, &si) < 0)
			continue;
		if (si.si_signo == SIGCHLD) {
			if (waitpid(pid, &st, WNOHANG) == pid)
				return st;
			continue;
		}
		/* A terminal's ^C/^\ (SI_KERNEL) already reached the whole
		 * foreground process group, the command too: forward only
		 * signals sent to us alone (kill, systemd, a supervisor). */
		if (si.si_code != SI_KERNEL)
			kill(pid, si.si_signo);
	}
}

int do_run(int argc, char **argv)
{
	static const char usage[] = "run [--name NAME] [--parent CGROUP] [--timeout SECONDS] -- COMMAND [ARG...]";
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "parent", required_argument, NULL, 'P' },
		{},
	};
	char name[RUN_NAME_MAX + 1] = "", mnt[PATH_MAX], dir[PATH_MAX + 128], label[RUN_NAME_MAX + 8];
	char err[1024];
	double timeout_s = DEFAULT_TIMEOUT_S;
	struct sa_cgroup cg = {}, parent = {};
	const char *parent_arg = NULL;
	sigset_t set, orig;
	int opt, pfd[2], e[2], st, rc;
	ssize_t n;
	pid_t pid;

	/* '+': the command's own options are not ours */
	while ((opt = getopt_long(argc, argv, "+n:t:P:", opts, NULL)) >= 0) {
		switch (opt) {
		case 'n':
			if (!name_ok(optarg))
				return ctl_usage_err("invalid --name '%s' (1 to %d of A-Z a-z 0-9 _ . -)", optarg,
						     RUN_NAME_MAX);
			snprintf(name, sizeof(name), "%s", optarg);
			break;
		case 't':
			if (sa_parse_timeout(optarg, &timeout_s))
				return ctl_usage_err("--timeout needs seconds >= 0");
			break;
		case 'P':
			parent_arg = optarg;
			break;
		default:
			return ctl_usage_err("usage: %s", usage);
		}
	}
	if (optind >= argc)
		return ctl_usage_err("run: no COMMAND given (usage: %s)", usage);
	if (json_output)
		return ctl_usage_err("run has no JSON output (its output is the command's)");
	if (!name[0])
		default_name(argv[optind], name, sizeof(name));
	if (sa_check_privileges(err, sizeof(err))) {
		p_err("%s", err);
		return EXIT_ERR;
	}
	if (parent_arg) {
		if (sa_cgroup_resolve(parent_arg, &parent, err, sizeof(err))) {
			p_err("--parent: %s", err);
			return EXIT_ERR;
		}
		snprintf(mnt, sizeof(mnt), "%s", parent.abs_path);
	} else if (sa_cgroup2_mount(mnt, sizeof(mnt))) {
		p_err("no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)");
		return EXIT_ERR;
	}

	/* From here signals wait for the command, which they are forwarded to. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &orig);

	snprintf(dir, sizeof(dir), "%s/sockaccel-run-%s-%d", mnt, name, (int)getpid());
	if (mkdir(dir, 0755)) {
		p_err("create cgroup %s: %s", dir, strerror(errno));
		return EXIT_ERR;
	}
	if (sa_cgroup_resolve(dir, &cg, err, sizeof(err))) {
		p_err("%s", err);
		rmdir(dir);
		return EXIT_ERR;
	}
	snprintf(label, sizeof(label), "run %s", name);
	if (attach(&cg, label, &orig, err, sizeof(err))) {
		p_err("%s", err);
		rmdir(dir);
		return EXIT_ERR;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		p_err("pipe: %s", strerror(errno));
		rc = EXIT_ERR;
		goto out;
	}
	fprintf(stderr, "%s: running %s in cgroup %s (attached; detached and removed when it exits)\n", prog_name,
		argv[optind], dir);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		p_err("fork: %s", strerror(errno));
		rc = EXIT_ERR;
		goto out;
	}
	if (pid == 0)
		child(dir, argv + optind, &orig, pfd[1]);
	close(pfd[1]);
	n = read(pfd[0], e, sizeof(e));
	close(pfd[0]);
	st = supervise(pid, &set);
	if (n == sizeof(e)) {
		if (e[0])
			p_err("cannot run '%s': %s", argv[optind], strerror(e[1]));
		else
			p_err("cannot move the command into cgroup %s: %s", dir, strerror(e[1]));
	}
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
out:
	detach(&cg, timeout_s);
	remove_cgroup(dir);
	return rc;
}
