/*
 * What both platform modes share (platform_local.c, platform_swarm.c): the
 * preparation before any component starts (secrets, settings, the platform
 * network and volumes, the builder's files and sandbox network), whether the
 * image holds a component's program, the readiness of the controller and the
 * registry; the tail of the router's access log file (journal); and the choice
 * of the mode's operations (dctl_platform_ops()).
 * Nothing here knows containers from services.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

const struct platform_ops *
dctl_platform_ops(const struct dctl *d)
{
	return dctl_swarm_mode(d) ? &dctl_platform_swarm : &dctl_platform_local;
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
 * The router's access log is a file in its volume (not its output: see
 * router_settings.c), so a journal of the router reads its tail in the running
 * container: the rotated file's last lines, then the current one's, of which
 * the last `lines`.
 */
int
dctl_router_access_tail(struct dctl *d, const char *container, int lines, struct err *e)
{
	const char *file = dctl_router_access_file(d);
	char n[16];
	const char *argv[] = { "sh", "-c", "tail -q -n \"$1\" -- \"$2.1\" \"$2\" 2>/dev/null | "
	    "tail -n \"$1\"", "sh", n, file, NULL };
	struct buf out = BUF_INIT;
	int code = 0;

	snprintf(n, sizeof(n), "%d", lines);
	if (docker_exec(d->docker, container, argv, NULL, 30000, &out, &code, e) < 0)
		return -1;
	printf("-- %s access log (%s) --\n", container, file);
	fwrite(out.p ? out.p : "", 1, out.len, stdout);
	buf_release(&out);
	return 0;
}
