// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sa_config_parse_string (loader/config.c): the loader's --config file, read
 * by libinih, whose values reach lib/policy.c, lib/parse.c and lib/select.c.
 * Accepted: every value in range, as the command line would take it; refused:
 * one line "PATH:LINE: why" with LINE within the input. */
#include "fuzz.h"	/* first: _GNU_SOURCE */
#include <errno.h>
#include <math.h>
#include "config.h"

static int count_lines(const uint8_t *data, size_t size)
{
	int n = 1;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sa_conf *c = malloc(sizeof(*c));
	char err[1024] = "";
	int r, line;

	if (!c)
		abort();
	r = sa_config_parse_string((const char *)data, size, "f", c, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r) {
		FUZZ_CHECK(!strchr(err, '\n'));
		if (r == -EINVAL) {
			FUZZ_CHECK(sscanf(err, "f:%d: ", &line) == 1);
			FUZZ_CHECK(line >= 1 && line <= count_lines(data, size));
		}
	} else {
		FUZZ_CHECK(c->n_sel >= 0 && c->n_sel <= SA_CONFIG_MAX_SEL);
		for (int i = 0; i < c->n_sel; i++) {
			uint32_t pid;

			FUZZ_CHECK(c->sel[i].arg && c->sel[i].arg[0]);
			FUZZ_CHECK(c->sel_line[i] >= 1 && c->sel_line[i] <= count_lines(data, size));
			if (c->sel[i].kind == SA_SEL_PID)
				FUZZ_CHECK(!sa_select_parse_pid(c->sel[i].arg, &pid));
		}
		FUZZ_CHECK(c->policy.n_include <= SA_POLICY_ENTRIES && c->policy.n_exclude <= SA_POLICY_ENTRIES);
		for (int i = 0; i < c->policy.n_include; i++)
			FUZZ_CHECK(c->policy.include_ports[i] >= 1 && c->policy.include_ports[i] <= 65535);
		for (int i = 0; i < c->policy.n_exclude; i++)
			FUZZ_CHECK(c->policy.exclude_ports[i] >= 1 && c->policy.exclude_ports[i] <= 65535);
		FUZZ_CHECK(c->policy.n_comms <= SA_POLICY_ENTRIES && c->policy.n_splicers <= SA_POLICY_ENTRIES);
		for (int i = 0; i < c->policy.n_comms; i++)
			FUZZ_CHECK(c->policy.exclude_comms[i][SA_COMM_LEN - 1] == '\0' && c->policy.exclude_comms[i][0]);
		FUZZ_CHECK(!(c->policy_keys & SA_CONF_MAX_UNREAD) || c->policy.max_unread >= 4096);
		FUZZ_CHECK(c->map_size <= 1u << 24);
		FUZZ_CHECK(!c->drain_timeout_set || (isfinite(c->drain_timeout) && c->drain_timeout >= 0));
		FUZZ_CHECK(!c->pin_dir || c->pin_dir[0] == '/');
		FUZZ_CHECK(!c->metrics || !sa_config_check_metrics(c->metrics));
	}
	sa_config_free(c);
	free(c);
	return 0;
}
