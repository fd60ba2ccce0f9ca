#ifndef CONTROLLER_CONTROLLER_H
#define CONTROLLER_CONTROLLER_H
/*
 * The controller: the Deis API 1.7 (shared/reference/deis-v1.md §2) plus the
 * internal endpoints of docs/internal-api.md. One event-loop thread serves HTTP
 * and owns `db`; scheduler work runs on worker threads (jobs.c) and reports back
 * to the loop, so a deploy never holds the loop.
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/httpd.h"
#include "controller/scheduler/scheduler.h"

#define DEIS_API_VERSION "1.7"
#define DEIS_PLATFORM_VERSION "1.13.4"

struct ev;
struct db;
struct jobs;

struct ctl {
	struct ev *ev;
	struct httpd *httpd;
	struct db *db;			/* the loop thread's connection */
	char *db_url;			/* workers open their own */
	char *domain;			/* platform domain: apps at <app>.<domain> */
	char *registry;			/* "127.0.0.1:5000" or NULL */
	char *logger_url;		/* "http://127.0.0.1:8088" or NULL */
	char *logger_syslog;		/* "127.0.0.1:514" for app events, or NULL */
	char builder_key[129];
	char internal_token[129];
	struct sched *sched;		/* NULL: no scheduler (API-only tests) */
	struct jobs *jobs;
	uint32_t deny_net, deny_mask;	/* IPv4 clients refused (the apps' network); mask 0: none */
	uint32_t apps_net, apps_mask;	/* ... and the pool of the networks per app; mask 0: none */
	struct cidr *trusted;		/* peers whose X-Forwarded-For is believed (the routers) */
	long long token_lifetime;	/* seconds a token is good for after its login; 0: forever */
	/* quotas an administrator sets (administrators are not held to them); 0: none, as Deis */
	long long quota_apps;		/* apps a user may own */
	long long quota_containers;	/* containers an app may run (all its types) */
	long long quota_memory;		/* bytes: memory limit of one container */
	size_t ntrusted;
	uint32_t deny_except;		/* ... but this address of it (its gateway: the host) */
	uint64_t routes_version;	/* bumped on every change routers care about */
	struct watch *watchers;		/* route watchers (routes.c) */
	/*
	 * Deis's rule, the first registrant becomes an administrator, as the
	 * operator's explicit choice (--first-user-admin); off, administrators
	 * come from `create-admin` (the local channel) or another administrator.
	 */
	bool first_user_admin;
};

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
/*
 * An app's list endpoint: app_load() (any user of the app), then sql with $1 =
 * the app id, rendered with api_rows(). Answers in every case.
 */
void api_app_rows(struct api *a, const char *sql, api_row_fn *row);

/* Time in the Deis model format "2014-01-01T00:00:00UTC" from our stored form. */
json_t *api_time(const char *stored);

/* app.c: apps and permission checks. */
struct app {
	char uuid[37];
	char id[65];
	char owner[64];
	long long owner_id;
	json_t *structure;
	char created[32], updated[32];
};
/*
 * Load the app named by a->seg[0] and check that the user may use it (owner,
 * collaborator or admin). Responds 404/403 and returns -1 otherwise. With
 * owner_only, collaborators get 403.
 */
int app_load(struct api *a, struct app *app, bool owner_only);
void app_release(struct app *app);
json_t *app_json(struct ctl *ctl, const struct app *app);


/* logs_follow.c: stream the logger's follow stream (GET .../logs?follow=true). */
void logs_follow(struct api *a, long lines);

/* reconcile.c: at start, make what runs match the stored releases (jobs). */
void ctl_reconcile(struct ctl *ctl);

/*
 * scheduled.c: the record of the units the scheduler created. Before
 * sched_start(): tell the scheduler every recorded id and set its own
 * callback; after: adopt a running platform on the first start with the
 * record (an upgrade) and drop rows of units the engine no longer has.
 */
int ctl_scheduled_load(struct ctl *ctl, struct err *e);
int ctl_scheduled_settle(struct ctl *ctl, struct err *e);

#endif
