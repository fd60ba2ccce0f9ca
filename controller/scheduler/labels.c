/*
 * What every engine driver shares: the network rule for app containers, the
 * capabilities put back after dropping all, and the sh.deis.* labels that
 * name a unit on the engine (written at start, read back from listings and
 * events, so a controller restart finds its containers or services again),
 * and an image made present on an engine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/scheduler/driver.h"
#include "lib/docker.h"
#include "lib/log.h"

_Static_assert(SCHED_IMAGE_ID_MAX == DOCKER_IMAGE_ID_MAX, "one image id size");

struct docker *
sched_engine_open(const struct sched_config *cfg)
{
	struct docker *d = docker_new(cfg->docker_sock);

	if (cfg->registry && cfg->registry_user && cfg->registry_password)
		docker_set_registry_auth(d, cfg->registry, cfg->registry_user,
		    cfg->registry_password);
	return d;
}

int
sched_image_port(json_t *inspect)
{
	json_t *ports = json_object_get(json_object_get(inspect, "Config"), "ExposedPorts");
	const char *key;
	json_t *v;
	int best = 0;

	/* "80/tcp", "53/udp": the lowest TCP port, as Deis published */
	json_object_foreach(ports, key, v) {
		char *end;
		long n = strtol(key, &end, 10);

		if (end != key && n > 0 && n < 65536 && strcmp(end, "/tcp") == 0 &&
		    (best == 0 || n < best))
			best = (int)n;
	}
	return best ? best : SCHED_PORT;
}

int
sched_engine_image(struct docker *d, const char *image, char *id, int *port,
    struct err *e)
{
	struct err e2;
	json_t *ins;

	if ((ins = docker_image_inspect(d, image, &e2)) == NULL) {
		if (e2.code != 404) {
			*e = e2;
			return -1;
		}
		log_info("scheduler: pulling '%s'", image);
		if (docker_image_pull(d, image, 20 * 60 * 1000L, e) < 0 ||
		    (ins = docker_image_inspect(d, image, e)) == NULL)
			return -1;
	}
	if (id) {
		const char *v = json_string_value(json_object_get(ins, "Id"));

		if (v == NULL || strlen(v) >= SCHED_IMAGE_ID_MAX) {
			json_decref(ins);
			return err_set(e, 502, "docker: image '%s' has no id", image);
		}
		strlcpy(id, v, SCHED_IMAGE_ID_MAX);
	}
	if (port)
		*port = sched_image_port(ins);
	json_decref(ins);
	return 0;
}

int
sched_network_check(const char *network, struct err *e)
{
	if (network && (strcmp(network, "host") == 0 || strncmp(network, "container:", 10) == 0))
		return err_set(e, 400, "scheduler: network '%s' is not allowed for app containers",
		    network);
	return 0;
}

json_t *
sched_cap_add_json(const char *const *cap_add)
{
	json_t *a = json_array();

	for (; cap_add && *cap_add; cap_add++)
		json_array_append_new(a, json_string(*cap_add));
	return a;
}

json_t *
sched_unit_labels(const char *platform, const struct sched_unit *u)
{
	char rel[16], num[16], port[16];

	snprintf(rel, sizeof(rel), "v%u", u->release);
	snprintf(num, sizeof(num), "%u", u->num);
	snprintf(port, sizeof(port), "%d", u->port ? u->port : SCHED_PORT);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "sh.deis.platform", platform,
	    "sh.deis.app", u->app, "sh.deis.release", rel, "sh.deis.type", u->type,
	    "sh.deis.num", num, "sh.deis.port", port);
}

int
sched_label_port(json_t *labels)
{
	unsigned p = sched_label_uint(labels, "sh.deis.port", false);

	return p > 0 && p < 65536 ? (int)p : SCHED_PORT;
}

unsigned
sched_label_uint(json_t *labels, const char *key, bool vprefix)
{
	const char *v = json_string_value(json_object_get(labels, key));
	char *end;
	unsigned long n;

	if (v == NULL)
		return 0;
	if (vprefix && *v == 'v')
		v++;
	n = strtoul(v, &end, 10);
	return *end || n > 1000000000UL ? 0 : (unsigned)n;
}
