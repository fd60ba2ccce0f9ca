/*
 * The PROXY protocol header parser (router/proxyproto.c) on any bytes a peer
 * can send before its request: the answer is -1, 0 or a length within the
 * input; it is incremental (every shorter prefix of a complete header needs
 * more, and bytes after the header change nothing); once a prefix is refused,
 * every longer input is refused too; an accepted header names an IPv4, IPv6 or
 * no address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "router/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX_CHECK_MAX 512

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage src, again;
	int r = proxyproto_parse(data, size, &src);
	size_t k;

	if (r < -1 || (r > 0 && (size_t)r > size))
		abort();
	if (r > 0) {
		if (src.ss_family != AF_UNSPEC && src.ss_family != AF_INET && src.ss_family != AF_INET6)
			abort();
		if (proxyproto_parse(data, (size_t)r, &again) != r || again.ss_family != src.ss_family)
			abort();
	}
	for (k = 0; k < size && k < PREFIX_CHECK_MAX; k++) {
		int rk = proxyproto_parse(data, k, &again);

		if (r > 0 && k < (size_t)r && rk != 0)
			abort();	/* a complete header's prefixes all need more */
		if (rk == -1 && r != -1)
			abort();	/* refused stays refused */
		if (rk > 0 && rk != r)
			abort();	/* a header ends where it ends */
	}
	return 0;
}
