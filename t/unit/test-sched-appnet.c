/*
 * controller/scheduler/appnet.c without an engine: the pool, the choice of a
 * free /24 from an engine's network list, and the network names (a bridge's
 * as they are, an overlay's within Swarm's 63 characters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "controller/scheduler/driver.h"

static void
test_pool(void **state)
{
	uint32_t base;
	unsigned bits;
	struct err e;

	assert_int_equal(sched_appnet_pool("100.80.0.0/16", &base, &bits, &e), 0);
	assert_int_equal(base, 0x64500000u);
	assert_int_equal(bits, 16);
	/* host bits are dropped */
	assert_int_equal(sched_appnet_pool("10.1.2.3/8", &base, &bits, &e), 0);
	assert_int_equal(base, 0x0a000000u);
	assert_int_equal(sched_appnet_pool("100.80.0.0/25", &base, &bits, &e), -1);
	assert_int_equal(e.code, 400);
	assert_int_equal(sched_appnet_pool("100.80.0.0/7", &base, &bits, &e), -1);
	assert_int_equal(sched_appnet_pool("100.80.0.0", &base, &bits, &e), -1);
	assert_int_equal(sched_appnet_pool("100.80.0/16", &base, &bits, &e), -1);
	assert_int_equal(sched_appnet_pool("100.80.0.0/16x", &base, &bits, &e), -1);
	assert_int_equal(sched_appnet_pool(NULL, &base, &bits, &e), -1);
}

static json_t *
nets_of(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	assert_non_null(j);
	return j;
}

static void
test_pick(void **state)
{
	json_t *nets;
	uint32_t net;

	/* nothing taken: the first /24 */
	nets = nets_of("[]");
	assert_int_equal(sched_appnet_pick(nets, 0x64500000u, 16, &net), 0);
	assert_int_equal(net, 0x64500000u);
	json_decref(nets);
	/* taken /24s, a network without IPAM, an IPv6 one: the first free /24 */
	nets = nets_of("[{\"Name\":\"a\",\"IPAM\":{\"Config\":[{\"Subnet\":\"100.80.0.0/24\"}]}},"
	    "{\"Name\":\"host\",\"IPAM\":{\"Config\":[]}},{\"Name\":\"none\"},"
	    "{\"Name\":\"v6\",\"IPAM\":{\"Config\":[{\"Subnet\":\"fd00::/64\"}]}},"
	    "{\"Name\":\"b\",\"IPAM\":{\"Config\":[{\"Subnet\":\"100.80.1.0/24\"},"
	    "{\"Subnet\":\"100.80.3.0/24\"}]}}]");
	assert_int_equal(sched_appnet_pick(nets, 0x64500000u, 16, &net), 0);
	assert_int_equal(net, 0x64500200u);
	json_decref(nets);
	/* a wider network covers many /24s; a narrower one takes its /24 */
	nets = nets_of("[{\"IPAM\":{\"Config\":[{\"Subnet\":\"100.80.0.0/22\"}]}},"
	    "{\"IPAM\":{\"Config\":[{\"Subnet\":\"100.80.4.128/25\"}]}}]");
	assert_int_equal(sched_appnet_pick(nets, 0x64500000u, 16, &net), 0);
	assert_int_equal(net, 0x64500500u);
	json_decref(nets);
	/* a full pool */
	nets = nets_of("[{\"IPAM\":{\"Config\":[{\"Subnet\":\"100.80.0.0/23\"}]}}]");
	assert_int_equal(sched_appnet_pick(nets, 0x64500000u, 23, &net), -1);
	assert_int_equal(sched_appnet_pick(nets, 0x64500000u, 22, &net), 0);
	assert_int_equal(net, 0x64500200u);
	json_decref(nets);
}

static void
test_name(void **state)
{
	char n[SCHED_NAME_MAX], n2[SCHED_NAME_MAX];
	char app[64];

	sched_appnet_name(n, "deis", "go", "bridge");
	assert_string_equal(n, "deis-app-go");
	sched_appnet_name(n, "deis", "go", "overlay");
	assert_string_equal(n, "deis-app-go");
	/* 63 characters exactly: kept */
	memset(app, 'a', 54);
	app[54] = '\0';
	sched_appnet_name(n, "deis", app, "overlay");
	assert_int_equal(strlen(n), 63);
	assert_int_equal(strncmp(n, "deis-app-aaaa", 13), 0);
	assert_null(strchr(n + 9, '-'));
	/* past 63: a bridge keeps the whole name, an overlay a prefix and a hash */
	memset(app, 'a', 63);
	app[63] = '\0';
	sched_appnet_name(n, "deis", app, "bridge");
	assert_int_equal(strlen(n), 72);
	sched_appnet_name(n, "deis", app, "overlay");
	assert_int_equal(strlen(n), 63);
	assert_int_equal(strncmp(n, "deis-app-aaaa", 13), 0);
	assert_int_equal(n[54], '-');
	assert_int_equal(strspn(n + 55, "0123456789abcdef"), 8);
	/* two long names with the same prefix differ */
	app[62] = 'b';
	sched_appnet_name(n2, "deis", app, "overlay");
	assert_int_equal(strlen(n2), 63);
	assert_string_not_equal(n, n2);
	assert_int_equal(memcmp(n, n2, 55), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
