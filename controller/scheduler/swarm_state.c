/*
 * The `swarm` driver's view of the engine (swarm.c does the rest): readings
 * of the platform's services and their tasks, turned into the scheduler's
 * observations (`list`, `watch`), and the current task of one service for
 * swarm.c's operations (swarm_svc_task).
 *
 * Swarm has no task events in the Engine API, and container events are per
 * node. So `list` and `watch` read the platform's services and their tasks
 * (one request each, filtered by the platform label) and `watch` polls every
 * second (and at once after a change of ours), reporting the difference from
 * the previous reading as create/start/die/destroy. The reading `list` makes
 * is where `watch` starts, so nothing between the two is lost; `since` is not
 * needed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "controller/scheduler/swarm.h"
#include "lib/docker.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define POLL_MS 1000

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

bool
swarm_state_in(const char *st, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(st, *set) == 0)
			return true;
	return false;
}

const char *const swarm_ended[] = { "complete", "failed", "shutdown", "rejected", "orphaned",
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
	 * The first binding of the unit's one port (the app's: 5000 or the one
	 * its image exposes): the engine binds 0.0.0.0 then ::, and when the IPv4
	 * port is taken (by any local socket: the range is the kernel's ephemeral
	 * one) it retries only that one, so the two may differ.
	 */
	addr[0] = '\0';
	json_array_foreach(ports, i, p) {
		if (json_integer_value(json_object_get(p, "TargetPort")) > 0) {
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

	s->task[0] = s->addr[0] = s->cid[0] = '\0';
	s->exit_code = 0;
	s->state = SCHED_CREATED;
	if (cur == NULL)
		return;
	strlcpy(s->task, json_string_value(json_object_get(cur, "ID")) ?: "", sizeof(s->task));
	/* the manager's word for which container runs it: what a publisher reports */
	strlcpy(s->cid, json_string_value(json_object_get(json_object_get(json_object_get(cur,
	    "Status"), "ContainerStatus"), "ContainerID")) ?: "", sizeof(s->cid));
	st = task_state(cur);
	if (strcmp(st, "running") == 0) {
		s->state = SCHED_UP;
		task_addr(cur, nodes, s->addr);
	} else if (strcmp(st, "rejected") == 0) {
		s->state = SCHED_ERROR;
		s->exit_code = task_exit(cur);
	} else if (swarm_state_in(st, swarm_ended)) {
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
	o->cid = v->cid[0] ? v->cid : NULL;
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

int
swarm_list(void *h, sched_obs_fn *fn, void *arg, struct err *e)
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
			o.exit_code = old && swarm_state_in(task_state(old), swarm_ended) ? task_exit(old) :
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
		    strcmp(p->task, c->task) != 0 || strcmp(p->cid, c->cid) != 0)) {
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

int
swarm_watch(void *h, double since, sched_obs_fn *fn, void *arg, volatile int *stop,
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
int
swarm_svc_task(struct sw *k, const char *id, char st[32], int *code, char addr[48],
    char cid[SCHED_ID_MAX], char *err, size_t errsz, struct err *e)
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
	if (cid)
		strlcpy(cid, json_string_value(json_object_get(json_object_get(json_object_get(cur,
		    "Status"), "ContainerStatus"), "ContainerID")) ?: "", SCHED_ID_MAX);
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
