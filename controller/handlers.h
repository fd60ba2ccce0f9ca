#ifndef CONTROLLER_HANDLERS_H
#define CONTROLLER_HANDLERS_H
/*
 * Every API endpoint, one function each; the table in api.c maps paths to
 * them. They parse and check the request, call the part that does the work,
 * and answer (api.h).
 */
#include "controller/api.h"
#include "controller/app.h"
#include "controller/controller.h"

/* api_auth.c */
api_fn auth_register, auth_login, auth_cancel, auth_passwd, auth_tokens;
api_fn users_list, admin_perms_list, admin_perms_create, admin_perms_delete;
/* api_apps.c */
api_fn apps_list, apps_create, apps_get, apps_transfer, apps_destroy;
api_fn apps_logs, apps_run, apps_scale;
api_fn perms_list, perms_create, perms_delete;
/* api_config.c */
api_fn config_get, config_set;
/* api_releases.c */
api_fn builds_list, builds_get, builds_create;
api_fn releases_list, releases_get, releases_rollback;
/* Procfile of the request body (object or JSON string); responds 400 and returns -1. */
int procfile_from_body(struct api *a, json_t **out);
/* api_containers.c */
api_fn containers_list, containers_restart;
/* api_domains.c */
api_fn domains_list, domains_create, domains_delete;
api_fn certs_list, certs_get, certs_create, certs_delete;
api_fn keys_list, keys_get, keys_create, keys_delete;
/* api_hooks.c */
api_fn hooks_push, hooks_config, hooks_build, hooks_key, hooks_apps, hooks_image;
/* api_internal.c */
api_fn internal_routes, internal_endpoints, internal_container;

#endif
