/*
 * git:remote, and `deis version`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/deis/deis.h"

static const char git_usage[] =
"\n"
"Valid commands for git:\n"
"\n"
"git:remote          Adds git remote of application to repository\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_git_help)
{
	fputs(git_usage, stdout);
	return 0;
}

static const struct opt remote_opts[] = {
	{ 'a', "app", true, NULL },
	{ 'r', "remote", true, "deis" },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec remote_spec = {
	"\n"
	"Adds git remote of application to repository\n"
	"\n"
	"Usage: deis git:remote [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	"  -r --remote=REMOTE\n"
	"    name of remote to create. [default: deis]\n",
	remote_opts, 0, 0, false,
};

CMD(deis_cmd_git_remote)
{
	struct args a;
	struct client c;
	char *app = NULL;
	int rc;

	if (!deis_args_run(&a, &remote_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (deis_app_load(&c, deis_args_get(&a, &remote_spec, "app"), &app) == 0) {
		rc = deis_git_remote_create(c.host, deis_args_get(&a, &remote_spec, "remote"), app);
		free(app);
		deis_client_release(&c);
	}
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec version_spec = {
	"\n"
	"Displays the client version.\n"
	"\n"
	"Usage: deis version\n"
	"\n"
	"Use 'deis help [command]' to learn more.\n",
	NULL, 0, 0, false,
};

CMD(deis_cmd_version)
{
	struct args a;
	int rc;

	if (!deis_args_run(&a, &version_spec, argc, argv, &rc))
		return rc;
	deis_args_release(&a);
	printf("%s\n", DEIS_VERSION);
	return 0;
}
