/*
 * domains:* — list, add, remove custom domains of an app.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char domains_usage[] =
"\n"
"Valid commands for domains:\n"
"\n"
"domains:add           bind a domain to an application\n"
"domains:list          list domains bound to an application\n"
"domains:remove        unbind a domain from an application\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_domains_help)
{
	fputs(domains_usage, stdout);
	return 0;
}

static void
domains_render(json_t *results, const void *arg)
{
	json_t *d;
	size_t i;

	json_array_foreach(results, i, d)
		printf("%s\n", deis_jstr(d, "domain"));
}

int
deis_domains_print(struct client *c, const char *app, long limit)
{
	return deis_app_list_show(c, app, "domains", "Domains", limit, domains_render, NULL);
}

static const struct cmd_spec list_spec = {
	"\n"
	"Lists domains bound to an application.\n"
	"\n"
	"Usage: deis domains:list [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	DEIS_USAGE_OPT_LIMIT,
	deis_opts_app_limit, 0, 0, false,
};

CMD(deis_cmd_domains_list)
{
	return deis_cmd_run_list(&list_spec, argc, argv, true, deis_domains_print);
}

static const struct cmd_spec add_spec = {
	"\n"
	"Binds a domain to an application.\n"
	"\n"
	"Usage: deis domains:add <domain> [options]\n"
	"\n"
	"Arguments:\n"
	"  <domain>\n"
	"    the domain name to be bound to the application, such as 'domain.deisapp.com'.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, 1, false,
};

static int
domains_add(struct client *c, const char *app, const struct args *a, const struct cmd_spec *spec)
{
	char *path = xasprintf("/v1/apps/%s/domains/", app);
	int rc;

	rc = deis_api_act(c, "POST", path, NULL, json_pack("{s:s}", "domain", a->pos[0]), true,
	    "Adding %s to %s... ", a->pos[0], app);
	free(path);
	return rc;
}

CMD(deis_cmd_domains_add)
{
	return deis_cmd_run(&add_spec, argc, argv, true, domains_add);
}

static const struct cmd_spec remove_spec = {
	"\n"
	"Unbinds a domain for an application.\n"
	"\n"
	"Usage: deis domains:remove <domain> [options]\n"
	"\n"
	"Arguments:\n"
	"  <domain>\n"
	"    the domain name to be removed from the application.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, 1, false,
};

static int
domains_remove(struct client *c, const char *app, const struct args *a,
    const struct cmd_spec *spec)
{
	char *path = xasprintf("/v1/apps/%s/domains/", app);
	int rc;

	rc = deis_api_act(c, "DELETE", path, a->pos[0], NULL, true, "Removing %s from %s... ",
	    a->pos[0], app);
	free(path);
	return rc;
}

CMD(deis_cmd_domains_remove)
{
	return deis_cmd_run(&remove_spec, argc, argv, true, domains_remove);
}
