/*
 * The connection to the logger: a queue of whole octet-counted frames, written
 * as the socket accepts them, with a FIFO of marks (frame end, container, line
 * time) so that a container's "sent" time advances only once its line has been
 * handed to the kernel in full.
 *
 * When the connection breaks, writing starts again from the first byte of the
 * frame that was cut (the logger discards a frame cut by a close), so a line
 * is never delivered in pieces; lines the kernel had accepted but the logger
 * never read are the "in flight" loss. Reconnects back off from 50 ms to 2 s
 * so a restarted logger is found again quickly. With the platform's logger
 * key ($DEIS_LOGGER_KEY), every connection opens with the key frame
 * (lib/syslog.h) before any line.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/syslog.h"
#include "lib/xalloc.h"
#include "logspout/logspout.h"

#define BACKOFF_MIN 50
#define BACKOFF_MAX 2000

struct mark {
	size_t end;			/* offset in q.out just past the frame */
	struct cstate *c;
	int64_t ts_ns;
};

static struct {
	struct logspout *ls;
	int fd;
	bool connected;
	struct buf out;
	size_t off;			/* bytes of out written */
	size_t fstart;			/* start of the frame that holds off */
	struct mark *marks;
	size_t mhead, mtail, mcap;	/* FIFO of marks, [mhead, mtail) */
	unsigned backoff;
	uint64_t timer;
	uint64_t connects;
	struct buf hello;		/* the key frame, written first on each connection */
	size_t hello_off;
} q = { .fd = -1 };

static void sender_connect(struct ev *ev, void *arg);
static void sender_ready(struct ev *ev, int fd, int mask, void *arg);

static void
sender_down(const char *why)
{
	if (q.fd >= 0) {
		ev_set(q.ls->ev, q.fd, 0, NULL, NULL);
		close(q.fd);
		q.fd = -1;
	}
	if (q.connected)
		log_warn("logger '%s' lost: %s", q.ls->logger_addr, why);
	q.connected = false;
	q.off = q.fstart;
	q.hello_off = 0;
	if (!q.timer && !q.ls->stopping) {
		q.timer = ev_timer(q.ls->ev, q.backoff, sender_connect, NULL);
		q.backoff = q.backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : q.backoff * 2;
	}
}

static void
sender_connect(struct ev *ev, void *arg)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	const char *addr = q.ls->logger_addr, *colon = strrchr(addr, ':');
	char host[256];
	size_t hl;
	int rc;

	q.timer = 0;
	if (colon == NULL || (hl = (size_t)(colon - addr)) >= sizeof(host)) {
		sender_down("bad address");
		return;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	hints.ai_socktype = SOCK_STREAM;
	/* Resolved at every attempt: a restarted logger may have a new address. */
	rc = getaddrinfo(hl ? host : "127.0.0.1", colon + 1, &hints, &res);
	if (rc != 0) {
		sender_down(gai_strerror(rc));
		return;
	}
	q.fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (q.fd < 0 || (connect(q.fd, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS) ||
	    ev_set(ev, q.fd, EV_READ | EV_WRITE, sender_ready, NULL) < 0) {
		freeaddrinfo(res);
		sender_down(strerror(errno));
		return;
	}
	freeaddrinfo(res);
}

/* Frames [.., upto) are written: advance their containers' sent times. */
static void
marks_pop(size_t upto)
{
	while (q.mhead < q.mtail && q.marks[q.mhead].end <= upto) {
		struct mark *m = &q.marks[q.mhead++];

		if (m->ts_ns > m->c->sent_ns) {
			m->c->sent_ns = m->ts_ns;
			q.ls->state_dirty = true;
		}
		m->c->pending--;
		q.ls->lines++;
	}
	if (q.mhead == q.mtail)
		q.mhead = q.mtail = 0;
}

static void
sender_write(void)
{
	size_t before = sender_queued();

	while (q.hello_off < q.hello.len) {
		ssize_t n = send(q.fd, q.hello.p + q.hello_off, q.hello.len - q.hello_off,
		    MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_set(q.ls->ev, q.fd, EV_READ | EV_WRITE, sender_ready, NULL);
			return;
		}
		if (n <= 0) {
			sender_down(strerror(errno));
			return;
		}
		q.hello_off += (size_t)n;
	}
	while (q.off < q.out.len) {
		ssize_t n = send(q.fd, q.out.p + q.off, q.out.len - q.off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			sender_down(strerror(errno));
			return;
		}
		q.off += (size_t)n;
	}
	/* frame starts are exactly the mark ends */
	while (q.mhead < q.mtail && q.marks[q.mhead].end <= q.off) {
		q.fstart = q.marks[q.mhead].end;
		marks_pop(q.fstart);
	}
	if (q.off == q.out.len) {
		buf_reset(&q.out);
		q.off = q.fstart = 0;
		q.mhead = q.mtail = 0;
	} else if (q.fstart > 65536 && q.fstart > q.out.len / 2) {
		size_t k, cut = q.fstart;

		buf_remove_head(&q.out, cut);
		for (k = q.mhead; k < q.mtail; k++)
			q.marks[k].end -= cut;
		q.off -= cut;
		q.fstart = 0;
	}
	ev_set(q.ls->ev, q.fd, EV_READ | (q.off < q.out.len ? EV_WRITE : 0), sender_ready, NULL);
	if (before > q.ls->low_water && sender_queued() <= q.ls->low_water)
		attach_resume(q.ls);
}

static void
sender_ready(struct ev *ev, int fd, int mask, void *arg)
{
	if (!q.connected) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			sender_down(strerror(err ? err : errno));
			return;
		}
		q.connected = true;
		q.backoff = BACKOFF_MIN;
		q.connects++;
		log_info("logger '%s' connected", q.ls->logger_addr);
	}
	if (mask & EV_READ) {
		char junk[256];
		ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);

		/* The logger never speaks: EOF means it is going away; stop writing now. */
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			sender_down(n == 0 ? "closed by the logger" : strerror(errno));
			return;
		}
	}
	sender_write();
}

void
sender_init(struct logspout *ls)
{
	q.ls = ls;
	q.backoff = BACKOFF_MIN;
	buf_init(&q.out, 0);
	buf_init(&q.hello, 0);
	if (ls->logger_key)
		syslog_key_frame(&q.hello, ls->logger_key);
	sender_connect(ls->ev, NULL);
}

size_t
sender_queued(void)
{
	return q.out.len - q.fstart;
}

bool
sender_full(struct logspout *ls)
{
	return sender_queued() >= ls->high_water;
}

void
sender_queue(struct logspout *ls, struct cstate *c, int64_t ts_ns, const struct buf *frame)
{
	if (q.mtail == q.mcap) {
		if (q.mhead > 0) {
			memmove(q.marks, q.marks + q.mhead, (q.mtail - q.mhead) * sizeof(*q.marks));
			q.mtail -= q.mhead;
			q.mhead = 0;
		}
		if (q.mtail == q.mcap) {
			q.mcap = q.mcap ? q.mcap * 2 : 1024;
			q.marks = xrealloc(q.marks, q.mcap * sizeof(*q.marks));
		}
	}
	buf_add(&q.out, frame->p, frame->len);
	q.marks[q.mtail++] = (struct mark){ q.out.len, c, ts_ns };
	c->pending++;
	if (ts_ns > c->queued_ns)
		c->queued_ns = ts_ns;
	if (q.connected && !(ev_mask(ls->ev, q.fd) & EV_WRITE))
		ev_set(ls->ev, q.fd, EV_READ | EV_WRITE, sender_ready, NULL);
}

void
sender_flush(struct logspout *ls, int ms)
{
	uint64_t until = ev_now_ms() + (uint64_t)ms;

	while (sender_queued() && ev_now_ms() < until) {
		struct pollfd pfd;

		if (q.fd < 0) {
			struct timespec ts = { 0, 20 * 1000000 };

			nanosleep(&ts, NULL);
			if (q.timer)
				ev_timer_cancel(ls->ev, q.timer);
			sender_connect(ls->ev, NULL);
			continue;
		}
		pfd.fd = q.fd;
		pfd.events = POLLOUT | POLLIN;
		if (poll(&pfd, 1, 20) > 0)
			sender_ready(ls->ev, q.fd, ((pfd.revents & POLLIN) ? EV_READ : 0) |
			    ((pfd.revents & (POLLOUT | POLLERR | POLLHUP)) ? EV_WRITE : 0), NULL);
	}
}

void
sender_free(void)
{
	if (q.fd >= 0) {
		ev_set(q.ls->ev, q.fd, 0, NULL, NULL);
		close(q.fd);
	}
	if (q.timer)
		ev_timer_cancel(q.ls->ev, q.timer);
	buf_release(&q.out);
	explicit_bzero(q.hello.p, q.hello.len);
	buf_release(&q.hello);
	free(q.marks);
}
