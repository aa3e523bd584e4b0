// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The loader's config file, parsed with libinih (config.h, sockaccel.conf(5)). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>
#include "config.h"
#include "parse.h"

/* Where libinih is: the text left to read, and the line it is on. */
struct reader {
	const char *p, *end;
	struct sa_conf *cfg;
};

static void set_err(struct sa_conf *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(struct sa_conf *c, int line, const char *fmt, ...)
{
	va_list ap;

	if (c->err_line)	/* the first error is the one reported */
		return;
	c->err_line = line;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

static bool known_section(const char *s, size_t n)
{
	return (n == 6 && !strncmp(s, "attach", 6)) || (n == 6 && !strncmp(s, "policy", 6)) ||
	       (n == 6 && !strncmp(s, "loader", 6));
}

/*
 * libinih's reader (fgets-like): one line per call, counted, so that the
 * handler knows its line. Also checks what libinih lets through silently:
 * a line too long for its buffer (it would be split into two) and a section
 * without keys under an unknown name (the handler never sees it).
 */
static char *read_line(char *buf, int size, void *stream)
{
	struct reader *r = stream;
	struct sa_conf *c = r->cfg;
	const char *nl, *s;
	size_t n;

	if (r->p >= r->end)
		return NULL;
	nl = memchr(r->p, '\n', r->end - r->p);
	n = nl ? (size_t)(nl - r->p) + 1 : (size_t)(r->end - r->p);
	c->line++;
	if (n > SA_CONFIG_MAX_LINE + 1 || (int)n >= size) {
		set_err(c, c->line, "line longer than %d bytes (split a list over several keys)",
			SA_CONFIG_MAX_LINE);
		n = (size_t)size - 1 < n ? (size_t)size - 1 : n;
		memcpy(buf, r->p, n);
		buf[n] = '\0';
		r->p = nl ? nl + 1 : r->end;
		return buf;
	}
	memcpy(buf, r->p, n);
	buf[n] = '\0';
	r->p += n;
	for (s = buf; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '[') {
		const char *e = strchr(s, ']');

		if (e && !known_section(s + 1, e - s - 1))
			set_err(c, c->line, "unknown section [%.*s] (expected [attach], [policy] or [loader])",
				(int)(e - s - 1) > 40 ? 40 : (int)(e - s - 1), s + 1);
	}
	return buf;
}

enum { K_MAX_UNREAD, K_REDIRECT_STREAMS, K_ACCEL_SHORT, K_SPLICERS, K_PIN_DIR, K_MAP_SIZE, K_DRAIN_TIMEOUT, K_METRICS };

/* A single-valued key given a second time is an error. */
static bool once(struct sa_conf *c, int k, const char *sec, const char *key)
{
	if (c->first_line[k]) {
		set_err(c, c->line, "[%s] %s given twice (first on line %d)", sec, key, c->first_line[k]);
		return false;
	}
	c->first_line[k] = c->line;
	return true;
}

static int handle_attach(struct sa_conf *c, const char *key, const char *val)
{
	static const struct { const char *key; enum sa_sel_kind kind; } kinds[] = {
		{ "cgroup", SA_SEL_PATH }, { "unit", SA_SEL_UNIT }, { "pid", SA_SEL_PID },
		{ "container", SA_SEL_CONTAINER },
	};
	uint32_t pid;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(key, kinds[i].key))
			continue;
		if (!*val) {
			set_err(c, c->line, "[attach] %s: empty value", key);
			return 0;
		}
		if (kinds[i].kind == SA_SEL_PID && sa_select_parse_pid(val, &pid)) {
			set_err(c, c->line, "[attach] pid: invalid '%s' (a process id)", val);
			return 0;
		}
		if (c->n_sel >= SA_CONFIG_MAX_SEL) {
			set_err(c, c->line, "too many [attach] entries (at most %d)", SA_CONFIG_MAX_SEL);
			return 0;
		}
		c->sel[c->n_sel].arg = strdup(val);
		if (!c->sel[c->n_sel].arg) {
			set_err(c, c->line, "out of memory");
			return 0;
		}
		c->sel[c->n_sel].kind = kinds[i].kind;
		c->sel_line[c->n_sel++] = c->line;
		return 1;
	}
	set_err(c, c->line, "unknown key '%s' in [attach] (expected cgroup, unit, pid or container)", key);
	return 0;
}

static int handle_policy(struct sa_conf *c, const char *key, const char *val)
{
	struct sa_policy *p = &c->policy;
	char err[256] = "";
	uint64_t v;
	bool b;
	int r;

	if (!strcmp(key, "ports") || !strcmp(key, "exclude-ports") || !strcmp(key, "exclude-comm")) {
		/* Lists: repeating the key appends, as repeating the option does. */
		if (!*val) {
			set_err(c, c->line, "[policy] %s: empty value", key);
			return 0;
		}
		if (!strcmp(key, "ports")) {
			r = sa_policy_parse_ports(val, p->include_ports, &p->n_include, err, sizeof(err));
			c->policy_keys |= SA_CONF_PORTS;
		} else if (!strcmp(key, "exclude-ports")) {
			r = sa_policy_parse_ports(val, p->exclude_ports, &p->n_exclude, err, sizeof(err));
			c->policy_keys |= SA_CONF_EXCLUDE_PORTS;
		} else {
			r = sa_policy_parse_comms(val, p, err, sizeof(err));
			c->policy_keys |= SA_CONF_EXCLUDE_COMM;
		}
	} else if (!strcmp(key, "max-unread")) {
		if (!once(c, K_MAX_UNREAD, "policy", key))
			return 0;
		r = sa_parse_u64(val, 4096, UINT64_MAX, &v);
		if (r)
			snprintf(err, sizeof(err), "invalid '%s' (bytes, at least 4096)", val);
		else
			p->max_unread = v;
		c->policy_keys |= SA_CONF_MAX_UNREAD;
	} else if (!strcmp(key, "redirect-streams")) {
		if (!once(c, K_REDIRECT_STREAMS, "policy", key))
			return 0;
		r = sa_config_parse_bool(val, &b);
		if (r)
			snprintf(err, sizeof(err), "invalid '%s' (yes or no)", val);
		else
			p->redirect_streams = b;
		c->policy_keys |= SA_CONF_REDIRECT_STREAMS;
	} else if (!strcmp(key, "accelerate-short")) {
		if (!once(c, K_ACCEL_SHORT, "policy", key))
			return 0;
		r = sa_config_parse_bool(val, &b);
		if (r)
			snprintf(err, sizeof(err), "invalid '%s' (yes or no)", val);
		else
			p->accelerate_short = b;
		c->policy_keys |= SA_CONF_ACCEL_SHORT;
	} else if (!strcmp(key, "splicers")) {
		if (!once(c, K_SPLICERS, "policy", key))
			return 0;
		r = sa_policy_parse_splicers(val, p, err, sizeof(err));
		c->policy_keys |= SA_CONF_SPLICERS;
	} else {
		set_err(c, c->line, "unknown key '%s' in [policy] (expected ports, exclude-ports, exclude-comm, "
			"max-unread, redirect-streams, accelerate-short or splicers)", key);
		return 0;
	}
	if (r) {
		set_err(c, c->line, "[policy] %s: %s", key, err[0] ? err : "invalid value");
		return 0;
	}
	return 1;
}

static int handle_loader(struct sa_conf *c, const char *key, const char *val)
{
	uint64_t v;

	if (!strcmp(key, "pin-dir")) {
		if (!once(c, K_PIN_DIR, "loader", key))
			return 0;
		if (val[0] != '/') {
			set_err(c, c->line, "[loader] pin-dir: '%s' is not an absolute path", val);
			return 0;
		}
		if (!(c->pin_dir = strdup(val)))
			goto oom;
	} else if (!strcmp(key, "map-size")) {
		if (!once(c, K_MAP_SIZE, "loader", key))
			return 0;
		if (sa_parse_u64(val, 1, 1u << 24, &v)) {
			set_err(c, c->line, "[loader] map-size: invalid '%s' (1 to 16777216)", val);
			return 0;
		}
		c->map_size = v;
	} else if (!strcmp(key, "drain-timeout")) {
		if (!once(c, K_DRAIN_TIMEOUT, "loader", key))
			return 0;
		if (sa_parse_timeout(val, &c->drain_timeout)) {
			set_err(c, c->line, "[loader] drain-timeout: invalid '%s' (seconds)", val);
			return 0;
		}
		c->drain_timeout_set = true;
	} else if (!strcmp(key, "metrics")) {
		if (!once(c, K_METRICS, "loader", key))
			return 0;
		if (sa_config_check_metrics(val)) {
			set_err(c, c->line, "[loader] metrics: invalid '%s' (ADDR:PORT, :PORT or PORT)", val);
			return 0;
		}
		if (!(c->metrics = strdup(val)))
			goto oom;
	} else {
		set_err(c, c->line, "unknown key '%s' in [loader] (expected pin-dir, map-size, drain-timeout "
			"or metrics)", key);
		return 0;
	}
	return 1;
oom:
	set_err(c, c->line, "out of memory");
	return 0;
}

static int handler(void *user, const char *section, const char *key, const char *val)
{
	struct sa_conf *c = user;

	if (c->err_line)	/* nothing more after the first error */
		return 0;
	if (!strcmp(section, "attach"))
		return handle_attach(c, key, val);
	if (!strcmp(section, "policy"))
		return handle_policy(c, key, val);
	if (!strcmp(section, "loader"))
		return handle_loader(c, key, val);
	if (!*section)
		set_err(c, c->line, "'%s' outside a section (expected [attach], [policy] or [loader] first)", key);
	else	/* read_line has reported it already */
		set_err(c, c->line, "unknown section [%s]", section);
	return 0;
}

int sa_config_parse_string(const char *text, size_t len, const char *path, struct sa_conf *cfg,
			   char *err, size_t errlen)
{
	struct reader rd = { .p = text, .end = text + len, .cfg = cfg };
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = strdup(path);
	if (!cfg->path) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (memchr(text, '\0', len)) {
		const char *z = memchr(text, '\0', len);
		int line = 1;

		for (const char *s = text; s < z; s++)
			line += *s == '\n';
		snprintf(err, errlen, "%s:%d: a NUL byte (not a text file)", path, line);
		return -EINVAL;
	}
	r = ini_parse_stream(read_line, &rd, handler, cfg);
	/* libinih's own syntax errors never reach the handler: the line it
	 * names is earlier than ours, or ours is unset. */
	if (r > 0 && (!cfg->err_line || r < cfg->err_line)) {
		cfg->err_line = r;
		snprintf(cfg->err, sizeof(cfg->err), "syntax error (expected [SECTION], KEY = VALUE or a comment)");
	} else if (r < 0 && !cfg->err_line) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (cfg->err_line) {
		snprintf(err, errlen, "%s:%d: %s", path, cfg->err_line, cfg->err);
		return -EINVAL;
	}
	return 0;
}

int sa_config_load(const char *path, struct sa_conf *cfg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (!f) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -errno;
	}
	buf = malloc(SA_CONFIG_MAX_SIZE + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	n = fread(buf, 1, SA_CONFIG_MAX_SIZE + 1, f);
	if (ferror(f)) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	} else if (n > SA_CONFIG_MAX_SIZE) {
		r = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path, SA_CONFIG_MAX_SIZE);
	} else {
		r = sa_config_parse_string(buf, n, path, cfg, err, errlen);
	}
	free(buf);
	fclose(f);
	return r;
}

void sa_config_free(struct sa_conf *cfg)
{
	for (int i = 0; i < cfg->n_sel; i++)
		free((char *)cfg->sel[i].arg);
	free(cfg->path);
	free(cfg->pin_dir);
	free(cfg->metrics);
	memset(cfg, 0, sizeof(*cfg));
}

int sa_config_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" }, *no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int sa_config_check_metrics(const char *s)
{
	const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
	uint64_t v;

	if (sa_parse_u64(port, 1, 65535, &v))
		return -EINVAL;
	if (colon && colon != s) {	/* an address: no blank, IPv6 bracketed */
		size_t n = colon - s;

		if (strcspn(s, " \t") < n)
			return -EINVAL;
		if (memchr(s, ':', n) && (s[0] != '[' || s[n - 1] != ']' || n < 3))
			return -EINVAL;
	}
	return 0;
}

bool sa_config_policy_equal(const struct sa_policy *a, const struct sa_policy *b)
{
	return a->n_include == b->n_include && a->n_exclude == b->n_exclude && a->n_comms == b->n_comms &&
	       a->n_splicers == b->n_splicers && a->max_unread == b->max_unread &&
	       a->redirect_streams == b->redirect_streams && a->accelerate_short == b->accelerate_short &&
	       !memcmp(a->include_ports, b->include_ports, a->n_include * sizeof(a->include_ports[0])) &&
	       !memcmp(a->exclude_ports, b->exclude_ports, a->n_exclude * sizeof(a->exclude_ports[0])) &&
	       !memcmp(a->exclude_comms, b->exclude_comms, a->n_comms * sizeof(a->exclude_comms[0])) &&
	       !memcmp(a->splicers, b->splicers, a->n_splicers * sizeof(a->splicers[0]));
}

void sa_config_merge_policy(struct sa_policy *out, const struct sa_policy *cli, unsigned int cli_keys,
			    const struct sa_conf *c)
{
	unsigned int from_file = c->policy_keys & ~cli_keys;
	const struct sa_policy *f = &c->policy;

	*out = *cli;
	if (from_file & SA_CONF_PORTS) {
		memcpy(out->include_ports, f->include_ports, sizeof(f->include_ports));
		out->n_include = f->n_include;
	}
	if (from_file & SA_CONF_EXCLUDE_PORTS) {
		memcpy(out->exclude_ports, f->exclude_ports, sizeof(f->exclude_ports));
		out->n_exclude = f->n_exclude;
	}
	if (from_file & SA_CONF_EXCLUDE_COMM) {
		memcpy(out->exclude_comms, f->exclude_comms, sizeof(f->exclude_comms));
		out->n_comms = f->n_comms;
	}
	if (from_file & SA_CONF_MAX_UNREAD)
		out->max_unread = f->max_unread;
	if (from_file & SA_CONF_REDIRECT_STREAMS)
		out->redirect_streams = f->redirect_streams;
	if (from_file & SA_CONF_ACCEL_SHORT)
		out->accelerate_short = f->accelerate_short;
	if (from_file & SA_CONF_SPLICERS) {
		memcpy(out->splicers, f->splicers, sizeof(f->splicers));
		out->n_splicers = f->n_splicers;
	}
}
