/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The loader's config file (man sockaccel.conf(5)): INI, parsed by libinih.
 * Sections [attach], [policy], [loader]; the keys are the loader's long
 * options and their values go through the command line's parsers
 * (lib/parse.h, lib/policy.h, lib/select.h). Pure: parsing touches nothing
 * but memory (selectors are resolved by the caller), so tests/fuzz fuzzes it.
 */
#ifndef SA_CONFIG_H
#define SA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "policy.h"
#include "select.h"

/* [attach] entries, at most this many (the loader's own limit). */
#define SA_CONFIG_MAX_SEL 256
/* Longest line accepted (libinih, as Debian builds it, splits longer lines:
 * refused here with its line number rather than misread). */
#define SA_CONFIG_MAX_LINE 190
/* Largest file read. */
#define SA_CONFIG_MAX_SIZE (1 << 20)

/* Which [policy] keys the file (or the command line) gave. */
enum {
	SA_CONF_PORTS = 1 << 0,
	SA_CONF_EXCLUDE_PORTS = 1 << 1,
	SA_CONF_EXCLUDE_COMM = 1 << 2,
	SA_CONF_MAX_UNREAD = 1 << 3,
	SA_CONF_REDIRECT_STREAMS = 1 << 4,
	SA_CONF_SPLICERS = 1 << 5,
	SA_CONF_ACCEL_SHORT = 1 << 6,
};

struct sa_conf {
	char *path;				/* as given, for messages */
	struct sa_selector sel[SA_CONFIG_MAX_SEL];	/* args malloc'ed */
	int sel_line[SA_CONFIG_MAX_SEL];	/* line of each, for errors */
	int n_sel;
	struct sa_policy policy;		/* the keys in policy_keys only */
	unsigned int policy_keys;		/* SA_CONF_* */
	char *pin_dir;				/* [loader]; NULL when not given */
	uint32_t map_size;			/* 0: not given */
	double drain_timeout;
	bool drain_timeout_set;
	/* [loader] metrics=ADDR:PORT, as --metrics would take it; the loader
	 * uses it when the command line gives no --metrics. */
	char *metrics;
	/* parser state */
	int line;				/* line being read */
	int first_line[32];			/* line of single-valued keys seen */
	int err_line;
	char err[512];
};

/* Parse text (the contents of `path`, named in messages). 0, or -EINVAL
 * with err = "PATH:LINE: what is wrong" (one line). cfg is zeroed first;
 * free it with sa_config_free() either way. */
int sa_config_parse_string(const char *text, size_t len, const char *path, struct sa_conf *cfg,
			   char *err, size_t errlen);
/* Read and parse a file (at most SA_CONFIG_MAX_SIZE bytes). As above, and
 * "PATH: cannot read: REASON" when it cannot be read. */
int sa_config_load(const char *path, struct sa_conf *cfg, char *err, size_t errlen);
void sa_config_free(struct sa_conf *cfg);

/* "yes"/"no" (also true/false, on/off, 1/0). 0 or -EINVAL. */
int sa_config_parse_bool(const char *s, bool *out);
/* --metrics / metrics=: "ADDR:PORT", ":PORT" or "PORT", PORT 1-65535,
 * ADDR non-empty when given (IPv6 in brackets: "[::1]:9100"). 0 or -EINVAL. */
int sa_config_check_metrics(const char *s);

/* out = the command line's policy (cli, whose keys are cli_keys), with each
 * key the command line did not give taken from the file when it has it. */
void sa_config_merge_policy(struct sa_policy *out, const struct sa_policy *cli, unsigned int cli_keys,
			    const struct sa_conf *c);

/* Same value, for a reload's "what changed" (policy keys given and their
 * values). */
bool sa_config_policy_equal(const struct sa_policy *a, const struct sa_policy *b);

#endif
