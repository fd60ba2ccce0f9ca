/*
 * One request on a client connection, from its head to its access log line:
 * the head parsed (lib/http1) and noted for the log, the client's address
 * (--real-ip-from), decide_request()'s decision carried out (the router's own
 * answers, or the forwarded head built by headers.c and a backend connection
 * from upstream.c), retries on another endpoint, and the end or abort of the
 * exchange. Moving the bytes is relay.c's; states change through conn_fire().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/conn.h"
#include "router/router.h"

static void
copy_field(char *dst, size_t dstlen, struct str s)
{
	size_t n = s.len < dstlen - 1 ? s.len : dstlen - 1, i;

	for (i = 0; i < n; i++)
		dst[i] = s.p[i] == '"' ? '\'' : s.p[i];
	dst[n] = '\0';
}

void
exchange_log(struct client *c)
{
	if (c->status == 0)
		return;
	if (!c->tcp)
		stats_response(c->app, c->status);
	accesslog_add(c);
}

void
exchange_respond_error(struct client *c, int status, const char *code, bool keep)
{
	if (code && status >= 500)
		log_info("%s %d host='%s' request='%s' peer=%s", code, status, c->host,
		    c->reqline, c->ip);
	headers_error(&c->out, status, code, keep && c->keep_alive, c->reqid);
	c->status = status;
	c->code = code;
	if (!keep || !c->keep_alive)
		c->close_after = true;
}

void
exchange_end(struct client *c)
{
	exchange_log(c);
	routes_unref(c->table);
	c->table = NULL;
	c->app = NULL;
	c->status = 0;
	c->code = NULL;
	c->upaddr[0] = c->reqid[0] = '\0';
	gzip_free(c->gz);
	c->gz = NULL;
	conn_fire(c, CE_DONE);
	if (c->in.len == 0 && c->out.len == 0) {
		buf_release(&c->in);
		buf_release(&c->out);
	}
}

/*
 * Abort the exchange: the backend connection is dropped, never reused. With
 * status 0 (the client is gone) or once part of the response went out, the
 * client connection is closed too.
 */
void
exchange_fail(struct client *c, int status, const char *code)
{
	if (c->up) {
		upstream_close(c->up);
		c->up = NULL;
	}
	if (status == 0 || c->res_head_done || c->state == CS_TUNNEL || c->tcp) {
		if (c->state != CS_HEAD && c->state != CS_LINGER) {
			if (c->status == 0)
				c->status = 499;	/* nginx's "client closed request" */
			if (code && strcmp(code, "H27") != 0)
				log_info("%s host='%s' request='%s' peer=%s: connection cut", code,
				    c->host, c->reqline, c->ip);
			c->code = code;
			exchange_log(c);
		}
		c->status = 0;
		conn_close(c);
		return;
	}
	exchange_respond_error(c, status, code, false);
	exchange_end(c);
}

static uint64_t
rng_next(void)
{
	uint64_t z = (W.rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * The client address for this request: the connection's, or, when the peer is
 * in --real-ip-from and no PROXY header is used, the last X-Forwarded-For
 * address (nginx's real_ip_header X-Forwarded-For without recursion, as Deis
 * configured it). A last entry that is not an address changes nothing. Only
 * then are the request's X-Forwarded-* believed at all (c->fwd_trusted): from
 * anyone else they are what a client says of itself.
 */
static void
real_ip(struct client *c, const struct http1_request *req)
{
	const struct http1_header *xff = NULL;
	struct sockaddr_storage ss;
	char tmp[INET6_ADDRSTRLEN];
	struct str v;
	const char *comma;
	size_t i;

	if (c->ip_from_xff) {
		c->peer = c->conn_peer;
		conn_addr_text(&c->peer, c->ip, sizeof(c->ip));
		c->ip_from_xff = false;
	}
	c->fwd_trusted = !conf.proxy_protocol && conf.nreal_ip_from > 0 &&
	    cidr_list_match(conf.real_ip_from, conf.nreal_ip_from, &c->conn_peer);
	if (!c->fwd_trusted)
		return;
	for (i = 0; i < req->nheaders; i++)
		if (str_eqcase(req->headers[i].name, STR_LIT("x-forwarded-for")))
			xff = &req->headers[i];
	if (xff == NULL)
		return;
	v = xff->value;
	comma = memrchr(v.p, ',', v.len);
	if (comma)
		v = str_make(comma + 1, v.len - (size_t)(comma + 1 - v.p));
	v = str_trim(v);
	if (v.len == 0 || v.len >= sizeof(tmp))
		return;
	memcpy(tmp, v.p, v.len);
	tmp[v.len] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, tmp, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, tmp, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return;
	c->peer = ss;
	conn_addr_text(&ss, c->ip, sizeof(c->ip));
	c->ip_from_xff = true;
}

/* A new exchange: reset its state, note the request for the log. */
static void
begin(struct client *c, const struct http1_request *req)
{
	const struct http1_header *h;
	struct str rid;
	char ridbuf[33];
	size_t ml, tl;

	c->t_start = ev_now_ms();
	real_ip(c, req);
	c->t_up = 0;
	c->out_mark = c->bytes_out + c->out.len;
	c->attempts = 0;
	c->spared = false;
	c->got_response = c->res_head_done = false;
	c->keep_alive = req->keep_alive && !W.draining;
	c->client10 = req->minor == 0;
	c->upgrade = req->upgrade;
	c->gz_req = gzip_request(req);
	copy_field(c->method, sizeof(c->method), req->method);
	/* "METHOD target HTTP/1.x", the target cut at 200 bytes */
	ml = req->method.len < 15 ? req->method.len : 15;
	tl = req->target.len < 200 ? req->target.len : 200;
	memcpy(c->reqline, req->method.p, ml);
	c->reqline[ml] = ' ';
	memcpy(c->reqline + ml + 1, req->target.p, tl);
	memcpy(c->reqline + ml + 1 + tl, req->minor ? " HTTP/1.1" : " HTTP/1.0", 10);
	copy_field(c->reqline, sizeof(c->reqline), str_from(c->reqline));
	copy_field(c->host, sizeof(c->host), req->host);
	h = http1_find(req->headers, req->nheaders, "referer");
	copy_field(c->referer, sizeof(c->referer), h ? h->value : STR_LIT("-"));
	h = http1_find(req->headers, req->nheaders, "user-agent");
	copy_field(c->ua, sizeof(c->ua), h ? h->value : STR_LIT("-"));
	h = http1_find(req->headers, req->nheaders, "x-request-id");
	if (h && headers_request_id_ok(h->value) && h->value.len < sizeof(c->reqid)) {
		rid = h->value;
	} else {
		uint64_t r[2] = { rng_next(), rng_next() };
		int i;

		for (i = 0; i < 32; i++)
			ridbuf[i] = "0123456789abcdef"[(r[i / 16] >> (4 * (i % 16))) & 15];
		ridbuf[32] = '\0';
		rid = str_from(ridbuf);
	}
	copy_field(c->reqid, sizeof(c->reqid), rid);
	c->req_body = req->body;
	c->req_remaining = req->content_length;
	memset(&c->req_ch, 0, sizeof(c->req_ch));
	c->req_done = req->body == HTTP1_BODY_NONE;
	c->body_start = c->t_start;
	c->body_bytes = 0;
}

/* The router's own 200s and the redirect; error pages are exchange_respond_error's. */
static void
answer(struct client *c, const struct http1_request *req, const struct decision *d)
{
	struct buf body = BUF_INIT;
	bool keep = c->keep_alive;

	switch (d->kind) {
	case DECIDE_STATUS:
		stats_json(&body);
		buf_addf(&c->out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Cache-Control: no-cache\r\nContent-Length: %zu\r\n%s\r\n", body.len,
		    keep ? "" : "Connection: close\r\n");
		buf_add(&c->out, body.p, body.len);
		buf_release(&body);
		break;
	case DECIDE_HEALTH:
		buf_addf(&c->out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Content-Length: 2\r\n%s\r\nOK", keep ? "" : "Connection: close\r\n");
		break;
	case DECIDE_REDIRECT:
		buf_addf(&c->out, "HTTP/1.1 301 Moved Permanently\r\nLocation: https://%.*s%.*s\r\n"
		    "Content-Length: 0\r\n%s\r\n", (int)d->redirect_host.len, d->redirect_host.p,
		    (int)req->path.len, req->path.p,
		    keep && c->req_done ? "" : "Connection: close\r\n");
		break;
	case DECIDE_ERROR:
	case DECIDE_FORWARD:
		return;
	}
	c->status = d->status;
	c->close_after |= !keep || !c->req_done;
}

/* Forward: the head for the backend in c->fwd, then a backend connection. */
static void
forward(struct client *c, const struct http1_request *req, const struct decision *d)
{
	const struct http1_header *h;
	struct fwd_info fi;
	struct timespec ts;

	c->connect_ms = d->connect_ms;
	c->first_byte_ms = d->first_byte_ms;
	c->idle_ms = d->idle_ms;
	c->affinity = d->affinity;
	clock_gettime(CLOCK_REALTIME, &ts);
	memset(&fi, 0, sizeof(fi));
	fi.client_ip = c->ip;
	fi.listen_port = c->l->port;
	fi.proto = c->ssl ? "https" : "http";
	if (c->fwd_trusted && (h = http1_find(req->headers, req->nheaders, "x-forwarded-proto")))
		fi.proto = str_eqcase(h->value, STR_LIT("https")) ? "https" : "http";
	fi.keep_xff = c->fwd_trusted;
	fi.request_id = str_from(c->reqid);
	fi.start_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	fi.chunked = req->body == HTTP1_BODY_CHUNKED;
	fi.upgrade = req->upgrade;
	buf_reset(&c->fwd);
	headers_forward_request(&c->fwd, req, &fi);
}

bool
exchange_head(struct client *c)
{
	struct http1_request req;
	struct decide_in in;
	struct decision d;
	size_t hlen;
	int r;

	r = http1_parse_request(c->in.p, c->in.len, &req, NULL);
	if (r == 0)
		return false;
	if (r < 0) {
		strlcpy(c->reqline, "-", sizeof(c->reqline));
		c->host[0] = '\0';
		c->t_start = ev_now_ms();
		c->out_mark = c->bytes_out + c->out.len;
		c->keep_alive = false;
		buf_reset(&c->in);
		exchange_respond_error(c, -r, "H25", false);
		exchange_end(c);
		return true;
	}
	hlen = (size_t)r;
	begin(c, &req);
	if (c->l->kind != LISTEN_HEALTH) {
		c->table = W.table;
		routes_ref(c->table);
	}
	in = (struct decide_in){ .req = &req, .body = c->in.p + hlen, .body_len = c->in.len - hlen,
	    .listener = c->l->kind, .table = c->table, .peer = &c->peer, .tls = c->ssl != NULL,
	    .fwd_trusted = c->fwd_trusted };
	decide_request(&conf, &in, &d);
	c->app = d.app;
	switch (d.kind) {
	case DECIDE_ERROR:
		if (d.drop_input) {
			buf_reset(&c->in);
			c->keep_alive = false;
		} else {
			buf_remove_head(&c->in, hlen);
		}
		exchange_respond_error(c, d.status, d.code, d.keep);
		exchange_end(c);
		return true;
	case DECIDE_HEALTH:
	case DECIDE_STATUS:
	case DECIDE_REDIRECT:
		answer(c, &req, &d);
		buf_remove_head(&c->in, hlen);
		exchange_end(c);
		return true;
	case DECIDE_FORWARD:
		forward(c, &req, &d);
		break;
	}
	buf_remove_head(&c->in, hlen);	/* req points into c->in: last */
	if (exchange_connect(c) < 0) {
		exchange_respond_error(c, 503, "H21", c->req_done);
		exchange_end(c);
		return true;
	}
	buf_add(&c->up->out, c->fwd.p, c->fwd.len);
	relay_request_body(c);
	return true;
}

int
exchange_passthrough(struct client *c)
{
	c->tcp = true;
	c->connect_ms = conf.builder_connect_ms;	/* a git push: Deis's builder timeouts */
	c->idle_ms = conf.builder_tcp_ms;
	c->req_done = true;
	c->t_start = ev_now_ms();
	strlcpy(c->reqline, "TCP", sizeof(c->reqline));
	c->status = 200;
	c->table = W.table;
	routes_ref(c->table);
	if (c->table == NULL || !c->table->has_builder)
		return -1;
	return exchange_connect(c);
}

int
exchange_connect(struct client *c)
{
	struct endpoint *ep = NULL;
	size_t n = c->tcp ? 1 : c->app->nep;

	while (c->attempts < MAX_ATTEMPTS && (size_t)c->attempts < n) {
		struct uphost *h = NULL;

		c->attempts++;
		if (c->tcp) {
			ep = &c->table->builder;
			h = upstream_host(ep);
		} else {
			ep = upstream_pick(c->app, c->affinity, &h);
		}
		strlcpy(c->upaddr, ep->addr, sizeof(c->upaddr));
		c->up = upstream_get(h, c);
		if (c->up == NULL) {
			log_warn("H21 cannot connect to '%s': %s", ep->addr, strerror(errno));
			upstream_quarantine(h);
			continue;
		}
		if (c->up->connecting)
			conn_fire(c, CE_CONNECTING);
		else
			conn_fire(c, c->tcp ? CE_PASSTHROUGH : CE_CONNECTED);
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
