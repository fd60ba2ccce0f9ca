/*
 * Rollouts as jobs: the release row exists already; a worker loads it, asks
 * the scheduler to deploy it, and the loop thread answers the request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/db.h"
#include "controller/events.h"
#include "controller/jobs.h"
#include "controller/release.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct deploy {
	struct job job;
	struct api *a;
	struct ctl *ctl;
	char app[65];
	long long version;
	deploy_done_fn *done;
	void *arg;
	bool skipped;
	struct sched_timing t;
	char structure_json[1024];	/* stored default structure, "" if unchanged */
};

static json_t *
default_structure(const struct rel *r)
{
	if (json_object_get(r->procfile, "web"))
		return json_pack("{s:i}", "web", 1);
	return json_pack("{s:i}", "cmd", 1);
}

static void
deploy_work(struct job *j, struct db *db)
{
	struct deploy *d = j->arg;
	struct rel r;
	struct rel_spec spec;
	struct db_res *res;
	json_t *structure;
	struct sched_scale *sc;
	size_t n;
	int rc;

	rc = rel_load(db, d->app, 0, &r, &j->e);
	if (rc != 0) {
		j->rc = -1;
		if (rc > 0)
			err_set(&j->e, 404, "Not found");
		return;
	}
	if (r.version != d->version) {
		/* A newer release was made meanwhile; its own rollout deploys it. */
		d->skipped = true;
		rel_clear(&r);
		return;
	}
	if (rel_image_check(db, d->ctl->sched, &r, &j->e) < 0) {
		rel_clear(&r);
		j->rc = -1;
		return;
	}
	res = db_queryp(db, &j->e, "SELECT structure FROM apps WHERE id = $1", d->app);
	if (res == NULL || db_res_nrows(res) != 1) {
		db_res_free(res);
		rel_clear(&r);
		j->rc = -1;
		return;
	}
	structure = json_loads(db_res_get(res, 0, 0), 0, NULL);
	db_res_free(res);
	if (structure == NULL || !json_is_object(structure) || json_object_size(structure) == 0) {
		char *s;

		if (structure)
			json_decref(structure);
		structure = default_structure(&r);
		s = json_dumps(structure, JSON_COMPACT);
		strlcpy(d->structure_json, s, sizeof(d->structure_json));
		free(s);
	}
	sc = structure_from_json(structure, &n);
	rel_spec(&r, NULL, &spec);
	j->rc = sched_deploy(d->ctl->sched, &spec.sr, sc, n, &d->t, &j->e);
	rel_spec_clear(&spec);
	free(sc);
	json_decref(structure);
	rel_clear(&r);
}

static void
deploy_finish(struct job *j)
{
	struct deploy *d = j->arg;
	struct err e = { 0 };
	char now[DB_TIME_LEN], ver[24];

	db_now(now);
	snprintf(ver, sizeof(ver), "%lld", d->version);
	if (j->rc < 0) {
		/* Deis: the failed release is deleted; the old one keeps running. */
		log_warn("deploy of %s v%lld failed: %s", d->app, d->version, j->e.msg);
		event_log(d->ctl, d->app, "%s", j->e.msg);
		if (db_begin(d->ctl->db, &e) == 0) {
			if (db_execp(d->ctl->db, &e, "DELETE FROM releases WHERE app = $1 AND "
			    "version = CAST($2 AS INTEGER)", d->app, ver) < 0 ||
			    db_execp(d->ctl->db, &e, "DELETE FROM configs WHERE app = $1 AND uuid NOT IN "
			    "(SELECT config FROM releases WHERE app = $1)", d->app) < 0 ||
			    /* an image refused to this app: its build goes too */
			    (j->e.code == 403 && db_execp(d->ctl->db, &e, "DELETE FROM builds WHERE "
			    "app = $1 AND image_id = '' AND uuid NOT IN (SELECT build FROM releases "
			    "WHERE app = $1 AND build IS NOT NULL)", d->app) < 0) ||
			    db_commit(d->ctl->db, &e) < 0) {
				log_error("cannot remove failed release %s v%lld: %s", d->app,
				    d->version, e.msg);
				db_rollback(d->ctl->db);
			}
		}
	} else if (!d->skipped && d->structure_json[0]) {
		if (db_execp(d->ctl->db, &e, "UPDATE apps SET structure = $1, updated = $2 "
		    "WHERE id = $3", d->structure_json, now, d->app) < 0)
			log_error("cannot store structure of '%s': %s", d->app, e.msg);
	}
	d->done(d->a, j->rc, &j->e, d->skipped ? NULL : &d->t, d->arg);
	free(d);
}

void
deploy_submit(struct api *a, const char *app, long long version, deploy_done_fn *done, void *arg)
{
	struct deploy *d = xcalloc(1, sizeof(*d));

	d->a = a;
	d->ctl = a->ctl;
	strlcpy(d->app, app, sizeof(d->app));
	d->version = version;
	d->done = done;
	d->arg = arg;
	d->job.work = deploy_work;
	d->job.done = deploy_finish;
	d->job.arg = d;
	if (a->ctl->sched == NULL) {
		/* API-only mode (--scheduler none): releases are recorded, nothing runs. */
		struct err e = { 0 };

		done(a, 0, &e, NULL, arg);
		free(d);
		return;
	}
	jobs_submit(a->ctl->jobs, &d->job);
}
