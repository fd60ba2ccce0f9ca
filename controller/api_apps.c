/* Apps: list, create, info, transfer, destroy, and the app-level actions logs, run, scale. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/db.h"
#include "controller/events.h"
#include "controller/handlers.h"
#include "controller/jobs.h"
#include "controller/logs.h"
#include "controller/release.h"
#include "controller/routes.h"
#include "controller/run_tty.h"
#include "controller/validate.h"
#include "lib/log.h"
#include "lib/runproto.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

void
apps_list(struct api *a)
{
	struct err e = { 0 };
	struct db_res *res;
	json_t *arr;
	int i;

	res = db_queryp(a->ctl->db, &e, "SELECT uuid, id, owner, structure, created, updated "
	    "FROM apps WHERE CAST($2 AS INTEGER) = 1 OR owner = $1 OR id IN "
	    "(SELECT app FROM app_perms WHERE username = $1) ORDER BY id", a->user.username,
	    a->user.is_superuser ? "1" : "0");
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return;
	}
	arr = json_array();
	for (i = 0; i < db_res_nrows(res); i++) {
		struct app app = { 0 };

		strlcpy(app.uuid, db_res_get(res, i, 0), sizeof(app.uuid));
		strlcpy(app.id, db_res_get(res, i, 1), sizeof(app.id));
		strlcpy(app.owner, db_res_get(res, i, 2), sizeof(app.owner));
		app.structure = json_loads(db_res_get(res, i, 3), 0, NULL);
		if (app.structure == NULL)
			app.structure = json_object();
		strlcpy(app.created, db_res_get(res, i, 4), sizeof(app.created));
		strlcpy(app.updated, db_res_get(res, i, 5), sizeof(app.updated));
		json_array_append_new(arr, app_json(a->ctl, &app));
		app_release(&app);
	}
	db_res_free(res);
	api_paginated(a, arr);
}

/* Whether the caller owns as many apps as the quota allows (e->code set on a database error). */
static bool
over_app_quota(struct api *a, struct err *e)
{
	struct db_res *res;
	long long n;

	if (a->ctl->quota_apps == 0 || a->user.is_superuser)
		return false;
	res = db_queryp(a->ctl->db, e, "SELECT COUNT(*) FROM apps WHERE owner = $1",
	    a->user.username);
	if (res == NULL)
		return true;
	n = db_res_getll(res, 0, 0, 0);
	db_res_free(res);
	return n >= a->ctl->quota_apps;
}

/* Whether <id>.<platform domain> is an app's custom domain (e->code set on a database error). */
static bool
name_held(struct api *a, const char *id, struct err *e)
{
	char *d = xasprintf("%s.%s", id, a->ctl->domain);
	struct db_res *res = db_queryp(a->ctl->db, e, "SELECT COUNT(*) FROM domains WHERE "
	    "lower(domain) = lower($1)", d);
	bool held = res == NULL || db_res_getll(res, 0, 0, 0) > 0;

	db_res_free(res);
	free(d);
	return held;
}

void
apps_create(struct api *a)
{
	json_t *jid = a->body ? json_object_get(a->body, "id") : NULL;
	char id[65], uuid[DB_UUID_LEN], cfg[DB_UUID_LEN], now[DB_TIME_LEN];
	struct err e = { 0 };
	struct app app;
	json_t *empty = json_object();
	long long version;
	int tries;

	if (jid && !json_is_null(jid)) {
		if (!json_is_string(jid)) {
			json_decref(empty);
			api_field_error(a, "id", "Not a valid string.");
			return;
		}
		if (strlcpy(id, json_string_value(jid), sizeof(id)) >= sizeof(id) ||
		    validate_app_id(id, &e) < 0 || validate_app_reserved(id, &e) < 0) {
			json_decref(empty);
			api_field_error(a, "id", e.msg[0] ? e.msg : "App IDs can only contain [a-z0-9-]");
			return;
		}
	} else {
		id[0] = '\0';
	}
	for (tries = 0; tries < 10; tries++) {
		if (!(jid && !json_is_null(jid)))
			app_name_random(id, sizeof(id));
		db_uuid_new(uuid);
		db_now(now);
		if (db_begin(a->ctl->db, &e) < 0)
			break;
		/* counted inside the write transaction: two creations cannot both fit in one slot */
		if (over_app_quota(a, &e)) {
			db_rollback(a->ctl->db);
			json_decref(empty);
			if (e.code)
				api_db_error(a, &e, NULL);
			else
				api_detail(a, 403, "You may own at most %lld apps (a quota the "
				    "administrator set)", a->ctl->quota_apps);
			return;
		}
		/* a custom domain <id>.<platform domain> holds the name (api_domains.c) */
		if (name_held(a, id, &e)) {
			db_rollback(a->ctl->db);
			if (!e.code && !(jid && !json_is_null(jid)))
				continue;	/* a random name: draw again */
			json_decref(empty);
			if (e.code)
				api_db_error(a, &e, NULL);
			else
				api_field_error(a, "id", "This name is held by the custom domain of "
				    "another app.");
			return;
		}
		if (db_execp(a->ctl->db, &e, "INSERT INTO apps (uuid, id, owner, structure, created, "
		    "updated) VALUES ($1, $2, $3, '{}', $4, $4)", uuid, id, a->user.username, now) < 0 ||
		    config_insert(a->ctl->db, id, a->user.username, empty, empty, empty, empty, cfg,
		    &e) < 0 ||
		    rel_create(a->ctl->db, id, a->user.username, cfg, NULL, "", &version, &e) < 0) {
			db_rollback(a->ctl->db);
			if (e.code == DB_ERR_UNIQUE && !(jid && !json_is_null(jid)))
				continue;	/* random name taken: draw again */
			break;
		}
		/* Deis's initial summary names the owner. */
		{
			struct buf s = BUF_INIT;

			buf_addf(&s, "%s created initial release", a->user.username);
			if (db_execp(a->ctl->db, &e, "UPDATE releases SET summary = $1 WHERE app = $2",
			    s.p, id) < 0) {
				buf_release(&s);
				db_rollback(a->ctl->db);
				break;
			}
			buf_release(&s);
		}
		if (db_commit(a->ctl->db, &e) < 0) {
			db_rollback(a->ctl->db);
			break;
		}
		json_decref(empty);
		event_log(a->ctl, id, "%s created initial release", a->user.username);
		routes_changed(a->ctl);
		memset(&app, 0, sizeof(app));
		strlcpy(app.uuid, uuid, sizeof(app.uuid));
		strlcpy(app.id, id, sizeof(app.id));
		strlcpy(app.owner, a->user.username, sizeof(app.owner));
		strlcpy(app.created, now, sizeof(app.created));
		strlcpy(app.updated, now, sizeof(app.updated));
		app.structure = json_object();
		api_json(a, 201, app_json(a->ctl, &app));
		app_release(&app);
		return;
	}
	json_decref(empty);
	api_db_error(a, &e, "id");
}

void
apps_get(struct api *a)
{
	struct app app;

	if (app_load(a, &app, false) < 0)
		return;
	api_json(a, 200, app_json(a->ctl, &app));
	app_release(&app);
}

void
apps_transfer(struct api *a)
{
	struct app app;
	struct err e = { 0 };
	struct db_res *res;
	const char *owner;
	char now[DB_TIME_LEN];

	if (app_load(a, &app, true) < 0)
		return;
	app_release(&app);
	owner = api_body_str(a, "owner", true);
	if (owner == NULL)
		return;
	res = db_queryp(a->ctl->db, &e, "SELECT username FROM users WHERE username = $1", owner);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return;
	}
	if (db_res_nrows(res) == 0) {
		db_res_free(res);
		api_detail(a, 404, "Not found");
		return;
	}
	db_res_free(res);
	db_now(now);
	if (db_execp(a->ctl->db, &e, "UPDATE apps SET owner = $1, updated = $2 WHERE id = $3",
	    owner, now, a->seg[0]) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	event_log(a->ctl, a->seg[0], "%s transferred the app to %s", a->user.username, owner);
	api_text(a, 200, NULL, "", 0);
}

/* ---- destroy: containers first (worker), then rows and logs ---- */

struct destroy {
	struct job job;
	struct api *a;
	char app[65];
};

static void
destroy_work(struct job *j, struct db *db)
{
	struct destroy *d = j->arg;

	j->rc = app_destroy(d->a->ctl, d->app, &j->e);
}

static void
destroy_done(struct job *j)
{
	struct destroy *d = j->arg;
	struct api *a = d->a;
	struct err e = { 0 };

	if (j->rc < 0)
		api_detail(a, j->e.code ? j->e.code : 503, "%s", j->e.msg);
	else if (app_forget(a->ctl, d->app, &e) < 0)
		api_db_error(a, &e, NULL);
	else
		api_text(a, 204, NULL, "", 0);
	free(d);
}

void
apps_destroy(struct api *a)
{
	struct app app;
	struct destroy *d;

	if (app_load(a, &app, true) < 0)
		return;
	app_release(&app);
	d = xcalloc(1, sizeof(*d));
	d->a = a;
	strlcpy(d->app, a->seg[0], sizeof(d->app));
	d->job.work = destroy_work;
	d->job.done = destroy_done;
	d->job.arg = d;
	jobs_submit(a->ctl->jobs, &d->job);
}

/* ---- run ---- */

struct run {
	struct job job;
	struct api *a;
	char app[65];
	char *command;
	int rc;
	struct buf out;
};

static void
run_work(struct job *j, struct db *db)
{
	struct run *r = j->arg;

	j->rc = app_run(r->a->ctl, db, r->app, r->command, &r->rc, &r->out, &j->e);
}

static void
run_done(struct job *j)
{
	struct run *r = j->arg;

	if (j->rc < 0) {
		api_detail(r->a, j->e.code ? j->e.code : 503, "%s", j->e.msg);
	} else {
		/* A process may print anything; JSON needs valid UTF-8. */
		struct buf text = BUF_INIT;

		utf8_sanitize(&text, r->out.p, r->out.len);
		api_json(r->a, 200, json_pack("[i,s%]", r->rc, text.p, text.len));
		buf_release(&text);
	}
	free(r->command);
	buf_release(&r->out);
	free(r);
}

void
apps_run(struct api *a)
{
	struct app app;
	const char *cmd;
	struct run *r;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	cmd = api_body_str(a, "command", true);
	if (cmd == NULL)
		return;
	if (a->ctl->sched == NULL) {
		api_detail(a, 503, "no scheduler is configured");
		return;
	}
	if (a->r->head.upgrade) {
		/* `deis run` on a terminal: the connection becomes the session */
		if (!str_eqcase(httpd_header(a->r, "upgrade"), str_from(RUNPROTO_NAME))) {
			api_detail(a, 400, "unknown upgrade protocol; a run upgrades to %s",
			    RUNPROTO_NAME);
			return;
		}
		app_run_event(a->ctl, a->seg[0], a->user.username, cmd);
		run_tty_start(a, cmd);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->a = a;
	strlcpy(r->app, a->seg[0], sizeof(r->app));
	r->command = xstrdup(cmd);
	buf_init(&r->out, 0);
	r->job.work = run_work;
	r->job.done = run_done;
	r->job.arg = r;
	app_run_event(a->ctl, a->seg[0], a->user.username, cmd);
	jobs_submit(a->ctl->jobs, &r->job);
}

/* ---- scale ---- */

struct scale {
	struct job job;
	struct api *a;
	char app[65];
	json_t *want;		/* {"web":3} validated */
	json_t *structure;	/* new structure to store */
};

static void
scale_work(struct job *j, struct db *db)
{
	struct scale *s = j->arg;

	j->rc = app_scale(s->a->ctl, db, s->app, s->want, &j->e);
}

static void
scale_done(struct job *j)
{
	struct scale *s = j->arg;
	struct api *a = s->a;

	if (j->rc < 0) {
		api_detail(a, j->e.code ? j->e.code : 503, "%s", j->e.msg);
	} else {
		app_scaled(a->ctl, s->app, a->user.username, s->want, s->structure);
		api_text(a, 204, NULL, "", 0);
	}
	json_decref(s->want);
	json_decref(s->structure);
	free(s);
}

void
apps_scale(struct api *a)
{
	struct app app;
	struct rel rel;
	struct err e = { 0 };
	struct scale *s;
	const char *k;
	json_t *v;
	int rc;

	if (app_load(a, &app, false) < 0)
		return;
	if (a->body == NULL || json_object_size(a->body) == 0) {
		app_release(&app);
		api_detail(a, 400, "Invalid scaling format: no process types given");
		return;
	}
	rc = rel_load(a->ctl->db, app.id, 0, &rel, &e);
	if (rc != 0 || !rel.build_uuid[0]) {
		app_release(&app);
		if (rc == 0)
			rel_clear(&rel);
		if (rc < 0)
			api_db_error(a, &e, NULL);
		else
			api_detail(a, 400, "No build associated with this release");
		return;
	}
	json_object_foreach(a->body, k, v) {
		long long count = -1;

		if (json_is_integer(v))
			count = json_integer_value(v);
		else if (json_is_string(v)) {
			const char *errstr = NULL;

			count = strtonum(json_string_value(v), 0, 100, &errstr);
			if (errstr)
				count = -1;
		}
		if (count < 0 || count > 100 || validate_proc_type(k, &e) < 0) {
			app_release(&app);
			rel_clear(&rel);
			api_detail(a, 400, "Invalid scaling format: %s", k);
			return;
		}
		if (json_object_get(rel.procfile, k) == NULL &&
		    !(strcmp(k, "cmd") == 0 && (rel.dockerfile || !rel.sha[0]))) {
			app_release(&app);
			rel_clear(&rel);
			api_detail(a, 400, "Container type %s does not exist in application", k);
			return;
		}
		json_object_set_new(a->body, k, json_integer(count));
	}
	rel_clear(&rel);
	s = xcalloc(1, sizeof(*s));
	s->a = a;
	strlcpy(s->app, app.id, sizeof(s->app));
	s->want = json_incref(a->body);
	s->structure = json_deep_copy(app.structure);
	json_object_update(s->structure, a->body);
	app_release(&app);
	if (a->ctl->quota_containers && !a->user.is_superuser) {
		long long total = 0;

		json_object_foreach(s->structure, k, v)
			total += json_integer_value(v);
		if (total > a->ctl->quota_containers) {
			json_decref(s->want);
			json_decref(s->structure);
			free(s);
			api_detail(a, 403, "An app may run at most %lld containers (a quota the "
			    "administrator set); this scale asks for %lld", a->ctl->quota_containers,
			    total);
			return;
		}
	}
	s->job.work = scale_work;
	s->job.done = scale_done;
	s->job.arg = s;
	jobs_submit(a->ctl->jobs, &s->job);
}

/* ---- logs: from the logger, on a worker (the logger may be slow or away) ---- */

struct logs {
	struct job job;
	struct api *a;
	char app[65];
	long lines;
	long status;
	struct buf body;
};

static void
logs_work(struct job *j, struct db *db)
{
	struct logs *l = j->arg;

	j->rc = logs_fetch(l->a->ctl->logger_url, l->app, l->lines, &l->body, &l->status);
}

static void
logs_done(struct job *j)
{
	struct logs *l = j->arg;
	struct buf msg = BUF_INIT;

	if (j->rc < 0 || l->status >= 500) {
		/* Deis's words, then why: it is the log service, and it is passing */
		buf_addf(&msg, "Error accessing logs for %s: the log service is unavailable "
		    "(%s); try again in a moment", l->app,
		    j->rc < 0 ? "the logger does not answer" : "the logger failed");
		api_text(l->a, 503, "text/plain", msg.p, msg.len);
	} else if (l->status != 200 && l->status != 204) {
		buf_addf(&msg, "Error accessing logs for %s", l->app);
		api_text(l->a, 500, "text/plain", msg.p, msg.len);
	} else if (l->status == 204 || l->body.len == 0) {
		api_text(l->a, 204, NULL, "", 0);
	} else {
		api_text(l->a, 200, "text/plain", l->body.p, l->body.len);
	}
	buf_release(&msg);
	buf_release(&l->body);
	free(l);
}

void
apps_logs(struct api *a)
{
	struct app app;
	struct buf v = BUF_INIT;
	unsigned long long lines = 1000;
	struct logs *l;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	if (httpd_query(a->r, "log_lines", &v) == 0 &&
	    str_to_u64(str_make(v.p, v.len), 1000000, &lines) < 0)
		lines = 1000;
	buf_reset(&v);
	if (a->ctl->logger_url == NULL) {
		struct buf msg = BUF_INIT;

		buf_release(&v);
		buf_addf(&msg, "Error accessing logs for %s: this platform has no log service",
		    a->seg[0]);
		api_text(a, 503, "text/plain", msg.p, msg.len);
		buf_release(&msg);
		return;
	}
	if (httpd_query(a->r, "follow", &v) == 0 && (!strcmp(v.p, "true") || !strcmp(v.p, "1"))) {
		buf_release(&v);
		logs_follow(a, (long)lines);
		return;
	}
	buf_release(&v);
	l = xcalloc(1, sizeof(*l));
	l->a = a;
	l->lines = (long)lines;
	strlcpy(l->app, a->seg[0], sizeof(l->app));
	buf_init(&l->body, 0);
	l->job.work = logs_work;
	l->job.done = logs_done;
	l->job.arg = l;
	jobs_submit(a->ctl->jobs, &l->job);
}
