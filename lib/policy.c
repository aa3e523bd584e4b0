// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "output.h"
#include "policy.h"

int sa_policy_parse_ports(const char *list, uint32_t *ports, int *n, char *err, size_t errlen)
{
	char *copy = strdup(list), *tok, *save = NULL, *end;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long v = strtoul(tok, &end, 10);

		if (!*tok || *end || v < 1 || v > 65535) {
			snprintf(err, errlen, "invalid port '%s' (expected 1-65535)", tok);
			r = -EINVAL;
			break;
		}
		if (*n >= SA_POLICY_ENTRIES) {
			snprintf(err, errlen, "too many ports (at most %d)", SA_POLICY_ENTRIES);
			r = -EINVAL;
			break;
		}
		ports[(*n)++] = v;
	}
	free(copy);
	return r;
}

/* Append a comma list of process names to names[] (*n of them). */
static int parse_comm_list(const char *list, char names[][SA_COMM_LEN], int *n, char *err, size_t errlen)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		/* The kernel keeps 15 bytes of a process name (TASK_COMM_LEN). */
		if (strlen(tok) >= SA_COMM_LEN) {
			snprintf(err, errlen, "process name '%s' is longer than %d bytes (the kernel keeps 15)",
				 tok, SA_COMM_LEN - 1);
			r = -EINVAL;
			break;
		}
		if (*n >= SA_POLICY_ENTRIES) {
			snprintf(err, errlen, "too many process names (at most %d)", SA_POLICY_ENTRIES);
			r = -EINVAL;
			break;
		}
		memset(names[*n], 0, SA_COMM_LEN);
		memcpy(names[(*n)++], tok, strlen(tok));
	}
	free(copy);
	return r;
}

int sa_policy_parse_comms(const char *list, struct sa_policy *pol, char *err, size_t errlen)
{
	return parse_comm_list(list, pol->exclude_comms, &pol->n_comms, err, errlen);
}

int sa_policy_parse_splicers(const char *list, struct sa_policy *pol, char *err, size_t errlen)
{
	pol->n_splicers = 0;
	if (!strcmp(list, "none"))
		return 0;
	if (!*list) {
		snprintf(err, errlen, "empty --splicers list (use 'none' for no process)");
		return -EINVAL;
	}
	return parse_comm_list(list, pol->splicers, &pol->n_splicers, err, errlen);
}

/* The splicers map takes the policy's list (flag LISTED); what the programs
 * learned (flag SEEN) stays, with its statistics. */
static int write_splicers(int fd, const struct sa_policy *pol)
{
	char key[SA_COMM_LEN], next[SA_COMM_LEN], *prev = NULL;
	char (*stale)[SA_COMM_LEN] = calloc(SA_SPLICER_ENTRIES, SA_COMM_LEN);
	struct sa_splicer v;
	int n = 0, r = 0;

	if (!stale)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, next) == 0 && n < SA_SPLICER_ENTRIES) {
		memcpy(key, next, sizeof(key));
		prev = key;
		memcpy(stale[n++], key, sizeof(key));
	}
	for (int i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, stale[i], &v) || !(v.flags & SA_SPLICER_LISTED))
			continue;
		v.flags &= ~SA_SPLICER_LISTED;
		if (v.flags)
			bpf_map_update_elem(fd, stale[i], &v, BPF_EXIST);
		else
			bpf_map_delete_elem(fd, stale[i]);
	}
	for (int i = 0; i < pol->n_splicers && !r; i++) {
		memset(&v, 0, sizeof(v));
		bpf_map_lookup_elem(fd, pol->splicers[i], &v);
		v.flags |= SA_SPLICER_LISTED;
		r = bpf_map_update_elem(fd, pol->splicers[i], &v, BPF_ANY) ? -errno : 0;
	}
	free(stale);
	return r;
}

/* Delete every key of a hash map. */
static void clear_map(int fd, size_t key_size)
{
	char key[64], next[64];

	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

int sa_policy_write(const struct sa_pins *p, const struct sa_policy *pol, char *err, size_t errlen)
{
	struct sa_config cfg = { .max_unread = pol->max_unread }, old = {};
	int ports = -1, comms = -1, cfd = -1, spl = -1, r = 0;
	uint32_t zero = 0, v;

	ports = sa_pin_open(p, SA_PIN_POLICY_PORTS);
	comms = sa_pin_open(p, SA_PIN_POLICY_COMMS);
	cfd = sa_pin_open(p, SA_PIN_CONFIG);
	if (ports < 0 || comms < 0 || cfd < 0) {
		r = ports < 0 ? ports : comms < 0 ? comms : cfd;
		snprintf(err, errlen, "open policy maps in %s: %s", p->dir, strerror(-r));
		goto out;
	}
	/* Excludes win over includes, in the maps as in the BPF check. */
	clear_map(ports, sizeof(uint32_t));
	clear_map(comms, SA_COMM_LEN);
	v = SA_PORT_INCLUDE;
	for (int i = 0; i < pol->n_include && !r; i++)
		r = bpf_map_update_elem(ports, &pol->include_ports[i], &v, BPF_ANY) ? -errno : 0;
	v = SA_PORT_EXCLUDE;
	for (int i = 0; i < pol->n_exclude && !r; i++)
		r = bpf_map_update_elem(ports, &pol->exclude_ports[i], &v, BPF_ANY) ? -errno : 0;
	v = 1;
	for (int i = 0; i < pol->n_comms && !r; i++)
		r = bpf_map_update_elem(comms, pol->exclude_comms[i], &v, BPF_ANY) ? -errno : 0;
	/* A load by a build without the splicers map has no such pin. */
	spl = sa_pin_open(p, SA_PIN_SPLICERS);
	if (!r && spl >= 0)
		r = write_splicers(spl, pol);
	else if (!r && pol->n_splicers)
		r = spl;
	if (pol->n_include)
		cfg.flags |= SA_CFG_PORTS_INCLUDE;
	if (pol->redirect_streams)
		cfg.flags |= SA_CFG_REDIRECT_STREAMS;
	if (pol->accelerate_short)
		cfg.flags |= SA_CFG_ACCEL_SHORT;
	/* What the loader recorded about this kernel is not policy: keep it. */
	if (!bpf_map_lookup_elem(cfd, &zero, &old))
		cfg.flags |= old.flags & SA_CFG_RX_UNTRACKED;
	if (!r)
		r = bpf_map_update_elem(cfd, &zero, &cfg, BPF_ANY) ? -errno : 0;
	if (r)
		snprintf(err, errlen, "write policy maps: %s", strerror(-r));
out:
	if (ports >= 0)
		close(ports);
	if (comms >= 0)
		close(comms);
	if (cfd >= 0)
		close(cfd);
	if (spl >= 0)
		close(spl);
	return r;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_comm(const void *a, const void *b)
{
	return strncmp(a, b, SA_COMM_LEN);
}

int sa_policy_read(const struct sa_pins *p, struct sa_policy *pol)
{
	struct sa_config cfg = {};
	uint32_t key, next, *prev = NULL, v, zero = 0;
	char ckey[SA_COMM_LEN], cnext[SA_COMM_LEN], *cprev = NULL;
	int fd;

	memset(pol, 0, sizeof(*pol));
	if ((fd = sa_pin_open(p, SA_PIN_CONFIG)) < 0)
		return fd;
	bpf_map_lookup_elem(fd, &zero, &cfg);
	close(fd);
	pol->max_unread = cfg.max_unread;
	pol->redirect_streams = cfg.flags & SA_CFG_REDIRECT_STREAMS;
	pol->accelerate_short = cfg.flags & SA_CFG_ACCEL_SHORT;
	if ((fd = sa_pin_open(p, SA_PIN_POLICY_PORTS)) < 0)
		return fd;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (v == SA_PORT_INCLUDE && pol->n_include < SA_POLICY_ENTRIES)
			pol->include_ports[pol->n_include++] = key;
		else if (v == SA_PORT_EXCLUDE && pol->n_exclude < SA_POLICY_ENTRIES)
			pol->exclude_ports[pol->n_exclude++] = key;
	}
	close(fd);
	qsort(pol->include_ports, pol->n_include, sizeof(uint32_t), cmp_u32);
	qsort(pol->exclude_ports, pol->n_exclude, sizeof(uint32_t), cmp_u32);
	if ((fd = sa_pin_open(p, SA_PIN_POLICY_COMMS)) < 0)
		return fd;
	while (bpf_map_get_next_key(fd, cprev, cnext) == 0 && pol->n_comms < SA_POLICY_ENTRIES) {
		memcpy(ckey, cnext, sizeof(ckey));
		cprev = ckey;
		memcpy(pol->exclude_comms[pol->n_comms++], ckey, SA_COMM_LEN);
	}
	close(fd);
	qsort(pol->exclude_comms, pol->n_comms, SA_COMM_LEN, cmp_comm);
	if ((fd = sa_pin_open(p, SA_PIN_SPLICERS)) < 0)
		return 0;	/* a load by a build without it */
	cprev = NULL;
	while (bpf_map_get_next_key(fd, cprev, cnext) == 0 && pol->n_splicers < SA_POLICY_ENTRIES) {
		struct sa_splicer v;

		memcpy(ckey, cnext, sizeof(ckey));
		cprev = ckey;
		if (!bpf_map_lookup_elem(fd, ckey, &v) && (v.flags & SA_SPLICER_LISTED))
			memcpy(pol->splicers[pol->n_splicers++], ckey, SA_COMM_LEN);
	}
	close(fd);
	qsort(pol->splicers, pol->n_splicers, SA_COMM_LEN, cmp_comm);
	return 0;
}

static void print_ports(const char *key, const char *label, const uint32_t *ports, int n)
{
	open_json_array(key, label);
	for (int i = 0; i < n; i++)
		print_uint(NULL, i ? ",%llu" : "%llu", ports[i]);
	if (!n)
		print_text("-");
	close_json_array("\n");
}

static void print_comms(const char *key, const char *label, const char names[][SA_COMM_LEN], int n)
{
	open_json_array(key, label);
	for (int i = 0; i < n; i++) {
		char name[SA_COMM_LEN + 1] = {};

		memcpy(name, names[i], SA_COMM_LEN);
		print_string(NULL, i ? ",%s" : "%s", name);
	}
	if (!n)
		print_text("-");
	close_json_array("\n");
}

void sa_splicers_seen_print(const struct sa_pins *p)
{
	char key[SA_COMM_LEN], next[SA_COMM_LEN], *prev = NULL;
	int fd = sa_pin_open(p, SA_PIN_SPLICERS), n = 0;
	struct sa_splicer v;

	open_json_array("splicers_seen", "splice readers seen (their new sockets are not accelerated):\n");
	while (fd >= 0 && bpf_map_get_next_key(fd, prev, next) == 0) {
		char name[SA_COMM_LEN + 1] = {};

		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &v) || !(v.flags & SA_SPLICER_SEEN))
			continue;
		memcpy(name, key, SA_COMM_LEN);
		open_json_object(NULL);
		print_string("comm", "  %-15s", name);
		print_uint("sockets", " %llu socket(s) spliced", v.sockets);
		print_uint("late", ", %llu with redirected bytes unread", v.late);
		print_uint("last_pid", ", last pid %llu", v.last_pid);
		print_bool("listed", v.flags & SA_SPLICER_LISTED ? " (listed)" : "", v.flags & SA_SPLICER_LISTED);
		print_text("\n");
		close_json_object();
		n++;
	}
	if (!n)
		print_text("  -\n");
	close_json_array(NULL);
	if (fd >= 0)
		close(fd);
}

void sa_policy_print(const struct sa_policy *pol)
{
	open_json_object("policy");
	print_string("accelerate", "policy:    accelerate %s\n",
		     pol->n_include ? "only the ports listed" : "all local TCP");
	print_ports("include_ports", "  only ports:      ", pol->include_ports, pol->n_include);
	print_ports("exclude_ports", "  exclude ports:   ", pol->exclude_ports, pol->n_exclude);
	print_comms("exclude_comms", "  exclude process: ", pol->exclude_comms, pol->n_comms);
	print_comms("splicers", "  splice readers:  ", pol->splicers, pol->n_splicers);
	/* JSON: true = streams move to TCP and leave the map (the default) */
	print_bool("stream_tcp", pol->redirect_streams ?
		   "  small-write streams: redirected (--redirect-streams)\n" :
		   "  small-write streams: move to TCP and leave the map\n", !pol->redirect_streams);
	/* JSON: true = ports with short-lived connections are not inserted (the default) */
	print_bool("short_lived_skip", pol->accelerate_short ?
		   "  short-lived connections: inserted (--accelerate-short)\n" :
		   "  short-lived connections: not inserted once a port has 16 in a row\n", !pol->accelerate_short);
	/* JSON: a number, 0 = auto */
	print_uint("max_unread", pol->max_unread ?
		   "  max unread:      %llu bytes per connection direction\n" :
		   "  max unread:      auto (receiver's SO_RCVBUF if set, else tcp_rmem max)\n",
		   pol->max_unread);
	close_json_object();
}
