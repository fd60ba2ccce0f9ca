/*
 * Builder hooks (X-Deis-Builder-Auth): may this user push to this app, the
 * config a build needs, the build result, and which user owns an SSH key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/builds.h"
#include "controller/db.h"
#include "controller/handlers.h"
#include "controller/jobs.h"
#include "controller/release.h"
#include "controller/validate.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/*
 * Check that receive_user may use the app named by receive_repo (".git" and a
 * leading "/" stripped). Fills a->user and a->seg[0] like a user request, so
 * the app handlers' code applies. Responds and returns -1 otherwise.
 */
static int
hook_principal(struct api *a, struct app *app)
{
	const char *user = api_body_str(a, "receive_user", true), *repo;
	struct err e = { 0 };
	struct db_res *res;
	char id[70];
	size_t n;

	if (user == NULL)
		return -1;
	repo = api_body_str(a, "receive_repo", true);
	if (repo == NULL)
		return -1;
	while (*repo == '/')
		repo++;
	if (strlcpy(id, repo, sizeof(id)) >= sizeof(id)) {
		api_detail(a, 404, "Not found");
		return -1;
	}
	n = strlen(id);
	if (n > 4 && !strcmp(id + n - 4, ".git"))
		id[n - 4] = '\0';
	if (validate_app_id(id, &e) < 0) {
		api_detail(a, 404, "Not found");
		return -1;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT username, is_superuser FROM users WHERE "
	    "username = $1 AND is_active = 1", user);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return -1;
	}
	if (db_res_nrows(res) == 0) {
		db_res_free(res);
		api_detail(a, 404, "Not found");
		return -1;
	}
	strlcpy(a->user.username, db_res_get(res, 0, 0), sizeof(a->user.username));
	a->user.is_superuser = !strcmp(db_res_get(res, 0, 1), "1");
	a->authed = true;
	db_res_free(res);
	a->seg[0] = xstrdup(id);
	a->nseg = 1;
	if (app_load(a, app, false) < 0)
		return -1;
	return 0;
}

/* The principal checked (hook_principal), then the required field; NULL (answered) otherwise. */
static const char *
hook_begin(struct api *a, const char *field)
{
	struct app app;

	if (hook_principal(a, &app) < 0)
		return NULL;
	app_release(&app);
	return api_body_str(a, field, true);
}

void
hooks_push(struct api *a)
{
	struct err e = { 0 };
	char uuid[DB_UUID_LEN], now[DB_TIME_LEN];
	const char *sha, *fp, *conn, *cmd;

	if ((sha = hook_begin(a, "sha")) == NULL)
		return;
	fp = api_body_str(a, "fingerprint", false);
	conn = api_body_str(a, "ssh_connection", false);
	cmd = api_body_str(a, "ssh_original_command", false);
	db_uuid_new(uuid);
	db_now(now);
	if (db_execp(a->ctl->db, &e, "INSERT INTO pushes (uuid, app, owner, sha, fingerprint, "
	    "receive_user, receive_repo, ssh_connection, ssh_original_command, created, updated) "
	    "VALUES ($1, $2, $3, $4, $5, $3, $2, $6, $7, $8, $8)", uuid, a->seg[0],
	    a->user.username, sha, fp ? fp : "", conn ? conn : "", cmd ? cmd : "", now) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	api_json(a, 201, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "uuid", uuid,
	    "app", a->seg[0], "owner", a->user.username, "sha", sha, "fingerprint", fp ? fp : "",
	    "receive_user", a->user.username, "receive_repo", a->seg[0],
	    "ssh_connection", conn ? conn : "", "ssh_original_command", cmd ? cmd : "",
	    "created", api_time(now), "updated", api_time(now)));
}

void
hooks_config(struct api *a)
{
	struct app app;
	struct rel r;
	struct err e = { 0 };
	int rc;

	char app_uuid[sizeof(app.uuid)];
	json_t *body;

	if (hook_principal(a, &app) < 0)
		return;
	strlcpy(app_uuid, app.uuid, sizeof(app_uuid));
	app_release(&app);
	rc = rel_load(a->ctl->db, a->seg[0], 0, &r, &e);
	if (rc < 0) {
		api_db_error(a, &e, NULL);
	} else if (rc > 0) {
		api_detail(a, 404, "Not found");
	} else {
		/* Beyond Deis's shape: the builder ties <app>.git to this app, so an
		 * app destroyed and created again under its name starts empty. */
		body = config_json(&r, false);
		json_object_set_new(body, "app_uuid", json_string(app_uuid));
		api_json(a, 200, body);
	}
	rel_clear(&r);
}

void
hooks_build(struct api *a)
{
	const char *image, *sha, *dockerfile, *phases;
	json_t *procfile;
	size_t i;

	if ((image = hook_begin(a, "image")) == NULL)
		return;
	sha = api_body_str(a, "sha", false);
	dockerfile = api_body_str(a, "dockerfile", false);
	/* the builder's share of the push ("receive 0.3 s, build 2.0 s, push 0.4 s"), for the log */
	phases = api_body_str(a, "phases", false);
	for (i = 0; phases && phases[i] && i < 200; i++)
		if (phases[i] < ' ' || phases[i] > '~')
			break;
	if (phases && *phases && phases[i] == '\0')
		log_info("'%s' %.7s built: %s", a->seg[0], sha ? sha : "", phases);
	if (strlen(image) > 255 || strpbrk(image, " \t\r\n\"'`$\\")) {
		api_field_error(a, "image", "Invalid image name.");
		return;
	}
	if (procfile_from_body(a, &procfile) < 0)
		return;
	build_submit(a, a->seg[0], a->user.username, image, sha, procfile,
	    dockerfile && !strcmp(dockerfile, "true") ? "true" : "", true);
	json_decref(procfile);
}

/* ---- may this build use that image (a Dockerfile's FROM, COPY --from) ---- */

struct image_check {
	struct job job;
	struct api *a;
	char app[65], user[64];
	char *image;
};

static void
image_check_work(struct job *j, struct db *db)
{
	struct image_check *ic = j->arg;
	char id[SCHED_IMAGE_ID_MAX];

	j->rc = image_usable(db, ic->a->ctl->sched, ic->image, ic->app, ic->user, id, &j->e);
}

static void
image_check_done(struct job *j)
{
	struct image_check *ic = j->arg;

	if (j->rc < 0)
		api_detail(ic->a, j->e.code ? j->e.code : 503, "%s", j->e.msg);
	else
		api_json(ic->a, 200, json_pack("{s:s}", "image", ic->image));
	free(ic->image);
	free(ic);
}

/*
 * POST /v1/hooks/image {receive_user, receive_repo, image}: before a build, for
 * each image its Dockerfile makes the daemon use. The daemon takes an image
 * already on the engine by any name without asking the registry, so the
 * builder asks here: the image is made present (pulled with the registry's
 * credentials when it is there) and checked as `deis pull` is.
 */
void
hooks_image(struct api *a)
{
	struct image_check *ic;
	const char *image;

	if ((image = hook_begin(a, "image")) == NULL)
		return;
	if (strlen(image) > 255 || strpbrk(image, " \t\r\n\"'`$\\") || *image == '\0') {
		api_detail(a, 400, "cannot tell which image '%.100s' names: write it without "
		    "variables the build does not define", image);
		return;
	}
	if (a->ctl->sched == NULL) {
		api_json(a, 200, json_pack("{s:s}", "image", image));
		return;
	}
	ic = xcalloc(1, sizeof(*ic));
	ic->a = a;
	strlcpy(ic->app, a->seg[0], sizeof(ic->app));
	strlcpy(ic->user, a->user.username, sizeof(ic->user));
	ic->image = xstrdup(image);
	ic->job.work = image_check_work;
	ic->job.done = image_check_done;
	ic->job.arg = ic;
	jobs_submit(a->ctl->jobs, &ic->job);
}

void
hooks_key(struct api *a)
{
	const char *type = api_body_str(a, "type", true), *key;
	char md5[48], sha[64], *line, *norm;
	struct err e = { 0 };
	struct db_res *res;

	if (type == NULL)
		return;
	key = api_body_str(a, "key", true);
	if (key == NULL)
		return;
	line = xasprintf("%s %s", type, key);
	norm = xmalloc(strlen(line) + 1);
	if (validate_ssh_key(line, md5, sha, norm, &e) < 0) {
		free(line);
		free(norm);
		api_detail(a, 404, "Not found");
		return;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT k.owner, k.id, k.fingerprint FROM keys k JOIN "
	    "users u ON u.username = k.owner WHERE k.fingerprint_sha256 = $1 AND u.is_active = 1",
	    sha);
	free(line);
	free(norm);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return;
	}
	if (db_res_nrows(res) == 0)
		api_detail(a, 404, "Not found");
	else
		api_json(a, 200, json_pack("{s:s,s:s,s:s}", "username", db_res_get(res, 0, 0),
		    "id", db_res_get(res, 0, 1), "fingerprint", db_res_get(res, 0, 2)));
	db_res_free(res);
}

/*
 * Beyond Deis: every app's id and uuid, so the builder can remove the
 * repositories and build caches of apps that are gone (builder/gc.c).
 */
void
hooks_apps(struct api *a)
{
	struct err e = { 0 };
	struct db_res *res = db_query(a->ctl->db, "SELECT id, uuid FROM apps ORDER BY id", 0, NULL,
	    &e);
	json_t *list;
	int i;

	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return;
	}
	list = json_array();
	for (i = 0; i < db_res_nrows(res); i++)
		json_array_append_new(list, json_pack("{s:s,s:s}", "id", db_res_get(res, i, 0),
		    "uuid", db_res_get(res, i, 1)));
	db_res_free(res);
	api_json(a, 200, json_pack("{s:o}", "apps", list));
}
