/*
 * limits:* — list, set, unset: per process type memory and CPU limits, stored
 * in the app's config (`memory`, `cpu`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char limits_usage[] =
"\n"
"Valid commands for limits:\n"
"\n"
"limits:list        list resource limits for an app\n"
"limits:set         set resource limits for an app\n"
"limits:unset       unset resource limits for an app\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_limits_help)
{
	fputs(limits_usage, stdout);
	return 0;
}

static void
limits_render(json_t *cfg, const void *arg)
{
	const char *app = arg;
	json_t *mem = json_object_get(cfg, "memory"), *cpu = json_object_get(cfg, "cpu");

	printf("=== %s Limits\n\n", app);
	printf("--- Memory\n");
	if (json_object_size(mem) == 0)
		printf("Unlimited\n");
	else
		deis_print_tabs(mem, 5);
	printf("\n--- CPU\n");
	if (json_object_size(cpu) == 0)
		printf("Unlimited\n");
	else
		deis_print_tabs(cpu, 5);
}

int
deis_limits_print(struct client *c, const char *app)
{
	return deis_config_show(c, app, limits_render);
}

static const struct cmd_spec list_spec = {
	"\n"
	"Lists resource limits for an application.\n"
	"\n"
	"Usage: deis limits:list [options]\n"
	"\n"
	"Options:\n"
	"  -a --app=<app>\n"
	"    the uniquely identifiable name of the application.\n",
	deis_opts_app, 0, 0, false,
};

CMD(deis_cmd_limits_list)
{
	return deis_cmd_run_show(&list_spec, argc, argv, deis_limits_print);
}

static const struct opt set_opts[] = {
	{ 'a', "app", true, NULL },
	{ 'c', "cpu", false, NULL },
	{ 'm', "memory", false, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec set_spec = {
	"\n"
	"Sets resource limits for an application.\n"
	"\n"
	"A resource limit is a finite resource within a container which we can apply\n"
	"restrictions to either through the scheduler or through the Docker API. This limit\n"
	"is applied to each individual container, so setting a memory limit of 1G for an\n"
	"application means that each container gets 1G of memory.\n"
	"\n"
	"Usage: deis limits:set [options] <type>=<limit>...\n"
	"\n"
	"Arguments:\n"
	"  <type>\n"
	"    the process type as defined in your Procfile, such as 'web' or 'worker'.\n"
	"    Note that Dockerfile apps have a default 'cmd' process type.\n"
	"  <limit>\n"
	"    The limit to apply to the process type. By default, this is set to --memory.\n"
	"    You can only set one type of limit per call.\n"
	"\n"
	"    With --memory, units are represented in Bytes (B), Kilobytes (K), Megabytes\n"
	"    (M), or Gigabytes (G). For example, 'deis limit:set cmd=1G' will restrict all\n"
	"    \"cmd\" processes to a maximum of 1 Gigabyte of memory each.\n"
	"\n"
	"    With --cpu, units are represented in the number of cpu shares. For example,\n"
	"    'deis limit:set --cpu cmd=1024' will restrict all \"cmd\" processes to a\n"
	"    maximum of 1024 cpu shares.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	"  -c --cpu\n"
	"    limits cpu shares.\n"
	"  -m --memory\n"
	"    limits memory. [default: true]\n",
	set_opts, 1, -1, false,
};

/* POST {"memory"|"cpu": map} then list the limits. */
static int
limits_apply(struct args *a, const struct cmd_spec *spec, json_t *map)
{
	return deis_config_apply(deis_args_get(a, spec, "app"), "Applying limits",
	    deis_args_flag(a, spec, "cpu") ? "cpu" : "memory", map, deis_limits_print);
}

/* type=limit; cpu shares are numbers in the API, memory limits are strings. */
static int
limit_parse(const char *s, size_t *keylen, json_t **val, const void *arg)
{
	const bool *cpu = arg;
	const char *v;

	if (deis_kv_parse_limit(s, keylen, &v) < 0) {
		fprintf(stderr, "%s doesn't fit format type=#unit or type=#\n"
		    "Examples: web=2G worker=500M web=300\n", s);
		return -1;
	}
	*val = *cpu && strspn(v, "0123456789") == strlen(v) ?
	    json_integer(strtoll(v, NULL, 10)) : json_string(v);
	return 0;
}

CMD(deis_cmd_limits_set)
{
	struct args a;
	json_t *map;
	bool cpu;
	int rc;

	if (!deis_args_run(&a, &set_spec, argc, argv, &rc))
		return rc;
	cpu = deis_args_flag(&a, &set_spec, "cpu");
	map = deis_kv_map(&a, limit_parse, &cpu);
	rc = map ? limits_apply(&a, &set_spec, map) : 1;
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec unset_spec = {
	"\n"
	"Unsets resource limits for an application.\n"
	"\n"
	"Usage: deis limits:unset [options] [--memory | --cpu] <type>...\n"
	"\n"
	"Arguments:\n"
	"  <type>\n"
	"    the process type as defined in your Procfile, such as 'web' or 'worker'.\n"
	"    Note that Dockerfile apps have a default 'cmd' process type.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	"  -c --cpu\n"
	"    limits cpu shares.\n"
	"  -m --memory\n"
	"    limits memory. [default: true]\n",
	set_opts, 1, -1, false,
};

CMD(deis_cmd_limits_unset)
{
	struct args a;
	int rc;

	if (!deis_args_run(&a, &unset_spec, argc, argv, &rc))
		return rc;
	rc = limits_apply(&a, &unset_spec, deis_kv_nulls(&a));
	deis_args_release(&a);
	return rc;
}
