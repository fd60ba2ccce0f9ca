/*
 * Syslog receivers: TCP (RFC 6587 framing through lib/syslog's framer) and UDP
 * (one message per datagram), and ingestion of one message: parse, resolve the
 * app, format the Deis line, store it and hand it to the drains.
 *
 * A TCP connection owns one fixed buffer of SYSLOG_FRAME_ROOM(frame_max)
 * bytes, allocated on the first read; the framer guarantees progress within
 * it. Closed connections are unlinked at once and freed in the loop's
 * before-sleep hook (recv_reap), never inside their own callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/syslog.h"
#include "lib/xalloc.h"
#include "logger/logger.h"

#define READS_PER_WAKEUP 16
#define DGRAMS_PER_WAKEUP 64

struct conn {
	struct logger *lg;
	int fd;
	char *buf;
	size_t have;
	struct syslog_framer fr;
	bool authed;			/* sent the key, or the logger has none */
	LIST_ENTRY(conn) link;
};

static LIST_HEAD(, conn) conns = LIST_HEAD_INITIALIZER(conns);
static int nconns;
static int listen_fds[8];
static bool listen_udp[8];
static int nlisten;

int64_t
logger_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool
logger_valid_app(struct str app)
{
	size_t i;

	if (app.len == 0 || app.len > 64 || app.p[0] == '.' || app.p[0] == '-' || app.p[0] == '_')
		return false;
	for (i = 0; i < app.len; i++) {
		char c = app.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/*
 * The controller's console logger writes "INFO [myapp]: deployed ..." as
 * deis-controller; Deis filed such lines under the app they name.
 */
static void
controller_event(struct syslog_msg *m)
{
	const char *p = m->msg.p, *e = p + m->msg.len, *a;

	if (!str_eqs(m->app, "deis-controller"))
		return;
	while (p < e && *p >= 'A' && *p <= 'Z')
		p++;
	if (p == m->msg.p || e - p < 4 || p[0] != ' ' || p[1] != '[')
		return;
	a = p += 2;
	while (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
		p++;
	if (p == a || e - p < 2 || p[0] != ']' || p[1] != ':')
		return;
	m->app = str_make(a, (size_t)(p - a));
	m->procid = STR_LIT("deis-controller");
	p += 2;
	if (p < e && *p == ' ')
		p++;
	m->msg = str_make(p, (size_t)(e - p));
}

/* syslog_time_format() with the date and seconds reused within one second. */
static void
time_format(int64_t us, char *out)
{
	static int64_t last_sec = -1;
	static char last[SYSLOG_TIME_LEN + 1];
	int64_t frac = us % 1000000;
	int i;

	if (us < 0 || us / 1000000 != last_sec) {
		syslog_time_format(us, last);
		last_sec = us >= 0 ? us / 1000000 : -1;
		memcpy(out, last, sizeof(last));
		return;
	}
	memcpy(out, last, sizeof(last));
	for (i = 25; i >= 20; i--, frac /= 10)
		out[i] = (char)('0' + frac % 10);
}

void
logger_ingest(struct logger *lg, const char *p, size_t len)
{
	/* Reused for every line: ingestion allocates nothing in the steady state. */
	static struct buf line = BUF_INIT;
	struct syslog_msg m;
	char ts[SYSLOG_TIME_LEN + 1];
	const char *s, *e, *nl;

	lg->st.received++;
	if (syslog_parse(p, len, &m) < 0) {
		lg->st.malformed++;
		log_debug("malformed message of %zu bytes skipped", len);
		return;
	}
	controller_event(&m);
	if (!logger_valid_app(m.app)) {
		lg->st.unfiled++;
		return;
	}
	if (m.time_us < 0)
		m.time_us = logger_now_us();
	if (m.procid.len == 0)
		m.procid = STR_LIT("1");
	time_format(m.time_us, ts);
	drain_forward(lg, &m);
	/* One stored line per message line: "<time> <app>[<proc>]: <text>". */
	s = m.msg.p;
	e = s + m.msg.len;
	do {
		size_t n;

		nl = memchr(s, '\n', (size_t)(e - s));
		n = (size_t)((nl ? nl : e) - s);
		if (n && s[n - 1] == '\r')
			n--;
		buf_reset(&line);
		buf_grow(&line, SYSLOG_TIME_LEN + m.app.len + m.procid.len + n + 8);
		buf_add(&line, ts, SYSLOG_TIME_LEN);
		buf_addch(&line, ' ');
		buf_add(&line, m.app.p, m.app.len);
		buf_addch(&line, '[');
		buf_add(&line, m.procid.p, m.procid.len);
		buf_add(&line, "]: ", 3);
		buf_add(&line, s, n);
		store_append(lg->store, m.app, line.p, line.len);
		lg->st.stored++;
		s = nl ? nl + 1 : e;
	} while (nl && s < e);
	if (line.cap > 4 * SYSLOG_MAX_FRAME)
		buf_release(&line);
}

int
recv_resolve(const char *addr, bool passive, int socktype, struct sockaddr_storage *ss,
    unsigned *sslen)
{
	struct addrinfo hints = { 0 }, *res;
	char host[256];
	const char *colon = strrchr(addr, ':');
	size_t hl;
	int rc;

	if (colon == NULL || colon[1] == '\0') {
		log_error("bad address '%s': want host:port", addr);
		return -1;
	}
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		log_error("bad address '%s': host too long", addr);
		return -1;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	hints.ai_socktype = socktype;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	rc = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0) {
		log_error("cannot resolve '%s': %s", addr, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = (unsigned)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static struct conn *reap_list[64];
static size_t nreap;

static void
conn_close(struct conn *c)
{
	ev_set(c->lg->ev, c->fd, 0, NULL, NULL);
	close(c->fd);
	c->fd = -1;
	LIST_REMOVE(c, link);
	nconns--;
	if (nreap == ARRAY_SIZE(reap_list)) {
		/* Not called from c's own callback when the list is full: free now. */
		free(reap_list[0]->buf);
		free(reap_list[0]);
		memmove(reap_list, reap_list + 1, (nreap - 1) * sizeof(*reap_list));
		nreap--;
	}
	reap_list[nreap++] = c;
}

/* Before-sleep: free connections closed during this iteration. */
static void
recv_reap(void)
{
	while (nreap) {
		struct conn *c = reap_list[--nreap];

		free(c->buf);
		free(c);
	}
}

/*
 * A keyed logger's peer must open with the key frame; anything else closes the
 * connection before one line of it is filed. Returns -1 once closed.
 */
static int
conn_auth(struct conn *c, enum syslog_frame_res r, struct str fr)
{
	if (r == SYSLOG_FRAME_OK && syslog_key_ok(fr, c->lg->o.key)) {
		c->authed = true;
		return 0;
	}
	c->lg->st.unauthenticated++;
	log_debug("syslog connection without the platform's key closed");
	conn_close(c);
	return -1;
}

/* Run the framer over what is buffered; keep the unconsumed tail. -1 once closed. */
static int
conn_frames(struct conn *c)
{
	size_t off = 0;

	for (;;) {
		enum syslog_frame_res r;
		struct str fr;
		size_t used;

		r = syslog_frame_next(&c->fr, c->buf + off, c->have - off, &used, &fr);
		if (r != SYSLOG_FRAME_MORE && !c->authed) {
			if (conn_auth(c, r, fr) < 0)
				return -1;
		} else if (r == SYSLOG_FRAME_OK) {
			logger_ingest(c->lg, fr.p, fr.len);
		} else if (r == SYSLOG_FRAME_BAD) {
			c->lg->st.malformed++;
		}
		off += used;
		if (r == SYSLOG_FRAME_MORE)
			break;
	}
	if (off) {
		memmove(c->buf, c->buf + off, c->have - off);
		c->have -= off;
	}
	return 0;
}

/* Returns -1 once the connection is closed. */
static int
conn_read_some(struct conn *c, int max_reads)
{
	size_t room = SYSLOG_FRAME_ROOM(c->lg->o.frame_max);
	int i;

	if (c->buf == NULL)
		c->buf = xmalloc(room);
	for (i = 0; i < max_reads; i++) {
		ssize_t n = read(c->fd, c->buf + c->have, room - c->have);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (c->have) {
				/* A frame cut by the peer's close: it never arrived whole. */
				struct str fr;
				size_t used;

				if (syslog_frame_next(&c->fr, c->buf, c->have, &used, &fr) !=
				    SYSLOG_FRAME_OK && !c->fr.skip && !c->fr.skip_line)
					c->lg->st.malformed++;
			}
			conn_close(c);
			return -1;
		}
		c->have += (size_t)n;
		if (conn_frames(c) < 0)
			return -1;
	}
	return 0;
}

static void
conn_ready(struct ev *ev, int fd, int mask, void *arg)
{
	conn_read_some(arg, READS_PER_WAKEUP);
}

static void
tcp_accept(struct ev *ev, int lfd, int mask, void *arg)
{
	struct logger *lg = arg;
	int i;

	for (i = 0; i < 64; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return;
		if (nconns >= lg->o.max_conns || lg->stopping) {
			lg->st.conns_refused++;
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->lg = lg;
		c->fd = fd;
		c->authed = lg->o.key == NULL;
		syslog_framer_init(&c->fr, lg->o.frame_max);
		if (ev_set(ev, fd, EV_READ, conn_ready, c) < 0) {
			log_warn("cannot watch connection: %s", strerror(errno));
			close(fd);
			free(c);
			continue;
		}
		LIST_INSERT_HEAD(&conns, c, link);
		nconns++;
		lg->st.conns++;
	}
}

static void
udp_ready(struct ev *ev, int fd, int mask, void *arg)
{
	static char dgram[65536];
	struct logger *lg = arg;
	int i;

	for (i = 0; i < DGRAMS_PER_WAKEUP; i++) {
		ssize_t n = recv(fd, dgram, sizeof(dgram), 0);

		if (n < 0)
			return;
		while (n > 0 && (dgram[n - 1] == '\n' || dgram[n - 1] == '\0'))
			n--;
		if (n == 0) {
			lg->st.malformed++;
			continue;
		}
		logger_ingest(lg, dgram, (size_t)n);
	}
}

static int
listen_on(struct logger *lg, const char *addr, int socktype)
{
	struct sockaddr_storage ss;
	unsigned sslen;
	int fd, one = 1, rcvbuf = 4 << 20;

	if (nlisten == (int)ARRAY_SIZE(listen_fds)) {
		log_error("too many listeners");
		return -1;
	}
	if (recv_resolve(addr, true, socktype, &ss, &sslen) < 0)
		return -1;
	fd = socket(ss.ss_family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("cannot create socket for '%s': %s", addr, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (socktype == SOCK_DGRAM)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    (socktype == SOCK_STREAM && listen(fd, 512) < 0)) {
		log_error("cannot bind '%s': %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	if (ev_set(lg->ev, fd, EV_READ, socktype == SOCK_STREAM ? tcp_accept : udp_ready, lg) < 0) {
		log_error("cannot watch '%s': %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	listen_udp[nlisten] = socktype == SOCK_DGRAM;
	listen_fds[nlisten++] = fd;
	log_info("syslog %s on %s", socktype == SOCK_STREAM ? "tcp" : "udp", addr);
	return 0;
}

int
recv_listen_tcp(struct logger *lg, const char *addr)
{
	return listen_on(lg, addr, SOCK_STREAM);
}

int
recv_listen_udp(struct logger *lg, const char *addr)
{
	return listen_on(lg, addr, SOCK_DGRAM);
}

void
recv_drain_all(struct logger *lg)
{
	struct conn *c, *next;
	int i;

	for (i = 0; i < nlisten; i++) {
		/* UDP: take what the kernel already holds; TCP: no new peers. */
		if (listen_udp[i])
			udp_ready(lg->ev, listen_fds[i], EV_READ, lg);
		ev_set(lg->ev, listen_fds[i], 0, NULL, NULL);
		close(listen_fds[i]);
	}
	nlisten = 0;
	for (c = LIST_FIRST(&conns); c; c = next) {
		next = LIST_NEXT(c, link);
		if (conn_read_some(c, 1 << 20) == 0)
			conn_close(c);
	}
	recv_reap();
}

void
recv_before_sleep(void)
{
	recv_reap();
}
