/*
 * The `docker` scheduler driver: one host, the Docker Engine API.
 *
 * The container body carries the platform's security floor for app code:
 * every capability dropped (cfg->cap_add puts back only what an operator
 * names), no-new-privileges, a pids limit, swap equal to the memory limit (no
 * swap), nofile 10000, a named bridge network (never "host"), no volumes and
 * so never the Docker socket, docker-init as PID 1 (reaps zombies, forwards
 * signals), a bounded json-file log (logspout and `run` read it through the
 * API). Crashes are restarted by Docker ("on-failure", its own back-off);
 * what Docker will not restart (`docker kill`/`stop` from outside, an exit 0)
 * the scheduler's heal starts again (dk_revive).
 *
 * Why no capability at all by default: apps bind $PORT (5000, above 1024, so
 * no NET_BIND_SERVICE), run as the image's user, and write only files their
 * own uid owns (no DAC_OVERRIDE/FOWNER/CHOWN). A runner that starts as root
 * and drops to another user would need SETUID and SETGID: the operator adds
 * them through sched_config.cap_add, knowing that with no-new-privileges a
 * setuid binary still cannot gain anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/scheduler/driver.h"
#include "lib/docker.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define PIDS_LIMIT_DEFAULT 512
#define NOFILE 10000

struct dk {
	struct docker *d;
	char *platform;
	char *label;		/* "sh.deis.platform=<platform>" */
	char *network;		/* app containers' network, when not one per app */
	bool per_app;		/* one network per app, subnets from the pool */
	uint32_t pool;
	unsigned pool_bits;
	char **peers;		/* platform containers connected to each app network */
	unsigned pids_limit;
	json_t *cap_add;
};

/* The network app's containers join (net holds SCHED_NAME_MAX). */
static const char *
app_network(const struct dk *k, const char *app, char *net)
{
	if (!k->per_app)
		return k->network;
	sched_appnet_name(net, k->platform, app, "bridge");
	return net;
}

static void dk_close(void *h);

static void *
dk_open(const struct sched_config *cfg, const char *platform, struct err *e)
{
	struct dk *k;

	if (sched_network_check(cfg->network, e) < 0)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->d = sched_engine_open(cfg);
	k->platform = xstrdup(platform);
	k->label = xasprintf("sh.deis.platform=%s", platform);
	k->network = xstrdup(cfg->network ? cfg->network : "bridge");
	k->pids_limit = cfg->pids_limit ? cfg->pids_limit : PIDS_LIMIT_DEFAULT;
	k->cap_add = sched_cap_add_json(cfg->cap_add);
	if (cfg->app_subnets && *cfg->app_subnets) {
		size_t n = 0;

		if (sched_appnet_pool(cfg->app_subnets, &k->pool, &k->pool_bits, e) < 0) {
			dk_close(k);
			return NULL;
		}
		k->per_app = true;
		while (cfg->app_peers && cfg->app_peers[n])
			n++;
		k->peers = xcalloc(n + 1, sizeof(*k->peers));
		for (n = 0; cfg->app_peers && cfg->app_peers[n]; n++)
			k->peers[n] = xstrdup(cfg->app_peers[n]);
	}
	return k;
}

static void
dk_close(void *h)
{
	struct dk *k = h;

	if (k == NULL)
		return;
	docker_free(k->d);
	free(k->platform);
	free(k->label);
	free(k->network);
	for (size_t i = 0; k->peers && k->peers[i]; i++)
		free(k->peers[i]);
	free(k->peers);
	json_decref(k->cap_add);
	free(k);
}

static int
dk_ping(void *h, struct err *e)
{
	struct dk *k = h;

	return docker_ping(k->d, e);
}

static int
dk_image_id(void *h, const char *image, char *id, struct err *e)
{
	struct dk *k = h;

	return sched_engine_image(k->d, image, id, NULL, e);
}

static int
dk_prepare(void *h, const char *image, int *port, struct err *e)
{
	struct dk *k = h;

	return sched_engine_image(k->d, image, NULL, port, e);
}

static json_t *
strv(const char *const *v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/*
 * A listed container's address on its app's network; on the one app
 * containers shared before (a container from before networks per app).
 */
static const char *
net_ip(const struct dk *k, json_t *nets, const char *app)
{
	char buf[SCHED_NAME_MAX];
	const char *ip = json_string_value(json_object_get(json_object_get(nets,
	    app_network(k, app, buf)), "IPAddress"));

	if (ip == NULL || *ip == '\0')
		ip = json_string_value(json_object_get(json_object_get(nets, k->network),
		    "IPAddress"));
	return ip;
}

/* The create body (on network net); caller owns it. */
static json_t *
dk_body(struct dk *k, const struct sched_unit *u, const char *net)
{
	json_t *b, *hc, *labels;
	char port[16];

	snprintf(port, sizeof(port), "%d", u->port);
	labels = sched_unit_labels(k->platform, u);
	hc = json_pack("{s:s, s:[s], s:O, s:[s], s:I, s:b, s:b, s:b, s:[{s:s, s:i, s:i}],"
	    " s:{s:s, s:{s:s, s:s}}, s:{s:s, s:i}}",
	    "NetworkMode", net,
	    "CapDrop", "ALL",
	    "CapAdd", k->cap_add,
	    "SecurityOpt", "no-new-privileges:true",
	    "PidsLimit", (json_int_t)k->pids_limit,
	    "Privileged", 0,
	    "Init", 1,
	    "PublishAllPorts", 0,
	    "Ulimits", "Name", "nofile", "Soft", NOFILE, "Hard", NOFILE,
	    "LogConfig", "Type", "json-file", "Config", "max-size", "10m", "max-file", "2",
	    "RestartPolicy", "Name", u->oneoff ? "no" : "on-failure", "MaximumRetryCount", 0);
	if (u->memory > 0) {
		json_object_set_new(hc, "Memory", json_integer(u->memory));
		json_object_set_new(hc, "MemorySwap", json_integer(u->memory));
	}
	if (u->cpu_shares > 0)
		json_object_set_new(hc, "CpuShares", json_integer(u->cpu_shares));
	if (u->port > 0 && u->port < 1024) {
		/* its server binds a low port without CAP_NET_BIND_SERVICE: from that port up only */
		json_object_set_new(hc, "Sysctls", json_pack("{s:s%}",
		    "net.ipv4.ip_unprivileged_port_start", port, strlen(port)));
	}
	b = json_pack("{s:s, s:o, s:o, s:o, s:b, s:b, s:b}",
	    "Image", u->image,
	    "Env", strv(u->env),
	    "Labels", labels,
	    "HostConfig", hc,
	    "Tty", u->tty, "OpenStdin", u->tty, "AttachStdin", u->tty);
	if (b == NULL)
		die(1, "scheduler: cannot build a container body");
	if (u->tty) {
		/* stdin closes when the one attached stream does */
		json_object_set_new(b, "StdinOnce", json_true());
		json_object_set_new(b, "AttachStdout", json_true());
		json_object_set_new(b, "AttachStderr", json_true());
	}
	if (u->entrypoint)
		json_object_set_new(b, "Entrypoint", strv(u->entrypoint));
	if (u->cmd)
		json_object_set_new(b, "Cmd", strv(u->cmd));
	if (!u->oneoff) {
		char exposed[16];

		snprintf(exposed, sizeof(exposed), "%d/tcp", u->port ? u->port : SCHED_PORT);
		json_object_set_new(b, "ExposedPorts", json_pack("{s:{}}", exposed));
	}
	return b;
}

static int
dk_addr(struct dk *k, const char *id, const char *netname, int port, char addr[48],
    struct err *e)
{
	json_t *ins = docker_container_inspect(k->d, id, e), *ns, *net;
	const char *ip = NULL;

	addr[0] = '\0';
	if (ins == NULL)
		return -1;
	ns = json_object_get(ins, "NetworkSettings");
	net = json_object_get(json_object_get(ns, "Networks"), netname);
	ip = json_string_value(json_object_get(net, "IPAddress"));
	if (ip == NULL || *ip == '\0')
		ip = json_string_value(json_object_get(ns, "IPAddress"));
	if (ip && *ip)
		snprintf(addr, 48, "%s:%d", ip, port ? port : SCHED_PORT);
	json_decref(ins);
	return 0;
}

static int
dk_start(void *h, const struct sched_unit *u, char id[SCHED_ID_MAX], char addr[48],
    struct err *e)
{
	struct dk *k = h;
	char netbuf[SCHED_NAME_MAX];
	const char *net = app_network(k, u->app, netbuf);
	json_t *body;
	int ret;

	id[0] = addr[0] = '\0';
	if (k->per_app && sched_appnet_ensure(k->d, k->platform, u->app, "bridge", k->pool,
	    k->pool_bits, (const char *const *)k->peers, netbuf, e) < 0)
		return -1;
	body = dk_body(k, u, net);
	ret = docker_container_create(k->d, u->name, body, id, e);
	json_decref(body);
	if (ret < 0)
		return -1;
	if (docker_container_start(k->d, id, e) < 0)
		return -1;
	if (!u->oneoff && dk_addr(k, id, net, u->port, addr, e) < 0)
		return -1;
	return 0;
}

static int
dk_start_tty(void *h, const struct sched_unit *u, char id[SCHED_ID_MAX], int *fd,
    struct buf *extra, struct err *e)
{
	struct dk *k = h;
	char netbuf[SCHED_NAME_MAX];
	const char *net = app_network(k, u->app, netbuf);
	json_t *body;
	int ret;

	id[0] = '\0';
	*fd = -1;
	if (k->per_app && sched_appnet_ensure(k->d, k->platform, u->app, "bridge", k->pool,
	    k->pool_bits, (const char *const *)k->peers, netbuf, e) < 0)
		return -1;
	body = dk_body(k, u, net);
	ret = docker_container_create(k->d, u->name, body, id, e);
	json_decref(body);
	if (ret < 0)
		return -1;
	/* attached before it starts: a shell's first prompt is not lost */
	if ((*fd = docker_container_attach(k->d, id, extra, e)) < 0)
		return -1;
	return docker_container_start(k->d, id, e);
}

static int
dk_resize(void *h, const char *id, unsigned rows, unsigned cols, struct err *e)
{
	struct dk *k = h;

	return docker_container_resize(k->d, id, rows, cols, e);
}

static int
dk_wait(void *h, const char *id, unsigned timeout_ms, int *rc, struct err *e)
{
	struct dk *k = h;

	return docker_container_wait(k->d, id, timeout_ms, rc, e);
}

/* The container's State: running, restarting (Docker's back-off), last exit code. */
static int
dk_state(struct dk *k, const char *id, bool *running, bool *restarting, int *exit_code,
    struct err *e)
{
	json_t *ins = docker_container_inspect(k->d, id, e), *st;

	if (ins == NULL)
		return -1;
	st = json_object_get(ins, "State");
	*running = json_is_true(json_object_get(st, "Running"));
	*restarting = json_is_true(json_object_get(st, "Restarting"));
	*exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	json_decref(ins);
	return 0;
}

static int
dk_running(void *h, const char *id, int *exit_code, struct err *e)
{
	bool running, restarting;

	if (dk_state(h, id, &running, &restarting, exit_code, e) < 0)
		return -1;
	return running && !restarting;
}

static int
dk_revive(void *h, const char *id, struct err *e)
{
	struct dk *k = h;
	bool running, restarting;
	int code;

	if (dk_state(k, id, &running, &restarting, &code, e) < 0)
		return -1;
	if (running || restarting)
		return 0;	/* it runs, or Docker's policy is starting it again */
	return docker_container_start(k->d, id, e) < 0 ? -1 : 1;
}

static int
dk_signal_stop(void *h, const char *id, struct err *e)
{
	struct dk *k = h;

	return docker_container_kill(k->d, id, "TERM", e);
}

static int
dk_remove(void *h, const char *id, unsigned timeout_s, struct err *e)
{
	struct dk *k = h;

	if (docker_container_stop(k->d, id, (int)timeout_s, e) < 0)
		log_warn("%s", e->msg);	/* removal below forces it anyway */
	return docker_container_remove(k->d, id, true, e);
}

static int
dk_rename(void *h, const char *id, const char *name, struct err *e)
{
	struct dk *k = h;

	return docker_container_rename(k->d, id, name, e);
}

static int
dk_finish(void *h, const char *name, const char *id, unsigned timeout_ms, size_t max, int *rc,
    struct buf *out, struct err *e)
{
	struct dk *k = h;
	bool trunc = false;

	if (docker_container_wait(k->d, id, timeout_ms, rc, e) < 0) {
		if (e->code == 504)
			err_set(e, 503, "'%s' did not finish within %u s", name, timeout_ms / 1000);
		return -1;
	}
	if (docker_container_logs(k->d, id, max, out, &trunc, e) < 0)
		return -1;
	if (trunc)
		log_warn("scheduler: output of '%s' cut at %zu bytes", name, max);
	return 0;
}

static int
dk_output(void *h, const char *id, int lines, struct buf *out, struct err *e)
{
	struct dk *k = h;
	char *path = xasprintf("/containers/%s/logs?stdout=1&stderr=1&tail=%d", id, lines);
	struct buf raw = BUF_INIT;
	long status;
	int rc = -1;

	if (docker_request(k->d, "GET", path, NULL, 30000, &status, &raw, e) == 0) {
		if (status == 200) {
			docker_demux(raw.p, raw.len, out, out->len + (64u << 10), NULL);
			rc = 0;
		} else {
			err_set(e, (int)status, "docker: cannot read the log of '%.12s'", id);
		}
	}
	buf_release(&raw);
	free(path);
	return rc;
}

/*
 * Listening TCP sockets of the container's network namespace, from its
 * /proc/net/tcp{,6} (read by `cat` in the container: its own view; an image
 * without cat cannot tell). State 0A is LISTEN; the local port is the hex
 * after the colon of the second column.
 */
static int
dk_listening(void *h, const char *id, struct buf *out, struct err *e)
{
	static const char *const argv[] = { "cat", "/proc/net/tcp", "/proc/net/tcp6", NULL };
	struct dk *k = h;
	struct buf text = BUF_INIT;
	unsigned ports[32], nports = 0, i, port;
	const char *p, *nl;
	int code;

	if (docker_exec(k->d, id, argv, NULL, 10000, &text, &code, e) < 0) {
		buf_release(&text);
		return -1;
	}
	for (p = text.p; p && p < text.p + text.len; p = nl ? nl + 1 : NULL) {
		char local[64], remote[64], st[8];
		const char *colon;

		nl = memchr(p, '\n', (size_t)(text.p + text.len - p));
		/* 127.0.0.11 (0B00007F) is Docker's embedded DNS, not the app */
		if (sscanf(p, "%*s %63s %63s %7s", local, remote, st) != 3 ||
		    strcmp(st, "0A") != 0 || strncmp(local, "0B00007F:", 9) == 0 ||
		    (colon = strrchr(local, ':')) == NULL || sscanf(colon + 1, "%x", &port) != 1)
			continue;
		for (i = 0; i < nports && ports[i] != port; i++)
			;
		if (i == nports && nports < 32)
			ports[nports++] = port;
	}
	for (i = 0; i < nports; i++)
		buf_addf(out, "%s%u", i ? ", " : "", ports[i]);
	buf_release(&text);
	return 0;
}

/* Fill the parts of o common to listings and events from labels; -1 if not ours. */
static int
obs_labels(struct sched_obs *o, json_t *labels)
{
	o->cid = o->id;		/* a unit of this driver is a container */
	o->app = json_string_value(json_object_get(labels, "sh.deis.app"));
	o->type = json_string_value(json_object_get(labels, "sh.deis.type"));
	o->release = sched_label_uint(labels, "sh.deis.release", true);
	o->num = sched_label_uint(labels, "sh.deis.num", false);
	return o->app && o->type && o->release && o->num ? 0 : -1;
}

/* Leading decimal digits of p as an exit code (0..255 in practice; -1 when none). */
static int
code_parse(const char *p)
{
	char *end;
	long n;

	if (p == NULL)
		return -1;
	n = strtol(p, &end, 10);
	return end == p || n < -1 || n > 100000 ? -1 : (int)n;
}

/* "Exited (137) 3 seconds ago" → 137; 0 when there is none. */
static int
status_exit_code(const char *status)
{
	const char *p = status ? strchr(status, '(') : NULL;
	int n = p ? code_parse(p + 1) : 0;

	return n < 0 ? 0 : n;
}

static int
dk_list(void *h, sched_obs_fn *fn, void *arg, struct err *e)
{
	struct dk *k = h;
	json_t *list = docker_container_list(k->d, k->label, e), *c;
	struct sched_obs o;
	const char *state, *name, *ip;
	char addr[48];
	size_t i;

	if (list == NULL)
		return -1;
	json_array_foreach(list, i, c) {
		memset(&o, 0, sizeof(o));
		o.kind = SCHED_OBS_EXISTS;
		o.id = json_string_value(json_object_get(c, "Id"));
		name = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
		o.name = name && *name == '/' ? name + 1 : name;
		if (o.id == NULL || obs_labels(&o, json_object_get(c, "Labels")) < 0)
			continue;
		o.time = (double)json_integer_value(json_object_get(c, "Created"));
		ip = net_ip(k, json_object_get(json_object_get(c, "NetworkSettings"), "Networks"),
		    o.app);
		if (ip && *ip) {
			snprintf(addr, sizeof(addr), "%s:%d", ip,
			    sched_label_port(json_object_get(c, "Labels")));
			o.addr = addr;
		}
		state = json_string_value(json_object_get(c, "State"));
		o.exit_code = status_exit_code(json_string_value(json_object_get(c, "Status")));
		if (state == NULL)
			o.state = SCHED_ERROR;
		else if (strcmp(state, "running") == 0)
			o.state = SCHED_UP;
		else if (strcmp(state, "created") == 0)
			o.state = SCHED_CREATED;
		else if (strcmp(state, "restarting") == 0) {
			o.state = SCHED_CRASHED;
			o.restarting = true;
		}
		else if (strcmp(state, "exited") == 0)
			o.state = o.exit_code ? SCHED_CRASHED : SCHED_DOWN;
		else if (strcmp(state, "paused") == 0 || strcmp(state, "removing") == 0)
			o.state = SCHED_DOWN;
		else
			o.state = SCHED_ERROR;
		fn(&o, arg);
	}
	json_decref(list);
	return 0;
}

struct watch {
	struct dk *k;
	sched_obs_fn *fn;
	void *arg;
};

static int
dk_event(json_t *ev, void *arg)
{
	char netbuf[SCHED_NAME_MAX];
	struct watch *w = arg;
	json_t *actor = json_object_get(ev, "Actor"), *attrs;
	const char *action = json_string_value(json_object_get(ev, "Action"));
	struct sched_obs o;
	struct err e;
	char addr[48];

	memset(&o, 0, sizeof(o));
	attrs = json_object_get(actor, "Attributes");
	o.id = json_string_value(json_object_get(actor, "ID"));
	o.name = json_string_value(json_object_get(attrs, "name"));
	if (action == NULL || o.id == NULL || obs_labels(&o, attrs) < 0)
		return 0;
	o.time = (double)json_integer_value(json_object_get(ev, "timeNano")) / 1e9;
	if (strcmp(action, "create") == 0)
		o.kind = SCHED_OBS_CREATE;
	else if (strcmp(action, "start") == 0) {
		/* Docker restarting a crashed container may give it a new address. */
		o.kind = SCHED_OBS_START;
		if (dk_addr(w->k, o.id, app_network(w->k, o.app, netbuf), sched_label_port(attrs),
		    addr, &e) == 0 && addr[0])
			o.addr = addr;
	}
	else if (strcmp(action, "die") == 0) {
		bool running;
		int code;

		o.kind = SCHED_OBS_DIE;
		o.exit_code = code_parse(json_string_value(json_object_get(attrs, "exitCode")));
		/* whether Docker's policy starts it again (it says so from the die on) */
		if (dk_state(w->k, o.id, &running, &o.restarting, &code, &e) < 0)
			o.restarting = false;
	} else if (strcmp(action, "oom") == 0)
		o.kind = SCHED_OBS_OOM;
	else if (strcmp(action, "rename") == 0)
		o.kind = SCHED_OBS_RENAME;
	else if (strcmp(action, "destroy") == 0)
		o.kind = SCHED_OBS_DESTROY;
	else
		return 0;
	w->fn(&o, w->arg);
	return 0;
}

static int
dk_watch(void *h, double since, sched_obs_fn *fn, void *arg, volatile int *stop,
    struct err *e)
{
	struct dk *k = h;
	struct watch w = { k, fn, arg };
	json_t *f;
	char *filters;
	int ret;

	f = json_pack("{s:[s], s:[s], s:[s,s,s,s,s,s]}", "type", "container", "label", k->label,
	    "event", "create", "start", "die", "oom", "rename", "destroy");
	filters = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	if (filters == NULL)
		die(1, "out of memory");
	ret = docker_events(k->d, filters, since, dk_event, &w, stop, e);
	free(filters);
	return ret;
}

static void
dk_app_gone(void *h, const char *app)
{
	struct dk *k = h;

	if (k->per_app)
		sched_appnet_remove(k->d, k->platform, app, "bridge");
}

const struct sched_driver sched_driver_docker = {
	.name = "docker",
	.unit_is_container = true,
	.open = dk_open,
	.close = dk_close,
	.ping = dk_ping,
	.prepare = dk_prepare,
	.image_id = dk_image_id,
	.start = dk_start,
	.start_tty = dk_start_tty,
	.resize = dk_resize,
	.wait = dk_wait,
	.running = dk_running,
	.revive = dk_revive,
	.signal_stop = dk_signal_stop,
	.remove = dk_remove,
	.rename = dk_rename,
	.finish = dk_finish,
	.output = dk_output,
	.listening = dk_listening,
	.list = dk_list,
	.watch = dk_watch,
	.app_gone = dk_app_gone,
};
