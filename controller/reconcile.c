/*
 * At start, make what runs match what should run: for every app with a build,
 * the latest release at its stored structure. Containers may have been
 * removed, or the engine restarted, while the controller was away (or killed
 * in the middle of a deploy). One job per app that needs work, so a slow app
 * does not hold the others.
 *
 * One-off runs found at start are an earlier life's: nothing waits for them
 * (a plain run's request and an interactive run's connection went with that
 * process), so they are removed.
 *
 * Then, every second, heal: units stopped behind the platform's back are
 * started again (sched_heal), each said in the app's log.
 */
#include <stdlib.h>
#include <string.h>

#include "controller/db.h"
#include "controller/events.h"
#include "controller/jobs.h"
#include "controller/release.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"

struct reconcile {
	struct job job;
	struct ctl *ctl;
	char app[65];
	struct sched_container *runs;	/* one-offs found at start */
	size_t nruns;
};

static void
reconcile_work(struct job *j, struct db *db)
{
	struct reconcile *rc = j->arg;
	struct rel r;
	struct rel_spec spec;
	struct db_res *res;
	struct sched_container *cs = NULL;
	struct sched_scale *sc;
	json_t *structure;
	size_t n = 0, ns, i, k;
	bool current_any = false, other_release = false, mismatch = false;

	for (i = 0; i < rc->nruns; i++) {
		log_info("reconcile: '%s': removing '%s', a one-off left by an earlier run of the "
		    "controller", rc->app, rc->runs[i].name);
		sched_run_remove(rc->ctl->sched, rc->runs[i].id);
	}
	if (rel_load(db, rc->app, 0, &r, &j->e) != 0)
		return;
	res = db_queryp(db, &j->e, "SELECT structure FROM apps WHERE id = $1", rc->app);
	structure = res && db_res_nrows(res) == 1 ? json_loads(db_res_get(res, 0, 0), 0, NULL) : NULL;
	db_res_free(res);
	if (!r.build_uuid[0] || structure == NULL || !json_is_object(structure)) {
		if (structure)
			json_decref(structure);
		rel_clear(&r);
		return;
	}
	sched_list(rc->ctl->sched, rc->app, false, &cs, &n);
	sc = structure_from_json(structure, &ns);
	for (i = 0; i < n; i++) {
		if (cs[i].release != (unsigned)r.version)
			mismatch = other_release = true;
		else
			current_any = true;
		if (cs[i].state != SCHED_UP)
			mismatch = true;
	}
	for (k = 0; k < ns; k++) {
		unsigned have = 0;

		for (i = 0; i < n; i++)
			if (cs[i].release == (unsigned)r.version && !strcmp(cs[i].type, sc[k].type))
				have++;
		if (have != sc[k].count)
			mismatch = true;
	}
	if (mismatch && rel_image_check(db, rc->ctl->sched, &r, &j->e) < 0) {
		log_warn("reconcile: '%s' v%lld not run: %s", rc->app, r.version, j->e.msg);
		mismatch = false;
	}
	if (mismatch) {
		/*
		 * Another release's units (a deploy cut short): a full rollout of the
		 * current one, which then removes every other; scaling would count them.
		 */
		log_info("reconcile: '%s' v%lld does not run as stored; %s", rc->app, r.version,
		    current_any && !other_release ? "scaling" : "deploying");
		rel_spec(&r, NULL, &spec);
		if (current_any && !other_release)
			j->rc = sched_scale(rc->ctl->sched, &spec.sr, sc, ns, &j->e);
		else
			j->rc = sched_deploy(rc->ctl->sched, &spec.sr, sc, ns, NULL, &j->e);
		rel_spec_clear(&spec);
	}
	free(sc);
	free(cs);
	json_decref(structure);
	rel_clear(&r);
}

static void
reconcile_done(struct job *j)
{
	struct reconcile *rc = j->arg;

	if (j->rc < 0)
		log_warn("reconcile: '%s': %s", rc->app, j->e.msg);
	free(rc->runs);
	free(rc);
}

void
reconcile_start(struct ctl *ctl)
{
	struct err e = { 0 };
	struct db_res *res;
	int i;

	if (ctl->sched == NULL)
		return;
	res = db_query(ctl->db, "SELECT id FROM apps ORDER BY id", 0, NULL, &e);
	if (res == NULL) {
		log_error("reconcile: %s", e.msg);
		return;
	}
	for (i = 0; i < db_res_nrows(res); i++) {
		struct reconcile *rc = xcalloc(1, sizeof(*rc));
		struct sched_container *cs;
		size_t n, k;

		rc->ctl = ctl;
		strlcpy(rc->app, db_res_get(res, i, 0), sizeof(rc->app));
		/* now, before any request: every run in the table is an earlier life's */
		sched_list(ctl->sched, rc->app, true, &cs, &n);
		for (k = 0; k < n; k++) {
			if (strcmp(cs[k].type, "run") != 0)
				continue;
			rc->runs = xrealloc(rc->runs, (rc->nruns + 1) * sizeof(*rc->runs));
			rc->runs[rc->nruns++] = cs[k];
		}
		free(cs);
		rc->job.work = reconcile_work;
		rc->job.done = reconcile_done;
		rc->job.arg = rc;
		jobs_submit(ctl->jobs, &rc->job);
	}
	db_res_free(res);
}

#define HEAL_PERIOD_MS 1000

struct heal {
	struct job job;
	struct ctl *ctl;
	bool busy;
};

static void
heal_event(const struct sched_container *c, void *arg)
{
	struct ctl *ctl = arg;

	event_log(ctl, c->app, "%s.%u had stopped (%s, exit %d) and was started again", c->type,
	    c->num, c->state == SCHED_CRASHED ? "crashed" : "down", c->exit_code);
}

static void
heal_work(struct job *j, struct db *db)
{
	struct heal *h = j->arg;

	sched_heal(h->ctl->sched, heal_event, h->ctl);
}

static void
heal_done(struct job *j)
{
	struct heal *h = j->arg;

	h->busy = false;
}

static void
heal_tick(struct ev *ev, void *arg)
{
	struct heal *h = arg;

	if (!h->busy) {
		h->busy = true;
		jobs_submit(h->ctl->jobs, &h->job);
	}
	ev_timer(ev, HEAL_PERIOD_MS, heal_tick, h);
}

void
heal_start(struct ctl *ctl)
{
	static struct heal h;

	if (ctl->sched == NULL)
		return;
	h.ctl = ctl;
	h.job.work = heal_work;
	h.job.done = heal_done;
	h.job.arg = &h;
	ev_timer(ctl->ev, HEAL_PERIOD_MS, heal_tick, &h);
}
