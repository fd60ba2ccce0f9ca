#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/ev.h"
#include "lib/httpd.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define LATER_MAX (64 * 1024)	/* bytes read ahead while a request is in the handler */

enum conn_state { C_HEAD, C_BODY, C_HANDLER };

struct httpd_conn {
	struct httpd *h;
	int fd;
	enum conn_state state;
	struct buf in;		/* bytes of the current request (and maybe the next) */
	struct buf later;	/* bytes that arrived while the handler held the request */
	struct buf out;
	size_t out_off;
	size_t head_len, consumed;
	struct http1_chunked chunk;
	struct httpd_req req;
	uint64_t timer;
	bool dead;		/* fd closed or to be closed; free once req is finished */
	bool close_after;	/* close once out is flushed */
	bool in_handler;
	struct httpd_conn *next;	/* all connections */
	struct httpd_conn *reap_next;
	bool reaping;
};

struct httpd {
	struct ev *ev;
	httpd_handler_fn *fn;
	void *arg;
	struct httpd_opts o;
	int lfds[8];
	int nlfds;
	int nconns;
	struct httpd_conn *conns;
	struct httpd_conn *reap;
	uint64_t reap_timer;
};

static void conn_read(struct ev *ev, int fd, int mask, void *arg);
static void conn_process(struct httpd_conn *c);

static void
reap_run(struct ev *ev, void *arg)
{
	struct httpd *h = arg;
	struct httpd_conn *c, *next, **pp;

	h->reap_timer = 0;
	c = h->reap;
	h->reap = NULL;
	for (; c; c = next) {
		next = c->reap_next;
		c->reaping = false;
		if (c->state == C_HANDLER && !c->req.finished)
			continue;	/* the handler still holds req; finishing it re-queues us */
		for (pp = &h->conns; *pp; pp = &(*pp)->next)
			if (*pp == c) {
				*pp = c->next;
				break;
			}
		buf_release(&c->in);
		buf_release(&c->later);
		buf_release(&c->out);
		buf_release(&c->req.body);
		free(c);
		h->nconns--;
	}
}

/* Close the socket now; free the struct later, outside any callback using it. */
static void
conn_kill(struct httpd_conn *c)
{
	struct httpd *h = c->h;

	if (!c->dead) {
		c->dead = true;
		ev_set(h->ev, c->fd, 0, NULL, NULL);
		close(c->fd);
		c->fd = -1;
		if (c->timer)
			ev_timer_cancel(h->ev, c->timer);
		c->timer = 0;
		if (c->state == C_HANDLER && !c->req.finished && c->req.on_close)
			c->req.on_close(&c->req, c->req.on_close_arg);
	}
	if (!c->reaping) {
		c->reaping = true;
		c->reap_next = h->reap;
		h->reap = c;
	}
	if (!h->reap_timer)
		h->reap_timer = ev_timer(h->ev, 0, reap_run, h);
}

static void
conn_timeout(struct ev *ev, void *arg)
{
	struct httpd_conn *c = arg;

	c->timer = 0;
	if (c->state == C_HEAD && c->in.len > 0 && !c->dead) {
		/* Slow or stalled client in the middle of a request head. */
		static const char r408[] = "HTTP/1.1 408 REQUEST TIMEOUT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		ssize_t n = write(c->fd, r408, sizeof(r408) - 1);
		(void)n;
	}
	conn_kill(c);
}

static void
conn_arm_timer(struct httpd_conn *c, unsigned ms)
{
	if (c->timer)
		ev_timer_cancel(c->h->ev, c->timer);
	c->timer = ms ? ev_timer(c->h->ev, ms, conn_timeout, c) : 0;
}

static void
conn_watch(struct httpd_conn *c)
{
	int mask = EV_READ;

	if (c->dead)
		return;
	if (c->out.len > c->out_off)
		mask |= EV_WRITE;
	if (c->state == C_HANDLER && c->later.len >= LATER_MAX)
		mask &= ~EV_READ;
	ev_set(c->h->ev, c->fd, mask, conn_read, c);
}

static void
conn_flush(struct httpd_conn *c)
{
	while (!c->dead && c->out.len > c->out_off) {
		ssize_t n = write(c->fd, c->out.p + c->out_off, c->out.len - c->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_kill(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out.len) {
		buf_reset(&c->out);
		c->out_off = 0;
		if (c->close_after && (c->state != C_HANDLER || c->req.finished)) {
			shutdown(c->fd, SHUT_WR);
			conn_kill(c);
			return;
		}
	} else if (c->out_off > 65536) {
		buf_remove_head(&c->out, c->out_off);
		c->out_off = 0;
	}
	conn_watch(c);
}

/* Reject the request being read: status, then close. */
static void
conn_reject(struct httpd_conn *c, int status)
{
	buf_addf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "Connection: close\r\nContent-Length: %zu\r\n\r\n{\"detail\":\"%s\"}",
	    status, http1_reason_upper(status), strlen(http1_reason_upper(status)) + 13,
	    http1_reason_upper(status));
	c->close_after = true;
	c->state = C_HEAD;
	conn_flush(c);
	if (!c->dead)
		conn_kill(c);
}

static void
req_reset(struct httpd_conn *c)
{
	struct buf body = c->req.body;
	char peer[sizeof(c->req.peer)];

	/* the connection's, not the request's: every request on it keeps it */
	memcpy(peer, c->req.peer, sizeof(peer));
	memset(&c->req, 0, sizeof(c->req));
	memcpy(c->req.peer, peer, sizeof(peer));
	buf_reset(&body);
	c->req.body = body;
	c->req.conn = c;
	memset(&c->chunk, 0, sizeof(c->chunk));
}

static void
split_target(struct httpd_req *r)
{
	const char *q = memchr(r->head.target.p, '?', r->head.target.len);

	if (q) {
		r->path = str_make(r->head.target.p, (size_t)(q - r->head.target.p));
		r->query = str_make(q + 1, r->head.target.len - r->path.len - 1);
	} else {
		r->path = r->head.target;
		r->query = str_make("", 0);
	}
}

/* Hand a complete request to the handler. */
static void
conn_dispatch(struct httpd_conn *c)
{
	c->state = C_HANDLER;
	conn_arm_timer(c, 0);
	/*
	 * The head's slices point into c->in, which may have been reallocated while
	 * the body arrived: parse the (unchanged) head again to point them at it.
	 */
	http1_parse_request(c->in.p, c->head_len, &c->req.head, NULL);
	split_target(&c->req);
	if (!c->req.head.keep_alive)
		c->close_after = true;
	c->in_handler = true;
	c->h->fn(&c->req, c->h->arg);
	c->in_handler = false;
}

/* The request is finished: drop its bytes and look at what follows. */
static void
conn_next(struct httpd_conn *c)
{
	if (c->dead) {
		conn_kill(c);	/* queue for freeing */
		return;
	}
	buf_remove_head(&c->in, c->consumed);
	if (c->later.len) {
		buf_add(&c->in, c->later.p, c->later.len);
		buf_reset(&c->later);
	}
	c->state = C_HEAD;
	c->consumed = c->head_len = 0;
	req_reset(c);
	conn_flush(c);
	if (c->dead)
		return;
	if (c->close_after)
		return;	/* conn_flush closes once the response is out */
	conn_arm_timer(c, c->in.len ? c->h->o.header_timeout_ms : c->h->o.idle_timeout_ms);
	if (c->in.len && !c->in_handler)
		conn_process(c);
}

static void
conn_process(struct httpd_conn *c)
{
	while (!c->dead && c->state != C_HANDLER) {
		if (c->state == C_HEAD) {
			int n = http1_parse_request(c->in.p, c->in.len, &c->req.head, NULL);

			if (n == 0) {
				if (c->in.len > 0 && c->timer == 0)
					conn_arm_timer(c, c->h->o.header_timeout_ms);
				return;
			}
			if (n < 0) {
				conn_reject(c, -n);
				return;
			}
			c->head_len = c->consumed = (size_t)n;
			if (c->req.head.body == HTTP1_BODY_LENGTH &&
			    c->req.head.content_length > c->h->o.max_body) {
				conn_reject(c, 413);
				return;
			}
			if (c->req.head.expect_continue && c->req.head.body != HTTP1_BODY_NONE) {
				buf_addstr(&c->out, "HTTP/1.1 100 CONTINUE\r\n\r\n");
				conn_flush(c);
			}
			c->state = C_BODY;
			if (!c->timer)
				conn_arm_timer(c, c->h->o.header_timeout_ms);
		}
		if (c->state == C_BODY) {
			struct httpd_req *r = &c->req;

			if (r->head.body == HTTP1_BODY_LENGTH) {
				size_t have = c->in.len - c->head_len;

				if (have < r->head.content_length)
					return;
				buf_add(&r->body, c->in.p + c->head_len, (size_t)r->head.content_length);
				c->consumed = c->head_len + (size_t)r->head.content_length;
			} else if (r->head.body == HTTP1_BODY_CHUNKED) {
				bool done = false;
				long m = http1_chunked_decode(&c->chunk, c->in.p + c->consumed,
				    c->in.len - c->consumed, &r->body, &done);

				if (m < 0) {
					conn_reject(c, 400);
					return;
				}
				c->consumed += (size_t)m;
				if (r->body.len > c->h->o.max_body) {
					conn_reject(c, 413);
					return;
				}
				if (!done)
					return;
			}
			conn_dispatch(c);
			if (c->req.finished && !c->dead) {
				c->in_handler = true;	/* keep conn_next from recursing */
				conn_next(c);
				c->in_handler = false;
			}
		}
	}
}

static void
conn_read(struct ev *ev, int fd, int mask, void *arg)
{
	struct httpd_conn *c = arg;

	if (mask & EV_WRITE) {
		conn_flush(c);
		if (c->dead)
			return;
	}
	if (!(mask & EV_READ))
		return;
	for (;;) {
		struct buf *dst = c->state == C_HANDLER ? &c->later : &c->in;
		ssize_t n;

		if (c->state == C_HANDLER && dst->len >= LATER_MAX) {
			conn_watch(c);
			return;
		}
		if (c->state != C_HANDLER && c->in.len > c->h->o.max_body + 70000) {
			conn_reject(c, 413);
			return;
		}
		buf_grow(dst, 16384);
		n = read(fd, dst->p + dst->len, dst->cap - dst->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_kill(c);
			return;
		}
		buf_setlen(dst, dst->len + (size_t)n);
	}
	if (c->state != C_HANDLER)
		conn_process(c);
}

static void
accept_ready(struct ev *ev, int lfd, int mask, void *arg)
{
	struct httpd *h = arg;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct httpd_conn *c;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (h->nconns >= h->o.maxconns) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xcalloc(1, sizeof(*c));
		c->h = h;
		c->fd = fd;
		buf_init(&c->in, 0);
		buf_init(&c->later, 0);
		buf_init(&c->out, 0);
		buf_init(&c->req.body, 0);
		req_reset(c);
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			char ip[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
			snprintf(c->req.peer, sizeof(c->req.peer), "%s:%u", ip, ntohs(sin->sin_port));
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			char ip[INET6_ADDRSTRLEN];

			inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
			snprintf(c->req.peer, sizeof(c->req.peer), "[%s]:%u", ip, ntohs(sin6->sin6_port));
		} else {
			strlcpy(c->req.peer, "unix", sizeof(c->req.peer));
		}
		c->next = h->conns;
		h->conns = c;
		h->nconns++;
		if (ev_set(h->ev, fd, EV_READ, conn_read, c) < 0) {
			conn_kill(c);
			continue;
		}
		conn_arm_timer(c, h->o.idle_timeout_ms);
	}
}

struct httpd *
httpd_new(struct ev *ev, httpd_handler_fn *fn, void *arg, const struct httpd_opts *o)
{
	struct httpd *h = xcalloc(1, sizeof(*h));

	h->ev = ev;
	h->fn = fn;
	h->arg = arg;
	if (o)
		h->o = *o;
	if (!h->o.max_body)
		h->o.max_body = 1024 * 1024;
	if (!h->o.header_timeout_ms)
		h->o.header_timeout_ms = 10000;
	if (!h->o.idle_timeout_ms)
		h->o.idle_timeout_ms = 60000;
	if (!h->o.maxconns)
		h->o.maxconns = 4096;
	return h;
}

void
httpd_free(struct httpd *h)
{
	struct httpd_conn *c;
	int i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nlfds; i++) {
		ev_set(h->ev, h->lfds[i], 0, NULL, NULL);
		close(h->lfds[i]);
	}
	for (c = h->conns; c; c = c->next)
		conn_kill(c);
	if (h->reap_timer)
		ev_timer_cancel(h->ev, h->reap_timer);
	for (c = h->conns; c; c = c->next)
		c->req.finished = true;
	reap_run(h->ev, h);
	free(h);
}

int
httpd_listen(struct httpd *h, const char *addr, int *port, struct err *e)
{
	int fd = -1, one = 1;

	if ((size_t)h->nlfds >= ARRAY_SIZE(h->lfds))
		return err_set(e, 500, "too many listeners");
	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlcpy(sun.sun_path, addr + 5, sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
			return err_set(e, 500, "socket path too long '%s'", addr + 5);
		unlink(sun.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			goto fail;
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
		struct addrinfo *ai = NULL;
		char host[256];
		const char *colon = strrchr(addr, ':');
		int rc;

		if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
			return err_set(e, 500, "bad listen address '%s'", addr);
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
		if (rc != 0)
			return err_set(e, 500, "cannot resolve '%s': %s", addr, gai_strerror(rc));
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			freeaddrinfo(ai);
			goto fail;
		}
		freeaddrinfo(ai);
	}
	if (listen(fd, 512) < 0)
		goto fail;
	if (port) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		*port = 0;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
			if (ss.ss_family == AF_INET)
				*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			else if (ss.ss_family == AF_INET6)
				*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	if (ev_set(h->ev, fd, EV_READ, accept_ready, h) < 0)
		goto fail;
	h->lfds[h->nlfds++] = fd;
	return 0;
fail:
	err_set(e, 500, "cannot listen on '%s': %s", addr, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void
head_out(struct httpd_req *req, int status, const char *headers, const char *ctype)
{
	struct httpd_conn *c = req->conn;

	buf_addf(&c->out, "HTTP/1.1 %d %s\r\n", status, http1_reason_upper(status));
	if (ctype)
		buf_addf(&c->out, "Content-Type: %s\r\n", ctype);
	if (headers)
		buf_addstr(&c->out, headers);
	if (c->close_after)
		buf_addstr(&c->out, "Connection: close\r\n");
}

static void
req_finish(struct httpd_req *req)
{
	struct httpd_conn *c = req->conn;

	req->finished = true;
	if (c->dead) {
		conn_kill(c);
		return;
	}
	if (!c->in_handler)
		conn_next(c);
}

void
httpd_respond(struct httpd_req *req, int status, const char *headers,
    const char *ctype, const void *body, size_t len)
{
	struct httpd_conn *c = req->conn;
	bool nobody = status == 204 || status == 304 || (status >= 100 && status < 200);

	if (req->finished)
		return;
	if (!c->dead) {
		head_out(req, status, headers, ctype);
		if (!nobody)
			buf_addf(&c->out, "Content-Length: %zu\r\n", len);
		buf_addstr(&c->out, "\r\n");
		if (!nobody && len && !str_eqs(req->head.method, "HEAD"))
			buf_add(&c->out, body, len);
		conn_flush(c);
	}
	req_finish(req);
}

void
httpd_stream_begin(struct httpd_req *req, int status, const char *headers, const char *ctype)
{
	struct httpd_conn *c = req->conn;

	req->streaming = true;
	if (c->dead)
		return;
	head_out(req, status, headers, ctype);
	buf_addstr(&c->out, "Transfer-Encoding: chunked\r\n\r\n");
	conn_flush(c);
}

int
httpd_stream_write(struct httpd_req *req, const void *data, size_t len)
{
	struct httpd_conn *c = req->conn;

	if (c->dead)
		return -1;
	if (len == 0)
		return 0;
	buf_addf(&c->out, "%zx\r\n", len);
	buf_add(&c->out, data, len);
	buf_addstr(&c->out, "\r\n");
	conn_flush(c);
	return c->dead ? -1 : 0;
}

size_t
httpd_stream_pending(struct httpd_req *req)
{
	return req->conn->out.len - req->conn->out_off;
}

void
httpd_stream_end(struct httpd_req *req)
{
	struct httpd_conn *c = req->conn;

	if (req->finished)
		return;
	if (!c->dead) {
		buf_addstr(&c->out, "0\r\n\r\n");
		conn_flush(c);
	}
	req_finish(req);
}

int
httpd_upgrade(struct httpd_req *req, const char *protocol, struct buf *pending)
{
	struct httpd_conn *c = req->conn;
	int fd, fl;

	if (req->finished)
		return -1;
	if (c->dead) {
		req_finish(req);
		return -1;
	}
	buf_addf(&c->out, "HTTP/1.1 101 %s\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n",
	    http1_reason_upper(101), protocol);
	fd = c->fd;
	/* the rest of this connection's life is the caller's, on a thread of its own */
	ev_set(c->h->ev, fd, 0, NULL, NULL);
	if (c->timer)
		ev_timer_cancel(c->h->ev, c->timer);
	c->timer = 0;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		goto fail;
	while (c->out.len > c->out_off) {
		ssize_t n = write(fd, c->out.p + c->out_off, c->out.len - c->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		c->out_off += (size_t)n;
	}
	buf_add(pending, c->in.p + c->consumed, c->in.len - c->consumed);
	buf_add(pending, c->later.p, c->later.len);
	/* dead without closing: the descriptor is no longer ours */
	c->fd = -1;
	c->dead = true;
	req->finished = true;
	conn_kill(c);
	return fd;
fail:
	conn_kill(c);
	req_finish(req);
	return -1;
}

void
httpd_on_close(struct httpd_req *req, void (*fn)(struct httpd_req *, void *), void *arg)
{
	req->on_close = fn;
	req->on_close_arg = arg;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
httpd_unescape(struct str s, struct buf *out)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		int ch = (unsigned char)s.p[i];

		if (ch == '%') {
			int hi, lo;

			if (i + 2 >= s.len)
				return -1;
			hi = hexval(s.p[i + 1]);
			lo = hexval(s.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			ch = hi * 16 + lo;
			i += 2;
			if (ch == 0)
				return -1;
		} else if (ch == '+') {
			ch = ' ';
		}
		buf_addch(out, ch);
	}
	return 0;
}

int
httpd_query(const struct httpd_req *req, const char *name, struct buf *out)
{
	const char *p = req->query.p, *end = req->query.p + req->query.len;
	size_t nlen = strlen(name);

	while (p && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		size_t klen = (size_t)((eq ? eq : stop) - p);

		if (klen == nlen && !memcmp(p, name, nlen)) {
			if (eq)
				return httpd_unescape(str_make(eq + 1, (size_t)(stop - eq - 1)), out);
			return 0;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -1;
}

struct str
httpd_header(const struct httpd_req *req, const char *name)
{
	const struct http1_header *h = http1_find(req->head.headers, req->head.nheaders, name);

	return h ? h->value : (struct str){ NULL, 0 };
}
