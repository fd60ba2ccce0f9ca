/*
 * The route table: what every router serves (apps with their domains,
 * whitelists and endpoints; certificates), rendered whole from the database
 * and pushed to every watching router when it changes (the table is small,
 * and one mechanism beats deltas that can drift). Endpoints come from the
 * publishers' reports and expire when not refreshed.
 *
 * Route switch during a deploy (the scheduler's on_switch hook, on the
 * deploy's worker thread, once the scheduler found the new containers
 * healthy): route the new release's web/cmd containers at the addresses the
 * scheduler probed (their publisher's next report takes the rows over), then
 * drop the old release's endpoints and push the table to the routers, before
 * the scheduler stops the old containers. So every request finds a live
 * endpoint: Deis's 502/404 window (its issues #2490, #4600) does not happen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/api.h"
#include "controller/controller.h"
#include "controller/db.h"
#include "controller/jobs.h"
#include "controller/routes.h"
#include "controller/scheduler/scheduler.h"
#include "lib/buf.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/*
 * An endpoint its publisher stopped reporting (its node cut off, its engine
 * dead) leaves the table ENDPOINT_TTL_S after the last report, found by a
 * sweep every EXPIRY_SWEEP_MS: at most 13 s after the node is lost. A
 * publisher reports every 3 s (at most every 4 s: deis-publisher --interval),
 * so three reports in a row may be late or lost before a live one expires.
 */
#define ENDPOINT_TTL_S ROUTES_ENDPOINT_TTL_S
#define EXPIRY_SWEEP_MS 1000
#define HEARTBEAT_MS 15000
#define WATCH_MAX_PENDING (8 * 1024 * 1024)
#define SWITCH_WAIT_MS 15000
#define ROUTER_APPLY_MS 150

struct watch {
	struct api *a;
	struct watch *next;
	bool gone;
};

static uint64_t heartbeat_timer, expiry_timer;
static time_t expiry_since;	/* when this controller began expiring endpoints */

/* The route table as one JSON line, or NULL on a database error (logged). */
char *
routes_render(struct ctl *ctl)
{
	struct err e = { 0 };
	struct db_res *apps, *doms, *eps, *certs;
	json_t *t, *japps, *jcerts;
	char *s = NULL;
	int i;

	apps = db_query(ctl->db, "SELECT a.id, (SELECT c.vals FROM releases r JOIN configs c ON "
	    "c.uuid = r.config WHERE r.app = a.id ORDER BY r.version DESC LIMIT 1) FROM apps a "
	    "ORDER BY a.id", 0, NULL, &e);
	doms = apps ? db_query(ctl->db, "SELECT app, domain FROM domains ORDER BY domain", 0, NULL,
	    &e) : NULL;
	eps = doms ? db_query(ctl->db, "SELECT app, addr, container, release FROM endpoints "
	    "WHERE type IN ('web', 'cmd') ORDER BY app, release, num", 0, NULL, &e) : NULL;
	certs = eps ? db_query(ctl->db, "SELECT common_name, certificate, key FROM certs", 0, NULL,
	    &e) : NULL;
	if (certs == NULL) {
		log_error("cannot build the route table: %s", e.msg);
		goto out;
	}
	japps = json_object();
	for (i = 0; i < db_res_nrows(apps); i++) {
		/* no "timeout": the router's own first-byte timeout (deisctl's
		 * defaultTimeout, Deis's router setting) is then the app's */
		json_t *app = json_pack("{s:[],s:[],s:[]}", "domains", "endpoints", "whitelist");
		json_t *vals = db_res_get(apps, i, 1) ? json_loads(db_res_get(apps, i, 1), 0, NULL) : NULL;
		json_t *wl = vals ? json_object_get(vals, "DEIS_WHITELIST") : NULL;

		if (wl && json_is_string(wl)) {
			char *copy = xstrdup(json_string_value(wl)), *tok, *save = NULL;

			for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
				tok[strcspn(tok, ":")] = '\0';	/* "ip_or_cidr[:label]" */
				json_array_append_new(json_object_get(app, "whitelist"), json_string(tok));
			}
			free(copy);
		}
		if (vals)
			json_decref(vals);
		json_object_set_new(japps, db_res_get(apps, i, 0), app);
	}
	for (i = 0; i < db_res_nrows(doms); i++) {
		json_t *app = json_object_get(japps, db_res_get(doms, i, 0));

		if (app)
			json_array_append_new(json_object_get(app, "domains"),
			    json_string(db_res_get(doms, i, 1)));
	}
	for (i = 0; i < db_res_nrows(eps); i++) {
		json_t *app = json_object_get(japps, db_res_get(eps, i, 0));

		if (app)
			json_array_append_new(json_object_get(app, "endpoints"),
			    json_pack("{s:s,s:s,s:I}", "addr", db_res_get(eps, i, 1),
			    "container", db_res_get(eps, i, 2), "release",
			    (json_int_t)db_res_getll(eps, i, 3, 0)));
	}
	jcerts = json_object();
	for (i = 0; i < db_res_nrows(certs); i++)
		json_object_set_new(jcerts, db_res_get(certs, i, 0), json_pack("{s:s,s:s}",
		    "cert", db_res_get(certs, i, 1), "key", db_res_get(certs, i, 2)));
	t = json_pack("{s:I,s:s,s:o,s:o}", "version", (json_int_t)ctl->routes_version,
	    "domain", ctl->domain, "apps", japps, "certs", jcerts);
	if (getenv("DEIS_CONTROLLER_ADDR"))
		json_object_set_new(t, "controller", json_pack("[s]", getenv("DEIS_CONTROLLER_ADDR")));
	if (getenv("DEIS_BUILDER_ADDR"))
		json_object_set_new(t, "builder", json_string(getenv("DEIS_BUILDER_ADDR")));
	s = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(t);
out:
	db_res_free(apps);
	db_res_free(doms);
	db_res_free(eps);
	db_res_free(certs);
	return s;
}

static void
watch_send(struct watch *w, const char *line)
{
	if (w->gone)
		return;
	if (httpd_stream_pending(w->a->r) > WATCH_MAX_PENDING) {
		/* A router that does not read: drop it; it reconnects and gets the table. */
		log_warn("route watcher %s is not reading; closing it", w->a->r->peer);
		w->gone = true;
		httpd_stream_end(w->a->r);
		return;
	}
	if (httpd_stream_write(w->a->r, line, strlen(line)) < 0 ||
	    httpd_stream_write(w->a->r, "\n", 1) < 0)
		w->gone = true;
}

/* Drop watchers whose client went away; their api is freed here. */
static void
watch_reap(struct ctl *ctl)
{
	struct watch **pp = &ctl->watchers, *w;

	while ((w = *pp) != NULL) {
		if (w->gone) {
			*pp = w->next;
			httpd_stream_end(w->a->r);
			api_free(w->a);
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

void
routes_changed(struct ctl *ctl)
{
	struct watch *w;
	char *line;

	ctl->routes_version++;
	if (ctl->watchers == NULL)
		return;
	line = routes_render(ctl);
	if (line == NULL)
		return;
	for (w = ctl->watchers; w; w = w->next)
		watch_send(w, line);
	free(line);
	watch_reap(ctl);
}

static void
watch_closed(struct httpd_req *r, void *arg)
{
	struct watch *w = arg;

	w->gone = true;
}

static void
heartbeat(struct ev *ev, void *arg)
{
	struct ctl *ctl = arg;
	struct watch *w;

	for (w = ctl->watchers; w; w = w->next)
		if (!w->gone && httpd_stream_write(w->a->r, "\n", 1) < 0)
			w->gone = true;
	watch_reap(ctl);
	heartbeat_timer = ctl->watchers ? ev_timer(ev, HEARTBEAT_MS, heartbeat, ctl) : 0;
}

/*
 * Endpoints not refreshed by their publisher within the TTL are dropped. The
 * TTL counts from this controller's start too: after an outage of the control
 * plane every stored endpoint is older than the TTL, and the publishers need
 * a period to report again; dropping them at the first pass would take every
 * app out of the routers' tables that a publisher had not yet reached.
 */
static void
expire_endpoints(struct ev *ev, void *arg)
{
	struct ctl *ctl = arg;
	struct err e = { 0 };
	char cutoff[DB_TIME_LEN];
	time_t t = time(NULL) - ENDPOINT_TTL_S;
	struct tm tm;
	int n;

	expiry_timer = ev_timer(ev, EXPIRY_SWEEP_MS, expire_endpoints, ctl);
	routes_pending(ctl);
	if (t < expiry_since)
		return;
	gmtime_r(&t, &tm);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
	n = db_execp(ctl->db, &e, "DELETE FROM endpoints WHERE updated < $1", cutoff);
	if (n < 0)
		log_error("cannot expire endpoints: %s", e.msg);
	else if (n > 0) {
		log_info("%d endpoint(s) expired", n);
		routes_changed(ctl);
	}
}

static void
expiry_start(struct ctl *ctl)
{
	if (!expiry_timer) {
		if (!expiry_since)
			expiry_since = time(NULL);
		expiry_timer = ev_timer(ctl->ev, EXPIRY_SWEEP_MS, expire_endpoints, ctl);
	}
}

void
routes_watch(struct api *a, const char *table)
{
	struct ctl *ctl = a->ctl;
	struct watch *w = xcalloc(1, sizeof(*w));

	w->a = a;
	buf_addstr(&a->hdrs, "Cache-Control: no-store\r\n");
	api_stream_begin(a, "application/x-ndjson");
	httpd_on_close(a->r, watch_closed, w);
	w->next = ctl->watchers;
	ctl->watchers = w;
	watch_send(w, table);
	if (!heartbeat_timer)
		heartbeat_timer = ev_timer(ctl->ev, HEARTBEAT_MS, heartbeat, ctl);
	expiry_start(ctl);
	watch_reap(ctl);
}

/* The whole endpoint table as one string, to tell whether a report changed it. */
static char *
endpoints_signature(struct db *db, struct err *e)
{
	struct db_res *res = db_query(db, "SELECT container, addr FROM endpoints ORDER BY container",
	    0, NULL, e);
	struct buf sig = BUF_INIT;
	int i;

	if (res == NULL)
		return NULL;
	for (i = 0; i < db_res_nrows(res); i++)
		buf_addf(&sig, "%s=%s;", db_res_get(res, i, 0), db_res_get(res, i, 1));
	db_res_free(res);
	return buf_detach(&sig, NULL);
}

/*
 * Whether a reported endpoint is a container the scheduler made for that app,
 * release, type and num. A publisher reports what the engine shows with the
 * platform's labels, and labels are data anyone can write: a Dockerfile LABEL
 * reaches the build-step containers. Without a scheduler nothing is the
 * platform's. A refusal is logged once per container (they are reported every
 * 10 s).
 */
static bool
endpoint_trusted(struct ctl *ctl, const char *host, const char *container, const char *name,
    const char *app, json_int_t rel, const char *type, json_int_t num, const char *addr)
{
	static char warned[64][SCHED_ID_MAX];
	static unsigned next;
	struct sched_container c;
	unsigned i;

	if (ctl->sched && sched_find(ctl->sched, container, &c) == 0 && strcmp(c.app, app) == 0 &&
	    c.release == rel && strcmp(c.type, type) == 0 && c.num == num)
		return true;
	if (ctl->sched && sched_removed(ctl->sched, container))
		return false;	/* ours, being stopped: the report is late, nothing to say */
	/* a unit's new container the scheduler has not seen yet: held (routes_pending.c) */
	if (rel > 0 && rel <= 0x7fffffff && num > 0 && num <= 0x7fffffff &&
	    routes_pending_add(ctl, host, container, name, app, (unsigned)rel, type, (unsigned)num,
	    addr))
		return false;
	for (i = 0; i < 64; i++)
		if (strcmp(warned[i], container) == 0)
			return false;
	strlcpy(warned[next++ % 64], container, SCHED_ID_MAX);
	log_warn("endpoint of container %.64s not routed: the scheduler did not make it for "
	    "'%s' v%" JSON_INTEGER_FORMAT " %s.%" JSON_INTEGER_FORMAT, container, app, rel, type, num);
	return false;
}

int
routes_report(struct ctl *ctl, const char *host, json_t *eps, bool *malformed, struct err *e)
{
	json_t *ep;
	char now[DB_TIME_LEN], *old_set = NULL, *new_set = NULL;
	size_t i;

	*malformed = false;
	db_now(now);
	__atomic_store_n(&ctl->last_report, (long long)time(NULL), __ATOMIC_RELAXED);
	if (db_begin(ctl->db, e) < 0)
		return -1;
	if ((old_set = endpoints_signature(ctl->db, e)) == NULL)
		goto fail;
	if (db_execp(ctl->db, e, "DELETE FROM endpoints WHERE host = $1", host) < 0)
		goto fail;
	json_array_foreach(eps, i, ep) {
		const char *container = json_string_value(json_object_get(ep, "container"));
		const char *app = json_string_value(json_object_get(ep, "app"));
		const char *type = json_string_value(json_object_get(ep, "type"));
		const char *addr = json_string_value(json_object_get(ep, "addr"));
		const char *name = json_string_value(json_object_get(ep, "name"));
		json_t *rel = json_object_get(ep, "release"), *num = json_object_get(ep, "num");
		char rs[24], ns[24];

		if (!container || !app || !type || !addr || !json_is_integer(rel) ||
		    !json_is_integer(num) || strlen(addr) > 47 || strlen(container) > 64) {
			db_rollback(ctl->db);
			free(old_set);
			*malformed = true;
			return -1;
		}
		if (!endpoint_trusted(ctl, host, container, name, app, json_integer_value(rel), type,
		    json_integer_value(num), addr))
			continue;
		snprintf(rs, sizeof(rs), "%" JSON_INTEGER_FORMAT, json_integer_value(rel));
		snprintf(ns, sizeof(ns), "%" JSON_INTEGER_FORMAT, json_integer_value(num));
		if (db_execp(ctl->db, e, "INSERT INTO endpoints (container, host, name, app, release, "
		    "type, num, addr, updated) VALUES ($1, $2, $3, $4, CAST($5 AS INTEGER), $6, "
		    "CAST($7 AS INTEGER), $8, $9) ON CONFLICT (container) DO UPDATE SET host = $2, "
		    "addr = $8, updated = $9", container, host, name ? name : "", app, rs, type, ns,
		    addr, now) < 0)
			goto fail;
	}
	/*
	 * Only an app's newest release is routed (Deis's publisher rule): once a
	 * deploy has switched to it, a report that still lists the old
	 * containers (they are being stopped) does not bring them back.
	 */
	if (db_exec(ctl->db, "DELETE FROM endpoints WHERE release < (SELECT MAX(e2.release) FROM "
	    "endpoints e2 WHERE e2.app = endpoints.app)", 0, NULL, e) < 0)
		goto fail;
	if ((new_set = endpoints_signature(ctl->db, e)) == NULL)
		goto fail;
	if (db_commit(ctl->db, e) < 0)
		goto fail;
	if (strcmp(old_set, new_set) != 0)
		routes_changed(ctl);
	expiry_start(ctl);
	free(old_set);
	free(new_set);
	return 0;
fail:
	db_rollback(ctl->db);
	free(old_set);
	free(new_set);
	return -1;
}

void
routes_prune(struct ctl *ctl)
{
	struct err e = { 0 };
	struct db_res *res;
	struct sched_container c;
	int i, n = 0;

	if (ctl->sched == NULL || (res = db_query(ctl->db, "SELECT container FROM endpoints", 0,
	    NULL, &e)) == NULL)
		return;
	for (i = 0; i < db_res_nrows(res); i++) {
		const char *cid = db_res_get(res, i, 0);
		bool dead;

		if (sched_find(ctl->sched, cid, &c) == 0)
			dead = c.state == SCHED_CRASHED || c.state == SCHED_DOWN ||
			    c.state == SCHED_DESTROYED || c.state == SCHED_ERROR;
		else
			dead = sched_removed(ctl->sched, cid);
		if (dead && db_execp(ctl->db, &e, "DELETE FROM endpoints WHERE container = $1",
		    cid) > 0)
			n++;
	}
	db_res_free(res);
	if (n > 0) {
		log_info("%d endpoint(s) of stopped containers unrouted", n);
		routes_changed(ctl);
	}
}

/* ---- the switch during a deploy ---- */

static long long
count(struct db *db, const char *sql, const char *app, const char *rel)
{
	struct err e = { 0 };
	struct db_res *res = db_queryp(db, &e, sql, app, rel);
	long long n = res ? db_res_getll(res, 0, 0, 0) : -1;

	db_res_free(res);
	return n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * The scheduler has just found the release's web/cmd containers healthy
 * (their port answers, and HEALTHCHECK_URL when set), at the addresses it
 * probed: route them now rather than at their publisher's next report, which
 * takes the same rows over (same container, its host) and keeps them fresh.
 * One that dies before that report is dropped by the expiry, as any endpoint
 * not reported; the routers meanwhile try another endpoint on a refused
 * connect. A container whose engine id is not known yet is left to the
 * publisher.
 */
static void
route_healthy(struct db *db, const struct sched_container *cs, size_t n, unsigned release)
{
	struct err e = { 0 };
	char now[DB_TIME_LEN], rs[16], ns[16];
	size_t i;

	db_now(now);
	snprintf(rs, sizeof(rs), "%u", release);
	for (i = 0; i < n; i++) {
		const struct sched_container *c = &cs[i];

		if (c->release != release || (strcmp(c->type, "web") && strcmp(c->type, "cmd")) ||
		    (c->state != SCHED_UP && c->state != SCHED_CREATED) || !c->cid[0] || !c->addr[0])
			continue;
		snprintf(ns, sizeof(ns), "%u", c->num);
		if (db_execp(db, &e, "INSERT INTO endpoints (container, host, name, app, release, "
		    "type, num, addr, updated) VALUES ($1, '', $2, $3, CAST($4 AS INTEGER), $5, "
		    "CAST($6 AS INTEGER), $7, $8) ON CONFLICT (container) DO NOTHING", c->cid,
		    c->name, c->app, rs, c->type, ns, c->addr, now) < 0)
			log_warn("cannot route '%s' at once: %s", c->name, e.msg);
	}
}

void
routes_switch(const char *app, unsigned release, void *arg)
{
	struct ctl *ctl = arg;
	struct db *db = jobs_db();
	struct sched_container *cs = NULL;
	struct err e = { 0 };
	char rel[16];
	long long want = 0, waited, old;
	size_t n = 0, i;
	bool publishers;

	if (db == NULL)
		return;
	snprintf(rel, sizeof(rel), "%u", release);
	/* nothing routed before (a first deploy): still wait, so the push returns once routed */
	old = count(db, "SELECT COUNT(*) FROM endpoints WHERE app = $1 AND release <> "
	    "CAST($2 AS INTEGER)", app, rel);
	sched_list(ctl->sched, app, false, &cs, &n);
	for (i = 0; i < n; i++)
		if (cs[i].release == release && (!strcmp(cs[i].type, "web") || !strcmp(cs[i].type, "cmd")))
			want++;
	/* a first deploy waits only where publishers report (not a bare controller) */
	publishers = time(NULL) - __atomic_load_n(&ctl->last_report, __ATOMIC_RELAXED) <=
	    ENDPOINT_TTL_S;
	if (old <= 0 && (want == 0 || !publishers)) {
		free(cs);
		return;
	}
	if (publishers)
		route_healthy(db, cs, n, release);
	free(cs);
	for (waited = 0; waited < SWITCH_WAIT_MS; waited += 100) {
		if (count(db, "SELECT COUNT(*) FROM endpoints WHERE app = $1 AND release = "
		    "CAST($2 AS INTEGER)", app, rel) >= want)
			break;
		sleep_ms(100);
	}
	if (waited >= SWITCH_WAIT_MS)
		log_warn("'%s' v%u: the publisher did not report the new endpoints within %d s; "
		    "switching anyway", app, release, SWITCH_WAIT_MS / 1000);
	if (old > 0 && db_execp(db, &e, "DELETE FROM endpoints WHERE app = $1 AND release <> "
	    "CAST($2 AS INTEGER)", app, rel) < 0) {
		log_error("cannot drop old endpoints of '%s': %s", app, e.msg);
		return;
	}
	jobs_on_loop(ctl->jobs, routes_changed);
	sleep_ms(ROUTER_APPLY_MS);
	log_info("'%s' routes switched to v%u after %lld ms", app, release, waited);
}
