/*
 * From a build to a running release: a build (an image, with its Procfile,
 * from `deis pull` or the builder) makes a release of the latest config with
 * it, and that release is rolled out (deploy.c) while the request waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/api.h"
#include "controller/builds.h"
#include "controller/controller.h"
#include "controller/db.h"
#include "controller/events.h"
#include "controller/release.h"
#include "lib/ev.h"
#include "lib/xalloc.h"

json_t *
build_json(const struct db_res *res, int i)
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
	}
	/* the app's log says "deployed" once it runs (build_deployed), not before */
	free(pf);
	buf_release(&summary);
	rel_clear(&r);
	return version;
}

struct build_ctx {
	char uuid[37];
	long long version;
	bool hook;	/* answer as the builder hook does */
	long long release_ms;	/* the build and release rows written */
	char app[65], user[64], what[160];	/* for the app's log */
};

static void
build_deployed(struct api *a, int rc, const struct err *e, const struct sched_timing *t,
    void *arg)
{
	struct build_ctx *bc = arg;
	struct err le = { 0 };
	struct db_res *res;

	if (rc < 0)
		event_log(a->ctl, bc->app, "%s deployed %s: refused, %s", bc->user, bc->what,
		    e->msg);
	else
		event_log(a->ctl, bc->app, "%s deployed %s", bc->user, bc->what);
	if (rc < 0) {
		api_detail(a, e->code ? e->code : 503, "%s", e->msg);
	} else if (bc->hook) {
		buf_addf(&a->hdrs, "Deis-Release: %lld\r\nX-Deis-Release: %lld\r\n", bc->version,
		    bc->version);
		json_t *body = json_pack("{s:{s:I},s:[o]}", "release", "version",
		    (json_int_t)bc->version, "domains", json_sprintf("%s.%s", a->seg[0] ? a->seg[0] :
		    "", a->ctl->domain));

		/* for the phases the builder prints at the end of a push (ms) */
		json_t *tj = json_pack("{s:I}", "release", (json_int_t)bc->release_ms);

		if (t)
			json_object_update_new(tj, json_pack("{s:I,s:I,s:I,s:I,s:I}", "prepare",
			    (json_int_t)t->prepare_ms, "start", (json_int_t)t->start_ms, "health",
			    (json_int_t)t->health_ms, "switch", (json_int_t)t->switch_ms, "stop",
			    (json_int_t)t->stop_ms));
		json_object_set_new(body, "timings", tj);
		api_json(a, 200, body);
	} else {
		res = db_queryp(a->ctl->db, &le, "SELECT owner, app, image, sha, dockerfile, "
		    "procfile, created, updated, uuid FROM builds WHERE uuid = $1", bc->uuid);
		if (res == NULL || db_res_nrows(res) != 1) {
			api_detail(a, 503, "build is gone");
		} else {
			buf_addf(&a->hdrs, "Deis-Release: %lld\r\nX-Deis-Release: %lld\r\n",
			    bc->version, bc->version);
			api_json(a, 201, build_json(res, 0));
		}
		db_res_free(res);
	}
	free(bc);
}

void
build_submit(struct api *a, const char *app, const char *user, const char *image,
    const char *sha, json_t *procfile, const char *dockerfile, bool hook)
{
	struct build_ctx *bc = xcalloc(1, sizeof(*bc));
	struct err e = { 0 };

	bc->hook = hook;
	strlcpy(bc->app, app, sizeof(bc->app));
	strlcpy(bc->user, user, sizeof(bc->user));
	if (sha && sha[0])
		snprintf(bc->what, sizeof(bc->what), "%.7s", sha);
	else
		snprintf(bc->what, sizeof(bc->what), "%s", image);
	uint64_t t0 = ev_now_ms();

	bc->version = build_and_release(a->ctl, app, user, image, sha, procfile, dockerfile,
	    bc->uuid, &e);
	bc->release_ms = (long long)(ev_now_ms() - t0);
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
bool
build_image_is_platform(const char *image)
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
