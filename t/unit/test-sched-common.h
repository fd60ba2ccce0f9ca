#ifndef T_UNIT_TEST_SCHED_COMMON_H
#define T_UNIT_TEST_SCHED_COMMON_H
/*
 * Shared by the scheduler tests that run against the real dockerd
 * (test-sched-docker.c, test-sched-docker-events.c): the test image, a
 * scheduler on a platform id of its own, cleanup by label at exit, and small
 * probes. Each test binary includes it once.
 *
 * The app image comes from t/helper/sched-image (busybox-static in a scratch
 * image). Every container made here carries sh.deis.platform=<unique id> and
 * is removed at exit by that label. Skipped (with a message) when no daemon
 * answers or DEIS_TEST_NO_DOCKER is set.
 */
#pragma GCC diagnostic ignored "-Wunused-function"

#include <errno.h>
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


#define IMAGE "deis-test/sched:2"

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

/*
 * The record of what the scheduler created, as the controller keeps it in its
 * database (controller/scheduled.c): a scheduler made again (a controller
 * restart) is told these ids, else it would see the earlier one's containers
 * as foreign.
 */
static pthread_mutex_t rec_mu = PTHREAD_MUTEX_INITIALIZER;
static char rec[1024][SCHED_ID_MAX];
static size_t nrec;

static int
on_own(const struct sched_container *c, bool own, void *arg)
{
	size_t i;

	pthread_mutex_lock(&rec_mu);
	for (i = 0; i < nrec && strcmp(rec[i], c->id) != 0; i++)
		;
	if (own && i == nrec && nrec < ARRAY_SIZE(rec))
		strlcpy(rec[nrec++], c->id, sizeof(rec[0]));
	else if (!own && i < nrec)
		memcpy(rec[i], rec[--nrec], sizeof(rec[0]));
	pthread_mutex_unlock(&rec_mu);
	return 0;
}

static bool
rec_has(const char *id)
{
	size_t i;
	bool r = false;

	pthread_mutex_lock(&rec_mu);
	for (i = 0; i < nrec && !r; i++)
		r = strcmp(rec[i], id) == 0;
	pthread_mutex_unlock(&rec_mu);
	return r;
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
	sched_on_own(s, on_own, NULL);
	pthread_mutex_lock(&rec_mu);
	for (size_t i = 0; i < nrec; i++)
		sched_own(s, rec[i]);
	pthread_mutex_unlock(&rec_mu);
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

/* Containers of earlier runs that died before their cleanup (label test-<pid>-<time>). */
static void
sweep_dead_runs(void)
{
	struct err e;
	json_t *list, *c;
	const char *p;
	char *end;
	long pid;
	size_t i;

	list = docker_container_list(dk, "sh.deis.platform", &e);
	json_array_foreach(list, i, c) {
		p = json_string_value(json_object_get(json_object_get(c, "Labels"),
		    "sh.deis.platform"));
		if (p == NULL || strncmp(p, "test-", 5) != 0)
			continue;
		pid = strtol(p + 5, &end, 10);
		if (*end != '-' || pid <= 1 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		docker_container_remove(dk, json_string_value(json_object_get(c, "Id")), true, &e);
	}
	json_decref(list);
}

static int
group_setup(void **state)
{
	const char *top = getenv("TOP");
	char helper[4096];
	const char *argv[] = { helper, IMAGE, NULL };
	struct buf out = BUF_INIT;
	struct err e = { 0 };
	int status = -1;

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
	snprintf(helper, sizeof(helper), "%s/t/helper/sched-image", top ? top : ".");
	if (run_capture(argv, NULL, NULL, NULL, 0, &out, &out, 120000, &status, &e) < 0) {
		fprintf(stderr, "sched-image: %s\n", e.msg);
		buf_release(&out);
		return -1;
	}
	if (status == 77) {
		fprintf(stderr, "# SKIP scheduler docker tests: %s", out.p);
		buf_release(&out);
		skipped = 1;
		return 0;
	}
	if (status != 0) {
		fprintf(stderr, "sched-image failed (status %d): %s\n", status, out.p);
		buf_release(&out);
		return -1;
	}
	buf_release(&out);
	sweep_dead_runs();
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

/* Last test of each docker suite: destroy leaves nothing of the app, in the table or the engine. */
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

#endif
