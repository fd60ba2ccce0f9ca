#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "controller/validate.h"

static void
test_app_id(void **state)
{
	struct err e;

	assert_int_equal(validate_app_id("my-app-2", &e), 0);
	assert_int_equal(validate_app_id("My-App", &e), -1);
	assert_string_equal(e.msg, "App IDs can only contain [a-z0-9-]");
	assert_int_equal(validate_app_id("", &e), -1);
	assert_int_equal(validate_app_id("a_b", &e), -1);
	assert_int_equal(validate_app_id("a'b", &e), -1);
	assert_int_equal(validate_app_id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &e), -1);
	/* Lookups of apps made before a name was reserved go through it. */
	assert_int_equal(validate_app_id("deis", &e), 0);
	assert_int_equal(validate_app_id("router", &e), 0);
}

static void
test_app_reserved(void **state)
{
	static const char *const reserved[] = { "deis", "deis-x", "deis-", "store", "logger",
	    "logspout", "database", "registry", "controller", "builder", "publisher", "router" };
	static const char *const free_names[] = { "my-app", "deisx", "my-deis", "routers",
	    "router-2", "x-controller", "dei" };
	struct err e;
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		e.msg[0] = '\0';
		assert_int_equal(validate_app_reserved(reserved[i], &e), -1);
		assert_int_equal(e.code, 400);
		assert_non_null(strstr(e.msg, "is a reserved name."));
	}
	assert_int_equal(validate_app_reserved("router", &e), -1);
	assert_string_equal(e.msg, "router is a reserved name.");
	for (i = 0; i < sizeof(free_names) / sizeof(free_names[0]); i++)
		assert_int_equal(validate_app_reserved(free_names[i], &e), 0);
}

static void
test_config_key(void **state)
{
	struct err e;

	assert_int_equal(validate_config_key("FOO_BAR1", &e), 0);
	assert_int_equal(validate_config_key("_x", &e), 0);
	assert_int_equal(validate_config_key("1X", &e), -1);
	assert_int_equal(validate_config_key("A-B", &e), -1);
	assert_int_equal(validate_config_key("", &e), -1);
	assert_string_equal(e.msg,
	    "Config keys must start with a letter or underscore and only contain [A-z0-9_]");
}

static void
test_memory_cpu(void **state)
{
	struct err e;
	long long b = 0;

	assert_int_equal(validate_memory("512M", &b, &e), 0);
	assert_int_equal(b, 512LL * 1024 * 1024);
	assert_int_equal(validate_memory("1gb", &b, &e), 0);
	assert_int_equal(b, 1024LL * 1024 * 1024);
	assert_int_equal(validate_memory("20MB", NULL, &e), 0);
	assert_int_equal(validate_memory("M", NULL, &e), -1);
	assert_int_equal(validate_memory("12", NULL, &e), -1);
	assert_int_equal(validate_memory("12T", NULL, &e), -1);
	assert_int_equal(validate_memory("-1M", NULL, &e), -1);
	assert_int_equal(validate_memory("99999999999999999999G", NULL, &e), -1);
	assert_int_equal(validate_cpu(512, &e), 0);
	assert_int_equal(validate_cpu(1025, &e), -1);
	assert_string_equal(e.msg, "CPU shares must be between 0 and 1024");
}

static void
test_domain(void **state)
{
	struct err e;
	char d1[] = "WWW.Example.COM.", d2[] = "*.example.com", d3[] = "a--b.com",
	     d4[] = "-a.com", d5[] = "123.456", d6[] = "example1", d7[] = "a..b",
	     d8[] = "localhost", d9[] = "ex_ample.com";

	assert_int_equal(validate_domain(d1, &e), 0);
	assert_string_equal(d1, "www.example.com");
	assert_int_equal(validate_domain(d2, &e), -1);
	assert_string_equal(e.msg, "Adding a wildcard subdomain is currently not supported.");
	assert_int_equal(validate_domain(d3, &e), -1);
	assert_int_equal(validate_domain(d4, &e), -1);
	assert_int_equal(validate_domain(d5, &e), -1);
	assert_int_equal(validate_domain(d6, &e), -1);
	assert_int_equal(validate_domain(d7, &e), -1);
	assert_int_equal(validate_domain(d8, &e), 0);
	assert_int_equal(validate_domain(d9, &e), -1);
}

static void
test_ssh_key(void **state)
{
	struct err e;
	char md5[48], sha[64], norm[512];
	const char *ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host";

	assert_int_equal(validate_ssh_key(ed, md5, sha, norm, &e), 0);
	assert_int_equal(strlen(md5), 47);
	assert_memory_equal(sha, "SHA256:", 7);
	assert_string_equal(norm, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl");
	assert_int_equal(validate_ssh_key("ssh-ed25519 not-base64!", md5, sha, norm, &e), -1);
	assert_int_equal(validate_ssh_key("ssh-dss AAAAB3NzaC1kc3M=", md5, sha, norm, &e), -1);
	/* blob type differs from the declared type */
	assert_int_equal(validate_ssh_key("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
	    md5, sha, norm, &e), -1);
	assert_int_equal(validate_ssh_key("garbage", md5, sha, norm, &e), -1);
}

static void
test_random_name(void **state)
{
	char n[64];
	struct err e;

	app_name_random(n, sizeof(n));
	assert_non_null(strchr(n, '-'));
	assert_int_equal(validate_app_id(n, &e), 0);
	assert_int_equal(validate_app_reserved(n, &e), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_id),
		cmocka_unit_test(test_app_reserved),
		cmocka_unit_test(test_config_key),
		cmocka_unit_test(test_memory_cpu),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_ssh_key),
		cmocka_unit_test(test_random_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
