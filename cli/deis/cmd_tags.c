/*
 * tags:* — list, set, unset: scheduler placement tags kept in the app's
 * config (`tags`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char tags_usage[] =
"\n"
"Valid commands for tags:\n"
"\n"
"tags:list        list tags for an app\n"
"tags:set         set tags for an app\n"
"tags:unset       unset tags for an app\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_tags_help)
{
	fputs(tags_usage, stdout);
	return 0;
}

static void
tags_render(json_t *cfg, const void *arg)
{
	const char *app = arg;

	printf("=== %s Tags\n", app);
	deis_print_tabs(json_object_get(cfg, "tags"), 5);
}

int
deis_tags_print(struct client *c, const char *app)
{
	return deis_config_show(c, app, tags_render);
}

static const struct cmd_spec list_spec = {
	"\n"
	"Lists tags for an application.\n"
	"\n"
	"Usage: deis tags:list [options]\n"
	"\n"
	"Options:\n"
	"  -a --app=<app>\n"
	"    the uniquely identifiable name of the application.\n",
	deis_opts_app, 0, 0, false,
};

CMD(deis_cmd_tags_list)
{
	return deis_cmd_run_show(&list_spec, argc, argv, deis_tags_print);
}

/* POST {"tags": map} then list the tags. */
static int
tags_apply(struct args *a, const struct cmd_spec *spec, json_t *map)
{
	return deis_config_apply(deis_args_get(a, spec, "app"), "Applying tags", "tags", map,
	    deis_tags_print);
}

static const struct cmd_spec set_spec = {
	"\n"
	"Sets tags for an application.\n"
	"\n"
	"A tag is a key/value pair used to tag an application's containers and is passed to the\n"
	"scheduler. This is often used to restrict workloads to specific hosts matching the\n"
	"scheduler-configured metadata.\n"
	"\n"
	"Usage: deis tags:set [options] <key>=<value>...\n"
	"\n"
	"Arguments:\n"
	"  <key> the tag key, for example: \"environ\" or \"rack\"\n"
	"  <value> the tag value, for example: \"prod\" or \"1\"\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, -1, false,
};

/* key=value: strings.Split(tag, "=") must give exactly two parts. */
static int
tag_parse(const char *s, size_t *keylen, json_t **val, const void *arg)
{
	const char *eq = strchr(s, '=');

	if (eq == NULL || strchr(eq + 1, '=') != NULL) {
		fprintf(stderr, "%s is invalid, Must be in format key=value\n"
		    "Examples: rack=1 evironment=production\n", s);
		return -1;
	}
	*keylen = (size_t)(eq - s);
	*val = json_string(eq + 1);
	return 0;
}

CMD(deis_cmd_tags_set)
{
	struct args a;
	json_t *map;
	int rc;

	if (!deis_args_run(&a, &set_spec, argc, argv, &rc))
		return rc;
	map = deis_kv_map(&a, tag_parse, NULL);
	rc = map ? tags_apply(&a, &set_spec, map) : 1;
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec unset_spec = {
	"\n"
	"Unsets tags for an application.\n"
	"\n"
	"Usage: deis tags:unset [options] <key>...\n"
	"\n"
	"Arguments:\n"
	"  <key> the tag key to unset, for example: \"environ\" or \"rack\"\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, -1, false,
};

CMD(deis_cmd_tags_unset)
{
	struct args a;
	int rc;

	if (!deis_args_run(&a, &unset_spec, argc, argv, &rc))
		return rc;
	rc = tags_apply(&a, &unset_spec, deis_kv_nulls(&a));
	deis_args_release(&a);
	return rc;
}
