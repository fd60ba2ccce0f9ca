/*
 * install, uninstall, start, stop, restart, status, list, journal.
 *
 * Targets: "platform" (every component, in the seed's order: store, logger,
 * logspout, database, registry, controller, builder, publisher, router) or
 * component names ("router@1" is the router). Every command is idempotent:
 * install and start converge the containers to their spec; stop and uninstall
 * of what is not there succeed.
 *
 * A component whose program is not in the platform image (not built in this
 * tree yet) is reported as missing and skipped: nothing is faked.
 *
 * With platform mode=swarm each command hands its targets to swarm.c, which
 * runs the components as Swarm services instead of containers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/docker.h"
#include "lib/run.h"
#include "lib/xalloc.h"

#define MAX_COMPONENTS DCTL_MAX_COMPONENTS

/* Mark the selected components in sel[] (component order). -1 on an unknown name. */
static int
targets(int argc, char **argv, bool sel[MAX_COMPONENTS])
{
	size_t n, i;
	const struct component *all = dctl_component_all(&n);
	int k;

	memset(sel, 0, sizeof(bool) * MAX_COMPONENTS);
	if (argc < 1) {
		fprintf(stderr, "deisctl: no target: name 'platform' or components (");
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", all[i].name);
		fprintf(stderr, ")\n");
		return -1;
	}
	for (k = 0; k < argc; k++) {
		char name[64];
		const struct component *c;

		snprintf(name, sizeof(name), "%s", argv[k]);
		name[strcspn(name, "@")] = '\0';
		if (!strcmp(name, "platform")) {
			for (i = 0; i < n; i++)
				sel[i] = true;
			continue;
		}
		c = dctl_component_find(name);
		if (!c) {
			fprintf(stderr, "deisctl: unknown target '%s'\n", argv[k]);
			return -1;
		}
		sel[c - all] = true;
	}
	return 0;
}

static bool
has_flag(int *argc, char **argv, const char *flag)
{
	int i, j;

	for (i = 0; i < *argc; i++)
		if (!strcmp(argv[i], flag)) {
			for (j = i; j + 1 < *argc; j++)
				argv[j] = argv[j + 1];
			(*argc)--;
			return true;
		}
	return false;
}

/*
 * A program of ours (deis-*) must be in the image; Debian's are always there,
 * but PostgreSQL only in an image built with WITH_POSTGRES=1.
 */
bool
dctl_platform_present(const struct component *c, const char *binaries)
{
	if (!strcmp(c->binary, "postgres"))
		return dctl_engine_has_binary(binaries, "postgresql");
	return strncmp(c->binary, "deis-", 5) != 0 || dctl_engine_has_binary(binaries, c->binary);
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* Poll url (as user:password when userpwd) until it answers 200 or timeout_ms passes. */
static int
http_wait(const char *what, const char *url, const char *userpwd, int timeout_ms, struct err *e)
{
	struct timespec t0, t;
	long code = 0;
	CURL *h = curl_easy_init();

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		curl_easy_reset(h);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
		if (userpwd)
			curl_easy_setopt(h, CURLOPT_USERPWD, userpwd);
		code = 0;
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms) {
			curl_easy_cleanup(h);
			return err_set(e, 1, "%s does not answer at '%s' (last status %ld)", what, url,
			    code);
		}
		usleep(250 * 1000);
	}
	curl_easy_cleanup(h);
	return 0;
}

/*
 * The builder's host directories, and its scripts and buildpacks copied out of
 * the image (once per image: the image id is stamped in builder-lib/.image).
 */
static int
builder_dirs(struct dctl *d, struct err *e)
{
	const char *image = dctl_component_image(d, dctl_component_find("builder"));
	char *st = dctl_state_path(d, "builder"), *lib = dctl_state_path(d, "builder-lib");
	char *dst = xasprintf("%s/", lib), *bind = xasprintf("%s:%s", lib, lib);
	char *stamp = xasprintf("%s/.image", lib), *id = NULL, have[128] = "";
	const char *argv[] = { "cp", "-a", "--", "/usr/lib/deis/builder/.", dst, NULL };
	const char *binds[] = { bind, NULL };
	FILE *f;
	int rc = 0;

	if ((mkdir(st, 0755) < 0 && access(st, F_OK) < 0) ||
	    (mkdir(lib, 0755) < 0 && access(lib, F_OK) < 0)) {
		rc = err_set(e, 1, "cannot create '%s' and '%s'", st, lib);
		goto out;
	}
	id = dctl_engine_image_id(d, image, e);
	if (!id) {
		rc = -1;
		goto out;
	}
	if ((f = fopen(stamp, "re"))) {
		if (!fgets(have, sizeof(have), f))
			have[0] = '\0';
		fclose(f);
	}
	if (!strcmp(have, id))
		goto out;
	rc = dctl_engine_run_once(d, image, argv, binds, 60, e);
	if (rc == 0 && ((f = fopen(stamp, "we")) == NULL || fputs(id, f) < 0 || fclose(f) != 0))
		rc = err_set(e, 1, "cannot write '%s'", stamp);
out:
	free(st);
	free(lib);
	free(dst);
	free(bind);
	free(stamp);
	free(id);
	return rc;
}

/*
 * Everything start needs before containers: secrets, config, network,
 * volumes, the builder's files. Returns the image's binaries (caller owns).
 */
char *
dctl_platform_prepare(struct dctl *d, const bool *sel, struct err *e)
{
	size_t n;
	const struct component *all = dctl_component_all(&n);
	bool builder = sel[dctl_component_find("builder") - all];
	json_t *plat;
	char *bins;

	if (dctl_state_secrets(d, true, e) < 0)
		return NULL;
	plat = json_object_get(d->config, "platform");
	if (!plat) {
		plat = json_object();
		json_object_set_new(d->config, "platform", plat);
	}
	if (!json_object_get(plat, "domain"))
		json_object_set_new(plat, "domain", json_string("localhost"));
	if (dctl_state_save(d, e) < 0)
		return NULL;
	bins = dctl_engine_image_binaries(d, e);
	if (!bins)
		return NULL;
	if (dctl_engine_prepare(d, e) < 0 || (builder && builder_dirs(d, e) < 0) ||
	    (builder && dctl_buildnet_up(d, e) < 0)) {
		free(bins);
		return NULL;
	}
	return bins;
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

void
dctl_platform_say_missing(struct dctl *d, const struct component *c)
{
	if (!strcmp(c->binary, "postgres"))
		printf("%-10s missing: no PostgreSQL in the image '%s' (build it with "
		    "WITH_POSTGRES=1 images/platform/build)\n", c->name, dctl_component_image(d, c));
	else
		printf("%-10s missing: no '%s' in the image '%s' (not built in this tree yet)\n",
		    c->name, c->binary, dctl_component_image(d, c));
}

int
dctl_cmd_install(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS], created;
	const struct component *all;
	struct err e = { 0 };
	size_t n, i;
	char *bins;
	int rc = 0, r;

	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	if (dctl_swarm_mode(d))
		return dctl_swarm_install(d, sel);
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

/* Components with a readiness URL on the host. */
int
dctl_platform_ready(struct dctl *d, const struct component *c, struct err *e)
{
	char url[128];

	if (!strcmp(c->name, "controller")) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz",
		    dctl_state_port(d, "controllerPort", 8000));
		return http_wait("the controller", url, NULL, 60000, e);
	}
	if (!strcmp(c->name, "registry")) {
		char userpwd[DEISCTL_SECRET_LEN + 8];
		int rc;

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/v2/",
		    dctl_state_port(d, "registryPort", 5000));
		snprintf(userpwd, sizeof(userpwd), "deis:%s", d->registry_password);
		rc = http_wait("the registry", url, userpwd, 30000, e);
		explicit_bzero(userpwd, sizeof(userpwd));
		return rc;
	}
	return 0;
}

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

int
dctl_cmd_start(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS], created, up;
	struct cinfo ci;
	const struct component *all;
	struct err e = { 0 };
	size_t n, i;
	char *bins, *name;
	int rc = 0, r;

	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	all = dctl_component_all(&n);
	if (dctl_swarm_mode(d)) {
		rc = dctl_swarm_start(d, sel, false);
		if (rc == 0 && sel[dctl_component_find("controller") - all])
			dctl_admin_note(d);
		return rc;
	}
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
	/* A fresh platform: say how its first administrator is made. */
	if (rc == 0 && sel[dctl_component_find("controller") - all])
		dctl_admin_note(d);
	return rc;
}

int
dctl_cmd_stop(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS];
	const struct component *all;
	struct err e = { 0 };
	struct cinfo ci;
	size_t n, i;
	int rc = 0;

	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	if (dctl_swarm_mode(d))
		return dctl_swarm_remove(d, sel, true);
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

int
dctl_cmd_restart(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS];
	const struct component *all;
	struct err e = { 0 };
	size_t n;
	int rc;

	/* On a swarm a restart is an update: Swarm replaces the tasks one by one. */
	if (dctl_swarm_mode(d))
		return targets(argc - 1, argv + 1, sel) < 0 ? 2 : dctl_swarm_start(d, sel, true);
	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	/* A store the new registry could not use: refuse before stopping anything. */
	all = dctl_component_all(&n);
	if (sel[dctl_component_find("registry") - all] && dctl_store_check(d, &e) < 0) {
		fprintf(stderr, "deisctl: registry: %s\ndeisctl: restart refused: nothing was "
		    "stopped, the running registry is left as it was\n", e.msg);
		return 1;
	}
	rc = dctl_cmd_stop(d, argc, argv);
	return rc == 2 ? rc : dctl_cmd_start(d, argc, argv) | rc;
}

int
dctl_cmd_uninstall(struct dctl *d, int argc, char **argv)
{
	static const char *const vols[] = { "logger", "database", "registry", "logspout", "router" };
	bool sel[MAX_COMPONENTS], purge = has_flag(&argc, argv, "--purge"), all_sel = true;
	const struct component *all;
	struct err e = { 0 };
	size_t n, i;
	int rc = 0;

	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	/* mode=swarm: the services first; the volumes, network and state dir as on one host */
	if (dctl_swarm_mode(d))
		rc = dctl_swarm_remove(d, sel, false);
	all = dctl_component_all(&n);
	for (i = n; i-- > 0;) {
		char *name;

		if (!sel[i])
			all_sel = false;
		if (!sel[i] || !all[i].binary)
			continue;
		name = dctl_component_container(d, &all[i]);
		if (dctl_engine_remove(d, name, &e) < 0) {
			fprintf(stderr, "deisctl: %s: %s\n", all[i].name, e.msg);
			rc = 1;
		}
		free(name);
	}
	if (!all_sel)
		return rc;
	if (dctl_engine_network_remove(d, d->prefix, &e) < 0 || dctl_buildnet_down(d, &e) < 0) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		rc = 1;
	}
	if (!purge) {
		printf("platform uninstalled; data kept (volumes %s-*, '%s'): "
		    "'deisctl uninstall --purge platform' removes it\n", d->prefix, d->state_dir);
		return rc;
	}
	if (dctl_engine_app_networks_remove(d, &e) < 0)
		fprintf(stderr, "deisctl: warning: %s\n", e.msg);
	for (i = 0; i < ARRAY_SIZE(vols); i++) {
		char *path = xasprintf("/volumes/%s-%s", d->prefix, vols[i]);
		json_t *r = docker_call(d->docker, "DELETE", path, NULL, 30000,
		    (const int[]){ 404, 0 }, NULL, "remove volume", &e);

		if (!r) {
			fprintf(stderr, "deisctl: %s\n", e.msg);
			rc = 1;
		}
		json_decref(r);
		free(path);
	}
	{
		const char *rm[] = { "rm", "-rf", "--", d->state_dir, NULL };
		int status = 1;

		if (run_capture(rm, NULL, NULL, NULL, 0, NULL, NULL, 60000, &status, &e) < 0 ||
		    status != 0) {
			fprintf(stderr, "deisctl: cannot remove '%s'\n", d->state_dir);
			rc = 1;
		}
	}
	printf("platform uninstalled and its data removed\n");
	return rc;
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
report(struct dctl *d, int argc, char **argv, bool verbose)
{
	bool sel[MAX_COMPONENTS];
	const struct component *all;
	struct err e = { 0 };
	struct cinfo ci;
	size_t n, i;
	char *bins;
	int rc = 0;

	if (argc < 2) {
		static char plat[] = "platform";
		static char *def[] = { NULL, plat };

		argv = def;
		argc = 2;
	}
	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	if (dctl_swarm_mode(d))
		return dctl_swarm_report(d, sel, verbose);
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

int
dctl_cmd_status(struct dctl *d, int argc, char **argv)
{
	return report(d, argc, argv, true);
}

int
dctl_cmd_list(struct dctl *d, int argc, char **argv)
{
	return report(d, argc, argv, false);
}

int
dctl_cmd_journal(struct dctl *d, int argc, char **argv)
{
	bool sel[MAX_COMPONENTS];
	const struct component *all;
	struct err e = { 0 };
	size_t n, i;
	int rc = 0, lines = 200, k;

	for (k = 1; k < argc; k++) {
		if (!strncmp(argv[k], "--lines=", 8)) {
			const char *errstr = NULL;

			lines = (int)strtonum(argv[k] + 8, 1, 1000000, &errstr);
			if (errstr) {
				fprintf(stderr, "deisctl: --lines '%s' is %s\n", argv[k] + 8, errstr);
				return 2;
			}
			memmove(&argv[k], &argv[k + 1], sizeof(char *) * (size_t)(argc - k));
			argc--;
			k--;
		}
	}
	if (targets(argc - 1, argv + 1, sel) < 0)
		return 2;
	if (dctl_swarm_mode(d))
		return dctl_swarm_journal(d, sel, lines);
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
		}
		fflush(stdout);
		free(name);
	}
	return rc;
}
