/*
 * The backend side of an exchange: pick an endpoint and connect (retrying on
 * another endpoint when nothing can have been processed), stream the request
 * body out with backpressure, parse and relay the response (1xx, 101 tunnels,
 * bodies by length, chunked or until EOF), and hand the backend connection
 * back to the pool only after a complete, well-framed exchange.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/proxy.h"
#include "router/router.h"

struct buf proxy_scratch = BUF_INIT;
static struct buf gz_scratch = BUF_INIT;

static const char *
hsts_header(void)
{
	static char h[128];

	if (h[0] == '\0')
		snprintf(h, sizeof(h), "Strict-Transport-Security: max-age=%u%s%s\r\n",
		    conf.hsts_max_age, conf.hsts_subdomains ? "; includeSubDomains" : "",
		    conf.hsts_preload ? "; preload" : "");
	return h;
}

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * --affinity-arg: rendezvous (highest random weight) hashing of the value over
 * the endpoints' addresses, skipping quarantined ones. Adding or removing one
 * of n endpoints moves only the keys that scored highest on it (~1/n).
 */
static struct endpoint *
affinity_pick(struct app *a, uint64_t kh, struct uphost **hp)
{
	uint64_t best = 0;
	struct endpoint *bep = NULL;
	struct uphost *bh = NULL;
	bool bq = true;
	size_t i;

	for (i = 0; i < a->nep; i++) {
		struct uphost *h = upstream_host(&a->ep[i]);
		uint64_t score = mix64(router_hash(a->ep[i].addr, strlen(a->ep[i].addr), kh));
		bool q = upstream_quarantined(h);

		/* a quarantined endpoint only when every one is */
		if (bep == NULL || (bq && !q) || (bq == q && score > best)) {
			best = score;
			bep = &a->ep[i];
			bh = h;
			bq = q;
		}
	}
	*hp = bh;
	return bep;
}

/*
 * Pick an endpoint (round robin or least connections, skipping quarantined
 * ones) and get a connection.
 */
int
exchange_connect(struct client *c)
{
	struct app *a = c->app;
	struct endpoint *ep = NULL;
	size_t i, n = c->tcp ? 1 : a->nep;

	while (c->attempts < MAX_ATTEMPTS && (size_t)c->attempts < n) {
		struct uphost *h = NULL;

		c->attempts++;
		if (c->tcp) {
			ep = &c->table->builder;
			h = upstream_host(ep);
		} else if (c->affinity) {
			ep = affinity_pick(a, c->affinity, &h);
		} else if (conf.least_conn) {
			/* fewest connections in use from this worker; ties in turn */
			struct endpoint *best = NULL;
			struct uphost *bh = NULL;
			unsigned start = a->rr++;

			for (i = 0; i < n; i++) {
				ep = &a->ep[(start + i) % n];
				h = upstream_host(ep);
				if (upstream_quarantined(h) && i + 1 < n)
					continue;
				if (bh == NULL || h->nactive < bh->nactive) {
					best = ep;
					bh = h;
				}
			}
			ep = best;
			h = bh;
		} else {
			for (i = 0; i < n; i++) {
				ep = &a->ep[a->rr++ % n];
				h = upstream_host(ep);
				if (!upstream_quarantined(h))
					break;
			}
		}
		strlcpy(c->upaddr, ep->addr, sizeof(c->upaddr));
		c->up = upstream_get(h, c);
		if (c->up == NULL) {
			log_warn("H21 cannot connect to '%s': %s", ep->addr, strerror(errno));
			upstream_quarantine(h);
			continue;
		}
		if (c->up->connecting) {
			c->state = C_CONNECT;
			c->deadline = ev_now_ms() + c->connect_ms;
		} else {
			c->state = c->tcp ? C_TUNNEL : C_EXCHANGE;
			c->deadline = ev_now_ms() + (c->tcp ? c->idle_ms : c->first_byte_ms);
		}
		return 0;
	}
	return -1;
}

/* RFC 9110 9.2.2: repeating the request has the effect of sending it once. */
static bool
idempotent(const char *method)
{
	static const char *const m[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(m); i++)
		if (strcmp(method, m[i]) == 0)
			return true;
	return false;
}

/*
 * The backend failed before answering. Retry on another endpoint when nothing
 * of the request can have been processed (the connect failed: the whole
 * request is still in up->out), or when it is idempotent and has no body (its
 * head is in c->fwd): nginx's proxy_next_upstream default, for an endpoint
 * that died with the request in flight, its container killed. A request that
 * is not idempotent is never sent twice, not even when it went out on a
 * reused keep-alive connection: the app may have read it before closing, and
 * a stale connection is weeded out before reuse (upstream_get). Only a failed
 * connect puts the endpoint in quarantine: one request's reset may be its own
 * doing (a dead endpoint's next connect fails anyway).
 */
void
exchange_retry(struct client *c, bool connect_failed, const char *code)
{
	struct upconn *u = c->up;
	struct buf pending = BUF_INIT;
	bool can;

	can = !c->got_response && (connect_failed || (c->req_body == HTTP1_BODY_NONE &&
	    idempotent(c->method)));
	if (connect_failed)
		upstream_quarantine(u->host);
	if (connect_failed) {
		pending = u->out;
		buf_init(&u->out, 0);
	} else if (can) {
		buf_add(&pending, c->fwd.p, c->fwd.len);
	}
	/* The first reused connection that fails is not counted (the backend may
	 * have closed it just as it was taken); any later failure is, or a GET
	 * the app answers by closing would go out on every pooled connection. */
	if (u->reused && !connect_failed && !c->spared) {
		c->attempts--;
		c->spared = true;
	}
	upstream_close(u);
	c->up = NULL;
	if (!can || exchange_connect(c) < 0) {
		buf_release(&pending);
		exchange_fail(c, connect_failed ? 503 : 502, code);
		return;
	}
	buf_add(&c->up->out, pending.p, pending.len);
	buf_release(&pending);
}

static void
body_emit_chunk(struct buf *out, const char *p, size_t n)
{
	if (n == 0)
		return;
	buf_addf(out, "%zx\r\n", n);
	buf_add(out, p, n);
	buf_add(out, "\r\n", 2);
}

/*
 * Response body bytes (already de-framed) to the client in its framing,
 * compressed when the exchange is; last: the body ends here.
 */
static void
body_out(struct client *c, const char *p, size_t n, bool last)
{
	if (c->gz) {
		buf_reset(&gz_scratch);
		if (gzip_write(c->gz, p, n, last, &gz_scratch) < 0)
			log_error("gzip: deflate failed for '%s'", c->reqline);
		p = gz_scratch.p;
		n = gz_scratch.len;
	}
	if (c->res_out == HTTP1_BODY_CHUNKED) {
		body_emit_chunk(&c->out, p, n);
		if (last)
			buf_addstr(&c->out, "0\r\n\r\n");
	} else if (n) {
		buf_add(&c->out, p, n);
	}
	if (c->gz && gz_scratch.cap > 1024 * 1024)
		buf_release(&gz_scratch);
}

/* Move request body bytes from c->in to the backend, up to the high water mark. */
void
exchange_request_body(struct client *c)
{
	struct upconn *u = c->up;
	size_t before = c->in.len;
	bool was_done = c->req_done;

	while (!c->req_done && c->in.len && u->out.len < HIGH_WATER) {
		if (c->req_body == HTTP1_BODY_LENGTH) {
			size_t n = c->in.len < c->req_remaining ? c->in.len : (size_t)c->req_remaining;

			buf_add(&u->out, c->in.p, n);
			buf_remove_head(&c->in, n);
			c->req_remaining -= n;
			c->req_done = c->req_remaining == 0;
		} else {
			bool done = false;
			long r;

			buf_reset(&proxy_scratch);
			r = http1_chunked_decode(&c->req_ch, c->in.p, c->in.len, &proxy_scratch, &done);
			if (r < 0) {
				c->keep_alive = false;
				exchange_fail(c, 400, "H25");
				return;
			}
			if (conf.body_max && c->req_ch.total > conf.body_max) {
				c->keep_alive = false;
				exchange_fail(c, 413, "H25");
				return;
			}
			buf_remove_head(&c->in, (size_t)r);
			body_emit_chunk(&u->out, proxy_scratch.p, proxy_scratch.len);
			if (done) {
				buf_addstr(&u->out, "0\r\n\r\n");
				c->req_done = true;
			}
		}
	}
	c->body_bytes += before - c->in.len;
	if (!c->req_done && c->in_eof) {
		c->keep_alive = false;
		exchange_fail(c, 400, "H27");
		return;
	}
	/* The first-byte timeout runs from the end of the request; while the
	 * body is still coming, the idle timeout applies. */
	if (!c->res_head_done && c->state == C_EXCHANGE &&
	    (c->in.len != before || c->req_done != was_done))
		c->deadline = ev_now_ms() + (c->req_done ? c->first_byte_ms : c->idle_ms);
}

void
upstream_flush(struct client *c, struct upconn *u)
{
	while (u->out.len) {
		ssize_t n = write(u->fd, u->out.p, u->out.len);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (c->state == C_TUNNEL) {
				exchange_fail(c, 0, "H13");
				return;
			}
			exchange_retry(c, false, "H13");
			return;
		}
		buf_remove_head(&u->out, (size_t)n);
	}
	if (c->state == C_TUNNEL && c->in_eof)
		shutdown(u->fd, SHUT_WR);
}

static void
upstream_read(struct client *c, struct upconn *u)
{
	for (;;) {
		ssize_t n;

		if (c->out.len >= HIGH_WATER)
			return;
		buf_grow(&u->in, UP_READ_CHUNK);
		n = read(u->fd, u->in.p + u->in.len, UP_READ_CHUNK);
		if (n > 0) {
			if (!c->got_response)
				c->t_up = ev_now_ms();
			c->got_response = true;
			buf_setlen(&u->in, u->in.len + (size_t)n);
			if ((size_t)n < UP_READ_CHUNK)
				return;
			if (u->in.len > 2 * HIGH_WATER)
				return;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF or error from the backend */
		if (c->state == C_TUNNEL) {
			exchange_response(c);	/* flush what is buffered */
			if (!c->dead) {
				c->close_after = true;
				c->state = C_HEAD;
				if (c->up) {
					upstream_close(c->up);
					c->up = NULL;
				}
				access_log(c);
				c->status = 0;
			}
			return;
		}
		if (!c->res_head_done && u->in.len == 0) {
			exchange_retry(c, false, "H13");
			return;
		}
		exchange_response(c);
		if (c->dead || c->up != u)
			return;
		if (c->res_head_done && c->res_body == HTTP1_BODY_EOF) {
			if (c->res_out == HTTP1_BODY_CHUNKED || c->gz)
				body_out(c, NULL, 0, true);
			upstream_close(u);
			c->up = NULL;
			if (!c->req_done)
				c->close_after = true;
			c->keep_alive = c->keep_alive && c->res_out != HTTP1_BODY_EOF;
			if (!c->keep_alive)
				c->close_after = true;
			exchange_end(c);
			return;
		}
		exchange_fail(c, 502, c->res_head_done ? "H13" : "H17");
		return;
	}
}

/* Relay what the backend sent: head, then body, as far as the bytes go. */
void
exchange_response(struct client *c)
{
	struct upconn *u = c->up;
	struct http1_response res;
	enum gzip_mode gm;
	bool done = false;
	int r;

	if (c->state == C_TUNNEL) {
		if (u->in.len) {
			buf_add(&c->out, u->in.p, u->in.len);
			buf_reset(&u->in);
		}
		return;
	}
	while (!c->res_head_done) {
		r = http1_parse_response(u->in.p, u->in.len, &res, str_from(c->method), NULL);
		if (r == 0)
			return;
		if (r < 0) {
			exchange_fail(c, 502, "H17");
			return;
		}
		if (res.status == 101) {
			if (!c->upgrade) {
				exchange_fail(c, 502, "H17");
				return;
			}
			headers_relay_response(&c->out, &res, HTTP1_BODY_NONE, true, false, true, NULL,
			    GZIP_NONE);
			buf_remove_head(&u->in, (size_t)r);
			c->status = 101;
			c->state = C_TUNNEL;
			c->deadline = ev_now_ms() + c->idle_ms;
			buf_add(&u->out, c->in.p, c->in.len);
			buf_reset(&c->in);
			exchange_response(c);
			return;
		}
		if (res.status < 200) {
			/* interim (100 Continue, 103): relay, keep waiting */
			if (!c->client10)
				headers_relay_response(&c->out, &res, HTTP1_BODY_NONE, true, false, false,
				    NULL, GZIP_NONE);
			buf_remove_head(&u->in, (size_t)r);
			continue;
		}
		c->status = res.status;
		c->res_body = res.body;
		c->res_remaining = res.content_length;
		c->res_keep_alive = res.keep_alive;
		memset(&c->res_ch, 0, sizeof(c->res_ch));
		switch (res.body) {
		case HTTP1_BODY_CHUNKED:
		case HTTP1_BODY_EOF:
			c->res_out = c->client10 ? HTTP1_BODY_EOF : HTTP1_BODY_CHUNKED;
			break;
		default:
			c->res_out = res.body;
			break;
		}
		gm = gzip_response(c->gz_req, &res);
		if (gm == GZIP_COMPRESS) {
			/* the length changes: chunked, or until close for HTTP/1.0 */
			c->gz = gzip_new();
			c->res_out = c->client10 ? HTTP1_BODY_EOF : HTTP1_BODY_CHUNKED;
		}
		if (c->res_out == HTTP1_BODY_EOF)
			c->keep_alive = false;
		headers_relay_response(&c->out, &res, c->res_out, c->keep_alive, c->client10, false,
		    c->ssl && conf.hsts_max_age ? hsts_header() : NULL, gm);
		buf_remove_head(&u->in, (size_t)r);
		c->res_head_done = true;
		c->deadline = ev_now_ms() + c->idle_ms;
	}

	switch (c->res_body) {
	case HTTP1_BODY_NONE:
		done = true;
		break;
	case HTTP1_BODY_LENGTH: {
		size_t n = u->in.len < c->res_remaining ? u->in.len : (size_t)c->res_remaining;

		c->res_remaining -= n;
		done = c->res_remaining == 0;
		if (c->gz)
			body_out(c, u->in.p, n, done);
		else
			buf_add(&c->out, u->in.p, n);
		buf_remove_head(&u->in, n);
		break;
	}
	case HTTP1_BODY_CHUNKED: {
		long n;

		buf_reset(&proxy_scratch);
		n = http1_chunked_decode(&c->res_ch, u->in.p, u->in.len, &proxy_scratch, &done);
		if (n < 0) {
			exchange_fail(c, 502, "H17");
			return;
		}
		buf_remove_head(&u->in, (size_t)n);
		body_out(c, proxy_scratch.p, proxy_scratch.len, done);
		break;
	}
	case HTTP1_BODY_EOF:
		body_out(c, u->in.p, u->in.len, false);
		buf_reset(&u->in);
		break;
	}
	if (!done)
		return;
	/* The exchange is complete. */
	upstream_release(u, c->res_keep_alive && c->req_done && u->in.len == 0 && u->out.len == 0);
	c->up = NULL;
	if (!c->req_done || !c->keep_alive)
		c->close_after = true;
	exchange_end(c);
}

void
proxy_upstream_event(struct upconn *u, int mask)
{
	struct client *c = u->c;

	if (c->dead)
		return;
	if (u->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			log_warn("%s cannot connect to '%s': %s", err == ETIMEDOUT ? "H19" : "H21",
			    c->upaddr, strerror(err));
			exchange_retry(c, true, "H21");
			goto out;
		}
		u->connecting = false;
		c->state = c->tcp ? C_TUNNEL : C_EXCHANGE;
		c->deadline = ev_now_ms() + (c->tcp ? c->idle_ms : c->first_byte_ms);
	}
	if (c->res_head_done || c->state == C_TUNNEL)
		c->deadline = ev_now_ms() + c->idle_ms;
	if (mask & EV_WRITE || u->out.len)
		upstream_flush(c, u);
	if (!c->dead && c->up == u && (mask & EV_READ))
		upstream_read(c, u);
	if (!c->dead && c->up == u && u->in.len)
		exchange_response(c);
	if (!c->dead)
		client_process(c);
	if (!c->dead)
		client_flush(c);
out:
	if (!c->dead && c->up && c->up->out.len && !c->up->connecting)
		upstream_flush(c, c->up);
	if (!c->dead)
		client_update(c);
}
