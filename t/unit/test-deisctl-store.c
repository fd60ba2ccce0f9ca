/*
 * deisctl: the store's settings (cli/deisctl/store_settings.c): which values
 * `config store set` accepts, where the secret key goes, what start needs,
 * and the registry configuration rendered from them. The probe against a
 * real S3 server (Ceph RGW) is t/t0705.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "cli/deisctl/deisctl.h"

static char dir[64], secret_path[128];

static int
setup(void **state)
{
	static struct dctl d;

	snprintf(dir, sizeof(dir), "/tmp/test-deisctl-store.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(secret_path, sizeof(secret_path), "%s/" DCTL_STORE_SECRET_FILE, dir);
	d.state_dir = dir;
	d.prefix = "t";
	d.config = json_object();
	*state = &d;
	return 0;
}

static int
teardown(void **state)
{
	struct dctl *d = *state;

	json_decref(d->config);
	unlink(secret_path);
	return rmdir(dir);
}

/* Reset before each test: no settings, no secret file. */
static int
clean(void **state)
{
	struct dctl *d = *state;

	json_object_clear(d->config);
	unlink(secret_path);
	return 0;
}

/* `config store set k=v`: 0 or -1, e filled. */
static int
set1(struct dctl *d, const char *k, const char *v, struct err *e)
{
	json_t *changes = json_pack("{s:s}", k, v);
	int rc = dctl_store_config_set(d, changes, e);

	json_decref(changes);
	return rc;
}

static void
test_values(void **state)
{
	static const char *const good[][2] = {
		{ "backend", "filesystem" }, { "backend", "s3" },
		{ "endpoint", "http://127.0.0.1:7480" }, { "endpoint", "https://s3.example.com/" },
		{ "endpoint", "http://[::1]:9000" }, { "endpoint", "http://minio" },
		{ "region", "us-east-1" }, { "region", "default" },
		{ "bucket", "abc" }, { "bucket", "deis-registry.example" },
		{ "accessKey", "AKIAIOSFODNN7EXAMPLE" },
		{ "rootDirectory", "/registry" }, { "rootDirectory", "a/b_c.d-e" },
		{ "verifyTLS", "false" }, { "verifyTLS", "true" },
	};
	static const char *const bad[][2] = {
		{ "backend", "" }, { "backend", "ceph" }, { "backend", "S3" },
		{ "endpoint", "" }, { "endpoint", "127.0.0.1:7480" }, { "endpoint", "ftp://h" },
		{ "endpoint", "http://" }, { "endpoint", "http://h:0" }, { "endpoint", "http://h:65536" },
		{ "endpoint", "http://h:" }, { "endpoint", "http://h/path" },
		{ "endpoint", "http://u:p@h" }, { "endpoint", "http://h?x=1" },
		{ "endpoint", "http://-h" }, { "endpoint", "http://[::1" },
		{ "region", "" }, { "region", "US-EAST-1" }, { "region", "us east" },
		{ "bucket", "" }, { "bucket", "ab" }, { "bucket", "Bucket" }, { "bucket", "a_b" },
		{ "bucket", "-abc" }, { "bucket", "abc-" }, { "bucket", "a..b" },
		{ "bucket", "192.168.1.1" },
		{ "bucket", "a123456789012345678901234567890123456789012345678901234567890123" },
		{ "accessKey", "" }, { "accessKey", "a b" }, { "accessKey", "a\tb" },
		{ "secretKey", "" }, { "secretKey", "with space" },
		{ "rootDirectory", "" }, { "rootDirectory", "a b" }, { "rootDirectory", "../x" },
		{ "verifyTLS", "yes" }, { "verifyTLS", "" },
		{ "gateway/host", "h" }, { "gateway/port", "80" }, { "s3bucket", "abc" },
	};
	struct dctl *d = *state;
	struct err e = { 0 };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (set1(d, good[i][0], good[i][1], &e) != 0)
			fail_msg("%s=%s refused: %s", good[i][0], good[i][1], e.msg);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.code = 0;
		if (set1(d, bad[i][0], bad[i][1], &e) != -1 || e.code != 2)
			fail_msg("%s=%s accepted", bad[i][0], bad[i][1]);
	}
	assert_int_equal(access(secret_path, F_OK), -1);
	/* The message names the value and what it should be. */
	set1(d, "bucket", "My_Bucket", &e);
	assert_non_null(strstr(e.msg, "'My_Bucket' is not a bucket name"));
	set1(d, "backend", "ceph", &e);
	assert_non_null(strstr(e.msg, "not one of: filesystem s3"));
}

static void
test_secret_goes_to_a_file(void **state)
{
	struct dctl *d = *state;
	struct err e = { 0 };
	struct stat st;
	json_t *changes = json_pack("{s:s, s:s}", "gateway/accessKey", "AK1",
	    "gateway/secretKey", "s3cr3t/+=");
	char buf[64] = "";
	FILE *f;

	assert_int_equal(dctl_store_config_set(d, changes, &e), 0);
	/* Deis's names became ours; the secret's value is a note, not the secret. */
	assert_null(json_object_get(changes, "gateway/secretKey"));
	assert_string_equal(json_string_value(json_object_get(changes, "accessKey")), "AK1");
	assert_null(strstr(json_string_value(json_object_get(changes, "secretKey")), "s3cr3t"));
	assert_int_equal(stat(secret_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(secret_path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "s3cr3t/+=");
	json_decref(changes);

	/* One bad value among good ones: the secret is not written. */
	unlink(secret_path);
	changes = json_pack("{s:s, s:s}", "secretKey", "fine", "bucket", "NO");
	assert_int_equal(dctl_store_config_set(d, changes, &e), -1);
	assert_int_equal(access(secret_path, F_OK), -1);
	json_decref(changes);

	/* rm secretKey removes the file. */
	assert_int_equal(set1(d, "secretKey", "again", &e), 0);
	json_object_set_new(d->config, "store", json_pack("{s:s}", "secretKey", "x"));
	dctl_store_config_rm(d, "secretKey");
	assert_int_equal(access(secret_path, F_OK), -1);
	assert_null(json_object_get(json_object_get(d->config, "store"), "secretKey"));
}

static void
test_load_needs_bucket_and_keys(void **state)
{
	struct dctl *d = *state;
	struct store_s3 s;
	struct err e = { 0 };

	assert_false(dctl_store_s3(d));
	json_object_set_new(d->config, "store", json_pack("{s:s, s:s}", "backend", "s3",
	    "bucket", "reg"));
	assert_true(dctl_store_s3(d));
	assert_int_equal(dctl_store_load(d, &s, &e), -1);
	assert_non_null(strstr(e.msg, "needs bucket, accessKey and secretKey"));
	/* Set in config.json but the file is gone. */
	json_object_set_new(json_object_get(d->config, "store"), "accessKey", json_string("AK"));
	json_object_set_new(json_object_get(d->config, "store"), "secretKey",
	    json_string("(stored)"));
	assert_int_equal(dctl_store_load(d, &s, &e), -1);
	assert_non_null(strstr(e.msg, DCTL_STORE_SECRET_FILE));
	/* A value edited by hand into config.json is checked as set would. */
	assert_int_equal(set1(d, "secretKey", "SK", &e), 0);
	json_object_set_new(json_object_get(d->config, "store"), "endpoint",
	    json_string("gopher://x"));
	assert_int_equal(dctl_store_load(d, &s, &e), -1);
	assert_non_null(strstr(e.msg, "config.json"));
	json_object_del(json_object_get(d->config, "store"), "endpoint");
	assert_int_equal(dctl_store_load(d, &s, &e), 0);
	assert_string_equal(s.secret, "SK");
	assert_string_equal(s.region, "us-east-1");
	assert_string_equal(s.url, "https://s3.us-east-1.amazonaws.com");	/* AWS */
	assert_true(s.verify);
	dctl_store_release(&s);
	assert_null(s.secret);
}

static void
test_registry_yml(void **state)
{
	struct dctl *d = *state;
	struct store_s3 s;
	struct err e = { 0 };
	char *y;

	assert_int_equal(set1(d, "secretKey", "SK-not-in-yml", &e), 0);
	json_object_set_new(d->config, "store", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "backend", "s3", "bucket", "reg", "accessKey", "AK-not-in-yml", "secretKey", "x",
	    "endpoint", "http://10.0.0.5:7480/", "rootDirectory", "deis", "verifyTLS", "false"));
	assert_int_equal(dctl_store_load(d, &s, &e), 0);
	y = dctl_store_registry_yml(&s);
	assert_non_null(strstr(y, "storage:\n  s3:\n    region: \"us-east-1\"\n"
	    "    bucket: \"reg\"\n    regionendpoint: \"http://10.0.0.5:7480\"\n"
	    "    secure: false\n    skipverify: true\n    v4auth: true\n"
	    "    rootdirectory: \"/deis\"\n  redirect:\n    disable: true\n"));
	assert_null(strstr(y, "filesystem"));
	assert_null(strstr(y, "AK-not-in-yml"));
	assert_null(strstr(y, "SK-not-in-yml"));
	free(y);
	dctl_store_release(&s);

	/* AWS: no regionendpoint, TLS verified. */
	json_object_del(json_object_get(d->config, "store"), "endpoint");
	json_object_del(json_object_get(d->config, "store"), "verifyTLS");
	json_object_set_new(json_object_get(d->config, "store"), "region",
	    json_string("eu-west-1"));
	assert_int_equal(dctl_store_load(d, &s, &e), 0);
	y = dctl_store_registry_yml(&s);
	assert_null(strstr(y, "regionendpoint"));
	assert_non_null(strstr(y, "region: \"eu-west-1\"\n"));
	assert_non_null(strstr(y, "secure: true\n    skipverify: false\n"));
	free(y);
	dctl_store_release(&s);
}

static void
test_registry_s3_keys_refused(void **state)
{
	struct err e = { 0 };

	assert_int_equal(dctl_store_registry_key("s3bucket", &e), -1);
	assert_non_null(strstr(e.msg, "config store set"));
	assert_int_equal(dctl_store_registry_key("s3secretKey", &e), -1);
	assert_int_equal(dctl_store_registry_key("swiftContainer", &e), -1);
	assert_int_equal(dctl_store_registry_key("image", &e), 0);
}

/*
 * What restart asks before it stops the registry: nothing with the
 * filesystem backend; the load's reason when settings are missing; the
 * probe's when the server does not answer (a loopback port bound, not
 * listening: refused at once).
 */
static void
test_check_before_restart(void **state)
{
	struct dctl *d = *state;
	struct err e = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	char url[64];
	int fd;

	assert_int_equal(dctl_store_check(d, &e), 0);
	json_object_set_new(d->config, "store", json_pack("{s:s, s:s}", "backend", "s3",
	    "bucket", "reg"));
	assert_int_equal(dctl_store_check(d, &e), -1);
	assert_non_null(strstr(e.msg, "needs bucket, accessKey and secretKey"));

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sin.sin_port));
	assert_int_equal(set1(d, "secretKey", "SK", &e), 0);	/* the 0600 file */
	json_object_set_new(json_object_get(d->config, "store"), "accessKey", json_string("AK"));
	json_object_set_new(json_object_get(d->config, "store"), "secretKey",
	    json_string("(stored)"));
	json_object_set_new(json_object_get(d->config, "store"), "endpoint", json_string(url));
	assert_int_equal(dctl_store_check(d, &e), -1);
	assert_non_null(strstr(e.msg, "cannot reach the S3 server"));
	assert_non_null(strstr(e.msg, url));
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_values, clean),
		cmocka_unit_test_setup(test_secret_goes_to_a_file, clean),
		cmocka_unit_test_setup(test_load_needs_bucket_and_keys, clean),
		cmocka_unit_test_setup(test_registry_yml, clean),
		cmocka_unit_test_setup(test_registry_s3_keys_refused, clean),
		cmocka_unit_test_setup(test_check_before_restart, clean),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
