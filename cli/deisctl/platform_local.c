/*
 * The platform on one host (platform mode=host, the default): each component
 * a container <prefix>-<component> on the local engine, converged to its spec
 * (component.c's create body, kept when its sh.deis.spec digest is the same),
 * on the platform network, restart policy unless-stopped, and the supervisor
 * (supervise.c) starting again what stops behind deisctl's back. The
 * operations of struct platform_ops; cmd_platform.c parses the commands.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/deisctl/deisctl.h"
#include "lib/xalloc.h"

/*
 * On one host the router binds its ports on the host's network, with
 * SO_REUSEPORT (its workers share them): a second router given the same port
 * would share its connections without a word, where Docker refused a port
 * already published. So before the router starts, each of its ports must be
 * free on this host (deisctl runs on the engine's host, as the router's
 * certificate directory already assumes). SO_REUSEADDR: connections of a
 * router just stopped, in TIME_WAIT, do not count; a listener does.
 */
static int
router_ports_free(struct dctl *d, struct err *e)
{
	static const struct { const char *key; int def; } ports[] = {
		{ "httpPort", 80 }, { "httpsPort", 443 }, { "sshPort", 2222 }, { "healthPort", 9090 },
	};
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	size_t i;
	int fd, one = 1, port, busy;

	for (i = 0; i < ARRAY_SIZE(ports); i++) {
		if (!strcmp(ports[i].key, "healthPort") &&
		    !dctl_state_get(d, "platform", "healthPort", NULL))
			continue;
		port = dctl_state_port(d, ports[i].key, ports[i].def);
		a.sin_port = htons((uint16_t)port);
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return err_set(e, 1, "cannot open a socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		busy = bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EADDRINUSE;
		close(fd);
		if (busy)
			return err_set(e, 1, "port %d (%s) is in use on this host: the router binds it "
			    "itself; stop what listens there or 'deisctl config platform set %s=<port>'",
			    port, ports[i].key, ports[i].key);
	}
	return 0;
}

/* Create (or keep) the container of c; 1 when missing from the image, 0 done, -1 error. */
static int
converge(struct dctl *d, const struct component *c, const char *bins, bool *created,
    struct err *e)
{
	char *name;
	json_t *body;
	int rc;

	if (!dctl_platform_present(c, bins))
		return 1;
	body = dctl_component_body(d, c, e);
	if (!body)
		return -1;
	name = dctl_component_container(d, c);
	rc = dctl_engine_ensure(d, name, body, created, e);
	/*
	 * App containers live on a network per app (the scheduler makes them and
	 * connects these two to each new one; here the ones made before this
	 * container was) and, made before networks per app, on Docker's default
	 * bridge: the controller and the publisher probe them. The router, on the
	 * host's network, reaches them all without joining any (component.c).
	 */
	if (rc == 0 && (!strcmp(c->name, "controller") || !strcmp(c->name, "publisher")))
		rc = dctl_engine_connect(d, name, "bridge", e) < 0 ? -1 :
		    dctl_engine_connect_apps(d, name, e);
	json_decref(body);
	free(name);
	return rc;
}

static int
local_install(struct dctl *d, const bool *sel)
{
	bool created;
	const struct component *all;
	struct err e = { 0 };
	size_t n, i;
	char *bins;
	int rc = 0, r;

	all = dctl_component_all(&n);
	bins = dctl_platform_prepare(d, sel, &e);
	if (!bins) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		const struct component *c = &all[i];

		if (!sel[i])
			continue;
		if (!dctl_component_runs(d, c)) {
			printf("%-10s %s\n", c->name, c->what);
			continue;
		}
		r = converge(d, c, bins, &created, &e);
		if (r == 1)
			dctl_platform_say_missing(d, c);
		else if (r < 0) {
			fprintf(stderr, "deisctl: %s: %s\n", c->name, e.msg);
			rc = 1;
		} else
			printf("%-10s %s\n", c->name, created ? "installed" : "installed (unchanged)");
	}
	free(bins);
	return rc;
}

static int
local_start(struct dctl *d, const bool *sel)
{
	bool created, up;
	struct cinfo ci;
	const struct component *all;
	struct err e = { 0 };
	size_t n, i;
	char *bins, *name;
	int rc = 0, r;

	all = dctl_component_all(&n);
	bins = dctl_platform_prepare(d, sel, &e);
	if (!bins) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		const struct component *c = &all[i];

		if (!sel[i] || !dctl_component_runs(d, c))
			continue;
		r = converge(d, c, bins, &created, &e);
		if (r == 1) {
			dctl_platform_say_missing(d, c);
			continue;
		}
		name = dctl_component_container(d, c);
		/* Already up with this very spec: nothing to start or to wait for. */
		if (r == 0 && !created && dctl_engine_inspect(d, name, &ci, &e) == 0 &&
		    ci.state == CS_RUNNING)
			up = true;
		else
			up = false;
		/* (before the supervisor may: a refused router stays stopped) */
		if (r == 0 && !up && !strcmp(c->name, "router"))
			r = router_ports_free(d, &e);
		/* the supervisor may start it again from now on */
		if (r == 0)
			r = dctl_mark_stopped(d, c->name, false, &e);
		if (r == 0 && !up)
			r = dctl_engine_start(d, name, &e);
		if (r == 0 && !up)
			r = dctl_engine_wait_up(d, name, 60000, 700, &e);
		if (r == 0)
			r = dctl_platform_ready(d, c, &e);
		if (r < 0) {
			fprintf(stderr, "deisctl: %s: %s\n", c->name, e.msg);
			rc = 1;
		} else {
			printf("%-10s running (%s)\n", c->name, name);
		}
		fflush(stdout);
		free(name);
	}
	free(bins);
	return rc;
}

static int
local_stop(struct dctl *d, const bool *sel)
{
	const struct component *all;
	struct err e = { 0 };
	struct cinfo ci;
	size_t n, i;
	int rc = 0;

	all = dctl_component_all(&n);
	for (i = n; i-- > 0;) {
		const struct component *c = &all[i];
		char *name;

		if (!sel[i] || !c->binary)
			continue;
		name = dctl_component_container(d, c);
		/* the supervisor leaves what deisctl stopped alone */
		if (dctl_mark_stopped(d, c->name, true, &e) < 0 ||
		    dctl_engine_inspect(d, name, &ci, &e) < 0 ||
		    (ci.state != CS_MISSING && dctl_engine_stop(d, name, 10, &e) < 0)) {
			fprintf(stderr, "deisctl: %s: %s\n", c->name, e.msg);
			rc = 1;
		} else if (ci.state != CS_MISSING) {
			printf("%-10s stopped\n", c->name);
		}
		free(name);
	}
	return rc;
}

/* A stop and a start: the containers' ports are the host's, so two cannot overlap. */
static int
local_restart(struct dctl *d, const bool *sel)
{
	const struct component *all;
	struct err e = { 0 };
	size_t n;
	int rc;

	/* A store the new registry could not use: refuse before stopping anything. */
	all = dctl_component_all(&n);
	if (sel[dctl_component_find("registry") - all] && dctl_store_check(d, &e) < 0) {
		fprintf(stderr, "deisctl: registry: %s\ndeisctl: restart refused: nothing was "
		    "stopped, the running registry is left as it was\n", e.msg);
		return 1;
	}
	rc = local_stop(d, sel);
	return local_start(d, sel) | rc;
}

/*
 * The router's listeners are the host's ports, so one router container serves
 * them; more workers (SO_REUSEPORT) are the one-host form of the router mesh.
 */
static int
local_scale(struct dctl *d, long long workers)
{
	bool sel[DCTL_MAX_COMPONENTS] = { false };
	size_t n;

	sel[dctl_component_find("router") - dctl_component_all(&n)] = true;
	printf("router: %lld worker(s) on this host\n", workers);
	return local_restart(d, sel);
}

static const char *
cstate_name(enum cstate s)
{
	switch (s) {
	case CS_MISSING: return "not installed";
	case CS_CREATED: return "installed, not started";
	case CS_RUNNING: return "running";
	case CS_RESTARTING: return "restarting";
	case CS_EXITED: return "stopped";
	}
	return "?";
}

/* status and list: one line per component; exit 3 when something present is not running. */
static int
local_status(struct dctl *d, const bool *sel, bool verbose)
{
	const struct component *all;
	struct err e = { 0 };
	struct cinfo ci;
	size_t n, i;
	char *bins;
	int rc = 0;

	all = dctl_component_all(&n);
	bins = dctl_engine_image_binaries(d, &e);
	if (!bins)
		printf("image      %s\n", e.msg);
	if (!verbose)
		printf("%-10s %-20s %s\n", "COMPONENT", "CONTAINER", "STATE");
	for (i = 0; i < n; i++) {
		const struct component *c = &all[i];
		char *name;

		if (!sel[i])
			continue;
		if (!dctl_component_runs(d, c)) {
			if (verbose)
				printf("%-10s %s\n", c->name, c->what);
			continue;
		}
		if (bins && !dctl_platform_present(c, bins)) {
			if (verbose)
				dctl_platform_say_missing(d, c);
			else
				printf("%-10s %-20s missing (not built)\n", c->name, "-");
			continue;
		}
		name = dctl_component_container(d, c);
		if (dctl_engine_inspect(d, name, &ci, &e) < 0) {
			fprintf(stderr, "deisctl: %s\n", e.msg);
			free(name);
			free(bins);
			return 1;
		}
		if (ci.state != CS_RUNNING)
			rc = 3;
		if (!verbose) {
			printf("%-10s %-20s %s\n", c->name, name, cstate_name(ci.state));
		} else {
			printf("%-10s %s", c->name, cstate_name(ci.state));
			if (ci.state == CS_RUNNING)
				printf(" since %.19s", ci.started);
			if (ci.state == CS_EXITED)
				printf(" (exit %d)", ci.exit_code);
			if (ci.health[0])
				printf(", %s", ci.health);
			if (ci.restarts)
				printf(", %ld restarts", ci.restarts);
			printf(" [%s]\n", name);
		}
		free(name);
	}
	free(bins);
	return rc;
}

static int
local_journal(struct dctl *d, const bool *sel, int lines)
{
	const struct component *all;
	struct err e = { 0 };
	size_t n, i;
	int rc = 0;

	all = dctl_component_all(&n);
	for (i = 0; i < n; i++) {
		char *name;

		if (!sel[i] || !dctl_component_runs(d, &all[i]))
			continue;
		name = dctl_component_container(d, &all[i]);
		printf("-- %s --\n", name);
		fflush(stdout);
		if (dctl_engine_logs(d, name, lines, &e) < 0) {
			/* Not installed (or not built) is an answer, not a failure. */
			printf("(%s)\n", e.msg);
			if (e.code != 404)
				rc = 1;
		} else if (!strcmp(all[i].name, "router") && dctl_router_access_file(d) &&
		    dctl_router_access_tail(d, name, lines, &e) < 0) {
			printf("(access log: %s)\n", e.msg);
			if (e.code != 404 && e.code != 409)
				rc = 1;
		}
		fflush(stdout);
		free(name);
	}
	return rc;
}

/* The containers, last started first; cmd_platform.c removes the rest. */
static int
local_uninstall(struct dctl *d, const bool *sel)
{
	const struct component *all;
	struct err e = { 0 };
	size_t n, i;
	int rc = 0;

	all = dctl_component_all(&n);
	for (i = n; i-- > 0;) {
		char *name;

		if (!sel[i] || !all[i].binary)
			continue;
		name = dctl_component_container(d, &all[i]);
		if (dctl_engine_remove(d, name, &e) < 0) {
			fprintf(stderr, "deisctl: %s: %s\n", all[i].name, e.msg);
			rc = 1;
		}
		free(name);
	}
	return rc;
}

static char *
local_controller(struct dctl *d, struct err *e)
{
	return xasprintf("%s-controller", d->prefix);
}

const struct platform_ops dctl_platform_local = {
	.mode = "host",
	.install = local_install,
	.start = local_start,
	.stop = local_stop,
	.restart = local_restart,
	.status = local_status,
	.journal = local_journal,
	.scale = local_scale,
	.uninstall = local_uninstall,
	.controller = local_controller,
};
