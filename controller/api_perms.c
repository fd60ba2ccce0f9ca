/*
 * App collaborators: /v1/apps/<id>/perms (guardian's api.use_app in Deis).
 *
 * Who may do what (security.md §3.7): anyone who may use the app lists its
 * collaborators; only the owner or an administrator adds or removes them; a
 * collaborator may remove themself. Strangers get 404 for the app (app_load).
 * Authorization is read from the database on every request, so a removed
 * collaborator's next call is refused.
 */
#include <string.h>

#include "controller/db.h"
#include "controller/events.h"
#include "controller/handlers.h"
#include "lib/log.h"

static const char forbidden[] = "You do not have permission to perform this action.";

void
perms_list(struct api *a)
{
	struct app app;
	struct err e = { 0 };
	struct db_res *res;
	json_t *users;
	int i;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	res = db_queryp(a->ctl->db, &e, "SELECT username FROM app_perms WHERE app = $1 "
	    "ORDER BY username", app.id);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return;
	}
	users = json_array();
	for (i = 0; i < db_res_nrows(res); i++)
		json_array_append_new(users, json_string(db_res_get(res, i, 0)));
	db_res_free(res);
	api_json(a, 200, json_pack("{s:o}", "users", users));
}

void
perms_create(struct api *a)
{
	struct app app;
	struct err e = { 0 };
	struct db_res *res;
	const char *username;
	char now[DB_TIME_LEN];
	int rows;

	if (app_load(a, &app, true) < 0)
		return;
	app_release(&app);
	if ((username = api_body_str(a, "username", true)) == NULL)
		return;
	if (strlen(username) > 255) {
		api_detail(a, 404, "Not found");
		return;
	}
	if (!strcmp(username, app.owner)) {
		api_field_error(a, "username", "The owner of an app cannot be a collaborator.");
		return;
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT username FROM users WHERE username = $1", username);
	if (res == NULL)
		goto fail;
	rows = db_res_nrows(res);
	db_res_free(res);
	if (rows != 1) {
		db_rollback(a->ctl->db);
		api_detail(a, 404, "Not found");
		return;
	}
	db_now(now);
	/* Granting twice is not an error (guardian's assign_perm). */
	if (db_execp(a->ctl->db, &e, "INSERT INTO app_perms (app, username, created) VALUES "
	    "($1, $2, $3) ON CONFLICT (app, username) DO NOTHING", app.id, username, now) < 0 ||
	    db_commit(a->ctl->db, &e) < 0)
		goto fail;
	event_log(a->ctl, app.id, "User %s was granted access to %s", username, app.id);
	api_json(a, 201, NULL);
	return;
fail:
	db_rollback(a->ctl->db);
	api_db_error(a, &e, NULL);
}

void
perms_delete(struct api *a)
{
	struct app app;
	struct err e = { 0 };
	const char *username = a->seg[1];
	int n;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	/* A collaborator may leave; removing others needs the owner or an admin. */
	if (strcmp(username, a->user.username) != 0 && strcmp(app.owner, a->user.username) != 0 &&
	    !a->user.is_superuser) {
		api_detail(a, 403, forbidden);
		return;
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	n = db_execp(a->ctl->db, &e, "DELETE FROM app_perms WHERE app = $1 AND username = $2",
	    app.id, username);
	if (n < 0 || db_commit(a->ctl->db, &e) < 0) {
		db_rollback(a->ctl->db);
		api_db_error(a, &e, NULL);
		return;
	}
	if (n == 0) {
		/* Deis answered 403 here; "not a collaborator" is a 404 like any unknown object. */
		api_detail(a, 404, "Not found");
		return;
	}
	event_log(a->ctl, app.id, "User %s was revoked access to %s", username, app.id);
	api_json(a, 204, NULL);
}
