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
 * and one to the controller, when there is one:
 *
 *   who     GET <controller>/v1/internal/containers/<id>: the app, type and num
 *           of a container its scheduler made; 404 for any other (asked again
 *           a few times: the scheduler records a container just after the
 *           engine starts it), which is then never attached
 *
 * The log streams are decoded into lines by stream.c.
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

enum xkind { X_EVENTS, X_LIST, X_LOGS, X_WHO };

/*
 * Docker (20.10's json-file) leaves a follower that fell behind while the log
 * file rotated waiting on the rotated file: the lines written after it never
 * come (seen after a flood: a line written 10 s later, still missing 90 s on).
 * A stream that carried STALE_BYTES and then stayed silent STALE_IDLE_MS is
 * renewed from where it got (since=, duplicates skipped): one request for a
 * container gone quiet after much output, nothing for the others.
 */
#define STALE_BYTES (1 << 20)
#define STALE_IDLE_MS 3000

#define WHO_TRIES 6		/* "not ours" answers before a container is foreign: ~16 s */

struct xfer {
	enum xkind kind;
	CURL *h;
	struct logspout *ls;
	struct buf in;			/* events: partial line; list: the body */
	char errbuf[CURL_ERROR_SIZE];
	/* logs */
	struct cstate *c;
	char app[65], proc[140];
	struct lstream st;
	bool paused;
	uint64_t bytes, last_ms;	/* received since attached; when last (ev_now_ms) */
	struct curl_slist *hdrs;	/* who: the internal token */
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
static void attach(const char *id, json_t *labels, bool started);

static void
run_pending(void)
{
	struct pending *p;

	while ((p = pending_head) != NULL) {
		pending_head = p->next;
		if (pending_head == NULL)
			pending_tail = &pending_head;
		attach(p->id, p->labels, true);
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

static void
xfer_free(struct xfer *x)
{
	curl_multi_remove_handle(multi, x->h);
	curl_easy_cleanup(x->h);
	buf_release(&x->in);
	if (x->kind == X_LOGS)
		lstream_release(&x->st);
	if (x->hdrs)
		curl_slist_free_all(x->hdrs);
	LIST_REMOVE(x, link);
	free(x);
}

/*
 * A transfer: GET path over lib/docker's handle for the daemon, or, for the
 * controller (X_WHO), of the URL path.
 */
static struct xfer *
xfer_new(enum xkind kind, const char *path, curl_write_callback fn)
{
	struct xfer *x = xcalloc(1, sizeof(*x));

	x->kind = kind;
	x->ls = g;
	x->h = kind == X_WHO ? curl_easy_init() : docker_easy(g->docker, "GET", path);
	if (x->h == NULL)
		die(111, "curl_easy_init failed");
	buf_init(&x->in, 0);
	if (kind == X_WHO)
		curl_easy_setopt(x->h, CURLOPT_URL, path);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, fn);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_FAILONERROR, 1L);
	if (getenv("LOGSPOUT_CURL_VERBOSE"))
		curl_easy_setopt(x->h, CURLOPT_VERBOSE, 1L);
	if (kind == X_LIST || kind == X_WHO)
		curl_easy_setopt(x->h, CURLOPT_TIMEOUT, kind == X_WHO ? 10L : 30L);
	LIST_INSERT_HEAD(&xfers, x, link);
	if (curl_multi_add_handle(multi, x->h) != CURLM_OK)
		die(111, "curl_multi_add_handle failed for '%s'", path);	/* a broken invariant */
	return x;
}

/* ---- log streams ---- */

static void
emit(void *arg, int s, const char *p, size_t len, int64_t first_ns, int64_t last_ns)
{
	struct xfer *x = arg;
	struct syslog_msg m = { 0 };
	static struct buf frame = BUF_INIT;

	m.pri = s ? 11 : 14;	/* user.err, user.info */
	m.time_us = first_ns > 0 ? first_ns / 1000 : -1;
	m.hostname = str_from(x->ls->hostname);
	m.app = str_from(x->app);
	m.procid = str_from(x->proc);
	m.msgid = s ? STR_LIT("stderr") : STR_LIT("stdout");
	m.msg = str_make(p, len);
	buf_reset(&frame);
	syslog_format(&frame, &m, true);
	sender_queue(x->ls, x->c, last_ns, &frame);
}

static size_t
logs_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;

	if (sender_full(x->ls)) {
		x->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	lstream_feed(&x->st, data, size * nmemb);
	x->bytes += size * nmemb;
	x->last_ms = ev_now_ms();
	return size * nmemb;
}

static void
logs_done(struct xfer *x, CURLcode rc)
{
	lstream_finish(&x->st);
	x->ls->pieces += x->st.pieces;
	x->ls->dropped_docker += x->st.bad_ts;
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

/* Follow c's output as <app>[<proc>], from its last line queued or sent. */
static void
logs_follow(struct cstate *c, const char *app, const char *proc)
{
	struct xfer *x;
	char *path;
	int64_t since;

	c->refused = false;
	since = c->queued_ns > c->sent_ns ? c->queued_ns : c->sent_ns;
	path = xasprintf("/containers/%s/logs?follow=1&stdout=1&stderr=1&timestamps=1&since=%lld.%09lld",
	    c->id, (long long)(since / 1000000000), (long long)(since % 1000000000));
	x = xfer_new(X_LOGS, path, logs_write);
	free(path);
	x->c = c;
	x->last_ms = ev_now_ms();
	lstream_init(&x->st, since, emit, x);
	snprintf(x->app, sizeof(x->app), "%s", app);
	snprintf(x->proc, sizeof(x->proc), "%s", proc);
	c->attached = true;
	c->gone = false;
	log_info("attached to %s (%s[%s])", c->id, app, x->proc);
}

static void
logs_attach(struct cstate *c, const char *app, const char *type, const char *num)
{
	char proc[140];

	snprintf(proc, sizeof(proc), "%s.%s", type, num);
	logs_follow(c, app, proc);
}

void
attach_tick(struct logspout *ls)
{
	struct xfer *x, *next;
	uint64_t now = ev_now_ms();
	char app[65], proc[140];
	struct cstate *c;

	for (x = LIST_FIRST(&xfers); x != NULL; x = next) {
		next = LIST_NEXT(x, link);
		if (x->kind != X_LOGS || x->paused || x->bytes < STALE_BYTES ||
		    now - x->last_ms < STALE_IDLE_MS || sender_full(ls) || ls->stopping)
			continue;
		c = x->c;
		snprintf(app, sizeof(app), "%s", x->app);
		snprintf(proc, sizeof(proc), "%s", x->proc);
		log_info("renewing the stream of %s (%s[%s]) after %llu bytes and %llu ms of "
		    "silence", c->id, app, proc, (unsigned long long)x->bytes,
		    (unsigned long long)(now - x->last_ms));
		lstream_finish(&x->st);
		ls->pieces += x->st.pieces;
		ls->dropped_docker += x->st.bad_ts;
		xfer_free(x);
		logs_follow(c, app, proc);
	}
}

/* ---- whose container: the controller's record ---- */

/* A whole JSON answer (the container list, whose container) into x->in, bounded. */
static size_t
body_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb;

	if (x->in.len + len > LIST_MAX)
		return 0;	/* fails the transfer */
	buf_add(&x->in, data, len);
	return len;
}

static void who_ask(struct cstate *c);

static void
who_again(struct ev *ev, void *arg)
{
	char *id = arg;
	struct cstate *c = cstate_get(g, id, false);

	free(id);
	if (c && !c->gone && !c->attached && !c->asking && !c->foreign && !g->stopping)
		who_ask(c);
}

static void
who_ask(struct cstate *c)
{
	char *url = xasprintf("%s/v1/internal/containers/%s", g->controller, c->id);
	char *hdr = xasprintf("X-Deis-Internal-Auth: %s", g->internal_token);
	struct xfer *x = xfer_new(X_WHO, url, body_write);

	x->hdrs = curl_slist_append(NULL, hdr);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	x->c = c;
	c->asking = true;
	free(hdr);
	free(url);
}

static void
who_done(struct xfer *x, CURLcode rc)
{
	struct cstate *c = x->c;
	json_t *j = NULL;
	const char *app, *type;
	char num[16];
	long status = 0;
	unsigned delay;

	c->asking = false;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK)
		j = json_loadb(x->in.p, x->in.len, 0, NULL);
	app = json_string_value(json_object_get(j, "app"));
	type = json_string_value(json_object_get(j, "type"));
	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(j, "num")));
	if (app && type && good_name(app, 64) && good_name(type, 63) && num[0] != '0') {
		logs_attach(c, app, type, num);
		json_decref(j);
		return;
	}
	json_decref(j);
	if (status == 404 && ++c->tries >= WHO_TRIES) {
		c->foreign = true;
		log_warn("container %s: not one the platform made; its output is nobody's log", c->id);
		return;
	}
	if (status != 404 && c->tries == 0)
		log_warn("container %s: cannot ask the controller whose it is: %s", c->id,
		    status ? "bad answer" : x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	/* not recorded yet (too new), or the controller away: ask again */
	delay = status == 404 ? 250u << c->tries : 5000;
	if (!g->stopping)
		ev_timer(g->ev, delay, who_again, xstrdup(c->id));
}

/* labels: a JSON object holding sh.deis.platform and (without a controller) app, type, num. */
/* started: from a start event (a new chance for a container Docker refused to stream). */
static void
attach(const char *id, json_t *labels, bool started)
{
	const char *app = json_string_value(json_object_get(labels, "sh.deis.app"));
	const char *type = json_string_value(json_object_get(labels, "sh.deis.type"));
	const char *num = json_string_value(json_object_get(labels, "sh.deis.num"));
	const char *platform = getenv("DEIS_PLATFORM");
	/* Several platforms may share an engine: only ours (sh.deis.platform). */
	const char *ours = json_string_value(json_object_get(labels, "sh.deis.platform"));
	struct cstate *c;

	if (app == NULL)
		return;
	if (platform && *platform && (ours == NULL || strcmp(ours, platform) != 0))
		return;
	c = cstate_get(g, id, true);
	if (c == NULL || c->attached || c->asking || c->foreign || (c->refused && !started))
		return;
	if (g->controller) {
		who_ask(c);
		return;
	}
	if (type == NULL || num == NULL || !good_name(app, 64) || !good_name(type, 63) ||
	    !good_name(num, 16)) {
		log_warn("container %s: bad sh.deis labels, not attached", id);
		return;
	}
	logs_attach(c, app, type, num);
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
			struct cstate *c = cstate_get(g, id, false);

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
			attach(id, json_object_get(ct, "Labels"), false);
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
	xfer_new(X_LIST, path, body_write);
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
			if (msg->data.result == CURLE_HTTP_RETURNED_ERROR)
				x->c->refused = true;	/* e.g. a log driver that cannot be read */
			else if (msg->data.result != CURLE_OK && !g->stopping && !list_timer)
				list_timer = ev_timer(g->ev, 1000, list_start, NULL);
			break;
		case X_LIST:
			if (msg->data.result == CURLE_OK)
				list_done(x);
			else
				log_warn("docker container list failed: %s", x->errbuf);
			break;
		case X_WHO:
			who_done(x, msg->data.result);
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
		if (x->kind == X_WHO)
			x->c->asking = false;
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
