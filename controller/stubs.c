/*
 * TEMPORARY during development: weak definitions of handlers not yet written,
 * answering 501, so the controller links while its files land. Each real
 * handler overrides its weak twin. This file goes once every handler exists.
 */
#include "controller/handlers.h"

#define STUB(fn) \
	__attribute__((weak)) void fn(struct api *a) { api_detail(a, 501, "not implemented yet"); }

STUB(auth_register) STUB(auth_login) STUB(auth_cancel) STUB(auth_passwd) STUB(auth_tokens)
STUB(users_list) STUB(admin_perms_list) STUB(admin_perms_create) STUB(admin_perms_delete)
STUB(apps_list) STUB(apps_create) STUB(apps_get) STUB(apps_transfer) STUB(apps_destroy)
STUB(apps_logs) STUB(apps_run) STUB(apps_scale)
STUB(perms_list) STUB(perms_create) STUB(perms_delete)
STUB(config_get) STUB(config_set)
STUB(builds_list) STUB(builds_get) STUB(builds_create)
STUB(releases_list) STUB(releases_get) STUB(releases_rollback)
STUB(containers_list) STUB(containers_restart)
STUB(domains_list) STUB(domains_create) STUB(domains_delete)
STUB(certs_list) STUB(certs_get) STUB(certs_create) STUB(certs_delete)
STUB(keys_list) STUB(keys_get) STUB(keys_create) STUB(keys_delete)
STUB(hooks_push) STUB(hooks_config) STUB(hooks_build) STUB(hooks_key)
STUB(internal_routes) STUB(internal_endpoints)
