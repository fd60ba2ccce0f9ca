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
 * Address. The app's port 5000 is published in Swarm's host mode on a port
 * the engine picks on the node running the task, and the unit's address is
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
 * the cluster. Tasks sit on the node's default bridge, or on
 * DEIS_APP_NETWORK, which must then be a swarm-scoped network (an overlay
 * or a bridge made with --scope swarm): services cannot join a local one.
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
 * State. Swarm has no task events in the Engine API, and container events
 * are per node. So `list` and `watch` read the platform's services and their
 * tasks (one request each, filtered by the platform label) and `watch` polls
 * every second (and at once after a change of ours), reporting the difference from the previous reading as
 * create/start/die/destroy. The reading `list` makes is where `watch` starts,
 * so nothing between the two is lost; `since` is not needed.
 *
 * Images: every node pulls its task's image itself (Swarm tries a pull on
 * every task start); `prepare` does nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "controller/scheduler/driver.h"
#include "lib/docker.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define PIDS_LIMIT_DEFAULT 512
#define NOFILE 10000
#define RESTART_DELAY_NS 3000000000LL
#define POLL_MS 1000
#define SVC_NAME_MAX 63

/* One service as a reading saw it. */
struct svc {
	char id[SCHED_ID_MAX];
	char name[SCHED_NAME_MAX];
	char app[SCHED_APP_MAX];
	char type[SCHED_TYPE_MAX];
	unsigned release, num;
	char task[SCHED_ID_MAX];	/* the current task, "" when none */
	enum sched_state state;
	int exit_code;
	char addr[48];
	double created;
};

struct snap {
	struct svc *v;
	size_t n;
};

struct sw {
	struct docker *d;
	char *platform;
	char *label;		/* "sh.deis.platform=<platform>" */
	char *network;		/* NULL: the node's default bridge */
	unsigned pids_limit;
	unsigned boot_timeout_ms;
	unsigned stop_timeout_s;
	json_t *cap_add;
	volatile int poke;	/* we changed something: watch reads again at once */
	pthread_mutex_t mu;	/* guards last */
	struct snap last;	/* the latest reading, where watch goes on from */
	sched_obs_fn *fn;	/* the observer list was given: start reports to it too */
	void *fn_arg;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *
sw_open(const struct sched_config *cfg, const char *platform, struct err *e)
{
	struct sw *k;

	if (sched_network_check(cfg->network, e) < 0)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->d = docker_new(cfg->docker_sock);
	k->platform = xstrdup(platform);
	k->label = xasprintf("sh.deis.platform=%s", platform);
	k->network = cfg->network && *cfg->network ? xstrdup(cfg->network) : NULL;
	k->pids_limit = cfg->pids_limit ? cfg->pids_limit : PIDS_LIMIT_DEFAULT;
	k->boot_timeout_ms = cfg->boot_timeout_ms ? cfg->boot_timeout_ms : 60000;
	k->stop_timeout_s = cfg->stop_timeout_s ? cfg->stop_timeout_s : 10;
	k->cap_add = sched_cap_add_json(cfg->cap_add);
	pthread_mutex_init(&k->mu, NULL);
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
	free(k->network);
	json_decref(k->cap_add);
	free(k->last.v);
	pthread_mutex_destroy(&k->mu);
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
sw_prepare(void *h, const char *image, struct err *e)
{
	return 0;	/* each node pulls for its task */
}

/* Engine request of a list filtered by one key=value: "/tasks", {"label": [v]}. */
static json_t *
get_filtered(struct sw *k, const char *path, const char *key, const char *value,
    const char *what, struct err *e)
{
	json_t *f = json_pack("{s:[s]}", key, value), *r;
	char *text = json_dumps(f, JSON_COMPACT), *esc, *url;
	CURL *c = curl_easy_init();

	json_decref(f);
	if (text == NULL || c == NULL || (esc = curl_easy_escape(c, text, 0)) == NULL)
		die(1, "out of memory");
	url = xasprintf("%s?filters=%s", path, esc);
	r = docker_call(k->d, "GET", url, NULL, 30000, NULL, NULL, what, e);
	curl_free(esc);
	curl_easy_cleanup(c);
	free(text);
	free(url);
	if (r && !json_is_array(r)) {
		json_decref(r);
		err_set(e, 0, "swarm: %s: not a list", what);
		return NULL;
	}
	return r;
}

/* "2026-11-26T13:37:01.123456789Z" → Unix time; 0 when unparsable. */
static double
ts_parse(const char *s)
{
	struct tm tm;
	const char *p;
	double frac = 0, scale = 0.1;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	return (double)timegm(&tm) + frac;
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


/* The service spec; caller owns it. NULL and e filled on a bad unit. */
static json_t *
sw_spec(struct sw *k, const struct sched_unit *u, const char *name, struct err *e)
{
	json_t *spec, *cs, *tt, *labels, *limits, *cons;
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
	if (k->network)
		json_object_set_new(tt, "Networks", json_pack("[{s:s}]", "Target", k->network));
	labels = sched_unit_labels(k->platform, u);
	json_object_set_new(labels, "sh.deis.name", json_string(u->name));
	spec = json_pack("{s:s, s:o, s:o, s:{s:{s:i}}}", "Name", name, "Labels", labels,
	    "TaskTemplate", tt, "Mode", "Replicated", "Replicas", 1);
	if (spec == NULL)
		die(1, "swarm: cannot build a service spec");
	if (!u->oneoff)
		json_object_set_new(spec, "EndpointSpec", json_pack("{s:[{s:s, s:i, s:s}]}",
		    "Ports", "Protocol", "tcp", "TargetPort", SCHED_PORT, "PublishMode", "host"));
	return spec;
}


static const char *
task_state(json_t *t)
{
	const char *s = json_string_value(json_object_get(json_object_get(t, "Status"), "State"));

	return s ? s : "";
}

static int
task_exit(json_t *t)
{
	json_t *cs = json_object_get(json_object_get(t, "Status"), "ContainerStatus");

	return (int)json_integer_value(json_object_get(cs, "ExitCode"));
}

static bool
state_in(const char *st, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(st, *set) == 0)
			return true;
	return false;
}

static const char *const ended[] = { "complete", "failed", "shutdown", "rejected", "orphaned",
	"remove", NULL };

/* The task that stands for the service: the one Swarm wants running, else the newest. */
static json_t *
task_current(json_t *tasks, const char *svc_id)
{
	json_t *t, *best = NULL;
	double tb = 0, tt;
	bool bd = false, td;
	size_t i;

	json_array_foreach(tasks, i, t) {
		const char *sid = json_string_value(json_object_get(t, "ServiceID"));
		const char *ds = json_string_value(json_object_get(t, "DesiredState"));

		if (sid == NULL || strcmp(sid, svc_id) != 0)
			continue;
		td = ds && strcmp(ds, "running") == 0;
		tt = ts_parse(json_string_value(json_object_get(t, "CreatedAt")));
		if (best == NULL || (td && !bd) || (td == bd && tt > tb)) {
			best = t;
			tb = tt;
			bd = td;
		}
	}
	return best;
}

/* The newest failed task of the service other than cur, or NULL. */
static json_t *
task_failed(json_t *tasks, const char *svc_id, json_t *cur)
{
	json_t *t, *best = NULL;
	double tb = 0, tt;
	size_t i;

	json_array_foreach(tasks, i, t) {
		const char *sid = json_string_value(json_object_get(t, "ServiceID"));

		if (t == cur || sid == NULL || strcmp(sid, svc_id) != 0 ||
		    strcmp(task_state(t), "failed") != 0)
			continue;
		tt = ts_parse(json_string_value(json_object_get(t, "CreatedAt")));
		if (best == NULL || tt > tb) {
			best = t;
			tb = tt;
		}
	}
	return best;
}

static json_t *
task_by_id(json_t *tasks, const char *id)
{
	json_t *t;
	size_t i;

	json_array_foreach(tasks, i, t)
		if (strcmp(json_string_value(json_object_get(t, "ID")) ?: "", id) == 0)
			return t;
	return NULL;
}

/* "<node address>:<published port>" of a running task, or "". */
static void
task_addr(json_t *t, json_t *nodes, char addr[48])
{
	const char *nid = json_string_value(json_object_get(t, "NodeID")), *ip = NULL;
	json_t *ports = json_object_get(json_object_get(json_object_get(t, "Status"),
	    "PortStatus"), "Ports"), *p, *n;
	json_int_t port = 0;
	size_t i;

	/*
	 * The first binding of port 5000: the engine binds 0.0.0.0 then ::, and
	 * when the IPv4 port is taken (by any local socket: the range is the
	 * kernel's ephemeral one) it retries only that one, so the two may differ.
	 */
	addr[0] = '\0';
	json_array_foreach(ports, i, p) {
		if (json_integer_value(json_object_get(p, "TargetPort")) == SCHED_PORT) {
			port = json_integer_value(json_object_get(p, "PublishedPort"));
			break;
		}
	}
	json_array_foreach(nodes, i, n) {
		if (nid == NULL || strcmp(json_string_value(json_object_get(n, "ID")) ?: "", nid))
			continue;
		ip = json_string_value(json_object_get(json_object_get(n, "Status"), "Addr"));
		if (ip == NULL || *ip == '\0' || strcmp(ip, "0.0.0.0") == 0) {
			/* a manager may report 0.0.0.0: its advertised address then */
			const char *ma = json_string_value(json_object_get(json_object_get(n,
			    "ManagerStatus"), "Addr"));
			const char *colon = ma ? strrchr(ma, ':') : NULL;

			if (colon && colon - ma < 40)
				snprintf(addr, 48, "%.*s:%d", (int)(colon - ma), ma, (int)port);
			ip = NULL;
		}
		break;
	}
	if (port <= 0 || port > 65535)
		addr[0] = '\0';
	else if (ip)
		snprintf(addr, 48, "%s:%d", ip, (int)port);
}

/* State of a service from its tasks. */
static void
svc_state(struct svc *s, json_t *tasks, json_t *nodes)
{
	json_t *cur = task_current(tasks, s->id), *f;
	const char *st;

	s->task[0] = s->addr[0] = '\0';
	s->exit_code = 0;
	s->state = SCHED_CREATED;
	if (cur == NULL)
		return;
	strlcpy(s->task, json_string_value(json_object_get(cur, "ID")) ?: "", sizeof(s->task));
	st = task_state(cur);
	if (strcmp(st, "running") == 0) {
		s->state = SCHED_UP;
		task_addr(cur, nodes, s->addr);
	} else if (strcmp(st, "rejected") == 0) {
		s->state = SCHED_ERROR;
		s->exit_code = task_exit(cur);
	} else if (state_in(st, ended)) {
		s->exit_code = task_exit(cur);
		s->state = strcmp(st, "failed") == 0 && s->exit_code ? SCHED_CRASHED : SCHED_DOWN;
	} else if ((f = task_failed(tasks, s->id, cur)) != NULL) {
		/* Swarm waits its restart delay before the next task runs */
		s->state = SCHED_CRASHED;
		s->exit_code = task_exit(f);
	}
}

/* One reading of the platform's services; tasks and nodes are kept for lookups. */
static int
sw_read(struct sw *k, struct snap *out, json_t **tasksp, struct err *e)
{
	json_t *svcs, *tasks = NULL, *nodes = NULL, *s, *labels;
	struct svc *v;
	const char *id, *name;
	size_t i;

	out->v = NULL;
	out->n = 0;
	svcs = get_filtered(k, "/services", "label", k->label, "cannot list services", e);
	if (svcs == NULL)
		return -1;
	tasks = get_filtered(k, "/tasks", "label", k->label, "cannot list tasks", e);
	if (tasks)
		nodes = docker_call(k->d, "GET", "/nodes", NULL, 30000, NULL, NULL,
		    "cannot list nodes", e);
	if (tasks == NULL || nodes == NULL) {
		json_decref(svcs);
		json_decref(tasks);
		return -1;
	}
	out->v = xcalloc(json_array_size(svcs) + 1, sizeof(*out->v));
	json_array_foreach(svcs, i, s) {
		labels = json_object_get(json_object_get(s, "Spec"), "Labels");
		id = json_string_value(json_object_get(s, "ID"));
		name = json_string_value(json_object_get(labels, "sh.deis.name"));
		v = &out->v[out->n];
		memset(v, 0, sizeof(*v));
		if (id == NULL || name == NULL || strlen(id) >= sizeof(v->id) ||
		    strlen(name) >= sizeof(v->name))
			continue;
		strlcpy(v->id, id, sizeof(v->id));
		strlcpy(v->name, name, sizeof(v->name));
		if (strlcpy(v->app, json_string_value(json_object_get(labels, "sh.deis.app")) ?: "",
		    sizeof(v->app)) >= sizeof(v->app) ||
		    strlcpy(v->type, json_string_value(json_object_get(labels, "sh.deis.type")) ?: "",
		    sizeof(v->type)) >= sizeof(v->type))
			continue;
		v->release = sched_label_uint(labels, "sh.deis.release", true);
		v->num = sched_label_uint(labels, "sh.deis.num", false);
		if (!v->app[0] || !v->type[0] || !v->release || !v->num)
			continue;
		v->created = ts_parse(json_string_value(json_object_get(s, "CreatedAt")));
		svc_state(v, tasks, nodes);
		out->n++;
	}
	json_decref(svcs);
	json_decref(nodes);
	if (tasksp)
		*tasksp = tasks;
	else
		json_decref(tasks);
	return 0;
}

static void
obs_fill(struct sched_obs *o, enum sched_obs_kind kind, const struct svc *v)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->id = v->id;
	o->name = v->name;
	o->app = v->app;
	o->release = v->release;
	o->type = v->type;
	o->num = v->num;
	o->state = v->state;
	o->exit_code = v->exit_code;
	o->time = v->created;
	o->addr = v->addr[0] ? v->addr : NULL;
}

static void
snap_keep(struct sw *k, struct snap *s)
{
	pthread_mutex_lock(&k->mu);
	free(k->last.v);
	k->last = *s;
	pthread_mutex_unlock(&k->mu);
	s->v = NULL;
	s->n = 0;
}

static int
sw_list(void *h, sched_obs_fn *fn, void *arg, struct err *e)
{
	struct sw *k = h;
	struct sched_obs o;
	struct snap s;
	size_t i;

	if (sw_read(k, &s, NULL, e) < 0)
		return -1;
	pthread_mutex_lock(&k->mu);
	k->fn = fn;
	k->fn_arg = arg;
	pthread_mutex_unlock(&k->mu);
	for (i = 0; i < s.n; i++) {
		obs_fill(&o, SCHED_OBS_EXISTS, &s.v[i]);
		fn(&o, arg);
	}
	snap_keep(k, &s);
	return 0;
}

static const struct svc *
snap_find(const struct snap *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].id, id) == 0)
			return &s->v[i];
	return NULL;
}

/* Report what changed from reading a to reading b (tasks: b's). */
static void
snap_diff(const struct snap *a, const struct snap *b, json_t *tasks, sched_obs_fn *fn,
    void *arg)
{
	const struct svc *p, *c;
	struct sched_obs o;
	json_t *old;
	size_t i;

	for (i = 0; i < b->n; i++) {
		c = &b->v[i];
		p = snap_find(a, c->id);
		if (p == NULL) {
			obs_fill(&o, SCHED_OBS_CREATE, c);
			fn(&o, arg);
		} else if (strcmp(p->name, c->name) != 0) {
			obs_fill(&o, SCHED_OBS_RENAME, c);
			fn(&o, arg);
		}
		if (p && p->state == SCHED_UP &&
		    (strcmp(p->task, c->task) != 0 || c->state != SCHED_UP)) {
			/* the task that ran has ended: its own exit status */
			obs_fill(&o, SCHED_OBS_DIE, c);
			old = task_by_id(tasks, p->task);
			o.exit_code = old && state_in(task_state(old), ended) ? task_exit(old) :
			    c->state == SCHED_UP ? -1 : c->exit_code;
			fn(&o, arg);
		} else if ((c->state == SCHED_CRASHED || c->state == SCHED_DOWN) &&
		    (p == NULL || p->state != c->state)) {
			obs_fill(&o, SCHED_OBS_DIE, c);
			fn(&o, arg);
		} else if (c->state == SCHED_ERROR && (p == NULL || p->state != SCHED_ERROR)) {
			obs_fill(&o, SCHED_OBS_EXISTS, c);
			fn(&o, arg);
		}
		if (c->state == SCHED_UP && (p == NULL || p->state != SCHED_UP ||
		    strcmp(p->task, c->task) != 0)) {
			obs_fill(&o, SCHED_OBS_START, c);
			fn(&o, arg);
		}
	}
	for (i = 0; i < a->n; i++) {
		if (snap_find(b, a->v[i].id))
			continue;
		obs_fill(&o, SCHED_OBS_DESTROY, &a->v[i]);
		fn(&o, arg);
	}
}

static int
sw_watch(void *h, double since, sched_obs_fn *fn, void *arg, volatile int *stop,
    struct err *e)
{
	struct sw *k = h;
	struct snap cur, prev;
	json_t *tasks;
	unsigned ms;

	(void)since;	/* the reading list made is where we go on from */
	while (!*stop) {
		for (ms = 0; ms < POLL_MS && !*stop && !k->poke; ms += 100)
			usleep(100 * 1000);
		k->poke = 0;
		if (*stop)
			break;
		if (sw_read(k, &cur, &tasks, e) < 0)
			return -1;
		pthread_mutex_lock(&k->mu);
		prev = k->last;
		k->last.v = NULL;
		k->last.n = 0;
		pthread_mutex_unlock(&k->mu);
		snap_diff(&prev, &cur, tasks, fn, arg);
		json_decref(tasks);
		free(prev.v);
		snap_keep(k, &cur);
	}
	return 0;
}

/* The service's tasks; caller owns the array. */
static json_t *
svc_tasks(struct sw *k, const char *id, struct err *e)
{
	return get_filtered(k, "/tasks", "service", id, "cannot list tasks", e);
}

/*
 * The current task of service id: its state word into st (a copy), exit
 * status, and address when running. -1 on an engine error (404: no such
 * service).
 */
static int
svc_task(struct sw *k, const char *id, char st[32], int *code, char addr[48], char *err,
    size_t errsz, struct err *e)
{
	json_t *tasks, *cur, *nodes = NULL;
	char *path;
	const char *msg;

	path = xasprintf("/services/%s", id);
	cur = docker_call(k->d, "GET", path, NULL, 30000, NULL, NULL, "cannot inspect service", e);
	free(path);
	if (cur == NULL)
		return -1;
	json_decref(cur);
	if ((tasks = svc_tasks(k, id, e)) == NULL)
		return -1;
	cur = task_current(tasks, id);
	strlcpy(st, cur ? task_state(cur) : "", 32);
	*code = cur ? task_exit(cur) : 0;
	if (err) {
		msg = json_string_value(json_object_get(json_object_get(cur, "Status"), "Err"));
		strlcpy(err, msg ? msg : "", errsz);
	}
	if (addr) {
		addr[0] = '\0';
		if (cur && strcmp(st, "running") == 0) {
			nodes = docker_call(k->d, "GET", "/nodes", NULL, 30000, NULL, NULL,
			    "cannot list nodes", e);
			if (nodes == NULL) {
				json_decref(tasks);
				return -1;
			}
			task_addr(cur, nodes, addr);
			json_decref(nodes);
		}
	}
	json_decref(tasks);
	return 0;
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
		if ((spec = sw_spec(k, u, name, e)) == NULL)
			return -1;
		r = docker_call(k->d, "POST", "/services/create", spec, 60000, conflict, &status,
		    "cannot create service", e);
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

/*
 * Seen running: tell the observer now rather than at the next reading (an
 * operation returns the table's state of what it started).
 */
static void
started(struct sw *k, const struct sched_unit *u, const char *id, const char *addr)
{
	struct sched_obs o = {
		.kind = SCHED_OBS_START, .id = id, .name = u->name, .app = u->app,
		.release = u->release, .type = u->type, .num = u->num, .addr = addr,
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
	char st[32], why[256];
	int code;

	id[0] = addr[0] = '\0';
	if (svc_create(k, u, id, e) < 0)
		return -1;
	if (u->oneoff)
		return 0;
	/* The address exists once the task runs on a node: wait for that. */
	deadline = mono() + k->boot_timeout_ms / 1000.0;
	for (;;) {
		if (svc_task(k, id, st, &code, addr, why, sizeof(why), e) < 0)
			return -1;
		/* the published port may be reported a moment after the state */
		if (strcmp(st, "running") == 0 && addr[0]) {
			log_debug("swarm: '%s' (service %s) runs at %s", u->name, id, addr);
			started(k, u, id, addr);
			return 0;
		}
		if (state_in(st, ended))
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

	if (svc_task(k, id, st, exit_code, NULL, NULL, 0, e) < 0)
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
	while (svc_task(k, id, st, &code, NULL, NULL, 0, e) == 0 && strcmp(st, "running") == 0 &&
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
svc_logs(struct sw *k, const char *id, size_t max, struct buf *out, bool *trunc,
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

	path = xasprintf("/services/%s/logs?stdout=1&stderr=1&timestamps=1", id);
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
sw_run(void *h, const struct sched_unit *u, unsigned timeout_ms, size_t max, int *rc,
    struct buf *out, struct err *e)
{
	struct sw *k = h;
	char id[SCHED_ID_MAX], addr[48], st[32], why[256];
	double deadline = mono() + timeout_ms / 1000.0;
	struct err e2;
	bool trunc = false;
	int ret = -1;

	if (sw_start(h, u, id, addr, e) < 0)
		goto out;
	for (;;) {
		if (svc_task(k, id, st, rc, NULL, why, sizeof(why), e) < 0)
			goto out;
		if (strcmp(st, "rejected") == 0) {
			err_set(e, 503, "swarm: '%s' could not run: %s", u->name,
			    why[0] ? why : "task rejected");
			goto out;
		}
		if (state_in(st, ended))
			break;
		if (mono() > deadline) {
			err_set(e, 503, "'%s' did not finish within %u s", u->name,
			    timeout_ms / 1000);
			goto out;
		}
		usleep(200 * 1000);
	}
	if (svc_logs(k, id, max, out, &trunc, e) < 0)
		goto out;
	if (trunc)
		log_warn("scheduler: output of '%s' cut at %zu bytes", u->name, max);
	ret = 0;
out:
	if (id[0] && sw_remove(h, id, 0, &e2) < 0)
		log_warn("%s", e2.msg);
	return ret;
}

const struct sched_driver sched_driver_swarm = {
	.name = "swarm",
	.open = sw_open,
	.close = sw_close,
	.ping = sw_ping,
	.prepare = sw_prepare,
	.start = sw_start,
	.running = sw_running,
	.signal_stop = sw_signal_stop,
	.remove = sw_remove,
	.rename = sw_rename,
	.run = sw_run,
	.list = sw_list,
	.watch = sw_watch,
};
