// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "addr.h"

static int is_v4_mapped(const uint32_t ip[4])
{
	return ip[0] == 0 && ip[1] == 0 && ip[2] == htonl(0xffff);
}

void sa_addr_str(const uint32_t ip[4], char *buf, size_t len)
{
	if (is_v4_mapped(ip))
		inet_ntop(AF_INET, &ip[3], buf, len);
	else
		inet_ntop(AF_INET6, ip, buf, len);
}

void sa_endpoint_str(const uint32_t ip[4], uint32_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	sa_addr_str(ip, a, sizeof(a));
	snprintf(buf, len, is_v4_mapped(ip) ? "%s:%u" : "[%s]:%u", a, port);
}
