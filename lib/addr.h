/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Formatting the addresses of a struct sa_sock_key. */
#ifndef SA_ADDR_H
#define SA_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* "127.0.0.1" for v4-mapped addresses, "::1" etc. otherwise. */
void sa_addr_str(const uint32_t ip[4], char *buf, size_t len);
/* "127.0.0.1:80" or "[::1]:80" */
void sa_endpoint_str(const uint32_t ip[4], uint32_t port, char *buf, size_t len);

#endif
