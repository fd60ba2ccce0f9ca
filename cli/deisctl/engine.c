/*
 * What deisctl asks of the Docker engine: the platform network, named volumes,
 * and the components' containers. Containers carry the digest of their create
 * body in the label sh.deis.spec, so `start` keeps a container whose spec has
 * not changed (its state, restart count and logs survive) and replaces one
 * whose spec did (a new image, a config change).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/deisctl/deisctl.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

char *
dctl_engine_app_net(struct dctl *d, const char *network)
{
	struct err e = { 0 };
	char *path = xasprintf("/networks/%s", network);
	json_t *r = docker_call(d->docker, "GET", path, NULL, 30000, NULL, NULL,
	    "inspect network", &e), *cfg;
	const char *subnet, *gw;
	char *out = NULL;

	free(path);
	if (!r)
		return NULL;
	cfg = json_array_get(json_object_get(json_object_get(r, "IPAM"), "Config"), 0);
	subnet = json_string_value(json_object_get(cfg, "Subnet"));
	gw = json_string_value(json_object_get(cfg, "Gateway"));
	if (subnet && strchr(subnet, '.') && gw) {
		out = xasprintf("%s,%s", subnet, gw);
	} else if (subnet && strchr(subnet, '.')) {
		/* The bridge does not say: Docker gives it the subnet's first address. */
		struct in_addr in;
		char ip[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
		size_t n = strcspn(subnet, "/");

		if (n < sizeof(net)) {
			memcpy(net, subnet, n);
			net[n] = '\0';
			if (inet_pton(AF_INET, net, &in) == 1) {
				in.s_addr = htonl(ntohl(in.s_addr) + 1);
				inet_ntop(AF_INET, &in, ip, sizeof(ip));
				out = xasprintf("%s,%s", subnet, ip);
			}
		}
	}
	json_decref(r);
	return out;
}

int
dctl_engine_network(struct dctl *d, const char *name, json_t *options, struct err *e)
{
	char *path = xasprintf("/networks/%s", name);
	long status = 0;
	json_t *r, *body;

	r = docker_call(d->docker, "GET", path, NULL, 30000, (const int[]){ 404, 0 }, &status,
	    "inspect network", e);
	free(path);
	if (!r)
		return -1;
	json_decref(r);
	if (status != 404)
		return 0;
	body = json_pack("{s:s, s:s, s:b, s:{s:s}}", "Name", name, "Driver", "bridge",
	    "CheckDuplicate", 1, "Labels", "sh.deis.instance", d->prefix);
	if (options)
		json_object_set(body, "Options", options);
	r = docker_call(d->docker, "POST", "/networks/create", body, 30000,
	    (const int[]){ 409, 0 }, NULL, "create network", e);
	json_decref(body);
	if (!r)
		return -1;
	json_decref(r);
	return 0;
}

int
dctl_engine_prepare(struct dctl *d, struct err *e)
{
	static const char *const vols[] = { "logger", "database", "registry", "logspout", "router" };
	json_t *r, *body;
	size_t i;

	if (dctl_engine_network(d, d->prefix, NULL, e) < 0)
		return -1;
	dctl_bridges_pin(d);
	for (i = 0; i < ARRAY_SIZE(vols); i++) {
		char *name = xasprintf("%s-%s", d->prefix, vols[i]);

		body = json_pack("{s:s, s:{s:s}}", "Name", name, "Labels", "sh.deis.instance",
		    d->prefix);
		r = docker_call(d->docker, "POST", "/volumes/create", body, 30000, NULL, NULL,
		    "create volume", e);
		json_decref(body);
		free(name);
		if (!r)
			return -1;
		json_decref(r);
	}
	return 0;
}

int
dctl_engine_network_remove(struct dctl *d, const char *name, struct err *e)
{
	char *path = xasprintf("/networks/%s", name);
	json_t *r;

	r = docker_call(d->docker, "DELETE", path, NULL, 30000, (const int[]){ 404, 0 }, NULL,
	    "remove network", e);
	free(path);
	if (!r)
		return -1;
	json_decref(r);
	return 0;
}

/* GET /images/<ref>/json; NULL with e filled (404: "the <what> '<ref>' is missing"). */
static json_t *
image_inspect(struct dctl *d, const char *ref, const char *what, struct err *e)
{
	char *path = xasprintf("/images/%s/json", ref);
	long status = 0;
	json_t *r;

	r = docker_call(d->docker, "GET", path, NULL, 30000, (const int[]){ 404, 0 }, &status,
	    "inspect image", e);
	free(path);
	if (r && status == 404) {
		err_set(e, 404, "the %s '%s' is missing: run images/platform/build", what, ref);
		json_decref(r);
		r = NULL;
	}
	return r;
}

char *
dctl_engine_image_binaries(struct dctl *d, struct err *e)
{
	json_t *r = image_inspect(d, dctl_component_image(d, NULL), "platform image", e);
	const char *v;
	char *out;

	if (!r)
		return NULL;
	v = json_string_value(json_object_get(json_object_get(json_object_get(r, "Config"),
	    "Labels"), "sh.deis.binaries"));
	out = xstrdup(v ? v : "");
	json_decref(r);
	return out;
}

char *
dctl_engine_image_id(struct dctl *d, const char *ref, struct err *e)
{
	json_t *r = image_inspect(d, ref, "image", e);
	char *id;

	if (!r)
		return NULL;
	id = xstrdup(json_string_value(json_object_get(r, "Id")) ?: "");
	json_decref(r);
	return id;
}

bool
dctl_engine_has_binary(const char *binaries, const char *bin)
{
	size_t n = strlen(bin);
	const char *p = binaries;

	while (p && (p = strstr(p, bin))) {
		if ((p == binaries || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static void
copy_str(char *dst, size_t n, json_t *v)
{
	snprintf(dst, n, "%s", json_is_string(v) ? json_string_value(v) : "");
}

int
dctl_engine_inspect(struct dctl *d, const char *name, struct cinfo *ci, struct err *e)
{
	char *path = xasprintf("/containers/%s/json", name);
	long status = 0;
	json_t *r, *st;
	const char *s;

	memset(ci, 0, sizeof(*ci));
	r = docker_call(d->docker, "GET", path, NULL, 30000, (const int[]){ 404, 0 }, &status,
	    "inspect container", e);
	free(path);
	if (!r)
		return -1;
	if (status == 404) {
		json_decref(r);
		ci->state = CS_MISSING;
		return 0;
	}
	st = json_object_get(r, "State");
	copy_str(ci->id, sizeof(ci->id), json_object_get(r, "Id"));
	copy_str(ci->spec, sizeof(ci->spec), json_object_get(json_object_get(json_object_get(r,
	    "Config"), "Labels"), "sh.deis.spec"));
	copy_str(ci->status, sizeof(ci->status), json_object_get(st, "Status"));
	copy_str(ci->started, sizeof(ci->started), json_object_get(st, "StartedAt"));
	copy_str(ci->health, sizeof(ci->health), json_object_get(json_object_get(st, "Health"),
	    "Status"));
	ci->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	ci->restarts = (long)json_integer_value(json_object_get(r, "RestartCount"));
	s = ci->status;
	if (json_is_true(json_object_get(st, "Restarting")) || !strcmp(s, "restarting"))
		ci->state = CS_RESTARTING;
	else if (!strcmp(s, "running"))
		ci->state = CS_RUNNING;
	else if (!strcmp(s, "created"))
		ci->state = CS_CREATED;
	else
		ci->state = CS_EXITED;
	json_decref(r);
	return 0;
}

int
dctl_engine_remove(struct dctl *d, const char *name, struct err *e)
{
	return docker_container_remove(d->docker, name, true, e);
}

int
dctl_engine_ensure(struct dctl *d, const char *name, json_t *body, bool *created, struct err *e)
{
	const char *spec = json_string_value(json_object_get(json_object_get(body, "Labels"),
	    "sh.deis.spec"));
	char id[DOCKER_ID_MAX];
	struct cinfo ci;

	*created = false;
	if (dctl_engine_inspect(d, name, &ci, e) < 0)
		return -1;
	if (ci.state != CS_MISSING && spec && !strcmp(ci.spec, spec))
		return 0;
	if (ci.state != CS_MISSING) {
		if (ci.state == CS_RUNNING)
			docker_container_stop(d->docker, name, 10, e);
		if (dctl_engine_remove(d, name, e) < 0)
			return -1;
	}
	if (docker_container_create(d->docker, name, body, id, e) < 0) {
		if (e->code == 404)
			err_set(e, 404, "the image '%s' is missing: run images/platform/build",
			    json_string_value(json_object_get(body, "Image")));
		return -1;
	}
	*created = true;
	return 0;
}

int
dctl_engine_start(struct dctl *d, const char *name, struct err *e)
{
	return docker_container_start(d->docker, name, e);
}

int
dctl_engine_stop(struct dctl *d, const char *name, int timeout_s, struct err *e)
{
	return docker_container_stop(d->docker, name, timeout_s, e);
}

int
dctl_engine_connect(struct dctl *d, const char *name, const char *network, struct err *e)
{
	char *path = xasprintf("/networks/%s/connect", network);
	json_t *body = json_pack("{s:s}", "Container", name), *r;
	long status = 0;

	/* 403: already connected to it (Docker 20.10 answers so). */
	r = docker_call(d->docker, "POST", path, body, 30000, (const int[]){ 403, 409, 0 }, &status,
	    "connect network", e);
	json_decref(body);
	free(path);
	if (!r)
		return -1;
	json_decref(r);
	return 0;
}

/* The platform's app networks (labelled with it and with an app), or NULL. */
static json_t *
app_networks(struct dctl *d, struct err *e)
{
	char *label = xasprintf("sh.deis.platform=%s", d->prefix), *text, *esc, *path;
	json_t *f = json_pack("{s:[s,s]}", "label", "sh.deis.app", label), *nets;

	text = json_dumps(f, JSON_COMPACT);
	esc = curl_easy_escape(NULL, text, 0);
	path = xasprintf("/networks?filters=%s", esc ? esc : "");
	nets = docker_call(d->docker, "GET", path, NULL, 30000, NULL, NULL, "list networks", e);
	curl_free(esc);
	free(path);
	free(text);
	free(label);
	json_decref(f);
	return nets;
}

int
dctl_engine_app_networks_remove(struct dctl *d, struct err *e)
{
	json_t *nets = app_networks(d, e), *n;
	const char *name;
	size_t i;
	int rc = 0;

	if (nets == NULL)
		return -1;
	json_array_foreach(nets, i, n)
		if ((name = json_string_value(json_object_get(n, "Name"))) != NULL &&
		    dctl_engine_network_remove(d, name, e) < 0)
			rc = -1;	/* an app still runs on it: its containers were kept */
	json_decref(nets);
	return rc;
}

int
dctl_engine_connect_apps(struct dctl *d, const char *name, struct err *e)
{
	json_t *nets = app_networks(d, e), *n;
	size_t i;
	int rc = 0;

	if (nets == NULL)
		return -1;
	json_array_foreach(nets, i, n)
		if (rc == 0)
			rc = dctl_engine_connect(d, name, json_string_value(json_object_get(n, "Name")),
			    e);
	json_decref(nets);
	return rc;
}

int
dctl_engine_logs(struct dctl *d, const char *name, int tail, struct err *e)
{
	char *path = xasprintf("/containers/%s/logs?stdout=1&stderr=1&timestamps=1&tail=%d", name,
	    tail);
	struct buf raw = BUF_INIT, out = BUF_INIT;
	long status = 0;
	bool truncated = false;
	int rc = -1;

	if (docker_request(d->docker, "GET", path, NULL, 30000, &status, &raw, e) < 0)
		goto out;
	if (status == 404) {
		err_set(e, 404, "no container '%s': run 'deisctl install'", name);
		goto out;
	}
	if (status != 200) {
		err_set(e, (int)status, "cannot read the logs of '%s': %.200s", name, raw.p);
		goto out;
	}
	docker_demux(raw.p, raw.len, &out, 64u << 20, &truncated);
	fwrite(out.p, 1, out.len, stdout);
	rc = 0;
out:
	buf_release(&raw);
	buf_release(&out);
	free(path);
	return rc;
}

int
dctl_engine_run_once(struct dctl *d, const char *image, const char *const *argv,
    const char *const *binds, int timeout_s, struct err *e)
{
	json_t *cmd = json_array(), *bl = json_array(), *body;
	char id[DOCKER_ID_MAX], *name = xasprintf("%s-once-%ld", d->prefix, (long)getpid());
	int code = -1, rc = -1;
	size_t i;

	docker_container_remove(d->docker, name, true, &(struct err){ 0 });
	for (i = 0; argv[i]; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	for (i = 0; binds && binds[i]; i++)
		json_array_append_new(bl, json_string(binds[i]));
	body = json_pack("{s:s, s:o, s:{s:s}, s:{s:o, s:s}}", "Image", image, "Cmd", cmd,
	    "Labels", "sh.deis.instance", d->prefix, "HostConfig", "Binds", bl, "NetworkMode",
	    "none");
	if (docker_container_create(d->docker, name, body, id, e) < 0)
		goto out;
	if (docker_container_start(d->docker, id, e) < 0 ||
	    docker_container_wait(d->docker, id, (long)timeout_s * 1000, &code, e) < 0) {
		docker_container_remove(d->docker, id, true, &(struct err){ 0 });
		goto out;
	}
	if (code != 0) {
		struct buf out = BUF_INIT;

		docker_container_logs(d->docker, id, 400, &out, NULL, &(struct err){ 0 });
		err_set(e, 1, "'%s' exited with %d: %s", argv[0], code, out.p);
		buf_release(&out);
	} else {
		rc = 0;
	}
	docker_container_remove(d->docker, id, true, &(struct err){ 0 });
out:
	json_decref(body);
	free(name);
	return rc;
}

long long
dctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
dctl_engine_last_line(struct dctl *d, const char *container, struct buf *out)
{
	char *nl;

	/* Best effort: the logs only explain a failure already known. */
	docker_container_logs(d->docker, container, 600, out, NULL, &(struct err){ 0 });
	while (out->len && out->p[out->len - 1] == '\n')
		out->p[--out->len] = '\0';
	nl = out->len ? strrchr(out->p, '\n') : NULL;
	return nl ? nl + 1 : out->p;
}

int
dctl_engine_wait_up(struct dctl *d, const char *name, int timeout_ms, int settle_ms, struct err *e)
{
	long long deadline = dctl_now_ms() + timeout_ms, up_since = 0;
	struct cinfo ci;

	for (;;) {
		if (dctl_engine_inspect(d, name, &ci, e) < 0)
			return -1;
		if (ci.state == CS_RUNNING && strcmp(ci.health, "unhealthy") != 0) {
			if (!up_since)
				up_since = dctl_now_ms();
			if (dctl_now_ms() - up_since >= settle_ms &&
			    (!ci.health[0] || !strcmp(ci.health, "healthy")))
				return 0;
		} else {
			up_since = 0;
			if (ci.state == CS_MISSING)
				return err_set(e, 1, "container '%s' is gone", name);
			/* 100: a permanent configuration error (STYLE.md); restarts cannot help. */
			if ((ci.state == CS_RESTARTING || ci.state == CS_EXITED) && ci.exit_code == 100)
				break;
		}
		if (dctl_now_ms() >= deadline)
			break;
		usleep(200 * 1000);
	}
	{
		struct buf out = BUF_INIT;
		const char *last = dctl_engine_last_line(d, name, &out);

		if (ci.exit_code == 100)
			err_set(e, 1, "'%s' refuses its configuration (exit 100): %.200s", name, last);
		else
			err_set(e, 1, "'%s' is not up after %d s (%s, exit %d): %.180s", name,
			    timeout_ms / 1000, ci.status, ci.exit_code, out.p ? out.p : "");
		buf_release(&out);
		return -1;
	}
}

char *
dctl_engine_task(struct dctl *d, const char *service, struct err *e)
{
	char *label = xasprintf("com.docker.swarm.service.name=%s", service), *id = NULL;
	json_t *list = docker_container_list(d->docker, label, e);
	size_t i;

	for (i = 0; list && i < json_array_size(list) && !id; i++) {
		json_t *c = json_array_get(list, i);

		if (!strcmp(json_string_value(json_object_get(c, "State")) ?: "", "running"))
			id = xstrdup(json_string_value(json_object_get(c, "Id")) ?: "");
	}
	json_decref(list);
	free(label);
	return id;
}
