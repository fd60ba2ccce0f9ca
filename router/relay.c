/*
 * Bytes, both sides of an exchange: the client's socket read and written
 * (plain or TLS, the PROXY header before either), the request body forwarded
 * with backpressure in its framing, the backend's response parsed and relayed
 * (1xx, 101 tunnels, bodies by length, chunked or until EOF, compressed when
 * gzip.c says so), the backend's socket read and written. The backend
 * connection goes back to the pool only after a complete, well-framed
 * exchange. State changes go through conn_fire(); the end of an exchange is
 * exchange.c's.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "router/conn.h"
#include "router/router.h"

static struct buf scratch = BUF_INIT;	/* de-chunked bytes */
static struct buf gz_scratch = BUF_INIT;

/* SSL_read until the socket is drained (OpenSSL may hold decrypted bytes). */
static void
read_tls(struct client *c, char *rbuf, size_t size)
{
	c->tls_read_wants_write = false;
	for (;;) {
		int n = SSL_read(c->ssl, rbuf, (int)size), err;

		if (n > 0) {
			stats_bytes((uint64_t)n, 0);
			if (c->state != CS_LINGER)
				buf_add(&c->in, rbuf, (size_t)n);
			if (c->in.len >= HIGH_WATER)
				return;
			continue;
		}
		err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_READ)
			return;
		if (err == SSL_ERROR_WANT_WRITE) {
			c->tls_read_wants_write = true;
			return;
		}
		ERR_clear_error();
		c->in_eof = true;
		if (err != SSL_ERROR_ZERO_RETURN && c->state != CS_LINGER) {
			if (c->t_start == 0)
				log_debug("tls handshake with %s failed", c->ip);
			exchange_fail(c, 0, "H27");
		}
		return;
	}
}

void
relay_client_read(struct client *c)
{
	/* Read into one per-worker buffer and copy what arrived: a connection
	 * then only holds a buffer the size of what it has pending. */
	static char rbuf[65536];

	if (c->ssl) {
		read_tls(c, rbuf, sizeof(rbuf));
		return;
	}
	for (;;) {
		ssize_t n = read(c->fd, rbuf, sizeof(rbuf));

		if (n > 0) {
			stats_bytes((uint64_t)n, 0);
			if (c->state != CS_LINGER)
				buf_add(&c->in, rbuf, (size_t)n);
			if ((size_t)n < sizeof(rbuf) || c->in.len >= HIGH_WATER)
				return;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->in_eof = true;
			if (n < 0 && c->state != CS_LINGER)
				exchange_fail(c, 0, "H27");
		}
		return;
	}
}

/*
 * The PROXY header, before any HTTP or TLS byte: peek, and consume exactly the
 * header (what follows belongs to TLS or HTTP); a prefix seen so far is
 * consumed into c->in so a slow header does not spin the level-triggered loop.
 * Bounded by the header timeout (proxy_sweep). An invalid header closes the
 * connection, nothing is forwarded. 1: read whole, 0: more to come, -1: close.
 */
int
relay_proxy_header(struct client *c)
{
	uint8_t tmp[PROXYHDR_MAX];
	struct sockaddr_storage src;
	size_t old = c->in.len;
	ssize_t n;
	int r;

	n = recv(c->fd, tmp, sizeof(tmp) - old, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	buf_add(&c->in, tmp, (size_t)n);
	r = proxyproto_parse((const uint8_t *)c->in.p, c->in.len, &src);
	if (r < 0 || (r == 0 && c->in.len >= PROXYHDR_MAX)) {
		log_info("H25 invalid PROXY protocol header from %s", c->ip);
		return -1;
	}
	/* consume what belongs to the header (all of it if incomplete) */
	if (recv(c->fd, tmp, r ? (size_t)r - old : (size_t)n, 0) != (r ? r - (ssize_t)old : n))
		return -1;
	if (r == 0)
		return 0;
	buf_release(&c->in);
	/* nginx's real_ip_header proxy_protocol: the header's address is the
	 * client's only when the balancer is a trusted peer (--real-ip-from) */
	if (src.ss_family != AF_UNSPEC &&
	    cidr_list_match(conf.real_ip_from, conf.nreal_ip_from, &c->conn_peer)) {
		c->peer = c->conn_peer = src;
		conn_addr_text(&src, c->ip, sizeof(c->ip));
	}
	return 1;
}

void
relay_client_write(struct client *c)
{
	c->tls_write_wants_read = false;
	while (c->out.len) {
		ssize_t n;

		if (c->ssl) {
			int r = SSL_write(c->ssl, c->out.p, c->out.len > INT32_MAX ? INT32_MAX : (int)c->out.len);

			if (r <= 0) {
				int err = SSL_get_error(c->ssl, r);

				if (err == SSL_ERROR_WANT_WRITE)
					return;
				if (err == SSL_ERROR_WANT_READ) {
					c->tls_write_wants_read = true;
					return;
				}
				ERR_clear_error();
				exchange_fail(c, 0, "H27");
				return;
			}
			n = r;
		} else if ((n = write(c->fd, c->out.p, c->out.len)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			exchange_fail(c, 0, "H27");
			return;
		}
		c->bytes_out += (uint64_t)n;
		stats_bytes(0, (uint64_t)n);
		buf_remove_head(&c->out, (size_t)n);
	}
}

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
relay_request_body(struct client *c)
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

			buf_reset(&scratch);
			r = http1_chunked_decode(&c->req_ch, c->in.p, c->in.len, &scratch, &done);
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
			body_emit_chunk(&u->out, scratch.p, scratch.len);
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
	if (!c->res_head_done && c->state == CS_EXCHANGE &&
	    (c->in.len != before || c->req_done != was_done))
		c->deadline = ev_now_ms() + (c->req_done ? c->first_byte_ms : c->idle_ms);
}

void
relay_backend_write(struct client *c, struct upconn *u)
{
	while (u->out.len) {
		ssize_t n = write(u->fd, u->out.p, u->out.len);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (c->state == CS_TUNNEL) {
				exchange_fail(c, 0, "H13");
				return;
			}
			exchange_retry(c, false, "H13");
			return;
		}
		buf_remove_head(&u->out, (size_t)n);
	}
	if (c->state == CS_TUNNEL && c->in_eof)
		shutdown(u->fd, SHUT_WR);
}

void
relay_backend_read(struct client *c, struct upconn *u)
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
		if (c->state == CS_TUNNEL) {
			relay_response(c);	/* flush what is buffered */
			if (!conn_closed(c)) {
				c->close_after = true;
				conn_fire(c, CE_TUNNEL_END);
				if (c->up) {
					upstream_close(c->up);
					c->up = NULL;
				}
				exchange_log(c);
				c->status = 0;
			}
			return;
		}
		if (!c->res_head_done && u->in.len == 0) {
			exchange_retry(c, false, "H13");
			return;
		}
		relay_response(c);
		if (conn_closed(c) || c->up != u)
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
relay_response(struct client *c)
{
	struct upconn *u = c->up;
	struct http1_response res;
	enum gzip_mode gm;
	bool done = false;
	int r;

	if (c->state == CS_TUNNEL) {
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
			conn_fire(c, CE_UPGRADED);
			buf_add(&u->out, c->in.p, c->in.len);
			buf_reset(&c->in);
			relay_response(c);
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

		buf_reset(&scratch);
		n = http1_chunked_decode(&c->res_ch, u->in.p, u->in.len, &scratch, &done);
		if (n < 0) {
			exchange_fail(c, 502, "H17");
			return;
		}
		buf_remove_head(&u->in, (size_t)n);
		body_out(c, scratch.p, scratch.len, done);
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
