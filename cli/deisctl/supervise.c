/*
 * The supervisor: on one host, the platform's component containers come back
 * by themselves whatever stopped them. Docker's restart policy brings back a
 * container whose process died, but not one stopped or killed through the
 * API (`docker kill`, `docker stop`): the router was then down until an
 * operator ran `deisctl start`. `deisctl supervise` (the `supervisor`
 * component, a container of its own with the Docker socket and the state dir
 * read-only) looks every 100 ms for the platform's exited component containers
 * and starts each again, unless `deisctl stop` stopped it: stop leaves a mark
 * (<state>/stopped/<component>) that start removes. On a swarm, Swarm restarts
 * tasks itself (restart condition any) and there is no supervisor.
 *
 * It does not supervise itself: Docker restarts it when its process dies, and
 * `deisctl status` shows it stopped otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/deisctl/deisctl.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

#define SUPERVISE_PERIOD_MS 100

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static char *
mark_path(const struct dctl *d, const char *component)
{
	char *rel = xasprintf("stopped/%s", component), *path = dctl_state_path(d, rel);

	free(rel);
	return path;
}

bool
dctl_stopped_by_operator(const struct dctl *d, const char *component)
{
	char *path = mark_path(d, component);
	bool marked = access(path, F_OK) == 0;

	free(path);
	return marked;
}

int
dctl_mark_stopped(const struct dctl *d, const char *component, bool stopped, struct err *e)
{
	char *dir = dctl_state_path(d, "stopped"), *path = mark_path(d, component);
	int rc = 0;
	FILE *f;

	if (stopped) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			rc = err_set(e, 1, "cannot create '%s': %s", dir, strerror(errno));
		else if ((f = fopen(path, "we")) == NULL)
			rc = err_set(e, 1, "cannot write '%s': %s", path, strerror(errno));
		else
			fclose(f);
	} else if (unlink(path) < 0 && errno != ENOENT) {
		rc = err_set(e, 1, "cannot remove '%s': %s", path, strerror(errno));
	}
	free(dir);
	free(path);
	return rc;
}

/* Start again each exited component container not stopped by deisctl. */
static void
supervise_once(struct dctl *d)
{
	char *label = xasprintf("sh.deis.instance=%s", d->prefix);
	struct err e = { 0 };
	json_t *list, *c;
	size_t i;

	list = docker_container_list(d->docker, label, &e);
	if (list == NULL) {
		fprintf(stderr, "deisctl: supervisor: %s\n", e.msg);
		goto out;
	}
	json_array_foreach(list, i, c) {
		json_t *labels = json_object_get(c, "Labels");
		const char *comp = json_string_value(json_object_get(labels, "sh.deis.component"));
		const char *id = json_string_value(json_object_get(c, "Id"));
		const char *state = json_string_value(json_object_get(c, "State"));
		const char *status = json_string_value(json_object_get(c, "Status"));

		if (!comp || !id || !state || strcmp(state, "exited") != 0 ||
		    !strcmp(comp, "supervisor") || dctl_stopped_by_operator(d, comp))
			continue;
		if (docker_container_start(d->docker, id, &e) < 0)
			fprintf(stderr, "deisctl: supervisor: cannot start %s again: %s\n", comp,
			    e.msg);
		else
			fprintf(stderr, "deisctl: supervisor: %s had stopped (%s); started again\n",
			    comp, status ? status : "exited");
	}
	json_decref(list);
out:
	free(label);
}

int
dctl_cmd_supervise(struct dctl *d, int argc, char **argv)
{
	struct timespec ts = { 0, SUPERVISE_PERIOD_MS * 1000000L };
	struct sigaction sa = { .sa_handler = on_term };

	if (argc != 1) {
		fprintf(stderr, "usage: deisctl supervise\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stderr, NULL, _IOLBF, 0);
	fprintf(stderr, "deisctl: supervisor: watching the components of '%s'\n", d->prefix);
	while (!stopping) {
		supervise_once(d);
		nanosleep(&ts, NULL);
	}
	return 0;
}
