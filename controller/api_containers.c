/* ps: the containers of an app, from the scheduler's table; restarts as jobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/db.h"
#include "controller/events.h"
#include "controller/handlers.h"
#include "controller/jobs.h"
#include "controller/release.h"
#include "lib/xalloc.h"

static json_t *
time_json(time_t t)
{
	struct tm tm;
	char s[40];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SUTC", &tm);
	return json_string(s);
}

static json_t *
container_json(const struct app *app, const struct sched_container *c)
{
	char uuid[37];

	/* A stable id for the API from the engine's id. */
	snprintf(uuid, sizeof(uuid), "%.8s-%.4s-%.4s-%.4s-%.12s", c->id, c->id + 8, c->id + 12,
	    c->id + 16, c->id + 20);
	/*
	 * Deis's fields, then ours (a crash loop made visible): restarts after a
	 * death nobody asked for; the last death's status; whether the engine is
	 * starting it again, or when the scheduler will.
	 */
	return json_pack("{s:s,s:s,s:o,s:s,s:I,s:s,s:o,s:o,s:s,s:I,s:o,s:b,s:o}", "owner",
	    app->owner, "app", app->id, "release", json_sprintf("v%u", c->release),
	    "type", c->type, "num", (json_int_t)c->num, "state", sched_state_name(c->state),
	    "created", time_json(c->created), "updated", time_json(c->updated), "uuid", uuid,
	    "restarts", (json_int_t)c->restarts,
	    "exit_code", c->crashes || c->state == SCHED_CRASHED || c->state == SCHED_DOWN ?
	    json_integer(c->exit_code) : json_null(),
	    "restarting", c->restarting && c->state != SCHED_UP,
	    "next_start", c->next_start ? time_json(c->next_start) : json_null());
}

void
containers_list(struct api *a)
{
	struct app app;
	struct sched_container *cs = NULL;
	size_t n = 0, i;
	json_t *arr = json_array();
	const char *errstr = NULL;
	long long num = 0;

	if (app_load(a, &app, false) < 0) {
		json_decref(arr);
		return;
	}
	if (a->nseg > 2) {
		num = strtonum(a->seg[2], 1, 1000000, &errstr);
		if (errstr) {
			app_release(&app);
			json_decref(arr);
			api_detail(a, 404, "Not found");
			return;
		}
	}
	if (a->ctl->sched)
		sched_list(a->ctl->sched, app.id, false, &cs, &n);
	for (i = 0; i < n; i++) {
		if (a->nseg > 1 && strcmp(cs[i].type, a->seg[1]))
			continue;
		if (num && cs[i].num != (unsigned)num)
			continue;
		json_array_append_new(arr, container_json(&app, &cs[i]));
	}
	free(cs);
	if (num) {
		json_t *one = json_array_size(arr) ? json_incref(json_array_get(arr, 0)) : NULL;

		json_decref(arr);
		app_release(&app);
		if (one)
			api_json(a, 200, one);
		else
			api_detail(a, 404, "Not found");
		return;
	}
	app_release(&app);
	api_paginated(a, arr);
}

struct restart {
	struct job job;
	struct api *a;
	struct app app;
	char type[64];
	unsigned num;
	struct sched_container *out;
	size_t nout;
};

static void
restart_work(struct job *j, struct db *db)
{
	struct restart *rs = j->arg;

	j->rc = app_restart(rs->a->ctl, db, rs->app.id, rs->type[0] ? rs->type : NULL, rs->num,
	    &rs->out, &rs->nout, &j->e);
}

static void
restart_done(struct job *j)
{
	struct restart *rs = j->arg;
	struct api *a = rs->a;
	size_t i;

	if (j->rc < 0) {
		api_detail(a, j->e.code ? j->e.code : 503, "%s", j->e.msg);
	} else {
		json_t *arr = json_array();

		for (i = 0; i < rs->nout; i++)
			json_array_append_new(arr, container_json(&rs->app, &rs->out[i]));
		event_log(a->ctl, rs->app.id, "%s restarted containers", a->user.username);
		api_json(a, 200, arr);
	}
	free(rs->out);
	app_release(&rs->app);
	free(rs);
}

void
containers_restart(struct api *a)
{
	struct restart *rs = xcalloc(1, sizeof(*rs));
	const char *errstr = NULL;

	if (app_load(a, &rs->app, false) < 0) {
		free(rs);
		return;
	}
	rs->a = a;
	if (a->nseg > 1)
		strlcpy(rs->type, a->seg[1], sizeof(rs->type));
	if (a->nseg > 2) {
		rs->num = (unsigned)strtonum(a->seg[2], 1, 1000000, &errstr);
		if (errstr) {
			app_release(&rs->app);
			free(rs);
			api_detail(a, 404, "Not found");
			return;
		}
	}
	if (a->ctl->sched == NULL) {
		app_release(&rs->app);
		free(rs);
		api_json(a, 200, json_array());
		return;
	}
	rs->job.work = restart_work;
	rs->job.done = restart_done;
	rs->job.arg = rs;
	jobs_submit(a->ctl->jobs, &rs->job);
}
