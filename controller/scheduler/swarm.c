/*
 * The `swarm` scheduler driver: Docker Swarm mode, many hosts, through the
 * Engine API of a manager node.
 *
 * One unit ("<app>_v<N>.<type>.<num>") is one Swarm service with exactly one
 * replica; the unit's id is the service id, so the scheduler's table, naming,
 * health checks and rollout order are those of the docker driver. When Swarm
 * replaces the service's task (a crash, a node lost), the unit stays the same
 * and the table sees it die and start again.
 *
 * Names. Swarm service names must be DNS labels (letters, digits, '-' and
 * '_' between them, at most 63 characters: dots are refused), and Swarm
 * cannot rename a service. So the service name is derived from the unit name
 * ('.' → '-', "go_v2.web.1" → "go_v2-web-1", reversible since app names have
 * no '_'; past 63 characters a prefix plus a hash), and the unit name the
 * scheduler sees is the label sh.deis.name on the service. `rename` (the
 * rollout's "rename aside") rewrites that label only: a label change of the
 * service does not touch its task. A new unit whose derived name is still
 * held by a service renamed aside gets the derived name plus "-2".."-9".
 *
 * Address. The app's port (5000, or the one its image exposes: rollout.c)
 * is published in Swarm's host mode on a port the engine picks on the node
 * running the task, and the unit's address is
 * "<node address>:<published port>" (the node's address as the manager sees
 * it). This is Deis v1's own scheme (host IP and a mapped port), and it needs
 * nothing of the controller or the routers but a route to the nodes: the
 * other choice, task IPs on an attachable overlay network, would put the
 * controller and every router on that overlay, and the controller of the
 * one-host shape is not a Swarm task. Caveat: through Docker's userland proxy
 * (the node's loopback, or engines run with --iptables=false) a TCP connect
 * succeeds before the app listens; HEALTHCHECK_URL still checks the app.
 * Published ports come from the node's ephemeral range and listen on every
 * address of the node, as Deis v1's did: firewall that range from outside
 * the cluster.
 *
 * Networks: tenant isolation. Each app's services join an overlay network of
 * the app's own, "<platform>-app-<app>" (appnet.c: made through the manager
 * at the app's first unit, a /24 from DEIS_APP_SUBNETS, default
 * SCHED_APPNET_POOL; not attachable; removed when the app is destroyed). An
 * app's tasks reach each other there (and by service name, Docker's DNS),
 * and the internet through their node's docker_gwbridge, where Docker keeps
 * inter-container traffic off (enforced by its iptables rules): another
 * app's task addresses are on an overlay the task is not on, and nothing
 * routes there. The endpoint mode is dnsrr: a VIP needs IPVS on every node
 * (not available everywhere) and nothing here reaches units by VIP; host-mode
 * ports work the same with it. What stays open, as in Deis v1: every app
 * reaches every other app's published port at its node's addresses (that is
 * how the routers reach them), and the nodes' own services; the controller
 * refuses API requests from docker_gwbridge when deisctl runs it
 * (DEIS_DENY_NET). DEIS_APP_NETWORK, one network for every app, is refused
 * at start; DEIS_APP_PEERS are not used (routers and the controller are not
 * on app networks). Services made before networks per app stay on the
 * node's default bridge until the app's next deploy replaces them.
 *
 * The container spec carries what Swarm services can express of the docker
 * driver's security floor: every capability dropped (cfg->cap_add puts back
 * what the operator names), docker-init as PID 1, a pids limit, nofile 10000,
 * no volumes (so never the Docker socket), never the host network, a bounded
 * json-file log. Not expressible with Engine 20.10 (API 1.41): no-new-
 * privileges and MemorySwap (a memory limit allows as much swap again), and
 * CPU shares (services only have NanoCPUs, a hard cap, not a relative
 * weight: the shares are ignored, with a warning). Crashes are restarted by
 * Swarm (restart condition on-failure, unlimited, a fixed 3 s delay: Swarm
 * has no exponential back-off); one-off `run` units have condition none.
 *
 * State: Swarm has no task events in the Engine API, so the platform's
 * services and tasks are read and polled (swarm_state.c); this file builds
 * service specs and creates, updates and removes services.
 *
 * Placement: with DEIS_SWARM_NODE_LABEL (deisctl gives deis.dataPlane, its
 * label for the nodes that run a publisher: a unit elsewhere would never be
 * routed), app units (one-off `run` units too) go only to nodes carrying that
 * label =true; without it (a bare controller, t/t0161's one-node swarm),
 * anywhere. `deis tags` add their own constraints. Swarm spreads the services
 * over the nodes that qualify (fewest tasks first).
 *
 * Images: every node pulls its task's image itself (Swarm tries a pull on
 * every task start); `prepare` pulls it on the manager too, whose copy tells
 * the app's port (the lowest TCP port the image exposes, or 5000).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/scheduler/swarm.h"
#include "lib/docker.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define PIDS_LIMIT_DEFAULT 512
#define NOFILE 10000
#define RESTART_DELAY_NS 3000000000LL
#define SVC_NAME_MAX 63

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool tag_ok(const char *s);

static void *
sw_open(const struct sched_config *cfg, const char *platform, struct err *e)
{
	const char *pool = cfg->app_subnets && *cfg->app_subnets ? cfg->app_subnets :
	    SCHED_APPNET_POOL;
	uint32_t base;
	unsigned bits;
	struct sw *k;

	/* DEIS_APP_NETWORK would put every app on one network again: refused, not ignored. */
	if (cfg->network && *cfg->network) {
		err_set(e, 400, "swarm: DEIS_APP_NETWORK '%s' is not used with the swarm driver: "
		    "each app has an overlay network of its own (subnets from DEIS_APP_SUBNETS); "
		    "unset it", cfg->network);
		return NULL;
	}
	if (sched_appnet_pool(pool, &base, &bits, e) < 0)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->pool = base;
	k->pool_bits = bits;
	k->d = sched_engine_open(cfg);
	k->platform = xstrdup(platform);
	k->label = xasprintf("sh.deis.platform=%s", platform);
	k->pids_limit = cfg->pids_limit ? cfg->pids_limit : PIDS_LIMIT_DEFAULT;
	k->boot_timeout_ms = cfg->boot_timeout_ms ? cfg->boot_timeout_ms : 60000;
	k->stop_timeout_s = cfg->stop_timeout_s ? cfg->stop_timeout_s : 10;
	k->cap_add = sched_cap_add_json(cfg->cap_add);
	if (cfg->node_label && *cfg->node_label) {
		if (!tag_ok(cfg->node_label)) {
			err_set(e, 400, "swarm: node label '%s' is not letters, digits, '.', '_', '-'",
			    cfg->node_label);
			json_decref(k->cap_add);
			free(k->label);
			free(k->platform);
			docker_free(k->d);
			free(k);
			return NULL;
		}
		k->node_label = xstrdup(cfg->node_label);
	}
	pthread_mutex_init(&k->mu, NULL);
	pthread_mutex_init(&k->netmu, NULL);
	return k;
}

static void
sw_close(void *h)
{
	struct sw *k = h;

	if (k == NULL)
		return;
	docker_free(k->d);
	free(k->platform);
	free(k->label);
	json_decref(k->cap_add);
	free(k->node_label);
	free(k->last.v);
	pthread_mutex_destroy(&k->mu);
	pthread_mutex_destroy(&k->netmu);
	free(k);
}

/* The engine answers and is a manager of an active swarm. */
static int
sw_ping(void *h, struct err *e)
{
	struct sw *k = h;
	json_t *info, *swarm;
	const char *st;
	int ret = 0;

	if (docker_ping(k->d, e) < 0)
		return -1;
	info = docker_call(k->d, "GET", "/info", NULL, 30000, NULL, NULL, "cannot read info", e);
	if (info == NULL)
		return -1;
	swarm = json_object_get(info, "Swarm");
	st = json_string_value(json_object_get(swarm, "LocalNodeState"));
	if (st == NULL || strcmp(st, "active") != 0)
		ret = err_set(e, 0, "swarm: the engine at '%s' is not in an active swarm (%s)",
		    docker_sock(k->d), st ? st : "no swarm state");
	else if (!json_is_true(json_object_get(swarm, "ControlAvailable")))
		ret = err_set(e, 0, "swarm: the engine at '%s' is not a swarm manager",
		    docker_sock(k->d));
	json_decref(info);
	return ret;
}

static int
sw_prepare(void *h, const char *image, int *port, struct err *e)
{
	struct sw *k = h;

	/* each node pulls for its task; the manager's copy (see sw_image_id) tells the port */
	return sched_engine_image(k->d, image, NULL, port, e);
}

/* The manager pulls it too: the id is the same on every node. */
static int
sw_image_id(void *h, const char *image, char *id, struct err *e)
{
	struct sw *k = h;

	return sched_engine_image(k->d, image, id, NULL, e);
}

/* Service name (Swarm's rules) for a unit name; variant 1, or 2..9 for a taken one. */
static void
svc_name(char out[SVC_NAME_MAX + 1], const char *unit, unsigned variant)
{
	char suffix[16];
	size_t i, n, room;
	uint32_t hsh = 2166136261u;

	for (i = 0; unit[i]; i++)
		hsh = (hsh ^ (unsigned char)unit[i]) * 16777619u;
	suffix[0] = '\0';
	if (variant > 1)
		snprintf(suffix, sizeof(suffix), "-%u", variant);
	n = strlen(unit);
	room = SVC_NAME_MAX - strlen(suffix);
	if (n > room) {
		/* a prefix and a hash of the whole name; the label keeps the name */
		room -= 9;
		snprintf(out, SVC_NAME_MAX + 1, "%.*s-%08x", (int)room, unit, hsh);
	} else {
		strlcpy(out, unit, SVC_NAME_MAX + 1);
	}
	strlcat(out, suffix, SVC_NAME_MAX + 1);
	for (i = 0; out[i]; i++)
		if (out[i] == '.')
			out[i] = '-';
}

static json_t *
strv(const char *const *v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* Tag keys and values become constraint expressions: keep them plain. */
static bool
tag_ok(const char *s)
{
	size_t i;

	for (i = 0; s && s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i])))
			return false;
	return i > 0 && i <= 128;
}

json_t *
swarm_spec(struct sw *k, const struct sched_unit *u, const char *name, struct err *e)
{
	json_t *spec, *cs, *tt, *labels, *limits, *cons;
	char net[SCHED_NAME_MAX];
	size_t i;

	cons = json_array();
	for (i = 0; i < u->ntags; i++) {
		if (!tag_ok(u->tags[i].key) || !tag_ok(u->tags[i].value)) {
			json_decref(cons);
			err_set(e, 400, "invalid tag '%s=%s' (letters, digits, '.', '_', '-')",
			    u->tags[i].key ? u->tags[i].key : "",
			    u->tags[i].value ? u->tags[i].value : "");
			return NULL;
		}
		json_array_append_new(cons, json_sprintf("node.labels.%s==%s", u->tags[i].key,
		    u->tags[i].value));
	}
	if (k->node_label)
		json_array_append_new(cons, json_sprintf("node.labels.%s==true", k->node_label));
	cs = json_pack("{s:s, s:o, s:o, s:b, s:[s], s:O, s:[{s:s, s:i, s:i}], s:I, s:s,"
	    " s:b, s:b}",
	    "Image", u->image,
	    "Env", strv(u->env),
	    "Labels", sched_unit_labels(k->platform, u),
	    "Init", 1,
	    "CapabilityDrop", "ALL",
	    "CapabilityAdd", k->cap_add,
	    "Ulimits", "Name", "nofile", "Soft", NOFILE, "Hard", NOFILE,
	    "StopGracePeriod", (json_int_t)k->stop_timeout_s * 1000000000LL,
	    "StopSignal", "SIGTERM",
	    "TTY", 0, "OpenStdin", 0);
	if (u->entrypoint)
		json_object_set_new(cs, "Command", strv(u->entrypoint));
	if (u->cmd)
		json_object_set_new(cs, "Args", strv(u->cmd));
	if (u->port > 0 && u->port < 1024) {
		char port[16];

		/* a low port without CAP_NET_BIND_SERVICE: from that port up only */
		snprintf(port, sizeof(port), "%d", u->port);
		json_object_set_new(cs, "Sysctls", json_pack("{s:s}",
		    "net.ipv4.ip_unprivileged_port_start", port));
	}
	limits = json_pack("{s:I}", "Pids", (json_int_t)k->pids_limit);
	if (u->memory > 0)
		json_object_set_new(limits, "MemoryBytes", json_integer(u->memory));
	if (u->cpu_shares > 0)
		log_warn("swarm: '%s': CPU shares (%ld) cannot be expressed by a service; ignored",
		    u->name, u->cpu_shares);
	tt = json_pack("{s:o, s:{s:o}, s:{s:s, s:I, s:i}, s:{s:o}, s:{s:s, s:{s:s, s:s}}}",
	    "ContainerSpec", cs,
	    "Resources", "Limits", limits,
	    "RestartPolicy", "Condition", u->oneoff ? "none" : "on-failure",
	    "Delay", (json_int_t)RESTART_DELAY_NS, "MaxAttempts", 0,
	    "Placement", "Constraints", cons,
	    "LogDriver", "Name", "json-file", "Options", "max-size", "10m", "max-file", "2");
	sched_appnet_name(net, k->platform, u->app, "overlay");
	json_object_set_new(tt, "Networks", json_pack("[{s:s}]", "Target", net));
	labels = sched_unit_labels(k->platform, u);
	json_object_set_new(labels, "sh.deis.name", json_string(u->name));
	spec = json_pack("{s:s, s:o, s:o, s:{s:{s:i}}}", "Name", name, "Labels", labels,
	    "TaskTemplate", tt, "Mode", "Replicated", "Replicas", 1);
	if (spec == NULL)
		die(1, "swarm: cannot build a service spec");
	/* dnsrr: a VIP needs IPVS on every node, and nothing reaches units by it */
	json_object_set_new(spec, "EndpointSpec", json_pack("{s:s}", "Mode", "dnsrr"));
	if (!u->oneoff)
		json_object_set_new(json_object_get(spec, "EndpointSpec"), "Ports",
		    json_pack("[{s:s, s:i, s:s}]", "Protocol", "tcp", "TargetPort",
		    u->port ? u->port : SCHED_PORT, "PublishMode", "host"));
	return spec;
}

/* Create the service; 409 when a service with this unit name exists. */
static int
svc_create(struct sw *k, const struct sched_unit *u, char id[SCHED_ID_MAX], struct err *e)
{
	char name[SVC_NAME_MAX + 1], *path;
	json_t *spec, *r, *holder;
	const char *nid, *hname;
	unsigned variant;
	long status;
	static const int conflict[] = { 409, 0 };

	for (variant = 1; variant <= 9; variant++) {
		svc_name(name, u->name, variant);
		if ((spec = swarm_spec(k, u, name, e)) == NULL)
			return -1;
		/* the nodes pull with the registry's credentials when the image is there */
		r = docker_call_image(k->d, "POST", "/services/create", spec, 60000, conflict,
		    &status, "cannot create service", u->image, e);
		json_decref(spec);
		if (r == NULL)
			return -1;
		if (status != 409) {
			nid = json_string_value(json_object_get(r, "ID"));
			if (nid == NULL || strlen(nid) >= SCHED_ID_MAX) {
				json_decref(r);
				return err_set(e, 0, "swarm: no id for service '%s'", name);
			}
			strlcpy(id, nid, SCHED_ID_MAX);
			json_decref(r);
			k->poke = 1;
			return 0;
		}
		json_decref(r);
		/* Who holds the name: this unit (a real conflict) or one renamed aside? */
		path = xasprintf("/services/%s", name);
		holder = docker_call(k->d, "GET", path, NULL, 30000, NULL, NULL,
		    "cannot inspect service", e);
		free(path);
		if (holder == NULL)
			continue;	/* gone meanwhile: try the name again... as the next variant */
		hname = json_string_value(json_object_get(json_object_get(json_object_get(holder,
		    "Spec"), "Labels"), "sh.deis.name"));
		if (hname == NULL || strcmp(hname, u->name) == 0) {
			json_decref(holder);
			return err_set(e, 409, "swarm: service '%s' for '%s' exists", name, u->name);
		}
		json_decref(holder);
	}
	return err_set(e, 409, "swarm: no free service name for '%s'", u->name);
}

/* The app's overlay network, made on its first unit (appnet.c). */
static int
appnet_ensure(struct sw *k, const char *app, struct err *e)
{
	char net[SCHED_NAME_MAX];
	int ret;

	pthread_mutex_lock(&k->netmu);
	ret = sched_appnet_ensure(k->d, k->platform, app, "overlay", k->pool, k->pool_bits, NULL,
	    net, e);
	pthread_mutex_unlock(&k->netmu);
	return ret;
}

/*
 * Seen running: tell the observer now rather than at the next reading (an
 * operation returns the table's state of what it started).
 */
static void
started(struct sw *k, const struct sched_unit *u, const char *id, const char *addr,
    const char *cid)
{
	struct sched_obs o = {
		.kind = SCHED_OBS_START, .id = id, .name = u->name, .app = u->app,
		.release = u->release, .type = u->type, .num = u->num, .addr = addr,
		.cid = *cid ? cid : NULL,
	};
	sched_obs_fn *fn;
	void *arg;

	k->poke = 1;
	pthread_mutex_lock(&k->mu);
	fn = k->fn;
	arg = k->fn_arg;
	pthread_mutex_unlock(&k->mu);
	if (fn)
		fn(&o, arg);
}

static int
sw_start(void *h, const struct sched_unit *u, char id[SCHED_ID_MAX], char addr[48],
    struct err *e)
{
	struct sw *k = h;
	double deadline;
	char st[32], why[256], cid[SCHED_ID_MAX];
	int code;

	id[0] = addr[0] = '\0';
	if (appnet_ensure(k, u->app, e) < 0 || svc_create(k, u, id, e) < 0)
		return -1;
	if (u->oneoff)
		return 0;
	/* The address exists once the task runs on a node: wait for that. */
	deadline = mono() + k->boot_timeout_ms / 1000.0;
	for (;;) {
		if (swarm_svc_task(k, id, st, &code, addr, cid, why, sizeof(why), e) < 0)
			return -1;
		/* the published port may be reported a moment after the state */
		if (strcmp(st, "running") == 0 && addr[0]) {
			log_debug("swarm: '%s' (service %s) runs at %s", u->name, id, addr);
			started(k, u, id, addr, cid);
			return 0;
		}
		if (swarm_state_in(st, swarm_ended))
			return err_set(e, 503, "swarm: '%s' did not start: task %s%s%s (exit status %d)",
			    u->name, st, why[0] ? ": " : "", why, code);
		if (mono() > deadline)
			return err_set(e, 503, "swarm: '%s' not running with an address within %u ms"
			    " (task %s%s%s)", u->name, k->boot_timeout_ms,
			    st[0] ? st : "not scheduled", why[0] ? ": " : "", why);
		usleep(100 * 1000);
	}
}

static int
sw_running(void *h, const char *id, int *exit_code, struct err *e)
{
	struct sw *k = h;
	char st[32];

	if (swarm_svc_task(k, id, st, exit_code, NULL, NULL, NULL, 0, e) < 0)
		return -1;
	return strcmp(st, "running") == 0;
}

/*
 * Read the service, let edit change its spec, write it back (with the
 * version read: a concurrent update makes it fail rather than be lost).
 */
static int
svc_update(struct sw *k, const char *id, void (*edit)(json_t *spec, const void *arg),
    const void *arg, struct err *e)
{
	static const int gone[] = { 404, 0 };
	json_t *svc, *spec, *r;
	char *path;
	long status;
	json_int_t version;

	path = xasprintf("/services/%s", id);
	svc = docker_call(k->d, "GET", path, NULL, 30000, gone, &status, "cannot inspect service", e);
	free(path);
	if (svc == NULL)
		return -1;
	if (status == 404) {
		json_decref(svc);
		return err_set(e, 404, "swarm: no service '%s'", id);
	}
	spec = json_object_get(svc, "Spec");
	version = json_integer_value(json_object_get(json_object_get(svc, "Version"), "Index"));
	edit(spec, arg);
	k->poke = 1;
	path = xasprintf("/services/%s/update?version=%lld", id, (long long)version);
	r = docker_call(k->d, "POST", path, spec, 30000, NULL, NULL, "cannot update service", e);
	free(path);
	json_decref(svc);
	if (r == NULL)
		return -1;
	json_decref(r);
	return 0;
}

static void
edit_scale0(json_t *spec, const void *arg)
{
	(void)arg;
	json_object_set_new(spec, "Mode", json_pack("{s:{s:i}}", "Replicated", "Replicas", 0));
}

static void
edit_name(json_t *spec, const void *arg)
{
	json_t *labels = json_object_get(spec, "Labels");

	if (labels == NULL)
		json_object_set_new(spec, "Labels", labels = json_object());
	json_object_set_new(labels, "sh.deis.name", json_string(arg));
}

/* Stopping a service's only task: zero replicas (Swarm sends SIGTERM, then SIGKILL). */
static int
sw_signal_stop(void *h, const char *id, struct err *e)
{
	struct sw *k = h;

	if (svc_update(k, id, edit_scale0, NULL, e) < 0)
		return e->code == 404 ? 0 : -1;
	return 0;
}

static int
sw_remove(void *h, const char *id, unsigned timeout_s, struct err *e)
{
	static const int gone[] = { 404, 0 };
	struct sw *k = h;
	double deadline = mono() + timeout_s;
	char st[32], *path;
	json_t *r;
	int code;

	if (sw_signal_stop(h, id, e) < 0)
		log_warn("%s", e->msg);	/* removal below stops it anyway */
	/* Let the task end within the grace; removing the service ends it too. */
	while (swarm_svc_task(k, id, st, &code, NULL, NULL, NULL, 0, e) == 0 && strcmp(st, "running") == 0 &&
	    mono() < deadline)
		usleep(200 * 1000);
	path = xasprintf("/services/%s", id);
	r = docker_call(k->d, "DELETE", path, NULL, 30000, gone, NULL, "cannot remove service", e);
	free(path);
	k->poke = 1;
	if (r == NULL)
		return -1;
	json_decref(r);
	return 0;
}

static int
sw_rename(void *h, const char *id, const char *name, struct err *e)
{
	struct sw *k = h;

	return svc_update(k, id, edit_name, name, e);
}

/* One line of a service's log, "<RFC 3339 time> <text>". */
struct logline {
	long long sec;
	long nsec;
	size_t seq;
	const char *p;		/* the text after the time */
	size_t len;		/* with its newline */
};

static int
logline_cmp(const void *a, const void *b)
{
	const struct logline *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->nsec != y->nsec)
		return x->nsec < y->nsec ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* "2026-11-26T13:23:22.123456789Z " at p: the time, and p moved past it; -1 if none. */
static int
logtime_parse(const char **pp, const char *end, long long *sec, long *nsec)
{
	struct tm tm;
	const char *p = *pp, *q;
	char tmp[32];
	long scale = 100000000;

	q = memchr(p, ' ', (size_t)(end - p));
	if (q == NULL || q - p >= (long)sizeof(tmp))
		return -1;
	memcpy(tmp, p, (size_t)(q - p));
	tmp[q - p] = '\0';
	memset(&tm, 0, sizeof(tm));
	p = strptime(tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	*nsec = 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			*nsec += (*p - '0') * scale;
	if (strcmp(p, "Z") != 0)
		return -1;
	*sec = (long long)timegm(&tm);
	*pp = q + 1;
	return 0;
}

/*
 * The service's output, stdout and stderr merged in time order, at most max
 * bytes. Swarm's log broker sends each stream in order but not the two
 * interleaved as written, so the lines are read with their times and sorted
 * (stable: a line without a time stays after the one before it).
 */
static int
svc_logs(struct sw *k, const char *id, int tail, size_t max, struct buf *out, bool *trunc,
    struct err *e)
{
	struct buf raw = BUF_INIT, text = BUF_INIT;
	struct logline *v = NULL;
	size_t n = 0, cap = 0, i;
	const char *p, *end, *nl;
	long long sec = 0;
	long nsec = 0;
	char *path;
	long status;
	int ret = -1;

	path = tail > 0 ? xasprintf("/services/%s/logs?stdout=1&stderr=1&timestamps=1&tail=%d", id,
	    tail) : xasprintf("/services/%s/logs?stdout=1&stderr=1&timestamps=1", id);
	if (docker_request(k->d, "GET", path, NULL, 60000, &status, &raw, e) < 0)
		goto out;
	if (status != 200) {
		err_set(e, (int)status, "swarm: cannot read logs of '%s': status %ld", id, status);
		goto out;
	}
	docker_demux(raw.p, raw.len, &text, (size_t)-1, NULL);
	for (p = text.p, end = text.p + text.len; p < end; p = nl) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		logtime_parse(&p, nl, &sec, &nsec);
		v[n] = (struct logline){ sec, nsec, n, p, (size_t)(nl - p) };
		n++;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), logline_cmp);
	for (i = 0; i < n; i++) {
		if (out->len + v[i].len > max) {
			buf_add(out, v[i].p, max - out->len);
			*trunc = true;
			break;
		}
		buf_add(out, v[i].p, v[i].len);
	}
	ret = 0;
out:
	free(path);
	free(v);
	buf_release(&raw);
	buf_release(&text);
	return ret;
}

static int
sw_finish(void *h, const char *name, const char *id, unsigned timeout_ms, size_t max, int *rc,
    struct buf *out, struct err *e)
{
	struct sw *k = h;
	char st[32], why[256];
	double deadline = mono() + timeout_ms / 1000.0;
	bool trunc = false;

	for (;;) {
		if (swarm_svc_task(k, id, st, rc, NULL, NULL, why, sizeof(why), e) < 0)
			return -1;
		if (strcmp(st, "rejected") == 0)
			return err_set(e, 503, "swarm: '%s' could not run: %s", name,
			    why[0] ? why : "task rejected");
		if (swarm_state_in(st, swarm_ended))
			break;
		if (mono() > deadline)
			return err_set(e, 503, "'%s' did not finish within %u s", name,
			    timeout_ms / 1000);
		usleep(200 * 1000);
	}
	if (svc_logs(k, id, 0, max, out, &trunc, e) < 0)
		return -1;
	if (trunc)
		log_warn("scheduler: output of '%s' cut at %zu bytes", name, max);
	return 0;
}

static int
sw_output(void *h, const char *id, int lines, struct buf *out, struct err *e)
{
	bool trunc = false;

	return svc_logs(h, id, lines, out->len + (64u << 10), out, &trunc, e);
}

/* The app's services are removed: its network goes (the docker driver's rule). */
static void
sw_app_gone(void *h, const char *app)
{
	struct sw *k = h;

	pthread_mutex_lock(&k->netmu);
	sched_appnet_remove(k->d, k->platform, app, "overlay");
	pthread_mutex_unlock(&k->netmu);
}

const struct sched_driver sched_driver_swarm = {
	.name = "swarm",
	.open = sw_open,
	.close = sw_close,
	.ping = sw_ping,
	.prepare = sw_prepare,
	.image_id = sw_image_id,
	.start = sw_start,
	.running = sw_running,
	.signal_stop = sw_signal_stop,
	.remove = sw_remove,
	.rename = sw_rename,
	.finish = sw_finish,
	.output = sw_output,
	.list = swarm_list,
	.watch = swarm_watch,
	.app_gone = sw_app_gone,
};
