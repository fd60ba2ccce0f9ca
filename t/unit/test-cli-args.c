/* deis CLI: the argument grammar, KEY=value forms, Procfile, ssh keys, error rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/deis/deis.h"

static const struct opt opts[] = {
	{ 'a', "app", true, NULL },
	{ 0, "confirm", true, NULL },
	{ 'r', "remote", true, "deis" },
	{ 'i', "interactive", false, NULL },
	{ 'o', "overwrite", false, NULL },
	{ 0, "no-remote", false, NULL },
	{ 0, NULL, false, NULL },
};
static const struct cmd_spec spec = {
	"\nSomething.\n\nUsage: deis x:y [<id>...] [options]\n\nOptions:\n  -a --app=<app>\n",
	opts, 0, -1, false,
};

/* Parse a space-separated command line (no quoting needed in these tests). */
static int
parse(struct args *a, const struct cmd_spec *sp, const char *line)
{
	static char store[512];
	static char *argv[32];
	char why[128];
	int argc = 0;
	char *save = NULL, *t;

	strncpy(store, line, sizeof(store) - 1);
	for (t = strtok_r(store, " ", &save); t && argc < 31; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	return deis_args_parse(a, sp, argc, argv, why, sizeof(why));
}

static void
test_options_forms(void **state)
{
	struct args a;

	assert_int_equal(parse(&a, &spec, "x:y --app=foo"), 0);
	assert_string_equal(deis_args_get(&a, &spec, "app"), "foo");
	deis_args_release(&a);

	assert_int_equal(parse(&a, &spec, "x:y --app foo"), 0);
	assert_string_equal(deis_args_get(&a, &spec, "app"), "foo");
	assert_int_equal(a.npos, 0);
	deis_args_release(&a);

	assert_int_equal(parse(&a, &spec, "x:y -a foo"), 0);
	assert_string_equal(deis_args_get(&a, &spec, "app"), "foo");
	deis_args_release(&a);

	assert_int_equal(parse(&a, &spec, "x:y -afoo"), 0);
	assert_string_equal(deis_args_get(&a, &spec, "app"), "foo");
	deis_args_release(&a);

	/* a value may contain '=' */
	assert_int_equal(parse(&a, &spec, "x:y --app=a=b"), 0);
	assert_string_equal(deis_args_get(&a, &spec, "app"), "a=b");
	deis_args_release(&a);

	/* defaults, flags absent and present */
	assert_int_equal(parse(&a, &spec, "x:y"), 0);
	assert_string_equal(deis_args_get(&a, &spec, "remote"), "deis");
	assert_null(deis_args_get(&a, &spec, "app"));
	assert_false(deis_args_flag(&a, &spec, "no-remote"));
	deis_args_release(&a);

	assert_int_equal(parse(&a, &spec, "x:y --no-remote -r origin"), 0);
	assert_true(deis_args_flag(&a, &spec, "no-remote"));
	assert_string_equal(deis_args_get(&a, &spec, "remote"), "origin");
	deis_args_release(&a);

	/* clustered short flags */
	assert_int_equal(parse(&a, &spec, "x:y -io"), 0);
	assert_true(deis_args_flag(&a, &spec, "interactive"));
	assert_true(deis_args_flag(&a, &spec, "overwrite"));
	deis_args_release(&a);

	/* unique prefix of a long option, as docopt allows */
	assert_int_equal(parse(&a, &spec, "x:y --conf=foo"), 0);
	assert_string_equal(deis_args_get(&a, &spec, "confirm"), "foo");
	deis_args_release(&a);
}

static void
test_positionals(void **state)
{
	struct args a;

	/* options before, between and after positionals */
	assert_int_equal(parse(&a, &spec, "x:y one -a foo two three"), 0);
	assert_int_equal(a.npos, 3);
	assert_string_equal(a.pos[0], "one");
	assert_string_equal(a.pos[1], "two");
	assert_string_equal(a.pos[2], "three");
	assert_string_equal(deis_args_get(&a, &spec, "app"), "foo");
	deis_args_release(&a);

	/* after --, everything is positional */
	assert_int_equal(parse(&a, &spec, "x:y -a foo -- -a --app=bar -"), 0);
	assert_int_equal(a.npos, 3);
	assert_string_equal(a.pos[0], "-a");
	assert_string_equal(a.pos[1], "--app=bar");
	assert_string_equal(a.pos[2], "-");
	assert_string_equal(deis_args_get(&a, &spec, "app"), "foo");
	deis_args_release(&a);
}

static void
test_errors(void **state)
{
	static const struct cmd_spec one = { "Usage: deis x <a>\n", opts, 1, 1, false };
	struct args a;

	assert_int_equal(parse(&a, &spec, "x:y --bogus"), -1);
	deis_args_release(&a);
	assert_int_equal(parse(&a, &spec, "x:y -z"), -1);
	deis_args_release(&a);
	assert_int_equal(parse(&a, &spec, "x:y --app"), -1);
	deis_args_release(&a);
	assert_int_equal(parse(&a, &spec, "x:y -a"), -1);
	deis_args_release(&a);
	assert_int_equal(parse(&a, &spec, "x:y --no-remote=yes"), -1);
	deis_args_release(&a);
	/* a unique prefix of --no-remote */
	assert_int_equal(parse(&a, &spec, "x:y --no"), 0);
	deis_args_release(&a);
	assert_int_equal(parse(&a, &one, "x"), -1);
	deis_args_release(&a);
	assert_int_equal(parse(&a, &one, "x a b"), -1);
	deis_args_release(&a);
	assert_int_equal(parse(&a, &one, "x a"), 0);
	deis_args_release(&a);
	/* --help wins over a missing argument */
	assert_int_equal(parse(&a, &one, "x --help"), 0);
	assert_true(a.help);
	deis_args_release(&a);
	assert_int_equal(parse(&a, &one, "x -h"), 0);
	assert_true(a.help);
	deis_args_release(&a);
	/* but not after -- */
	assert_int_equal(parse(&a, &one, "x -- --help"), 0);
	assert_false(a.help);
	deis_args_release(&a);
}

/* apps:run: -a/--app anywhere before --, other dash words are the command's own. */
static void
test_unknown_pos(void **state)
{
	static const struct opt runopts[] = {
		{ 'a', "app", true, NULL },
		{ 0, NULL, false, NULL },
	};
	static const struct cmd_spec run = {
		"Usage: deis run [options] [--] <command>...\n", runopts, 1, -1, true,
	};
	struct args a;

	assert_int_equal(parse(&a, &run, "apps:run bash -a foo"), 0);
	assert_string_equal(deis_args_get(&a, &run, "app"), "foo");
	assert_int_equal(a.npos, 1);
	assert_string_equal(a.pos[0], "bash");
	deis_args_release(&a);

	assert_int_equal(parse(&a, &run, "apps:run ls -la / --app=x"), 0);
	assert_string_equal(deis_args_get(&a, &run, "app"), "x");
	assert_int_equal(a.npos, 3);
	assert_string_equal(a.pos[1], "-la");
	assert_string_equal(a.pos[2], "/");
	deis_args_release(&a);

	/* after --, every word is the command, -a included */
	assert_int_equal(parse(&a, &run, "apps:run -afoo -- ls -a --app=y"), 0);
	assert_string_equal(deis_args_get(&a, &run, "app"), "foo");
	assert_int_equal(a.npos, 3);
	assert_string_equal(a.pos[1], "-a");
	assert_string_equal(a.pos[2], "--app=y");
	deis_args_release(&a);

	assert_int_equal(parse(&a, &run, "apps:run python3 --version --verbose -x"), 0);
	assert_null(deis_args_get(&a, &run, "app"));
	assert_int_equal(a.npos, 4);
	assert_string_equal(a.pos[1], "--version");
	assert_string_equal(a.pos[3], "-x");
	deis_args_release(&a);

	/* a command is required; --help is still help */
	assert_int_equal(parse(&a, &run, "apps:run -a foo"), -1);
	deis_args_release(&a);
	assert_int_equal(parse(&a, &run, "apps:run --help"), 0);
	assert_true(a.help);
	deis_args_release(&a);

	/* a grammar without unknown_pos still refuses what it does not know */
	assert_int_equal(parse(&a, &spec, "x:y -z"), -1);
	deis_args_release(&a);
}

static void
test_kv_config(void **state)
{
	static const struct {
		const char *in, *key, *val;
	} ok[] = {
		{ "MODE=test", "MODE", "test" },
		{ "lower=1", "lower", "1" },
		{ "_X9=a", "_X9", "a" },
		{ "URL=postgres://u:p@h/db?x=1&y=2", "URL", "postgres://u:p@h/db?x=1&y=2" },
		{ "Q=\"quoted value\"", "Q", "\"quoted value\"" },
		{ "S='single'", "S", "'single'" },
		{ "U=h\xc3\xa9llo \xe2\x9c\x93", "U", "h\xc3\xa9llo \xe2\x9c\x93" },
		{ "M=line1\nline2\n", "M", "line1\nline2\n" },
		{ "E==", "E", "=" },
		{ "SPACE= x ", "SPACE", " x " },
		/* Go's [A-z] admits [ \ ] ^ ` too */
		{ "A^B=1", "A^B", "1" },
	};
	static const char *const bad[] = {
		"NOEQUALS", "=value", "EMPTY=", "1ABC=x", "A-B=x", "A B=x", "\xc3\xa9=x", "",
	};
	size_t i, klen;
	const char *val;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(deis_kv_parse_config(ok[i].in, &klen, &val), 0);
		assert_int_equal(klen, strlen(ok[i].key));
		assert_memory_equal(ok[i].in, ok[i].key, klen);
		assert_string_equal(val, ok[i].val);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(deis_kv_parse_config(bad[i], &klen, &val), -1);
}

static void
test_kv_scale_limit(void **state)
{
	size_t klen;
	long long n;
	const char *v;

	assert_int_equal(deis_kv_parse_scale("web=3", &klen, &n), 0);
	assert_int_equal(klen, 3);
	assert_int_equal(n, 3);
	assert_int_equal(deis_kv_parse_scale("worker=0", &klen, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(deis_kv_parse_scale("web=", &klen, &n), -1);
	assert_int_equal(deis_kv_parse_scale("web=-1", &klen, &n), -1);
	assert_int_equal(deis_kv_parse_scale("web2=1", &klen, &n), -1);
	assert_int_equal(deis_kv_parse_scale("=1", &klen, &n), -1);
	assert_int_equal(deis_kv_parse_scale("web=1x", &klen, &n), -1);

	assert_int_equal(deis_kv_parse_limit("web=2G", &klen, &v), 0);
	assert_string_equal(v, "2G");
	assert_int_equal(deis_kv_parse_limit("web=500mb", &klen, &v), 0);
	assert_int_equal(deis_kv_parse_limit("web=1024", &klen, &v), 0);
	assert_int_equal(deis_kv_parse_limit("web=10240", &klen, &v), -1);
	assert_int_equal(deis_kv_parse_limit("web=5T", &klen, &v), -1);
	assert_int_equal(deis_kv_parse_limit("web=G", &klen, &v), -1);
	assert_int_equal(deis_kv_parse_limit("web=1GBB", &klen, &v), -1);
}

static void
test_procfile(void **state)
{
	json_t *m = deis_procfile_parse("# comment\nweb: ./bin/web --port $PORT\n\n"
	    "worker:   'python w.py'  \r\nclock: \"x: y\"\n");

	assert_non_null(m);
	assert_int_equal(json_object_size(m), 3);
	assert_string_equal(json_string_value(json_object_get(m, "web")),
	    "./bin/web --port $PORT");
	assert_string_equal(json_string_value(json_object_get(m, "worker")), "python w.py");
	assert_string_equal(json_string_value(json_object_get(m, "clock")), "x: y");
	json_decref(m);
	assert_null(deis_procfile_parse("web ./bin/web\n"));
	assert_null(deis_procfile_parse(": nothing\n"));
	m = deis_procfile_parse("");
	assert_int_equal(json_object_size(m), 0);
	json_decref(m);
}

static void
test_ssh_pubkey(void **state)
{
	char *id = NULL;

	assert_int_equal(deis_ssh_pubkey_id("/h/.ssh/id_rsa.pub",
	    "ssh-rsa AAAAB3NzaC1yc2E alice@laptop\n", &id), 0);
	assert_string_equal(id, "alice@laptop");
	free(id);
	assert_int_equal(deis_ssh_pubkey_id("/h/.ssh/id_ed25519.pub",
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n", &id), 0);
	assert_string_equal(id, "id_ed25519");
	free(id);
	assert_int_equal(deis_ssh_pubkey_id("k.pub", "ecdsa-sha2-nistp256 AAAA me too\r\n", &id), 0);
	assert_string_equal(id, "me too");
	free(id);
	assert_int_equal(deis_ssh_pubkey_id("k.pub", "-----BEGIN RSA PRIVATE KEY-----\n", &id), -1);
	assert_int_equal(deis_ssh_pubkey_id("k.pub", "ssh-rsa\n", &id), -1);
	assert_int_equal(deis_ssh_pubkey_id("k.pub", "", &id), -1);
}

static void
render(const char *status, const char *body, const char *want)
{
	struct response res = { 0 };
	struct buf out = BUF_INIT;

	strcpy(res.status_line, status);
	buf_init(&res.body, 0);
	buf_addstr(&res.body, body);
	deis_http_render_error(&res, &out);
	assert_string_equal(out.p, want);
	buf_release(&out);
	buf_release(&res.body);
}

static void
test_error_rendering(void **state)
{
	render("404 NOT FOUND", "{\"detail\":\"Not found\"}", "\n404 NOT FOUND\ndetail: Not found\n");
	render("400 BAD REQUEST", "{\"id\":[\"This field must be unique.\",\"Second.\"]}",
	    "\n400 BAD REQUEST\nid: This field must be unique.\nid: Second.\n");
	render("400 BAD REQUEST", "{\"a\":\"1\",\"b\":[\"2\"]}", "\n400 BAD REQUEST\na: 1\nb: 2\n");
	render("500 INTERNAL SERVER ERROR", "Error accessing logs for foo",
	    "\n500 INTERNAL SERVER ERROR\nError accessing logs for foo\n");
	render("502 Bad Gateway", "", "\n502 Bad Gateway\n\n");
	/* not strings: shown as JSON rather than dropped */
	render("409 CONFLICT", "{\"n\":3,\"o\":{\"a\":1},\"l\":[1]}",
	    "\n409 CONFLICT\nn: 3\no: {\"a\":1}\nl: 1\n");
	render("400 BAD REQUEST", "[\"x\"]", "\n400 BAD REQUEST\n[\"x\"]\n");
}

/* Run deis_http_check_api_version() with stdout in a file; return what it printed. */
static char *
version_warning(const char *server)
{
	struct response res = { 0 };
	static char out[1024];
	FILE *f = tmpfile();
	int saved = dup(1);
	size_t n;

	assert_non_null(f);
	snprintf(res.api_version, sizeof(res.api_version), "%s", server);
	fflush(stdout);
	dup2(fileno(f), 1);
	deis_http_check_api_version(&res);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

static void
test_api_version_warning(void **state)
{
	assert_string_equal(version_warning("1.7"), "");
	assert_string_equal(version_warning("1.8"),
	    "!    WARNING: Client and server API versions do not match. Please consider upgrading.\n"
	    "!    Client version: 1.7\n"
	    "!    Server version: 1.8\n");
	/* a missing header is a mismatch too, as in Deis */
	assert_string_equal(version_warning(""),
	    "!    WARNING: Client and server API versions do not match. Please consider upgrading.\n"
	    "!    Client version: 1.7\n"
	    "!    Server version: \n");
}

static void
test_controller_split(void **state)
{
	char *base = NULL, host[64];

	assert_int_equal(deis_controller_split("http://deis.example.com:8000/", &base, host,
	    sizeof(host)), 0);
	assert_string_equal(base, "http://deis.example.com:8000");
	assert_string_equal(host, "deis.example.com");
	free(base);
	assert_int_equal(deis_controller_split("https://127.0.0.1", &base, host, sizeof(host)), 0);
	assert_string_equal(base, "https://127.0.0.1");
	assert_string_equal(host, "127.0.0.1");
	free(base);
	assert_int_equal(deis_controller_split("http://[::1]:80/x", &base, host, sizeof(host)), 0);
	assert_string_equal(host, "[::1]");
	free(base);
	assert_int_equal(deis_controller_split("deis.example.com", &base, host, sizeof(host)), -1);
	assert_int_equal(deis_controller_split("http://", &base, host, sizeof(host)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_forms),
		cmocka_unit_test(test_positionals),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unknown_pos),
		cmocka_unit_test(test_kv_config),
		cmocka_unit_test(test_kv_scale_limit),
		cmocka_unit_test(test_procfile),
		cmocka_unit_test(test_ssh_pubkey),
		cmocka_unit_test(test_error_rendering),
		cmocka_unit_test(test_controller_split),
		cmocka_unit_test(test_api_version_warning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
