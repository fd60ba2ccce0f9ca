#ifndef CONTROLLER_ROUTES_H
#define CONTROLLER_ROUTES_H
/*
 * The route table (routes.c): what every router serves, rendered from the
 * database (apps, domains, whitelists, endpoints, certificates) and pushed
 * whole to the routers that watch it (GET /v1/internal/routes) whenever it
 * changes. Loop thread, except routes_switch().
 */
#include <stdbool.h>

#include <jansson.h>

#include "lib/err.h"

struct api;
struct ctl;

/* An endpoint not reported again within this many seconds leaves the table (swept every second). */
#define ROUTES_ENDPOINT_TTL_S 12

/*
 * The table as one JSON line (with ctl->routes_version), or NULL after a
 * database error (logged). Caller frees.
 */
char *routes_render(struct ctl *ctl);
/*
 * Something routers care about changed (an app, domain, certificate,
 * endpoint or whitelist): bump ctl->routes_version and send the table to
 * every watcher.
 */
void routes_changed(struct ctl *ctl);
/*
 * Make the request a watcher: a 200 ndjson stream that starts with table
 * (borrowed) and gets every new table, and a heartbeat (an empty line) every
 * 15 s. a stays alive until the client goes (or stops reading: closed past
 * 8 MiB pending); the watcher list owns it then. Also starts the expiry of
 * endpoints not refreshed within ROUTES_ENDPOINT_TTL_S.
 */
void routes_watch(struct api *a, const char *table);
/*
 * A publisher's report of the endpoints on host (a JSON array of objects
 * with container, app, release, type, num, addr and optional name; borrowed):
 * replaces the host's endpoints with those the scheduler made (others are
 * skipped, logged once per container; one of the app's newest release, or
 * the next, is held until the scheduler sees its container: routes_pending),
 * keeps only each app's newest release,
 * and pushes the table when it changed. 0; or -1 with nothing changed and
 * *malformed set when an endpoint lacks a field, else e filled (database).
 */
int routes_report(struct ctl *ctl, const char *host, json_t *eps, bool *malformed,
    struct err *e);
/*
 * The scheduler's on_switch hook (a deploy's worker thread; arg is the ctl):
 * route the new release's web/cmd containers the scheduler found healthy
 * (where publishers report), wait (15 s at most) until all are in the table,
 * drop the old endpoints, push the table (on the loop) and give routers
 * 150 ms to apply it.
 */
void routes_switch(const char *app, unsigned release, void *arg);
/*
 * Loop thread: drop the endpoints of containers the scheduler has seen die or
 * removed, at once rather than at their publisher's next report, and push the
 * table when that changed it.
 */
void routes_prune(struct ctl *ctl);

/*
 * routes_pending.c. Hold the endpoint a publisher reported for a container
 * the scheduler does not know yet, when its release is the app's newest or
 * the next (any, for an app with no unit): true when held (arguments copied).
 */
bool routes_pending_add(struct ctl *ctl, const char *host, const char *container,
    const char *name, const char *app, unsigned release, const char *type, unsigned num,
    const char *addr);
/*
 * Loop thread (on a unit seen running, and every second): route the held
 * endpoints whose container the scheduler now has running (as of their
 * report), drop (and log) those older than ROUTES_ENDPOINT_TTL_S, push the
 * table when it changed.
 */
void routes_pending(struct ctl *ctl);

#endif
