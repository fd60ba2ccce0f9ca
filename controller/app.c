/*
 * Apps as the API sees them: loading with the permission check every
 * app-scoped endpoint starts with, and rendering.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/app.h"
#include "controller/controller.h"
#include "controller/db.h"
#include "controller/validate.h"
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
