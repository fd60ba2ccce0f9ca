#ifndef CONTROLLER_RELEASE_H
#define CONTROLLER_RELEASE_H
/*
 * Releases: a release is a build × a config, numbered per app. Creating one
 * and rolling it out are separate steps: the row is written in the caller's
 * transaction on the loop thread; the rollout runs as a job on a worker
 * (deploy.c), and a failed rollout removes the release it created, as Deis did.
 */
#include <jansson.h>
#include <stdbool.h>

#include "controller/api.h"
#include "controller/controller.h"
#include "controller/scheduler/scheduler.h"

struct db;

/* A release with its config and build, as loaded from the database. */
struct rel {
	char uuid[37];
	char app[65];
	char owner[64];
	long long version;
	char summary[512];
	char config_uuid[37];
	char build_uuid[37];	/* "" when the release has no build */
	char created[32], updated[32];
	/* config */
	json_t *values, *memory, *cpu, *tags;	/* objects, owned */
	/* build (valid when build_uuid[0]) */
	char image[512];
	char image_id[80];	/* the engine's id, "" until the build first runs */
	char build_owner[64];	/* who made the build */
	char sha[64];
	bool dockerfile;
	json_t *procfile;	/* object, owned */
};

/* Load release version (0: the latest) of app. Returns 0, 1 when absent, -1 on error. */
int rel_load(struct db *db, const char *app, long long version, struct rel *r, struct err *e);
void rel_clear(struct rel *r);

/*
 * BLOCKS (the scheduler may pull): before anything of r runs. The first time
 * its build runs, resolve the build's image to the engine's id and refuse
 * (403) an image the builder made for an app that the build's owner may not
 * deploy, by whatever name or digest it was asked for; else record the id on
 * the build. 0, or -1 with e (403, or 503 from the engine).
 */
int rel_image_check(struct db *db, struct sched *s, struct rel *r, struct err *e);
/*
 * BLOCKS (the scheduler may pull): make image present, give its engine id, and
 * 0 when user may use it in app: it is no image the builder made for another
 * app, or one of an app user may deploy (their own, shared with them, any for
 * an admin). Else -1 with e (403 naming image, or 503 from the engine).
 */
int image_usable(struct db *db, struct sched *s, const char *image, const char *app,
    const char *user, char id[SCHED_IMAGE_ID_MAX], struct err *e);

/*
 * Insert release latest+1 of app with the given config and build (build may be
 * "" or NULL). Call inside a transaction. Sets *version.
 */
int rel_create(struct db *db, const char *app, const char *owner, const char *config_uuid,
    const char *build_uuid, const char *summary, long long *version, struct err *e);
/*
 * Roll app back: in one transaction, a new release with the config and build
 * of release want (previous: the one before the latest), and the app event
 * "<user> rolled back to v<want>". Sets *version. -1 with e filled: when
 * *refused, e->code and e->msg are the answer (400: below 1 or the initial
 * release, which has no build; 404: no such release), else a database error.
 */
int rel_rollback(struct ctl *ctl, const char *app, const char *user, bool previous,
    long long want, long long *version, bool *refused, struct err *e);
/* Insert a config row with these JSON objects (borrowed); fills uuid. */
int config_insert(struct db *db, const char *app, const char *owner, json_t *values,
    json_t *memory, json_t *cpu, json_t *tags, char uuid[37], struct err *e);

json_t *rel_json(const struct rel *r);
json_t *config_json(const struct rel *r, bool with_release_vars);

/*
 * Fill a scheduler spec from r. Arrays point into r and spec storage, valid
 * while both live; free with rel_spec_clear().
 */
struct rel_spec {
	struct sched_release sr;
	struct sched_kv *kv;	/* one allocation for all lists */
};
void rel_spec(const struct rel *r, const char *image_override, struct rel_spec *s);
void rel_spec_clear(struct rel_spec *s);

/* Structure from a JSON object {"web":2}; *n entries, caller frees the array. */
struct sched_scale *structure_from_json(json_t *structure, size_t *n);

/*
 * Roll out release version of app on a worker, then call done(a, rc, e) on
 * the loop. On failure the release (and its config if unused elsewhere) is
 * deleted. A release that is no longer the latest when its turn comes is not
 * deployed (a newer one will be). When the app has no structure yet, the Deis
 * default is used and stored: {"web":1} when the procfile has web, else {"cmd":1}.
 */
/* t: where the deploy's time went (NULL when nothing was deployed: no scheduler, skipped). */
typedef void deploy_done_fn(struct api *a, int rc, const struct err *e,
    const struct sched_timing *t, void *arg);
void deploy_submit(struct api *a, const char *app, long long version, deploy_done_fn *done,
    void *arg);

#endif
