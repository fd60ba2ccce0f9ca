/*
 * Route switch during a deploy (the scheduler's on_switch hook, on the
 * deploy's worker thread): when the app is being served, wait until the
 * publisher has reported the new release's web/cmd containers, then drop the
 * old release's endpoints and push the table to the routers, before the
 * scheduler stops the old containers. So every request finds a live
 * endpoint: Deis's 502/404 window (its issues #2490, #4600) does not happen.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "controller/controller.h"
#include "controller/db.h"
#include "controller/jobs.h"
#include "lib/log.h"

#define SWITCH_WAIT_MS 15000
#define ROUTER_APPLY_MS 300

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

void
ctl_switch_routes(const char *app, unsigned release, void *arg)
{
	struct ctl *ctl = arg;
	struct db *db = jobs_db();
	struct sched_container *cs = NULL;
	struct err e = { 0 };
	char rel[16];
	long long want = 0, waited;
	size_t n = 0, i;

	if (db == NULL)
		return;
	snprintf(rel, sizeof(rel), "%u", release);
	if (count(db, "SELECT COUNT(*) FROM endpoints WHERE app = $1 AND release <> "
	    "CAST($2 AS INTEGER)", app, rel) <= 0)
		return;	/* nothing routed to the old release: nothing to switch */
	sched_list(ctl->sched, app, false, &cs, &n);
	for (i = 0; i < n; i++)
		if (cs[i].release == release && (!strcmp(cs[i].type, "web") || !strcmp(cs[i].type, "cmd")))
			want++;
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
	if (db_execp(db, &e, "DELETE FROM endpoints WHERE app = $1 AND release <> "
	    "CAST($2 AS INTEGER)", app, rel) < 0) {
		log_error("cannot drop old endpoints of '%s': %s", app, e.msg);
		return;
	}
	jobs_on_loop(ctl->jobs, ctl_routes_changed);
	sleep_ms(ROUTER_APPLY_MS);
	log_info("'%s' routes switched to v%u after %lld ms", app, release, waited);
}
