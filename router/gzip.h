#ifndef ROUTER_GZIP_H
#define ROUTER_GZIP_H
/*
 * Response compression (Deis's router "gzip" settings, nginx's gzip module):
 * the configuration, the decision whether an exchange's response is
 * compressed, and the streaming deflate itself. Knows nothing of connections:
 * router/exchange.c and router/relay.c ask, router/relay.c feeds it, so the unit tests can link it alone.
 *
 * The decision comes in two halves because the request head is gone by the
 * time the response head arrives: gzip_request() at the request, then
 * gzip_response() with its answer at the response.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/http1.h"
#include "lib/str.h"

#define GZIP_MAX_TYPES 64

enum gzip_disable { GZIP_DISABLE_NONE, GZIP_DISABLE_MSIE6, GZIP_DISABLE_REGEX };

struct gzip_conf {
	bool on;			/* --gzip (default on, as Deis) */
	int level;			/* --gzip-level 1..9 (5) */
	uint64_t min_length;		/* --gzip-min-length (256) */
	struct str types[GZIP_MAX_TYPES];	/* --gzip-types, plus text/html */
	size_t ntypes;
	bool any_type;			/* "*" in --gzip-types */
	enum gzip_disable disable;	/* --gzip-disable (msie6) */
	regex_t disable_re;
	int http_minor;			/* --gzip-http-version 1.0|1.1: minimum minor (1) */
	bool proxied_any;		/* --gzip-proxied any|off (any) */
	bool vary;			/* --gzip-vary (on) */
};
/* Read-only after gzip_conf_set()/gzip_conf_finish() at startup. */
extern struct gzip_conf gzip_conf;

/*
 * Apply one command-line flag ("--gzip-level", "5"). Returns 1 when it was a
 * gzip flag and its value is good, 0 when flag is not a gzip flag, -1 with why
 * filled on a bad value. The value must outlive the process (argv).
 */
int gzip_conf_set(const char *flag, const char *value, char *why, size_t whylen);
/* Fill in the default type list when --gzip-types was not given. */
void gzip_conf_finish(void);

/* Whether an Accept-Encoding value admits gzip (q-values; "*" counts). */
bool gzip_accepts(struct str accept_encoding);
/* Whether a Content-Type value (parameters ignored, any case) is in the list. */
bool gzip_type_ok(struct str content_type);
/* Whether --gzip-disable matches this User-Agent. */
bool gzip_ua_disabled(struct str user_agent);

/* What the request side allows (kept in the exchange until its response). */
enum gzip_req {
	GZIP_REQ_NO,		/* never: gzip off, HEAD, an upgrade */
	GZIP_REQ_VARY,		/* the client does not take gzip: at most Vary */
	GZIP_REQ_YES,		/* the client takes gzip */
};
enum gzip_req gzip_request(const struct http1_request *req);

enum gzip_mode {
	GZIP_NONE,		/* relay as is */
	GZIP_VARY,		/* as is, plus Vary: Accept-Encoding */
	GZIP_COMPRESS,		/* compress (and Vary when --gzip-vary) */
};
enum gzip_mode gzip_response(enum gzip_req rq, const struct http1_response *res);

/* One compressed response body. */
struct gzip;
/* A deflate stream at gzip_conf.level (gzip wrapper). Free with gzip_free(). */
struct gzip *gzip_new(void);
/*
 * Compress n bytes and append the output to out. last: finish the stream
 * (trailer). Otherwise what was given is flushed (Z_SYNC_FLUSH) so a streamed
 * response reaches the client as it comes. Returns 0 or -1 (zlib failed).
 */
int gzip_write(struct gzip *g, const char *p, size_t n, bool last, struct buf *out);
void gzip_free(struct gzip *g);

#endif
