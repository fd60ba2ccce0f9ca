#ifndef CONTROLLER_CONTROLLER_H
#define CONTROLLER_CONTROLLER_H
/*
 * The controller: the Deis API 1.7 (shared/reference/deis-v1.md §2) plus the
 * internal endpoints of docs/internal-api.md. One event-loop thread serves HTTP
 * and owns `db`; scheduler work runs on worker threads (jobs.c) and reports back
 * to the loop, so a deploy never holds the loop.
 *
 * This header: the process's state (struct ctl, made by main.c) and what
 * main.c starts. Each part's header says what it offers: api.h (requests),
 * app.h, handlers.h (the endpoints), builds.h, release.h (and deploy.c),
 * routes.h, events.h, secrets.h, jobs.h, admin.h, validate.h, db.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define DEIS_API_VERSION "1.7"
#define DEIS_PLATFORM_VERSION "1.13.4"

struct cidr;
struct db;
struct ev;
struct httpd;
struct jobs;
struct sched;
struct watch;

struct ctl {
	struct ev *ev;
	struct httpd *httpd;
	struct db *db;			/* the loop thread's connection */
	char *db_url;			/* workers open their own */
	char *domain;			/* platform domain: apps at <app>.<domain> */
	char *registry;			/* "127.0.0.1:5000" or NULL */
	char *logger_url;		/* "http://127.0.0.1:8088" or NULL */
	char *logger_syslog;		/* "127.0.0.1:514" for app events, or NULL */
	char *logger_key;		/* $DEIS_LOGGER_KEY: sent first on each connection, or NULL */
	char builder_key[129];
	char internal_token[129];
	struct sched *sched;		/* NULL: no scheduler (API-only tests) */
	struct jobs *jobs;
	uint32_t deny_net, deny_mask;	/* IPv4 clients refused (the apps' network); mask 0: none */
	uint32_t apps_net, apps_mask;	/* ... and the pool of the networks per app; mask 0: none */
	struct cidr *trusted;		/* peers whose X-Forwarded-For is believed (the routers) */
	long long last_report;		/* time(NULL) of a publisher's last report (__atomic) */
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

/* reconcile.c: at start, make what runs match the stored releases (jobs). */
void reconcile_start(struct ctl *ctl);
/* Every second, units stopped behind the platform's back start again (reconcile.c). */
void heal_start(struct ctl *ctl);

/*
 * scheduled.c: the record of the units the scheduler created. Before
 * sched_start(): tell the scheduler every recorded id and set its own
 * callback; after: adopt a running platform on the first start with the
 * record (an upgrade) and drop rows of units the engine no longer has.
 */
int scheduled_load(struct ctl *ctl, struct err *e);
int scheduled_settle(struct ctl *ctl, struct err *e);

#endif
