/*
 * config:* — list, set, unset, pull (to .env), push (from .env). KEY=value
 * arguments follow the Deis regex; a malformed one is refused before anything
 * is sent (Deis printed a warning and sent the rest).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

static const char config_usage[] =
"\n"
"Valid commands for config:\n"
"\n"
"config:list        list environment variables for an app\n"
"config:set         set environment variables for an app\n"
"config:unset       unset environment variables for an app\n"
"config:pull        extract environment variables to .env\n"
"config:push        set environment variables from .env\n"
"\n"
"Use 'deis help [command]' to learn more.\n";

CMD(deis_cmd_config_help)
{
	fputs(config_usage, stdout);
	return 0;
}


/* GET the app's config; raw body into raw when not NULL. */
static json_t *
config_get(struct client *c, const char *app, struct buf *raw)
{
	char *path = xasprintf("/v1/apps/%s/config/", app);
	json_t *cfg = deis_api_get_json(c, path, raw);

	free(path);
	return cfg;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
deis_config_print(struct client *c, const char *app, bool oneline)
{
	struct buf raw = BUF_INIT;
	json_t *cfg = config_get(c, app, &raw), *values;

	if (cfg == NULL) {
		buf_release(&raw);
		return -1;
	}
	values = json_object_get(cfg, "values");
	if (deis_json) {
		deis_print_raw_json(&raw);
	} else if (oneline) {
		size_t n = json_object_size(values), i = 0;
		const char **keys = xcalloc(n + 1, sizeof(*keys)), *k;
		json_t *v;

		json_object_foreach(values, k, v)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_str);
		for (i = 0; i < n; i++) {
			struct buf val = BUF_INIT;

			deis_json_fmt_value(json_object_get(values, keys[i]), &val);
			printf("%s=%s ", keys[i], val.p);
			buf_release(&val);
		}
		printf("\n");
		free(keys);
	} else {
		printf("=== %s Config\n", app);
		deis_print_tabs(values, 6);
	}
	json_decref(cfg);
	buf_release(&raw);
	return 0;
}

static const struct opt list_opts[] = {
	{ 0, "oneline", false, NULL },
	{ 'a', "app", true, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec list_spec = {
	"\n"
	"Lists environment variables for an application.\n"
	"\n"
	"Usage: deis config:list [options]\n"
	"\n"
	"Options:\n"
	"  --oneline\n"
	"    print output on one line.\n"
	"  -a --app=<app>\n"
	"    the uniquely identifiable name of the application.\n",
	list_opts, 0, 0, false,
};

static int
config_list(struct client *c, const char *app, const struct args *a, const struct cmd_spec *spec)
{
	return deis_config_print(c, app, deis_args_flag(a, spec, "oneline"));
}

CMD(deis_cmd_config_list)
{
	return deis_cmd_run(&list_spec, argc, argv, true, config_list);
}

/* `^-.+ .SA PRIVATE KEY-*` on the first line: an RSA/DSA PEM private key. */
static bool
looks_like_private_key(const char *s)
{
	size_t line = strcspn(s, "\n");
	const char *p;

	if (s[0] != '-')
		return false;
	for (p = s + 2; p + 15 <= s + line; p++)
		if (p[0] == ' ' && strncmp(p + 2, "SA PRIVATE KEY", 14) == 0)
			return true;
	return false;
}

/* SSH_KEY=<path or PEM>: read the file if it is one, check it, base64 it. */
static int
ssh_key_value(const char *v, char **out)
{
	struct buf pem = BUF_INIT;
	unsigned char *b64;
	int n;

	if (access(v, F_OK) == 0) {
		if (deis_file_read(v, &pem) < 0)
			return -1;
	} else {
		buf_addstr(&pem, v);
	}
	if (!looks_like_private_key(pem.p)) {
		deis_fail("Could not parse SSH private key:\n %s", pem.p);
		buf_release(&pem);
		return -1;
	}
	b64 = xmalloc(4 * (pem.len / 3 + 1) + 1);
	n = EVP_EncodeBlock(b64, (const unsigned char *)pem.p, (int)pem.len);
	b64[n] = '\0';
	*out = (char *)b64;
	explicit_bzero(pem.p, pem.len);
	buf_release(&pem);
	return 0;
}

/*
 * Build {"K":"V",...} from KEY=value strings. A malformed one: its message on
 * stderr and -1 (the caller exits 1 without sending anything).
 */
static json_t *
config_values(const char *const *vars, int n)
{
	json_t *values = json_object();
	int i;

	for (i = 0; i < n; i++) {
		const char *val;
		char *key, *enc = NULL;
		size_t klen;

		if (deis_kv_parse_config(vars[i], &klen, &val) < 0) {
			fflush(stdout);
			fprintf(stderr, "'%s' does not match the pattern 'key=var', ex: MODE=test\n",
			    vars[i]);
			json_decref(values);
			return NULL;
		}
		key = xstrndup(vars[i], klen);
		if (strcmp(key, "SSH_KEY") == 0 && ssh_key_value(val, &enc) < 0) {
			free(key);
			json_decref(values);
			return NULL;
		}
		if (json_object_set_new(values, key, json_string(enc ? enc : val)) < 0) {
			fflush(stdout);
			fprintf(stderr, "'%s' is not valid UTF-8\n", vars[i]);
			free(key);
			free(enc);
			json_decref(values);
			return NULL;
		}
		free(key);
		free(enc);
	}
	return values;
}

/* POST values to the app's config, then list it (config:set, config:push). */
static int
config_set(struct client *c, const char *app, const char *const *vars, int n)
{
	struct response res;
	json_t *values, *root, *rel;

	values = config_values(vars, n);
	if (values == NULL)
		return deis_errmsg()[0] ? -1 : 1;
	if (deis_config_post(c, app, "Creating config", "values", values, &res) < 0)
		return -1;
	root = deis_response_json(&res);
	deis_response_release(&res);
	if (root == NULL)
		return -1;
	rel = json_object_get(json_object_get(root, "values"), "DEIS_RELEASE");
	if (rel) {
		struct buf v = BUF_INIT;

		deis_json_fmt_value(rel, &v);
		printf("done, %s\n\n", v.p);
		buf_release(&v);
	} else {
		printf("done\n\n");
	}
	json_decref(root);
	return deis_config_print(c, app, false);
}

static const struct cmd_spec set_spec = {
	"\n"
	"Sets environment variables for an application.\n"
	"\n"
	"Usage: deis config:set <var>=<value> [<var>=<value>...] [options]\n"
	"\n"
	"Arguments:\n"
	"  <var>\n"
	"    the uniquely identifiable name for the environment variable.\n"
	"  <value>\n"
	"    the value of said environment variable.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, -1, false,
};

static int
config_set_args(struct client *c, const char *app, const struct args *a,
    const struct cmd_spec *spec)
{
	return config_set(c, app, a->pos, a->npos);
}

CMD(deis_cmd_config_set)
{
	return deis_cmd_run(&set_spec, argc, argv, true, config_set_args);
}

static const struct cmd_spec unset_spec = {
	"\n"
	"Unsets an environment variable for an application.\n"
	"\n"
	"Usage: deis config:unset <key>... [options]\n"
	"\n"
	"Arguments:\n"
	"  <key>\n"
	"    the variable to remove from the application's environment.\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP,
	deis_opts_app, 1, -1, false,
};

static int
config_print_all(struct client *c, const char *app)
{
	return deis_config_print(c, app, false);
}

CMD(deis_cmd_config_unset)
{
	struct args a;
	int rc;

	if (!deis_args_run(&a, &unset_spec, argc, argv, &rc))
		return rc;
	rc = deis_config_apply(deis_args_get(&a, &unset_spec, "app"), "Removing config", "values",
	    deis_kv_nulls(&a), config_print_all);
	deis_args_release(&a);
	return rc;
}

/* Split .env text into lines (no trailing CR), skipping blanks and # comments. */
static int
env_lines(struct buf *text, const char ***lines)
{
	int n = 0, cap = 16;
	char *p = text->p, *nl;

	*lines = xcalloc((size_t)cap, sizeof(**lines));
	while (p < text->p + text->len) {
		nl = memchr(p, '\n', (size_t)(text->p + text->len - p));
		if (nl)
			*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*p && *p != '#') {
			if (n == cap) {
				cap *= 2;
				*lines = xrealloc(*lines, (size_t)cap * sizeof(**lines));
			}
			(*lines)[n++] = p;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

static const struct opt pull_opts[] = {
	{ 'a', "app", true, NULL },
	{ 'i', "interactive", false, NULL },
	{ 'o', "overwrite", false, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec pull_spec = {
	"\n"
	"Extract all environment variables from an application for local use.\n"
	"\n"
	"Your environment will be stored locally in a file named .env. This file can be\n"
	"read by foreman to load the local environment for your app.\n"
	"\n"
	"Usage: deis config:pull [options]\n"
	"\n"
	"Options:\n"
	"  -a --app=<app>\n"
	"    The application that you wish to pull from\n"
	"  -i --interactive\n"
	"    Prompts for each value to be overwritten\n"
	"  -o --overwrite\n"
	"    Allows you to have the pull overwrite keys in .env\n",
	pull_opts, 0, 0, false,
};

/* Write .env atomically, keys sorted; it holds secrets, so mode 0600. */
static int
env_write(const char *filename, json_t *values)
{
	size_t n = json_object_size(values), i = 0;
	const char **keys = xcalloc(n + 1, sizeof(*keys)), *k;
	struct buf out = BUF_INIT;
	char *tmp = xasprintf("%s.tmp.%ld", filename, (long)getpid());
	json_t *v;
	int fd, rc = -1;

	json_object_foreach(values, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		buf_addf(&out, "%s=", keys[i]);
		deis_json_fmt_value(json_object_get(values, keys[i]), &out);
		buf_addch(&out, '\n');
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		deis_fail("open %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, out.p, out.len) != (ssize_t)out.len || close(fd) < 0) {
		deis_fail("write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, filename) < 0) {
		deis_fail("rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(keys);
	buf_release(&out);
	return rc;
}

CMD(deis_cmd_config_pull)
{
	static const char filename[] = ".env";
	struct args a;
	struct client c;
	json_t *cfg = NULL, *remote, *local = NULL, *v;
	char *app = NULL;
	const char *k;
	int rc;

	if (!deis_args_run(&a, &pull_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (!deis_args_flag(&a, &pull_spec, "overwrite") && access(filename, F_OK) == 0) {
		rc = deis_fail("%s already exists, pass -o to overwrite", filename);
		goto out_args;
	}
	if (deis_app_load(&c, deis_args_get(&a, &pull_spec, "app"), &app) < 0)
		goto out_args;
	cfg = config_get(&c, app, NULL);
	if (cfg == NULL)
		goto out;
	remote = json_object_get(cfg, "values");
	if (deis_args_flag(&a, &pull_spec, "interactive")) {
		struct buf text = BUF_INIT;
		const char **lines;
		int n, i;

		if (deis_file_read(filename, &text) < 0)
			goto out;
		n = env_lines(&text, &lines);
		local = json_object();
		for (i = 0; i < n; i++) {
			const char *val;
			size_t klen;

			if (deis_kv_parse_config(lines[i], &klen, &val) < 0) {
				printf("'%s' does not match the pattern 'key=var', ex: MODE=test\n",
				    lines[i]);
				continue;
			}
			{
				char *key = xstrndup(lines[i], klen);

				json_object_set_new(local, key, json_string(val));
				free(key);
			}
		}
		free(lines);
		buf_release(&text);
		json_object_foreach(remote, k, v) {
			json_t *lv = json_object_get(local, k);

			if (lv && !json_equal(lv, v)) {
				struct buf rv = BUF_INIT;
				char *answer;

				deis_json_fmt_value(v, &rv);
				printf("%s: overwrite %s with %s? (y/N) ", k, json_string_value(lv), rv.p);
				answer = deis_prompt_line("");
				if (strcasecmp(answer, "y") == 0)
					json_object_set(local, k, v);
				free(answer);
				buf_release(&rv);
			} else if (lv == NULL) {
				json_object_set(local, k, v);
			}
		}
		rc = env_write(filename, local);
	} else {
		rc = env_write(filename, remote);
	}
out:
	json_decref(local);
	json_decref(cfg);
	free(app);
	deis_client_release(&c);
out_args:
	deis_args_release(&a);
	return rc;
}

static const struct opt push_opts[] = {
	{ 'a', "app", true, NULL },
	{ 'p', "path", true, ".env" },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec push_spec = {
	"\n"
	"Sets environment variables for an application.\n"
	"\n"
	"The environment is read from <path>. This file can be read by foreman\n"
	"to load the local environment for your app.\n"
	"\n"
	"Usage: deis config:push [options]\n"
	"\n"
	"Options:\n"
	DEIS_USAGE_OPT_APP
	"  -p <path>, --path=<path>\n"
	"    a path leading to an environment file [default: .env]\n",
	push_opts, 0, 0, false,
};

CMD(deis_cmd_config_push)
{
	struct args a;
	struct client c;
	struct buf text = BUF_INIT;
	const char **lines = NULL;
	char *app = NULL;
	int rc, n;

	if (!deis_args_run(&a, &push_spec, argc, argv, &rc))
		return rc;
	rc = -1;
	if (deis_file_read(deis_args_get(&a, &push_spec, "path"), &text) < 0)
		goto out_args;
	n = env_lines(&text, &lines);
	if (n == 0) {
		rc = deis_fail("%s: no KEY=value lines", deis_args_get(&a, &push_spec, "path"));
		goto out_args;
	}
	if (deis_app_load(&c, deis_args_get(&a, &push_spec, "app"), &app) == 0) {
		rc = config_set(&c, app, lines, n);
		free(app);
		deis_client_release(&c);
	}
out_args:
	free(lines);
	buf_release(&text);
	deis_args_release(&a);
	return rc;
}
