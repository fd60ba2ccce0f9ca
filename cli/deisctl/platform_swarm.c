/*
 * The platform on a Docker Swarm (platform mode=swarm): each component a
 * Swarm service made from its container create body (swarm.c's spec),
 * placed by node labels, on the host network of its nodes. The operations
 * of struct platform_ops; cmd_platform.c parses the commands.
 *
 * Lifecycle: install prepares (secrets, settings, the builder's files) and
 * checks the swarm; start creates or updates each service (kept when its
 * sh.deis.spec digest is the same) and waits for its tasks; restart updates
 * it in any case (ForceUpdate: Swarm replaces the tasks one at a time); stop
 * removes the services (the named volumes keep the data); uninstall removes
 * them, and cmd_platform.c goes on as on one host (volumes, state dir with
 * --purge). Swarm restarts what stops: there is no supervisor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/docker.h"
#include "lib/xalloc.h"

struct swarm {
	char node_id[64];
	char addr[64];		/* this node's Swarm address: the control plane's */
	int pulling;		/* nodes that pull app images: control and data plane */
};

/* A node that pulls app images: the control plane's builder, the data plane's apps. */
static bool
pulls(const json_t *node)
{
	return dctl_swarm_labelled(node, "deis.controlPlane") ||
	    dctl_swarm_labelled(node, "deis.dataPlane");
}

/*
 * With the S3 store: deis.registry=true on exactly the nodes that pull, so
 * the registry's global service runs there (Swarm's constraints cannot say
 * "control plane or data plane"). Done at each start: a node labelled since
 * gets its registry then.
 */
static int
registry_labels(struct dctl *d, struct err *e)
{
	json_t *nodes, *n;
	size_t i;
	int rc = 0;

	nodes = docker_call(d->docker, "GET", "/nodes", NULL, 30000, NULL, NULL, "list nodes", e);
	if (!nodes)
		return -1;
	json_array_foreach(nodes, i, n) {
		bool want = pulls(n), has = dctl_swarm_labelled(n, DCTL_SWARM_REGISTRY_LABEL);
		json_t *spec, *labels, *r;
		char *path;

		if (want == has)
			continue;
		spec = json_deep_copy(json_object_get(n, "Spec"));
		labels = json_object_get(spec, "Labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(spec, "Labels", labels);
		}
		if (want)
			json_object_set_new(labels, DCTL_SWARM_REGISTRY_LABEL, json_string("true"));
		else
			json_object_del(labels, DCTL_SWARM_REGISTRY_LABEL);
		path = xasprintf("/nodes/%s/update?version=%lld",
		    json_string_value(json_object_get(n, "ID")),
		    (long long)json_integer_value(json_object_get(json_object_get(n, "Version"),
		    "Index")));
		r = docker_call(d->docker, "POST", path, spec, 30000, NULL, NULL, "label node", e);
		free(path);
		json_decref(spec);
		if (!r) {
			rc = -1;
			break;
		}
		json_decref(r);
	}
	json_decref(nodes);
	return rc;
}

/*
 * The secrets the spec names (swarm.c: ContainerSpec.Secrets, contents in
 * the spec's DeisSecrets), made when missing (a name is its content's digest,
 * so an existing one holds that content); their IDs go in the spec, and
 * DeisSecrets leaves it.
 */
static int
secrets_ensure(struct dctl *d, json_t *spec, struct err *e)
{
	json_t *files = json_object_get(spec, "DeisSecrets"), *refs, *ref;
	size_t i;
	int rc = 0;

	refs = json_object_get(json_object_get(json_object_get(spec, "TaskTemplate"),
	    "ContainerSpec"), "Secrets");
	json_array_foreach(refs, i, ref) {
		const char *name = json_string_value(json_object_get(ref, "SecretName"));
		const char *data = json_string_value(json_object_get(files, name)) ?: "";
		char *path = xasprintf("/secrets/%s", name), *b64;
		long status = 0;
		size_t len = strlen(data);
		json_t *r;

		r = docker_call(d->docker, "GET", path, NULL, 30000, (const int[]){ 404, 0 },
		    &status, "inspect secret", e);
		free(path);
		if (r && status == 404) {
			json_decref(r);
			b64 = xmalloc(4 * ((len + 2) / 3) + 1);
			EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)data, (int)len);
			{
				json_t *body = json_pack("{s:s, s:s, s:{s:s}}", "Name", name,
				    "Data", b64, "Labels", "sh.deis.instance", d->prefix);

				r = docker_call(d->docker, "POST", "/secrets/create", body, 30000,
				    NULL, NULL, "create secret", e);
				json_decref(body);
			}
			explicit_bzero(b64, strlen(b64));
			free(b64);
		}
		if (!r) {
			rc = -1;
			break;
		}
		json_object_set_new(ref, "SecretID", json_string(json_string_value(
		    json_object_get(r, "ID")) ?: ""));
		json_decref(r);
	}
	json_object_del(spec, "DeisSecrets");
	return rc;
}

/* Remove the platform's secrets no service uses (Swarm refuses the others). */
static void
secrets_prune(struct dctl *d)
{
	char *q = xasprintf("{\"label\":[\"sh.deis.instance=%s\"]}", d->prefix), *esc, *path;
	struct err e = { 0 };
	json_t *list, *sec;
	size_t i;

	esc = curl_easy_escape(NULL, q, 0);
	if (!esc)
		die(1, "out of memory");
	path = xasprintf("/secrets?filters=%s", esc);
	list = docker_call(d->docker, "GET", path, NULL, 30000, NULL, NULL, "list secrets", &e);
	json_array_foreach(list, i, sec) {
		char *del = xasprintf("/secrets/%s", json_string_value(json_object_get(sec, "ID")));
		long status = 0;

		docker_request(d->docker, "DELETE", del, NULL, 30000, &status, NULL, &e);
		free(del);
	}
	json_decref(list);
	curl_free(esc);
	free(path);
	free(q);
}

static const char *
node_name(json_t *node)
{
	return json_string_value(json_object_get(json_object_get(node, "Description"),
	    "Hostname")) ?: json_string_value(json_object_get(node, "ID")) ?: "?";
}

/*
 * The engine is a Swarm manager, PostgreSQL is the database, one node (this
 * one) carries deis.controlPlane=true, and some carry the other two labels.
 */
static int
swarm_check(struct dctl *d, struct swarm *s, struct err *e)
{
	static const char *const roles[] = { "deis.controlPlane", "deis.routerMesh",
	    "deis.dataPlane" };
	json_t *info, *sw, *nodes, *n, *cp = NULL;
	const char *state;
	size_t i, k, count[3] = { 0 };
	int rc = -1;

	memset(s, 0, sizeof(*s));
	info = docker_call(d->docker, "GET", "/info", NULL, 30000, NULL, NULL, "info", e);
	if (!info)
		return -1;
	sw = json_object_get(info, "Swarm");
	state = json_string_value(json_object_get(sw, "LocalNodeState")) ?: "";
	if (strcmp(state, "active") != 0 || !json_is_true(json_object_get(sw, "ControlAvailable"))) {
		err_set(e, 1, "platform mode=swarm, but the engine at '%s' is not a Swarm manager "
		    "(swarm state '%s'): 'docker swarm init' there, point --docker at a "
		    "manager's socket, or 'deisctl config platform set mode=host'",
		    docker_sock(d->docker), *state ? state : "inactive");
		goto out;
	}
	snprintf(s->node_id, sizeof(s->node_id), "%s",
	    json_string_value(json_object_get(sw, "NodeID")) ?: "");
	snprintf(s->addr, sizeof(s->addr), "%s",
	    json_string_value(json_object_get(sw, "NodeAddr")) ?: "");
	if (!dctl_component_postgres(d)) {
		err_set(e, 1, "platform mode=swarm keeps its state in PostgreSQL: "
		    "deisctl config database set engine=postgres");
		goto out;
	}
	nodes = docker_call(d->docker, "GET", "/nodes", NULL, 30000, NULL, NULL, "list nodes", e);
	if (!nodes)
		goto out;
	json_array_foreach(nodes, i, n) {
		for (k = 0; k < ARRAY_SIZE(roles); k++)
			if (dctl_swarm_labelled(n, roles[k]))
				count[k]++;
		if (dctl_swarm_labelled(n, roles[0]))
			cp = n;
		if (pulls(n))
			s->pulling++;
	}
	for (k = 0; k < ARRAY_SIZE(roles); k++)
		if (!count[k]) {
			err_set(e, 1, "no Swarm node is labelled %s=true: 'docker node update "
			    "--label-add %s=true <node>'", roles[k], roles[k]);
			goto nodes_out;
		}
	if (count[0] > 1) {
		err_set(e, 1, "%zu nodes are labelled deis.controlPlane=true: the control plane "
		    "(its volumes, the builder's files) lives on one node; label one", count[0]);
		goto nodes_out;
	}
	if (strcmp(json_string_value(json_object_get(cp, "ID")) ?: "", s->node_id) != 0) {
		err_set(e, 1, "the node labelled deis.controlPlane=true is '%s', but deisctl talks "
		    "to another node's engine: run deisctl on the control-plane node (a manager)",
		    node_name(cp));
		goto nodes_out;
	}
	if (!s->addr[0] || !strcmp(s->addr, "0.0.0.0")) {
		err_set(e, 1, "the engine does not say its Swarm address (NodeAddr)");
		goto nodes_out;
	}
	/*
	 * Every node that pulls app images (the builder's, the apps') needs the
	 * images: one registry volume on one node cannot serve the others.
	 */
	if (s->pulling > 1 && !dctl_store_s3(d)) {
		err_set(e, 1, "%d nodes pull app images (labelled deis.controlPlane or "
		    "deis.dataPlane), but the registry's store is a volume on one node: set the "
		    "S3 store that every node's registry shares ('deisctl config store set "
		    "backend=s3 endpoint=URL bucket=NAME accessKey=AK secretKey=SK', "
		    "docs/deisctl.md), or use one node", s->pulling);
		goto nodes_out;
	}
	rc = 0;
nodes_out:
	json_decref(nodes);
out:
	json_decref(info);
	return rc;
}

/* GET /services/<name>: the service, json_null() when there is none, NULL on error. */
static json_t *
service_get(struct dctl *d, const char *name, struct err *e)
{
	char *path = xasprintf("/services/%s", name);
	long status = 0;
	json_t *r;

	r = docker_call(d->docker, "GET", path, NULL, 30000, (const int[]){ 404, 0 }, &status,
	    "inspect service", e);
	free(path);
	if (r && status == 404) {
		json_decref(r);
		return json_null();
	}
	return r;
}

static const char *
spec_label(json_t *svc)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(svc, "Spec"),
	    "Labels"), "sh.deis.spec")) ?: "";
}

static json_int_t
force_of(json_t *svc)
{
	return json_integer_value(json_object_get(json_object_get(json_object_get(svc, "Spec"),
	    "TaskTemplate"), "ForceUpdate"));
}

/*
 * Create the service, or update it when its spec changed, or with restart
 * always: its ForceUpdate counter (*force) one up makes Swarm replace the tasks
 * one at a time (a rolling restart over the nodes of a global service).
 */
static int
service_ensure(struct dctl *d, json_t *spec, bool restart, bool *changed, json_int_t *force,
    struct err *e)
{
	const char *name = json_string_value(json_object_get(spec, "Name"));
	const char *want = json_string_value(json_object_get(json_object_get(spec, "Labels"),
	    "sh.deis.spec"));
	json_t *svc = service_get(d, name, e), *r;
	char *path;

	*changed = false;
	*force = 0;
	if (!svc)
		return -1;
	if (json_is_null(svc)) {
		path = xstrdup("/services/create");
	} else {
		*force = force_of(svc) + (restart ? 1 : 0);
		if (!restart && !strcmp(spec_label(svc), want)) {
			json_decref(svc);
			return 0;
		}
		json_object_set_new(json_object_get(spec, "TaskTemplate"), "ForceUpdate",
		    json_integer(*force));
		path = xasprintf("/services/%s/update?version=%lld",
		    json_string_value(json_object_get(svc, "ID")),
		    (long long)json_integer_value(json_object_get(json_object_get(svc, "Version"),
		    "Index")));
	}
	json_decref(svc);
	r = docker_call(d->docker, "POST", path, spec, 60000, NULL, NULL, "create service", e);
	free(path);
	if (!r)
		return -1;
	json_decref(r);
	*changed = true;
	return 0;
}

static json_t *
tasks_of(struct dctl *d, const char *name, struct err *e)
{
	json_t *f = json_pack("{s:[s]}", "service", name);
	char *fs = json_dumps(f, JSON_COMPACT), *path;
	char *q = curl_easy_escape(NULL, fs, 0);
	json_t *r;

	if (!q)
		die(1, "out of memory");
	path = xasprintf("/tasks?filters=%s", q);
	r = docker_call(d->docker, "GET", path, NULL, 30000, NULL, NULL, "list tasks", e);
	json_decref(f);
	free(fs);
	curl_free(q);
	free(path);
	return r;
}

/*
 * The state of a service's tasks of the current spec: running of wanted, and
 * why the last one that ended did.
 */
struct tstate {
	int running, wanted;
	int exit_code;
	char why[200];
	char container[80];
};

static void
task_state(json_t *tasks, const char *spec, json_int_t force, struct tstate *ts)
{
	const char *newest = "";
	json_t *t;
	size_t i;

	memset(ts, 0, sizeof(*ts));
	json_array_foreach(tasks, i, t) {
		json_t *st = json_object_get(t, "Status");
		const char *cur = json_string_value(json_object_get(t, "DesiredState")) ?: "";
		const char *s = json_string_value(json_object_get(st, "State")) ?: "";
		const char *at = json_string_value(json_object_get(st, "Timestamp")) ?: "";
		const char *l = json_string_value(json_object_get(json_object_get(json_object_get(
		    json_object_get(t, "Spec"), "ContainerSpec"), "Labels"), "sh.deis.spec")) ?: "";
		json_t *cst = json_object_get(st, "ContainerStatus");

		if (strcmp(l, spec) != 0 || json_integer_value(json_object_get(json_object_get(t,
		    "Spec"), "ForceUpdate")) != force)
			continue;	/* a task of an older spec, or from before a restart */
		if (!strcmp(cur, "running")) {
			ts->wanted++;
			if (!strcmp(s, "running"))
				ts->running++;
		}
		if (strcmp(s, "running") != 0 && strcmp(at, newest) > 0 &&
		    (json_object_get(st, "Err") || json_integer_value(json_object_get(cst,
		    "ExitCode")))) {
			newest = at;
			ts->exit_code = (int)json_integer_value(json_object_get(cst, "ExitCode"));
			snprintf(ts->why, sizeof(ts->why), "%s: %s", s,
			    json_string_value(json_object_get(st, "Err")) ?:
			    json_string_value(json_object_get(st, "Message")) ?: "");
			snprintf(ts->container, sizeof(ts->container), "%s",
			    json_string_value(json_object_get(cst, "ContainerID")) ?: "");
		}
	}
}

/* Wait until every current task of the service runs (for settle_ms); bounded. */
static int
service_wait(struct dctl *d, const char *name, const char *spec, json_int_t force,
    int timeout_ms, struct err *e)
{
	long long deadline = dctl_now_ms() + timeout_ms, up_since = 0;
	struct tstate ts = { 0 };
	struct buf out = BUF_INIT;
	const char *last;
	json_t *tasks;

	for (;;) {
		tasks = tasks_of(d, name, e);
		if (!tasks)
			return -1;
		task_state(tasks, spec, force, &ts);
		json_decref(tasks);
		if (ts.wanted > 0 && ts.running == ts.wanted) {
			if (!up_since)
				up_since = dctl_now_ms();
			if (dctl_now_ms() - up_since >= 1000)
				return 0;
		} else {
			up_since = 0;
			/* 100: a permanent configuration error (STYLE.md); restarts cannot help */
			if (ts.exit_code == 100)
				break;
		}
		if (dctl_now_ms() >= deadline)
			break;
		usleep(250 * 1000);
	}
	last = ts.container[0] ? dctl_engine_last_line(d, ts.container, &out) : "";
	if (ts.exit_code == 100)
		err_set(e, 1, "service '%s' refuses its configuration (exit 100): %.200s", name,
		    last);
	else
		err_set(e, 1, "service '%s' is not up after %d s (%d of %d tasks running; "
		    "last task %s)%s%.200s", name, timeout_ms / 1000, ts.running, ts.wanted,
		    ts.why[0] ? ts.why : "none ended", out.len ? ": " : "", last);
	buf_release(&out);
	return -1;
}

/* DELETE /services/<name>; *removed false when there was none. */
static int
service_delete(struct dctl *d, const char *name, bool *removed, struct err *e)
{
	char *path = xasprintf("/services/%s", name);
	long status = 0;
	json_t *r;

	r = docker_call(d->docker, "DELETE", path, NULL, 30000, (const int[]){ 404, 0 }, &status,
	    "remove service", e);
	free(path);
	if (!r)
		return -1;
	json_decref(r);
	*removed = status != 404;
	return 0;
}

/* Wait (bounded) until this node's containers of the removed service are gone. */
static int
service_gone(struct dctl *d, const char *name, long long deadline, struct err *e)
{
	char *label = xasprintf("com.docker.swarm.service.name=%s", name);
	int rc = 0;

	for (;;) {
		json_t *l = docker_container_list(d->docker, label, e);
		size_t n = json_array_size(l);

		json_decref(l);
		if (!l) {
			rc = -1;
			break;
		}
		if (!n)
			break;
		if (dctl_now_ms() >= deadline) {
			rc = err_set(e, 1, "the containers of service '%s' are still there after "
			    "30 s", name);
			break;
		}
		usleep(250 * 1000);
	}
	free(label);
	return rc;
}

/* What install and start do first: the image's binaries, or NULL when it said why not. */
static char *
swarm_prepare(struct dctl *d, const bool *sel, struct swarm *s)
{
	struct err e = { 0 };
	char *bins = NULL;

	if (swarm_check(d, s, &e) == 0)
		bins = dctl_platform_prepare(d, sel, &e);
	if (!bins)
		fprintf(stderr, "deisctl: %s\n", e.msg);
	return bins;
}

static int
swarm_install(struct dctl *d, const bool *sel)
{
	const struct component *all;
	struct swarm s;
	size_t n, i;
	char *bins;

	bins = swarm_prepare(d, sel, &s);
	if (!bins)
		return 1;
	all = dctl_component_all(&n);
	for (i = 0; i < n; i++) {
		const struct component *c = &all[i];

		if (!sel[i])
			continue;
		bool everywhere = !strcmp(c->name, "registry") && dctl_swarm_registry_everywhere(d);

		if (!dctl_component_runs(d, c))
			printf("%-10s %s\n", c->name, c->what ? c->what :
			    "none on a swarm (Swarm restarts what stops)");
		else if (!dctl_platform_present(c, bins))
			dctl_platform_say_missing(d, c);
		else if (everywhere)
			printf("%-10s installed (a global service on the control- and data-plane "
			    "nodes, labelled %s=true at start; the S3 store)\n", c->name,
			    DCTL_SWARM_REGISTRY_LABEL);
		else
			printf("%-10s installed (a %s service on nodes labelled %s=true at start)\n",
			    c->name, dctl_swarm_global(c->name) ? "global" : "replicated",
			    dctl_swarm_role(c->name));
	}
	free(bins);
	return 0;
}

/*
 * The swarm's node heartbeat to the platform's swarmHeartbeat (seconds, 2 by
 * default; 0 leaves it): the manager marks a node Down after about three
 * missed heartbeats, and only then moves its units, so Swarm's 5 s default
 * puts a lost data-plane node's units back 20-55 s later, 2 s about 17-24 s
 * (docs/performance.md). The cost: more heartbeat traffic, and a network
 * hiccup of about 6 s moves a node's units.
 */
static int
swarm_heartbeat(struct dctl *d, struct err *e)
{
	long long want = strtonum(dctl_state_get(d, "platform", "swarmHeartbeat", "2"), 0, 60, NULL);
	json_t *sw, *spec, *disp, *r;
	json_int_t was, index;
	char *path;

	if (want == 0)
		return 0;
	if (!(sw = docker_call(d->docker, "GET", "/swarm", NULL, 30000, NULL, NULL,
	    "inspect the swarm", e)))
		return -1;
	index = json_integer_value(json_object_get(json_object_get(sw, "Version"), "Index"));
	spec = json_object_get(sw, "Spec");
	if (!json_is_object(json_object_get(spec, "Dispatcher")))
		json_object_set_new(spec, "Dispatcher", json_object());
	disp = json_object_get(spec, "Dispatcher");
	was = json_integer_value(json_object_get(disp, "HeartbeatPeriod"));
	if (was == want * 1000000000LL) {
		json_decref(sw);
		return 0;
	}
	json_object_set_new(disp, "HeartbeatPeriod", json_integer(want * 1000000000LL));
	path = xasprintf("/swarm/update?version=%lld", (long long)index);
	r = docker_call(d->docker, "POST", path, spec, 30000, NULL, NULL, "update the swarm", e);
	free(path);
	json_decref(sw);
	if (!r)
		return -1;
	json_decref(r);
	printf("swarm: node heartbeat %lld s (was %lld s): a lost node is Down after about %lld s "
	    "(platform setting swarmHeartbeat)\n", want, (long long)(was / 1000000000LL), 3 * want);
	return 0;
}

static int
swarm_start_or_restart(struct dctl *d, const bool *sel, bool restart)
{
	const struct component *all;
	struct swarm s;
	struct err e = { 0 };
	size_t n, i;
	char *bins;
	int rc = 0;

	bins = swarm_prepare(d, sel, &s);
	if (!bins)
		return 1;
	if (swarm_heartbeat(d, &e) < 0 ||
	    (dctl_swarm_registry_everywhere(d) && registry_labels(d, &e) < 0)) {
		fprintf(stderr, "deisctl: %s\n", e.msg);
		free(bins);
		return 1;
	}
	all = dctl_component_all(&n);
	for (i = 0; i < n; i++) {
		const struct component *c = &all[i];
		json_t *body, *spec = NULL;
		json_int_t force = 0;
		bool changed = false;
		int r = -1;

		if (!sel[i] || !dctl_component_runs(d, c))
			continue;
		if (!dctl_platform_present(c, bins)) {
			dctl_platform_say_missing(d, c);
			continue;
		}
		body = dctl_component_body(d, c, &e);
		if (body) {
			spec = dctl_swarm_service(d, c->name, body, s.addr);
			r = secrets_ensure(d, spec, &e);
			if (r == 0)
				r = service_ensure(d, spec, restart, &changed, &force, &e);
		}
		if (r == 0)
			r = service_wait(d, json_string_value(json_object_get(spec, "Name")),
			    json_string_value(json_object_get(json_object_get(spec, "Labels"),
			    "sh.deis.spec")), force, 120000, &e);
		if (r == 0)
			r = dctl_platform_ready(d, c, &e);
		if (r < 0) {
			fprintf(stderr, "deisctl: %s: %s\n", c->name, e.msg);
			rc = 1;
		} else {
			printf("%-10s running (service %s%s)\n", c->name,
			    json_string_value(json_object_get(spec, "Name")),
			    changed ? "" : ", unchanged");
		}
		fflush(stdout);
		json_decref(body);
		json_decref(spec);
	}
	secrets_prune(d);	/* the ones of the specs replaced */
	free(bins);
	return rc;
}

/*
 * Remove the selected components' services, last started first, then wait
 * (30 s for all) until their containers on this node are gone: the volumes
 * are free then, and a new service can bind the same host ports.
 */
static int
swarm_remove(struct dctl *d, const bool *sel, bool say)
{
	const struct component *all;
	struct err e = { 0 };
	long long deadline;
	size_t n, i;
	int rc = 0;

	all = dctl_component_all(&n);
	for (i = n; i-- > 0;) {
		char *name;
		bool removed = false;

		if (!sel[i] || !all[i].binary)
			continue;
		name = dctl_component_container(d, &all[i]);
		if (service_delete(d, name, &removed, &e) < 0) {
			fprintf(stderr, "deisctl: %s: %s\n", all[i].name, e.msg);
			rc = 1;
		} else if (removed && say) {
			printf("%-10s stopped (service removed)\n", all[i].name);
		}
		free(name);
	}
	deadline = dctl_now_ms() + 30000;
	for (i = n; i-- > 0;) {
		char *name;

		if (!sel[i] || !all[i].binary)
			continue;
		name = dctl_component_container(d, &all[i]);
		if (service_gone(d, name, deadline, &e) < 0) {
			fprintf(stderr, "deisctl: %s: %s\n", all[i].name, e.msg);
			rc = 1;
		}
		free(name);
	}
	secrets_prune(d);
	return rc;
}

/* status and list; exit 3 when a service is missing or not all its tasks run. */
static int
swarm_status(struct dctl *d, const bool *sel, bool verbose)
{
	const struct component *all;
	struct err e = { 0 };
	size_t n, i;
	int rc = 0;

	all = dctl_component_all(&n);
	if (!verbose)
		printf("%-10s %-20s %s\n", "COMPONENT", "SERVICE", "STATE");
	for (i = 0; i < n; i++) {
		const struct component *c = &all[i];
		char *name, state[300];
		json_t *svc, *tasks;
		struct tstate ts;

		if (!sel[i] || !dctl_component_runs(d, c))
			continue;
		name = dctl_component_container(d, c);
		svc = service_get(d, name, &e);
		tasks = svc && !json_is_null(svc) ? tasks_of(d, name, &e) : NULL;
		if (!svc || (!json_is_null(svc) && !tasks)) {
			fprintf(stderr, "deisctl: %s\n", e.msg);
			json_decref(svc);
			free(name);
			return 1;
		}
		if (json_is_null(svc)) {
			snprintf(state, sizeof(state), "not started");
			rc = 3;
		} else {
			task_state(tasks, spec_label(svc), force_of(svc), &ts);
			snprintf(state, sizeof(state), "%s, %d/%d tasks running%s%s",
			    ts.wanted && ts.running == ts.wanted ? "running" : "starting",
			    ts.running, ts.wanted, verbose && ts.why[0] ? "; last ended " : "",
			    verbose ? ts.why : "");
			if (!ts.wanted || ts.running != ts.wanted)
				rc = 3;
		}
		if (verbose)
			printf("%-10s %s [%s on %s=true]\n", c->name, state, name,
			    dctl_swarm_role(c->name));
		else
			printf("%-10s %-20s %s\n", c->name, name, state);
		json_decref(svc);
		json_decref(tasks);
		free(name);
	}
	return rc;
}

/*
 * Each running router task's access log file (in its node's volume): read
 * through this engine when the task runs on it, else the command to run on
 * that node is printed.
 */
static int
router_access_tails(struct dctl *d, const char *service, int lines)
{
	struct err e = { 0 };
	json_t *tasks = tasks_of(d, service, &e), *t;
	size_t i;
	int rc = 0;

	if (!tasks) {
		printf("(access log: %s)\n", e.msg);
		return -1;
	}
	json_array_foreach(tasks, i, t) {
		json_t *st = json_object_get(t, "Status");
		const char *cid = json_string_value(json_object_get(json_object_get(st,
		    "ContainerStatus"), "ContainerID"));
		const char *node = json_string_value(json_object_get(t, "NodeID")) ?: "?";

		if (!cid || strcmp(json_string_value(json_object_get(st, "State")) ?: "", "running"))
			continue;
		if (dctl_router_access_tail(d, cid, lines, &e) == 0)
			continue;
		if (e.code == 404)
			printf("(access log of the router task on node %s, another engine: there, "
			    "docker exec %.12s tail -n %d %s)\n", node, cid, lines,
			    dctl_router_access_file(d));
		else {
			printf("(access log: %s)\n", e.msg);
			rc = -1;
		}
	}
	json_decref(tasks);
	return rc;
}

static int
swarm_journal(struct dctl *d, const bool *sel, int lines)
{
	const struct component *all;
	size_t n, i;
	int rc = 0;

	all = dctl_component_all(&n);
	for (i = 0; i < n; i++) {
		struct buf raw = BUF_INIT, out = BUF_INIT;
		struct err e = { 0 };
		long status = 0;
		bool trunc = false;
		char *name, *path;

		if (!sel[i] || !dctl_component_runs(d, &all[i]))
			continue;
		name = dctl_component_container(d, &all[i]);
		path = xasprintf("/services/%s/logs?stdout=1&stderr=1&timestamps=1&tail=%d", name,
		    lines);
		printf("-- %s --\n", name);
		fflush(stdout);
		if (docker_request(d->docker, "GET", path, NULL, 30000, &status, &raw, &e) < 0) {
			printf("(%s)\n", e.msg);
			rc = 1;
		} else if (status != 200) {
			/* Not started is an answer, not a failure. */
			printf("(no service '%s': %.200s)\n", name, raw.p);
			if (status != 404)
				rc = 1;
		} else {
			docker_demux(raw.p, raw.len, &out, 64u << 20, &trunc);
			fwrite(out.p, 1, out.len, stdout);
			if (!strcmp(all[i].name, "router") && dctl_router_access_file(d) &&
			    router_access_tails(d, name, lines) < 0)
				rc = 1;
		}
		fflush(stdout);
		buf_release(&raw);
		buf_release(&out);
		free(path);
		free(name);
	}
	return rc;
}

static int
swarm_start(struct dctl *d, const bool *sel)
{
	return swarm_start_or_restart(d, sel, false);
}

/* An update of every selected service even when its spec is the same. */
static int
swarm_restart(struct dctl *d, const bool *sel)
{
	return swarm_start_or_restart(d, sel, true);
}

static int
swarm_stop(struct dctl *d, const bool *sel)
{
	return swarm_remove(d, sel, true);
}

static int
swarm_uninstall(struct dctl *d, const bool *sel)
{
	return swarm_remove(d, sel, false);
}

/*
 * The router is a global service: one task per router-mesh node, each with
 * that many workers, replaced node by node (an update).
 */
static int
swarm_scale(struct dctl *d, long long workers)
{
	bool sel[DCTL_MAX_COMPONENTS] = { false };
	size_t n;

	sel[dctl_component_find("router") - dctl_component_all(&n)] = true;
	printf("router: %lld worker(s) in each router task (one per router-mesh node)\n", workers);
	return swarm_restart(d, sel);
}

/* The running task container of the controller's service on this engine. */
static char *
swarm_controller(struct dctl *d, struct err *e)
{
	char *svc = xasprintf("%s-controller", d->prefix), *id = dctl_engine_task(d, svc, e);

	if (!id && !e->code)
		err_set(e, 404, "no running task of the service '%s' on this engine: run this on "
		    "the control-plane node (label deis.controlPlane=true)", svc);
	free(svc);
	return id;
}

const struct platform_ops dctl_platform_swarm = {
	.mode = "swarm",
	.install = swarm_install,
	.start = swarm_start,
	.stop = swarm_stop,
	.restart = swarm_restart,
	.status = swarm_status,
	.journal = swarm_journal,
	.scale = swarm_scale,
	.uninstall = swarm_uninstall,
	.controller = swarm_controller,
};
