/*
 * The router's Host matching (security.md §3.8, "Route table / Host
 * matching") on a fixed table: route(host) must be deterministic and
 * case-insensitive, ignore a port and one trailing dot, and never crash on
 * any bytes a client can put in a Host header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The router's globals routes.c and tls.c refer to (main.c owns them). */
struct router_conf conf;
struct worker W;

static const char table[] =
	"{\"version\":1,\"domain\":\"example.test\",\"controller\":[\"127.0.0.1:8000\"],"
	"\"apps\":{\"shop\":{\"domains\":[\"www.shop.test\",\"shop.test\"],"
	"\"endpoints\":[{\"addr\":\"10.0.0.5:5000\",\"container\":\"c1\",\"release\":3}]},"
	"\"blog\":{\"domains\":[],\"endpoints\":[]},"
	"\"a\":{\"domains\":[\"xn--bcher-kva.test\"],\"endpoints\":[]}},\"certs\":{}}";

static struct route_table *t;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *upper, *withport, *withdot;
	struct app *a, *b;
	size_t i;

	if (t == NULL) {
		char why[256];

		t = routes_parse(table, sizeof(table) - 1, why, sizeof(why));
		if (t == NULL)
			abort();
	}
	if (size > 300)
		return 0;
	a = routes_lookup(t, str_make((const char *)data, size));
	if (a != routes_lookup(t, str_make((const char *)data, size)))
		abort();	/* deterministic */
	if (memchr(data, ':', size) || memchr(data, '[', size))
		return 0;
	upper = malloc(size + 1);
	for (i = 0; i < size; i++)
		upper[i] = (data[i] >= 'a' && data[i] <= 'z') ? (char)(data[i] - 32) : (char)data[i];
	b = routes_lookup(t, str_make(upper, size));
	if (a != b)
		abort();	/* case does not matter */
	withport = malloc(size + 6);
	memcpy(withport, data, size);
	memcpy(withport + size, ":8080", 5);
	if (routes_lookup(t, str_make(withport, size + 5)) != a)
		abort();	/* a port does not matter */
	if (size == 0 || data[size - 1] != '.') {
		withdot = malloc(size + 2);
		memcpy(withdot, data, size);
		withdot[size] = '.';
		if (routes_lookup(t, str_make(withdot, size + 1)) != a)
			abort();	/* one trailing dot does not matter */
		free(withdot);
	}
	free(upper);
	free(withport);
	return 0;
}
