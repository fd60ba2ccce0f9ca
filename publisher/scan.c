/* The routable endpoints of this host, from one container listing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/docker.h"
#include "lib/log.h"
#include "publisher/publisher.h"

#define APP_PORT 5000

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

json_t *
scan_endpoints(struct docker *d, const struct pub_config *cfg, struct err *e)
{
	char label[128];
	json_t *list, *c, *out;
	size_t i;

	if (cfg->platform)
		snprintf(label, sizeof(label), "sh.deis.platform=%s", cfg->platform);
	else
		snprintf(label, sizeof(label), "sh.deis.app");
	list = docker_container_list(d, label, e);
	if (list == NULL)
		return NULL;
	out = json_array();
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
		char addr[64], *hc;
		long release, n;

		if (!state || strcmp(state, "running") || !id || !app || !type || !rel || !num || !ip)
			continue;
		if (strcmp(type, "web") && strcmp(type, "cmd"))
			continue;	/* only web and cmd are routable (Deis) */
		release = strtol(rel[0] == 'v' ? rel + 1 : rel, NULL, 10);
		n = strtol(num, NULL, 10);
		if (release <= 0 || n <= 0)
			continue;
		if (!probe_tcp(ip, APP_PORT, cfg->probe_timeout_ms))
			continue;
		hc = healthcheck_url(d, id);
		if (hc && !probe_http(ip, APP_PORT, hc, cfg->probe_timeout_ms)) {
			log_debug("%s fails its health check '%s'", name ? name : id, hc);
			free(hc);
			continue;
		}
		free(hc);
		snprintf(addr, sizeof(addr), "%s:%d", ip, APP_PORT);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:i,s:s,s:i,s:s}", "container", id,
		    "name", name ? name + (name[0] == '/') : "", "app", app, "release", (int)release,
		    "type", type, "num", (int)n, "addr", addr));
	}
	json_decref(list);
	return out;
}
