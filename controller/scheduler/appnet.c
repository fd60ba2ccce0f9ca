/*
 * One network per app: "<platform>-app-<app>", so an app's containers reach
 * each other and the internet, and other apps only as any client does,
 * through the router.
 *
 * docker driver: a bridge of its own (Docker isolates bridges from one
 * another). The platform's containers that must reach every app (the router
 * proxies to them, the controller and the publisher probe them) are
 * connected to each app network as it is made.
 *
 * swarm driver: an overlay (swarm-scoped, made through the manager, not
 * attachable: only the app's services join it), with no peers: routers and
 * the controller reach swarm units at node address + published port. A task
 * on an overlay also gets an address on its node's docker_gwbridge, its way
 * out; Docker makes that bridge with inter-container traffic off.
 *
 * Subnets come from the configured pool (a /24 each), not from Docker's
 * default pools, which hold about thirty networks: the first /24 of the pool
 * that no network of the engine overlaps (for an overlay, the manager lists
 * every swarm network and its own local ones; other nodes' local networks
 * are not seen). Two deploys racing for one subnet: a bridge loser gets a
 * conflict from the engine and takes the next; Swarm accepts overlapping
 * overlays, so the swarm driver makes its networks one at a time.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/scheduler/driver.h"
#include "lib/docker.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* "a.b.c.d/n" (n 0..32): the network (host order) and n; -1 when not that. */
static int
cidr_parse(const char *spec, uint32_t *base, unsigned *bits)
{
	char ip[32];
	const char *slash = spec ? strchr(spec, '/') : NULL;
	struct in_addr a;
	char *end;
	long n;

	if (slash == NULL || (size_t)(slash - spec) >= sizeof(ip))
		return -1;
	memcpy(ip, spec, (size_t)(slash - spec));
	ip[slash - spec] = '\0';
	n = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ip, &a) != 1 || end == slash + 1 || *end || n < 0 || n > 32)
		return -1;
	*bits = (unsigned)n;
	*base = n ? ntohl(a.s_addr) & (0xffffffffu << (32 - n)) : 0;
	return 0;
}

int
sched_appnet_pool(const char *spec, uint32_t *base, unsigned *bits, struct err *e)
{
	if (cidr_parse(spec, base, bits) < 0 || *bits < 8 || *bits > 24)
		return err_set(e, 400, "app subnets '%s': want <IPv4>/<8..24>", spec ? spec : "");
	return 0;
}

void
sched_appnet_name(char out[SCHED_NAME_MAX], const char *platform, const char *app,
    const char *driver)
{
	uint32_t h = 2166136261u;
	const char *p;
	int n;

	n = snprintf(out, SCHED_NAME_MAX, "%s-app-%s", platform, app);
	/* Swarm's names are DNS labels: past 63 characters, a prefix and a hash of the name */
	if (strcmp(driver, "overlay") != 0 || n <= SCHED_APPNET_SWARM_MAX)
		return;
	for (p = out; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(out + SCHED_APPNET_SWARM_MAX - 9, SCHED_NAME_MAX - (SCHED_APPNET_SWARM_MAX - 9),
	    "-%08x", h);
}

/* Whether 10.1.2.0/24 (net) overlaps any subnet of the engine's networks. */
static bool
taken(const json_t *nets, uint32_t net)
{
	json_t *n, *c;
	size_t i, j;

	json_array_foreach((json_t *)nets, i, n) {
		json_array_foreach(json_object_get(json_object_get(n, "IPAM"), "Config"), j, c) {
			uint32_t b;
			unsigned bits;

			/* any prefix: a /25 of the engine's takes its /24 too */
			if (cidr_parse(json_string_value(json_object_get(c, "Subnet")), &b, &bits) < 0)
				continue;	/* IPv6, or none */
			if (bits >= 24 ? (b & 0xffffff00u) == net :
			    (bits == 0 || (net & (0xffffffffu << (32 - bits))) == b))
				return true;
		}
	}
	return false;
}

int
sched_appnet_pick(const json_t *nets, uint32_t base, unsigned bits, uint32_t *net)
{
	uint32_t count = 1u << (24 - bits), k;

	for (k = 0; k < count; k++) {
		*net = base + (k << 8);
		if (!taken(nets, *net))
			return 0;
	}
	return -1;
}

static void
connect_peers(struct docker *d, const char *name, const char *const *peers)
{
	static const int ok[] = { 403, 404, 409, 0 };	/* connected already; no such peer */
	char *path = xasprintf("/networks/%s/connect", name);
	struct err e;
	json_t *r, *body;

	for (; peers && *peers; peers++) {
		body = json_pack("{s:s}", "Container", *peers);
		r = docker_call(d, "POST", path, body, 30000, ok, NULL, "connect to network", &e);
		json_decref(body);
		if (r == NULL)
			log_warn("scheduler: %s", e.msg);
		json_decref(r);
	}
	free(path);
}

int
sched_appnet_ensure(struct docker *d, const char *platform, const char *app, const char *driver,
    uint32_t base, unsigned bits, const char *const *peers, char name[SCHED_NAME_MAX],
    struct err *e)
{
	char *path, subnet[32], gw[32];
	uint32_t net;
	long status = 0;
	json_t *r, *nets, *body;
	int attempt;

	sched_appnet_name(name, platform, app, driver);
	path = xasprintf("/networks/%s", name);
	r = docker_call(d, "GET", path, NULL, 30000, (const int[]){ 404, 0 }, &status,
	    "inspect network", e);
	free(path);
	if (r == NULL)
		return -1;
	json_decref(r);
	if (status != 404) {
		connect_peers(d, name, peers);	/* a peer recreated since */
		return 0;
	}
	for (attempt = 0; attempt < 8; attempt++) {
		nets = docker_call(d, "GET", "/networks", NULL, 30000, NULL, NULL, "list networks", e);
		if (nets == NULL)
			return -1;
		if (sched_appnet_pick(nets, base, bits, &net) < 0) {
			json_decref(nets);
			return err_set(e, 503, "scheduler: no free /24 left for app networks");
		}
		json_decref(nets);
		snprintf(subnet, sizeof(subnet), "%u.%u.%u.0/24", net >> 24, (net >> 16) & 255,
		    (net >> 8) & 255);
		snprintf(gw, sizeof(gw), "%u.%u.%u.1", net >> 24, (net >> 16) & 255, (net >> 8) & 255);
		body = json_pack("{s:s, s:s, s:b, s:{s:[{s:s, s:s}]}, s:{s:s, s:s}}", "Name", name,
		    "Driver", driver, "CheckDuplicate", 1, "IPAM", "Config", "Subnet", subnet,
		    "Gateway", gw, "Labels", "sh.deis.platform", platform, "sh.deis.app", app);
		r = docker_call(d, "POST", "/networks/create", body, 30000, (const int[]){ 400, 403,
		    409, 0 }, &status, "create network", e);
		json_decref(body);
		if (r == NULL)
			return -1;
		json_decref(r);
		if (status == 201) {
			log_info("scheduler: network '%s' (%s) on %s", name, driver, subnet);
			connect_peers(d, name, peers);
			return 0;
		}
		if (status == 409)	/* made meanwhile by another deploy of the app */
			return sched_appnet_ensure(d, platform, app, driver, base, bits, peers, name,
			    e);
		/* the subnet was taken meanwhile (400/403: overlap): the next one */
	}
	return err_set(e, 503, "scheduler: cannot make the network of '%s'", app);
}

void
sched_appnet_remove(struct docker *d, const char *platform, const char *app, const char *driver)
{
	char name[SCHED_NAME_MAX], *path;
	json_t *r, *c;
	const char *k;
	struct err e;

	sched_appnet_name(name, platform, app, driver);
	path = xasprintf("/networks/%s", name);
	r = docker_call(d, "GET", path, NULL, 30000, (const int[]){ 404, 0 }, NULL,
	    "inspect network", &e);
	free(path);
	if (r == NULL)
		return;
	/* the peers leave first: a network with endpoints cannot go */
	json_object_foreach(json_object_get(r, "Containers"), k, c) {
		json_t *body = json_pack("{s:s, s:b}", "Container", k, "Force", 1), *x;

		path = xasprintf("/networks/%s/disconnect", name);
		x = docker_call(d, "POST", path, body, 30000, (const int[]){ 404, 0 }, NULL,
		    "disconnect", &e);
		json_decref(x);
		json_decref(body);
		free(path);
	}
	json_decref(r);
	path = xasprintf("/networks/%s", name);
	r = docker_call(d, "DELETE", path, NULL, 30000, (const int[]){ 404, 0 }, NULL,
	    "remove network", &e);
	if (r == NULL)
		log_warn("scheduler: %s", e.msg);
	json_decref(r);
	free(path);
}
