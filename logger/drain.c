/*
 * Drains: forward an app's lines (or every line) to an external syslog
 * endpoint as RFC 5424, over TCP with octet counting or over UDP (one message
 * per datagram).
 *
 * A TCP drain owns a queue of whole frames bounded by drain_queue bytes; a line
 * that does not fit is dropped and counted. When the connection breaks, the
 * frame that was being written is sent again from its first byte on the next
 * connection (the receiver drops the cut copy), so a frame is never delivered
 * in pieces. Reconnects back off from 100 ms to 30 s.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/syslog.h"
#include "lib/xalloc.h"
#include "logger/logger.h"

#define BACKOFF_MIN 100
#define BACKOFF_MAX 30000

struct drain {
	struct drain *next;
	struct logger *lg;
	char *url;
	char *app;			/* NULL: every app */
	bool udp;
	struct sockaddr_storage ss;
	unsigned sslen;
	int fd;
	bool connected;
	struct buf out;			/* whole octet-counted frames */
	size_t off;			/* bytes of out written */
	size_t fstart;			/* start of the frame that holds off */
	unsigned backoff;
	uint64_t timer;
	uint64_t sent, dropped, reconnects;
};

static void drain_connect(struct drain *d);
static void drain_ready(struct ev *ev, int fd, int mask, void *arg);

/* Length of the counted frame at p ("<n> " + n bytes); our own output, so well formed. */
static size_t
frame_len(const char *p, size_t len)
{
	size_t i = 0, n = 0;

	while (i < len && p[i] >= '0' && p[i] <= '9')
		n = n * 10 + (size_t)(p[i++] - '0');
	return i + 1 + n;
}

static void
drain_retry(struct ev *ev, void *arg)
{
	struct drain *d = arg;

	d->timer = 0;
	drain_connect(d);
}

static void
drain_down(struct drain *d, const char *why)
{
	if (d->fd >= 0) {
		ev_set(d->lg->ev, d->fd, 0, NULL, NULL);
		close(d->fd);
		d->fd = -1;
	}
	if (d->connected)
		log_warn("drain '%s' lost: %s", d->url, why);
	d->connected = false;
	d->off = d->fstart;	/* resend the cut frame whole */
	if (!d->timer && !d->lg->stopping) {
		d->timer = ev_timer(d->lg->ev, d->backoff, drain_retry, d);
		d->backoff = d->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : d->backoff * 2;
	}
}

static void
drain_write(struct drain *d)
{
	while (d->off < d->out.len) {
		ssize_t n = send(d->fd, d->out.p + d->off, d->out.len - d->off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			drain_down(d, strerror(errno));
			return;
		}
		d->off += (size_t)n;
		while (d->fstart < d->off) {
			size_t fl = frame_len(d->out.p + d->fstart, d->out.len - d->fstart);

			if (d->fstart + fl > d->off)
				break;
			d->fstart += fl;
			d->sent++;
		}
	}
	if (d->off == d->out.len) {
		buf_reset(&d->out);
		d->off = d->fstart = 0;
	} else if (d->fstart > 65536 && d->fstart > d->out.len / 2) {
		buf_remove_head(&d->out, d->fstart);
		d->off -= d->fstart;
		d->fstart = 0;
	}
	ev_set(d->lg->ev, d->fd, EV_READ | (d->off < d->out.len ? EV_WRITE : 0), drain_ready, d);
}

static void
drain_ready(struct ev *ev, int fd, int mask, void *arg)
{
	struct drain *d = arg;

	if (!d->connected) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			drain_down(d, strerror(err ? err : errno));
			return;
		}
		d->connected = true;
		d->backoff = BACKOFF_MIN;
		d->reconnects++;
		log_info("drain '%s' connected", d->url);
	}
	if (mask & EV_READ) {
		char junk[512];
		ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			drain_down(d, n == 0 ? "closed by peer" : strerror(errno));
			return;
		}
	}
	drain_write(d);
}

static void
drain_connect(struct drain *d)
{
	d->fd = socket(d->ss.ss_family, (d->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		drain_down(d, strerror(errno));
		return;
	}
	if (d->udp)
		return;
	if (connect(d->fd, (struct sockaddr *)&d->ss, d->sslen) < 0 && errno != EINPROGRESS) {
		drain_down(d, strerror(errno));
		return;
	}
	/* the first EV_WRITE reports the outcome of connect() */
	if (ev_set(d->lg->ev, d->fd, EV_READ | EV_WRITE, drain_ready, d) < 0)
		drain_down(d, strerror(errno));
}

int
drain_add(struct logger *lg, const char *spec)
{
	struct drain *d = xcalloc(1, sizeof(*d));
	const char *eq = strchr(spec, '='), *url = spec, *sep;

	if (eq && (sep = strstr(spec, "://")) != NULL && eq < sep) {
		d->app = xstrndup(spec, (size_t)(eq - spec));
		url = eq + 1;
		if (!logger_valid_app(str_from(d->app))) {
			log_error("bad drain '%s': app name", spec);
			goto fail;
		}
	}
	if (!strncmp(url, "tcp://", 6)) {
		sep = url + 6;
	} else if (!strncmp(url, "udp://", 6)) {
		sep = url + 6;
		d->udp = true;
	} else if (!strncmp(url, "syslog://", 9)) {
		sep = url + 9;	/* as in Deis: syslog:// is UDP */
		d->udp = true;
	} else {
		log_error("bad drain '%s': want tcp://, udp:// or syslog://", spec);
		goto fail;
	}
	if (recv_resolve(sep, false, d->udp ? SOCK_DGRAM : SOCK_STREAM, &d->ss, &d->sslen) < 0)
		goto fail;
	d->url = xstrdup(url);
	d->lg = lg;
	d->fd = -1;
	d->backoff = BACKOFF_MIN;
	buf_init(&d->out, 0);
	d->next = lg->drains;
	lg->drains = d;
	drain_connect(d);
	log_info("drain to '%s' for %s", d->url, d->app ? d->app : "all apps");
	return 0;
fail:
	free(d->app);
	free(d);
	return -1;
}

void
drain_forward(struct logger *lg, const struct syslog_msg *m)
{
	struct buf msg = BUF_INIT;
	struct drain *d;
	size_t plain = 0;

	for (d = lg->drains; d; d = d->next) {
		if (d->app && !str_eqs(m->app, d->app))
			continue;
		if (msg.len == 0) {
			syslog_format(&msg, m, true);
			plain = (size_t)((const char *)memchr(msg.p, ' ', msg.len) - msg.p) + 1;
		}
		if (d->udp) {
			if (d->fd < 0 || sendto(d->fd, msg.p + plain, msg.len - plain, MSG_DONTWAIT,
			    (struct sockaddr *)&d->ss, d->sslen) < 0)
				d->dropped++;
			else
				d->sent++;
			continue;
		}
		if (d->out.len - d->fstart + msg.len > lg->o.drain_queue) {
			d->dropped++;
			continue;
		}
		buf_add(&d->out, msg.p, msg.len);
		if (d->connected && !(ev_mask(lg->ev, d->fd) & EV_WRITE))
			ev_set(lg->ev, d->fd, EV_READ | EV_WRITE, drain_ready, d);
	}
	buf_release(&msg);
}

void
drain_stats(struct logger *lg, struct buf *out)
{
	struct drain *d;

	buf_addch(out, '[');
	for (d = lg->drains; d; d = d->next) {
		buf_addf(out, "%s{\"url\":\"%s\",\"app\":\"%s\",\"connected\":%s,\"queued\":%zu,"
		    "\"sent\":%llu,\"dropped\":%llu,\"connects\":%llu}",
		    d == lg->drains ? "" : ",", d->url, d->app ? d->app : "",
		    d->udp || d->connected ? "true" : "false", d->out.len - d->fstart,
		    (unsigned long long)d->sent, (unsigned long long)d->dropped,
		    (unsigned long long)d->reconnects);
	}
	buf_addch(out, ']');
}

void
drain_free_all(struct logger *lg)
{
	struct drain *d, *next;

	for (d = lg->drains; d; d = next) {
		next = d->next;
		if (d->fd >= 0) {
			ev_set(lg->ev, d->fd, 0, NULL, NULL);
			close(d->fd);
		}
		if (d->timer)
			ev_timer_cancel(lg->ev, d->timer);
		buf_release(&d->out);
		free(d->url);
		free(d->app);
		free(d);
	}
	lg->drains = NULL;
}
