/*
 * The logger's HTTP API (docs/internal-api.md, "Logger"), on lib/httpd.h:
 *
 *   GET    /<app>?log_lines=N[&follow=true]   last N lines (default 100), 204 if none;
 *                                             with follow, then new lines, chunked
 *   DELETE /<app>/                            204, the app's logs are gone
 *   GET    /_stats                            counters, JSON
 *   GET    /healthz                           200 "OK"
 *
 * As in Deis, a missing or invalid log_lines means 100 (at most 1,000,000 and
 * 64 MiB read from files). "healthz" and names starting with '_' are not apps.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/ev.h"
#include "lib/httpd.h"
#include "lib/log.h"
#include "logger/logger.h"

#define DEFAULT_LINES 100
#define MAX_LINES 1000000

static const char text_plain[] = "text/plain; charset=utf-8";

static void
respond_text(struct httpd_req *req, int status, const char *msg)
{
	httpd_respond(req, status, NULL, text_plain, msg, strlen(msg));
}

static size_t
query_lines(struct httpd_req *req)
{
	struct buf v = BUF_INIT;
	unsigned long long n;
	size_t lines = DEFAULT_LINES;

	if (httpd_query(req, "log_lines", &v) == 0 &&
	    str_to_u64(str_make(v.p, v.len), MAX_LINES, &n) == 0 && n > 0)
		lines = (size_t)n;
	buf_release(&v);
	return lines;
}

static bool
query_follow(struct httpd_req *req)
{
	struct buf v = BUF_INIT;
	bool on = false;

	if (httpd_query(req, "follow", &v) == 0)
		on = !strcmp(v.p, "true") || !strcmp(v.p, "1") || !strcmp(v.p, "yes");
	buf_release(&v);
	return on;
}

static void
follow_closed(struct httpd_req *req, void *arg)
{
	struct logger *lg = arg;

	store_unfollow(lg->store, req);
	httpd_stream_end(req);
}

void
http_stats(struct logger *lg, struct buf *out)
{
	size_t apps, tail;

	store_stats(lg->store, &apps, &tail);
	buf_addf(out, "{\"received\":%llu,\"stored\":%llu,\"malformed\":%llu,\"unfiled\":%llu,"
	    "\"connections\":%llu,\"connections_refused\":%llu,\"unauthenticated\":%llu,"
	    "\"write_errors\":%llu,"
	    "\"follow_dropped\":%llu,\"apps_in_memory\":%zu,\"tail_bytes\":%zu,\"drains\":",
	    (unsigned long long)lg->st.received, (unsigned long long)lg->st.stored,
	    (unsigned long long)lg->st.malformed, (unsigned long long)lg->st.unfiled,
	    (unsigned long long)lg->st.conns, (unsigned long long)lg->st.conns_refused,
	    (unsigned long long)lg->st.unauthenticated, (unsigned long long)lg->st.write_errors,
	    (unsigned long long)lg->st.follow_dropped,
	    apps, tail);
	drain_stats(lg, out);
	buf_addstr(out, "}\n");
}

static void
handle(struct httpd_req *req, void *arg)
{
	struct logger *lg = arg;
	struct buf name = BUF_INIT, body = BUF_INIT;
	struct str path = req->path, method = req->head.method;

	if (path.len && path.p[0] == '/')
		path.p++, path.len--;
	if (path.len && path.p[path.len - 1] == '/')
		path.len--;
	if (str_eqs(path, "_stats") && str_eqs(method, "GET")) {
		http_stats(lg, &body);
		httpd_respond(req, 200, NULL, "application/json", body.p, body.len);
		goto out;
	}
	if (str_eqs(path, "healthz") || path.len == 0) {
		respond_text(req, 200, "OK\n");
		goto out;
	}
	if (httpd_unescape(path, &name) < 0 || !logger_valid_app(str_make(name.p, name.len))) {
		respond_text(req, 404, "no such app\n");
		goto out;
	}
	if (str_eqs(method, "DELETE")) {
		store_delete(lg->store, str_make(name.p, name.len));
		log_info("logs of '%s' deleted", name.p);
		httpd_respond(req, 204, NULL, NULL, NULL, 0);
	} else if (str_eqs(method, "GET") || str_eqs(method, "HEAD")) {
		size_t n = query_lines(req);

		store_flush(lg->store);
		store_tail(lg->store, str_make(name.p, name.len), n, &body);
		if (query_follow(req)) {
			httpd_stream_begin(req, 200, "Cache-Control: no-cache\r\n", text_plain);
			httpd_stream_write(req, body.p, body.len);
			store_follow(lg->store, str_make(name.p, name.len), req);
			httpd_on_close(req, follow_closed, lg);
		} else if (body.len == 0) {
			httpd_respond(req, 204, NULL, NULL, NULL, 0);
		} else {
			httpd_respond(req, 200, NULL, text_plain, body.p, body.len);
		}
	} else {
		httpd_respond(req, 405, "Allow: GET, DELETE\r\n", text_plain, "method not allowed\n", 19);
	}
out:
	buf_release(&name);
	buf_release(&body);
}

int
http_start(struct logger *lg, const char *addr, struct err *e)
{
	struct httpd_opts o = { 0 };

	o.max_body = 4096;
	lg->httpd = httpd_new(lg->ev, handle, lg, &o);
	return httpd_listen(lg->httpd, addr, NULL, e);
}
