#ifndef CONTROLLER_API_H
#define CONTROLLER_API_H
/*
 * The API's request context and the helpers every handler answers with
 * (api.c): dispatch through the route table, authentication (user tokens,
 * the builder key, the internal token), the Deis version headers, JSON
 * answers and pagination. Loop thread.
 */
#include <stdbool.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/httpd.h"

struct ctl;

/* The authenticated principal of a request. */
struct user {
	long long id;
	char username[64];
	bool is_superuser;
	char token_hash[65];	/* of the token this request came with */
};

/* Per-request API context; lives until the response is sent. */
struct api {
	struct ctl *ctl;
	struct httpd_req *r;
	struct user user;		/* valid when authed */
	bool authed;
	json_t *body;			/* parsed JSON object body, or NULL */
	char *seg[8];			/* decoded path segments matched by '*' in the route */
	int nseg;
	struct buf hdrs;		/* extra response headers */
	char client_ip[64];		/* api_client_ip's answer, once asked */
};

typedef void api_fn(struct api *a);

/*
 * api.c: dispatch and response helpers. Each responder finishes the request
 * and frees a: after calling one, never touch a (or a->ctl through it) again.
 */
void api_handle(struct httpd_req *r, void *arg);
void api_json(struct api *a, int status, json_t *body);	/* steals body; NULL = empty */
void api_detail(struct api *a, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void api_field_error(struct api *a, const char *field, const char *msg);
void api_text(struct api *a, int status, const char *ctype, const char *text, size_t len);
/* A database error: logged, then 500 (or 400 "This field must be unique." for field). */
void api_db_error(struct api *a, const struct err *e, const char *unique_field);
void api_free(struct api *a);
/*
 * The client's address ("1.2.3.4", "::1"): the last X-Forwarded-For entry
 * when the peer is a trusted proxy (--trusted-proxies: the routers), else the
 * peer's. Valid until a is freed.
 */
const char *api_client_ip(struct api *a);
/* Start a 200 chunked stream with the standard headers; a stays alive (free it after httpd_stream_end). */
void api_stream_begin(struct api *a, const char *ctype);

/* Body accessors: return NULL / -1 (after responding 400) on a wrong type. */
const char *api_body_str(struct api *a, const char *key, bool required);

/* Paginate rows already rendered as a JSON array (steals results). */
void api_paginated(struct api *a, json_t *results);
/*
 * The usual list endpoint: res (a query's result, or NULL after an error in
 * e) rendered row by row with row() and paginated. Frees res; answers.
 */
struct db_res;
typedef json_t *api_row_fn(const struct db_res *res, int i);
void api_rows(struct api *a, struct db_res *res, const struct err *e, api_row_fn *row);

/* Time in the Deis model format "2014-01-01T00:00:00UTC" from our stored form. */
json_t *api_time(const char *stored);

#endif
