/*
 * deisctl mode=swarm (cli/deisctl/swarm.c): the mode setting, the placement
 * roles, the rewriting of one-host addresses into host ports on the
 * control-plane node, and the service spec made from a container create body.
 * The engine side (services on a real one-node swarm) is t/t0704.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/deisctl/deisctl.h"

static int
setup(void **state)
{
	static struct dctl d;

	d.prefix = "deis";
	d.config = json_pack("{s:{s:s, s:s, s:s, s:s}}", "platform", "controllerPort", "18000",
	    "syslogPort", "1514", "loggerPort", "18088", "httpPort", "8080");
	*state = &d;
	return 0;
}

static int
teardown(void **state)
{
	struct dctl *d = *state;

	json_decref(d->config);
	return 0;
}

static void
check_rewrite(struct dctl *d, const char *owner, const char *in, const char *want)
{
	char *out = dctl_swarm_rewrite(d, owner, in, "10.1.2.3");

	assert_string_equal(out, want);
	free(out);
}

static void
test_mode(void **state)
{
	struct dctl *d = *state;
	struct err e = { 0 };

	assert_false(dctl_swarm_mode(d));
	assert_int_equal(dctl_swarm_mode_check("swarm", &e), 0);
	assert_int_equal(dctl_swarm_mode_check("host", &e), 0);
	assert_int_equal(dctl_swarm_mode_check("Swarm", &e), -1);
	assert_int_equal(e.code, 2);
	assert_int_equal(dctl_platform_check("mode", "kubernetes", &e), -1);
	assert_int_equal(dctl_platform_check("syslogPort", "70000", &e), -1);
	assert_int_equal(dctl_platform_check("databasePort", "15432", &e), 0);
	json_object_set_new(json_object_get(d->config, "platform"), "mode", json_string("swarm"));
	assert_true(dctl_swarm_mode(d));
	json_object_del(json_object_get(d->config, "platform"), "mode");
}

static void
test_roles(void **state)
{
	assert_string_equal(dctl_swarm_role("controller"), "deis.controlPlane");
	assert_string_equal(dctl_swarm_role("database"), "deis.controlPlane");
	assert_string_equal(dctl_swarm_role("builder"), "deis.controlPlane");
	assert_string_equal(dctl_swarm_role("router"), "deis.routerMesh");
	assert_string_equal(dctl_swarm_role("publisher"), "deis.dataPlane");
	assert_string_equal(dctl_swarm_role("logspout"), "deis.dataPlane");
}

static void
test_rewrite(void **state)
{
	struct dctl *d = *state;

	/* peers reached from other nodes: the control plane's address */
	check_rewrite(d, "router", "http://deis-controller:8000", "http://10.1.2.3:18000");
	check_rewrite(d, "logspout", "deis-logger:514", "10.1.2.3:1514");
	check_rewrite(d, "controller", "DEIS_LOGGER_SYSLOG=deis-logger:514",
	    "DEIS_LOGGER_SYSLOG=10.1.2.3:1514");
	check_rewrite(d, "controller", "DEIS_BUILDER_ADDR=deis-builder:2223",
	    "DEIS_BUILDER_ADDR=10.1.2.3:2223");
	/* peers only the control plane uses: its loopback */
	check_rewrite(d, "controller", "DEIS_LOGGER_URL=http://deis-logger:8088",
	    "DEIS_LOGGER_URL=http://127.0.0.1:18088");
	check_rewrite(d, "controller", "DEIS_DB_URL=postgres://deis:pw@deis-database:5432/postgres",
	    "DEIS_DB_URL=postgres://deis:pw@127.0.0.1:5432/postgres");
	/* the owner's own listen addresses */
	check_rewrite(d, "controller", "DEIS_LISTEN=0.0.0.0:8000", "DEIS_LISTEN=0.0.0.0:18000");
	check_rewrite(d, "logger", "0.0.0.0:514", "0.0.0.0:1514");
	check_rewrite(d, "logger", "0.0.0.0:8088", "127.0.0.1:18088");
	check_rewrite(d, "router", "0.0.0.0:80", "0.0.0.0:8080");
	check_rewrite(d, "router", "0.0.0.0:443", "0.0.0.0:443");
	check_rewrite(d, "router", "0.0.0.0:9090", "0.0.0.0:9090");
	/* not another component's listen address, not a longer port, not another prefix */
	check_rewrite(d, "router", "0.0.0.0:8000", "0.0.0.0:8000");
	check_rewrite(d, "router", "0.0.0.0:8088", "0.0.0.0:8088");
	check_rewrite(d, "router", "http://deis-controller:80001", "http://deis-controller:80001");
	check_rewrite(d, "router", "http://mydeis-controller:8000", "http://mydeis-controller:8000");
	check_rewrite(d, "router", "deis-controller", "deis-controller");
	check_rewrite(d, "router", "", "");
	check_rewrite(d, "registry", "127.0.0.1:5000", "127.0.0.1:5000");
}

static json_t *
body(void)
{
	return json_pack("{s:s, s:[s, s, s, s, s], s:[s, s], s:{s:s, s:s, s:s},"
	    " s:{s:[s, s, s], s:{s:s}}}",
	    "Image", "deis/platform:t",
	    "Cmd", "deis-logspout", "-l", "deis-logger:514", "-H", "somehost",
	    "Env", "DEIS_HOST=somehost", "DEIS_PLATFORM=deis",
	    "Labels", "sh.deis.instance", "deis", "sh.deis.component", "logspout",
	    "sh.deis.spec", "old",
	    "HostConfig", "Binds", "deis-logspout:/var/lib/deis/logspout",
	    "/run/d.sock:/var/run/docker.sock", "/etc/x:/etc/y:ro",
	    "PortBindings", "5000/tcp", "ignored");
}

static void
test_service(void **state)
{
	struct dctl *d = *state;
	json_t *b = body(), *s, *cs, *m;
	char spec[65];

	s = dctl_swarm_service(d, "logspout", b, "10.1.2.3");
	assert_string_equal(json_string_value(json_object_get(s, "Name")), "deis-logspout");
	assert_non_null(json_object_get(json_object_get(s, "Mode"), "Global"));
	cs = json_object_get(json_object_get(s, "TaskTemplate"), "ContainerSpec");
	assert_string_equal(json_string_value(json_object_get(cs, "Image")), "deis/platform:t");
	/* -H dropped: the task's hostname is its node's */
	assert_int_equal(json_array_size(json_object_get(cs, "Args")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(cs, "Args"), 2)),
	    "10.1.2.3:1514");
	assert_string_equal(json_string_value(json_object_get(cs, "Hostname")),
	    "{{.Node.Hostname}}");
	assert_int_equal(json_array_size(json_object_get(cs, "Env")), 1);
	m = json_object_get(cs, "Mounts");
	assert_int_equal(json_array_size(m), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "Type")),
	    "volume");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "Type")),
	    "bind");
	assert_false(json_is_true(json_object_get(json_array_get(m, 1), "ReadOnly")));
	assert_true(json_is_true(json_object_get(json_array_get(m, 2), "ReadOnly")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 2), "Target")),
	    "/etc/y");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(
	    json_object_get(s, "TaskTemplate"), "Placement"), "Constraints"), 0)),
	    "node.labels.deis.dataPlane==true");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
	    json_object_get(s, "TaskTemplate"), "Networks"), 0), "Target")), "host");
	snprintf(spec, sizeof(spec), "%s", json_string_value(json_object_get(json_object_get(s,
	    "Labels"), "sh.deis.spec")));
	assert_int_equal(strlen(spec), 64);
	assert_string_equal(json_string_value(json_object_get(json_object_get(cs, "Labels"),
	    "sh.deis.spec")), spec);
	json_decref(s);

	/* the same body gives the same digest; another port setting another one */
	s = dctl_swarm_service(d, "logspout", b, "10.1.2.3");
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "Labels"),
	    "sh.deis.spec")), spec);
	json_decref(s);
	json_object_set_new(json_object_get(d->config, "platform"), "syslogPort",
	    json_string("1515"));
	s = dctl_swarm_service(d, "logspout", b, "10.1.2.3");
	assert_string_not_equal(json_string_value(json_object_get(json_object_get(s, "Labels"),
	    "sh.deis.spec")), spec);
	json_decref(s);
	json_object_set_new(json_object_get(d->config, "platform"), "syslogPort",
	    json_string("1514"));
	json_decref(b);
}

static void
test_service_control_plane(void **state)
{
	struct dctl *d = *state;
	json_t *b = json_pack("{s:s, s:[s], s:[s, s], s:{}, s:{}}", "Image", "i",
	    "Cmd", "deis-controller", "Env", "DEIS_LISTEN=0.0.0.0:8000", "DEIS_HOST=h",
	    "Labels", "HostConfig"), *s, *cs, *env;

	s = dctl_swarm_service(d, "controller", b, "10.1.2.3");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(s,
	    "Mode"), "Replicated"), "Replicas")), 1);
	cs = json_object_get(json_object_get(s, "TaskTemplate"), "ContainerSpec");
	env = json_object_get(cs, "Env");
	/* DEIS_HOST is the publisher's, and a node's own */
	assert_int_equal(json_array_size(env), 3);
	assert_string_equal(json_string_value(json_array_get(env, 0)), "DEIS_LISTEN=0.0.0.0:18000");
	assert_string_equal(json_string_value(json_array_get(env, 1)), "DEIS_SCHEDULER=swarm");
	/* apps on data-plane nodes only */
	assert_string_equal(json_string_value(json_array_get(env, 2)),
	    "DEIS_SWARM_NODE_LABEL=deis.dataPlane");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(
	    json_object_get(s, "TaskTemplate"), "Placement"), "Constraints"), 0)),
	    "node.labels.deis.controlPlane==true");
	json_decref(s);
	s = dctl_swarm_service(d, "publisher", b, "10.1.2.3");
	env = json_object_get(json_object_get(json_object_get(s, "TaskTemplate"),
	    "ContainerSpec"), "Env");
	assert_string_equal(json_string_value(json_array_get(env, 1)),
	    "DEIS_HOST={{.Node.Hostname}}");
	json_decref(s);
	json_decref(b);
}

/* Files every node needs become Swarm secrets named after their content, never binds. */
static void
test_secrets(void **state)
{
	struct dctl *d = *state;
	json_t *b = json_pack("{s:s, s:[s], s:[], s:{}, s:{s:[]}, s:{s:s, s:s}}", "Image", "i",
	    "Cmd", "docker-registry", "Env", "Labels", "HostConfig", "Binds",
	    "DeisFiles", "/etc/deis/registry.htpasswd", "deis:hash1",
	    "/etc/deis/registry-s3.yml", "storage: {}\n"), *s, *cs, *sec, *files;
	const char *name;
	char spec[65];
	size_t i;

	s = dctl_swarm_service(d, "registry", b, "10.1.2.3");
	cs = json_object_get(json_object_get(s, "TaskTemplate"), "ContainerSpec");
	sec = json_object_get(cs, "Secrets");
	files = json_object_get(s, "DeisSecrets");
	assert_int_equal(json_array_size(sec), 2);
	assert_int_equal(json_array_size(json_object_get(cs, "Mounts")), 0);
	for (i = 0; i < 2; i++) {
		json_t *r = json_array_get(sec, i), *f = json_object_get(r, "File");

		name = json_string_value(json_object_get(r, "SecretName"));
		assert_non_null(name);
		assert_string_equal(json_string_value(json_object_get(r, "SecretID")), "");
		assert_int_equal(json_integer_value(json_object_get(f, "Mode")), 0400);
		assert_string_equal(json_string_value(json_object_get(f, "UID")), "0");
		assert_non_null(json_object_get(files, name));
		if (!strcmp(json_string_value(json_object_get(f, "Name")),
		    "/etc/deis/registry.htpasswd")) {
			assert_int_equal(strncmp(name, "deis-registry-registry.htpasswd-", 32), 0);
			assert_int_equal(strlen(name), 32 + 12);
			assert_string_equal(json_string_value(json_object_get(files, name)),
			    "deis:hash1");
		}
	}
	snprintf(spec, sizeof(spec), "%s", json_string_value(json_object_get(json_object_get(s,
	    "Labels"), "sh.deis.spec")));
	json_decref(s);
	/* another content: another secret name, so another spec */
	json_object_set_new(json_object_get(b, "DeisFiles"), "/etc/deis/registry.htpasswd",
	    json_string("deis:hash2"));
	s = dctl_swarm_service(d, "registry", b, "10.1.2.3");
	assert_string_not_equal(json_string_value(json_object_get(json_object_get(s, "Labels"),
	    "sh.deis.spec")), spec);
	/* without the S3 store, one registry on the control plane (its volume) */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(s,
	    "Mode"), "Replicated"), "Replicas")), 1);
	json_decref(s);
	/* with it and mode=swarm, a registry on every node labelled deis.registry */
	json_object_set_new(json_object_get(d->config, "platform"), "mode", json_string("swarm"));
	json_object_set_new(d->config, "store", json_pack("{s:s}", "backend", "s3"));
	assert_true(dctl_swarm_registry_everywhere(d));
	s = dctl_swarm_service(d, "registry", b, "10.1.2.3");
	assert_non_null(json_object_get(json_object_get(s, "Mode"), "Global"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(
	    json_object_get(s, "TaskTemplate"), "Placement"), "Constraints"), 0)),
	    "node.labels.deis.registry==true");
	json_decref(s);
	json_object_del(json_object_get(d->config, "platform"), "mode");
	json_object_del(d->config, "store");
	json_decref(b);
}

static void
test_socket_setting(void **state)
{
	struct err e = { 0 };

	assert_int_equal(dctl_platform_check("dockerSocket", "/var/run/docker.sock", &e), 0);
	assert_int_equal(dctl_platform_check("dockerSocket", "run/docker.sock", &e), -1);
	assert_int_equal(e.code, 2);
	assert_int_equal(dctl_platform_check("dockerSocket", "/a:/b", &e), -1);
	assert_int_equal(dctl_platform_check("dockerSocket", "", &e), -1);
}

static void
test_heartbeat_setting(void **state)
{
	struct err e = { 0 };

	assert_int_equal(dctl_platform_check("swarmHeartbeat", "2", &e), 0);
	assert_int_equal(dctl_platform_check("swarmHeartbeat", "0", &e), 0);
	assert_int_equal(dctl_platform_check("swarmHeartbeat", "60", &e), 0);
	assert_int_equal(dctl_platform_check("swarmHeartbeat", "61", &e), -1);
	assert_int_equal(e.code, 2);
	assert_int_equal(dctl_platform_check("swarmHeartbeat", "2s", &e), -1);
	assert_int_equal(dctl_platform_check("swarmHeartbeat", "", &e), -1);
	assert_int_equal(dctl_platform_check("swarmHeartbeat", "-1", &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_service_control_plane),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_socket_setting),
		cmocka_unit_test(test_heartbeat_setting),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
