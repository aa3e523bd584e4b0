// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* SIGHUP: apply the config file again (reload.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attach.h"
#include "drain.h"
#include "feature_table.h"
#include "output.h"
#include "reload.h"

static void show(const char *verb, const char *name, const struct sa_cgroup *cg)
{
	printf("reload: %s %s%s%s%s\n", verb, name, name[0] ? " (" : "", cg->abs_path, name[0] ? ")" : "");
}

/* A changed [loader] key that only a restart applies. */
static void restart_only(const struct sa_conf *old, const struct sa_conf *nc)
{
	const char *o = old->pin_dir ? old->pin_dir : "", *n = nc->pin_dir ? nc->pin_dir : "";

	if (strcmp(o, n))
		printf("reload: [loader] pin-dir changed: it applies at the next start\n");
	if (old->map_size != nc->map_size)
		printf("reload: [loader] map-size changed: it applies at the next first load\n");
	o = old->metrics ? old->metrics : "";
	n = nc->metrics ? nc->metrics : "";
	if (strcmp(o, n))
		printf("reload: [loader] metrics changed: it applies at the next start\n");
}

/* Graceful detach of entry i (attached by this loader), as at exit. */
static void detach_one(struct sa_reload *r, int i)
{
	struct sa_drain_opts o = { .timeout_s = *r->drain_timeout };
	struct sa_drain_result res;
	char path[PATH_MAX], err[1024];

	sa_link_pin_path(r->pins, r->cgs[i].id, path, sizeof(path));
	if (!r->ours[i] || access(path, F_OK)) {
		show("no longer in the file (not attached by this loader, left as it is):", r->names[i], &r->cgs[i]);
		return;
	}
	if (sa_detach_graceful(r->pins, r->cgs[i].id, r->cgs[i].abs_path, &o, &res, err, sizeof(err))) {
		p_err("reload: %s", err);
		return;
	}
	if (res.timed_out)
		printf("reload: detached %s; %zu connection(s) still held unread redirected data after %.0f s "
		       "and stay accelerated\n", r->cgs[i].abs_path, res.n_list, *r->drain_timeout);
	else
		printf("reload: detached %s (drained %zu connection(s) in %.1f s)\n", r->cgs[i].abs_path,
		       res.first.affected, res.last.elapsed_s);
	fflush(stdout);
	free(res.list);
}

int sa_reload(struct sa_reload *r)
{
	struct sa_conf *nc = calloc(1, sizeof(*nc));
	struct sa_cgroup *ncg = calloc(SA_CONFIG_MAX_SEL, sizeof(*ncg));
	char (*nname)[SA_CGROUP_NAME_MAX] = calloc(SA_CONFIG_MAX_SEL, SA_CGROUP_NAME_MAX);
	bool *keep = calloc(r->max, 1), *is_new = calloc(SA_CONFIG_MAX_SEL, 1);
	bool *nattached = calloc(SA_CONFIG_MAX_SEL, 1);
	struct sa_policy *pol = calloc(1, sizeof(*pol));
	struct sa_feature_state feat[SA_FEAT_MAX];
	int i, j, k, n_new = 0, n_removed = 0, n_kept = 0, ret = -EINVAL, n;
	bool write_pol, locked = false, wrote_pol = false;
	char err[1024], err2[1024];

	if (!nc || !ncg || !nname || !keep || !is_new || !nattached || !pol) {
		p_err("reload: out of memory; the running configuration is kept");
		ret = -ENOMEM;
		goto out;
	}
	/* 1. Everything that changes nothing: parse, resolve, compare. */
	if (sa_config_load(r->path, nc, err, sizeof(err))) {
		p_err("reload: %s; the running configuration is kept", err);
		goto out;
	}
	for (j = 0; j < nc->n_sel; j++) {
		if (sa_select_resolve(&nc->sel[j], &ncg[j], nname[j], sizeof(nname[j]), err, sizeof(err))) {
			p_err("reload: %s:%d: %s; the running configuration is kept", r->path, nc->sel_line[j], err);
			goto out;
		}
		is_new[j] = true;
		/* the same cgroup as an entry of the file in force: unchanged */
		for (i = r->n_cli; i < *r->n; i++)
			if (r->cgs[i].id == ncg[j].id)
				keep[i] = true, is_new[j] = false;
		for (k = 0; k < j && is_new[j]; k++)	/* named twice */
			if (is_new[k] && ncg[k].id == ncg[j].id)
				is_new[j] = false;
		n_new += is_new[j];
	}
	for (i = r->n_cli; i < *r->n; i++) {
		n_kept += keep[i];
		n_removed += !keep[i];
	}
	if (*r->n - n_removed + n_new > r->max) {
		p_err("reload: %s: too many cgroups (at most %d with the command line's); the running "
		      "configuration is kept", r->path, r->max);
		goto out;
	}
	sa_config_merge_policy(pol, r->cli_policy, r->cli_keys, nc);
	/* As a new run of the loader with this file would: the policy is
	 * written when the file or the command line gives one; once written by
	 * this loader, a file without policy keys means the defaults again. */
	write_pol = *r->policy_set ? !sa_config_policy_equal(pol, r->policy) : nc->policy_keys != 0;
	if (write_pol && pol->n_comms && !sa_features_read(r->pins, feat) &&
	    feat[SA_FEAT_PROC_NAMES].impl == SA_IMPL_OFF) {
		p_err("reload: %s: exclude-comm needs the process names feature, which this load lacks; "
		      "the running configuration is kept", r->path);
		goto out;
	}

	/* 2. Policy and new cgroups, each undone if a later step fails. */
	if (sa_pins_lock(r->pins, false, err, sizeof(err))) {
		p_err("reload: %s; the running configuration is kept", err);
		goto out;
	}
	locked = true;
	if (write_pol) {
		if (sa_policy_write(r->pins, pol, err, sizeof(err))) {
			p_err("reload: %s; the running configuration is kept", err);
			goto out;
		}
		wrote_pol = true;
	}
	for (j = 0; j < nc->n_sel; j++) {
		if (!is_new[j])
			continue;
		k = sa_attach_cgroup(r->pins, &ncg[j], r->owner, err, sizeof(err));
		if (k < 0) {
			for (k = 0; k < j; k++)
				if (nattached[k])
					sa_detach_cgroup(r->pins, ncg[k].id, err2, sizeof(err2));
			if (wrote_pol && sa_policy_write(r->pins, r->policy, err2, sizeof(err2)))
				p_err("reload: could not restore the policy: %s", err2);
			p_err("reload: %s:%d: %s; the running configuration is kept", r->path, nc->sel_line[j], err);
			goto out;
		}
		nattached[j] = k == 1;
	}

	/* 3. In force from here. */
	ret = 0;
	if (wrote_pol)
		printf("reload: policy changed (see `sockaccelctl status`); it applies to new connections\n");
	*r->policy = *pol;
	*r->policy_set = *r->policy_set || nc->policy_keys;
	if (!r->drain_timeout_cli && nc->drain_timeout_set)
		*r->drain_timeout = nc->drain_timeout;
	restart_only(r->cfg, nc);
	for (j = 0; j < nc->n_sel; j++) {
		if (!is_new[j])
			continue;
		if (nattached[j] && nname[j][0] && (k = sa_cgroup_name_set(r->pins, ncg[j].id, nname[j])))
			p_info("could not record the name '%s' of %s: %s", nname[j], ncg[j].abs_path, strerror(-k));
		show(nattached[j] ? "attached" : "already attached, nothing to do:", nname[j], &ncg[j]);
	}
	fflush(stdout);	/* what is in force already, before the drains wait */
	/* Detached last, gracefully: no byte already redirected is lost. */
	for (i = r->n_cli, n = r->n_cli; i < *r->n; i++) {
		if (!keep[i]) {
			detach_one(r, i);
			free((char *)r->sel[i].arg);
			continue;
		}
		if (i != n) {	/* compact */
			r->sel[n] = r->sel[i];
			r->sel_line[n] = r->sel_line[i];
			r->cgs[n] = r->cgs[i];
			memcpy(r->names[n], r->names[i], sizeof(r->names[n]));
			r->ours[n] = r->ours[i];
		}
		n++;
	}
	for (j = 0; j < nc->n_sel; j++) {
		if (!is_new[j])
			continue;
		r->sel[n].kind = nc->sel[j].kind;
		r->sel[n].arg = strdup(nc->sel[j].arg);
		r->sel_line[n] = nc->sel_line[j];
		r->cgs[n] = ncg[j];
		memcpy(r->names[n], nname[j], sizeof(r->names[n]));
		r->ours[n] = nattached[j];
		n++;
	}
	/* The lines of the entries kept may have moved. */
	for (i = r->n_cli; i < n; i++)
		for (j = 0; j < nc->n_sel; j++)
			if (nc->sel_line[j] && ncg[j].id == r->cgs[i].id)
				r->sel_line[i] = nc->sel_line[j];
	*r->n = n;
	printf("reload: %s: %d cgroup(s) added, %d removed, %d unchanged; policy %s\n", r->path, n_new,
	       n_removed, n_kept, wrote_pol ? "changed" : "unchanged");
	sa_config_free(r->cfg);
	*r->cfg = *nc;
	memset(nc, 0, sizeof(*nc));	/* its strings are r->cfg's now */
out:
	if (locked)
		sa_pins_unlock(r->pins);
	fflush(stdout);
	if (nc)
		sa_config_free(nc);
	free(nc);
	free(ncg);
	free(nname);
	free(keep);
	free(is_new);
	free(nattached);
	free(pol);
	return ret;
}
