/*
 * controller/scheduler/swarm.c without an engine: what the driver accepts at
 * open (no DEIS_APP_NETWORK, a valid pool) and the network part of the
 * service spec (the app's own network, dnsrr, host-mode port). The services
 * themselves on a real one-node swarm: t/t0161.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "controller/scheduler/swarm.h"
#include "lib/xalloc.h"

static struct sw *
open_with(const char *network, const char *subnets, struct err *e)
{
	struct sched_config cfg = { .driver = "swarm", .network = network,
		.app_subnets = subnets };

	return sched_driver_swarm.open(&cfg, "deis", e);
}

static void
test_open(void **state)
{
	struct sw *k;
	struct err e;

	assert_null(open_with("shared", NULL, &e));
	assert_int_equal(e.code, 400);
	assert_non_null(strstr(e.msg, "DEIS_APP_NETWORK 'shared'"));
	assert_null(open_with(NULL, "100.80.0.0/25", &e));
	assert_int_equal(e.code, 400);
	/* no pool given: the default one */
	k = open_with("", NULL, &e);
	assert_non_null(k);
	assert_int_equal(k->pool, 0x64500000u);
	assert_int_equal(k->pool_bits, 16);
	sched_driver_swarm.close(k);
	k = open_with(NULL, "10.9.0.0/20", &e);
	assert_non_null(k);
	assert_int_equal(k->pool, 0x0a090000u);
	assert_int_equal(k->pool_bits, 20);
	sched_driver_swarm.close(k);
}

static void
test_spec_network(void **state)
{
	static const char *const env[] = { "PORT=5000", NULL };
	struct sched_unit u = { .name = "go_v2.web.1", .app = "go", .release = 2, .type = "web",
		.num = 1, .image = "127.0.0.1:5000/go:v2", .env = env };
	struct sw *k;
	struct err e;
	json_t *spec, *ep, *port;
	char app[64], name[SCHED_NAME_MAX];

	k = open_with(NULL, NULL, &e);
	assert_non_null(k);
	spec = swarm_spec(k, &u, "go_v2-web-1", &e);
	assert_non_null(spec);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
	    json_object_get(spec, "TaskTemplate"), "Networks"), 0), "Target")), "deis-app-go");
	assert_int_equal(json_array_size(json_object_get(json_object_get(spec, "TaskTemplate"),
	    "Networks")), 1);
	ep = json_object_get(spec, "EndpointSpec");
	assert_string_equal(json_string_value(json_object_get(ep, "Mode")), "dnsrr");
	port = json_array_get(json_object_get(ep, "Ports"), 0);
	assert_string_equal(json_string_value(json_object_get(port, "PublishMode")), "host");
	assert_int_equal(json_integer_value(json_object_get(port, "TargetPort")), 5000);
	assert_null(json_object_get(port, "PublishedPort"));
	json_decref(spec);

	/* a one-off: the same network, dnsrr, no port */
	u.name = "go_v2.run.1";
	u.type = "run";
	u.oneoff = true;
	spec = swarm_spec(k, &u, "go_v2-run-1", &e);
	assert_non_null(spec);
	ep = json_object_get(spec, "EndpointSpec");
	assert_string_equal(json_string_value(json_object_get(ep, "Mode")), "dnsrr");
	assert_null(json_object_get(ep, "Ports"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
	    json_object_get(spec, "TaskTemplate"), "Networks"), 0), "Target")), "deis-app-go");
	json_decref(spec);

	/* an app name too long for a Swarm network name as it is */
	memset(app, 'x', 63);
	app[63] = '\0';
	u.app = app;
	spec = swarm_spec(k, &u, "x", &e);
	assert_non_null(spec);
	sched_appnet_name(name, "deis", app, "overlay");
	assert_int_equal(strlen(name), 63);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
	    json_object_get(spec, "TaskTemplate"), "Networks"), 0), "Target")), name);
	json_decref(spec);
	sched_driver_swarm.close(k);
}

static void
test_image_port(void **state)
{
	static const struct {
		const char *inspect;
		int port;
	} cases[] = {
		{ "{}", 5000 },
		{ "{\"Config\":{\"ExposedPorts\":null}}", 5000 },
		{ "{\"Config\":{\"ExposedPorts\":{\"80/tcp\":{}}}}", 80 },
		{ "{\"Config\":{\"ExposedPorts\":{\"8080/tcp\":{},\"443/tcp\":{},\"53/udp\":{}}}}",
		    443 },
		{ "{\"Config\":{\"ExposedPorts\":{\"53/udp\":{}}}}", 5000 },
		{ "{\"Config\":{\"ExposedPorts\":{\"0/tcp\":{},\"70000/tcp\":{},\"x/tcp\":{}}}}", 5000 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = json_loads(cases[i].inspect, 0, NULL);

		assert_non_null(j);
		assert_int_equal(sched_image_port(j), cases[i].port);
		json_decref(j);
	}
}

static void
test_spec_low_port(void **state)
{
	static const char *const env[] = { "PORT=80", NULL };
	struct sched_unit u = { .name = "web_v2.cmd.1", .app = "web", .release = 2, .type = "cmd",
		.num = 1, .image = "nginx", .env = env, .port = 80 };
	struct sw *k;
	struct err e;
	json_t *spec, *cs, *port;

	k = open_with(NULL, NULL, &e);
	assert_non_null(k);
	spec = swarm_spec(k, &u, "web_v2-cmd-1", &e);
	assert_non_null(spec);
	port = json_array_get(json_object_get(json_object_get(spec, "EndpointSpec"), "Ports"), 0);
	assert_int_equal(json_integer_value(json_object_get(port, "TargetPort")), 80);
	cs = json_object_get(json_object_get(spec, "TaskTemplate"), "ContainerSpec");
	/* bound without CAP_NET_BIND_SERVICE: unprivileged from port 80 up, no lower */
	assert_string_equal(json_string_value(json_object_get(json_object_get(cs, "Sysctls"),
	    "net.ipv4.ip_unprivileged_port_start")), "80");
	assert_string_equal(json_string_value(json_object_get(json_object_get(cs, "Labels"),
	    "sh.deis.port")), "80");
	json_decref(spec);
	/* the usual port: no sysctl */
	u.port = 5000;
	spec = swarm_spec(k, &u, "web_v2-cmd-1", &e);
	assert_null(json_object_get(json_object_get(json_object_get(spec, "TaskTemplate"),
	    "ContainerSpec"), "Sysctls"));
	json_decref(spec);
	sched_driver_swarm.close(k);
}

/* Placement: the data-plane constraint once a node has the label, after the app's tags. */
static void
test_spec_placement(void **state)
{
	static const struct sched_kv tags[] = { { "zone", "a" } };
	struct sched_unit u = { .name = "go_v2.web.1", .app = "go", .release = 2, .type = "web",
		.num = 1, .image = "go:v2" };
	struct sw *k;
	struct err e;
	json_t *spec, *cons;

	k = open_with(NULL, NULL, &e);
	assert_non_null(k);
	spec = swarm_spec(k, &u, "go_v2-web-1", &e);
	cons = json_object_get(json_object_get(json_object_get(spec, "TaskTemplate"), "Placement"),
	    "Constraints");
	assert_int_equal(json_array_size(cons), 0);
	json_decref(spec);
	k->node_label = xstrdup(SWARM_DATA_PLANE);
	u.tags = tags;
	u.ntags = 1;
	spec = swarm_spec(k, &u, "go_v2-web-1", &e);
	cons = json_object_get(json_object_get(json_object_get(spec, "TaskTemplate"), "Placement"),
	    "Constraints");
	assert_int_equal(json_array_size(cons), 2);
	assert_string_equal(json_string_value(json_array_get(cons, 0)), "node.labels.zone==a");
	assert_string_equal(json_string_value(json_array_get(cons, 1)),
	    "node.labels.deis.dataPlane==true");
	json_decref(spec);
	sched_driver_swarm.close(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_spec_network),
		cmocka_unit_test(test_spec_placement),
		cmocka_unit_test(test_image_port),
		cmocka_unit_test(test_spec_low_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
