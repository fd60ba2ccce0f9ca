#ifndef LIB_HTTPD_H
#define LIB_HTTPD_H
/*
 * A small HTTP/1.1 server on lib/ev.h and lib/http1.h, for the controller and
 * the logger (the router has its own proxy path). Requests are read whole
 * (head + body, bounded by max_body) and handed to one handler, in the loop's
 * thread. A handler either responds at once, or keeps the request and responds
 * later from the same thread (work done elsewhere reports back via ev_wake), or
 * starts a chunked stream it writes to until it ends it or the client goes.
 *
 * Ownership: struct httpd_req belongs to the server. It stays valid from the
 * handler call until the handler's side has finished it (httpd_respond or
 * httpd_stream_end), even if the client disconnects meanwhile: then writes are
 * dropped and the close callback, if set, has been called once.
 */
#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/http1.h"
#include "lib/str.h"

struct ev;
struct err;
struct httpd;
struct httpd_conn;

struct httpd_req {
	struct http1_request head;	/* points into the connection's buffer */
	struct str path;		/* target before '?', still percent-encoded */
	struct str query;		/* after '?', without it; empty if none */
	struct buf body;		/* decoded body (chunked or not) */
	char peer[64];			/* "ip:port" of the client */
	void *data;			/* for the handler */
	/* private */
	struct httpd_conn *conn;
	bool streaming, finished;
	void (*on_close)(struct httpd_req *req, void *arg);
	void *on_close_arg;
};

typedef void httpd_handler_fn(struct httpd_req *req, void *arg);

struct httpd_opts {
	size_t max_body;		/* 413 beyond this; default 1 MiB */
	unsigned header_timeout_ms;	/* default 10000 */
	unsigned idle_timeout_ms;	/* keep-alive idle; default 60000 */
	int maxconns;			/* default 4096 */
};

/* The server runs on ev; free with httpd_free() (closes listeners and connections). */
struct httpd *httpd_new(struct ev *ev, httpd_handler_fn *fn, void *arg, const struct httpd_opts *o);
void httpd_free(struct httpd *h);
/*
 * Listen on "host:port" (IPv4/IPv6 literal or name; port 0 picks one) or
 * "unix:/path". Returns 0 or -1 with e set. The bound port is in *port if not NULL.
 */
int httpd_listen(struct httpd *h, const char *addr, int *port, struct err *e);

/*
 * Respond and finish req. headers: extra raw header lines, each ending in
 * "\r\n", or NULL. ctype may be NULL (no Content-Type). The reason phrase is
 * the upper-case Django one ("404 NOT FOUND").
 */
void httpd_respond(struct httpd_req *req, int status, const char *headers,
    const char *ctype, const void *body, size_t len);

/* Start a chunked response; then httpd_stream_write()... httpd_stream_end(). */
void httpd_stream_begin(struct httpd_req *req, int status, const char *headers, const char *ctype);
/* Returns 0, or -1 when the client is gone (stop writing; still call _end). */
int httpd_stream_write(struct httpd_req *req, const void *data, size_t len);
/* Bytes queued for the client and not yet written (to bound what a slow reader costs). */
size_t httpd_stream_pending(struct httpd_req *req);
void httpd_stream_end(struct httpd_req *req);

/*
 * Answer req with 101 (Connection: Upgrade, Upgrade: protocol) and hand its
 * connection over: returns the socket, now the caller's to read, write and
 * close (blocking, close-on-exec, out of the loop), and appends to pending
 * what the client sent after the request. req is finished either way; -1
 * when the client is gone (nothing to close). Check that the request asked
 * for protocol (its head's upgrade and the Upgrade header) first.
 */
int httpd_upgrade(struct httpd_req *req, const char *protocol, struct buf *pending);

/* Called once if the client disconnects before req is finished. */
void httpd_on_close(struct httpd_req *req, void (*fn)(struct httpd_req *, void *), void *arg);

/* Value of query parameter name (decoded into out); returns 0 or -1 if absent. */
int httpd_query(const struct httpd_req *req, const char *name, struct buf *out);
/* Percent-decode s into out (appends); returns 0 or -1 on bad escapes or NUL. */
int httpd_unescape(struct str s, struct buf *out);
/* A request header value, or an empty str with p == NULL. */
struct str httpd_header(const struct httpd_req *req, const char *name);

#endif
