/*
 * ps:* — list, scale, restart. Processes are printed grouped by type, types
 * and numbers sorted (the Go client walked a map, so its order varied).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char ps_usage[] =
"\n"
"Valid commands for processes:\n"
"\n"
"ps:list        list application processes\n"
"ps:restart     restart an application or its process types\n"
"ps:scale       scale processes (e.g. web=4 worker=2)\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_ps_help)
{
	fputs(ps_usage, stdout);
	return 0;
}

static int
cmp_proc(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(deis_jstr(x, "type"), deis_jstr(y, "type"));
	json_int_t nx = json_integer_value(json_object_get(x, "num"));
	json_int_t ny = json_integer_value(json_object_get(y, "num"));

	if (c)
		return c;
	return nx < ny ? -1 : nx > ny;
}

/*
 * What a crash loop looks like, after Deis's "web.1 up (v2)": the last exit
 * status when it is not up, the restarts so far, and when it starts again.
 * Nothing for a process that never died (Deis's line, unchanged).
 */
static void
ps_trouble(json_t *p, time_t now)
{
	json_t *code = json_object_get(p, "exit_code");
	json_int_t restarts = json_integer_value(json_object_get(p, "restarts"));
	const char *next = deis_jstr(p, "next_start"), *state = deis_jstr(p, "state");
	bool up = strcmp(state, "up") == 0;
	struct tm tm;
	time_t at;

	if (json_is_integer(code) && !up)
		printf(", exit status %lld", (long long)json_integer_value(code));
	if (restarts > 0)
		printf(", restarted %lld time%s", (long long)restarts, restarts == 1 ? "" : "s");
	if (up)
		return;
	if (json_is_true(json_object_get(p, "restarting"))) {
		printf(", starting again");
	} else if (*next) {
		memset(&tm, 0, sizeof(tm));
		if (strptime(next, "%Y-%m-%dT%H:%M:%S", &tm) != NULL && (at = timegm(&tm)) > now)
			printf(", starting again in %lld s", (long long)(at - now));
		else
			printf(", starting again");
	}
}

/* Sorted by type then number, one "--- <type>:" line per type. */
static void
ps_render(json_t *results, const void *arg)
{
	json_t **procs;
	const char *last = NULL;
	size_t i, n = json_array_size(results);

	procs = xcalloc(n + 1, sizeof(*procs));
	for (i = 0; i < n; i++)
		procs[i] = json_array_get(results, i);
	qsort(procs, n, sizeof(*procs), cmp_proc);
	for (i = 0; i < n; i++) {
		const char *type = deis_jstr(procs[i], "type");

		if (last == NULL || strcmp(last, type) != 0)
			printf("--- %s:\n", type);
		last = type;
		printf("%s.%lld %s (%s)", type,
		    (long long)json_integer_value(json_object_get(procs[i], "num")),
		    deis_jstr(procs[i], "state"), deis_jstr(procs[i], "release"));
		ps_trouble(procs[i], time(NULL));
		putchar('\n');
	}
	free(procs);
}

int
deis_ps_print(struct client *c, const char *app, long limit)
{
	return deis_app_list_show(c, app, "containers", "Processes", limit, ps_render, NULL);
}

static const struct cmd_spec list_spec = {
	"\n"
	"Lists processes servicing an application.\n"
	"\n"
	"Usage: deis ps:list [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	DEIS_USAGE_OPT_LIMIT,
	deis_opts_app_limit, 0, 0, false,
};

CMD(deis_cmd_ps_list)
{
	return deis_cmd_run_list(&list_spec, argc, argv, true, deis_ps_print);
}


static const struct cmd_spec scale_spec = {
	"\n"
	"Scales an application's processes by type.\n"
	"\n"
	"Usage: deis ps:scale <type>=<num>... [options]\n"
	"\n"
	"Arguments:\n"
	"  <type>\n"
	"    the process name as defined in your Procfile, such as 'web' or 'worker'.\n"
	"    Note that Dockerfile apps have a default 'cmd' process type.\n"
	"  <num>\n"
	"    the number of processes.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, -1, false,
};

/* Run one scale/restart request between the coffee line and the ps list. */
static int
ps_action(struct client *c, const char *app, const char *what, const char *path,
    json_t *req)
{
	struct response res;
	struct timespec t0, t1;
	int rc;

	printf("%s processes... but first, %s!\n", what, deis_drink_of_choice());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = req ? deis_api_send(c, "POST", path, req, true, &res) :
	    deis_api_call(c, "POST", path, NULL, true, &res);
	if (rc < 0)
		return -1;
	deis_response_release(&res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("done in %ds\n", (int)(t1.tv_sec - t0.tv_sec - (t1.tv_nsec < t0.tv_nsec)));
	return deis_ps_print(c, app, c->s.response_limit);
}

/* type=num */
static int
scale_parse(const char *s, size_t *keylen, json_t **val, const void *arg)
{
	long long num;

	if (deis_kv_parse_scale(s, keylen, &num) < 0) {
		fprintf(stderr, "'%s' does not match the pattern 'type=num', ex: web=2\n", s);
		return -1;
	}
	*val = json_integer(num);
	return 0;
}

/* arg: the {"type": num} map, taken (set to NULL) when sent. */
static int
ps_scale_send(struct client *c, const char *app, void *arg)
{
	json_t **req = arg, *r = *req;
	char *path = xasprintf("/v1/apps/%s/scale/", app);
	int rc;

	*req = NULL;
	rc = ps_action(c, app, "Scaling", path, r);
	free(path);
	return rc;
}

CMD(deis_cmd_ps_scale)
{
	struct args a;
	json_t *req;
	int rc;

	if (!deis_args_run(&a, &scale_spec, argc, argv, &rc))
		return rc;
	req = deis_kv_map(&a, scale_parse, NULL);
	if (req == NULL) {
		deis_args_release(&a);
		return 1;
	}
	rc = deis_app_do(deis_args_get(&a, &scale_spec, "app"), ps_scale_send, &req);
	json_decref(req);
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec restart_spec = {
	"\n"
	"Restart an application, a process type or a specific process.\n"
	"\n"
	"Usage: deis ps:restart [<type>] [options]\n"
	"\n"
	"Arguments:\n"
	"  <type>\n"
	"    the process name as defined in your Procfile, such as 'web' or 'worker'.\n"
	"    To restart a particular process, use 'web.1'.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 0, 1, false,
};

static int
ps_restart(struct client *c, const char *app, const struct args *a, const struct cmd_spec *spec)
{
	struct buf path = BUF_INIT;
	int rc;

	buf_addf(&path, "/v1/apps/%s/containers/", app);
	if (a->npos) {
		const char *t = a->pos[0], *dot = strchr(t, '.');

		if (dot) {
			char *end;
			long num = strtol(dot + 1, &end, 10);

			if (dot[1] == '\0' || *end != '\0' || num < 0) {
				rc = deis_fail("strconv.ParseInt: parsing \"%s\": invalid syntax", dot + 1);
				goto out;
			}
			buf_addf(&path, "%.*s/%ld/", (int)(dot - t), t, num);
		} else {
			buf_addf(&path, "%s/", t);
		}
	}
	buf_addstr(&path, "restart/");
	rc = ps_action(c, app, "Restarting", path.p, NULL);
out:
	buf_release(&path);
	return rc;
}

CMD(deis_cmd_ps_restart)
{
	return deis_cmd_run(&restart_spec, argc, argv, true, ps_restart);
}
