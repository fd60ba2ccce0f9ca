/* builder: SSH command parsing, name validation, Procfile and release parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "builder/builder.h"

static void
test_sshcmd_accepts_git(void **state)
{
	static const struct {
		const char *cmd, *app;
		enum sshcmd_op op;
	} ok[] = {
		{ "git-receive-pack 'myapp.git'", "myapp", SSHCMD_RECEIVE_PACK },
		{ "git-receive-pack '/myapp.git'", "myapp", SSHCMD_RECEIVE_PACK },
		{ "git-receive-pack myapp.git", "myapp", SSHCMD_RECEIVE_PACK },
		{ "git-receive-pack 'my-app-2'", "my-app-2", SSHCMD_RECEIVE_PACK },
		{ "git receive-pack 'x.git'", "x", SSHCMD_RECEIVE_PACK },
		{ "git-upload-pack '/0abc.git'", "0abc", SSHCMD_UPLOAD_PACK },
	};
	struct sshcmd c;
	struct err e = { 0 };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(sshcmd_parse(ok[i].cmd, &c, &e), 0);
		assert_string_equal(c.app, ok[i].app);
		assert_int_equal(c.op, ok[i].op);
	}
}

static void
test_sshcmd_refuses(void **state)
{
	static const struct {
		const char *cmd, *msg;
	} bad[] = {
		{ "", "interactive" },
		{ "ls -la", "command 'ls' is not allowed" },
		{ "git-receive-pack", "not allowed" },
		{ "git-receive-pack '../etc.git'", "'..'" },
		{ "git-receive-pack 'a/../b.git'", "'..'" },
		{ "git-receive-pack 'a\"b.git'", "quotes" },
		{ "git-receive-pack 'a'b'.git'", "quotes" },
		{ "git-receive-pack 'a`id`.git'", "quotes" },
		{ "git-receive-pack 'app.git", "unbalanced" },
		{ "git-receive-pack 'App.git'", "invalid app name" },
		{ "git-receive-pack '-app.git'", "invalid app name" },
		{ "git-receive-pack 'a;b.git'", "invalid app name" },
		{ "git-receive-pack 'a$(id).git'", "invalid app name" },
		{ "git-receive-pack 'a b.git'", "invalid app name" },
		{ "git-receive-pack '/.git'", "invalid app name" },
		{ "git-receive-pack ''", "invalid repository name" },
		{ "git-receive-pack 'x/y.git'", "invalid app name" },
		{ "git-upload-archive 'x.git'", "not allowed" },
		{ "git-receive-pack  'x.git'", "quotes" },
		{ "scp -t /tmp", "command 'scp'" },
	};
	struct sshcmd c;
	struct err e = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(sshcmd_parse(bad[i].cmd, &c, &e), -1);
		if (!strstr(e.msg, bad[i].msg))
			fail_msg("'%s' gave '%s', wanted '%s'", bad[i].cmd, e.msg, bad[i].msg);
	}
	assert_int_equal(sshcmd_parse(NULL, &c, &e), -1);
}

static void
test_sshcmd_long_and_nul(void **state)
{
	char buf[700];
	struct sshcmd c;
	struct err e = { 0 };

	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(sshcmd_parse(buf, &c, &e), -1);
	/* 64 letters: one over the limit. */
	snprintf(buf, sizeof(buf), "git-receive-pack '%.64s.git'",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(sshcmd_parse(buf, &c, &e), -1);
	snprintf(buf, sizeof(buf), "git-receive-pack '%.63s.git'",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(sshcmd_parse(buf, &c, &e), 0);
	assert_int_equal(strlen(c.app), 63);
}

static void
test_names(void **state)
{
	assert_true(app_name_valid("a"));
	assert_true(app_name_valid("9lives"));
	assert_false(app_name_valid(""));
	assert_false(app_name_valid(NULL));
	assert_false(app_name_valid("a_b"));
	assert_true(user_name_valid("alice@example.com"));
	assert_false(user_name_valid("al ice"));
	assert_false(user_name_valid("a\"b"));
	assert_false(user_name_valid(""));
	assert_true(key_type_valid("ssh-ed25519"));
	assert_true(key_type_valid("sk-ssh-ed25519@openssh.com"));
	assert_false(key_type_valid("ssh ed25519"));
	assert_false(key_type_valid("x\"y"));
	assert_true(key_blob_valid("AAAAC3NzaC1lZDI1NTE5AAAAIOb4"));
	assert_true(key_blob_valid("AAAA"));
	assert_true(key_blob_valid("AAA="));
	assert_false(key_blob_valid("AAA"));
	assert_false(key_blob_valid("AA=A"));
	assert_false(key_blob_valid("AAAA\""));
	assert_false(key_blob_valid("AAAA AAAA"));
}

static void
test_procfile(void **state)
{
	const char *text = "# comment\n---\nweb: python3 app.py --port $PORT\r\n\n"
	    "worker:   sh -c 'echo \"hi\"'  \nclock: \"node clock.js\"\n";
	struct err e = { 0 };
	json_t *p = procfile_parse(text, strlen(text), &e);

	assert_non_null(p);
	assert_int_equal(json_object_size(p), 3);
	assert_string_equal(json_string_value(json_object_get(p, "web")),
	    "python3 app.py --port $PORT");
	assert_string_equal(json_string_value(json_object_get(p, "worker")), "sh -c 'echo \"hi\"'");
	assert_string_equal(json_string_value(json_object_get(p, "clock")), "node clock.js");
	json_decref(p);

	assert_null(procfile_parse("web python3 app.py\n", 18, &e));
	assert_non_null(strstr(e.msg, "line 1"));
	assert_null(procfile_parse("ok: x\nbad type: x\n", 18, &e));
	assert_non_null(strstr(e.msg, "line 2"));
	assert_null(procfile_parse("web:\n", 5, &e));
	p = procfile_parse("", 0, &e);
	assert_int_equal(json_object_size(p), 0);
	json_decref(p);
}

static void
test_release_types(void **state)
{
	const char *y = "---\naddons: []\ndefault_process_types:\n  web: python3 app.py\n"
	    "  worker: python3 w.py\nconfig_vars:\n  X: y\n";
	json_t *t = release_default_types(y, strlen(y));

	assert_int_equal(json_object_size(t), 2);
	assert_string_equal(json_string_value(json_object_get(t, "web")), "python3 app.py");
	assert_null(json_object_get(t, "X"));
	json_decref(t);
	t = release_default_types("---\ndefault_process_types: {}\n", 30);
	assert_int_equal(json_object_size(t), 0);
	json_decref(t);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_conf(void **state)
{
	char dir[] = "/tmp/test-builder.XXXXXX", conf[128], key[128], text[512];
	struct conf c;
	struct err e = { 0 };

	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/builder.conf", dir);
	snprintf(key, sizeof(key), "%s/key", dir);
	write_text(key, "s3cret\n");
	snprintf(text, sizeof(text), "# comment\ncontroller=http://127.0.0.1:8000/\n"
	    "key_file=%s\nstate_dir=%s\nport=2299\n", key, dir);
	write_text(conf, text);
	assert_int_equal(conf_load(&c, conf, &e), 0);
	assert_string_equal(c.controller, "http://127.0.0.1:8000");
	assert_string_equal(c.builder_key, "s3cret");
	assert_int_equal(c.port, 2299);
	assert_non_null(strstr(c.repo_dir, "/repos"));
	/* Written back, it reads the same. */
	assert_int_equal(conf_write(&c, conf, &e), 0);
	conf_free(&c);
	assert_int_equal(conf_load(&c, conf, &e), 0);
	assert_int_equal(c.port, 2299);
	conf_free(&c);

	write_text(conf, "nonsense=1\n");
	assert_int_equal(conf_load(&c, conf, &e), -1);
	assert_non_null(strstr(e.msg, "unknown config key 'nonsense'"));
	conf_free(&c);
	write_text(conf, "port=99999\n");
	assert_int_equal(conf_load(&c, conf, &e), -1);
	assert_non_null(strstr(e.msg, "invalid port"));
	conf_free(&c);
	snprintf(text, sizeof(text), "controller=ftp://x\nkey_file=%s\n", key);
	write_text(conf, text);
	assert_int_equal(conf_load(&c, conf, &e), -1);
	assert_non_null(strstr(e.msg, "is not http(s)"));
	conf_free(&c);
	snprintf(text, sizeof(text), "key_file=%s/missing\n", dir);
	write_text(conf, text);
	assert_int_equal(conf_load(&c, conf, &e), -1);
	assert_non_null(strstr(e.msg, "cannot read builder key"));
	conf_free(&c);
	assert_int_equal(conf_load(&c, "/nonexistent/builder.conf", &e), -1);
	conf_free(&c);
	unlink(conf);
	unlink(key);
	rmdir(dir);
}

/* dockerfile_images: the images a build makes the daemon use, by the daemon's reading. */
static void
expect_images(const char *df, const char *const *want)
{
	char **got;
	size_t n = dockerfile_images(df, strlen(df), &got), i, nw = 0;

	while (want[nw])
		nw++;
	for (i = 0; i < n; i++)
		print_message("# got '%s'\n", got[i]);
	assert_int_equal(n, nw);
	for (i = 0; i < n; i++) {
		assert_string_equal(got[i], want[i]);
		free(got[i]);
	}
	free(got);
}

static void
test_dockerfile_images(void **state)
{
	expect_images("FROM deis/stack:bookworm\nCMD [\"x\"]\n",
	    (const char *[]){ "deis/stack:bookworm", NULL });
	/* stages, scratch, COPY --from a stage or an image, any case, no final newline */
	expect_images("from golang:1.21 AS build\nRUN make\nFROM scratch\n"
	    "COPY --from=build /out /\ncopy --chown=1:1 --from=127.0.0.1:5000/victim:v1 /app /x\n"
	    "COPY --from=0 /a /b",
	    (const char *[]){ "golang:1.21", "127.0.0.1:5000/victim:v1", NULL });
	/* global ARG defaults in FROM; ${X:-d}; a later stage naming an earlier one */
	expect_images("ARG REG=127.0.0.1:5000\nARG TAG\nFROM $REG/victim:${TAG:-git-1}\n"
	    "FROM --platform=linux/amd64 ${REG}/other AS two\nFROM two\n",
	    (const char *[]){ "127.0.0.1:5000/victim:git-1", "127.0.0.1:5000/other", NULL });
	/* an ARG after FROM is not FROM's; ENV and ARG reach COPY --from */
	expect_images("FROM base\nARG SRC=127.0.0.1:5000/v\nENV T git-2\nCOPY --from=$SRC:$T / /\n",
	    (const char *[]){ "base", "127.0.0.1:5000/v:git-2", NULL });
	/* continuations, comments inside them, the escape directive, ONBUILD, CRLF */
	expect_images("# escape=`\r\nFROM busybox `\r\n# a comment\r\n  AS first\r\n"
	    "RUN echo \\\r\nCOPY --from=first / /\r\n"
	    "ONBUILD COPY --from=127.0.0.1:5000/secret / /\r\n",
	    (const char *[]){ "busybox", "127.0.0.1:5000/secret", NULL });
	expect_images("FROM a \\\n# c\n  AS b\nFROM b\n", (const char *[]){ "a", NULL });
	/* what cannot be told is kept as written: no image has that name, the build is refused */
	expect_images("FROM base\nCOPY --from=$UNKNOWN / /\n",
	    (const char *[]){ "base", "$UNKNOWN", NULL });
	expect_images("", (const char *[]){ NULL });
}

static void
test_ref_names(void **state)
{
	static const char *const good[] = { "refs/heads/master", "refs/heads/feature/x-1",
	    "refs/tags/v1.0", "refs/heads/a.b", "refs/heads/@", "refs/heads/a@b" };
	static const char *const bad[] = { "master", "refs/heads/a..b", "refs/heads/../x",
	    "refs/heads/x/", "refs/heads/x.", "refs/heads//x", "refs/heads/.hidden",
	    "refs/heads/x.lock", "refs/heads/a.lock/b", "refs/heads/a@{1}", "refs/heads/a b",
	    "refs/heads/a~1", "refs/heads/a^", "refs/heads/a:b", "refs/heads/a?", "refs/heads/a*",
	    "refs/heads/a[", "refs/heads/a\\b", "refs/heads/a\x01", "refs/heads/a\x7f", "refs/",
	    "@", "" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!build_ref_valid(good[i]))
			fail_msg("refused '%s'", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (build_ref_valid(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
}

/* What may be fetched: checked before any container runs (fetch.c). */
static void
test_fetch_buildpack_urls(void **state)
{
	static const char *const good[] = { "https://example.com/bp.git",
	    "http://10.0.0.1:8080/x.git#v1.2", "git://example.com/bp#main",
	    "https://example.com/bp.git#refs/tags/v1" };
	static const char *const bad[] = { "file:///etc", "ssh://git@example.com/x.git",
	    "git@example.com:x.git", "ext::sh -c id", "/srv/bp.git", "https://a b/x.git",
	    "https://example.com/x.git\n", "https://example.com/\tx.git",
	    "https://example.com/x.git#", "https://example.com/x.git#-upload-pack=id",
	    "https://example.com/x.git#a b", "HTTPS://example.com/x.git", "" };
	struct fetch *f = fetch_new();
	struct err e = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(fetch_add_buildpack(f, good[i], "01", &e), 0);
	assert_int_equal(fetch_count(f), 4);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		assert_int_equal(fetch_add_buildpack(f, bad[i], "02", &e), -1);
		assert_true(e.msg[0] != '\0');
	}
	assert_int_equal(fetch_count(f), 4);
	assert_non_null(strstr((fetch_add_buildpack(f, "file:///etc", "03", &e), e.msg),
	    "'file:///etc' is not http(s):// or git://"));
	fetch_free(f);
	fetch_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_names),
		cmocka_unit_test(test_sshcmd_accepts_git),
		cmocka_unit_test(test_sshcmd_refuses),
		cmocka_unit_test(test_sshcmd_long_and_nul),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_procfile),
		cmocka_unit_test(test_release_types),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_dockerfile_images),
		cmocka_unit_test(test_fetch_buildpack_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
