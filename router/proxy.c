/*
 * Client connections: accept, read (plain or TLS, after the PROXY header when
 * one is required), write, lingering close, timeouts (proxy_sweep) and the
 * epoll masks. What the bytes read mean (request heads, routing, the router's
 * own answers, the end of an exchange) is proxy_request.c's; the backend side
 * is relay.c's. Strict request/response pairing: one exchange at a time per
 * client connection, the backend connection owned by the exchange.
 *
 * Every handler mutates state and then calls client_update() which recomputes
 * both sockets' epoll masks from that state: reading a side is enabled exactly
 * when its bytes have somewhere to go (backpressure at HIGH_WATER bytes).
 * Connections are never freed inside their callbacks: client_close() marks
 * them and proxy_reap() frees them before the loop sleeps.
 *
 * Failures log a stable code modelled on Heroku's: H12 first-byte timeout,
 * H13 backend closed without a response, H14 no endpoints, H15 idle timeout,
 * H17 malformed response, H19 connect timeout, H21 connect refused, H25
 * rejected request, H27 client gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/proxy.h"
#include "router/router.h"

void
client_close(struct client *c)
{
	if (c->dead)
		return;
	c->dead = true;
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
proxy_reap(void)
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
proxy_sockaddr_ip(const struct sockaddr_storage *sa, char *out, size_t len)
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
client_flush(struct client *c)
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
	if (c->state != C_HEAD)
		return;
	if (c->in.len == 0 && c->out.cap) {
		/* idle keep-alive: hold no buffers (10 000 idle clients cost ~1 KiB each) */
		buf_release(&c->in);
		buf_release(&c->out);
	}
	if (c->in_eof && c->in.len == 0) {
		client_close(c);
	} else if (c->close_after) {
		/* Lingering close: shut our side, let the client read everything. */
		if (c->ssl)
			SSL_shutdown(c->ssl);
		shutdown(c->fd, SHUT_WR);
		c->state = C_LINGER;
		c->deadline = ev_now_ms() + LINGER_MS;
		buf_reset(&c->in);
		if (c->in_eof)
			client_close(c);
	}
}

/* SSL_read until the socket is drained (OpenSSL may hold decrypted bytes). */
static void
client_read_tls(struct client *c, char *rbuf, size_t size)
{
	c->tls_read_wants_write = false;
	for (;;) {
		int n = SSL_read(c->ssl, rbuf, (int)size), err;

		if (n > 0) {
			stats_bytes((uint64_t)n, 0);
			if (c->state != C_LINGER)
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
		if (err != SSL_ERROR_ZERO_RETURN && c->state != C_LINGER) {
			if (c->t_start == 0)
				log_debug("tls handshake with %s failed", c->ip);
			exchange_fail(c, 0, "H27");
		}
		return;
	}
}

static void
client_read(struct client *c)
{
	/* Read into one per-worker buffer and copy what arrived: a connection
	 * then only holds a buffer the size of what it has pending. */
	static char rbuf[65536];

	if (c->ssl) {
		client_read_tls(c, rbuf, sizeof(rbuf));
		return;
	}
	for (;;) {
		ssize_t n = read(c->fd, rbuf, sizeof(rbuf));

		if (n > 0) {
			stats_bytes((uint64_t)n, 0);
			if (c->state != C_LINGER)
				buf_add(&c->in, rbuf, (size_t)n);
			if ((size_t)n < sizeof(rbuf) || c->in.len >= HIGH_WATER)
				return;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->in_eof = true;
			if (n < 0 && c->state != C_LINGER)
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
 * connection, nothing is forwarded.
 */
static void
client_proxy_header(struct client *c)
{
	uint8_t tmp[PROXYHDR_MAX];
	struct sockaddr_storage src;
	size_t old = c->in.len;
	ssize_t n;
	int r;

	n = recv(c->fd, tmp, sizeof(tmp) - old, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	buf_add(&c->in, tmp, (size_t)n);
	r = proxyproto_parse((const uint8_t *)c->in.p, c->in.len, &src);
	if (r < 0 || (r == 0 && c->in.len >= PROXYHDR_MAX)) {
		log_info("H25 invalid PROXY protocol header from %s", c->ip);
		client_close(c);
		return;
	}
	/* consume what belongs to the header (all of it if incomplete) */
	if (recv(c->fd, tmp, r ? (size_t)r - old : (size_t)n, 0) != (r ? r - (ssize_t)old : n)) {
		client_close(c);
		return;
	}
	if (r == 0)
		return;
	buf_release(&c->in);
	/* nginx's real_ip_header proxy_protocol: the header's address is the
	 * client's only when the balancer is a trusted peer (--real-ip-from) */
	if (src.ss_family != AF_UNSPEC &&
	    cidr_list_match(conf.real_ip_from, conf.nreal_ip_from, &c->conn_peer)) {
		c->peer = c->conn_peer = src;
		proxy_sockaddr_ip(&src, c->ip, sizeof(c->ip));
	}
	c->state = C_HEAD;
	if (c->l->kind == LISTEN_HTTPS && (c->ssl = tls_new(c->fd)) == NULL) {
		log_error("cannot start TLS for %s", c->ip);
		client_close(c);
	}
}

static void
client_event(struct ev *ev, int fd, int mask, void *arg)
{
	struct client *c = arg;

	if (c->dead)
		return;
	if (c->state == C_PROXYHDR) {
		client_proxy_header(c);
		if (c->dead || c->state == C_PROXYHDR) {
			client_update(c);
			return;
		}
	}
	if ((mask & EV_READ) || (c->tls_read_wants_write && (mask & EV_WRITE)))
		client_read(c);
	if (!c->dead && c->state == C_EXCHANGE && c->up && c->res_head_done)
		c->deadline = ev_now_ms() + c->idle_ms;
	if (!c->dead)
		client_process(c);
	if (!c->dead && c->up && !c->up->connecting && c->up->out.len)
		upstream_flush(c, c->up);
	if (!c->dead)
		client_flush(c);
	if (!c->dead)
		client_update(c);
}

void
client_update(struct client *c)
{
	int cm = 0, um = 0;
	struct upconn *u = c->up;

	if (c->dead)
		return;
	if (c->out.len || c->tls_read_wants_write)
		cm |= EV_WRITE;
	if (c->tls_write_wants_read)
		cm |= EV_READ;
	if (!c->in_eof) {
		switch (c->state) {
		case C_PROXYHDR:
			cm |= EV_READ;
			break;
		case C_HEAD:
			if (!c->close_after && c->in.len < HEAD_READ_MAX)
				cm |= EV_READ;
			break;
		case C_CONNECT:
		case C_EXCHANGE:
			if (!c->req_done ? (u && u->out.len < HIGH_WATER) : c->in.len < PIPELINE_MAX)
				cm |= EV_READ;
			break;
		case C_TUNNEL:
			if (u && u->out.len < HIGH_WATER)
				cm |= EV_READ;
			break;
		case C_LINGER:
			cm |= EV_READ;
			break;
		}
	}
	if (cm != c->mask) {
		if (ev_set(W.ev, c->fd, cm, client_event, c) < 0) {
			client_close(c);
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
proxy_accept(struct ev *ev, int lfd, int mask, void *arg)
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
		proxy_sockaddr_ip(&ss, c->ip, sizeof(c->ip));
		c->state = C_HEAD;
		c->deadline = ev_now_ms() + conf.header_ms;
		TAILQ_INSERT_TAIL(&W.clients, c, entry);
		W.nclients++;
		if (conf.proxy_protocol && (l->kind == LISTEN_HTTP || l->kind == LISTEN_HTTPS)) {
			c->state = C_PROXYHDR;	/* TLS starts after the header */
		} else if (l->kind == LISTEN_HTTPS && (c->ssl = tls_new(fd)) == NULL) {
			log_error("cannot start TLS for %s", c->ip);
			client_close(c);
			continue;
		}
		c->connect_ms = conf.connect_ms;
		c->idle_ms = conf.idle_ms;
		if (l->kind == LISTEN_TCP) {
			c->tcp = true;
			c->connect_ms = conf.builder_connect_ms;	/* a git push: Deis's builder timeouts */
			c->idle_ms = conf.builder_tcp_ms;
			c->req_done = true;
			c->t_start = ev_now_ms();
			strlcpy(c->reqline, "TCP", sizeof(c->reqline));
			c->status = 200;
			c->table = W.table;
			routes_ref(c->table);
			if (c->table == NULL || !c->table->has_builder || exchange_connect(c) < 0) {
				log_warn("H21 no builder for a TCP connection from %s", c->ip);
				client_close(c);
				continue;
			}
		}
		client_update(c);
	}
}

static bool
body_too_slow(const struct client *c, uint64_t now)
{
	uint64_t elapsed = now - c->body_start;

	if (conf.body_min_rate == 0 || c->tcp || c->req_done || c->res_head_done ||
	    (c->state != C_EXCHANGE && c->state != C_CONNECT))
		return false;
	if (elapsed <= conf.header_ms || (c->up && c->up->out.len >= HIGH_WATER))
		return false;	/* in the grace period, or the backend is the slow one */
	return c->body_bytes * 1000 < elapsed * conf.body_min_rate;
}

void
proxy_sweep(uint64_t now)
{
	struct client *c, *tmp;

	TAILQ_FOREACH_SAFE(c, &W.clients, entry, tmp) {
		if (body_too_slow(c, now)) {
			/* slowloris on the body: after the header timeout's worth of
			 * grace, the upload must average --body-min-rate */
			c->keep_alive = false;
			exchange_fail(c, 408, "H28");
			if (!c->dead) {
				client_flush(c);
				client_update(c);
			}
			continue;
		}
		if (c->deadline == 0 || now < c->deadline)
			continue;
		switch (c->state) {
		case C_PROXYHDR:
			client_close(c);
			break;
		case C_HEAD:
			if (c->in.len && !c->close_after) {
				c->keep_alive = false;
				buf_reset(&c->in);
				strlcpy(c->reqline, "-", sizeof(c->reqline));
				c->t_start = now;
				c->out_mark = c->bytes_out + c->out.len;
				respond_error(c, 408, "H28", false);
				exchange_end(c);
				client_flush(c);
				client_update(c);
			} else {
				client_close(c);
			}
			break;
		case C_CONNECT:
			log_warn("H19 connect to '%s' timed out", c->upaddr);
			exchange_retry(c, true, "H19");
			if (!c->dead && c->up && !c->up->connecting)
				upstream_flush(c, c->up);
			client_flush(c);
			client_update(c);
			break;
		case C_EXCHANGE:
			exchange_fail(c, 504, c->res_head_done ? "H15" : "H12");
			if (!c->dead) {
				client_flush(c);
				client_update(c);
			}
			break;
		case C_TUNNEL:
			exchange_fail(c, 0, "H15");
			break;
		case C_LINGER:
			client_close(c);
			break;
		}
	}
}

void
proxy_drain(void)
{
	struct client *c, *tmp;

	TAILQ_FOREACH_SAFE(c, &W.clients, entry, tmp)
		if (c->state == C_HEAD && c->in.len == 0 && c->out.len == 0)
			client_close(c);
}

struct listener *
proxy_listener_new(int fd, enum listener_kind kind, int port)
{
	struct listener *l = xcalloc(1, sizeof(*l));

	l->fd = fd;
	l->kind = kind;
	l->port = port;
	return l;
}
