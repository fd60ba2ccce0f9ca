/*
 * releases:* — list (tab-aligned like Go's text/tabwriter), info, rollback.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char releases_usage[] =
"\n"
"Valid commands for releases:\n"
"\n"
"releases:list        list an application's release history\n"
"releases:info        print information about a specific release\n"
"releases:rollback    return to a previous release\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_releases_help)
{
	fputs(releases_usage, stdout);
	return 0;
}

static const struct cmd_spec list_spec = {
	"\n"
	"Lists release history for an application.\n"
	"\n"
	"Usage: deis releases:list [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	DEIS_USAGE_OPT_LIMIT,
	deis_opts_app_limit, 0, 0, false,
};

/* Display width in characters, as Go's tabwriter counts (UTF-8 runes). */
static size_t
text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* text/tabwriter(minwidth 0, tabwidth 8, padding 1, padchar '\t') for one cell. */
static void
tab_pad(size_t textw, size_t colw)
{
	size_t cellw = (colw + 7) / 8 * 8, n = cellw - textw, tabs = (n + 7) / 8;

	while (tabs--)
		putchar('\t');
}

/* Columns aligned the way Go's tabwriter aligned them in Deis. */
static void
releases_render(json_t *results, const void *arg)
{
	json_t *r;
	char ver[32];
	size_t i, w0 = 0, w1 = 0;

	json_array_foreach(results, i, r) {
		snprintf(ver, sizeof(ver), "v%lld",
		    (long long)json_integer_value(json_object_get(r, "version")));
		if (strlen(ver) + 1 > w0)
			w0 = strlen(ver) + 1;
		if (text_width(deis_jstr(r, "created")) + 1 > w1)
			w1 = text_width(deis_jstr(r, "created")) + 1;
	}
	json_array_foreach(results, i, r) {
		snprintf(ver, sizeof(ver), "v%lld",
		    (long long)json_integer_value(json_object_get(r, "version")));
		fputs(ver, stdout);
		tab_pad(strlen(ver), w0);
		fputs(deis_jstr(r, "created"), stdout);
		tab_pad(text_width(deis_jstr(r, "created")), w1);
		printf("%s\n", deis_jstr(r, "summary"));
	}
}

static int
releases_print(struct client *c, const char *app, long limit)
{
	return deis_app_list_show(c, app, "releases", "Releases", limit, releases_render, NULL);
}

CMD(deis_cmd_releases_list)
{
	return deis_cmd_run_list(&list_spec, argc, argv, true, releases_print);
}

/* "v3" or "3" -> 3. */
static int
version_parse(const char *s, long *out)
{
	const char *d = s[0] == 'v' ? s + 1 : s;
	char *end;

	if (s[0] == 'v' && s[1] == '\0')
		return deis_fail("%s is not in the form 'v#'", s);
	*out = strtol(d, &end, 10);
	if (*d == '\0' || *end != '\0' || !isdigit((unsigned char)*d))
		return deis_fail("strconv.ParseInt: parsing \"%s\": invalid syntax", d);
	return 0;
}

static const struct cmd_spec info_spec = {
	"\n"
	"Prints info about a particular release.\n"
	"\n"
	"Usage: deis releases:info <version> [options]\n"
	"\n"
	"Arguments:\n"
	"  <version>\n"
	"    the release of the application, such as 'v1'.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, 1, false,
};

/* The release releases:info shows. */
struct release_ref {
	const char *app;
	long version;
};

static void
release_render(json_t *r, const void *arg)
{
	const struct release_ref *ref = arg;

	printf("=== %s Release v%ld\n", ref->app, ref->version);
	if (*deis_jstr(r, "build"))
		printf("build:    %s\n", deis_jstr(r, "build"));
	printf("config:   %s\n", deis_jstr(r, "config"));
	printf("owner:    %s\n", deis_jstr(r, "owner"));
	printf("created:  %s\n", deis_jstr(r, "created"));
	printf("summary:  %s\n", deis_jstr(r, "summary"));
	printf("updated:  %s\n", deis_jstr(r, "updated"));
	printf("uuid:     %s\n", deis_jstr(r, "uuid"));
}

static int
release_show(struct client *c, const char *app, void *arg)
{
	struct release_ref *ref = arg;
	char *path = xasprintf("/v1/apps/%s/releases/v%ld/", app, ref->version);
	int rc;

	ref->app = app;
	rc = deis_get_show(c, path, release_render, ref);
	free(path);
	return rc;
}

CMD(deis_cmd_releases_info)
{
	struct args a;
	struct release_ref ref = { NULL, 0 };
	int rc;

	if (!deis_args_run(&a, &info_spec, argc, argv, &rc))
		return rc;
	/* a malformed version is refused before the settings are read */
	rc = -1;
	if (version_parse(a.pos[0], &ref.version) == 0)
		rc = deis_app_do(deis_args_get(&a, &info_spec, "app"), release_show, &ref);
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec rollback_spec = {
	"\n"
	"Rolls back to a previous application release.\n"
	"\n"
	"Usage: deis releases:rollback [<version>] [options]\n"
	"\n"
	"Arguments:\n"
	"  <version>\n"
	"    the release of the application, such as 'v1'.\n"
	"\n"
	"Options:\n"
	"  -a --app=<app>\n"
	"    the uniquely identifiable name of the application.\n",
	deis_opts_app, 0, 1, false,
};

/* arg: the version to go back to, -1 for the one before the current. */
static int
release_rollback(struct client *c, const char *app, void *arg)
{
	const long *version = arg;
	struct response res;
	json_t *req, *r;
	char *path;
	int rc;

	if (*version == -1) {
		printf("Rolling back one release... ");
		req = json_object();
	} else {
		printf("Rolling back to v%ld... ", *version);
		req = json_pack("{s:I}", "version", (json_int_t)*version);
	}
	fflush(stdout);
	path = xasprintf("/v1/apps/%s/releases/rollback/", app);
	rc = deis_api_send(c, "POST", path, req, true, &res);
	free(path);
	if (rc < 0)
		return -1;
	r = deis_response_json(&res);
	deis_response_release(&res);
	if (r == NULL)
		return -1;
	printf("done, v%lld\n", (long long)json_integer_value(json_object_get(r, "version")));
	json_decref(r);
	return 0;
}

CMD(deis_cmd_releases_rollback)
{
	struct args a;
	long version = -1;
	int rc;

	if (!deis_args_run(&a, &rollback_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (a.npos == 0 || version_parse(a.pos[0], &version) == 0)
		rc = deis_app_do(deis_args_get(&a, &rollback_spec, "app"), release_rollback,
		    &version);
	deis_args_release(&a);
	return rc;
}
