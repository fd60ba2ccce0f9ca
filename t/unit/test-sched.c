/*
 * controller/scheduler: what needs no engine (names, limits, configuration
 * checks, the empty table). Rollouts are tested against dockerd by
 * test-sched-docker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "controller/scheduler/sched_int.h"
#include "lib/buf.h"
#include "lib/run.h"

static void
test_name(void **state)
{
	char name[SCHED_NAME_MAX], app[SCHED_APP_MAX], type[SCHED_TYPE_MAX], small[8];
	unsigned rel, num;

	assert_int_equal(sched_name(name, sizeof(name), "go", 2, "web", 1), 0);
	assert_string_equal(name, "go_v2.web.1");
	assert_int_equal(sched_name(small, sizeof(small), "go", 2, "web", 1), -1);
	assert_int_equal(sched_name_parse("peachy-waxworks_v12.worker.3", app, &rel, type, &num), 0);
	assert_string_equal(app, "peachy-waxworks");
	assert_int_equal(rel, 12);
	assert_string_equal(type, "worker");
	assert_int_equal(num, 3);
	assert_int_equal(sched_name_parse("a_v1.my_type-2.10", app, &rel, type, &num), 0);
	assert_string_equal(type, "my_type-2");
	assert_int_equal(num, 10);
}

static void
test_name_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "go", "go_v2", "go_v2.web", "go_v2.web.", "go_v.web.1", "go_v0.web.1",
		"Go_v2.web.1", "go_v2.web.1x", "go_v2.web.0", "go_2.web.1", "go_v2..1",
		"go_v2.web.1.old-abc", "go_v2.we b.1", "_v2.web.1", "go_v99999999999.web.1",
	};
	char app[SCHED_APP_MAX], type[SCHED_TYPE_MAX];
	unsigned rel, num;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sched_name_parse(bad[i], app, &rel, type, &num) == 0)
			fail_msg("'%s' parsed", bad[i]);
}

static void
test_memory(void **state)
{
	long long b;

	assert_int_equal(sched_memory_parse("512M", &b), 0);
	assert_int_equal(b, 512LL << 20);
	assert_int_equal(sched_memory_parse("512mb", &b), 0);
	assert_int_equal(b, 512LL << 20);
	assert_int_equal(sched_memory_parse("1G", &b), 0);
	assert_int_equal(b, 1LL << 30);
	assert_int_equal(sched_memory_parse("64k", &b), 0);
	assert_int_equal(b, 64LL << 10);
	assert_int_equal(sched_memory_parse("100B", &b), 0);
	assert_int_equal(b, 100);
	assert_int_equal(sched_memory_parse("512", &b), -1);
	assert_int_equal(sched_memory_parse("M", &b), -1);
	assert_int_equal(sched_memory_parse("-1M", &b), -1);
	assert_int_equal(sched_memory_parse("1.5G", &b), -1);
	assert_int_equal(sched_memory_parse("5T", &b), -1);
	assert_int_equal(sched_memory_parse("99999999999999G", &b), -1);
	assert_int_equal(sched_memory_parse("1 G", &b), -1);
}

static void
test_states(void **state)
{
	assert_string_equal(sched_state_name(SCHED_CREATED), "created");
	assert_string_equal(sched_state_name(SCHED_UP), "up");
	assert_string_equal(sched_state_name(SCHED_DOWN), "down");
	assert_string_equal(sched_state_name(SCHED_CRASHED), "crashed");
	assert_string_equal(sched_state_name(SCHED_DESTROYED), "destroyed");
	assert_string_equal(sched_state_name(SCHED_ERROR), "error");
	assert_string_equal(sched_state_name((enum sched_state)42), "error");
}

static void
test_config_checks(void **state)
{
	struct sched_config bad_driver = { .driver = "fleet" };
	struct sched_config host_net = { .network = "host" };
	struct sched_config bad_platform = { .platform = "a b" };
	struct sched_config ok = { .docker_sock = "/nonexistent/docker.sock", .platform = "t" };
	struct sched_container *v;
	struct sched *s;
	struct err e = { 0 };
	size_t n;

	assert_null(sched_new(&bad_driver, &e));
	assert_int_equal(e.code, 400);
	assert_string_equal(e.msg, "scheduler: unknown driver 'fleet'");
	assert_null(sched_new(&host_net, &e));
	assert_non_null(strstr(e.msg, "'host' is not allowed"));
	assert_null(sched_new(&bad_platform, &e));
	s = sched_new(&ok, &e);
	assert_non_null(s);
	/* no engine: start fails cleanly; listing works on the empty table */
	assert_int_equal(sched_start(s, &e), -1);
	assert_int_equal(sched_list(s, "x", true, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	sched_free(s);
	sched_free(NULL);
}

static void
test_bad_requests(void **state)
{
	struct sched_config cfg = { .docker_sock = "/nonexistent/docker.sock", .platform = "t" };
	static const struct sched_kv procfile[] = { { "web", "x" } };
	struct sched_release rel = { .app = "go", .version = 1, .image = "busybox",
	    .procfile = procfile, .nprocfile = 1 };
	struct sched_scale bad_type[] = { { "worker", 1 } }, too_many[] = { { "web", 1000 } };
	struct sched *s = sched_new(&cfg, NULL);
	struct err e = { 0 };
	struct buf out = BUF_INIT;
	int rc;

	assert_int_equal(sched_deploy(s, &rel, bad_type, 1, NULL, &e), -1);
	assert_int_equal(e.code, 400);
	assert_string_equal(e.msg, "Container type worker does not exist in application");
	assert_int_equal(sched_scale(s, &rel, too_many, 1, &e), -1);
	assert_int_equal(e.code, 400);
	rel.app = "Bad_App";
	assert_int_equal(sched_deploy(s, &rel, NULL, 0, NULL, &e), -1);
	assert_int_equal(e.code, 400);
	rel.app = "go";
	rel.image = "";
	assert_int_equal(sched_deploy(s, &rel, NULL, 0, NULL, &e), -1);
	assert_string_equal(e.msg, "No build associated with this release");
	rel.image = "busybox";
	assert_int_equal(sched_run(s, &rel, "", &rc, &out, &e), -1);
	assert_int_equal(e.code, 400);
	/* the engine is away: a 503, not a hang or a crash */
	assert_int_equal(sched_run(s, &rel, "true", &rc, &out, &e), -1);
	assert_int_equal(e.code, 503);
	assert_int_equal(sched_destroy(s, "../x", &e), -1);
	buf_release(&out);
	sched_free(s);
}

/*
 * An interactive run on a swarm: refused at once with a clear reason (the
 * unit's engine is another node's), before anything is made or contacted.
 */
static void
test_run_tty_swarm(void **state)
{
	struct sched_config cfg = { .driver = "swarm", .docker_sock = "/nonexistent/docker.sock",
	    .platform = "t" };
	struct sched_release rel = { .app = "go", .version = 1, .image = "busybox" };
	struct sched *s;
	struct sched_tty t;
	struct err e = { 0 };

	s = sched_new(&cfg, &e);
	assert_non_null(s);
	assert_int_equal(sched_run_tty(s, &rel, "bash", &t, &e), -1);
	assert_int_equal(e.code, 501);
	assert_non_null(strstr(e.msg, "swarm scheduler"));
	assert_non_null(strstr(e.msg, "without a terminal"));
	assert_int_equal(t.fd, -1);
	sched_free(s);
}

/*
 * The one-off shim of Dockerfile images, run by a real /bin/sh: bash when the
 * image has it, sh when it has not, the command as one argument either way.
 */
static void
test_oneoff_shim(void **state)
{
	static const char *const bin[] = { "sh", "bash" };
	char dir[] = "/tmp/deis-shim.XXXXXX", src[64], dst[128];
	const char *argv[] = { "/bin/sh", "-c", SCHED_ONEOFF_SHIM, "bash", "-c",
		"s=sh; [ -z \"$BASH_VERSION\" ] || s=bash; echo $s $((6*7)) 'a  b'; exit 3", NULL };
	const char *env[] = { dst, NULL };
	struct buf out = BUF_INIT;
	struct err e = { 0 };
	int st = -1;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 2; i++) {
		snprintf(src, sizeof(src), "/bin/%s", bin[i]);
		snprintf(dst, sizeof(dst), "%s/%s", dir, bin[i]);
		assert_int_equal(symlink(src, dst), 0);
	}
	snprintf(dst, sizeof(dst), "PATH=%s", dir);
	assert_int_equal(run_capture(argv, env, NULL, NULL, 0, &out, NULL, 5000, &st, &e), 0);
	assert_int_equal(st, 3);
	assert_string_equal(out.p, "bash 42 a  b\n");
	snprintf(src, sizeof(src), "%s/bash", dir);
	assert_int_equal(unlink(src), 0);
	buf_reset(&out);
	assert_int_equal(run_capture(argv, env, NULL, NULL, 0, &out, NULL, 5000, &st, &e), 0);
	assert_int_equal(st, 3);
	assert_string_equal(out.p, "sh 42 a  b\n");
	for (i = 0; i < 2; i++) {
		snprintf(src, sizeof(src), "%s/%s", dir, bin[i]);
		unlink(src);
	}
	rmdir(dir);
	buf_release(&out);
}

/* The table: observations in, sorted copies out, crash/stop rules; and its cost. */
static void
test_table(void **state)
{
	struct sched_config cfg = { .docker_sock = "/nonexistent/docker.sock", .platform = "t" };
	struct sched *s = sched_new(&cfg, NULL);
	struct sched_container *v, c;
	struct sched_obs o = { .kind = SCHED_OBS_EXISTS, .state = SCHED_UP, .release = 1 };
	char id[SCHED_ID_MAX], appn[32];
	struct timespec t0, t1;
	size_t n, i;
	double ns;

	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "%064zu", i);
		snprintf(appn, sizeof(appn), "app%zu", i % 100);
		o.id = id;
		o.app = appn;
		o.type = i % 3 ? "web" : "worker";
		o.num = (unsigned)(1000 - i);
		o.cid = id;
		/* the scheduler made those of even hundreds: owned before or after seen */
		if ((i / 100) % 4 == 0)
			sched_own(s, id);
		sched_observe(&o, s);
		if ((i / 100) % 4 == 2)
			sched_own(s, id);
	}
	sched_list(s, "app7", false, &v, &n);
	assert_int_equal(n, 5);	/* 7, 207, 407, 607, 807: not the others' labels */
	free(v);
	snprintf(id, sizeof(id), "%064d", 107);
	assert_int_equal(sched_find(s, id, &c), -1);
	assert_false(sched_owns(s, id));
	snprintf(id, sizeof(id), "%064d", 207);
	assert_int_equal(sched_find(s, id, &c), 0);
	assert_string_equal(c.app, "app7");
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "%064zu", i);
		sched_own(s, id);
	}
	sched_list(s, "app7", false, &v, &n);
	assert_int_equal(n, 10);
	for (i = 1; i < n; i++)
		assert_true(strcmp(v[i - 1].type, v[i].type) < 0 ||
		    (strcmp(v[i - 1].type, v[i].type) == 0 && v[i - 1].num < v[i].num));
	/* a death the scheduler did not ask for is a crash; one it asked for is not */
	o.kind = SCHED_OBS_DIE;
	o.id = v[0].id;
	o.exit_code = 1;
	sched_observe(&o, s);
	assert_int_equal(sched_get(s, "app7", v[0].type, v[0].num, &c), 0);
	assert_int_equal(c.state, SCHED_CRASHED);
	assert_int_equal(c.crashes, 1);
	sched_mark_stopping(s, v[1].id, true);
	o.id = v[1].id;
	o.exit_code = 143;
	sched_observe(&o, s);
	assert_int_equal(sched_get(s, "app7", v[1].type, v[1].num, &c), 0);
	assert_int_equal(c.state, SCHED_DOWN);
	assert_int_equal(c.crashes, 0);
	/* forgotten (removed by us): late events do not bring it back */
	sched_forget(s, v[1].id);
	o.kind = SCHED_OBS_DIE;
	sched_observe(&o, s);
	assert_int_equal(sched_get(s, "app7", v[1].type, v[1].num, &c), -1);
	free(v);
	/* listing one app among 1000 containers */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 10000; i++) {
		sched_list(s, "app42", false, &v, &n);
		free(v);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 10000;
	fprintf(stderr, "# sched_list of 10 among 1000 containers: %.0f ns\n", ns);
	assert_true(ns < 1e6);
	sched_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_name_parse_rejects),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_run_tty_swarm),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_oneoff_shim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
