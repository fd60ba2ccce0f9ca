/* Builds, releases and rollback: parsing and answering (builds.c, release.c do the work). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/builds.h"
#include "controller/db.h"
#include "controller/handlers.h"
#include "controller/release.h"
#include "controller/validate.h"
#include "lib/xalloc.h"

void
builds_list(struct api *a)
{
	api_app_rows(a, "SELECT owner, app, image, sha, dockerfile, procfile, "
	    "created, updated, uuid FROM builds WHERE app = $1 ORDER BY created DESC", build_json);
}

void
builds_get(struct api *a)
{
	struct app app;
	struct err e = { 0 };
	struct db_res *res;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	res = db_queryp(a->ctl->db, &e, "SELECT owner, app, image, sha, dockerfile, procfile, "
	    "created, updated, uuid FROM builds WHERE app = $1 AND uuid = $2", a->seg[0], a->seg[1]);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return;
	}
	if (db_res_nrows(res) == 0)
		api_detail(a, 404, "Not found");
	else
		api_json(a, 200, build_json(res, 0));
	db_res_free(res);
}

/* Procfile from a request: an object of strings, or a YAML-less JSON string of one. */
int
procfile_from_body(struct api *a, json_t **out)
{
	json_t *pf = a->body ? json_object_get(a->body, "procfile") : NULL;
	const char *k;
	json_t *v;
	struct err e = { 0 };

	if (pf && json_is_string(pf) && json_string_length(pf) > 0)
		pf = json_loads(json_string_value(pf), 0, NULL);
	else if (pf && json_is_object(pf))
		json_incref(pf);
	else if (pf == NULL || json_is_null(pf) || (json_is_string(pf) && !json_string_length(pf)))
		pf = json_object();
	else
		pf = NULL;
	if (pf == NULL || !json_is_object(pf)) {
		if (pf)
			json_decref(pf);
		api_field_error(a, "procfile", "Procfile must be a dictionary of process types.");
		return -1;
	}
	json_object_foreach(pf, k, v) {
		if (validate_proc_type(k, &e) < 0 || !json_is_string(v) ||
		    json_string_length(v) == 0 || json_string_length(v) > 4096 ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			json_decref(pf);
			api_field_error(a, "procfile", e.msg[0] ? e.msg :
			    "Procfile commands must be non-empty strings.");
			return -1;
		}
	}
	*out = pf;
	return 0;
}

void
builds_create(struct api *a)
{
	struct app app;
	const char *image;
	json_t *procfile;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	image = api_body_str(a, "image", true);
	if (image == NULL)
		return;
	if (strlen(image) > 255 || strpbrk(image, " \t\r\n\"'`$\\")) {
		api_field_error(a, "image", "Invalid image name.");
		return;
	}
	if (build_image_is_platform(image)) {
		api_detail(a, 403, "Repository name %s is not allowed", image);
		return;
	}
	if (procfile_from_body(a, &procfile) < 0)
		return;
	build_submit(a, a->seg[0], a->user.username, image, NULL, procfile, "", false);
	json_decref(procfile);
}

static json_t *
release_row_json(const struct db_res *res, int i)
{
	const char *b = db_res_get(res, i, 6);

	return json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:o,s:o,s:o}", "uuid", db_res_get(res, i, 0),
	    "app", db_res_get(res, i, 1), "owner", db_res_get(res, i, 2),
	    "version", (json_int_t)db_res_getll(res, i, 3, 0), "summary", db_res_get(res, i, 4),
	    "config", db_res_get(res, i, 5), "build", b ? json_string(b) : json_null(),
	    "created", api_time(db_res_get(res, i, 7)), "updated", api_time(db_res_get(res, i, 8)));
}

void
releases_list(struct api *a)
{
	api_app_rows(a, "SELECT uuid, app, owner, version, summary, config, build, "
	    "created, updated FROM releases WHERE app = $1 ORDER BY version DESC", release_row_json);
}

/* "v3" or "3" → 3; -1 when malformed. */
static long long
parse_version(const char *s)
{
	const char *errstr = NULL;
	long long v;

	if (s[0] == 'v')
		s++;
	v = strtonum(s, 0, 1000000000, &errstr);
	return errstr ? -1 : v;
}

void
releases_get(struct api *a)
{
	struct app app;
	struct rel r;
	struct err e = { 0 };
	long long v = parse_version(a->seg[1]);
	int rc;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	if (v <= 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	rc = rel_load(a->ctl->db, a->seg[0], v, &r, &e);
	if (rc < 0)
		api_db_error(a, &e, NULL);
	else if (rc > 0)
		api_detail(a, 404, "Not found");
	else
		api_json(a, 200, rel_json(&r));
	rel_clear(&r);
}

struct rollback_ctx {
	long long version;
};

static void
rollback_deployed(struct api *a, int rc, const struct err *e, const struct sched_timing *t,
    void *arg)
{
	struct rollback_ctx *rb = arg;

	if (rc < 0) {
		api_detail(a, e->code ? e->code : 503, "%s", e->msg);
	} else {
		buf_addf(&a->hdrs, "Deis-Release: %lld\r\nX-Deis-Release: %lld\r\n", rb->version,
		    rb->version);
		api_json(a, 201, json_pack("{s:I}", "version", (json_int_t)rb->version));
	}
	free(rb);
}

void
releases_rollback(struct api *a)
{
	struct app app;
	struct err e = { 0 };
	json_t *jv = a->body ? json_object_get(a->body, "version") : NULL;
	struct rollback_ctx *rb;
	long long want = 0;
	bool refused;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	if (jv && !json_is_null(jv) && !json_is_integer(jv) &&
	    !(json_is_string(jv) && parse_version(json_string_value(jv)) >= 0)) {
		api_detail(a, 400, "version must be an integer");
		return;
	}
	if (jv && json_is_integer(jv))
		want = json_integer_value(jv);
	else if (jv && json_is_string(jv))
		want = parse_version(json_string_value(jv));
	rb = xcalloc(1, sizeof(*rb));
	if (rel_rollback(a->ctl, a->seg[0], a->user.username, !(jv && (json_is_integer(jv) ||
	    json_is_string(jv))), want, &rb->version, &refused, &e) < 0) {
		free(rb);
		if (refused)
			api_detail(a, e.code, "%s", e.msg);
		else
			api_db_error(a, &e, NULL);
		return;
	}
	deploy_submit(a, a->seg[0], rb->version, rollback_deployed, rb);
}
