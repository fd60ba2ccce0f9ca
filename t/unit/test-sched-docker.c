/*
 * The scheduler against the real dockerd on /var/run/docker.sock (no fakes):
 * deploy, failed deploys, scale, rolling restart, run, limits and security
 * options, crash events, reconcile after a restart of the scheduler, destroy.
 *
 * The app image comes from t/helper/sched-image (busybox-static in a scratch
 * image). Every container made here carries sh.deis.platform=<unique id> and
 * is removed at exit by that label. Skipped (with a message) when no daemon
 * answers or DEIS_TEST_NO_DOCKER is set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <curl/curl.h>

#include "controller/scheduler/scheduler.h"
#include "lib/docker.h"
#include "lib/run.h"
#include "lib/xalloc.h"

#define IMAGE "deis-test/sched:1"

static struct docker *dk;
static struct sched *sc;
static char platform[64], app[64], label[128];
static int skipped;

/* Crash reports and the order of state changes seen by the callback (any thread). */
static volatile int crashes_seen;
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static struct seen {
	char name[SCHED_NAME_MAX];
	unsigned release;
	enum sched_state state;
} seen[4096];
static size_t nseen;

static void
on_state(const struct sched_container *c, enum sched_state old, void *arg)
{
	if (c->state == SCHED_CRASHED)
		__atomic_add_fetch(&crashes_seen, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&seen_mu);
	if (nseen < ARRAY_SIZE(seen)) {
		strlcpy(seen[nseen].name, c->name, sizeof(seen[0].name));
		seen[nseen].release = c->release;
		seen[nseen++].state = c->state;
	}
	pthread_mutex_unlock(&seen_mu);
}

/* Index of the first change from index `from` of release rel to one of two states; -1 if none. */
static long
seen_find(size_t from, unsigned rel, enum sched_state a, enum sched_state b)
{
	long r = -1;
	size_t i;

	pthread_mutex_lock(&seen_mu);
	for (i = from; i < nseen && r < 0; i++)
		if (seen[i].release == rel && (seen[i].state == a || seen[i].state == b))
			r = (long)i;
	pthread_mutex_unlock(&seen_mu);
	return r;
}

/* Like seen_find() but by name: exact, or a prefix when prefix is set. */
static long
seen_find_name(size_t from, const char *name, bool prefix, enum sched_state a, enum sched_state b)
{
	long r = -1;
	size_t i;

	pthread_mutex_lock(&seen_mu);
	for (i = from; i < nseen && r < 0; i++)
		if ((prefix ? strncmp(seen[i].name, name, strlen(name)) == 0 :
		    strcmp(seen[i].name, name) == 0) && (seen[i].state == a || seen[i].state == b))
			r = (long)i;
	pthread_mutex_unlock(&seen_mu);
	return r;
}

static size_t
seen_mark(void)
{
	size_t n;

	pthread_mutex_lock(&seen_mu);
	n = nseen;
	pthread_mutex_unlock(&seen_mu);
	return n;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct sched *
sched_make(unsigned boot_ms)
{
	struct sched_config cfg = { .platform = platform, .boot_timeout_ms = boot_ms,
	    .stop_timeout_s = 2, .run_timeout_ms = 20000 };
	struct err e = { 0 };
	struct sched *s = sched_new(&cfg, &e);

	if (s == NULL)
		fail_msg("sched_new: %s", e.msg);
	sched_on_state(s, on_state, NULL);
	if (sched_start(s, &e) < 0)
		fail_msg("sched_start: %s", e.msg);
	return s;
}

static void
cleanup_all(void)
{
	struct err e;
	json_t *list, *c;
	size_t i;

	if (dk == NULL || !label[0])
		return;
	list = docker_container_list(dk, label, &e);
	json_array_foreach(list, i, c)
		docker_container_remove(dk, json_string_value(json_object_get(c, "Id")), true, &e);
	json_decref(list);
}

static int
group_setup(void **state)
{
	const char *argv[] = { "t/helper/sched-image", IMAGE, NULL };
	struct buf out = BUF_INIT;
	struct err e;
	int status;

	snprintf(platform, sizeof(platform), "test-%ld-%ld", (long)getpid(), (long)time(NULL));
	snprintf(label, sizeof(label), "sh.deis.platform=%s", platform);
	snprintf(app, sizeof(app), "sched%ld", (long)getpid());
	if (getenv("DEIS_TEST_NO_DOCKER")) {
		skipped = 1;
		return 0;
	}
	dk = docker_new(NULL);
	if (docker_ping(dk, &e) < 0) {
		fprintf(stderr, "# SKIP scheduler docker tests: no docker daemon answers: %s\n", e.msg);
		skipped = 1;
		return 0;
	}
	if (run_capture(argv, NULL, NULL, NULL, 0, &out, &out, 120000, &status, &e) < 0 ||
	    status != 0) {
		fprintf(stderr, "sched-image failed: %s%s\n", status ? "" : e.msg, out.p);
		buf_release(&out);
		return -1;
	}
	buf_release(&out);
	atexit(cleanup_all);
	sc = sched_make(15000);
	return 0;
}

static int
group_teardown(void **state)
{
	sched_free(sc);
	sc = NULL;
	cleanup_all();
	docker_free(dk);
	dk = NULL;
	return 0;
}

#define SKIP_IF_NO_DOCKER() do { if (skipped) skip(); } while (0)

static const struct sched_kv procfile[] = {
	{ "web", "exec httpd -f -p $PORT -h /www" },
	{ "worker", "exec sleep 100000" },
	{ "crash", "exit 3" },
};

static struct sched_release
rel_make(unsigned version, const struct sched_kv *config, size_t nconfig)
{
	static const struct sched_kv memory[] = { { "web", "64M" } };
	static const struct sched_kv cpu[] = { { "web", "256" } };
	struct sched_release r = {
		.app = app, .version = version, .image = IMAGE, .git_sha = "0123abcd",
		.dockerfile = false, .procfile = procfile, .nprocfile = 3,
		.config = config, .nconfig = nconfig,
		.memory = memory, .nmemory = 1, .cpu = cpu, .ncpu = 1,
	};
	return r;
}

/* Containers of app (without run), waiting up to 10 s until want of them are in state st. */
static size_t
wait_state(enum sched_state st, size_t want, struct sched_container **out)
{
	size_t n, i, k;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		sched_list(sc, app, false, out, &n);
		for (i = k = 0; i < n; i++)
			k += (*out)[i].state == st;
		if (k == want && n == want)
			return n;
		free(*out);
		*out = NULL;
		usleep(100 * 1000);
	}
	sched_list(sc, app, false, out, &n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "# %s %s\n", (*out)[i].name, sched_state_name((*out)[i].state));
	return n;
}

static long
http_status(const char *addr, const char *path)
{
	CURL *c = curl_easy_init();
	char *url = xasprintf("http://%s%s", addr, path);
	long st = 0;
	FILE *null = fopen("/dev/null", "we");

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(c);
	fclose(null);
	free(url);
	return st;
}

static bool
json_strv_has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

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
	if (sched_deploy(sc, &r, st, 2, &e) < 0)
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
	/* the worker has no memory limit */
	ins = docker_container_inspect(dk, v[2].id, &e);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ins, "HostConfig"),
	    "Memory")), 0);
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
	if (sched_deploy(sc, &r, st, 1, &e) < 0)
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
check_failed_deploy_keeps(struct sched_release *r, const struct sched_scale *st, size_t nst)
{
	struct sched_container *before = NULL, *v = NULL;
	struct err e = { 0 };
	size_t nb, n;
	json_t *list;
	char lbl[128];

	sched_list(sc, app, false, &before, &nb);
	assert_int_equal(nb, 1);
	assert_int_equal(sched_deploy(sc, r, st, nst, &e), -1);
	assert_int_equal(e.code, 503);
	assert_string_equal(e.msg, "aborting, app containers failed to respond to health check");
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
	check_failed_deploy_keeps(&r, st, 2);
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
	check_failed_deploy_keeps(&r, st, 1);
	(void)keep;
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
	/* Dockerfile apps run through /bin/sh -c */
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
	if (sched_deploy(sc, &r, st, 1, &e) < 0)
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

static void
test_crash_event_and_reconcile(void **state)
{
	struct sched_container *v = NULL, *w = NULL;
	struct err e = { 0 };
	int before = crashes_seen, tries;
	size_t n, i;

	SKIP_IF_NO_DOCKER();
	sched_list(sc, app, false, &v, &n);
	assert_int_equal(n, 2);
	/* killed from outside: Docker does not restart it (manual stop), the table says crashed */
	assert_int_equal(docker_container_kill(dk, v[0].id, "KILL", &e), 0);
	for (tries = 0; tries < 50; tries++) {
		struct sched_container c;

		if (sched_get(sc, app, v[0].type, v[0].num, &c) == 0 && c.state == SCHED_CRASHED)
			break;
		usleep(100 * 1000);
	}
	assert_true(tries < 50);
	assert_true(crashes_seen > before);
	/* a fresh scheduler rebuilds the same table from one listing */
	sched_free(sc);
	sc = sched_make(15000);
	sched_list(sc, app, false, &w, &n);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_string_equal(w[i].id, v[i].id);
		assert_string_equal(w[i].name, v[i].name);
		assert_int_equal(w[i].release, v[i].release);
	}
	assert_int_equal(w[0].state, SCHED_CRASHED);
	assert_int_equal(w[0].exit_code, 137);
	assert_int_equal(w[1].state, SCHED_UP);
	free(v);
	free(w);
}

/*
 * A unix-socket relay in front of dockerd that can be cut, to break the
 * scheduler's event stream the way an engine restart does.
 */
static struct relay {
	char path[108];
	int lfd;
	pthread_t thr;
	pthread_mutex_t mu;
	int fds[64];
	size_t nfds;
	int active;		/* connections being relayed now */
} relay = { .mu = PTHREAD_MUTEX_INITIALIZER, .lfd = -1 };

static void *
relay_pump(void *arg)
{
	int *pair = arg, a = pair[0], b = pair[1];
	struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
	char buf[16384];
	ssize_t n;
	int i;

	free(pair);
	for (;;) {
		if (poll(p, 2, -1) < 0)
			break;
		for (i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0 || write(p[1 - i].fd, buf, (size_t)n) != n)
				goto out;
		}
	}
out:
	__atomic_sub_fetch(&relay.active, 1, __ATOMIC_SEQ_CST);
	shutdown(a, SHUT_RDWR);
	shutdown(b, SHUT_RDWR);
	close(a);
	close(b);
	return NULL;
}

static void *
relay_accept(void *arg)
{
	struct sockaddr_un up = { .sun_family = AF_UNIX, .sun_path = DOCKER_SOCK_DEFAULT };
	pthread_t t;
	int c, u, *pair;

	while ((c = accept4(relay.lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (u < 0 || connect(u, (struct sockaddr *)&up, sizeof(up)) < 0) {
			close(c);
			if (u >= 0)
				close(u);
			continue;
		}
		pthread_mutex_lock(&relay.mu);
		if (relay.nfds < ARRAY_SIZE(relay.fds))
			relay.fds[relay.nfds++] = c;
		pthread_mutex_unlock(&relay.mu);
		__atomic_add_fetch(&relay.active, 1, __ATOMIC_SEQ_CST);
		pair = xmalloc(2 * sizeof(int));
		pair[0] = c, pair[1] = u;
		pthread_create(&t, NULL, relay_pump, pair);
		pthread_detach(t);
	}
	return NULL;
}

static void
relay_up(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strlcpy(sun.sun_path, relay.path, sizeof(sun.sun_path));
	unlink(relay.path);
	relay.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(relay.lfd >= 0);
	assert_int_equal(bind(relay.lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(relay.lfd, 16), 0);
	pthread_create(&relay.thr, NULL, relay_accept, NULL);
}

/* Stop accepting and break every relayed connection. */
static void
relay_cut(void)
{
	size_t i;

	shutdown(relay.lfd, SHUT_RDWR);
	pthread_join(relay.thr, NULL);
	close(relay.lfd);
	unlink(relay.path);
	pthread_mutex_lock(&relay.mu);
	for (i = 0; i < relay.nfds; i++)
		shutdown(relay.fds[i], SHUT_RDWR);	/* the pump closes it */
	relay.nfds = 0;
	pthread_mutex_unlock(&relay.mu);
}

/* The event stream breaks; what happened meanwhile shows once the engine is back. */
static void
test_event_stream_break(void **state)
{
	struct sched_config cfg = { .platform = platform, .boot_timeout_ms = 15000 };
	struct sched_container *v = NULL, c;
	struct sched *s2;
	struct err e = { 0 };
	size_t n;
	int tries;

	SKIP_IF_NO_DOCKER();
	snprintf(relay.path, sizeof(relay.path), "/tmp/deis-sched-relay.%ld.sock", (long)getpid());
	relay_up();
	cfg.docker_sock = relay.path;
	s2 = sched_new(&cfg, &e);
	assert_non_null(s2);
	if (sched_start(s2, &e) < 0)
		fail_msg("start through the relay: %s", e.msg);
	sched_list(s2, app, false, &v, &n);
	assert_int_equal(n, 2);
	assert_int_equal(v[1].state, SCHED_UP);
	/* the event stream is the one connection that stays */
	for (tries = 0; tries < 50; tries++) {
		usleep(100 * 1000);
		if (tries >= 5 && __atomic_load_n(&relay.active, __ATOMIC_SEQ_CST) == 1)
			break;
	}
	assert_true(tries < 50);
	relay_cut();
	/* away: listing still answers from the table */
	assert_int_equal(docker_container_kill(dk, v[1].id, "KILL", &e), 0);
	usleep(1500 * 1000);
	assert_int_equal(sched_get(s2, app, v[1].type, v[1].num, &c), 0);
	relay_up();
	for (tries = 0; tries < 150; tries++) {
		if (sched_get(s2, app, v[1].type, v[1].num, &c) == 0 && c.state == SCHED_CRASHED)
			break;
		usleep(100 * 1000);
	}
	assert_true(tries < 150);
	sched_free(s2);
	relay_cut();
	free(v);
}

static int
port_free(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
docker_cli(const char *a, const char *b, const char *c)
{
	const char *argv[] = { "docker", a, b, c, NULL };
	struct buf out = BUF_INIT;
	struct err e;
	int status = -1;

	if (run_capture(argv, NULL, NULL, NULL, 0, &out, &out, 120000, &status, &e) < 0)
		status = -1;
	if (status != 0)
		fprintf(stderr, "# docker %s %s: %s\n", a, b, out.p);
	buf_release(&out);
	return status;
}

/* The image is pulled from a loopback registry when it is not present. */
static void
test_pull_from_registry(void **state)
{
	char dir[] = "/tmp/deis-sched-reg.XXXXXX", conf[256], ref[128], *yml;
	const char *argv[] = { "docker-registry", "serve", conf, NULL };
	struct run reg = { .argv = argv, .out = RUN_NULL, .err = RUN_NULL };
	struct sched_release r = rel_make(5, NULL, 0);
	struct sched_scale st[] = { { "web", 1 } };
	struct sched_container *v = NULL;
	struct err e = { 0 };
	int port, status, i;
	FILE *f;

	SKIP_IF_NO_DOCKER();
	if (access("/usr/bin/docker-registry", X_OK) != 0) {
		fprintf(stderr, "# SKIP pull test: no docker-registry\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	port = port_free();
	assert_true(port > 0);
	snprintf(conf, sizeof(conf), "%s/config.yml", dir);
	yml = xasprintf("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n"
	    "http:\n  addr: 127.0.0.1:%d\n", dir, port);
	f = fopen(conf, "we");
	assert_non_null(f);
	fputs(yml, f);
	fclose(f);
	free(yml);
	assert_int_equal(run_start(&reg, &e), 0);
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/%s:v5", port, app);
	for (i = 0; i < 50; i++) {
		char url[64];

		snprintf(url, sizeof(url), "127.0.0.1:%d", port);
		if (http_status(url, "/v2/") == 200)
			break;
		usleep(100 * 1000);
	}
	assert_true(i < 50);
	assert_int_equal(docker_cli("tag", IMAGE, ref), 0);
	assert_int_equal(docker_cli("push", ref, NULL), 0);
	assert_int_equal(docker_cli("rmi", ref, NULL), 0);
	assert_int_equal(docker_image_present(dk, ref, &e), -1);
	r.image = ref;
	if (sched_deploy(sc, &r, st, 1, &e) < 0)
		fail_msg("deploy from registry: %s", e.msg);
	assert_int_equal(docker_image_present(dk, ref, &e), 0);
	assert_int_equal(wait_state(SCHED_UP, 1, &v), 1);
	assert_int_equal(v[0].release, 5);
	free(v);
	docker_cli("rmi", ref, NULL);	/* untag; the running container keeps the image */
	/* a reference the registry does not have: 503, the running release stays */
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/%s:nope", port, app);
	r.version = 6;
	assert_int_equal(sched_deploy(sc, &r, st, 1, &e), -1);
	assert_int_equal(e.code, 503);
	assert_true(strstr(e.msg, "cannot pull image") != NULL);
	assert_int_equal(wait_state(SCHED_UP, 1, &v), 1);
	assert_int_equal(v[0].release, 5);
	free(v);
	run_kill(&reg, SIGTERM);
	run_wait(&reg, 5000, &status, &e);
	{
		const char *rm[] = { "rm", "-rf", dir, NULL };

		run_capture(rm, NULL, NULL, NULL, 0, NULL, NULL, 10000, &status, &e);
	}
}

static void
test_destroy(void **state)
{
	struct sched_container *v = NULL;
	struct err e = { 0 };
	json_t *list;
	size_t n, i;
	json_t *c;

	SKIP_IF_NO_DOCKER();
	assert_int_equal(sched_destroy(sc, app, &e), 0);
	sched_list(sc, app, true, &v, &n);
	assert_int_equal(n, 0);
	free(v);
	list = docker_container_list(dk, label, &e);
	json_array_foreach(list, i, c)
		assert_string_not_equal(json_string_value(json_object_get(json_object_get(c,
		    "Labels"), "sh.deis.app")), app);
	json_decref(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deploy_first),
		cmocka_unit_test(test_deploy_replaces),
		cmocka_unit_test(test_deploy_crashing_keeps_old),
		cmocka_unit_test(test_deploy_healthcheck_keeps_old),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_scale_concurrent),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_run_timeout),
		cmocka_unit_test(test_redeploy_same_version),
		cmocka_unit_test(test_crash_event_and_reconcile),
		cmocka_unit_test(test_event_stream_break),
		cmocka_unit_test(test_pull_from_registry),
		cmocka_unit_test(test_destroy),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
