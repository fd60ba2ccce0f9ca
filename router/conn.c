/*
 * A client connection's life: its states, the events that move it from one
 * to the next (the table below: the whole life on one screen), and what each
 * state does when its sockets are ready or its deadline passes. What a request
 * means is exchange.c's, moving bytes is relay.c's, backend connections are
 * upstream.c's.
 *
 * Every handler mutates state and then calls conn_update(), which recomputes
 * both sockets' epoll masks from that state: reading a side is enabled exactly
 * when its bytes have somewhere to go (backpressure at HIGH_WATER bytes).
 * Connections are never freed inside their callbacks: conn_close() marks them
 * CS_CLOSED and conn_reap() frees them before the loop sleeps.
 *
 * Failures log a stable code modelled on Heroku's: H12 first-byte timeout,
 * H13 backend closed without a response, H14 no endpoints, H15 idle timeout,
 * H17 malformed response, H19 connect timeout, H21 connect refused, H25
 * rejected request, H27 client gone, H28 client too slow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/conn.h"
#include "router/router.h"

/* The deadline a transition sets, from now. */
enum deadline { D_KEEP, D_CONNECT, D_FIRST_BYTE, D_IDLE, D_KEEPALIVE, D_LINGER };

/*
 * Every transition there is; CE_CLOSE leads from any state to CS_CLOSED.
 * A connection starts in CS_HEAD (CS_PROXYHDR with --proxy-protocol) with the
 * header timeout; a TCP passthrough starts in CS_HEAD and connects at once.
 */
static const struct transition {
	enum conn_state from;
	enum conn_event ev;
	enum conn_state to;
	enum deadline deadline;
} transitions[] = {
	{ CS_PROXYHDR,	CE_HEADER_READ,	CS_HEAD,	D_KEEP },	/* header timeout runs on */
	{ CS_HEAD,	CE_CONNECTING,	CS_CONNECT,	D_CONNECT },
	{ CS_HEAD,	CE_CONNECTED,	CS_EXCHANGE,	D_FIRST_BYTE },	/* a pooled connection */
	{ CS_HEAD,	CE_PASSTHROUGH,	CS_TUNNEL,	D_IDLE },
	{ CS_HEAD,	CE_DONE,	CS_HEAD,	D_KEEPALIVE },	/* the router answered */
	{ CS_HEAD,	CE_SHUTDOWN,	CS_LINGER,	D_LINGER },
	{ CS_CONNECT,	CE_CONNECTING,	CS_CONNECT,	D_CONNECT },	/* retry */
	{ CS_CONNECT,	CE_CONNECTED,	CS_EXCHANGE,	D_FIRST_BYTE },
	{ CS_CONNECT,	CE_PASSTHROUGH,	CS_TUNNEL,	D_IDLE },
	{ CS_CONNECT,	CE_DONE,	CS_HEAD,	D_KEEPALIVE },	/* failed, answered */
	{ CS_EXCHANGE,	CE_CONNECTING,	CS_CONNECT,	D_CONNECT },	/* retry */
	{ CS_EXCHANGE,	CE_CONNECTED,	CS_EXCHANGE,	D_FIRST_BYTE },	/* retry, pooled */
	{ CS_EXCHANGE,	CE_UPGRADED,	CS_TUNNEL,	D_IDLE },
	{ CS_EXCHANGE,	CE_DONE,	CS_HEAD,	D_KEEPALIVE },	/* complete, or answered */
	{ CS_TUNNEL,	CE_TUNNEL_END,	CS_HEAD,	D_KEEP },	/* then linger */
};

static const char *const state_names[] = {
	"proxyhdr", "head", "connect", "exchange", "tunnel", "linger", "closed",
};
static const char *const event_names[] = {
	"header-read", "connecting", "connected", "passthrough", "upgraded", "done",
	"tunnel-end", "shutdown", "close",
};

static void
close_now(struct client *c)
{
	c->state = CS_CLOSED;
	ev_set(W.ev, c->fd, 0, NULL, NULL);
	if (c->up) {
		upstream_close(c->up);
		c->up = NULL;
	}
	routes_unref(c->table);
	c->table = NULL;
	TAILQ_REMOVE(&W.clients, c, entry);
	TAILQ_INSERT_TAIL(&W.dead_clients, c, entry);
	W.nclients--;
}

void
conn_fire(struct client *c, enum conn_event ev)
{
	const struct transition *t = NULL;
	uint64_t now = ev_now_ms();
	size_t i;

	if (c->state == CS_CLOSED)
		return;
	if (ev == CE_CLOSE) {
		log_debug("client %s fd %d: %s --close--> closed", c->ip, c->fd,
		    state_names[c->state]);
		close_now(c);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(transitions); i++)
		if (transitions[i].from == c->state && transitions[i].ev == ev) {
			t = &transitions[i];
			break;
		}
	if (t == NULL)
		die(111, "client %s: no transition from %s on %s", c->ip, state_names[c->state],
		    event_names[ev]);
	log_debug("client %s fd %d: %s --%s--> %s", c->ip, c->fd, state_names[c->state],
	    event_names[ev], state_names[t->to]);
	c->state = t->to;
	switch (t->deadline) {
	case D_KEEP:
		break;
	case D_CONNECT:
		c->deadline = now + c->connect_ms;
		break;
	case D_FIRST_BYTE:
		c->deadline = now + c->first_byte_ms;
		break;
	case D_IDLE:
		c->deadline = now + c->idle_ms;
		break;
	case D_KEEPALIVE:
		c->deadline = now + conf.keepalive_ms;
		break;
	case D_LINGER:
		c->deadline = now + LINGER_MS;
		break;
	}
}

void
conn_close(struct client *c)
{
	conn_fire(c, CE_CLOSE);
}

void
conn_reap(void)
{
	struct client *c;

	while ((c = TAILQ_FIRST(&W.dead_clients)) != NULL) {
		TAILQ_REMOVE(&W.dead_clients, c, entry);
		SSL_free(c->ssl);
		close(c->fd);
		buf_release(&c->in);
		buf_release(&c->out);
		buf_release(&c->fwd);
		gzip_free(c->gz);
		stats_close();
		free(c);
	}
}

const char *
conn_addr_text(const struct sockaddr_storage *sa, char *out, size_t len)
{
	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
	else
		strlcpy(out, "-", len);
	return out;
}

void
conn_flush(struct client *c)
{
	relay_client_write(c);
	if (c->state != CS_HEAD || c->out.len)
		return;
	if (c->in.len == 0 && c->out.cap) {
		/* idle keep-alive: hold no buffers (10 000 idle clients cost ~1 KiB each) */
		buf_release(&c->in);
		buf_release(&c->out);
	}
	if (c->in_eof && c->in.len == 0) {
		conn_close(c);
	} else if (c->close_after) {
		/* Lingering close: shut our side, let the client read everything. */
		if (c->ssl)
			SSL_shutdown(c->ssl);
		shutdown(c->fd, SHUT_WR);
		conn_fire(c, CE_SHUTDOWN);
		buf_reset(&c->in);
		if (c->in_eof)
			conn_close(c);
	}
}

void
conn_process(struct client *c)
{
	for (;;) {
		switch (c->state) {
		case CS_PROXYHDR:
		case CS_CLOSED:
			return;
		case CS_HEAD:
			if (c->close_after || c->out.len >= HIGH_WATER)
				return;
			if (c->in.len == 0) {
				if (c->in_eof && c->out.len == 0)
					conn_close(c);
				return;
			}
			if (!exchange_head(c)) {
				/* incomplete: the header timeout runs from its first byte */
				if (c->in_eof)
					conn_close(c);
				else if (c->deadline > ev_now_ms() + conf.header_ms)
					c->deadline = ev_now_ms() + conf.header_ms;
				return;
			}
			continue;
		case CS_EXCHANGE:
		case CS_CONNECT:
			if (c->up)
				relay_request_body(c);
			return;
		case CS_TUNNEL:
			if (c->up && c->in.len) {
				buf_add(&c->up->out, c->in.p, c->in.len);
				buf_reset(&c->in);
			}
			if (c->in_eof && c->up && c->up->out.len == 0)
				shutdown(c->up->fd, SHUT_WR);
			return;
		case CS_LINGER:
			buf_reset(&c->in);
			if (c->in_eof)
				conn_close(c);
			return;
		}
	}
}

/* The client's socket is ready (mask), or TLS wants the other direction. */
static void
conn_event(struct ev *ev, int fd, int mask, void *arg)
{
	struct client *c = arg;
	int r;

	if (conn_closed(c))
		return;
	if (c->state == CS_PROXYHDR) {
		if ((r = relay_proxy_header(c)) < 0) {
			conn_close(c);
			return;
		}
		if (r == 0) {
			conn_update(c);
			return;
		}
		conn_fire(c, CE_HEADER_READ);
		if (c->l->kind == LISTEN_HTTPS && (c->ssl = tls_new(c->fd)) == NULL) {
			log_error("cannot start TLS for %s", c->ip);
			conn_close(c);
			return;
		}
	}
	if ((mask & EV_READ) || (c->tls_read_wants_write && (mask & EV_WRITE)))
		relay_client_read(c);
	if (c->state == CS_EXCHANGE && c->up && c->res_head_done)
		c->deadline = ev_now_ms() + c->idle_ms;
	conn_process(c);
	if (!conn_closed(c) && c->up && !c->up->connecting && c->up->out.len)
		relay_backend_write(c, c->up);
	if (!conn_closed(c))
		conn_flush(c);
	conn_update(c);
}

void
conn_upstream_event(struct upconn *u, int mask)
{
	struct client *c = u->c;

	if (conn_closed(c))
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
		conn_fire(c, c->tcp ? CE_PASSTHROUGH : CE_CONNECTED);
	}
	if (c->res_head_done || c->state == CS_TUNNEL)
		c->deadline = ev_now_ms() + c->idle_ms;
	if (mask & EV_WRITE || u->out.len)
		relay_backend_write(c, u);
	if (!conn_closed(c) && c->up == u && (mask & EV_READ))
		relay_backend_read(c, u);
	if (!conn_closed(c) && c->up == u && u->in.len)
		relay_response(c);
	conn_process(c);
	if (!conn_closed(c))
		conn_flush(c);
out:
	if (!conn_closed(c) && c->up && c->up->out.len && !c->up->connecting)
		relay_backend_write(c, c->up);
	conn_update(c);
}

void
conn_update(struct client *c)
{
	int cm = 0, um = 0;
	struct upconn *u = c->up;

	if (conn_closed(c))
		return;
	if (c->out.len || c->tls_read_wants_write)
		cm |= EV_WRITE;
	if (c->tls_write_wants_read)
		cm |= EV_READ;
	if (!c->in_eof) {
		switch (c->state) {
		case CS_PROXYHDR:
		case CS_LINGER:
			cm |= EV_READ;
			break;
		case CS_HEAD:
			if (!c->close_after && c->in.len < HEAD_READ_MAX)
				cm |= EV_READ;
			break;
		case CS_CONNECT:
		case CS_EXCHANGE:
			if (!c->req_done ? (u && u->out.len < HIGH_WATER) : c->in.len < PIPELINE_MAX)
				cm |= EV_READ;
			break;
		case CS_TUNNEL:
			if (u && u->out.len < HIGH_WATER)
				cm |= EV_READ;
			break;
		case CS_CLOSED:
			break;
		}
	}
	if (cm != c->mask) {
		if (ev_set(W.ev, c->fd, cm, conn_event, c) < 0) {
			conn_close(c);
			return;
		}
		c->mask = cm;
	}
	if (u == NULL || u->dead)
		return;
	if (u->connecting) {
		um = EV_WRITE;
	} else {
		if (u->out.len)
			um |= EV_WRITE;
		if (c->out.len < HIGH_WATER)
			um |= EV_READ;
	}
	upstream_set_mask(u, um);
}

void
conn_accept(struct ev *ev, int lfd, int mask, void *arg)
{
	const struct listener *l = arg;
	int i;

	for (i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct client *c;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (W.nclients >= conf.max_conns || W.draining) {
			stats_accept(false);
			close(fd);
			continue;
		}
		stats_accept(true);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->l = l;
		c->peer = c->conn_peer = ss;
		conn_addr_text(&ss, c->ip, sizeof(c->ip));
		c->state = CS_HEAD;
		c->deadline = ev_now_ms() + conf.header_ms;
		c->connect_ms = conf.connect_ms;
		c->idle_ms = conf.idle_ms;
		TAILQ_INSERT_TAIL(&W.clients, c, entry);
		W.nclients++;
		if (conf.proxy_protocol && (l->kind == LISTEN_HTTP || l->kind == LISTEN_HTTPS)) {
			c->state = CS_PROXYHDR;	/* TLS starts after the header */
		} else if (l->kind == LISTEN_HTTPS && (c->ssl = tls_new(fd)) == NULL) {
			log_error("cannot start TLS for %s", c->ip);
			conn_close(c);
			continue;
		}
		if (l->kind == LISTEN_TCP && exchange_passthrough(c) < 0) {
			log_warn("H21 no builder for a TCP connection from %s", c->ip);
			conn_close(c);
			continue;
		}
		conn_update(c);
	}
}

static bool
body_too_slow(const struct client *c, uint64_t now)
{
	uint64_t elapsed = now - c->body_start;

	if (conf.body_min_rate == 0 || c->tcp || c->req_done || c->res_head_done ||
	    (c->state != CS_EXCHANGE && c->state != CS_CONNECT))
		return false;
	if (elapsed <= conf.header_ms || (c->up && c->up->out.len >= HIGH_WATER))
		return false;	/* in the grace period, or the backend is the slow one */
	return c->body_bytes * 1000 < elapsed * conf.body_min_rate;
}

/* A deadline passed: what it means depends on the state. */
static void
conn_timeout(struct client *c, uint64_t now)
{
	switch (c->state) {
	case CS_PROXYHDR:
	case CS_LINGER:
	case CS_CLOSED:
		conn_close(c);
		return;
	case CS_HEAD:
		if (c->in.len == 0 || c->close_after) {
			conn_close(c);
			return;
		}
		/* a head that did not come whole in time */
		c->keep_alive = false;
		buf_reset(&c->in);
		strlcpy(c->reqline, "-", sizeof(c->reqline));
		c->t_start = now;
		c->out_mark = c->bytes_out + c->out.len;
		exchange_respond_error(c, 408, "H28", false);
		exchange_end(c);
		break;
	case CS_CONNECT:
		log_warn("H19 connect to '%s' timed out", c->upaddr);
		exchange_retry(c, true, "H19");
		if (!conn_closed(c) && c->up && !c->up->connecting)
			relay_backend_write(c, c->up);
		break;
	case CS_EXCHANGE:
		exchange_fail(c, 504, c->res_head_done ? "H15" : "H12");
		break;
	case CS_TUNNEL:
		exchange_fail(c, 0, "H15");
		return;
	}
	if (!conn_closed(c)) {
		conn_flush(c);
		conn_update(c);
	}
}

void
conn_sweep(uint64_t now)
{
	struct client *c, *tmp;

	TAILQ_FOREACH_SAFE(c, &W.clients, entry, tmp) {
		if (body_too_slow(c, now)) {
			/* slowloris on the body: after the header timeout's worth of
			 * grace, the upload must average --body-min-rate */
			c->keep_alive = false;
			exchange_fail(c, 408, "H28");
			if (!conn_closed(c)) {
				conn_flush(c);
				conn_update(c);
			}
			continue;
		}
		if (c->deadline != 0 && now >= c->deadline)
			conn_timeout(c, now);
	}
}

void
conn_drain(void)
{
	struct client *c, *tmp;

	TAILQ_FOREACH_SAFE(c, &W.clients, entry, tmp)
		if (c->state == CS_HEAD && c->in.len == 0 && c->out.len == 0)
			conn_close(c);
}

struct listener *
conn_listener_new(int fd, enum listener_kind kind, int port)
{
	struct listener *l = xcalloc(1, sizeof(*l));

	l->fd = fd;
	l->kind = kind;
	l->port = port;
	return l;
}
