/*
 * deis: the user's command line, with the grammar, output and exit codes of
 * the Deis 1.13 Go client. main() rewrites help forms and shortcuts, then
 * dispatches through cmds[]; `deis <topic>` runs `<topic>:list`; an unknown
 * command runs the plugin `deis-<name>` found on PATH.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char main_usage[] =
"\n"
"The Deis command-line client issues API calls to a Deis controller.\n"
"\n"
"Usage: deis <command> [<args>...]\n"
"\n"
"Option flags::\n"
"\n"
"  -h --help     display help information\n"
"  -v --version  display client version\n"
"\n"
"Auth commands::\n"
"\n"
"  register      register a new user with a controller\n"
"  login         login to a controller\n"
"  logout        logout from the current controller\n"
"\n"
"Subcommands, use 'deis help [subcommand]' to learn more::\n"
"\n"
"  apps          manage applications used to provide services\n"
"  ps            manage processes inside an app container\n"
"  config        manage environment variables that define app config\n"
"  domains       manage and assign domain names to your applications\n"
"  builds        manage builds created using 'git push'\n"
"  limits        manage resource limits for your application\n"
"  tags          manage tags for application containers\n"
"  releases      manage releases of an application\n"
"  certs         manage SSL endpoints for an app\n"
"\n"
"  keys          manage ssh keys used for 'git push' deployments\n"
"  perms         manage permissions for applications\n"
"  git           manage git for applications\n"
"  users         manage users\n"
"  version       display client version\n"
"\n"
"Shortcut commands, use 'deis shortcuts' to see all::\n"
"\n"
"  create        create a new application\n"
"  scale         scale processes by type (web=2, worker=1)\n"
"  info          view information about the current app\n"
"  open          open a URL to the app in a browser\n"
"  logs          view aggregated log info for the app\n"
"  run           run a command in an ephemeral app container\n"
"  destroy       destroy an application\n"
"  pull          imports an image and deploys as a new release\n"
"\n"
"Use 'git push deis master' to deploy to an application.\n";

static const struct {
	const char *name;
	cmd_fn fn;
} cmds[] = {
	{ "apps:create", deis_cmd_apps_create },
	{ "apps:list", deis_cmd_apps_list },
	{ "apps:info", deis_cmd_apps_info },
	{ "apps:open", deis_cmd_apps_open },
	{ "apps:logs", deis_cmd_apps_logs },
	{ "apps:run", deis_cmd_apps_run },
	{ "apps:destroy", deis_cmd_apps_destroy },
	{ "apps:transfer", deis_cmd_apps_transfer },
	{ "auth:register", deis_cmd_auth_register },
	{ "auth:login", deis_cmd_auth_login },
	{ "auth:logout", deis_cmd_auth_logout },
	{ "auth:passwd", deis_cmd_auth_passwd },
	{ "auth:whoami", deis_cmd_auth_whoami },
	{ "auth:cancel", deis_cmd_auth_cancel },
	{ "auth:regenerate", deis_cmd_auth_regenerate },
	{ "builds:list", deis_cmd_builds_list },
	{ "builds:create", deis_cmd_builds_create },
	{ "certs:list", deis_cmd_certs_list },
	{ "certs:add", deis_cmd_certs_add },
	{ "certs:remove", deis_cmd_certs_remove },
	{ "config:list", deis_cmd_config_list },
	{ "config:set", deis_cmd_config_set },
	{ "config:unset", deis_cmd_config_unset },
	{ "config:pull", deis_cmd_config_pull },
	{ "config:push", deis_cmd_config_push },
	{ "domains:add", deis_cmd_domains_add },
	{ "domains:list", deis_cmd_domains_list },
	{ "domains:remove", deis_cmd_domains_remove },
	{ "git:remote", deis_cmd_git_remote },
	{ "keys:list", deis_cmd_keys_list },
	{ "keys:add", deis_cmd_keys_add },
	{ "keys:remove", deis_cmd_keys_remove },
	{ "limits:list", deis_cmd_limits_list },
	{ "limits:set", deis_cmd_limits_set },
	{ "limits:unset", deis_cmd_limits_unset },
	{ "perms:list", deis_cmd_perms_list },
	{ "perms:create", deis_cmd_perms_create },
	{ "perms:delete", deis_cmd_perms_delete },
	{ "ps:list", deis_cmd_ps_list },
	{ "ps:restart", deis_cmd_ps_restart },
	{ "ps:scale", deis_cmd_ps_scale },
	{ "releases:list", deis_cmd_releases_list },
	{ "releases:info", deis_cmd_releases_info },
	{ "releases:rollback", deis_cmd_releases_rollback },
	{ "tags:list", deis_cmd_tags_list },
	{ "tags:set", deis_cmd_tags_set },
	{ "tags:unset", deis_cmd_tags_unset },
	{ "users:list", deis_cmd_users_list },
	{ "version", deis_cmd_version },
};

/* Topics: `deis <topic>` runs list (NULL: prints the topic's help). */
static const struct {
	const char *name;
	cmd_fn help;
	const char *list;
} topics[] = {
	{ "apps", deis_cmd_apps_help, "apps:list" },
	{ "auth", deis_cmd_auth_help, NULL },
	{ "builds", deis_cmd_builds_help, "builds:list" },
	{ "certs", deis_cmd_certs_help, "certs:list" },
	{ "config", deis_cmd_config_help, "config:list" },
	{ "domains", deis_cmd_domains_help, "domains:list" },
	{ "git", deis_cmd_git_help, NULL },
	{ "keys", deis_cmd_keys_help, "keys:list" },
	{ "limits", deis_cmd_limits_help, "limits:list" },
	{ "perms", deis_cmd_perms_help, "perms:list" },
	{ "ps", deis_cmd_ps_help, "ps:list" },
	{ "releases", deis_cmd_releases_help, "releases:list" },
	{ "tags", deis_cmd_tags_help, "tags:list" },
	{ "users", deis_cmd_users_help, "users:list" },
};

static const struct {
	const char *from, *to;
} shortcuts[] = {
	{ "create", "apps:create" },
	{ "destroy", "apps:destroy" },
	{ "info", "apps:info" },
	{ "login", "auth:login" },
	{ "logout", "auth:logout" },
	{ "logs", "apps:logs" },
	{ "open", "apps:open" },
	{ "passwd", "auth:passwd" },
	{ "pull", "builds:create" },
	{ "register", "auth:register" },
	{ "rollback", "releases:rollback" },
	{ "run", "apps:run" },
	{ "scale", "ps:scale" },
	{ "sharing", "perms:list" },
	{ "sharing:list", "perms:list" },
	{ "sharing:add", "perms:create" },
	{ "sharing:remove", "perms:delete" },
	{ "whoami", "auth:whoami" },
};

static void
print_no_match(void)
{
	fputs("Found no matching command, try 'deis help'\n"
	    "Usage: deis <command> [<args>...]\n", stderr);
}

static bool
is_help(const char *s)
{
	return strcmp(s, "help") == 0 || strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

/* Run deis-<topic> from PATH with the rest of the command line. */
static int
run_plugin(const char *topic, int argc, char **argv)
{
	char *name = xasprintf("deis-%s", topic);
	char **nargv = xcalloc((size_t)argc + 2, sizeof(*nargv));
	const char *colon = strchr(argv[0], ':');
	int i;

	nargv[0] = name;
	nargv[1] = colon ? (char *)colon + 1 : argv[0];
	for (i = 1; i < argc; i++)
		nargv[i + 1] = argv[i];
	fflush(stdout);
	execvp(name, nargv);
	/* not found (or not executable): the Go client printed its usage */
	print_no_match();
	free(nargv);
	free(name);
	return 1;
}

static int
dispatch(int argc, char **argv)
{
	const char *cmd = argv[0];
	size_t tlen = strcspn(cmd, ":");
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(cmds[i].name, cmd) == 0)
			return cmds[i].fn(argc, argv);
	if (strcmp(cmd, "help") == 0) {
		fputs(main_usage, stdout);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(topics); i++) {
		if (strlen(topics[i].name) != tlen || strncmp(topics[i].name, cmd, tlen) != 0)
			continue;
		if (cmd[tlen] == ':') {
			/* deis apps:bogus */
			print_no_match();
			return 1;
		}
		if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
			return topics[i].help(argc, argv);
		if (topics[i].list == NULL)
			return topics[i].help(argc, argv);
		argv[0] = (char *)topics[i].list;
		return dispatch(argc, argv);
	}
	{
		char *topic = xstrndup(cmd, tlen);
		int rc = run_plugin(topic, argc, argv);

		free(topic);
		return rc;
	}
}

int
main(int argc, char **argv)
{
	char **av;
	int ac = 0, i, rc;
	bool seen_dashdash = false;

	av = xcalloc((size_t)argc + 2, sizeof(*av));
	for (i = 1; i < argc; i++)
		av[ac++] = argv[i];
	if (ac == 1 && (strcmp(av[0], "--help") == 0 || strcmp(av[0], "-h") == 0))
		av[0] = "help";
	else if (ac == 1 && (strcmp(av[0], "--version") == 0 || strcmp(av[0], "-v") == 0))
		av[0] = "version";
	if (ac >= 2 && is_help(av[0])) {
		/* deis help apps:create -> deis apps:create --help */
		memmove(av, av + 1, (size_t)(ac - 1) * sizeof(*av));
		av[ac - 1] = "--help";
	}
	if (ac == 0) {
		fputs("Usage: deis <command> [<args>...]\n", stderr);
		free(av);
		return 1;
	}
	for (i = 0; i < (int)ARRAY_SIZE(shortcuts); i++)
		if (strcmp(av[0], shortcuts[i].from) == 0) {
			av[0] = (char *)shortcuts[i].to;
			break;
		}
	/* --json: ours, for scripts; taken out before the command's grammar sees it */
	if (strcmp(av[0], "apps:run") != 0) {
		int j = 1;

		for (i = 1; i < ac; i++) {
			if (strcmp(av[i], "--") == 0)
				seen_dashdash = true;
			if (!seen_dashdash && strcmp(av[i], "--json") == 0) {
				deis_json = true;
				continue;
			}
			av[j++] = av[i];
		}
		ac = j;
		av[ac] = NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = dispatch(ac, av);
	fflush(stdout);
	if (rc < 0) {
		fprintf(stderr, "Error: %s\n", deis_errmsg());
		rc = 1;
	}
	curl_global_cleanup();
	free(av);
	return rc;
}
