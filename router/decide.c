/*
 * Where a parsed request goes, decided in one place and without side effects:
 * the router's own answers (/health-check, /router-nginx-status), the route by
 * Host, the HTTPS redirect, the whitelist, the size limits, the endpoints, and
 * for a forwarded request its timeouts and affinity key. The caller (exchange.c)
 * carries the decision out. No socket, no clock, no global state: the
 * configuration comes in as an argument, so t/unit/test-router-decide.c tries
 * every branch on a table parsed from JSON.
 */
#include <string.h>
#include <strings.h>

#include "router/router.h"

/*
 * The whitelist: the app's from the table (DEIS_WHITELIST), the controller's
 * from --controller-whitelist; with --enforce-whitelist, none means nobody.
 */
static bool
allowed(const struct router_conf *rc, const struct route_table *t, const struct app *a,
    const struct sockaddr_storage *peer)
{
	if (a == &t->apps[0]) {
		if (rc->controller_restricted)
			return cidr_list_match(rc->controller_allow, rc->ncontroller_allow, peer);
		return !rc->enforce_whitelist;
	}
	if (!a->restricted && rc->enforce_whitelist)
		return false;
	return routes_allowed(a, peer);
}

/*
 * The value of the query argument --affinity-arg in the target, as nginx's
 * $arg_NAME: the name in any case, the value raw (not decoded), the first one;
 * its FNV-1a hash, 0 when absent or empty (the normal balancing, as nginx).
 */
static uint64_t
affinity_value(const char *arg, struct str path)
{
	const char *q = memchr(path.p, '?', path.len), *end = path.p + path.len;
	size_t nl = strlen(arg);

	if (q == NULL)
		return 0;
	for (q++; q < end;) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *e = amp ? amp : end;

		if ((size_t)(e - q) > nl && q[nl] == '=' && strncasecmp(q, arg, nl) == 0) {
			uint64_t h;

			if (e == q + nl + 1)
				return 0;
			h = router_hash(q + nl + 1, (size_t)(e - q - nl - 1), ROUTER_HASH_SEED);
			return h ? h : 1;
		}
		q = e + 1;
	}
	return 0;
}

static void
error(struct decision *d, int status, const char *code, bool keep)
{
	d->kind = DECIDE_ERROR;
	d->status = status;
	d->code = code;
	d->keep = keep;
}

/* Requests the router answers without a route: health, status, else 404/503. */
static void
answer_unrouted(const struct router_conf *rc, const struct decide_in *in, struct decision *d,
    bool req_done)
{
	const struct http1_request *req = in->req;
	bool status_here = in->listener == LISTEN_HEALTH || in->listener == LISTEN_HTTP;

	if (rc->status && status_here && str_eqs(req->path, "/router-nginx-status")) {
		d->kind = DECIDE_STATUS;
		d->status = 200;
	} else if (str_eqs(req->path, "/health-check")) {
		d->kind = DECIDE_HEALTH;
		d->status = 200;
	} else if (in->listener == LISTEN_HEALTH || in->table) {
		error(d, 404, NULL, req_done);
	} else {
		error(d, 503, "H99", req_done);	/* no route table yet */
	}
}

void
decide_request(const struct router_conf *rc, const struct decide_in *in, struct decision *d)
{
	const struct http1_request *req = in->req;
	const struct http1_header *h;
	bool req_done = req->body == HTTP1_BODY_NONE;
	struct app *a;

	memset(d, 0, sizeof(*d));
	if (in->listener == LISTEN_HEALTH) {
		answer_unrouted(rc, in, d, req_done);
		return;
	}
	a = in->table ? routes_lookup(in->table, req->host) : NULL;
	if (a == NULL) {
		answer_unrouted(rc, in, d, req_done);
		return;
	}
	d->app = a;
	/* a balancer that ended TLS says so; a client saying it is ignored */
	h = in->fwd_trusted ? http1_find(req->headers, req->nheaders, "x-forwarded-proto") : NULL;
	if (rc->enforce_https && !in->tls && in->listener == LISTEN_HTTP &&
	    !(h && str_eqcase(h->value, STR_LIT("https")))) {
		const char *colon = memchr(req->host.p, ':', req->host.len);

		d->kind = DECIDE_REDIRECT;
		d->status = 301;
		d->redirect_host = req->host;
		if (colon && req->host.p[0] != '[')
			d->redirect_host.len = (size_t)(colon - req->host.p);
		return;
	}
	if (!allowed(rc, in->table, a, in->peer)) {
		error(d, 403, "H25", req_done);
		return;
	}
	if (rc->body_max && req->body == HTTP1_BODY_LENGTH && req->content_length > rc->body_max) {
		error(d, 413, "H25", false);
		return;
	}
	if (a->nep == 0) {
		error(d, 503, "H14", req_done);
		return;
	}
	if (req->body == HTTP1_BODY_CHUNKED && in->body_len) {
		/* Validate the chunked bytes already here before anything is
		 * forwarded: a malformed body sent in one packet (the usual
		 * smuggling payload) then reaches no backend at all. */
		struct http1_chunked pre;
		bool done = false;

		memset(&pre, 0, sizeof(pre));
		if (http1_chunked_decode(&pre, in->body, in->body_len, NULL, &done) < 0 ||
		    (rc->body_max && pre.total > rc->body_max)) {
			error(d, rc->body_max && pre.total > rc->body_max ? 413 : 400, "H25", false);
			d->drop_input = true;
			return;
		}
	}
	d->kind = DECIDE_FORWARD;
	if (a == &in->table->apps[0]) {
		/* the controller: a deploy may take minutes (Deis's controller timeouts) */
		d->connect_ms = rc->ctl_connect_ms;
		d->first_byte_ms = rc->ctl_read_ms;
		d->idle_ms = rc->ctl_read_ms > rc->ctl_send_ms ? rc->ctl_read_ms : rc->ctl_send_ms;
	} else {
		d->connect_ms = rc->connect_ms;
		d->first_byte_ms = a->timeout_ms ? a->timeout_ms : rc->first_byte_ms;
		d->idle_ms = rc->idle_ms;
	}
	if (rc->affinity_arg)
		d->affinity = affinity_value(rc->affinity_arg, req->path);
}
