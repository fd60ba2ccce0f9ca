/*
 * The shapes the cmd_<topic>.c files share, so that each command keeps only
 * its grammar and its rendering: "parse the arguments, load the client (and
 * the app), do one thing, release everything" (deis_cmd_run*, deis_app_do);
 * "GET one page of a list, or one object, and print it, or print it raw with
 * --json" (deis_list_show, deis_get_show); "print what is being done, send
 * one request, print done" (deis_api_act); "POST one part of the app's config
 * (tags, limits, values) and list the result" (deis_config_apply); KEY=value
 * arguments to a JSON map (deis_kv_map); the common option tables.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

const struct opt deis_opts_app[] = {
	{ 'a', "app", true, NULL },
	{ 0, NULL, false, NULL },
};
const struct opt deis_opts_limit[] = {
	{ 'l', "limit", true, NULL },
	{ 0, NULL, false, NULL },
};
const struct opt deis_opts_app_limit[] = {
	{ 'a', "app", true, NULL },
	{ 'l', "limit", true, NULL },
	{ 0, NULL, false, NULL },
};

/* What a command runs once loaded: exactly one of the three is set. */
struct cmd_body {
	deis_run_fn fn;
	int (*show)(struct client *c, const char *app);
	int (*list)(struct client *c, const char *app, long limit);
};

static int
cmd_run(const struct cmd_spec *spec, int argc, char **argv, bool with_app,
    const struct cmd_body *body)
{
	struct args a;
	struct client c;
	char *app = NULL;
	long limit;
	int rc;

	if (!deis_args_run(&a, spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (with_app) {
		if (deis_app_load(&c, deis_args_get(&a, spec, "app"), &app) < 0)
			goto out_args;
	} else if (deis_client_load(&c) < 0) {
		goto out_args;
	}
	if (body->fn != NULL)
		rc = body->fn(&c, app, &a, spec);
	else if (body->show != NULL)
		rc = body->show(&c, app);
	else if (deis_parse_limit_opt(deis_args_get(&a, spec, "limit"), c.s.response_limit,
	    &limit) == 0)
		rc = body->list(&c, app, limit);
	free(app);
	deis_client_release(&c);
out_args:
	deis_args_release(&a);
	return rc;
}

int
deis_cmd_run(const struct cmd_spec *spec, int argc, char **argv, bool with_app, deis_run_fn fn)
{
	const struct cmd_body body = { .fn = fn };

	return cmd_run(spec, argc, argv, with_app, &body);
}

int
deis_cmd_run_show(const struct cmd_spec *spec, int argc, char **argv,
    int (*show)(struct client *c, const char *app))
{
	const struct cmd_body body = { .show = show };

	return cmd_run(spec, argc, argv, true, &body);
}

int
deis_cmd_run_list(const struct cmd_spec *spec, int argc, char **argv, bool with_app,
    int (*list)(struct client *c, const char *app, long limit))
{
	const struct cmd_body body = { .list = list };

	return cmd_run(spec, argc, argv, with_app, &body);
}

int
deis_list_show(struct client *c, const char *path, long limit, const char *heading,
    void (*render)(json_t *results, const void *arg), const void *arg)
{
	struct buf raw = BUF_INIT;
	json_t *root, *results;
	long count;
	char tmp[64];

	root = deis_api_list(c, path, limit, &results, &count, &raw);
	if (root == NULL) {
		buf_release(&raw);
		return -1;
	}
	if (deis_json) {
		deis_print_raw_json(&raw);
	} else {
		if (heading != NULL)
			printf("=== %s%s", heading, deis_limit_count((long)json_array_size(results),
			    count, tmp, sizeof(tmp)));
		render(results, arg);
	}
	json_decref(root);
	buf_release(&raw);
	return 0;
}

json_t *
deis_api_get_json(struct client *c, const char *path, struct buf *raw)
{
	struct response res;
	json_t *obj;

	if (deis_api_call(c, "GET", path, NULL, false, &res) < 0)
		return NULL;
	obj = deis_response_json(&res);
	if (raw)
		buf_add(raw, res.body.p, res.body.len);
	deis_response_release(&res);
	return obj;
}

int
deis_get_show(struct client *c, const char *path,
    void (*render)(json_t *obj, const void *arg), const void *arg)
{
	struct response res;
	json_t *obj;

	if (deis_api_call(c, "GET", path, NULL, false, &res) < 0)
		return -1;
	if (deis_json) {
		deis_print_raw_json(&res.body);
		deis_response_release(&res);
		return 0;
	}
	obj = deis_response_json(&res);
	deis_response_release(&res);
	if (obj == NULL)
		return -1;
	render(obj, arg);
	json_decref(obj);
	return 0;
}

int
deis_config_show(struct client *c, const char *app,
    void (*render)(json_t *cfg, const void *app))
{
	char *path = xasprintf("/v1/apps/%s/config/", app);
	int rc;

	rc = deis_get_show(c, path, render, app);
	free(path);
	return rc;
}

int
deis_config_post(struct client *c, const char *app, const char *doing, const char *field,
    json_t *map, struct response *res)
{
	char *path = xasprintf("/v1/apps/%s/config/", app);
	int rc;

	printf("%s... ", doing);
	fflush(stdout);
	rc = deis_api_send(c, "POST", path, json_pack("{s:o}", field, map), true, res);
	free(path);
	return rc;
}

int
deis_app_do(const char *explicit_app, deis_app_fn fn, void *arg)
{
	struct client c;
	char *app = NULL;
	int rc;

	if (deis_app_load(&c, explicit_app, &app) < 0)
		return -1;
	rc = fn(&c, app, arg);
	free(app);
	deis_client_release(&c);
	return rc;
}

/* deis_config_apply()'s request; map is NULL once sent. */
struct config_change {
	const char *doing;
	const char *field;
	json_t *map;
	int (*print)(struct client *c, const char *app);
};

static int
config_change_send(struct client *c, const char *app, void *arg)
{
	struct config_change *cc = arg;
	struct response res;
	json_t *map = cc->map;

	cc->map = NULL;
	if (deis_config_post(c, app, cc->doing, cc->field, map, &res) < 0)
		return -1;
	deis_response_release(&res);
	printf("done\n\n");
	return cc->print(c, app);
}

int
deis_config_apply(const char *explicit_app, const char *doing, const char *field, json_t *map,
    int (*print)(struct client *c, const char *app))
{
	struct config_change cc = { doing, field, map, print };
	int rc;

	rc = deis_app_do(explicit_app, config_change_send, &cc);
	json_decref(cc.map);
	return rc;
}

json_t *
deis_kv_map(const struct args *a, deis_kv_fn parse, const void *arg)
{
	json_t *map = json_object(), *val;
	size_t klen;
	char *key;
	int i;

	for (i = 0; i < a->npos; i++) {
		if (parse(a->pos[i], &klen, &val, arg) < 0) {
			json_decref(map);
			return NULL;
		}
		key = xstrndup(a->pos[i], klen);
		json_object_set_new(map, key, val);
		free(key);
	}
	return map;
}

json_t *
deis_kv_nulls(const struct args *a)
{
	json_t *map = json_object();
	int i;

	for (i = 0; i < a->npos; i++)
		json_object_set_new(map, a->pos[i], json_null());
	return map;
}

int
deis_app_list_show(struct client *c, const char *app, const char *resource, const char *title,
    long limit, void (*render)(json_t *results, const void *arg), const void *arg)
{
	char *path = xasprintf("/v1/apps/%s/%s/", app, resource);
	char *heading = xasprintf("%s %s", app, title);
	int rc;

	rc = deis_list_show(c, path, limit, heading, render, arg);
	free(heading);
	free(path);
	return rc;
}

int
deis_api_act(struct client *c, const char *method, const char *path, const char *item,
    json_t *req, bool spin, const char *fmt, ...)
{
	struct response res;
	char *full = NULL, *seg;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (item != NULL) {
		seg = deis_url_seg(item);
		full = xasprintf("%s%s", path, seg);
		free(seg);
		path = full;
	}
	if (strcmp(method, "DELETE") == 0) {
		json_decref(req);
		rc = deis_api_call(c, method, path, NULL, spin, &res);
	} else {
		rc = deis_api_send(c, method, path, req, spin, &res);
	}
	free(full);
	if (rc < 0)
		return -1;
	deis_response_release(&res);
	printf("done\n");
	return 0;
}
