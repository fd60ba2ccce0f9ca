/*
 * Backend connections and which endpoint gets the next one. A struct uphost per (address, container) pair holds the
 * keep-alive pool and the quarantine deadline; it outlives route tables, so a
 * table swap keeps pooled connections, and the container id in the key means a
 * host port reused by another container never gets an old connection.
 *
 * A connection is owned either by one client exchange (u->c) or by the pool;
 * closing is deferred to the before-sleep hook (upstream_reap).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/router.h"

#define UPHOST_BUCKETS 1024

void
upstream_init(void)
{
	W.nhostbuckets = UPHOST_BUCKETS;
	W.hosts = xcalloc(W.nhostbuckets, sizeof(*W.hosts));
	TAILQ_INIT(&W.dead_ups);
}

static size_t
key_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

struct uphost *
upstream_host(const struct endpoint *ep)
{
	char key[sizeof(((struct uphost *)0)->key)];
	struct uphost *h;
	size_t b;

	snprintf(key, sizeof(key), "%s/%s", ep->addr, ep->container);
	b = key_hash(key) % W.nhostbuckets;
	for (h = W.hosts[b]; h; h = h->next)
		if (strcmp(h->key, key) == 0)
			return h;
	h = xcalloc(1, sizeof(*h));
	strlcpy(h->key, key, sizeof(h->key));
	memcpy(&h->sa, &ep->sa, ep->salen);
	h->salen = ep->salen;
	TAILQ_INIT(&h->idle);
	h->next = W.hosts[b];
	W.hosts[b] = h;
	return h;
}

bool
upstream_quarantined(const struct uphost *h)
{
	return h->quarantine_until > ev_now_ms();
}

void
upstream_quarantine(struct uphost *h)
{
	h->quarantine_until = ev_now_ms() + conf.quarantine_ms;
	log_warn("backend '%s' quarantined for %u ms", h->key, conf.quarantine_ms);
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
 * The endpoint for the next attempt at app a: by the affinity key kh when it
 * is not 0, else the fewest connections in use from this worker (--balance
 * least-conn, ties in turn) or in turn; a quarantined endpoint only when no
 * other is left.
 */
struct endpoint *
upstream_pick(struct app *a, uint64_t kh, struct uphost **hp)
{
	struct endpoint *ep = NULL;
	struct uphost *h = NULL;
	size_t i, n = a->nep;

	if (kh)
		return affinity_pick(a, kh, hp);
	if (conf.least_conn) {
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
		*hp = bh;
		return best;
	}
	for (i = 0; i < n; i++) {
		ep = &a->ep[a->rr++ % n];
		h = upstream_host(ep);
		if (!upstream_quarantined(h))
			break;
	}
	*hp = h;
	return ep;
}

static void
upconn_event(struct ev *ev, int fd, int mask, void *arg)
{
	struct upconn *u = arg;
	char b[512];
	ssize_t n;

	if (u->dead)
		return;
	if (u->c) {
		conn_upstream_event(u, mask);
		return;
	}
	/* Idle in the pool: EOF, an error or unsolicited bytes all end it. */
	n = read(fd, b, sizeof(b));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	upstream_close(u);
}

void
upstream_set_mask(struct upconn *u, int mask)
{
	if (u->mask == mask || u->dead)
		return;
	if (ev_set(W.ev, u->fd, mask, upconn_event, u) < 0) {
		log_error("cannot watch backend fd %d: %s", u->fd, strerror(errno));
		upstream_close(u);
		return;
	}
	u->mask = mask;
}

struct upconn *
upstream_get(struct uphost *h, struct client *c)
{
	struct upconn *u;
	int fd, one = 1;

	while ((u = TAILQ_FIRST(&h->idle)) != NULL) {
		char b;
		ssize_t n;

		/* The backend may have closed it since the loop last looked (its EOF
		 * waits in this very iteration): a request sent on it would fail, and
		 * one that is not idempotent is never sent again (exchange.c). */
		n = recv(u->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
			upstream_close(u);
			continue;
		}
		TAILQ_REMOVE(&h->idle, u, pool_entry);
		h->nidle--;
		u->pooled = false;
		u->c = c;
		u->reused = true;
		h->nactive++;
		return u;
	}
	fd = socket(h->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	u = xcalloc(1, sizeof(*u));
	u->fd = fd;
	u->host = h;
	u->c = c;
	buf_init(&u->in, 0);
	buf_init(&u->out, 0);
	h->nactive++;
	if (connect(fd, (struct sockaddr *)&h->sa, h->salen) < 0) {
		if (errno != EINPROGRESS) {
			int saved = errno;

			u->c = NULL;
			upstream_close(u);
			errno = saved;
			return NULL;
		}
		u->connecting = true;
		upstream_set_mask(u, EV_WRITE);
	} else {
		upstream_set_mask(u, EV_READ);
	}
	return u;
}

void
upstream_release(struct upconn *u, bool reusable)
{
	struct uphost *h = u->host;

	if (u->dead)
		return;
	u->c = NULL;
	if (!reusable || u->in.len || u->out.len || h->nidle >= conf.pool_max || W.draining) {
		upstream_close(u);
		return;
	}
	h->nactive--;
	u->reused = false;
	u->idle_since = ev_now_ms();
	buf_reset(&u->in);
	upstream_set_mask(u, EV_READ);
	TAILQ_INSERT_HEAD(&h->idle, u, pool_entry);	/* LIFO: the warmest first */
	h->nidle++;
	u->pooled = true;
}

void
upstream_close(struct upconn *u)
{
	if (u->dead)
		return;
	u->dead = true;
	ev_set(W.ev, u->fd, 0, NULL, NULL);
	if (u->pooled) {
		TAILQ_REMOVE(&u->host->idle, u, pool_entry);
		u->host->nidle--;
		u->pooled = false;
	} else {
		u->host->nactive--;
	}
	u->c = NULL;
	TAILQ_INSERT_TAIL(&W.dead_ups, u, dead_entry);
}

void
upstream_sweep(uint64_t now)
{
	size_t b;

	for (b = 0; b < W.nhostbuckets; b++) {
		struct uphost *h;

		for (h = W.hosts[b]; h; h = h->next) {
			struct upconn *u, *tmp;

			TAILQ_FOREACH_SAFE(u, &h->idle, pool_entry, tmp)
				if (now - u->idle_since > conf.keepalive_ms || W.draining)
					upstream_close(u);
		}
	}
}

void
upstream_reap(void)
{
	struct upconn *u;

	while ((u = TAILQ_FIRST(&W.dead_ups)) != NULL) {
		TAILQ_REMOVE(&W.dead_ups, u, dead_entry);
		close(u->fd);
		buf_release(&u->in);
		buf_release(&u->out);
		free(u);
	}
}
