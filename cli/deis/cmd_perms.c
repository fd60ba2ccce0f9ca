/*
 * perms:* (and the sharing:* shortcuts) — app collaborators, or with --admin
 * the system administrators; users:list.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char perms_usage[] =
"\n"
"Valid commands for perms:\n"
"\n"
"perms:list            list permissions granted on an app\n"
"perms:create          create a new permission for a user\n"
"perms:delete          delete a permission for a user\n"
"\n"
"Use 'deis help perms:[command]' to learn more.\n";

static const char users_usage[] =
"\n"
"Valid commands for users:\n"
"\n"
"users:list        list all registered users\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_perms_help)
{
	fputs(perms_usage, stdout);
	return 0;
}

CMD(deis_cmd_users_help)
{
	fputs(users_usage, stdout);
	return 0;
}

static const struct opt list_opts[] = {
	{ 'a', "app", true, NULL },
	{ 0, "admin", false, NULL },
	{ 'l', "limit", true, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec list_spec = {
	"\n"
	"Lists all users with permission to use an app, or lists all users with system\n"
	"administrator privileges.\n"
	"\n"
	"Usage: deis perms:list [-a --app=<app>|--admin|--admin --limit=<num>]\n"
	"\n"
	"Options:\n"
	"  -a --app=<app>\n"
	"    lists all users with permission to <app>. <app> is the uniquely identifiable name\n"
	"    for the application.\n"
	"  --admin\n"
	"    lists all users with system administrator privileges.\n"
	DEIS_USAGE_OPT_LIMIT,
	list_opts, 0, 0, false,
};

static void
users_render(json_t *results, const void *arg)
{
	json_t *u;
	size_t i;

	json_array_foreach(results, i, u)
		printf("%s\n", deis_jstr(u, "username"));
}

/* "=== <title><suffix>" then one username per line. */
static int
print_users(const char *path, struct client *c, long limit, const char *title)
{
	return deis_list_show(c, path, limit, title, users_render, NULL);
}

/* "=== <app>'s Users" then the app's collaborators. */
static void
app_users_render(json_t *root, const void *arg)
{
	json_t *u;
	size_t i;

	printf("=== %s's Users\n", (const char *)arg);
	json_array_foreach(json_object_get(root, "users"), i, u)
		if (json_is_string(u))
			printf("%s\n", json_string_value(u));
}

static int
perms_list(struct client *c, const char *app, const struct args *a,
    const struct cmd_spec *spec)
{
	char *id = NULL, *path;
	long limit;
	int rc;

	if (deis_args_flag(a, spec, "admin")) {
		if (deis_parse_limit_opt(deis_args_get(a, spec, "limit"), c->s.response_limit,
		    &limit) < 0)
			return -1;
		return print_users("/v1/admin/perms/", c, limit, "Administrators");
	}
	/* the app matters only without --admin, hence not resolved by deis_cmd_run() */
	if (deis_app_detect(c, deis_args_get(a, spec, "app"), &id, NULL) < 0)
		return -1;
	path = xasprintf("/v1/apps/%s/perms/", id);
	rc = deis_get_show(c, path, app_users_render, id);
	free(path);
	free(id);
	return rc;
}

CMD(deis_cmd_perms_list)
{
	return deis_cmd_run(&list_spec, argc, argv, false, perms_list);
}

static const struct opt perm_opts[] = {
	{ 'a', "app", true, NULL },
	{ 0, "admin", false, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec create_spec = {
	"\n"
	"Gives another user permission to use an app, or gives another user\n"
	"system administrator privileges.\n"
	"\n"
	"Usage: deis perms:create <username> [-a --app=<app>|--admin]\n"
	"\n"
	"Arguments:\n"
	"  <username>\n"
	"    the name of the new user.\n"
	"\n"
	"Options:\n"
	"  -a --app=<app>\n"
	"    grants <username> permission to use <app>. <app> is the uniquely identifiable name\n"
	"    for the application.\n"
	"  --admin\n"
	"    grants <username> system administrator privileges.\n",
	perm_opts, 1, 1, false,
};
static const struct cmd_spec delete_spec = {
	"\n"
	"Revokes another user's permission to use an app, or revokes another user's system\n"
	"administrator privileges.\n"
	"\n"
	"Usage: deis perms:delete <username> [-a --app=<app>|--admin]\n"
	"\n"
	"Arguments:\n"
	"  <username>\n"
	"    the name of the user.\n"
	"\n"
	"Options:\n"
	"  -a --app=<app>\n"
	"    revokes <username> permission to use <app>. <app> is the uniquely identifiable name\n"
	"    for the application.\n"
	"  --admin\n"
	"    revokes <username> system administrator privileges.\n",
	perm_opts, 1, 1, false,
};

/* perms:create and perms:delete: an app's collaborator, or an administrator with --admin. */
static int
perm_change(struct client *c, const struct args *a, const struct cmd_spec *spec, bool create)
{
	const char *user = a->pos[0], *method = create ? "POST" : "DELETE";
	const char *item = create ? NULL : user;
	json_t *req = create ? json_pack("{s:s}", "username", user) : NULL;
	bool admin = deis_args_flag(a, spec, "admin");
	char *app = NULL, *path;
	int rc;

	if (!admin && deis_app_detect(c, deis_args_get(a, spec, "app"), &app, NULL) < 0) {
		json_decref(req);
		return -1;
	}
	if (admin) {
		path = xstrdup("/v1/admin/perms/");
		rc = deis_api_act(c, method, path, item, req, false, create ?
		    "Adding %s to system administrators... " :
		    "Removing %s from system administrators... ", user);
	} else {
		path = xasprintf("/v1/apps/%s/perms/", app);
		rc = deis_api_act(c, method, path, item, req, false, create ?
		    "Adding %s to %s collaborators... " :
		    "Removing %s from %s collaborators... ", user, app);
	}
	free(path);
	free(app);
	return rc;
}

static int
perms_create(struct client *c, const char *app, const struct args *a,
    const struct cmd_spec *spec)
{
	return perm_change(c, a, spec, true);
}

static int
perms_delete(struct client *c, const char *app, const struct args *a,
    const struct cmd_spec *spec)
{
	return perm_change(c, a, spec, false);
}

CMD(deis_cmd_perms_create)
{
	return deis_cmd_run(&create_spec, argc, argv, false, perms_create);
}

CMD(deis_cmd_perms_delete)
{
	return deis_cmd_run(&delete_spec, argc, argv, false, perms_delete);
}

static const struct cmd_spec users_spec = {
	"\n"
	"Lists all registered users.\n"
	"Requires admin privilages.\n"
	"\n"
	"Usage: deis users:list [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_LIMIT,
	deis_opts_limit, 0, 0, false,
};

static int
users_print(struct client *c, const char *app, long limit)
{
	return print_users("/v1/users/", c, limit, "Users");
}

CMD(deis_cmd_users_list)
{
	return deis_cmd_run_list(&users_spec, argc, argv, false, users_print);
}
