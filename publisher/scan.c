/* The routable endpoints of this host, from one container listing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/docker.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "publisher/publisher.h"

#define APP_PORT 5000	/* of containers made before the scheduler labelled their port */
#define BOOTING_S 120	/* how long a new container that does not answer is rescanned often */

/* The container's IP on its first network with one. */
static const char *
container_ip(json_t *c)
{
	json_t *nets = json_object_get(json_object_get(c, "NetworkSettings"), "Networks"), *n;
	const char *name, *ip;

	json_object_foreach(nets, name, n) {
		ip = json_string_value(json_object_get(n, "IPAddress"));
		if (ip && ip[0])
			return ip;
	}
	return NULL;
}

/*
 * This node's address in a swarm (Swarm.NodeAddr), or NULL when the engine is
 * not in one (caller frees). A Swarm task of the `swarm` scheduler driver
 * publishes its app's port in host mode: routers on other nodes reach it at
 * <node address>:<published port>, never at its bridge address.
 */
static char *
swarm_node_addr(struct docker *d)
{
	struct err e = { 0 };
	json_t *info = docker_call(d, "GET", "/info", NULL, 10000, NULL, NULL, "cannot read info", &e);
	json_t *sw = json_object_get(info, "Swarm");
	const char *st = json_string_value(json_object_get(sw, "LocalNodeState"));
	const char *addr = json_string_value(json_object_get(sw, "NodeAddr"));
	char *r = NULL;

	if (st && strcmp(st, "active") == 0 && addr && *addr && strcmp(addr, "0.0.0.0") != 0)
		r = strdup(addr);
	json_decref(info);
	return r;
}

/*
 * The app's port in the container: its sh.deis.port label (the scheduler's:
 * 5000, or the lowest TCP port the image exposes), APP_PORT without one.
 */
static int
app_port(json_t *labels)
{
	const char *v = json_string_value(json_object_get(labels, "sh.deis.port"));
	char *end;
	long n;

	if (v == NULL)
		return APP_PORT;
	n = strtol(v, &end, 10);
	return end != v && *end == '\0' && n > 0 && n < 65536 ? (int)n : 0;
}

/* The host port a Swarm task publishes port on (host mode), or 0. */
static int
task_published_port(json_t *c, int port)
{
	json_t *p;
	size_t i;

	if (json_object_get(json_object_get(c, "Labels"), "com.docker.swarm.task.id") == NULL)
		return 0;
	json_array_foreach(json_object_get(c, "Ports"), i, p) {
		json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
		const char *ip = json_string_value(json_object_get(p, "IP"));

		/* the IPv4 binding: the IPv6 one may have another port */
		if (json_integer_value(json_object_get(p, "PrivatePort")) == port &&
		    pub > 0 && pub < 65536 && !(ip && strchr(ip, ':')))
			return (int)pub;
	}
	return 0;
}

/*
 * A running container that does not answer yet counts as booting while it is
 * young: the next scan then comes soon, so a new release is routed as soon
 * as it answers, not at the next interval.
 */
static void
booting_one(json_t *c, time_t now, int *booting)
{
	json_int_t created = json_integer_value(json_object_get(c, "Created"));

	if (created > 0 && now - (time_t)created < BOOTING_S)
		(*booting)++;
}

/* HEALTHCHECK_URL from the container's environment, or NULL (caller frees). */
static char *
healthcheck_url(struct docker *d, const char *id)
{
	struct err e = { 0 };
	json_t *c = docker_container_inspect(d, id, &e), *env, *v;
	char *url = NULL;
	size_t i;

	if (c == NULL)
		return NULL;
	env = json_object_get(json_object_get(c, "Config"), "Env");
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);

		if (s && !strncmp(s, "HEALTHCHECK_URL=", 16) && s[16]) {
			url = strdup(s + 16);
			break;
		}
	}
	json_decref(c);
	return url;
}

/*
 * The containers the last scan reported. One that answered before and whose
 * probe now times out is busy, not dead (a saturated single-threaded server's
 * listen backlog drops SYNs): dropping it would move its load to the others
 * and, with every endpoint of an app busy, turn overload into an outage (seen:
 * a second container killed under load, the survivor unrouted, 503 H14 for
 * seconds). It stays routed; a refused connect or a stopped container ends it.
 */
static char (*reported)[65];
static size_t nreported;

static bool
was_reported(const char *id)
{
	size_t i;

	for (i = 0; i < nreported; i++)
		if (strcmp(reported[i], id) == 0)
			return true;
	return false;
}

/* Remember what out reports, for the next scan. */
static void
remember(json_t *out)
{
	json_t *ep;
	size_t i;

	free(reported);
	nreported = json_array_size(out);
	reported = xcalloc(nreported ? nreported : 1, sizeof(*reported));
	json_array_foreach(out, i, ep)
		strlcpy(reported[i], json_string_value(json_object_get(ep, "container")),
		    sizeof(reported[i]));
}

/* A probe's verdict: up, or busy after it answered before (then still up). */
static bool
probe_up(enum probe_res r, const char *id, const char *name, const char *what)
{
	if (r == PROBE_OK)
		return true;
	if (r == PROBE_BUSY && was_reported(id)) {
		log_info("%s does not answer %s within the probe's time: busy, kept", name, what);
		return true;
	}
	return false;
}

json_t *
scan_endpoints(struct docker *d, const struct pub_config *cfg, int *booting, struct err *e)
{
	time_t now = time(NULL);

	char label[128];
	json_t *list, *c, *out;
	char *node_addr;
	size_t i;

	if (cfg->platform)
		snprintf(label, sizeof(label), "sh.deis.platform=%s", cfg->platform);
	else
		snprintf(label, sizeof(label), "sh.deis.app");
	list = docker_container_list(d, label, e);
	if (list == NULL)
		return NULL;
	node_addr = swarm_node_addr(d);
	out = json_array();
	*booting = 0;
	json_array_foreach(list, i, c) {
		json_t *labels = json_object_get(c, "Labels"), *names = json_object_get(c, "Names");
		const char *state = json_string_value(json_object_get(c, "State"));
		const char *id = json_string_value(json_object_get(c, "Id"));
		const char *app = json_string_value(json_object_get(labels, "sh.deis.app"));
		const char *type = json_string_value(json_object_get(labels, "sh.deis.type"));
		const char *rel = json_string_value(json_object_get(labels, "sh.deis.release"));
		const char *num = json_string_value(json_object_get(labels, "sh.deis.num"));
		const char *name = json_string_value(json_array_get(names, 0));
		const char *ip = container_ip(c);
		int port = app_port(labels), pub = task_published_port(c, port);
		char addr[64], *hc;
		long release, n;

		if (port == 0)
			continue;	/* a label that is no port: not one of ours */
		if (pub && node_addr) {
			ip = node_addr;
			port = pub;
		}
		if (!state || strcmp(state, "running") || !id || !app || !type || !rel || !num || !ip)
			continue;
		if (strcmp(type, "web") && strcmp(type, "cmd"))
			continue;	/* only web and cmd are routable (Deis) */
		release = strtol(rel[0] == 'v' ? rel + 1 : rel, NULL, 10);
		n = strtol(num, NULL, 10);
		if (release <= 0 || n <= 0)
			continue;
		if (!probe_up(probe_tcp(ip, port, cfg->probe_timeout_ms), id, name ? name : id,
		    "a connection")) {
			booting_one(c, now, booting);
			continue;
		}
		hc = healthcheck_url(d, id);
		if (hc && !probe_up(probe_http(ip, port, hc, cfg->probe_timeout_ms), id,
		    name ? name : id, hc)) {
			log_debug("%s fails its health check '%s'", name ? name : id, hc);
			booting_one(c, now, booting);
			free(hc);
			continue;
		}
		free(hc);
		snprintf(addr, sizeof(addr), "%s:%d", ip, port);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:i,s:s,s:i,s:s}", "container", id,
		    "name", name ? name + (name[0] == '/') : "", "app", app, "release", (int)release,
		    "type", type, "num", (int)n, "addr", addr));
	}
	json_decref(list);
	free(node_addr);
	remember(out);
	return out;
}
