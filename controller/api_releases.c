/* Builds, releases and rollback, and the containers (ps) of an app. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/db.h"
#include "controller/events.h"
#include "controller/handlers.h"
#include "controller/jobs.h"
#include "controller/release.h"
#include "controller/validate.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static json_t *
build_row_json(const struct db_res *res, int i)
{
	json_t *procfile = json_loads(db_res_get(res, i, 5), 0, NULL);

	if (procfile == NULL)
		procfile = json_object();
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:s}", "owner", db_res_get(res, i, 0),
	    "app", db_res_get(res, i, 1), "image", db_res_get(res, i, 2),
	    "sha", db_res_get(res, i, 3), "procfile", procfile,
	    "dockerfile", db_res_get(res, i, 4), "created", api_time(db_res_get(res, i, 6)),
	    "updated", api_time(db_res_get(res, i, 7)), "uuid", db_res_get(res, i, 8));
}

void
builds_list(struct api *a)
{
	api_app_rows(a, "SELECT owner, app, image, sha, dockerfile, procfile, "
	    "created, updated, uuid FROM builds WHERE app = $1 ORDER BY created DESC", build_row_json);
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
		api_json(a, 200, build_row_json(res, 0));
	db_res_free(res);
}

/*
 * Create a build and its release (latest config, this build) in one
 * transaction; shared by `deis pull` (builds_create) and the builder's hook.
 * Returns the new release version, or -1 after filling e.
 */
long long
build_and_release(struct ctl *ctl, const char *app, const char *user, const char *image,
    const char *sha, json_t *procfile, const char *dockerfile, char build_uuid[37],
    struct err *e)
{
	struct rel r;
	char now[DB_TIME_LEN], *pf;
	struct buf summary = BUF_INIT;
	long long version = -1;
	int rc;

	if (db_begin(ctl->db, e) < 0)
		return -1;
	rc = rel_load(ctl->db, app, 0, &r, e);
	if (rc != 0) {
		if (rc > 0)
			err_set(e, 404, "Not found");
		db_rollback(ctl->db);
		return -1;
	}
	db_uuid_new(build_uuid);
	db_now(now);
	pf = json_dumps(procfile, JSON_COMPACT | JSON_SORT_KEYS);
	if (sha && sha[0])
		buf_addf(&summary, "%s deployed %.7s", user, sha);
	else
		buf_addf(&summary, "%s deployed %s", user, image);
	if (db_execp(ctl->db, e, "INSERT INTO builds (uuid, app, owner, image, sha, procfile, "
	    "dockerfile, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
	    build_uuid, app, user, image, sha ? sha : "", pf, dockerfile ? dockerfile : "",
	    now) < 0 ||
	    rel_create(ctl->db, app, user, r.config_uuid, build_uuid, summary.p, &version, e) < 0 ||
	    db_commit(ctl->db, e) < 0) {
		db_rollback(ctl->db);
		version = -1;
	} else {
		event_log(ctl, app, "%s", summary.p);
	}
	free(pf);
	buf_release(&summary);
	rel_clear(&r);
	return version;
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

struct build_ctx {
	char uuid[37];
	long long version;
	bool hook;	/* answer as the builder hook does */
};

static void
build_deployed(struct api *a, int rc, const struct err *e, void *arg)
{
	struct build_ctx *bc = arg;
	struct err le = { 0 };
	struct db_res *res;

	if (rc < 0) {
		api_detail(a, e->code ? e->code : 503, "%s", e->msg);
	} else if (bc->hook) {
		buf_addf(&a->hdrs, "Deis-Release: %lld\r\nX-Deis-Release: %lld\r\n", bc->version,
		    bc->version);
		api_json(a, 200, json_pack("{s:{s:I},s:[o]}", "release", "version",
		    (json_int_t)bc->version, "domains", json_sprintf("%s.%s", a->seg[0] ? a->seg[0] :
		    "", a->ctl->domain)));
	} else {
		res = db_queryp(a->ctl->db, &le, "SELECT owner, app, image, sha, dockerfile, "
		    "procfile, created, updated, uuid FROM builds WHERE uuid = $1", bc->uuid);
		if (res == NULL || db_res_nrows(res) != 1) {
			api_detail(a, 503, "build is gone");
		} else {
			buf_addf(&a->hdrs, "Deis-Release: %lld\r\nX-Deis-Release: %lld\r\n",
			    bc->version, bc->version);
			api_json(a, 201, build_row_json(res, 0));
		}
		db_res_free(res);
	}
	free(bc);
}

/* Start the rollout of a new build's release; used by builds_create and hooks_build. */
void
build_submit(struct api *a, const char *app, const char *user, const char *image,
    const char *sha, json_t *procfile, const char *dockerfile, bool hook)
{
	struct build_ctx *bc = xcalloc(1, sizeof(*bc));
	struct err e = { 0 };

	bc->hook = hook;
	bc->version = build_and_release(a->ctl, app, user, image, sha, procfile, dockerfile,
	    bc->uuid, &e);
	if (bc->version < 0) {
		free(bc);
		if (e.code == 404)
			api_detail(a, 404, "Not found");
		else
			api_db_error(a, &e, NULL);
		return;
	}
	deploy_submit(a, app, bc->version, build_deployed, bc);
}

/*
 * Deis refused images of its own components ("deis/<component>", on any
 * registry): an app must not run as the platform. Other deis/ images (the
 * examples, deis/example-go) are apps like any other.
 */
static bool
image_is_platform(const char *image)
{
	static const char *components[] = { "builder", "controller", "database", "logger",
		"logspout", "publisher", "registry", "router", "store", "slugbuilder",
		"slugrunner", "platform", "stack", "deisctl" };
	const char *p = strstr(image, "deis/");
	size_t i, n;

	for (; p; p = strstr(p + 1, "deis/")) {
		if (p != image && p[-1] != '/')
			continue;
		p += 5;
		n = strcspn(p, ":@/");
		for (i = 0; i < ARRAY_SIZE(components); i++)
			if (!strncmp(p, components[i], strlen(components[i])) &&
			    (n == strlen(components[i]) || p[strlen(components[i])] == '-'))
				return true;
	}
	return false;
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
	if (image_is_platform(image)) {
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
rollback_deployed(struct api *a, int rc, const struct err *e, void *arg)
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
	struct rel latest, target;
	struct err e = { 0 };
	struct buf summary = BUF_INIT;
	json_t *jv = a->body ? json_object_get(a->body, "version") : NULL;
	struct rollback_ctx *rb;
	long long want;
	int rc;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	if (jv && !json_is_null(jv) && !json_is_integer(jv) &&
	    !(json_is_string(jv) && parse_version(json_string_value(jv)) >= 0)) {
		api_detail(a, 400, "version must be an integer");
		return;
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	if (rel_load(a->ctl->db, a->seg[0], 0, &latest, &e) != 0) {
		db_rollback(a->ctl->db);
		api_db_error(a, &e, NULL);
		return;
	}
	if (jv && json_is_integer(jv))
		want = json_integer_value(jv);
	else if (jv && json_is_string(jv))
		want = parse_version(json_string_value(jv));
	else
		want = latest.version - 1;
	rel_clear(&latest);
	if (want <= 0) {
		db_rollback(a->ctl->db);
		api_detail(a, 400, "version cannot be below 0");
		return;
	}
	rc = rel_load(a->ctl->db, a->seg[0], want, &target, &e);
	if (rc != 0) {
		db_rollback(a->ctl->db);
		if (rc > 0)
			api_detail(a, 404, "Not found");
		else
			api_db_error(a, &e, NULL);
		return;
	}
	if (!target.build_uuid[0]) {
		db_rollback(a->ctl->db);
		rel_clear(&target);
		api_detail(a, 400, "Cannot roll back to initial release");
		return;
	}
	rb = xcalloc(1, sizeof(*rb));
	buf_addf(&summary, "%s rolled back to v%lld", a->user.username, want);
	if (rel_create(a->ctl->db, a->seg[0], a->user.username, target.config_uuid,
	    target.build_uuid, summary.p, &rb->version, &e) < 0 || db_commit(a->ctl->db, &e) < 0) {
		db_rollback(a->ctl->db);
		free(rb);
		rel_clear(&target);
		buf_release(&summary);
		api_db_error(a, &e, NULL);
		return;
	}
	event_log(a->ctl, a->seg[0], "%s", summary.p);
	rel_clear(&target);
	buf_release(&summary);
	deploy_submit(a, a->seg[0], rb->version, rollback_deployed, rb);
}
