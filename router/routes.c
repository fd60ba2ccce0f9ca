/*
 * The route table: decoded from the controller's JSON (docs/internal-api.md)
 * into typed structs once, then only read. A new table is built completely and
 * validated before it replaces the old one; connections in flight keep a
 * reference to the table they started with.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/router.h"

uint64_t
router_hash(const char *p, size_t n, uint64_t h)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Lower case, no port, no trailing dot; written into out (size outlen). */
static size_t
host_normalize(struct str host, char *out, size_t outlen)
{
	size_t n = 0, i;

	if (host.len && host.p[0] == '[') {
		const char *e = memchr(host.p, ']', host.len);

		if (e)
			host.len = (size_t)(e - host.p) + 1;
	} else {
		const char *colon = memchr(host.p, ':', host.len);

		if (colon)
			host.len = (size_t)(colon - host.p);
	}
	if (host.len && host.p[host.len - 1] == '.')
		host.len--;
	for (i = 0; i < host.len && n + 1 < outlen; i++) {
		char c = host.p[i];

		out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return i < host.len ? 0 : n;
}

static int
slot_add(struct route_table *t, const char *host, size_t app)
{
	char norm[256];
	size_t n = host_normalize(str_from(host), norm, sizeof(norm)), i;

	if (n == 0)
		return -1;
	for (i = router_hash(norm, n, ROUTER_HASH_SEED) % t->nslots; t->slots[i].host;
	    i = (i + 1) % t->nslots)
		if (strcmp(t->slots[i].host, norm) == 0)
			return 0;	/* first one wins: <app>.<domain> is added first */
	t->slots[i].host = xstrdup(norm);
	t->slots[i].app = app;
	return 0;
}

struct app *
routes_lookup(struct route_table *t, struct str host)
{
	char norm[256];
	size_t n, i;

	if (t == NULL || t->nslots == 0)
		return NULL;
	n = host_normalize(host, norm, sizeof(norm));
	if (n == 0)
		return NULL;
	for (i = router_hash(norm, n, ROUTER_HASH_SEED) % t->nslots; t->slots[i].host;
	    i = (i + 1) % t->nslots)
		if (strcmp(t->slots[i].host, norm) == 0)
			return &t->apps[t->slots[i].app];
	return NULL;
}

/* "ip:port", "[v6]:port" or "name:port" into sa. */
static int
addr_resolve(const char *addr, struct sockaddr_storage *sa, socklen_t *salen)
{
	char host[128];
	const char *port, *colon = strrchr(addr, ':');
	struct addrinfo hints = { 0 }, *res = NULL;
	size_t hl;
	int r;

	if (colon == NULL || colon == addr)
		return -1;
	port = colon + 1;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && colon[-1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof(host) || *port == '\0')
		return -1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0 || res == NULL)
		return -1;
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
endpoint_decode(struct endpoint *ep, const char *addr, const char *container)
{
	if (strlen(addr) >= sizeof(ep->addr) || strlen(container) >= sizeof(ep->container))
		return -1;
	if (addr_resolve(addr, &ep->sa, &ep->salen) < 0)
		return -1;
	strlcpy(ep->addr, addr, sizeof(ep->addr));
	strlcpy(ep->container, container, sizeof(ep->container));
	return 0;
}

bool
routes_allowed(const struct app *a, const struct sockaddr_storage *peer)
{
	return !a->restricted || cidr_list_match(a->allow, a->nallow, peer);
}

static void
app_clear(struct app *a)
{
	free(a->name);
	free(a->ep);
	free(a->allow);
}

static int
app_decode(struct app *a, const char *name, json_t *j, char *why, size_t whylen)
{
	json_t *eps = json_object_get(j, "endpoints"), *wl = json_object_get(j, "whitelist");
	json_t *to = json_object_get(j, "timeout"), *v;
	size_t i;

	a->name = xstrdup(name);
	if (eps && !json_is_array(eps))
		return snprintf(why, whylen, "app '%s': endpoints is not an array", name), -1;
	if (eps && json_array_size(eps)) {
		a->ep = xcalloc(json_array_size(eps), sizeof(*a->ep));
		json_array_foreach(eps, i, v) {
			const char *addr = json_string_value(json_object_get(v, "addr"));
			const char *ctr = json_string_value(json_object_get(v, "container"));

			if (addr == NULL)
				return snprintf(why, whylen, "app '%s': endpoint without addr", name), -1;
			if (endpoint_decode(&a->ep[a->nep], addr, ctr ? ctr : "") < 0) {
				log_warn("app '%s': cannot use endpoint '%s'", name, addr);
				continue;
			}
			a->nep++;
		}
	}
	if (wl && json_is_array(wl) && json_array_size(wl)) {
		/* A bad entry must not block every app's routes: it is skipped, and
		 * the list still restricts (all entries bad: nobody is allowed). */
		a->restricted = true;
		a->allow = xcalloc(json_array_size(wl), sizeof(*a->allow));
		json_array_foreach(wl, i, v) {
			const char *s = json_string_value(v);

			if (s == NULL || cidr_parse(s, &a->allow[a->nallow]) < 0) {
				log_warn("app '%s': ignoring whitelist entry '%s'", name, s ? s : "?");
				continue;
			}
			a->nallow++;
		}
	}
	if (to && json_is_integer(to) && json_integer_value(to) > 0 &&
	    json_integer_value(to) <= 86400)
		a->timeout_ms = (unsigned)json_integer_value(to) * 1000;
	return 0;
}

/* Certificates that do not load are skipped with a warning, not fatal. */
static void
certs_decode(struct route_table *t, json_t *certs)
{
	const char *host;
	json_t *v;

	if (!json_is_object(certs) || json_object_size(certs) == 0)
		return;
	t->certs = xcalloc(json_object_size(certs), sizeof(*t->certs));
	json_object_foreach(certs, host, v) {
		const char *cert = json_string_value(json_object_get(v, "cert"));
		const char *key = json_string_value(json_object_get(v, "key"));
		char why[256] = "";
		struct ssl_ctx_st *ctx;

		if (cert == NULL || key == NULL) {
			log_warn("certificate for '%s' lacks cert or key", host);
			continue;
		}
		ctx = tls_ctx_from_pem(cert, key, why, sizeof(why));
		if (ctx == NULL) {
			log_warn("cannot use the certificate for '%s': %s", host, why);
			continue;
		}
		t->certs[t->ncerts].host = xstrdup(host);
		t->certs[t->ncerts++].ctx = ctx;
	}
}

struct route_table *
routes_parse(const char *text, size_t len, char *why, size_t whylen)
{
	struct route_table *t = xcalloc(1, sizeof(*t));
	json_t *root, *apps, *ctl, *v, *doms;
	json_error_t jerr;
	const char *name, *builder;
	char host[300];
	size_t i, n, k;

	t->refs = 1;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		snprintf(why, whylen, "invalid JSON: %s", root ? "not an object" : jerr.text);
		goto fail;
	}
	t->version = json_integer_value(json_object_get(root, "version"));
	name = json_string_value(json_object_get(root, "domain"));
	if (name == NULL || *name == '\0' || strlen(name) > 200) {
		snprintf(why, whylen, "missing 'domain'");
		goto fail;
	}
	t->domain = xstrdup(name);
	apps = json_object_get(root, "apps");
	if (apps && !json_is_object(apps)) {
		snprintf(why, whylen, "'apps' is not an object");
		goto fail;
	}
	t->napps = 1 + (apps ? json_object_size(apps) : 0);
	t->apps = xcalloc(t->napps, sizeof(*t->apps));

	/* apps[0]: the controller, reached at deis.<domain> */
	t->apps[0].name = xstrdup("deis");
	ctl = json_object_get(root, "controller");
	if (ctl && json_is_array(ctl) && json_array_size(ctl)) {
		t->apps[0].ep = xcalloc(json_array_size(ctl), sizeof(struct endpoint));
		json_array_foreach(ctl, i, v) {
			const char *addr = json_string_value(v);

			if (addr && endpoint_decode(&t->apps[0].ep[t->apps[0].nep], addr, "controller") == 0)
				t->apps[0].nep++;
			else
				log_warn("cannot use controller address '%s'", addr ? addr : "?");
		}
	}
	builder = json_string_value(json_object_get(root, "builder"));
	if (builder && endpoint_decode(&t->builder, builder, "builder") == 0)
		t->has_builder = true;

	n = 1;
	if (apps) {
		json_object_foreach(apps, name, v) {
			if (!json_is_object(v)) {
				snprintf(why, whylen, "app '%s' is not an object", name);
				goto fail;
			}
			if (app_decode(&t->apps[n++], name, v, why, whylen) < 0)
				goto fail;
		}
	}

	/* Host index: deis.<domain>, <app>.<domain>, then custom domains. */
	k = 1;
	for (i = 1; i < t->napps; i++) {
		doms = json_object_get(json_object_get(apps, t->apps[i].name), "domains");
		k += 1 + (json_is_array(doms) ? json_array_size(doms) : 0);
	}
	t->nslots = k * 2 + 1;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	snprintf(host, sizeof(host), "deis.%s", t->domain);
	slot_add(t, host, 0);
	for (i = 1; i < t->napps; i++) {
		snprintf(host, sizeof(host), "%s.%s", t->apps[i].name, t->domain);
		if (slot_add(t, host, i) < 0)
			log_warn("app '%s': name too long to route", t->apps[i].name);
	}
	for (i = 1; i < t->napps; i++) {
		doms = json_object_get(json_object_get(apps, t->apps[i].name), "domains");
		if (!json_is_array(doms))
			continue;
		json_array_foreach(doms, k, v) {
			const char *d = json_string_value(v);

			if (d == NULL || slot_add(t, d, i) < 0)
				log_warn("app '%s': cannot use domain '%s'", t->apps[i].name, d ? d : "?");
		}
	}
	certs_decode(t, json_object_get(root, "certs"));
	json_decref(root);
	return t;
fail:
	json_decref(root);
	routes_unref(t);
	return NULL;
}

struct route_table *
routes_load(const char *path, char *why, size_t whylen)
{
	struct buf b = BUF_INIT;
	struct route_table *t = NULL;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, whylen, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	if (n < 0)
		snprintf(why, whylen, "cannot read '%s': %s", path, strerror(errno));
	else
		t = routes_parse(b.p, b.len, why, whylen);
	close(fd);
	buf_release(&b);
	return t;
}

int
routes_save(const char *path, const char *json, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	size_t off = 0;
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, json + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("cannot write '%s': %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		log_error("cannot save '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	close(fd);
	if (ret < 0)
		unlink(tmp);
	free(tmp);
	return ret;
}

void
routes_ref(struct route_table *t)
{
	if (t)
		t->refs++;
}

void
routes_unref(struct route_table *t)
{
	size_t i;

	if (t == NULL || --t->refs > 0)
		return;
	for (i = 0; i < t->napps; i++)
		app_clear(&t->apps[i]);
	for (i = 0; i < t->nslots; i++)
		free(t->slots[i].host);
	for (i = 0; i < t->ncerts; i++) {
		free(t->certs[i].host);
		tls_ctx_free(t->certs[i].ctx);
	}
	free(t->certs);
	free(t->slots);
	free(t->apps);
	free(t->domain);
	free(t);
}
