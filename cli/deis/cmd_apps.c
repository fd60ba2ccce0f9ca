/*
 * apps:* — create (with the git remote), list, info, open, logs (and our
 * `logs -f`), run, destroy, transfer.
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

extern char **environ;

static const char apps_usage[] =
"\n"
"Valid commands for apps:\n"
"\n"
"apps:create        create a new application\n"
"apps:list          list accessible applications\n"
"apps:info          view info about an application\n"
"apps:open          open the application in a browser\n"
"apps:logs          view aggregated application logs\n"
"apps:run           run a command in an ephemeral app container\n"
"apps:destroy       destroy an application\n"
"apps:transfer      transfer app ownership to another user\n"
"\n"
"Use 'deis help [command]' to learn more.\n";


CMD(deis_cmd_apps_help)
{
	fputs(apps_usage, stdout);
	return 0;
}

static const struct opt create_opts[] = {
	{ 0, "no-remote", false, NULL },
	{ 'b', "buildpack", true, NULL },
	{ 'r', "remote", true, "deis" },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec create_spec = {
	"\n"
	"Creates a new application.\n"
	"\n"
	"- if no <id> is provided, one will be generated automatically.\n"
	"\n"
	"Usage: deis apps:create [<id>] [options]\n"
	"\n"
	"Arguments:\n"
	"  <id>\n"
	"    a uniquely identifiable name for the application. No other app can already\n"
	"    exist with this name.\n"
	"\n"
	"Options:\n"
	"  --no-remote\n"
	"    do not create a 'deis' git remote.\n"
	"  -b --buildpack BUILDPACK\n"
	"    a buildpack url to use for this app\n"
	"  -r --remote REMOTE\n"
	"    name of remote to create. [default: deis]\n",
	create_opts, 0, 1, false,
};

CMD(deis_cmd_apps_create)
{
	struct args a;
	struct client c;
	struct response res;
	json_t *req, *app = NULL;
	char *url;
	const char *id, *buildpack;
	int rc;

	if (!deis_args_run(&a, &create_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (deis_client_load(&c) < 0)
		goto out_args;
	req = a.npos ? json_pack("{s:s}", "id", a.pos[0]) : json_object();
	printf("Creating Application... ");
	fflush(stdout);
	if (deis_api_send(&c, "POST", "/v1/apps/", req, true, &res) < 0)
		goto out;
	app = deis_response_json(&res);
	deis_response_release(&res);
	if (app == NULL)
		goto out;
	id = deis_jstr(app, "id");
	printf("done, created %s\n", id);
	buildpack = deis_args_get(&a, &create_spec, "buildpack");
	if (buildpack) {
		char *path = xasprintf("/v1/apps/%s/config/", id);

		req = json_pack("{s:{s:s}}", "values", "BUILDPACK_URL", buildpack);
		rc = deis_api_send(&c, "POST", path, req, false, &res);
		free(path);
		if (rc < 0)
			goto out;
		deis_response_release(&res);
		rc = -1;
	}
	if (!deis_args_flag(&a, &create_spec, "no-remote") &&
	    deis_git_remote_create(c.host, deis_args_get(&a, &create_spec, "remote"), id) < 0)
		goto out;
	url = deis_git_remote_url(c.host, id);
	printf("remote available at %s\n", url);
	free(url);
	rc = 0;
out:
	json_decref(app);
	deis_client_release(&c);
out_args:
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec list_spec = {
	"\n"
	"Lists applications visible to the current user.\n"
	"\n"
	"Usage: deis apps:list [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_LIMIT,
	deis_opts_limit, 0, 0, false,
};

static void
apps_render(json_t *results, const void *arg)
{
	json_t *app;
	size_t i;

	json_array_foreach(results, i, app)
		printf("%s\n", deis_jstr(app, "id"));
}

static int
apps_print(struct client *c, const char *app, long limit)
{
	return deis_list_show(c, "/v1/apps/", limit, "Apps", apps_render, NULL);
}

CMD(deis_cmd_apps_list)
{
	return deis_cmd_run_list(&list_spec, argc, argv, false, apps_print);
}

static const struct cmd_spec info_spec = {
	"\n"
	"Prints info about the current application.\n"
	"\n"
	"Usage: deis apps:info [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 0, 0, false,
};

/* GET /v1/apps/<id>/ decoded; NULL on error. raw gets the body if not NULL. */
static json_t *
app_get(struct client *c, const char *id, struct buf *raw)
{
	char *path = xasprintf("/v1/apps/%s/", id);
	json_t *app = deis_api_get_json(c, path, raw);

	free(path);
	return app;
}

static int
apps_info(struct client *c, const char *id, const struct args *a, const struct cmd_spec *spec)
{
	struct buf raw = BUF_INIT;
	json_t *app;
	int rc = -1;

	app = app_get(c, id, &raw);
	if (app == NULL)
		goto out;
	if (deis_json) {
		deis_print_raw_json(&raw);
		rc = 0;
		goto out;
	}
	printf("=== %s Application\n", deis_jstr(app, "id"));
	printf("updated:  %s\n", deis_jstr(app, "updated"));
	printf("uuid:     %s\n", deis_jstr(app, "uuid"));
	printf("created:  %s\n", deis_jstr(app, "created"));
	printf("url:      %s\n", deis_jstr(app, "url"));
	printf("owner:    %s\n", deis_jstr(app, "owner"));
	printf("id:       %s\n", deis_jstr(app, "id"));
	printf("\n");
	if (deis_ps_print(c, deis_jstr(app, "id"), c->s.response_limit) < 0)
		goto out;
	printf("\n");
	if (deis_domains_print(c, deis_jstr(app, "id"), c->s.response_limit) < 0)
		goto out;
	printf("\n");
	rc = 0;
out:
	json_decref(app);
	buf_release(&raw);
	return rc;
}

CMD(deis_cmd_apps_info)
{
	return deis_cmd_run(&info_spec, argc, argv, true, apps_info);
}

static const struct cmd_spec open_spec = {
	"\n"
	"Opens a URL to the application in the default browser.\n"
	"\n"
	"Usage: deis apps:open [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 0, 0, false,
};

static int
apps_open(struct client *c, const char *id, const struct args *a, const struct cmd_spec *spec)
{
	const char *browser = getenv("BROWSER"), *u;
	char *av[3], *url;
	json_t *app;
	pid_t pid;
	int st, rc;

	app = app_get(c, id, NULL);
	if (app == NULL)
		return -1;
	u = deis_jstr(app, "url");
	url = strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0 ?
	    xstrdup(u) : xasprintf("http://%s", u);
	json_decref(app);
	av[0] = (char *)(browser && *browser ? browser : "xdg-open");
	av[1] = url;
	av[2] = NULL;
	fflush(stdout);
	if (posix_spawnp(&pid, av[0], NULL, NULL, av, environ) == 0 &&
	    waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		rc = 0;
	else
		/* no browser here: say where the app is instead */
		rc = deis_fail("cannot open a browser ('%s'); the app is at %s", av[0], url);
	free(url);
	return rc;
}

CMD(deis_cmd_apps_open)
{
	return deis_cmd_run(&open_spec, argc, argv, true, apps_open);
}

static const struct opt logs_opts[] = {
	{ 'a', "app", true, NULL },
	{ 'n', "lines", true, NULL },
	{ 'f', "follow", false, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec logs_spec = {
	"\n"
	"Retrieves the most recent log events.\n"
	"\n"
	"Usage: deis apps:logs [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	"  -n --lines=<lines>\n"
	"    the number of lines to display\n"
	"  -f --follow\n"
	"    keep printing new log lines as they arrive, until interrupted.\n",
	logs_opts, 0, 0, false,
};

/* One log line, coloured by its "app[proc]" token as the Go client did. */
static void
log_print_line(const char *p, size_t n)
{
	const char *end = memmem(p, n, ": ", 2), *sp;
	size_t head = end ? (size_t)(end - p) : n;
	const char *cat = "unknown";
	size_t catlen = 7;

	sp = memchr(p, ' ', head);
	if (sp) {
		const char *sp2 = memchr(sp + 1, ' ', head - (size_t)(sp + 1 - p));

		cat = sp + 1;
		catlen = (size_t)((sp2 ? sp2 : p + head) - cat);
	}
	fputs(deis_log_color(cat, catlen), stdout);
	fwrite(p, 1, n, stdout);
	fputs("\033[0m\n", stdout);
}

struct follow {
	struct buf pending;
};

static size_t
log_stream(const char *p, size_t n, void *arg)
{
	struct follow *f = arg;
	char *nl;

	buf_add(&f->pending, p, n);
	while ((nl = memchr(f->pending.p, '\n', f->pending.len)) != NULL) {
		log_print_line(f->pending.p, (size_t)(nl - f->pending.p));
		buf_remove_head(&f->pending, (size_t)(nl - f->pending.p) + 1);
	}
	fflush(stdout);
	return n;
}

static int
logs_follow(struct client *c, const char *id, long lines)
{
	struct follow f = { BUF_INIT };
	struct response res;
	struct request rq = {
		.base = c->base, .ssl_verify = c->s.ssl_verify, .token = c->s.token,
		.method = "GET", .stream = log_stream, .arg = &f,
	};
	char *path = lines > 0 ?
	    xasprintf("/v1/apps/%s/logs?follow=true&log_lines=%ld", id, lines) :
	    xasprintf("/v1/apps/%s/logs?follow=true", id);
	int rc;

	rq.path = path;
	rc = deis_http_do(&rq, &res);
	free(path);
	if (rc < 0)
		goto out;
	if (res.status < 200 || res.status > 399) {
		struct buf msg = BUF_INIT;

		deis_http_render_error(&res, &msg);
		rc = deis_fail("%s", msg.p);
		buf_release(&msg);
	} else if (f.pending.len) {
		log_print_line(f.pending.p, f.pending.len);
	}
	deis_response_release(&res);
out:
	buf_release(&f.pending);
	return rc;
}

CMD(deis_cmd_apps_logs)
{
	struct args a;
	struct client c;
	struct response res;
	const char *ln, *p, *end;
	char *id = NULL, *path;
	long lines = -1;
	int rc;

	if (!deis_args_run(&a, &logs_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	ln = deis_args_get(&a, &logs_spec, "lines");
	if (ln && deis_parse_limit_opt(ln, -1, &lines) < 0)
		goto out_args;
	if (deis_app_load(&c, deis_args_get(&a, &logs_spec, "app"), &id) < 0)
		goto out_args;
	if (deis_args_flag(&a, &logs_spec, "follow")) {
		rc = logs_follow(&c, id, lines);
		goto out;
	}
	path = lines > 0 ? xasprintf("/v1/apps/%s/logs?log_lines=%ld", id, lines) :
	    xasprintf("/v1/apps/%s/logs", id);
	rc = deis_api_call(&c, "GET", path, NULL, false, &res);
	free(path);
	if (rc < 0)
		goto out;
	/* Go: strings.Trim(body, `"`), then every "\n"-separated piece is a line */
	p = res.body.p;
	end = p + res.body.len;
	while (p < end && *p == '"')
		p++;
	while (end > p && end[-1] == '"')
		end--;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		log_print_line(p, nl ? (size_t)(nl - p) : (size_t)(end - p));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	deis_response_release(&res);
	rc = 0;
out:
	free(id);
	deis_client_release(&c);
out_args:
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec run_spec = {
	"\n"
	"Runs a command inside an ephemeral app container. Default environment is\n"
	"/bin/bash.\n"
	"\n"
	"Usage: deis apps:run [options] [--] <command>...\n"
	"\n"
	"Arguments:\n"
	"  <command>\n"
	"    the shell command to run inside the container.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, -1, true,
};

CMD(deis_cmd_apps_run)
{
	struct args a;
	struct client c;
	struct response res;
	struct buf cmd = BUF_INIT;
	json_t *req, *out = NULL, *code, *text;
	char *id = NULL, *path;
	int rc, i;

	if (!deis_args_run(&a, &run_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (deis_app_load(&c, deis_args_get(&a, &run_spec, "app"), &id) < 0)
		goto out_args;
	for (i = 0; i < a.npos; i++) {
		if (i)
			buf_addch(&cmd, ' ');
		buf_addstr(&cmd, a.pos[i]);
	}
	printf("Running '%s'...\n", cmd.p);
	fflush(stdout);
	req = json_pack("{s:s}", "command", cmd.p);
	path = xasprintf("/v1/apps/%s/run", id);
	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		/* an interactive terminal in the container, as `heroku run bash` */
		char *body = deis_json_take_dump(req);

		rc = body ? deis_run_tty(&c, path, body) : -1;
		free(body);
		free(path);
		goto out;
	}
	rc = deis_api_send(&c, "POST", path, req, false, &res);
	free(path);
	if (rc < 0)
		goto out;
	rc = -1;
	out = deis_response_json(&res);
	deis_response_release(&res);
	if (out == NULL)
		goto out;
	code = json_array_get(out, 0);
	text = json_array_get(out, 1);
	if (!json_is_number(code) || !json_is_string(text)) {
		rc = deis_fail("malformed response from the controller: expected [code, output]");
		goto out;
	}
	fwrite(json_string_value(text), 1, json_string_length(text), stdout);
	rc = (int)json_number_value(code) & 0xff;
out:
	json_decref(out);
	buf_release(&cmd);
	free(id);
	deis_client_release(&c);
out_args:
	deis_args_release(&a);
	return rc;
}

static const struct opt destroy_opts[] = {
	{ 'a', "app", true, NULL },
	{ 0, "confirm", true, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec destroy_spec = {
	"\n"
	"Destroys an application.\n"
	"\n"
	"Usage: deis apps:destroy [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	"  --confirm=<app>\n"
	"    skips the prompt for the application name. <app> is the uniquely identifiable\n"
	"    name for the application.\n"
	"\n",
	destroy_opts, 0, 0, false,
};

CMD(deis_cmd_apps_destroy)
{
	struct args a;
	struct client c;
	struct response res;
	struct timespec t0, t1;
	char *id = NULL, *confirm = NULL, *path;
	const char *conf;
	bool from_git = false;
	int rc;

	if (!deis_args_run(&a, &destroy_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (deis_client_load(&c) < 0)
		goto out_args;
	if (deis_app_detect(&c, deis_args_get(&a, &destroy_spec, "app"), &id, &from_git) < 0)
		goto out;
	conf = deis_args_get(&a, &destroy_spec, "confirm");
	if (conf == NULL || *conf == '\0') {
		char *line, *sp;

		printf(" !    WARNING: Potentially Destructive Action\n"
		    " !    This command will destroy the application: %s\n"
		    " !    To proceed, type \"%s\" or re-run this command with --confirm=%s\n"
		    "\n> ", id, id, id);
		line = deis_prompt_line("");
		/* fmt.Scanln reads one word */
		sp = line + strspn(line, " \t");
		confirm = xstrndup(sp, strcspn(sp, " \t"));
		free(line);
		conf = confirm;
	}
	if (strcmp(conf, id) != 0) {
		rc = deis_fail("App %s does not match confirm %s, aborting.", id, conf);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("Destroying %s...\n", id);
	fflush(stdout);
	path = xasprintf("/v1/apps/%s/", id);
	rc = deis_api_call(&c, "DELETE", path, NULL, false, &res);
	free(path);
	if (rc < 0)
		goto out;
	deis_response_release(&res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("done in %ds\n", (int)(t1.tv_sec - t0.tv_sec - (t1.tv_nsec < t0.tv_nsec)));
	if (from_git)
		rc = deis_git_remote_delete(id);
out:
	free(confirm);
	free(id);
	deis_client_release(&c);
out_args:
	deis_args_release(&a);
	return rc;
}

static const struct cmd_spec transfer_spec = {
	"\n"
	"Transfer app ownership to another user.\n"
	"\n"
	"Usage: deis apps:transfer <username> [options]\n"
	"\n"
	"Arguments:\n"
	"  <username>\n"
	"    the user that the app will be transfered to.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, 1, false,
};

static int
apps_transfer(struct client *c, const char *app, const struct args *a,
    const struct cmd_spec *spec)
{
	char *path = xasprintf("/v1/apps/%s/", app);
	int rc;

	rc = deis_api_act(c, "POST", path, NULL, json_pack("{s:s}", "owner", a->pos[0]), false,
	    "Transferring %s to %s... ", app, a->pos[0]);
	free(path);
	return rc;
}

CMD(deis_cmd_apps_transfer)
{
	return deis_cmd_run(&transfer_spec, argc, argv, true, apps_transfer);
}
