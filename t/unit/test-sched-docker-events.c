/*
 * The scheduler's view of the world against the real dockerd (no fakes): a
 * container killed from outside shows `crashed` (and the callback hears of
 * it), a new scheduler rebuilds the same table from one listing, a broken
 * event stream (a relay in front of dockerd is cut) is followed by a listing
 * that recovers what happened meanwhile, images are pulled from a loopback
 * registry, destroy leaves nothing.
 */
#include "t/unit/test-sched-common.h"

/* Two web containers of v2 to watch. */
static void
test_setup_deploy(void **state)
{
	struct sched_release r = rel_make(2, NULL, 0);
	struct sched_scale st[] = { { "web", 2 } };
	struct sched_container *v = NULL;
	struct err e = { 0 };

	SKIP_IF_NO_DOCKER();
	if (sched_deploy(sc, &r, st, 1, NULL, &e) < 0)
		fail_msg("deploy: %s", e.msg);
	assert_int_equal(wait_state(SCHED_UP, 2, &v), 2);
	free(v);
}

/* A container with the platform's labels that the scheduler did not create (a build step's). */
static void
foreign_start(const char *name, char id[SCHED_ID_MAX])
{
	json_t *body = json_pack("{s:s, s:[s,s], s:[s], s:{s:s, s:s, s:s, s:s, s:s}}",
	    "Image", IMAGE, "Cmd", "start", "web", "Env", "PORT=5000",
	    "Labels", "sh.deis.platform", platform, "sh.deis.app", app, "sh.deis.type", "web",
	    "sh.deis.release", "v999999", "sh.deis.num", "1");
	struct err e = { 0 };

	if (docker_container_create(dk, name, body, id, &e) < 0 ||
	    docker_container_start(dk, id, &e) < 0)
		fail_msg("foreign container: %s", e.msg);
	json_decref(body);
}

/*
 * Labels are data anyone can write: a container the scheduler did not make is
 * not listed, found, counted or reported, now or after a restart; adoption (an
 * upgrade from a controller without the record) takes only unit names, which
 * a build step cannot choose.
 */
static void
test_foreign_labels(void **state)
{
	struct sched_container *v = NULL, c;
	struct err e = { 0 };
	char fid[SCHED_ID_MAX], named[SCHED_ID_MAX], name[128];
	int before = crashes_seen;
	size_t n, i, seen0 = seen_mark();

	SKIP_IF_NO_DOCKER();
	snprintf(name, sizeof(name), "hostile-%s", app);
	foreign_start(name, fid);
	usleep(1000 * 1000);
	sched_list(sc, app, true, &v, &n);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		assert_int_not_equal(v[i].release, 999999);
	free(v);
	assert_int_equal(sched_find(sc, fid, &c), -1);
	assert_false(sched_owns(sc, fid));
	assert_false(rec_has(fid));
	assert_int_equal(sched_get(sc, app, "web", 1, &c), 0);
	assert_string_not_equal(c.id, fid);
	assert_int_equal(sched_find(sc, c.id, &c), 0);	/* ours: found by its container */
	assert_int_equal(c.release, 2);
	/* its death is nobody's crash */
	assert_int_equal(docker_container_kill(dk, fid, "KILL", &e), 0);
	usleep(800 * 1000);
	assert_int_equal(crashes_seen, before);
	assert_true(seen_find(seen0, 999999, SCHED_CRASHED, SCHED_DOWN) < 0);
	assert_true(seen_find(seen0, 999999, SCHED_UP, SCHED_CREATED) < 0);
	/* a restarted controller does not take it either, nor one named by a user */
	snprintf(name, sizeof(name), "%s_v999999.web.1", app);
	foreign_start(name, named);
	sched_free(sc);
	sc = sched_make(15000);
	sched_list(sc, app, true, &v, &n);
	assert_int_equal(n, 2);
	free(v);
	assert_false(sched_owns(sc, fid));
	assert_false(sched_owns(sc, named));
	/* the upgrade path adopts the unit name only */
	n = sched_adopt_named(sc, &v);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, named);
	free(v);
	assert_false(sched_owns(sc, fid));
	assert_int_equal(docker_container_remove(dk, fid, true, &e), 0);
	assert_int_equal(docker_container_remove(dk, named, true, &e), 0);
	for (i = 0; i < 30 && sched_owns(sc, named); i++)
		usleep(100 * 1000);
	assert_false(sched_owns(sc, named));
}

/* The app dies on its own: `crashed`, then Docker's restart policy brings it back `up`. */
static void
test_crash_restarted_by_docker(void **state)
{
	struct sched_container *v = NULL, c;
	struct err e = { 0 };
	json_t *ins;
	size_t n, mark;
	long pid;
	int tries;

	SKIP_IF_NO_DOCKER();
	sched_list(sc, app, false, &v, &n);
	assert_int_equal(n, 2);
	ins = docker_container_inspect(dk, v[1].id, &e);
	assert_non_null(ins);
	pid = (long)json_integer_value(json_object_get(json_object_get(ins, "State"), "Pid"));
	json_decref(ins);
	assert_true(pid > 1);
	mark = seen_mark();
	/* SIGTERM to the container's init (docker-init), forwarded to httpd: exit 143 */
	assert_int_equal(kill((pid_t)pid, SIGTERM), 0);
	for (tries = 0; tries < 100; tries++) {
		if (seen_find_name(mark, v[1].name, false, SCHED_CRASHED, SCHED_CRASHED) >= 0 &&
		    sched_get(sc, app, v[1].type, v[1].num, &c) == 0 && c.state == SCHED_UP)
			break;
		usleep(100 * 1000);
	}
	assert_true(tries < 100);
	assert_string_equal(c.id, v[1].id);	/* the same container, restarted */
	assert_true(c.crashes >= 1);
	assert_int_equal(c.exit_code, 143);
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
	pthread_mutex_lock(&rec_mu);
	for (size_t i = 0; i < nrec; i++)
		sched_own(s2, rec[i]);
	pthread_mutex_unlock(&rec_mu);
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
	if (sched_deploy(sc, &r, st, 1, NULL, &e) < 0)
		fail_msg("deploy from registry: %s", e.msg);
	assert_int_equal(docker_image_present(dk, ref, &e), 0);
	assert_int_equal(wait_state(SCHED_UP, 1, &v), 1);
	assert_int_equal(v[0].release, 5);
	free(v);
	docker_cli("rmi", ref, NULL);	/* untag; the running container keeps the image */
	/* a reference the registry does not have: 503, the running release stays */
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/%s:nope", port, app);
	r.version = 6;
	assert_int_equal(sched_deploy(sc, &r, st, 1, NULL, &e), -1);
	assert_int_equal(e.code, 503);
	assert_true(strstr(e.msg, "aborting, docker: cannot pull '") == e.msg);
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


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_deploy),
		cmocka_unit_test(test_foreign_labels),
		cmocka_unit_test(test_crash_restarted_by_docker),
		cmocka_unit_test(test_crash_event_and_reconcile),
		cmocka_unit_test(test_event_stream_break),
		cmocka_unit_test(test_pull_from_registry),
		cmocka_unit_test(test_destroy),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
