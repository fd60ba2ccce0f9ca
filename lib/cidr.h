#ifndef LIB_CIDR_H
#define LIB_CIDR_H
/* IPv4/IPv6 networks and lists of them (the router's whitelists, trusted peers). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/err.h"

struct cidr {
	int family;
	uint8_t addr[16];
	int bits;
};

/* "10.0.0.0/8", "1.2.3.4", "1.2.3.4:label" (Deis), "::1/128" into c. 0 or -1. */
int cidr_parse(const char *s, struct cidr *c);
/*
 * "CIDR[,CIDR...]" (spaces around entries allowed; labels, Deis's "ip:label",
 * only where labels is set) into a new array of *n entries (free() it); an
 * empty list gives *n 0. NULL with e set on a bad entry.
 */
struct cidr *cidr_list_parse(const char *v, bool labels, size_t *n, struct err *e);
/* Whether addr (IPv4, IPv6, v4-mapped IPv6) is in one of the n networks. */
bool cidr_list_match(const struct cidr *list, size_t n, const struct sockaddr_storage *addr);
/* The same for a textual address; false when ip is not one. */
bool cidr_list_match_ip(const struct cidr *list, size_t n, const char *ip);

#endif
