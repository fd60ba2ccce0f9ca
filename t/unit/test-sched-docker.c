/*
 * The scheduler against the real dockerd (no fakes): deploy (start new, then
 * stop old), failed deploys keep the old release, scale, concurrent scales,
 * rolling restart, run with output, exit code, timeout and cut, limits and
 * the security floor as Docker reports them, redeploy of a running version.
 * Events, reconcile and pulls: test-sched-docker-events.c.
 */
#include "t/unit/test-sched-common.h"

static void
test_deploy_first(void **state)
{
	static const struct sched_kv config[] = {
		{ "FOO", "it's \"quoted\" $HOME `x`" }, { "PORT", "80" },
	};
	struct sched_release r = rel_make(1, config, 2);
	struct sched_scale st[] = { { "web", 2 }, { "worker", 1 } };
	struct sched_container *v = NULL;
	struct err e = { 0 };
	json_t *ins, *hc, *env;
	size_t n;

	double t0;

	SKIP_IF_NO_DOCKER();
	t0 = now_ms();
	if (sched_deploy(sc, &r, st, 2, NULL, &e) < 0)
		fail_msg("deploy: %s", e.msg);
	fprintf(stderr, "# first deploy (2 web + 1 worker, image present): %.0f ms\n",
	    now_ms() - t0);
	n = wait_state(SCHED_UP, 3, &v);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].type, "web");
	assert_int_equal(v[0].num, 1);
	assert_int_equal(v[1].num, 2);
	assert_string_equal(v[2].type, "worker");
	assert_int_equal(v[0].release, 1);
	assert_true(strstr(v[0].name, "_v1.web.1") != NULL);
	assert_true(v[0].addr[0] != '\0');
	assert_int_equal(http_status(v[0].addr, "/health"), 200);

	/* limits, security floor, env */
	ins = docker_container_inspect(dk, v[0].id, &e);
	assert_non_null(ins);
	hc = json_object_get(ins, "HostConfig");
	assert_int_equal(json_integer_value(json_object_get(hc, "Memory")), 64 << 20);
	assert_int_equal(json_integer_value(json_object_get(hc, "MemorySwap")), 64 << 20);
	assert_int_equal(json_integer_value(json_object_get(hc, "CpuShares")), 256);
	assert_int_equal(json_integer_value(json_object_get(hc, "PidsLimit")), 512);
	assert_true(json_strv_has(json_object_get(hc, "CapDrop"), "ALL"));
	assert_int_equal(json_array_size(json_object_get(hc, "CapAdd")), 0);
	assert_true(json_strv_has(json_object_get(hc, "SecurityOpt"), "no-new-privileges:true"));
	assert_string_equal(json_string_value(json_object_get(hc, "NetworkMode")), "bridge");
	assert_false(json_is_true(json_object_get(hc, "Privileged")));
	assert_int_equal(json_array_size(json_object_get(hc, "Binds")), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(hc,
	    "RestartPolicy"), "Name")), "on-failure");
	env = json_object_get(json_object_get(ins, "Config"), "Env");
	assert_true(json_strv_has(env, "PORT=5000"));
	assert_false(json_strv_has(env, "PORT=80"));
	assert_true(json_strv_has(env, "DEIS_RELEASE=v1"));
	assert_true(json_strv_has(env, "GIT_SHA=0123abcd"));
	assert_true(json_strv_has(env, "FOO=it's \"quoted\" $HOME `x`"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
	    ins, "Config"), "Labels"), "sh.deis.type")), "web");
	json_decref(ins);
	/* the worker has no `deis limits` limit: the platform's default, swap off */
	ins = docker_container_inspect(dk, v[2].id, &e);
	hc = json_object_get(ins, "HostConfig");
	assert_int_equal(json_integer_value(json_object_get(hc, "Memory")), 1 << 30);
	assert_int_equal(json_integer_value(json_object_get(hc, "MemorySwap")), 1 << 30);
	json_decref(ins);
	free(v);
}

static void
test_deploy_replaces(void **state)
{
	static const struct sched_kv config[] = {
		{ "HEALTHCHECK_URL", "/health" }, { "HEALTHCHECK_INITIAL_DELAY", "1" },
	};
	struct sched_release r = rel_make(2, config, 2);
	double t0;
	struct sched_scale st[] = { { "web", 1 } };
	struct sched_container *old = NULL, *v = NULL;
	struct err e = { 0 };
	size_t nold, n, i;

	size_t mark;
	long up, down;

	SKIP_IF_NO_DOCKER();
	sched_list(sc, app, false, &old, &nold);
	assert_int_equal(nold, 3);
	mark = seen_mark();
	t0 = now_ms();
	if (sched_deploy(sc, &r, st, 1, NULL, &e) < 0)
		fail_msg("deploy: %s", e.msg);
	fprintf(stderr, "# deploy v2 (1 web, health check after 1 s, 3 old stopped): %.0f ms\n",
	    now_ms() - t0);
	assert_true(now_ms() - t0 >= 1000);	/* HEALTHCHECK_INITIAL_DELAY honoured */
	n = wait_state(SCHED_UP, 1, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].release, 2);
	/* start new, then stop old */
	up = seen_find(mark, 2, SCHED_UP, SCHED_UP);
	down = seen_find(mark, 1, SCHED_DOWN, SCHED_DESTROYED);
	assert_true(up >= 0 && down >= 0);
	assert_true(up < down);
	/* stopped on purpose: no crash reported for v1 */
	assert_int_equal(seen_find(mark, 1, SCHED_CRASHED, SCHED_CRASHED), -1);
	for (i = 0; i < nold; i++) {
		json_t *ins = docker_container_inspect(dk, old[i].id, &e);

		assert_null(ins);
		assert_int_equal(e.code, 404);
	}
	free(old);
	free(v);
}

static void
check_failed_deploy_keeps(struct sched_release *r, const struct sched_scale *st, size_t nst,
    const char *why)
{
	struct sched_container *before = NULL, *v = NULL;
	struct err e = { 0 };
	size_t nb, n;
	json_t *list;
	char lbl[128];

	sched_list(sc, app, false, &before, &nb);
	assert_int_equal(nb, 1);
	assert_int_equal(sched_deploy(sc, r, st, nst, NULL, &e), -1);
	assert_int_equal(e.code, 503);
	/* Deis's words, then why, in Heroku's */
	if (strncmp(e.msg, "aborting, app containers failed to respond to health check: ", 60) ||
	    strstr(e.msg, why) == NULL)
		fail_msg("deploy failed with '%s', want '%s'", e.msg, why);
	n = wait_state(SCHED_UP, 1, &v);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, before[0].id);
	assert_int_equal(http_status(v[0].addr, "/"), 200);
	/* nothing of the failed release is left in Docker */
	snprintf(lbl, sizeof(lbl), "sh.deis.release=v%u", r->version);
	list = docker_container_list(dk, lbl, &e);
	assert_non_null(list);
	{
		size_t i;
		json_t *c;

		json_array_foreach(list, i, c)
			assert_string_not_equal(json_string_value(json_object_get(json_object_get(c,
			    "Labels"), "sh.deis.app")), app);
	}
	json_decref(list);
	free(before);
	free(v);
}

static void
test_deploy_crashing_keeps_old(void **state)
{
	struct sched_release r = rel_make(3, NULL, 0);
	struct sched_scale st[] = { { "web", 1 }, { "crash", 1 } };
	time_t t0 = time(NULL);

	SKIP_IF_NO_DOCKER();
	check_failed_deploy_keeps(&r, st, 2, "crash.1 exited with status 3 (Process exited with "
	    "status 3); its last output:\n    crashing");
	assert_true(time(NULL) - t0 < 10);	/* a death fails fast, not at the deadline */
}

static void
test_deploy_healthcheck_keeps_old(void **state)
{
	static const struct sched_kv config[] = {
		{ "HEALTHCHECK_URL", "/no-such-page" }, { "HEALTHCHECK_TIMEOUT", "1" },
	};
	struct sched_release r = rel_make(4, config, 2);
	struct sched_scale st[] = { { "web", 1 } };
	struct sched *keep = sc;

	SKIP_IF_NO_DOCKER();
	/* a short boot deadline for this one */
	sched_free(sc);
	sc = sched_make(3000);
	check_failed_deploy_keeps(&r, st, 1, "web.1 answered HEALTHCHECK_URL /no-such-page with "
	    "404, not 200, for 3 s");
	(void)keep;
	sched_free(sc);
	sc = sched_make(15000);
}

/* A server on another port than $PORT: named, with the port it does listen on (R10). */
static void
test_deploy_wrong_port_keeps_old(void **state)
{
	static const struct sched_kv wrong[] = {
		{ "web", "exec httpd -f -p 3000 -h /www" },
	};
	struct sched_release r = rel_make(4, NULL, 0);
	struct sched_scale st[] = { { "web", 1 } };

	SKIP_IF_NO_DOCKER();
	r.procfile = wrong;
	r.nprocfile = 1;
	r.dockerfile = true;	/* the entry runs as written, not through the test runner's web */
	sched_free(sc);
	sc = sched_make(3000);
	check_failed_deploy_keeps(&r, st, 1, "web.1 did not listen on $PORT (5000) within 3 s of "
	    "launch (Error R10, boot timeout); it listens on 3000");
	sched_free(sc);
	sc = sched_make(15000);
}

static void
test_scale(void **state)
{
	struct sched_release r = rel_make(2, NULL, 0);
	struct sched_scale up[] = { { "web", 3 } }, down[] = { { "web", 1 } };
	struct sched_container *v = NULL;
	struct err e = { 0 };
	char first[SCHED_ID_MAX];
	size_t n;

	SKIP_IF_NO_DOCKER();
	if (sched_scale(sc, &r, up, 1, &e) < 0)
		fail_msg("scale up: %s", e.msg);
	n = wait_state(SCHED_UP, 3, &v);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].num, 1);
	assert_int_equal(v[1].num, 2);
	assert_int_equal(v[2].num, 3);
	strlcpy(first, v[0].id, sizeof(first));
	free(v);
	if (sched_scale(sc, &r, down, 1, &e) < 0)
		fail_msg("scale down: %s", e.msg);
	n = wait_state(SCHED_UP, 1, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].num, 1);
	assert_string_equal(v[0].id, first);	/* newest went first */
	free(v);
	/* several types at once (boots of different types in one array) */
	{
		struct sched_scale two[] = { { "web", 2 }, { "worker", 2 } };
		struct sched_scale back[] = { { "web", 1 }, { "worker", 0 } };

		if (sched_scale(sc, &r, two, 2, &e) < 0)
			fail_msg("scale two types: %s", e.msg);
		n = wait_state(SCHED_UP, 4, &v);
		assert_int_equal(n, 4);
		assert_string_equal(v[1].type, "web");
		assert_int_equal(v[1].num, 2);
		assert_string_equal(v[2].type, "worker");
		assert_true(strstr(v[3].name, "_v2.worker.2") != NULL);
		free(v);
		if (sched_scale(sc, &r, back, 2, &e) < 0)
			fail_msg("scale back: %s", e.msg);
		n = wait_state(SCHED_UP, 1, &v);
		assert_int_equal(n, 1);
		assert_string_equal(v[0].id, first);
		free(v);
	}
	/* an unknown type is a 400 */
	{
		struct sched_scale bad[] = { { "nope", 1 } };

		assert_int_equal(sched_scale(sc, &r, bad, 1, &e), -1);
		assert_int_equal(e.code, 400);
		assert_string_equal(e.msg, "Container type nope does not exist in application");
	}
}

struct scale_arg {
	unsigned count;
	int rc;
	struct err e;
};

static void *
scale_thread(void *arg)
{
	struct scale_arg *a = arg;
	struct sched_release r = rel_make(2, NULL, 0);
	struct sched_scale st[] = { { "web", a->count } };

	a->rc = sched_scale(sc, &r, st, 1, &a->e);
	return NULL;
}

/* Two scales of one app at once are serialised: no duplicate nums, the count holds. */
static void
test_scale_concurrent(void **state)
{
	struct scale_arg a = { .count = 3 }, b = { .count = 3 };
	struct sched_release r = rel_make(2, NULL, 0);
	struct sched_scale one[] = { { "web", 1 } };
	struct sched_container *v = NULL;
	pthread_t ta, tb;
	struct err e;

	SKIP_IF_NO_DOCKER();
	pthread_create(&ta, NULL, scale_thread, &a);
	pthread_create(&tb, NULL, scale_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	if (a.rc < 0 || b.rc < 0)
		fail_msg("scale: %s %s", a.e.msg, b.e.msg);
	assert_int_equal(wait_state(SCHED_UP, 3, &v), 3);
	assert_int_equal(v[0].num, 1);
	assert_int_equal(v[1].num, 2);
	assert_int_equal(v[2].num, 3);
	free(v);
	if (sched_scale(sc, &r, one, 1, &e) < 0)
		fail_msg("scale: %s", e.msg);
	assert_int_equal(wait_state(SCHED_UP, 1, &v), 1);
	free(v);
}

static void
test_restart(void **state)
{
	struct sched_release r = rel_make(2, NULL, 0);
	struct sched_scale st[] = { { "web", 2 } };
	struct sched_container *before = NULL, *out = NULL, *v = NULL;
	struct err e = { 0 };
	size_t nb, nout, n;

	SKIP_IF_NO_DOCKER();
	if (sched_scale(sc, &r, st, 1, &e) < 0)
		fail_msg("scale: %s", e.msg);
	nb = wait_state(SCHED_UP, 2, &before);
	assert_int_equal(nb, 2);
	/* one container: the new one is up before the old one (renamed aside) goes */
	{
		size_t mark = seen_mark();
		char aside[SCHED_NAME_MAX + 8];
		long up, down;

		if (sched_restart(sc, &r, "web", 2, &out, &nout, &e) < 0)
			fail_msg("restart: %s", e.msg);
		snprintf(aside, sizeof(aside), "%s.old-", before[1].name);
		up = seen_find_name(mark, before[1].name, false, SCHED_UP, SCHED_UP);
		down = seen_find_name(mark, aside, true, SCHED_DOWN, SCHED_DESTROYED);
		assert_true(up >= 0 && down >= 0);
		assert_true(up < down);
	}
	assert_int_equal(nout, 1);
	assert_int_equal(out[0].num, 2);
	assert_string_not_equal(out[0].id, before[1].id);
	assert_string_equal(out[0].name, before[1].name);
	free(out);
	n = wait_state(SCHED_UP, 2, &v);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, before[0].id);
	free(v);
	/* all */
	if (sched_restart(sc, &r, NULL, 0, &out, &nout, &e) < 0)
		fail_msg("restart: %s", e.msg);
	assert_int_equal(nout, 2);
	free(out);
	n = wait_state(SCHED_UP, 2, &v);
	assert_int_equal(n, 2);
	assert_string_not_equal(v[0].id, before[0].id);
	assert_string_equal(v[0].name, before[0].name);
	assert_int_equal(http_status(v[1].addr, "/health"), 200);
	free(v);
	free(before);
}

static void
test_run(void **state)
{
	static const struct sched_kv config[] = { { "GREETING", "hello there" } };
	struct sched_release r = rel_make(2, config, 1);
	struct buf out = BUF_INIT;
	struct sched_container *v = NULL;
	struct err e = { 0 };
	int rc = -1;
	size_t n;

	SKIP_IF_NO_DOCKER();
	if (sched_run(sc, &r, "echo \"$GREETING $DEIS_APP\"; echo oops >&2; exit 7", &rc, &out,
	    &e) < 0)
		fail_msg("run: %s", e.msg);
	assert_int_equal(rc, 7);
	assert_true(strstr(out.p, "hello there sched") != NULL);
	assert_true(strstr(out.p, "oops\n") != NULL);
	/* Dockerfile apps: the same bash -c through the one-off shim */
	r.dockerfile = true;
	buf_reset(&out);
	if (sched_run(sc, &r, "echo $DEIS_RELEASE", &rc, &out, &e) < 0)
		fail_msg("run: %s", e.msg);
	assert_int_equal(rc, 0);
	assert_string_equal(out.p, "v2\n");
	/* output is cut at 1 MiB */
	buf_reset(&out);
	if (sched_run(sc, &r, "head -c 3000000 /dev/zero | tr '\\0' a; exit 3", &rc, &out, &e) < 0)
		fail_msg("run: %s", e.msg);
	assert_int_equal(rc, 3);
	assert_int_equal(out.len, 1 << 20);
	assert_int_equal(out.p[0], 'a');
	assert_int_equal(out.p[out.len - 1], 'a');
	buf_release(&out);
	/* the one-off containers are gone */
	usleep(300 * 1000);
	sched_list(sc, app, true, &v, &n);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(v[i].type, "run");
	free(v);
}

/* A run that outlasts its bound: a 503, and nothing left behind. */
static void
test_run_timeout(void **state)
{
	struct sched_config cfg = { .platform = platform, .run_timeout_ms = 1500 };
	struct sched_release r = rel_make(2, NULL, 0);
	struct sched_container *v = NULL;
	struct buf out = BUF_INIT;
	struct err e = { 0 };
	struct sched *s2;
	double t0;
	int rc, tries;
	size_t n, i, runs;

	SKIP_IF_NO_DOCKER();
	s2 = sched_new(&cfg, &e);
	assert_non_null(s2);
	t0 = now_ms();
	assert_int_equal(sched_run(s2, &r, "sleep 60", &rc, &out, &e), -1);
	assert_int_equal(e.code, 503);
	assert_non_null(strstr(e.msg, "did not finish within 1 s"));
	assert_true(now_ms() - t0 < 10000);
	sched_free(s2);
	buf_release(&out);
	for (tries = 0; tries < 30; tries++) {
		sched_list(sc, app, true, &v, &n);
		for (i = runs = 0; i < n; i++)
			runs += strcmp(v[i].type, "run") == 0;
		free(v);
		if (runs == 0)
			break;
		usleep(100 * 1000);
	}
	assert_true(tries < 30);
}

/* Deploying the version that runs again: the old ones are renamed aside, then go. */
static void
test_redeploy_same_version(void **state)
{
	struct sched_release r = rel_make(2, NULL, 0);
	struct sched_scale st[] = { { "web", 2 } };
	struct sched_container *before = NULL, *v = NULL;
	struct err e = { 0 };
	size_t i;

	SKIP_IF_NO_DOCKER();
	assert_int_equal(wait_state(SCHED_UP, 2, &before), 2);
	if (sched_deploy(sc, &r, st, 1, NULL, &e) < 0)
		fail_msg("deploy: %s", e.msg);
	assert_int_equal(wait_state(SCHED_UP, 2, &v), 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(v[i].name, before[i].name);
		assert_string_not_equal(v[i].id, before[i].id);
		assert_null(docker_container_inspect(dk, before[i].id, &e));
	}
	free(before);
	free(v);
}

/* A Dockerfile app's Procfile entries run as `bash -c` (through the shim), as Deis ran them. */
static void
test_dockerfile_procfile_bash(void **state)
{
	struct sched_release r = rel_make(3, NULL, 0);
	struct sched_scale st[] = { { "web", 2 } };
	struct sched_container *v = NULL;
	struct err e = { 0 };
	json_t *ins, *cfg;

	SKIP_IF_NO_DOCKER();
	r.dockerfile = true;
	if (sched_deploy(sc, &r, st, 1, NULL, &e) < 0)
		fail_msg("deploy: %s", e.msg);
	assert_int_equal(wait_state(SCHED_UP, 2, &v), 2);
	ins = docker_container_inspect(dk, v[0].id, &e);
	assert_non_null(ins);
	cfg = json_object_get(ins, "Config");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "Entrypoint"),
	    0)), "/bin/sh");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 0)),
	    "bash");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 1)),
	    "-c");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 2)),
	    "exec httpd -f -p $PORT -h /www");
	assert_int_equal(http_status(v[0].addr, "/health"), 200);
	json_decref(ins);
	free(v);
}

/*
 * One network per app: each app's containers on "<platform>-app-<app>" with a
 * /24 of the pool; one app's container does not reach another's, the host
 * (the router's place here) reaches both; destroy removes the network.
 */
static void
test_app_networks(void **state)
{
	static const char *const no_peers[] = { NULL };
	struct sched_config cfg = { .platform = platform, .boot_timeout_ms = 15000,
	    .stop_timeout_s = 2, .app_subnets = "100.81.0.0/16", .app_peers = no_peers };
	struct sched_scale st[] = { { "web", 1 } };
	struct sched_release r = rel_make(1, NULL, 0);
	char a1[80], a2[80], net[192], url[256];
	struct sched_container *v = NULL, *w = NULL;
	struct err e = { 0 };
	struct sched *s;
	/* busybox's wget -T crashes: timeout bounds it instead */
	const char *argv[] = { "docker", "exec", NULL, "timeout", "3", "wget", "-q", "-O-", url,
	    NULL };
	json_t *ins;
	int status = -1;
	long gone = 0;
	size_t n;

	SKIP_IF_NO_DOCKER();
	s = sched_new(&cfg, &e);
	assert_non_null(s);
	sched_on_own(s, on_own, NULL);
	if (sched_start(s, &e) < 0)
		fail_msg("start: %s", e.msg);
	snprintf(a1, sizeof(a1), "%s-n1", app);
	snprintf(a2, sizeof(a2), "%s-n2", app);
	r.app = a1;
	if (sched_deploy(s, &r, st, 1, NULL, &e) < 0)
		fail_msg("deploy %s: %s", a1, e.msg);
	r.app = a2;
	if (sched_deploy(s, &r, st, 1, NULL, &e) < 0)
		fail_msg("deploy %s: %s", a2, e.msg);
	sched_list(s, a1, false, &v, &n);
	assert_int_equal(n, 1);
	sched_list(s, a2, false, &w, &n);
	assert_int_equal(n, 1);
	ins = docker_container_inspect(dk, v[0].id, &e);
	snprintf(net, sizeof(net), "%s-app-%s", platform, a1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ins, "HostConfig"),
	    "NetworkMode")), net);
	json_decref(ins);
	assert_true(strncmp(v[0].addr, "100.81.", 7) == 0);
	assert_true(strncmp(w[0].addr, "100.81.", 7) == 0);
	assert_int_equal(http_status(w[0].addr, "/health"), 200);	/* from the host */
	/* from a1's container to a2's: nothing */
	snprintf(url, sizeof(url), "http://%s/health", w[0].addr);
	argv[2] = v[0].id;
	assert_int_equal(run_capture(argv, NULL, NULL, NULL, 0, NULL, NULL, 20000, &status, &e), 0);
	assert_int_not_equal(status, 0);
	/* to its own: yes */
	snprintf(url, sizeof(url), "http://%s/health", v[0].addr);
	assert_int_equal(run_capture(argv, NULL, NULL, NULL, 0, NULL, NULL, 20000, &status, &e), 0);
	assert_int_equal(status, 0);
	assert_int_equal(sched_destroy(s, a1, &e), 0);
	assert_int_equal(sched_destroy(s, a2, &e), 0);
	snprintf(url, sizeof(url), "/networks/%s", net);
	ins = docker_call(dk, "GET", url, NULL, 30000, (const int[]){ 404, 0 }, &gone, "inspect", &e);
	json_decref(ins);
	assert_int_equal(gone, 404);
	free(v);
	free(w);
	sched_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deploy_first),
		cmocka_unit_test(test_deploy_replaces),
		cmocka_unit_test(test_deploy_crashing_keeps_old),
		cmocka_unit_test(test_deploy_healthcheck_keeps_old),
		cmocka_unit_test(test_deploy_wrong_port_keeps_old),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_scale_concurrent),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_run_timeout),
		cmocka_unit_test(test_redeploy_same_version),
		cmocka_unit_test(test_dockerfile_procfile_bash),
		cmocka_unit_test(test_app_networks),
		cmocka_unit_test(test_destroy),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
