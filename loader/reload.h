/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * SIGHUP in --foreground: read the config file again and apply what changed
 * (docs/usage.md, "Reload"). All or nothing up to the detaches: the file is
 * parsed, every [attach] entry resolved, the policy written and the new
 * cgroups attached, each undone if a later one fails; only then are the
 * cgroups no longer in the file detached, gracefully (lib/drain.h). Entries
 * from the command line are never touched.
 */
#ifndef SA_RELOAD_H
#define SA_RELOAD_H

#include <stdbool.h>
#include <stdint.h>
#include "cgroup.h"
#include "cgroup_names.h"
#include "config.h"
#include "pins.h"
#include "policy.h"
#include "select.h"

/* The loader's state a reload reads and changes. */
struct sa_reload {
	const char *path;			/* --config */
	struct sa_pins *pins;
	/* What this loader holds: n entries, the first n_cli from the command
	 * line. sel[i].arg of the file's entries is malloc'ed. */
	struct sa_selector *sel;
	int *sel_line;				/* line in the file; 0: command line */
	struct sa_cgroup *cgs;
	char (*names)[SA_CGROUP_NAME_MAX];
	bool *ours;				/* attached by this loader */
	int *n;
	int n_cli;
	int max;
	struct sa_conf *cfg;			/* the file in force */
	const struct sa_policy *cli_policy;	/* the command line's policy ... */
	unsigned int cli_keys;			/* ... and its keys (SA_CONF_*) */
	struct sa_policy *policy;		/* the policy in force */
	bool *policy_set;			/* this loader has written it */
	double *drain_timeout;
	bool drain_timeout_cli;			/* --drain-timeout given */
	uint32_t owner;				/* pid recorded with the links */
};

/* 0: the new file is in force; -errno: it was not applied (one line said
 * why on stderr), nothing changed. */
int sa_reload(struct sa_reload *r);

#endif
