/*
 * IPv4 and IPv6 networks: parsing ("10.0.0.0/8", "1.2.3.4", "::1/128",
 * Deis's "1.2.3.4:label"), lists of them, and matching an address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cidr.h"
#include "lib/xalloc.h"

int
cidr_parse(const char *s, struct cidr *c)
{
	char tmp[80];
	char *slash, *label;
	const char *errstr = NULL;

	if (strlcpy(tmp, s, sizeof(tmp)) >= sizeof(tmp))
		return -1;
	if (strchr(tmp, '.') && (label = strchr(tmp, ':')) != NULL)
		*label = '\0';	/* IPv4 with a Deis ":label" */
	slash = strchr(tmp, '/');
	if (slash)
		*slash++ = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, tmp, c->addr) == 1) {
		c->family = AF_INET;
		c->bits = 32;
	} else if (inet_pton(AF_INET6, tmp, c->addr) == 1) {
		c->family = AF_INET6;
		c->bits = 128;
	} else {
		return -1;
	}
	if (slash) {
		c->bits = (int)strtonum(slash, 0, c->bits, &errstr);
		if (errstr)
			return -1;
	}
	return 0;
}

static bool
cidr_match(const struct cidr *c, const uint8_t *a)
{
	int full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

bool
cidr_list_match(const struct cidr *list, size_t n, const struct sockaddr_storage *peer)
{
	uint8_t v4[4], v6[16];
	const uint8_t *p4 = NULL, *p6 = NULL;
	size_t i;

	if (peer->ss_family == AF_INET) {
		memcpy(v4, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		p4 = v4;
	} else if (peer->ss_family == AF_INET6) {
		memcpy(v6, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
		p6 = v6;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)v6))
			p4 = v6 + 12;
	}
	for (i = 0; i < n; i++) {
		if (list[i].family == AF_INET && p4 && cidr_match(&list[i], p4))
			return true;
		if (list[i].family == AF_INET6 && p6 && cidr_match(&list[i], p6))
			return true;
	}
	return false;
}

struct cidr *
cidr_list_parse(const char *v, bool labels, size_t *n, struct err *e)
{
	char *copy = xstrdup(v), *p = copy, *tok;
	struct cidr *list = xcalloc(strlen(v) / 2 + 1, sizeof(struct cidr));

	*n = 0;
	while ((tok = strsep(&p, ",")) != NULL) {
		char *end;

		tok += strspn(tok, " \t");
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*tok == '\0')
			continue;
		if ((!labels && strchr(tok, ':') && strchr(tok, '.')) ||
		    cidr_parse(tok, &list[*n]) < 0) {
			err_set(e, 100, "'%s' is not an address or network", tok);
			free(copy);
			free(list);
			return NULL;
		}
		(*n)++;
	}
	free(copy);
	return list;
}

bool
cidr_list_match_ip(const struct cidr *list, size_t n, const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return false;
	return cidr_list_match(list, n, &ss);
}
