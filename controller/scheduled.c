/*
 * The record of what the scheduler created (table `scheduled`): the engine ids
 * of the platform's units, so that only those are routed, listed and counted
 * however their labels read (docs/architecture.md, Tenants and trust). Rows
 * are written on the operation's worker thread as the scheduler creates and
 * removes units; at start the scheduler is told every recorded id, and rows
 * of units the engine no longer has are dropped.
 */
#include <stdio.h>
#include <stdlib.h>

#include "controller/controller.h"
#include "controller/db.h"
#include "controller/jobs.h"
#include "controller/scheduler/scheduler.h"
#include "lib/log.h"

static int
record(struct db *db, const struct sched_container *c, struct err *e)
{
	char rel[16], num[16], now[DB_TIME_LEN];

	snprintf(rel, sizeof(rel), "%u", c->release);
	snprintf(num, sizeof(num), "%u", c->num);
	db_now(now);
	return db_execp(db, e, "INSERT INTO scheduled (id, app, release, type, num, created) "
	    "VALUES ($1, $2, CAST($3 AS INTEGER), $4, CAST($5 AS INTEGER), $6) "
	    "ON CONFLICT (id) DO NOTHING", c->id, c->app, rel, c->type, num, now) < 0 ? -1 : 0;
}

/* The scheduler's own callback: on the operation's worker thread. */
static int
on_own(const struct sched_container *c, bool own, void *arg)
{
	struct db *db = jobs_db();
	struct err e = { 0 };

	(void)arg;
	if (db == NULL) {
		log_error("scheduler: '%s' (%s) %s outside a worker: not recorded", c->name, c->id,
		    own ? "created" : "removed");
		return -1;
	}
	if (own ? record(db, c, &e) < 0 :
	    db_execp(db, &e, "DELETE FROM scheduled WHERE id = $1", c->id) < 0) {
		log_error("cannot record '%s' (%s): %s", c->name, c->id, e.msg);
		return -1;
	}
	return 0;
}

int
scheduled_load(struct ctl *ctl, struct err *e)
{
	struct db_res *res = db_query(ctl->db, "SELECT id FROM scheduled", 0, NULL, e);
	int i;

	if (res == NULL)
		return -1;
	for (i = 0; i < db_res_nrows(res); i++)
		sched_own(ctl->sched, db_res_get(res, i, 0));
	db_res_free(res);
	sched_on_own(ctl->sched, on_own, ctl);
	return 0;
}

int
scheduled_settle(struct ctl *ctl, struct err *e)
{
	struct sched_container *v = NULL;
	struct db_res *res;
	char now[DB_TIME_LEN];
	size_t n = 0, i;
	int r, ret = -1;

	if (db_begin(ctl->db, e) < 0)
		return -1;
	/*
	 * The first start with this table (an upgrade): the running units were
	 * made by a controller that kept no record. Adopt those named as the
	 * scheduler names its units, which no build step can be.
	 */
	res = db_query(ctl->db, "SELECT value FROM settings WHERE key = 'scheduledSince'", 0,
	    NULL, e);
	if (res == NULL)
		goto out;
	r = db_res_nrows(res);
	db_res_free(res);
	if (r == 0) {
		n = sched_adopt_named(ctl->sched, &v);
		for (i = 0; i < n; i++)
			if (record(ctl->db, &v[i], e) < 0)
				goto out;
		db_now(now);
		if (db_execp(ctl->db, e, "INSERT INTO settings (key, value, updated) VALUES "
		    "('scheduledSince', $1, $1)", now) < 0)
			goto out;
		if (n)
			log_info("scheduler: %zu running containers adopted as the platform's", n);
	}
	res = db_query(ctl->db, "SELECT id FROM scheduled", 0, NULL, e);
	if (res == NULL)
		goto out;
	for (r = 0; r < db_res_nrows(res); r++) {
		if (sched_owns(ctl->sched, db_res_get(res, r, 0)))
			continue;
		if (db_execp(ctl->db, e, "DELETE FROM scheduled WHERE id = $1",
		    db_res_get(res, r, 0)) < 0) {
			db_res_free(res);
			goto out;
		}
	}
	db_res_free(res);
	ret = db_commit(ctl->db, e);
out:
	if (ret < 0)
		db_rollback(ctl->db);
	free(v);
	return ret;
}
