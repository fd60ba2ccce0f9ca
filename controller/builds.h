#ifndef CONTROLLER_BUILDS_H
#define CONTROLLER_BUILDS_H
/*
 * Builds (builds.c): a build is an image with its Procfile, from `deis pull`
 * (POST /v1/apps/<app>/builds) or from the builder's hook; each makes a
 * release of the app's latest config with it, rolled out at once. Loop thread.
 */
#include <stdbool.h>

#include <jansson.h>

#include "lib/err.h"

struct api;
struct ctl;
struct db_res;

/*
 * Create a build and its release (latest config, this build) in one
 * transaction, and log the app event "<user> deployed <sha or image>".
 * Fills build_uuid; returns the new release version, or -1 after filling e
 * (404 when the app has no release, else a database error).
 */
long long build_and_release(struct ctl *ctl, const char *app, const char *user,
    const char *image, const char *sha, json_t *procfile, const char *dockerfile,
    char build_uuid[37], struct err *e);
/*
 * build_and_release(), then roll the release out and answer a: 201 with the
 * build (hook: 200 with the release and the app's domain, the builder's
 * shape) and Deis-Release, or the rollout's error. procfile is borrowed.
 */
void build_submit(struct api *a, const char *app, const char *user, const char *image,
    const char *sha, json_t *procfile, const char *dockerfile, bool hook);
/*
 * Row i of a query of builds (owner, app, image, sha, dockerfile, procfile,
 * created, updated, uuid) as the API shows a build. Caller owns the result.
 */
json_t *build_json(const struct db_res *res, int i);
/*
 * Whether image names one of the platform's own components ("deis/router",
 * "host:5000/deis/builder:v1", "deis/store-monitor"): Deis refused those as
 * apps. Other deis/ images (the examples) are not.
 */
bool build_image_is_platform(const char *image);

#endif
