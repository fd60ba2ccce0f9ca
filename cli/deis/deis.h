#ifndef CLI_DEIS_H
#define CLI_DEIS_H
/*
 * The `deis` command line: private interfaces shared by main.c and the
 * cmd_<topic>.c files.
 *
 * Exit protocol: every command function returns the process exit code (0 or
 * more), or -1 after deis_fail() has stored an error message; main() then
 * prints "Error: <message>\n" on stderr and exits 1, exactly like the Deis
 * 1.13 Go client does for every error it returns. A command that already
 * printed its own complaint (a grammar error, a bad KEY=value) returns 1.
 *
 * Memory: strings a function returns are the caller's (free()) unless said
 * otherwise; JSON values follow jansson's rules (returned new references are
 * the caller's to json_decref()). Output goes to stdout with stdio; anything
 * printed before a request is flushed first so that stdout and stderr
 * interleave as the user expects.
 */
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

#define DEIS_VERSION		"1.13.4"
#define DEIS_API_VERSION	"1.7"

/* ---- errors (util.c) ---------------------------------------------------- */

/* Store the message main() prints after "Error: ". Always returns -1. */
int deis_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The stored message (empty if none). */
const char *deis_errmsg(void);

/* ---- argument grammar (args.c) ------------------------------------------ */

/*
 * One option of a command, docopt style: a short letter (0 if none), a long
 * name without dashes, and whether it takes a value. `dflt` is the value a
 * valued option has when absent (NULL: absent).
 */
struct opt {
	char shortc;
	const char *longname;
	bool has_arg;
	const char *dflt;
};

#define ARGS_MAX_OPTS	12

/*
 * The result of parsing one command line. val[i] belongs to opts[i]: NULL when
 * absent, "true" for a present flag, else the value (pointing into argv or at
 * the default). pos[] points into argv (no copies); npos counts them.
 */
struct args {
	const char *val[ARGS_MAX_OPTS];
	const char **pos;
	int npos;
	bool help;
};

/* Option tables many commands share (cmdutil.c): -a/--app, -l/--limit, both. */
extern const struct opt deis_opts_app[];
extern const struct opt deis_opts_limit[];
extern const struct opt deis_opts_app_limit[];
/* Their usual lines in a usage text. */
#define DEIS_USAGE_OPT_APP \
	"  -a --app=<app>\n" \
	"    the uniquely identifiable name for the application.\n"
#define DEIS_USAGE_OPT_LIMIT \
	"  -l --limit=<num>\n" \
	"    the maximum number of results to display, defaults to config setting\n"

/*
 * A command's grammar: its usage text (printed by --help, and its "Usage:"
 * line on a syntax error), options, and how many positional arguments it
 * takes (max -1: unlimited). unknown_pos: a word that looks like an option but
 * names none of the command's is a positional (apps:run: the command's own
 * flags, so `deis run ls -la -a app` runs `ls -la` in app); the command's own
 * options are still read anywhere before `--`, as Deis's docopt did.
 */
struct cmd_spec {
	const char *usage;
	const struct opt *opts;	/* terminated by an entry with longname NULL */
	int min_pos;
	int max_pos;
	bool unknown_pos;
};

/*
 * Parse argv[1..argc-1] (argv[0] is the command name) against spec. Returns 0
 * on success; -1 on a syntax error with a one-line reason in why (for tests).
 * a->help is set when -h/--help appears before `--`. Free a->pos with
 * deis_args_release().
 */
int deis_args_parse(struct args *a, const struct cmd_spec *spec, int argc, char **argv,
    char *why, size_t whylen);
void deis_args_release(struct args *a);
/* Value of the option whose long name is `name` (NULL if absent). */
const char *deis_args_get(const struct args *a, const struct cmd_spec *spec, const char *name);
bool deis_args_flag(const struct args *a, const struct cmd_spec *spec, const char *name);

/*
 * Parse argv for spec and handle --help and syntax errors the way docopt
 * does: --help prints the usage on stdout (returns 0 via *rc), an error
 * prints the "Usage:" lines on stderr (returns 1 via *rc). Returns true when
 * the caller should go on with the command.
 */
bool deis_args_run(struct args *a, const struct cmd_spec *spec, int argc, char **argv, int *rc);

/* Print the "Usage: ..." paragraph of a usage text to stderr. */
void deis_args_print_usage_line(const char *usage);

/*
 * KEY=value parsing of config:set / .env lines, Deis regex
 * `^([A-z_]+[A-z0-9_]*)=([\s\S]+)$` (note [A-z] also admits [\]^`).
 * On success the key is the first *keylen bytes of s and *val points into s.
 */
int deis_kv_parse_config(const char *s, size_t *keylen, const char **val);
/* ps:scale `^([A-z]+)=([0-9]+)$`. */
int deis_kv_parse_scale(const char *s, size_t *keylen, long long *num);
/* limits:set `^([A-z]+)=([0-9]+[bkmgBKMG]{1,2}|[0-9]{1,4})$`. */
int deis_kv_parse_limit(const char *s, size_t *keylen, const char **val);

/* ---- settings file (settings.c) ----------------------------------------- */

struct settings {
	char *username;
	bool ssl_verify;
	char *controller;	/* e.g. "http://deis.example.com" */
	char *token;
	long response_limit;
};

/* Path of the settings file: ~/.deis/client.json or ~/.deis/$DEIS_PROFILE.json. Caller frees. */
char *deis_settings_path(void);
/*
 * Load the settings. Returns 0; -1 with deis_fail() ("Not logged in. ..." when
 * the file does not exist).
 */
int deis_settings_load(struct settings *s);
/* Write atomically (temp file + rename), dir 0700, file 0600. 0 or -1 (deis_fail). */
int deis_settings_save(const struct settings *s);
/* Remove the file; a missing file is fine. 0 or -1. */
int deis_settings_delete(void);
void deis_settings_release(struct settings *s);

/* ---- HTTP client (http.c) ------------------------------------------------ */

struct client {
	struct settings s;
	char *base;		/* "http://host:port" of the controller, no path */
	char host[256];		/* host of the controller URL, no port */
};

struct response {
	long status;
	char status_line[128];	/* "404 NOT FOUND", taken from the response */
	struct buf body;
	char api_version[64];	/* DEIS_API_VERSION header, "" if absent */
	bool has_api_version;
};

/*
 * One HTTP exchange. base is "scheme://host[:port]", path may carry a query.
 * body NULL sends nothing (GET) or an empty body. With stream set, a 2xx body
 * goes to stream() as it arrives instead of into res->body. spin: show the
 * spinner while waiting, only when stdout is a TTY.
 */
struct request {
	const char *base;
	bool ssl_verify;
	const char *token;
	const char *method;
	const char *path;
	const char *body;
	bool spin;
	size_t (*stream)(const char *p, size_t n, void *arg);
	void *arg;
};

/* 0 with *res filled (any status; caller releases), or -1 (deis_fail) on transport failure. */
int deis_http_do(const struct request *rq, struct response *res);
void deis_response_release(struct response *res);
/* Render an error response the Deis way into out ("\n<status>\nk: v\n..."). */
void deis_http_render_error(const struct response *res, struct buf *out);
/* Print the API version warning on stdout when the server's version differs. */
void deis_http_check_api_version(const struct response *res);
/* Split a controller URL into an allocated base and the bare host. 0 or -1. */
int deis_controller_split(const char *url, char **base, char *host, size_t hostlen);

/* Load the settings and prepare a client. 0 or -1 (deis_fail). */
int deis_client_load(struct client *c);
void deis_client_release(struct client *c);

/*
 * One request to the controller with the user's token. Transport failure:
 * -1 with deis_fail(). A status outside 200-399: -1 with the Deis error
 * rendering in deis_fail(). Otherwise 0 and *res filled (caller releases with
 * deis_response_release()); prints the API version warning when it applies.
 */
int deis_api_call(struct client *c, const char *method, const char *path, const char *body,
    bool spin, struct response *res);

/*
 * GET <path>?page_size=<limit>: returns the decoded page (caller decrefs);
 * *results is borrowed from it, *count is the server's total; the raw body is
 * appended to raw when raw is not NULL. NULL on error (deis_fail).
 */
json_t *deis_api_list(struct client *c, const char *path, long limit, json_t **results,
    long *count, struct buf *raw);
/* Decode a JSON response body; NULL with deis_fail() when malformed. Caller decrefs. */
json_t *deis_response_json(const struct response *res);

/*
 * `deis run` with stdin and stdout on a terminal (runtty.c): POST path with
 * body upgraded to deis-run/1, the terminal raw until the remote process
 * ends. Its exit status, or -1 (deis_fail) when refused or cut off.
 */
int deis_run_tty(struct client *c, const char *path, const char *body);

/* ---- helpers (util.c) ---------------------------------------------------- */

/* Resolve the app: explicit, else git remote on the controller host, else cwd name. */
int deis_app_detect(const struct client *c, const char *explicit_app, char **app, bool *from_git);
/*
 * Run git with argv (NULL-terminated, argv[0] "git", no shell), capturing its
 * stdout (which 1) or stderr (which 2) into out (may be NULL); the other
 * stream goes to /dev/null. Returns the exit status, or -1 if it cannot run.
 */
int deis_git_run(char *const argv[], struct buf *out, int which);
/* ssh://git@<host>:2222/<app>.git; caller frees. */
char *deis_git_remote_url(const char *host, const char *app);
/* `git remote add`, prints "Git remote <r> added"; 0 or -1 (deis_fail). */
int deis_git_remote_create(const char *host, const char *remote, const char *app);
/* Remove the remote whose URL mentions app, prints "Git remote <r> removed". */
int deis_git_remote_delete(const char *app);

/* " (n of count)\n" or "\n". */
const char *deis_limit_count(long n, long count, char *tmp, size_t tmplen);
/* Sort keys of a JSON object and print "key<pad>value" with pad = longest + spaces. */
void deis_print_tabs(json_t *obj, int spaces);
/* Go's %v of a JSON value into out. */
void deis_json_fmt_value(json_t *v, struct buf *out);
/* String field or "" (never NULL). */
const char *deis_jstr(json_t *obj, const char *key);
/* DEIS_DRINK_OF_CHOICE or "coffee". */
const char *deis_drink_of_choice(void);
/* ANSI colour for a log category (sum of bytes mod 7). */
const char *deis_log_color(const char *s, size_t n);
/* Read one line from stdin (without newline); caller frees; NULL on EOF. */
char *deis_prompt_line(const char *prompt);
/* Read a password without echo when stdin is a TTY. Caller frees. */
char *deis_prompt_password(const char *prompt);
/* Read a whole file into out; 0 or -1 (deis_fail). */
int deis_file_read(const char *path, struct buf *out);
/* Parse a limit option value "-l 5". 0 or -1 (deis_fail). */
int deis_parse_limit_opt(const char *s, long dflt, long *out);
/* --json was given (global flag removed from argv by main). */
extern bool deis_json;
/* Encode and decref req (compact); NULL with deis_fail() if req is NULL (bad UTF-8). */
char *deis_json_take_dump(json_t *req);
/*
 * deis_api_call() with the JSON body req (taken: decref'd here). req NULL (a failed
 * json_pack, i.e. bad UTF-8) gives -1 with deis_fail().
 */
int deis_api_send(struct client *c, const char *method, const char *path, json_t *req, bool spin,
    struct response *res);
/* Percent-encode one URL path segment (key ids, usernames, domains). Caller frees. */
char *deis_url_seg(const char *s);
/* Procfile YAML ("type: command" lines) to a JSON object; NULL with deis_fail(). */
json_t *deis_procfile_parse(const char *text);
/*
 * An SSH public key file's contents: 0 and *id (the comment, else the file's
 * basename up to the first '.') or -1 when it is not a public key. Caller frees *id.
 */
int deis_ssh_pubkey_id(const char *path, const char *contents, char **id);
/* Print a JSON response body raw, with a trailing newline. */
void deis_print_raw_json(const struct buf *raw);

/* ---- commands ------------------------------------------------------------ */

typedef int (*cmd_fn)(int argc, char **argv);

#define CMD(name) int name(int argc, char **argv)
CMD(deis_cmd_apps_create);
CMD(deis_cmd_apps_list);
CMD(deis_cmd_apps_info);
CMD(deis_cmd_apps_open);
CMD(deis_cmd_apps_logs);
CMD(deis_cmd_apps_run);
CMD(deis_cmd_apps_destroy);
CMD(deis_cmd_apps_transfer);
CMD(deis_cmd_apps_help);
CMD(deis_cmd_auth_register);
CMD(deis_cmd_auth_login);
CMD(deis_cmd_auth_logout);
CMD(deis_cmd_auth_passwd);
CMD(deis_cmd_auth_whoami);
CMD(deis_cmd_auth_cancel);
CMD(deis_cmd_auth_regenerate);
CMD(deis_cmd_auth_help);
CMD(deis_cmd_builds_list);
CMD(deis_cmd_builds_create);
CMD(deis_cmd_builds_help);
CMD(deis_cmd_certs_list);
CMD(deis_cmd_certs_add);
CMD(deis_cmd_certs_remove);
CMD(deis_cmd_certs_help);
CMD(deis_cmd_config_list);
CMD(deis_cmd_config_set);
CMD(deis_cmd_config_unset);
CMD(deis_cmd_config_pull);
CMD(deis_cmd_config_push);
CMD(deis_cmd_config_help);
CMD(deis_cmd_domains_list);
CMD(deis_cmd_domains_add);
CMD(deis_cmd_domains_remove);
CMD(deis_cmd_domains_help);
CMD(deis_cmd_git_remote);
CMD(deis_cmd_git_help);
CMD(deis_cmd_keys_list);
CMD(deis_cmd_keys_add);
CMD(deis_cmd_keys_remove);
CMD(deis_cmd_keys_help);
CMD(deis_cmd_limits_list);
CMD(deis_cmd_limits_set);
CMD(deis_cmd_limits_unset);
CMD(deis_cmd_limits_help);
CMD(deis_cmd_perms_list);
CMD(deis_cmd_perms_create);
CMD(deis_cmd_perms_delete);
CMD(deis_cmd_perms_help);
CMD(deis_cmd_ps_list);
CMD(deis_cmd_ps_restart);
CMD(deis_cmd_ps_scale);
CMD(deis_cmd_ps_help);
CMD(deis_cmd_releases_list);
CMD(deis_cmd_releases_info);
CMD(deis_cmd_releases_rollback);
CMD(deis_cmd_releases_help);
CMD(deis_cmd_tags_list);
CMD(deis_cmd_tags_set);
CMD(deis_cmd_tags_unset);
CMD(deis_cmd_tags_help);
CMD(deis_cmd_users_list);
CMD(deis_cmd_users_help);
CMD(deis_cmd_version);

/* Shared printers used by apps:info and after scale/restart/set. */
int deis_ps_print(struct client *c, const char *app, long limit);
int deis_domains_print(struct client *c, const char *app, long limit);
int deis_config_print(struct client *c, const char *app, bool oneline);
int deis_limits_print(struct client *c, const char *app);
int deis_tags_print(struct client *c, const char *app);
/* Common start of an app command: load client, resolve the app. */
int deis_app_load(struct client *c, const char *explicit_app, char **app);

/* ---- shared command shapes (cmdutil.c) ----------------------------------- */

/*
 * The body of a command once its arguments are parsed and its client loaded.
 * app is the resolved app (NULL unless deis_cmd_run() was asked for one); all
 * four arguments are borrowed for the call. Returns the command's result.
 */
typedef int (*deis_run_fn)(struct client *c, const char *app, const struct args *a,
    const struct cmd_spec *spec);
/*
 * Parse argv against spec (--help and syntax errors as deis_args_run()),
 * load the client and, when with_app, resolve the app from --app; then call
 * fn and release everything. Returns fn's result, or the parse result, or -1
 * (deis_fail) when the client or app cannot be loaded.
 */
int deis_cmd_run(const struct cmd_spec *spec, int argc, char **argv, bool with_app,
    deis_run_fn fn);
/* deis_cmd_run() with the app, for a command that only prints: show(c, app). */
int deis_cmd_run_show(const struct cmd_spec *spec, int argc, char **argv,
    int (*show)(struct client *c, const char *app));
/*
 * deis_cmd_run() for a list command: also parses spec's -l/--limit (default:
 * the settings' limit; a bad one is -1 with deis_fail()) and calls
 * list(c, app, limit).
 */
int deis_cmd_run_list(const struct cmd_spec *spec, int argc, char **argv, bool with_app,
    int (*list)(struct client *c, const char *app, long limit));
/*
 * The body of a command that checks its arguments before anything is loaded:
 * c and app are loaded for the call, arg is the command's own.
 */
typedef int (*deis_app_fn)(struct client *c, const char *app, void *arg);
/*
 * Load the client and resolve the app (explicit_app, else git, else the
 * directory), call fn and release them. fn's result, or -1 (deis_fail) when
 * loading fails, in which case fn is not called.
 */
int deis_app_do(const char *explicit_app, deis_app_fn fn, void *arg);
/*
 * GET one page of a list (deis_api_list()). With --json the raw page is
 * printed; otherwise "=== <heading> (n of count)" (no line when heading is
 * NULL) and then render(results, arg), results borrowed for the call.
 * 0, or -1 (deis_fail).
 */
int deis_list_show(struct client *c, const char *path, long limit, const char *heading,
    void (*render)(json_t *results, const void *arg), const void *arg);
/* deis_list_show() of /v1/apps/<app>/<resource>/ under the heading "<app> <title>". */
int deis_app_list_show(struct client *c, const char *app, const char *resource, const char *title,
    long limit, void (*render)(json_t *results, const void *arg), const void *arg);
/*
 * GET path and decode the body (caller decrefs); the raw body is appended to
 * raw when not NULL. NULL on error (deis_fail).
 */
json_t *deis_api_get_json(struct client *c, const char *path, struct buf *raw);
/*
 * GET path: with --json print the body raw, else decode it and call
 * render(obj, arg) with obj borrowed for the call. 0, or -1 (deis_fail).
 */
int deis_get_show(struct client *c, const char *path,
    void (*render)(json_t *obj, const void *arg), const void *arg);
/* deis_get_show() of the app's config, with the app name as render's arg. */
int deis_config_show(struct client *c, const char *app,
    void (*render)(json_t *cfg, const void *app));
/*
 * Print "<doing>... " and POST {field: map} to the app's config; map is taken.
 * 0 with *res filled (caller releases), or -1 (deis_fail).
 */
int deis_config_post(struct client *c, const char *app, const char *doing, const char *field,
    json_t *map, struct response *res);
/*
 * The set/unset of tags, limits and config values: load the client and the
 * app (from explicit_app), deis_config_post(), print "done" and then
 * print(c, app). map is taken in every case. Returns print's result or -1.
 */
int deis_config_apply(const char *explicit_app, const char *doing, const char *field, json_t *map,
    int (*print)(struct client *c, const char *app));
/*
 * The one-request commands (add, remove, transfer): print fmt (the "<doing>... "
 * line), send method to path, with item percent-encoded and appended when not
 * NULL, and print "done" on success. DELETE sends no body; any other method
 * sends req (taken; NULL is the bad-UTF-8 failure of deis_api_send()).
 * 0, or -1 (deis_fail).
 */
int deis_api_act(struct client *c, const char *method, const char *path, const char *item,
    json_t *req, bool spin, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/*
 * Parse one KEY=value argument s: 0 with the key's length in *keylen and the
 * value in *val (a new reference), or -1 after printing why on stderr.
 */
typedef int (*deis_kv_fn)(const char *s, size_t *keylen, json_t **val, const void *arg);
/*
 * {"<key>": value, ...} from every positional argument of a through parse
 * (arg is passed along). NULL when one does not parse (its complaint is
 * printed; the command exits 1). Caller decrefs.
 */
json_t *deis_kv_map(const struct args *a, deis_kv_fn parse, const void *arg);
/* {"<pos>": null, ...} for every positional argument (the unset commands). Caller decrefs. */
json_t *deis_kv_nulls(const struct args *a);

#endif
