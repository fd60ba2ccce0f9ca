#ifndef CONTROLLER_APP_H
#define CONTROLLER_APP_H
/*
 * Apps (app.c): loading one with the permission check every app-scoped
 * endpoint starts with and rendering it (loop thread), and what the scheduler
 * does to an app's containers, for its latest release (workers, blocking).
 */
#include <stdbool.h>

#include <jansson.h>

#include "controller/api.h"
#include "controller/scheduler/scheduler.h"
#include "lib/buf.h"
#include "lib/err.h"

struct ctl;
struct db;

struct app {
	char uuid[37];
	char id[65];
	char owner[64];
	long long owner_id;
	json_t *structure;
	char created[32], updated[32];
};
/*
 * Load the app named by a->seg[0] and check that the user may use it (owner,
 * collaborator or admin). Responds 404/403 and returns -1 otherwise. With
 * owner_only, collaborators get 403.
 */
int app_load(struct api *a, struct app *app, bool owner_only);
void app_release(struct app *app);
json_t *app_json(struct ctl *ctl, const struct app *app);


/*
 * An app's list endpoint: app_load() (any user of the app), then sql with $1 =
 * the app id, rendered with api_rows(). Answers in every case.
 */
void api_app_rows(struct api *a, const char *sql, api_row_fn *row);

/*
 * Worker side: each BLOCKS (the scheduler talks to the engine, may pull) and
 * takes the worker's db. 0, or -1 with e filled (e left empty when the app
 * has no release).
 */
/*
 * `deis run`: one-off command in a container of the latest release (which
 * needs a build: 400 otherwise); its exit code and output (appended to out).
 */
int app_run(struct ctl *ctl, struct db *db, const char *app, const char *command, int *exit_code,
    struct buf *out, struct err *e);
/*
 * `deis run` on a terminal: the same one-off, started with a terminal and
 * attached (t: the scheduler's handle, ended with sched_tty_end()).
 */
int app_run_tty(struct ctl *ctl, struct db *db, const char *app, const char *command,
    struct sched_tty *t, struct err *e);
/*
 * Scale the app's containers of the latest release to want ({"web":3},
 * validated, borrowed); without a scheduler, only the release is loaded.
 */
int app_scale(struct ctl *ctl, struct db *db, const char *app, json_t *want, struct err *e);
/*
 * Restart the app's containers (all, those of type, or type.num when num is
 * not 0); *out (caller frees) gets the new ones, *nout how many.
 */
int app_restart(struct ctl *ctl, struct db *db, const char *app, const char *type, unsigned num,
    struct sched_container **out, size_t *nout, struct err *e);
/* Remove every container of the app (when there is a scheduler), then its logs. */
int app_destroy(struct ctl *ctl, const char *app, struct err *e);

/* Loop side. */
/* The app event of a one-off run: who runs which program (never its arguments). */
void app_run_event(struct ctl *ctl, const char *app, const char *user, const char *command);
/*
 * After app_scale(): store structure (borrowed) as the app's (a failure is
 * logged) and log the event "<user> scaled containers web=3 ...", from want.
 */
void app_scaled(struct ctl *ctl, const char *app, const char *user, json_t *want,
    json_t *structure);
/*
 * After app_destroy(): delete the app's rows (endpoints, releases, the app;
 * the rest goes with it) in one transaction and push the route table. 0, or
 * -1 with e filled (nothing deleted).
 */
int app_forget(struct ctl *ctl, const char *app, struct err *e);

#endif
