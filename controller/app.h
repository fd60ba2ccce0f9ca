#ifndef CONTROLLER_APP_H
#define CONTROLLER_APP_H
/*
 * Apps as the API sees them (app.c): loading one with the permission check
 * every app-scoped endpoint starts with, and rendering it. Loop thread.
 */
#include <stdbool.h>

#include <jansson.h>

#include "controller/api.h"

struct ctl;

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

#endif
