/*
 * Docker side of logspout: a libcurl multi handle driven by the lib/ev.h loop
 * (curl tells us which sockets to watch and when to call it back), with three
 * kinds of transfers over the Docker socket:
 *
 *   events  GET /events (container start/destroy), one JSON object per line;
 *           restarted after a pause if it ends, with a fresh container list
 *   list    GET /containers/json filtered on the sh.deis.app label
 *   logs    GET /containers/<id>/logs?follow=1&stdout=1&stderr=1&timestamps=1
 *           &since=<last line>: one per app container
 *
 * The logs stream is Docker's multiplexed format (8-byte frame headers) for
 * non-TTY containers and raw text for TTY ones; it is told apart by its first
 * byte. With timestamps=1 every log entry (a frame, or a raw line) starts with
 * an RFC 3339 time with nanoseconds and a space. Docker splits lines longer
 * than 16 KiB into several entries without LF; they are joined here, per
 * stream, up to SYSLOG_MAX_MSG bytes.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/syslog.h"
#include "lib/xalloc.h"
#include "logspout/logspout.h"

#define EVENTS_LINE_MAX	(1 << 20)
#define LIST_MAX	(16 << 20)
#define TS_MAX		48

enum xkind { X_EVENTS, X_LIST, X_LOGS };

struct part {
	struct buf line;		/* bytes of the current line of this stream */
	int64_t first_ns;		/* time of the entry that began it */
};

struct xfer {
	enum xkind kind;
	CURL *h;
	struct logspout *ls;
	struct buf in;			/* events: partial line; list: the body */
	char errbuf[CURL_ERROR_SIZE];
	/* logs */
	struct cstate *c;
	char app[65], proc[140];
	int64_t skip_upto;		/* entries not newer than this were sent before */
	int mode;			/* 0 unknown, 1 multiplexed, 2 raw (TTY) */
	unsigned char hdr[8];
	size_t hdr_have;
	uint64_t frame_left;
	int stream;			/* 0 stdout, 1 stderr */
	char ts[TS_MAX];
	size_t ts_have;
	bool in_ts, skip_entry;
	int64_t entry_ns;
	struct part out[2];
	bool paused;
	LIST_ENTRY(xfer) link;
};

static CURLM *multi;
static uint64_t mtimer;
static struct logspout *g;
static LIST_HEAD(, xfer) xfers = LIST_HEAD_INITIALIZER(xfers);
static bool events_running;
static uint64_t events_timer, list_timer;

/*
 * Containers to attach to, found by an event: libcurl refuses new transfers
 * from inside its callbacks, so they are started once socket_action returns.
 */
struct pending {
	char id[65];
	json_t *labels;
	struct pending *next;
};
static struct pending *pending_head, **pending_tail = &pending_head;
static void attach(const char *id, json_t *labels);

static void
run_pending(void)
{
	struct pending *p;

	while ((p = pending_head) != NULL) {
		pending_head = p->next;
		if (pending_head == NULL)
			pending_tail = &pending_head;
		attach(p->id, p->labels);
		json_decref(p->labels);
		free(p);
	}
}

static void check_done(void);
static void events_start(struct ev *ev, void *arg);

static void
on_sock(struct ev *ev, int fd, int mask, void *arg)
{
	int running, flags = 0;

	if (mask & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (mask & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(multi, fd, flags, &running);
	check_done();
	run_pending();
}

static void
on_timeout(struct ev *ev, void *arg)
{
	int running;

	mtimer = 0;
	curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done();
	run_pending();
}

static int
sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	int mask = 0;

	if (what == CURL_POLL_REMOVE) {
		ev_set(g->ev, s, 0, NULL, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		mask |= EV_READ;
	if (what & CURL_POLL_OUT)
		mask |= EV_WRITE;
	if (ev_set(g->ev, s, mask, on_sock, NULL) < 0)
		log_error("cannot watch docker socket: fd %d", (int)s);
	return 0;
}

static int
timer_cb(CURLM *m, long ms, void *userp)
{
	if (mtimer)
		ev_timer_cancel(g->ev, mtimer);
	mtimer = ms >= 0 ? ev_timer(g->ev, (uint64_t)ms, on_timeout, NULL) : 0;
	return 0;
}

/* "2026-11-26T10:36:52.256096123Z" to nanoseconds; -1 if it is not one. */
static int64_t
parse_ts_ns(const char *s, size_t len)
{
	int64_t us, extra = 0;
	const char *dot = memchr(s, '.', len);
	int k;

	if (syslog_time_parse(str_make(s, len), &us) < 0)
		return -1;
	if (dot) {
		/* digits 7..9 of the fraction, which syslog_time_parse drops */
		for (k = 7, dot++; k <= 9; k++) {
			extra *= 10;
			if (dot + k - 1 < s + len && dot[k - 1] >= '0' && dot[k - 1] <= '9')
				extra += dot[k - 1] - '0';
		}
	}
	return us * 1000 + extra;
}

static void
xfer_free(struct xfer *x)
{
	curl_multi_remove_handle(multi, x->h);
	curl_easy_cleanup(x->h);
	buf_release(&x->in);
	buf_release(&x->out[0].line);
	buf_release(&x->out[1].line);
	LIST_REMOVE(x, link);
	free(x);
}

static struct xfer *
xfer_new(enum xkind kind, const char *path, curl_write_callback fn)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	char *url = xasprintf("http://localhost%s", path);

	x->kind = kind;
	x->ls = g;
	x->h = curl_easy_init();
	if (x->h == NULL)
		die(111, "curl_easy_init failed");
	buf_init(&x->in, 0);
	buf_init(&x->out[0].line, 0);
	buf_init(&x->out[1].line, 0);
	curl_easy_setopt(x->h, CURLOPT_UNIX_SOCKET_PATH, g->docker_sock);
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, fn);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_FAILONERROR, 1L);
	if (getenv("LOGSPOUT_CURL_VERBOSE"))
		curl_easy_setopt(x->h, CURLOPT_VERBOSE, 1L);
	if (kind == X_LIST)
		curl_easy_setopt(x->h, CURLOPT_TIMEOUT, 30L);
	free(url);
	LIST_INSERT_HEAD(&xfers, x, link);
	if (curl_multi_add_handle(multi, x->h) != CURLM_OK)
		die(111, "curl_multi_add_handle failed for '%s'", path);	/* a broken invariant */
	return x;
}

/* ---- log streams ---- */

static void
emit(struct xfer *x, int s, const char *p, size_t len, int64_t first_ns, int64_t last_ns)
{
	struct syslog_msg m = { 0 };
	struct buf frame = BUF_INIT;

	m.pri = s ? 11 : 14;	/* user.err, user.info */
	m.time_us = first_ns > 0 ? first_ns / 1000 : -1;
	m.hostname = str_from(x->ls->hostname);
	m.app = str_from(x->app);
	m.procid = str_from(x->proc);
	m.msgid = s ? STR_LIT("stderr") : STR_LIT("stdout");
	m.msg = str_make(p, len);
	syslog_format(&frame, &m, true);
	sender_queue(x->ls, x->c, last_ns, &frame);
	buf_release(&frame);
}

/* Data bytes of the current entry of stream s. */
static void
entry_data(struct xfer *x, const char *p, size_t n)
{
	struct part *pt = &x->out[x->stream];

	while (n > 0) {
		const char *lf = memchr(p, '\n', n);
		size_t take = lf ? (size_t)(lf - p) : n;

		if (!x->skip_entry) {
			while (take > 0) {
				size_t room, k;

				if (pt->line.len == SYSLOG_MAX_MSG) {
					/* longer than a message may be: send it in pieces */
					emit(x, x->stream, pt->line.p, pt->line.len, pt->first_ns, x->entry_ns);
					buf_reset(&pt->line);
					x->ls->pieces++;
				}
				room = SYSLOG_MAX_MSG - pt->line.len;
				k = take < room ? take : room;
				if (pt->line.len == 0)
					pt->first_ns = x->entry_ns;
				buf_add(&pt->line, p, k);
				p += k, n -= k, take -= k;
			}
		} else {
			p += take, n -= take;
		}
		if (lf == NULL)
			break;
		p++, n--;
		if (!x->skip_entry) {
			size_t len = pt->line.len;

			if (len && pt->line.p[len - 1] == '\r')
				len--;
			if (pt->line.len == 0)
				pt->first_ns = x->entry_ns;
			emit(x, x->stream, pt->line.p, len, pt->first_ns, x->entry_ns);
			buf_reset(&pt->line);
		}
		if (x->mode == 2) {
			/* raw: a new entry, with its own timestamp, begins after the LF */
			x->in_ts = true;
			x->ts_have = 0;
			return;
		}
	}
}

/* Entry bytes: the "<time> " prefix, then data. Returns bytes consumed. */
static size_t
entry_bytes(struct xfer *x, const char *p, size_t n)
{
	size_t i = 0;

	while (x->in_ts && i < n) {
		if (p[i] == ' ') {
			x->entry_ns = parse_ts_ns(x->ts, x->ts_have);
			x->in_ts = false;
			if (x->entry_ns < 0) {
				x->ls->dropped_docker++;
				x->entry_ns = 0;
			}
			x->skip_entry = x->entry_ns > 0 && x->entry_ns <= x->skip_upto;
			i++;
			break;
		}
		if (x->ts_have == TS_MAX - 1) {
			/* no timestamp: take the entry as it is */
			x->in_ts = false;
			x->entry_ns = 0;
			x->skip_entry = false;
			entry_data(x, x->ts, x->ts_have);
			break;
		}
		x->ts[x->ts_have++] = p[i++];
	}
	if (x->in_ts || i == n)
		return i;
	if (x->mode == 2) {
		/* one raw entry ends at its LF */
		const char *lf = memchr(p + i, '\n', n - i);
		size_t k = lf ? (size_t)(lf - (p + i)) + 1 : n - i;

		entry_data(x, p + i, k);
		return i + k;
	}
	entry_data(x, p + i, n - i);
	return n;
}

static size_t
logs_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb, off = 0;

	if (sender_full(x->ls)) {
		x->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (len && x->mode == 0) {
		x->mode = (unsigned char)data[0] <= 2 ? 1 : 2;
		x->in_ts = true;
	}
	while (off < len) {
		if (x->mode == 2) {
			off += entry_bytes(x, data + off, len - off);
			continue;
		}
		if (x->frame_left == 0) {
			while (x->hdr_have < 8 && off < len)
				x->hdr[x->hdr_have++] = (unsigned char)data[off++];
			if (x->hdr_have < 8)
				break;
			x->hdr_have = 0;
			x->stream = x->hdr[0] == 2 ? 1 : 0;
			x->frame_left = (uint64_t)x->hdr[4] << 24 | (uint64_t)x->hdr[5] << 16 |
			    (uint64_t)x->hdr[6] << 8 | x->hdr[7];
			x->in_ts = true;
			x->ts_have = 0;
			continue;
		} else {
			size_t k = len - off < x->frame_left ? len - off : (size_t)x->frame_left;

			k = entry_bytes(x, data + off, k);
			off += k;
			x->frame_left -= k;
		}
	}
	return len;
}

static void
logs_done(struct xfer *x, CURLcode rc)
{
	int s;

	/* a last line without LF (the container stopped mid-line) */
	for (s = 0; s < 2; s++)
		if (x->out[s].line.len)
			emit(x, s, x->out[s].line.p, x->out[s].line.len, x->out[s].first_ns,
			    x->entry_ns);
	x->c->attached = false;
	log_info("detached from %s (%s): %s", x->c->id, x->app,
	    rc == CURLE_OK ? "stream ended" : (x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc)));
}

static bool
good_name(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

/* labels: a JSON object holding sh.deis.app, sh.deis.type and sh.deis.num. */
static void
attach(const char *id, json_t *labels)
{
	const char *app = json_string_value(json_object_get(labels, "sh.deis.app"));
	const char *type = json_string_value(json_object_get(labels, "sh.deis.type"));
	const char *num = json_string_value(json_object_get(labels, "sh.deis.num"));
	struct cstate *c;
	struct xfer *x;
	char *path;
	int64_t since;

	if (app == NULL || type == NULL || num == NULL)
		return;
	if (!good_name(app, 64) || !good_name(type, 63) || !good_name(num, 16)) {
		log_warn("container %s: bad sh.deis labels, not attached", id);
		return;
	}
	c = state_get(g, id, true);
	if (c == NULL || c->attached)
		return;
	since = c->queued_ns > c->sent_ns ? c->queued_ns : c->sent_ns;
	path = xasprintf("/containers/%s/logs?follow=1&stdout=1&stderr=1&timestamps=1&since=%lld.%09lld",
	    id, (long long)(since / 1000000000), (long long)(since % 1000000000));
	x = xfer_new(X_LOGS, path, logs_write);
	free(path);
	x->c = c;
	x->skip_upto = since;
	snprintf(x->app, sizeof(x->app), "%s", app);
	snprintf(x->proc, sizeof(x->proc), "%s.%s", type, num);
	c->attached = true;
	c->gone = false;
	log_info("attached to %s (%s[%s])", id, app, x->proc);
}

/* ---- events and the container list ---- */

static void
event_line(const char *p, size_t len)
{
	json_error_t je;
	json_t *ev = json_loadb(p, len, 0, &je), *actor;
	const char *action, *id;

	if (ev == NULL)
		return;
	action = json_string_value(json_object_get(ev, "Action"));
	actor = json_object_get(ev, "Actor");
	id = json_string_value(json_object_get(actor, "ID"));
	if (action && id && str_eqs(str_from(json_string_value(json_object_get(ev, "Type"))),
	    "container")) {
		if (!strcmp(action, "start") && strlen(id) < sizeof(pending_head->id)) {
			struct pending *pa = xcalloc(1, sizeof(*pa));

			memcpy(pa->id, id, strlen(id) + 1);
			pa->labels = json_incref(json_object_get(actor, "Attributes"));
			*pending_tail = pa;
			pending_tail = &pa->next;
		} else if (!strcmp(action, "destroy")) {
			struct cstate *c = state_get(g, id, false);

			if (c)
				c->gone = true;
		}
	}
	json_decref(ev);
}

static size_t
events_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb;
	char *lf;

	buf_add(&x->in, data, len);
	while ((lf = memchr(x->in.p, '\n', x->in.len)) != NULL) {
		event_line(x->in.p, (size_t)(lf - x->in.p));
		buf_remove_head(&x->in, (size_t)(lf - x->in.p) + 1);
	}
	if (x->in.len > EVENTS_LINE_MAX) {
		log_warn("docker event longer than %d bytes skipped", EVENTS_LINE_MAX);
		buf_reset(&x->in);
	}
	return len;
}

static size_t
list_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb;

	if (x->in.len + len > LIST_MAX)
		return 0;	/* fails the transfer */
	buf_add(&x->in, data, len);
	return len;
}

static void
list_done(struct xfer *x)
{
	json_error_t je;
	json_t *arr = json_loadb(x->in.p, x->in.len, 0, &je), *ct;
	size_t i;

	if (!json_is_array(arr)) {
		log_warn("docker container list: %s", arr ? "not an array" : je.text);
		json_decref(arr);
		return;
	}
	json_array_foreach(arr, i, ct) {
		const char *id = json_string_value(json_object_get(ct, "Id"));

		if (id)
			attach(id, json_object_get(ct, "Labels"));
	}
	json_decref(arr);
}

/* Running app containers: attach to those we are not attached to. */
static void
list_start(struct ev *ev, void *arg)
{
	char *f = curl_easy_escape(NULL, "{\"label\":[\"sh.deis.app\"]}", 0);
	char *path = xasprintf("/containers/json?filters=%s", f);

	list_timer = 0;
	xfer_new(X_LIST, path, list_write);
	free(path);
	curl_free(f);
}

static void
events_start(struct ev *ev, void *arg)
{
	char *f, *path;

	events_timer = 0;
	f = curl_easy_escape(NULL, "{\"type\":[\"container\"],\"event\":[\"start\",\"destroy\"]}", 0);
	path = xasprintf("/events?filters=%s", f);
	xfer_new(X_EVENTS, path, events_write);
	free(path);
	curl_free(f);
	/* after the events stream is open, so no start falls between the two */
	list_start(ev, NULL);
	events_running = true;
}

static void
check_done(void)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		struct xfer *x;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		switch (x->kind) {
		case X_LOGS:
			logs_done(x, msg->data.result);
			/*
			 * A stream that failed while its container may still run (Docker
			 * restarted, a socket error): look again soon; the list only holds
			 * running containers, and resumes where this stream stopped.
			 */
			if (msg->data.result != CURLE_OK && !g->stopping && !list_timer)
				list_timer = ev_timer(g->ev, 1000, list_start, NULL);
			break;
		case X_LIST:
			if (msg->data.result == CURLE_OK)
				list_done(x);
			else
				log_warn("docker container list failed: %s", x->errbuf);
			break;
		case X_EVENTS:
			log_warn("docker event stream ended: %s", msg->data.result == CURLE_OK ?
			    "closed" : x->errbuf[0] ? x->errbuf : curl_easy_strerror(msg->data.result));
			events_running = false;
			if (!g->stopping && !events_timer)
				events_timer = ev_timer(g->ev, 1000, events_start, NULL);
			break;
		}
		xfer_free(x);
	}
}

int
attach_start(struct logspout *ls)
{
	g = ls;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return -1;
	multi = curl_multi_init();
	if (multi == NULL)
		return -1;
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	events_start(ls->ev, NULL);
	return 0;
}

void
attach_resume(struct logspout *ls)
{
	struct xfer *x;

	LIST_FOREACH(x, &xfers, link)
		if (x->paused) {
			x->paused = false;
			curl_easy_pause(x->h, CURLPAUSE_CONT);
			if (sender_full(ls))
				break;
		}
}

void
attach_stop(struct logspout *ls)
{
	struct xfer *x;

	while ((x = LIST_FIRST(&xfers)) != NULL) {
		if (x->kind == X_LOGS)
			x->c->attached = false;
		xfer_free(x);
	}
	if (mtimer)
		ev_timer_cancel(ls->ev, mtimer);
	if (events_timer)
		ev_timer_cancel(ls->ev, events_timer);
	if (list_timer)
		ev_timer_cancel(ls->ev, list_timer);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
}
