/*
 * builds:* — list, create (`deis pull <image>`), with the process types taken
 * from -p '<yaml>' or ./Procfile.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char builds_usage[] =
"\n"
"Valid commands for builds:\n"
"\n"
"builds:list        list build history for an application\n"
"builds:create      imports an image and deploys as a new release\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_builds_help)
{
	fputs(builds_usage, stdout);
	return 0;
}

static const struct cmd_spec list_spec = {
	"\n"
	"Lists build history for an application.\n"
	"\n"
	"Usage: deis builds:list [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	DEIS_USAGE_OPT_LIMIT,
	deis_opts_app_limit, 0, 0, false,
};

static void
builds_render(json_t *results, const void *arg)
{
	json_t *b;
	size_t i;

	json_array_foreach(results, i, b)
		printf("%s %s\n", deis_jstr(b, "uuid"), deis_jstr(b, "created"));
}

static int
builds_print(struct client *c, const char *app, long limit)
{
	return deis_app_list_show(c, app, "builds", "Builds", limit, builds_render, NULL);
}

CMD(deis_cmd_builds_list)
{
	return deis_cmd_run_list(&list_spec, argc, argv, true, builds_print);
}

/*
 * A Procfile is a YAML mapping of process type to command; we read the
 * block form everyone writes ("web: ./bin/web", one per line, # comments),
 * unquoting '...' and "..." values. Returns the map or NULL (deis_fail).
 */
json_t *
deis_procfile_parse(const char *text)
{
	json_t *map = json_object();
	const char *p = text;
	int lineno = 0;

	while (*p) {
		const char *nl = p + strcspn(p, "\n"), *colon, *v, *ve;
		const char *k = p, *ke;
		char *key, *val;

		lineno++;
		while (k < nl && (*k == ' ' || *k == '\t'))
			k++;
		if (k == nl || *k == '#') {
			p = *nl ? nl + 1 : nl;
			continue;
		}
		colon = memchr(k, ':', (size_t)(nl - k));
		if (colon == NULL || colon == k || (colon + 1 < nl && colon[1] != ' ' &&
		    colon[1] != '\t')) {
			json_decref(map);
			deis_fail("yaml: line %d: could not find expected ':'", lineno);
			return NULL;
		}
		ke = colon;
		while (ke > k && isspace((unsigned char)ke[-1]))
			ke--;
		v = colon + 1;
		while (v < nl && isspace((unsigned char)*v))
			v++;
		ve = nl;
		while (ve > v && isspace((unsigned char)ve[-1]))
			ve--;
		if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v) {
			v++;
			ve--;
		}
		key = xstrndup(k, (size_t)(ke - k));
		val = xstrndup(v, (size_t)(ve - v));
		if (json_object_set_new(map, key, json_string(val)) < 0) {
			free(key);
			free(val);
			json_decref(map);
			deis_fail("yaml: line %d: invalid UTF-8", lineno);
			return NULL;
		}
		free(key);
		free(val);
		p = *nl ? nl + 1 : nl;
	}
	return map;
}

static const struct opt create_opts[] = {
	{ 'a', "app", true, NULL },
	{ 'p', "procfile", true, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec create_spec = {
	"\n"
	"Creates a new build of an application. Imports an <image> and deploys it to Deis\n"
	"as a new release. If a Procfile is present in the current directory, it will be used\n"
	"as the default process types for this application.\n"
	"\n"
	"Usage: deis builds:create <image> [options]\n"
	"\n"
	"Arguments:\n"
	"  <image>\n"
	"    A fully-qualified docker image, either from Docker Hub (e.g. deis/example-go:latest)\n"
	"    or from an in-house registry (e.g. myregistry.example.com:5000/example-go:latest).\n"
	"    This image must include the tag.\n"
	"\n"
	"Options:\n"
	"  -a --app=<app>\n"
	"    The uniquely identifiable name for the application.\n"
	"  -p --procfile=<procfile>\n"
	"    A YAML string used to supply a Procfile to the application.\n",
	create_opts, 1, 1, false,
};

/* builds:create's request; procfile is NULL once sent. */
struct build_req {
	const char *image;
	json_t *procfile;
};

static int
build_send(struct client *c, const char *app, void *arg)
{
	struct build_req *b = arg;
	char *path = xasprintf("/v1/apps/%s/builds/", app);
	json_t *procfile = b->procfile;
	int rc;

	b->procfile = NULL;
	rc = deis_api_act(c, "POST", path, NULL, json_pack("{s:s, s:o}", "image", b->image,
	    "procfile", procfile), true, "Creating build... ");
	free(path);
	return rc;
}

CMD(deis_cmd_builds_create)
{
	struct args a;
	json_t *procfile = NULL;
	const char *pf;
	int rc;

	if (!deis_args_run(&a, &create_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	pf = deis_args_get(&a, &create_spec, "procfile");
	if (pf) {
		procfile = deis_procfile_parse(pf);
	} else if (access("Procfile", F_OK) == 0) {
		struct buf text = BUF_INIT;

		if (deis_file_read("Procfile", &text) == 0)
			procfile = deis_procfile_parse(text.p);
		buf_release(&text);
	} else {
		procfile = json_object();
	}
	if (procfile != NULL) {
		struct build_req b = { a.pos[0], procfile };

		rc = deis_app_do(deis_args_get(&a, &create_spec, "app"), build_send, &b);
		json_decref(b.procfile);
	}
	deis_args_release(&a);
	return rc;
}
