/* deis CLI: the settings file (~/.deis/client.json, profiles, permissions, atomic writes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/deis/deis.h"

static char home[256];

static int
setup(void **state)
{
	strcpy(home, "/tmp/test-cli-settings.XXXXXX");
	if (mkdtemp(home) == NULL)
		return -1;
	setenv("HOME", home, 1);
	unsetenv("DEIS_PROFILE");
	return 0;
}

static int
teardown(void **state)
{
	char *argv[] = { "rm", "-rf", home, NULL };

	return deis_git_run(argv, NULL, 1) == 0 ? 0 : -1;
}

static void
test_missing_file(void **state)
{
	struct settings s;

	assert_int_equal(deis_settings_load(&s), -1);
	assert_string_equal(deis_errmsg(),
	    "Not logged in. Use 'deis login' or 'deis register' to get started.");
}

static void
test_roundtrip_and_modes(void **state)
{
	struct settings s = {
		.username = "alice", .ssl_verify = false, .controller = "http://127.0.0.1:8000",
		.token = "0123456789abcdef", .response_limit = 0,
	}, t;
	char path[512];
	struct stat st;
	struct buf text = BUF_INIT;
	DIR *d;
	struct dirent *de;
	int files = 0;

	assert_int_equal(deis_settings_save(&s), 0);
	snprintf(path, sizeof(path), "%s/.deis", home);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/.deis/client.json", home);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the Deis 1.13 keys, in its order */
	assert_int_equal(deis_file_read(path, &text), 0);
	assert_string_equal(text.p, "{\"username\":\"alice\",\"ssl_verify\":false,"
	    "\"controller\":\"http://127.0.0.1:8000\",\"token\":\"0123456789abcdef\","
	    "\"response_limit\":100}");
	buf_release(&text);
	/* no temporary file left behind */
	snprintf(path, sizeof(path), "%s/.deis", home);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			files++;
	closedir(d);
	assert_int_equal(files, 1);

	assert_int_equal(deis_settings_load(&t), 0);
	assert_string_equal(t.username, "alice");
	assert_string_equal(t.controller, "http://127.0.0.1:8000");
	assert_string_equal(t.token, "0123456789abcdef");
	assert_false(t.ssl_verify);
	assert_int_equal(t.response_limit, 100);
	deis_settings_release(&t);

	assert_int_equal(deis_settings_delete(), 0);
	assert_int_equal(deis_settings_load(&t), -1);
	/* deleting twice is fine */
	assert_int_equal(deis_settings_delete(), 0);
}

static void
test_profile_and_loose_dir(void **state)
{
	struct settings s = {
		.username = "bob", .ssl_verify = true, .controller = "https://deis.example.com",
		.token = "t", .response_limit = 7,
	}, t;
	char path[512];
	struct stat st;

	/* a directory Deis 1.13 made 0775 is tightened */
	snprintf(path, sizeof(path), "%s/.deis", home);
	mkdir(path, 0775);
	chmod(path, 0775);
	setenv("DEIS_PROFILE", "staging", 1);
	assert_int_equal(deis_settings_save(&s), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/.deis/staging.json", home);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/.deis/client.json", home);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(deis_settings_load(&t), 0);
	assert_true(t.ssl_verify);
	assert_int_equal(t.response_limit, 7);
	deis_settings_release(&t);
	unsetenv("DEIS_PROFILE");
	assert_int_equal(deis_settings_load(&t), -1);
}

static void
test_bad_file(void **state)
{
	char path[512];
	struct settings t;
	FILE *f;

	snprintf(path, sizeof(path), "%s/.deis", home);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.deis/client.json", home);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"username\":", f);
	fclose(f);
	assert_int_equal(deis_settings_load(&t), -1);
	assert_non_null(strstr(deis_errmsg(), "cannot read settings file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_and_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_and_loose_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
