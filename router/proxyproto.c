/*
 * The PROXY protocol header (haproxy's proxy-protocol.txt, versions 1 and 2)
 * that a load balancer in front of the router sends first on each connection.
 * Parsed strictly: anything not exactly a header is refused, and the reader in
 * conn.c closes the connection without forwarding a byte.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "router/router.h"

#define V1_MAX 107	/* the specification's bound, CRLF included */
#define V2_MAX_LEN 1024	/* our bound on the v2 address block and TLVs */

static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* A decimal port with no sign, no leading zero (but "0"), at most 65535. */
static int
v1_port(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v > 65535 ? -1 : (int)v;
}

/* Split the v1 line at single spaces into at most 6 fields. */
static int
v1_fields(const char *p, size_t n, struct str f[6])
{
	int k = 0;
	size_t start = 0, i;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != ' ')
			continue;
		if (i == start || k == 6)
			return -1;	/* empty field (double space) or too many */
		f[k++] = str_make(p + start, i - start);
		start = i + 1;
	}
	return k;
}

static int
v1_parse(const uint8_t *buf, size_t len, struct sockaddr_storage *src)
{
	const char *p = (const char *)buf, *crlf;
	struct str f[6];
	char a[INET6_ADDRSTRLEN + 1];
	size_t scan = len < V1_MAX ? len : V1_MAX, line;
	int k, fam, port;

	if (memcmp(p, "PROXY ", len < 6 ? len : 6) != 0)
		return -1;
	crlf = memchr(p, '\r', scan);
	if (crlf == NULL)
		return len >= V1_MAX ? -1 : 0;
	if ((size_t)(crlf - p) + 1 >= len)
		return 0;
	if (crlf[1] != '\n')
		return -1;
	line = (size_t)(crlf - p);
	k = v1_fields(p + 6, line - 6, f);
	if (k < 1)
		return -1;
	if (str_eqs(f[0], "UNKNOWN"))
		return (int)line + 2;	/* the rest of the line is ignored */
	if (k != 5)
		return -1;
	if (str_eqs(f[0], "TCP4"))
		fam = AF_INET;
	else if (str_eqs(f[0], "TCP6"))
		fam = AF_INET6;
	else
		return -1;
	if (f[1].len >= sizeof(a) || f[2].len >= sizeof(a))
		return -1;
	memset(src, 0, sizeof(*src));
	memcpy(a, f[2].p, f[2].len);
	a[f[2].len] = '\0';
	if (inet_pton(fam, a, fam == AF_INET ? (void *)&((struct sockaddr_in *)src)->sin_addr :
	    (void *)&((struct sockaddr_in6 *)src)->sin6_addr) != 1)
		return -1;	/* the destination must be valid too */
	memcpy(a, f[1].p, f[1].len);
	a[f[1].len] = '\0';
	if (inet_pton(fam, a, fam == AF_INET ? (void *)&((struct sockaddr_in *)src)->sin_addr :
	    (void *)&((struct sockaddr_in6 *)src)->sin6_addr) != 1)
		return -1;
	if ((port = v1_port(f[3].p, f[3].len)) < 0 || v1_port(f[4].p, f[4].len) < 0)
		return -1;
	src->ss_family = (sa_family_t)fam;
	if (fam == AF_INET)
		((struct sockaddr_in *)src)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)src)->sin6_port = htons((uint16_t)port);
	return (int)line + 2;
}

static int
v2_parse(const uint8_t *p, size_t len, struct sockaddr_storage *src)
{
	size_t alen, total;

	if (memcmp(p, v2_sig, len < 12 ? len : 12) != 0)
		return -1;
	if (len < 16)
		return len > 12 && (p[12] & 0xf0) != 0x20 ? -1 : 0;
	if ((p[12] & 0xf0) != 0x20 || (p[12] & 0x0f) > 1)
		return -1;
	alen = (size_t)p[14] << 8 | p[15];
	if (alen > V2_MAX_LEN)
		return -1;
	total = 16 + alen;
	if (len < total)
		return 0;
	if ((p[12] & 0x0f) == 0)
		return (int)total;	/* LOCAL: the balancer's own probe */
	switch (p[13]) {
	case 0x11:	/* TCP over IPv4 */
	case 0x12:	/* UDP over IPv4 */
		if (alen < 12)
			return -1;
		memset(src, 0, sizeof(*src));
		src->ss_family = AF_INET;
		memcpy(&((struct sockaddr_in *)src)->sin_addr, p + 16, 4);
		memcpy(&((struct sockaddr_in *)src)->sin_port, p + 24, 2);
		return (int)total;
	case 0x21:	/* TCP over IPv6 */
	case 0x22:
		if (alen < 36)
			return -1;
		memset(src, 0, sizeof(*src));
		src->ss_family = AF_INET6;
		memcpy(&((struct sockaddr_in6 *)src)->sin6_addr, p + 16, 16);
		memcpy(&((struct sockaddr_in6 *)src)->sin6_port, p + 48, 2);
		return (int)total;
	case 0x00:	/* UNSPEC */
	case 0x31:	/* unix stream */
	case 0x32:
		return (int)total;
	default:
		return -1;
	}
}

int
proxyproto_parse(const uint8_t *p, size_t len, struct sockaddr_storage *src)
{
	if (len == 0)
		return 0;
	src->ss_family = AF_UNSPEC;
	if (p[0] == 'P')
		return v1_parse(p, len, src);
	if (p[0] == 0x0d)
		return v2_parse(p, len, src);
	return -1;
}
