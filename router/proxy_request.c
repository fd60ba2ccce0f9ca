/*
 * Requests on a client connection: client_process() takes what the client
 * sent according to the connection's state; a complete request head is
 * parsed and decided on here: the router's own answers (/health-check,
 * /router-nginx-status), the route by Host, the HTTPS redirect, the
 * whitelist, the size limits and endpoints, then the forwarded head goes to
 * the backend side (relay.c). Router-made responses, the end of an exchange
 * (or its abort) and its access log line are here too.
 *
 * Reading, writing, closing and timing out the connection itself is proxy.c's,
 * as are the failure codes logged (see there).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "router/proxy.h"
#include "router/router.h"

static void exchange_start(struct client *c);

static void
copy_field(char *dst, size_t dstlen, struct str s)
{
	size_t n = s.len < dstlen - 1 ? s.len : dstlen - 1, i;

	for (i = 0; i < n; i++)
		dst[i] = s.p[i] == '"' ? '\'' : s.p[i];
	dst[n] = '\0';
}

void
access_log(struct client *c)
{
	char tbuf[32];
	time_t now;
	struct tm tm;

	if (c->status == 0)
		return;
	if (!c->tcp)
		stats_response(c->app, c->status);
	if (!conf.access_log)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	/* Deis's "upstreaminfo" format, plus the router code and request id. */
	buf_addf(&W.logbuf, "[%s] - %s - - - %d - \"%s\" - %llu - \"%s\" - \"%s\" - \"%s\" - %s - %s"
	    " - %.3f - %.3f - %s - %s\n", tbuf, c->ip, c->status, c->reqline,
	    (unsigned long long)(c->bytes_out + c->out.len - c->out_mark), c->referer, c->ua,
	    c->app ? c->app->name : "-", c->upaddr[0] ? c->upaddr : "-", c->host,
	    c->t_up ? (double)(c->t_up - c->t_start) / 1000 : 0.0,
	    (double)(ev_now_ms() - c->t_start) / 1000, c->code ? c->code : "-",
	    c->reqid[0] ? c->reqid : "-");
	if (W.logbuf.len > 65536) {
		ssize_t n = write(STDOUT_FILENO, W.logbuf.p, W.logbuf.len);

		(void)n;
		buf_reset(&W.logbuf);
	}
}

/* A router-made response. keep: the connection may stay open afterwards. */
void
respond_error(struct client *c, int status, const char *code, bool keep)
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
	access_log(c);
	routes_unref(c->table);
	c->table = NULL;
	c->app = NULL;
	c->status = 0;
	c->code = NULL;
	c->upaddr[0] = c->reqid[0] = '\0';
	gzip_free(c->gz);
	c->gz = NULL;
	c->state = C_HEAD;
	c->deadline = ev_now_ms() + conf.keepalive_ms;
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
	if (status == 0 || c->res_head_done || c->state == C_TUNNEL || c->tcp) {
		if (c->state != C_HEAD && c->state != C_LINGER) {
			if (c->status == 0)
				c->status = 499;	/* nginx's "client closed request" */
			if (code && strcmp(code, "H27") != 0)
				log_info("%s host='%s' request='%s' peer=%s: connection cut", code,
				    c->host, c->reqline, c->ip);
			c->code = code;
			access_log(c);
		}
		c->status = 0;
		client_close(c);
		return;
	}
	respond_error(c, status, code, false);
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
		proxy_sockaddr_ip(&c->peer, c->ip, sizeof(c->ip));
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
	proxy_sockaddr_ip(&ss, c->ip, sizeof(c->ip));
	c->ip_from_xff = true;
}

/*
 * The whitelist: the app's from the table (DEIS_WHITELIST), the controller's
 * from --controller-whitelist; with --enforce-whitelist, none means nobody.
 */
static bool
client_allowed(const struct client *c)
{
	if (c->app == &c->table->apps[0]) {
		if (conf.controller_restricted)
			return cidr_list_match(conf.controller_allow, conf.ncontroller_allow, &c->peer);
		return !conf.enforce_whitelist;
	}
	if (!c->app->restricted && conf.enforce_whitelist)
		return false;
	return routes_allowed(c->app, &c->peer);
}

/* /router-nginx-status (--status): the shared counters as JSON. */
static void
respond_status(struct client *c)
{
	struct buf body = BUF_INIT;

	stats_json(&body);
	buf_addf(&c->out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Cache-Control: no-cache\r\nContent-Length: %zu\r\n%s\r\n", body.len,
	    c->keep_alive ? "" : "Connection: close\r\n");
	buf_add(&c->out, body.p, body.len);
	buf_release(&body);
	c->status = 200;
	c->close_after |= !c->keep_alive || !c->req_done;
}

/*
 * The value of the query argument --affinity-arg in the target, as nginx's
 * $arg_NAME: the name in any case, the value raw (not decoded), the first one;
 * kept as its FNV-1a hash (relay.c hashes it with each endpoint).
 */
static void
affinity_value(struct client *c, struct str path)
{
	const char *q = memchr(path.p, '?', path.len), *end = path.p + path.len;
	size_t nl = strlen(conf.affinity_arg);

	c->affinity = 0;
	if (q == NULL)
		return;
	for (q++; q < end;) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *e = amp ? amp : end;

		if ((size_t)(e - q) > nl && q[nl] == '=' && strncasecmp(q, conf.affinity_arg, nl) == 0) {
			uint64_t h;

			if (e == q + nl + 1)
				return;	/* empty: the normal balancing, as nginx */
			h = router_hash(q + nl + 1, (size_t)(e - q - nl - 1), ROUTER_HASH_SEED);
			c->affinity = h ? h : 1;
			return;
		}
		q = e + 1;
	}
}

/* A complete head of hlen bytes is in c->in. */
static void
request_start(struct client *c, const struct http1_request *req, size_t hlen)
{
	const struct http1_header *h;
	struct fwd_info fi;
	struct str rid;
	char ridbuf[33];
	struct timespec ts;

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
	{
		/* "METHOD target HTTP/1.x", the target cut at 200 bytes */
		size_t ml = req->method.len < 15 ? req->method.len : 15;
		size_t tl = req->target.len < 200 ? req->target.len : 200;

		memcpy(c->reqline, req->method.p, ml);
		c->reqline[ml] = ' ';
		memcpy(c->reqline + ml + 1, req->target.p, tl);
		memcpy(c->reqline + ml + 1 + tl, req->minor ? " HTTP/1.1" : " HTTP/1.0", 10);
		copy_field(c->reqline, sizeof(c->reqline), str_from(c->reqline));
	}
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

	/* Requests the router answers itself. */
	if (c->l->kind == LISTEN_HEALTH) {
		bool ok = str_eqs(req->path, "/health-check");

		buf_remove_head(&c->in, hlen);
		if (conf.status && str_eqs(req->path, "/router-nginx-status")) {
			respond_status(c);
		} else if (ok) {
			buf_addf(&c->out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			    "Content-Length: 2\r\n%s\r\nOK", c->keep_alive ? "" : "Connection: close\r\n");
			c->status = 200;
			c->close_after |= !c->keep_alive || !c->req_done;
		} else {
			respond_error(c, 404, NULL, c->req_done);
		}
		exchange_end(c);
		return;
	}
	c->table = W.table;
	routes_ref(c->table);
	c->app = routes_lookup(c->table, req->host);
	if (c->app == NULL) {
		buf_remove_head(&c->in, hlen);
		if (conf.status && c->l->kind == LISTEN_HTTP && str_eqs(req->path, "/router-nginx-status")) {
			respond_status(c);
		} else if (str_eqs(req->path, "/health-check")) {
			buf_addf(&c->out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			    "Content-Length: 2\r\n%s\r\nOK", c->keep_alive ? "" : "Connection: close\r\n");
			c->status = 200;
			c->close_after |= !c->keep_alive || !c->req_done;
		} else {
			respond_error(c, c->table ? 404 : 503, c->table ? NULL : "H99", c->req_done);
		}
		exchange_end(c);
		return;
	}
	/* a balancer that ended TLS says so; a client saying it is ignored */
	h = c->fwd_trusted ? http1_find(req->headers, req->nheaders, "x-forwarded-proto") : NULL;
	if (conf.enforce_https && c->ssl == NULL && c->l->kind == LISTEN_HTTP &&
	    !(h && str_eqcase(h->value, STR_LIT("https")))) {
		struct str host = req->host;
		const char *colon = memchr(host.p, ':', host.len);

		if (colon && host.p[0] != '[')
			host.len = (size_t)(colon - host.p);
		buf_addf(&c->out, "HTTP/1.1 301 Moved Permanently\r\nLocation: https://%.*s%.*s\r\n"
		    "Content-Length: 0\r\n%s\r\n", (int)host.len, host.p, (int)req->path.len,
		    req->path.p, c->keep_alive && c->req_done ? "" : "Connection: close\r\n");
		buf_remove_head(&c->in, hlen);
		c->status = 301;
		c->close_after |= !c->keep_alive || !c->req_done;
		exchange_end(c);
		return;
	}
	if (!client_allowed(c)) {
		buf_remove_head(&c->in, hlen);
		respond_error(c, 403, "H25", c->req_done);
		exchange_end(c);
		return;
	}
	if (conf.body_max && req->body == HTTP1_BODY_LENGTH && req->content_length > conf.body_max) {
		buf_remove_head(&c->in, hlen);
		respond_error(c, 413, "H25", false);
		exchange_end(c);
		return;
	}
	if (c->app->nep == 0) {
		buf_remove_head(&c->in, hlen);
		respond_error(c, 503, "H14", c->req_done);
		exchange_end(c);
		return;
	}
	if (req->body == HTTP1_BODY_CHUNKED && c->in.len > hlen) {
		/* Validate the chunked bytes already here before anything is
		 * forwarded: a malformed body sent in one packet (the usual
		 * smuggling payload) then reaches no backend at all. */
		struct http1_chunked pre;
		bool done = false;

		memset(&pre, 0, sizeof(pre));
		if (http1_chunked_decode(&pre, c->in.p + hlen, c->in.len - hlen, NULL, &done) < 0 ||
		    (conf.body_max && pre.total > conf.body_max)) {
			bool big = conf.body_max && pre.total > conf.body_max;

			buf_reset(&c->in);
			c->keep_alive = false;
			respond_error(c, big ? 413 : 400, "H25", false);
			exchange_end(c);
			return;
		}
	}
	if (c->app == &c->table->apps[0]) {
		/* the controller: a deploy may take minutes (Deis's controller timeouts) */
		c->connect_ms = conf.ctl_connect_ms;
		c->first_byte_ms = conf.ctl_read_ms;
		c->idle_ms = conf.ctl_read_ms > conf.ctl_send_ms ? conf.ctl_read_ms : conf.ctl_send_ms;
	} else {
		c->connect_ms = conf.connect_ms;
		c->first_byte_ms = c->app->timeout_ms ? c->app->timeout_ms : conf.first_byte_ms;
		c->idle_ms = conf.idle_ms;
	}
	if (conf.affinity_arg)
		affinity_value(c, req->path);

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
	buf_remove_head(&c->in, hlen);
	exchange_start(c);
}

static void
exchange_start(struct client *c)
{
	if (exchange_connect(c) < 0) {
		respond_error(c, 503, "H21", c->req_done);
		exchange_end(c);
		return;
	}
	buf_add(&c->up->out, c->fwd.p, c->fwd.len);
	exchange_request_body(c);
}

/* Parse the head in c->in; true when one was consumed (served or rejected). */
static bool
client_head(struct client *c)
{
	struct http1_request req;
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
		respond_error(c, -r, "H25", false);
		exchange_end(c);
		return true;
	}
	request_start(c, &req, (size_t)r);
	return true;
}

void
client_process(struct client *c)
{
	for (;;) {
		if (c->dead)
			return;
		switch (c->state) {
		case C_PROXYHDR:
			return;
		case C_HEAD:
			if (c->close_after || c->out.len >= HIGH_WATER)
				return;
			if (c->in.len == 0) {
				if (c->in_eof && c->out.len == 0)
					client_close(c);
				return;
			}
			if (!client_head(c)) {
				/* incomplete: the header timeout runs from its first byte */
				if (c->in_eof)
					client_close(c);
				else if (c->deadline > ev_now_ms() + conf.header_ms)
					c->deadline = ev_now_ms() + conf.header_ms;
				return;
			}
			continue;
		case C_EXCHANGE:
		case C_CONNECT:
			if (c->up)
				exchange_request_body(c);
			return;
		case C_TUNNEL:
			if (c->up && c->in.len) {
				buf_add(&c->up->out, c->in.p, c->in.len);
				buf_reset(&c->in);
			}
			if (c->in_eof && c->up && c->up->out.len == 0)
				shutdown(c->up->fd, SHUT_WR);
			return;
		case C_LINGER:
			buf_reset(&c->in);
			if (c->in_eof)
				client_close(c);
			return;
		}
	}
}
