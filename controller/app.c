/*
 * Apps: loading one with the permission check every app-scoped endpoint
 * starts with, rendering it, and what the scheduler does to an app's
 * containers at the API's request (one-off runs, scale, restart, destroy),
 * each for the app's latest release.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/app.h"
#include "controller/controller.h"
#include "controller/db.h"
#include "controller/events.h"
#include "controller/logs.h"
#include "controller/release.h"
#include "controller/routes.h"
#include "controller/validate.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"

void
app_release(struct app *app)
{
	if (app->structure)
		json_decref(app->structure);
	app->structure = NULL;
}

int
app_load(struct api *a, struct app *app, bool owner_only)
{
	struct err e = { 0 };
	struct db_res *res;
	const char *id = a->seg[0];
	bool owner, collab = false;

	memset(app, 0, sizeof(*app));
	if (validate_app_id(id, &e) < 0) {
		api_detail(a, 404, "Not found");
		return -1;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT uuid, id, owner, structure, created, updated, "
	    "(SELECT COUNT(*) FROM app_perms p WHERE p.app = apps.id AND p.username = $2) "
	    "FROM apps WHERE id = $1", id, a->user.username);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return -1;
	}
	if (db_res_nrows(res) == 0) {
		db_res_free(res);
		api_detail(a, 404, "Not found");
		return -1;
	}
	strlcpy(app->uuid, db_res_get(res, 0, 0), sizeof(app->uuid));
	strlcpy(app->id, db_res_get(res, 0, 1), sizeof(app->id));
	strlcpy(app->owner, db_res_get(res, 0, 2), sizeof(app->owner));
	app->structure = json_loads(db_res_get(res, 0, 3), 0, NULL);
	if (app->structure == NULL || !json_is_object(app->structure)) {
		if (app->structure)
			json_decref(app->structure);
		app->structure = json_object();
	}
	strlcpy(app->created, db_res_get(res, 0, 4), sizeof(app->created));
	strlcpy(app->updated, db_res_get(res, 0, 5), sizeof(app->updated));
	collab = db_res_getll(res, 0, 6, 0) > 0;
	db_res_free(res);
	owner = !strcmp(app->owner, a->user.username);
	if (a->user.is_superuser || owner || (collab && !owner_only))
		return 0;
	/*
	 * Deis answered 403 for an app that exists but is not yours; that leaks which
	 * app names exist. We answer 404 to strangers (security.md §3.7) and 403 only
	 * to collaborators asking for an owner's action.
	 */
	app_release(app);
	if (collab)
		api_detail(a, 403, "You do not have permission to perform this action.");
	else
		api_detail(a, 404, "Not found");
	return -1;
}

void
api_app_rows(struct api *a, const char *sql, api_row_fn *row)
{
	struct app app;
	struct err e = { 0 };

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	api_rows(a, db_queryp(a->ctl->db, &e, sql, a->seg[0]), &e, row);
}

json_t *
app_json(struct ctl *ctl, const struct app *app)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:O,s:o,s:o}",
	    "uuid", app->uuid, "id", app->id, "owner", app->owner,
	    "url", json_sprintf("%s.%s", app->id, ctl->domain),
	    "structure", app->structure,
	    "created", api_time(app->created), "updated", api_time(app->updated));
}

/* ---- the app's containers, through the scheduler ---- */

/*
 * The app's latest release, with a build, its image checked for a first run
 * (rel_image_check); 0, or -1 with e filled (left empty when there is no
 * release). Free r with rel_clear() after 0.
 */
static int
latest_runnable(struct ctl *ctl, struct db *db, const char *app, struct rel *r, struct err *e)
{
	if (rel_load(db, app, 0, r, e) != 0)
		return -1;
	if (!r->build_uuid[0]) {
		rel_clear(r);
		return err_set(e, 400, "No build associated with this release");
	}
	if (rel_image_check(db, ctl->sched, r, e) < 0) {
		rel_clear(r);
		return -1;
	}
	return 0;
}

int
app_run(struct ctl *ctl, struct db *db, const char *app, const char *command, int *exit_code,
    struct buf *out, struct err *e)
{
	struct rel rel;
	struct rel_spec spec;
	int rc;

	if (latest_runnable(ctl, db, app, &rel, e) < 0)
		return -1;
	rel_spec(&rel, NULL, &spec);
	rc = sched_run(ctl->sched, &spec.sr, command, exit_code, out, e);
	rel_spec_clear(&spec);
	rel_clear(&rel);
	return rc;
}

int
app_run_tty(struct ctl *ctl, struct db *db, const char *app, const char *command,
    struct sched_tty *t, struct err *e)
{
	struct rel rel;
	struct rel_spec spec;
	int rc;

	if (latest_runnable(ctl, db, app, &rel, e) < 0)
		return -1;
	rel_spec(&rel, NULL, &spec);
	rc = sched_run_tty(ctl->sched, &spec.sr, command, t, e);
	rel_spec_clear(&spec);
	rel_clear(&rel);
	return rc;
}

/*
 * What the app's log says of a one-off command: its program's name only.
 * Arguments and leading VAR=value words often carry secrets (a database URL,
 * a token), and the log is read by every collaborator.
 */
static void
run_program(const char *cmd, char out[65])
{
	const char *p = cmd, *w;
	size_t n;

	for (;;) {
		p += strspn(p, " \t\n");
		w = p;
		n = strcspn(p, " \t\n");
		p += n;
		if (n == 0 || memchr(w, '=', n) == NULL)
			break;
	}
	snprintf(out, 65, "%.*s", (int)(n ? n : 2), n ? w : "''");
}

void
app_run_event(struct ctl *ctl, const char *app, const char *user, const char *command)
{
	char prog[65];

	run_program(command, prog);
	event_log(ctl, app, "%s runs '%s' (a one-off process; its arguments are not "
	    "logged)", user, prog);
}

int
app_scale(struct ctl *ctl, struct db *db, const char *app, json_t *want, struct err *e)
{
	struct rel rel;
	struct rel_spec spec;
	struct sched_scale *sc;
	size_t n;
	int rc;

	if (rel_load(db, app, 0, &rel, e) != 0)
		return -1;
	if (ctl->sched && rel_image_check(db, ctl->sched, &rel, e) < 0) {
		rel_clear(&rel);
		return -1;
	}
	rel_spec(&rel, NULL, &spec);
	sc = structure_from_json(want, &n);
	rc = ctl->sched ? sched_scale(ctl->sched, &spec.sr, sc, n, e) : 0;
	free(sc);
	rel_spec_clear(&spec);
	rel_clear(&rel);
	return rc;
}

void
app_scaled(struct ctl *ctl, const char *app, const char *user, json_t *want, json_t *structure)
{
	struct buf what = BUF_INIT;
	struct err e = { 0 };
	char now[DB_TIME_LEN], *js;
	const char *k;
	json_t *v;

	db_now(now);
	js = json_dumps(structure, JSON_COMPACT | JSON_SORT_KEYS);
	if (db_execp(ctl->db, &e, "UPDATE apps SET structure = $1, updated = $2 WHERE id = $3",
	    js, now, app) < 0)
		log_error("cannot store structure of '%s': %s", app, e.msg);
	free(js);
	json_object_foreach(want, k, v)
		buf_addf(&what, "%s%s=%" JSON_INTEGER_FORMAT, what.len ? " " : "", k,
		    json_integer_value(v));
	event_log(ctl, app, "%s scaled containers %s", user, what.p);
	buf_release(&what);
}

int
app_restart(struct ctl *ctl, struct db *db, const char *app, const char *type, unsigned num,
    struct sched_container **out, size_t *nout, struct err *e)
{
	struct rel r;
	struct rel_spec spec;
	int rc;

	if (latest_runnable(ctl, db, app, &r, e) < 0)
		return -1;
	rel_spec(&r, NULL, &spec);
	rc = sched_restart(ctl->sched, &spec.sr, type, num, out, nout, e);
	rel_spec_clear(&spec);
	rel_clear(&r);
	return rc;
}

int
app_destroy(struct ctl *ctl, const char *app, struct err *e)
{
	int rc = 0;

	if (ctl->sched)
		rc = sched_destroy(ctl->sched, app, e);
	if (rc == 0)
		logs_delete(ctl->logger_url, app);
	return rc;
}

int
app_forget(struct ctl *ctl, const char *app, struct err *e)
{
	if (db_begin(ctl->db, e) < 0 ||
	    db_execp(ctl->db, e, "DELETE FROM endpoints WHERE app = $1", app) < 0 ||
	    db_execp(ctl->db, e, "DELETE FROM releases WHERE app = $1", app) < 0 ||
	    db_execp(ctl->db, e, "DELETE FROM apps WHERE id = $1", app) < 0 ||
	    db_commit(ctl->db, e) < 0) {
		db_rollback(ctl->db);
		return -1;
	}
	routes_changed(ctl);
	return 0;
}
