/*
 * Rollouts: deploy, scale, restart, run and destroy, and the health checks
 * they wait on. Everything here blocks and runs on the caller's (worker)
 * thread under the app's lock; the table is read and updated through the
 * helpers of scheduler.c.
 *
 * A container that must make way for a new one with the same name (rolling
 * restart, a deploy of the version already running) is renamed aside
 * ("<name>.old-<id>") rather than stopped first, so the old one serves until
 * the new one is healthy.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <curl/curl.h>

#include "controller/scheduler/sched_int.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define HEALTH_MSG "aborting, app containers failed to respond to health check"
#define CREATE_MSG "aborting, failed to create some containers"
#define RUN_OUTPUT_MAX (1u << 20)
#define COUNT_MAX 100		/* containers of one type */
#define WORKER_SETTLE 1.0	/* s a non-routable container must stay up to count as booted */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long
ms_since(double t0)
{
	return (long long)((mono() - t0) * 1000 + 0.5);
}

static const char *
kv_get(const struct sched_kv *kv, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (kv[i].key && strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

static bool
routable(const char *type)
{
	return strcmp(type, "web") == 0 || strcmp(type, "cmd") == 0;
}

static bool
word_ok(const char *s, size_t max, const char *extra)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= '0' && s[i] <= '9') &&
		    !strchr(extra, s[i]))
			return false;
	return i > 0 && i < max;
}

static int
rel_check(const struct sched_release *rel, struct err *e)
{
	if (rel->app == NULL || !word_ok(rel->app, SCHED_APP_MAX, "-"))
		return err_set(e, 400, "invalid app name '%s'", rel->app ? rel->app : "");
	if (rel->version == 0 || rel->version > 1000000000)
		return err_set(e, 400, "invalid release version %u", rel->version);
	if (rel->image == NULL || *rel->image == '\0')
		return err_set(e, 400, "No build associated with this release");
	return 0;
}

static int
type_check(const struct sched_release *rel, const char *type, struct err *e)
{
	if (type == NULL || !word_ok(type, SCHED_TYPE_MAX, "_-") || !(*type >= 'a' && *type <= 'z'))
		return err_set(e, 400, "Invalid process type '%s'", type ? type : "");
	if (strcmp(type, "run") == 0)
		return err_set(e, 400, "Container type run does not exist in application");
	if (kv_get(rel->procfile, rel->nprocfile, type) == NULL &&
	    !(rel->dockerfile && strcmp(type, "cmd") == 0))
		return err_set(e, 400, "Container type %s does not exist in application", type);
	return 0;
}

/* The environment of every container of a release (port: its $PORT): NULL-terminated, owned. */
static char **
env_build(const struct sched_release *rel, int port)
{
	static const char *const reserved[] = { "PORT", "DEIS_APP", "DEIS_RELEASE", "GIT_SHA" };
	char **v = xcalloc(rel->nconfig + 5, sizeof(*v));
	size_t i, j, n = 0;

	v[n++] = xasprintf("PORT=%d", port);
	v[n++] = xasprintf("DEIS_APP=%s", rel->app);
	v[n++] = xasprintf("DEIS_RELEASE=v%u", rel->version);
	v[n++] = xasprintf("GIT_SHA=%s", rel->git_sha ? rel->git_sha : "");
	for (i = 0; i < rel->nconfig; i++) {
		if (rel->config[i].key == NULL || rel->config[i].value == NULL ||
		    *rel->config[i].key == '\0' || strchr(rel->config[i].key, '='))
			continue;
		/* The platform's own variables win: routing depends on PORT. */
		for (j = 0; j < ARRAY_SIZE(reserved); j++)
			if (strcmp(rel->config[i].key, reserved[j]) == 0)
				break;
		if (j == ARRAY_SIZE(reserved))
			v[n++] = xasprintf("%s=%s", rel->config[i].key, rel->config[i].value);
	}
	v[n] = NULL;
	return v;
}

static void
env_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/*
 * One container being booted. It points into itself (u.name, u.entrypoint,
 * u.cmd): never move a filled one (no realloc of an array of them).
 */
struct boot {
	struct sched_unit u;
	char name[SCHED_NAME_MAX];
	const char *entv[4];
	const char *cmdv[4];
	char id[SCHED_ID_MAX];
	char addr[48];
	bool healthy;
	bool tcp_ok;		/* something answered on its port once */
	long hc_status;		/* the last HEALTHCHECK_URL answer; 0: none (timeout) */
	bool hc_tried;
	double started, next_probe, last_running;
	double first_running;	/* the first probe that found it running; 0: none yet */
	/* the container renamed aside to make way for this one, if any */
	char aside_id[SCHED_ID_MAX];
	char aside_name[SCHED_NAME_MAX];
};

/*
 * The command line of a shell command (a one-off, or a Dockerfile app's
 * Procfile entry), the same for both kinds of image: "bash -c <command>", as
 * Deis ran them (bash's syntax: arrays, [[ ]], brace expansion). A buildpack
 * image keeps its runner entrypoint, which sources the app's .profile.d, moves
 * to /app and execs it; a Dockerfile image's entrypoint is replaced by
 * SCHED_ONEOFF_SHIM, which runs sh where the image has no bash (entv[0] NULL:
 * keep the image's). entv and cmdv hold 4 each.
 */
static void
oneoff_argv(const struct sched_release *rel, const char *command, const char **entv,
    const char **cmdv)
{
	entv[0] = NULL;
	if (rel->dockerfile) {
		entv[0] = "/bin/sh", entv[1] = "-c", entv[2] = SCHED_ONEOFF_SHIM;
		entv[3] = NULL;
	}
	cmdv[0] = "bash", cmdv[1] = "-c", cmdv[2] = command, cmdv[3] = NULL;
}

static int
unit_fill(struct sched *s, struct boot *b, const struct sched_release *rel, char **env,
    int port, const char *type, unsigned num, const char *command, struct err *e)
{
	const char *cmd, *mem, *cpu;
	long long bytes;
	char *end;
	long shares;

	memset(b, 0, sizeof(*b));
	if (sched_name(b->name, sizeof(b->name), rel->app, rel->version, type, num) < 0)
		return err_set(e, 400, "container name for '%s' too long", rel->app);
	b->u.name = b->name;
	b->u.app = rel->app;
	b->u.release = rel->version;
	b->u.type = type;
	b->u.num = num;
	b->u.image = rel->image;
	b->u.env = (const char *const *)env;
	b->u.port = port;
	b->u.tags = rel->tags;
	b->u.ntags = rel->ntags;
	b->u.oneoff = command != NULL;
	if (command) {
		oneoff_argv(rel, command, b->entv, b->cmdv);
		b->u.entrypoint = b->entv[0] ? b->entv : NULL;
		b->u.cmd = b->cmdv;
	} else if (!rel->dockerfile) {
		b->cmdv[0] = "start", b->cmdv[1] = type;
		b->u.cmd = b->cmdv;
	} else if (strcmp(type, "cmd") != 0) {
		cmd = kv_get(rel->procfile, rel->nprocfile, type);
		oneoff_argv(rel, cmd ? cmd : "", b->entv, b->cmdv);
		b->u.entrypoint = b->entv;
		b->u.cmd = b->cmdv;
	}
	if ((mem = kv_get(rel->memory, rel->nmemory, type)) != NULL) {
		if (sched_memory_parse(mem, &bytes) < 0)
			return err_set(e, 400,
			    "Limit format: <number><unit>, where unit = B, K, M or G");
		b->u.memory = bytes;
	} else {
		b->u.memory = s->app_memory;	/* the platform's default: no app without a limit */
	}
	if ((cpu = kv_get(rel->cpu, rel->ncpu, type)) != NULL) {
		errno = 0;
		shares = strtol(cpu, &end, 10);
		if (*cpu == '\0' || *end || errno || shares < 0 || shares > 1024)
			return err_set(e, 400, "CPU shares must be between 0 and 1024");
		b->u.cpu_shares = shares;
	}
	return 0;
}

/* Config values that tune the health check: seconds, bounded. */
static double
conf_secs(const struct sched_release *rel, const char *key, double dflt)
{
	const char *v = kv_get(rel->config, rel->nconfig, key);
	char *end;
	double d;

	if (v == NULL || *v == '\0')
		return dflt;
	d = strtod(v, &end);
	if (*end || d < 0 || d > 3600)
		return dflt;
	return d;
}

static bool
tcp_probe(const char *addr, int timeout_ms)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	char host[48];
	const char *colon = strrchr(addr, ':');
	socklen_t len = sizeof(int);
	int fd, soerr = 0, ok = 0;

	if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
		return false;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return false;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		ok = 1;
	} else if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
			ok = 1;
	}
	close(fd);
	return ok;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* GET http://addr<path>: true on 200 within timeout. */
static bool
http_probe(const char *addr, const char *path, double timeout_s, long *status)
{
	CURL *c = curl_easy_init();
	char *url;
	CURLcode rc;

	*status = 0;
	if (c == NULL)
		return false;
	url = xasprintf("http://%s%s%s", addr, *path == '/' ? "" : "/", path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	free(url);
	return rc == CURLE_OK && *status == 200;
}

/*
 * Why boot b did not start, after HEALTH_MSG, in Heroku's terms: the process
 * exited (with its status and last lines), nothing listened on $PORT within
 * the boot limit (R10; with the ports it does listen on, when the driver can
 * see them), or HEALTHCHECK_URL did not answer 200.
 */
static void
explain(struct sched *s, const struct boot *b, const char *hc, double hc_timeout, bool exited,
    int exit_code, struct err *e)
{
	struct buf why = BUF_INIT, out = BUF_INIT, ports = BUF_INIT;
	struct err e2;
	const char *p, *nl;

	buf_addf(&why, "%s: %s.%u ", HEALTH_MSG, b->u.type, b->u.num);
	if (exited) {
		buf_addf(&why, "exited with status %d (Process exited with status %d)", exit_code,
		    exit_code);
		if (s->drv->output && s->drv->output(s->h, b->id, 10, &out, &e2) == 0 && out.len) {
			buf_addstr(&why, "; its last output:");
			for (p = out.p; p < out.p + out.len; p = nl + 1) {
				nl = memchr(p, '\n', (size_t)(out.p + out.len - p));
				if (nl == NULL)
					nl = out.p + out.len;
				buf_addf(&why, "\n    %.*s", (int)(nl - p), p);
			}
		}
	} else if (routable(b->u.type) && !b->tcp_ok) {
		buf_addf(&why, "did not listen on $PORT (%d) within %u s of launch (Error R10, "
		    "boot timeout)", b->u.port, s->boot_timeout_ms / 1000);
		if (s->drv->listening && s->drv->listening(s->h, b->id, &ports, &e2) == 0)
			buf_addf(&why, "; it listens on %s", ports.len ? ports.p : "no TCP port");
	} else if (routable(b->u.type) && hc) {
		if (b->hc_tried && b->hc_status)
			buf_addf(&why, "answered HEALTHCHECK_URL %s with %ld, not 200, for %u s", hc,
			    b->hc_status, s->boot_timeout_ms / 1000);
		else
			buf_addf(&why, "did not answer HEALTHCHECK_URL %s within %g s "
			    "(HEALTHCHECK_TIMEOUT) for %u s", hc, hc_timeout,
			    s->boot_timeout_ms / 1000);
	} else {
		buf_addf(&why, "did not stay up for %u s", s->boot_timeout_ms / 1000);
	}
	err_set(e, 503, "%s", why.p);
	buf_release(&why);
	buf_release(&out);
	buf_release(&ports);
}

/*
 * Wait until every boot is healthy (see sched_deploy() in scheduler.h) or the
 * boot deadline passes or one of them dies. -1 with HEALTH_MSG and the reason
 * (explain) on failure.
 */
static int
wait_healthy(struct sched *s, const struct sched_release *rel, struct boot *bv, size_t n,
    struct err *e)
{
	const char *hc = kv_get(rel->config, rel->nconfig, "HEALTHCHECK_URL");
	double hc_timeout = conf_secs(rel, "HEALTHCHECK_TIMEOUT", 1);
	double delay = conf_secs(rel, "HEALTHCHECK_INITIAL_DELAY", 0);
	double deadline = mono() + s->boot_timeout_ms / 1000.0, now;
	struct sched_container c;
	struct err e2;
	size_t i, left;
	int r, code = 0;

	if (hc && *hc == '\0')
		hc = NULL;
	for (;;) {
		left = 0;
		for (i = 0; i < n; i++) {
			struct boot *b = &bv[i];

			if (b->healthy)
				continue;
			now = mono();
			if (sched_entry(s, b->id, &c) == 0 && c.crashes > 0) {
				log_warn("scheduler: '%s' exited with status %d while booting",
				    b->name, c.exit_code);
				explain(s, b, hc, hc_timeout, true, c.exit_code, e);
				return -1;
			}
			r = 1;
			if (now >= b->next_probe) {
				b->next_probe = now + 1;
				r = s->drv->running(s->h, b->id, &code, &e2);
				if (r < 0) {
					log_warn("scheduler: %s", e2.msg);
					return err_set(e, 503, HEALTH_MSG);
				}
				if (r == 0) {
					log_warn("scheduler: '%s' is not running (exit status %d)",
					    b->name, code);
					explain(s, b, hc, hc_timeout, true, code, e);
					return -1;
				}
				b->last_running = now;
				if (!b->first_running)
					b->first_running = now;
			}
			if (!routable(b->u.type)) {
				/*
				 * nothing to probe: up, and still up a moment later. From the
				 * first probe that found it up, not from its start: a start that
				 * took longer (a Swarm task scheduled late) would otherwise count
				 * a process as booted the first time it is seen, just before it
				 * exits.
				 */
				b->healthy = b->first_running &&
				    b->last_running >= b->first_running + WORKER_SETTLE;
			} else if (b->addr[0] && tcp_probe(b->addr, 300)) {
				b->tcp_ok = true;
				if (hc == NULL) {
					b->healthy = true;
				} else if (now >= b->started + delay) {
					b->hc_tried = true;
					b->healthy = http_probe(b->addr, hc, hc_timeout, &b->hc_status);
				}
			}
			if (b->healthy)
				log_debug("scheduler: '%s' is healthy", b->name);
			else
				left++;
		}
		if (left == 0)
			return 0;
		if (mono() > deadline) {
			for (i = 0; i < n; i++)
				if (!bv[i].healthy)
					log_warn("scheduler: '%s' not healthy within %u ms%s%s",
					    bv[i].name, s->boot_timeout_ms,
					    hc ? " at " : "", hc ? hc : "");
			for (i = 0; i < n && bv[i].healthy; i++)
				;
			explain(s, &bv[i < n ? i : 0], hc, hc_timeout, false, 0, e);
			return -1;
		}
		usleep(100 * 1000);
	}
}

/* Stop (grace: the scheduler's stop timeout, shared by all) and remove ids. */
static void
remove_all(struct sched *s, char (*ids)[SCHED_ID_MAX], size_t n)
{
	double deadline = mono() + s->stop_timeout_s, left;
	struct err e;
	size_t i;

	for (i = 0; i < n; i++) {
		sched_mark_stopping(s, ids[i], true);
		if (s->drv->signal_stop(s->h, ids[i], &e) < 0)
			log_warn("scheduler: %s", e.msg);
	}
	for (i = 0; i < n; i++) {
		left = deadline - mono();
		if (s->drv->remove(s->h, ids[i], left > 0 ? (unsigned)(left + 0.999) : 0, &e) < 0)
			log_warn("scheduler: %s", e.msg);
		else
			sched_forget(s, ids[i]);
	}
}

static void
remove_one(struct sched *s, const char *id)
{
	char ids[1][SCHED_ID_MAX];

	strlcpy(ids[0], id, sizeof(ids[0]));
	remove_all(s, ids, 1);
}

/* Put containers renamed aside back under their names (after a failure). */
static void
unaside(struct sched *s, struct boot *bv, size_t n)
{
	struct err e;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!bv[i].aside_id[0])
			continue;
		if (s->drv->rename(s->h, bv[i].aside_id, bv[i].name, &e) < 0)
			log_warn("scheduler: %s", e.msg);
		else
			sched_rename_entry(s, bv[i].aside_id, bv[i].name);
	}
}

/*
 * Rename whatever container of the platform's holds b's name aside; remove one
 * that holds it but was never recorded (a controller killed as it made it).
 */
static int
aside(struct sched *s, struct boot *b, struct err *e)
{
	struct sched_container *v;
	char orphan[SCHED_ID_MAX];
	size_t n, i;
	int ret = 0;

	if (sched_orphan_named(s, b->name, orphan) == 0) {
		log_warn("scheduler: removing '%s' (%.12s): made but never recorded, the name of "
		    "a unit to start", b->name, orphan);
		if (s->drv->remove(s->h, orphan, 0, e) < 0)
			return -1;
	}

	n = sched_select(s, b->u.app, b->u.type, &v);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].name, b->name) != 0)
			continue;
		snprintf(b->aside_name, sizeof(b->aside_name), "%.170s.old-%.12s", b->name, v[i].id);
		if (s->drv->rename(s->h, v[i].id, b->aside_name, e) < 0) {
			ret = -1;
			break;
		}
		sched_rename_entry(s, v[i].id, b->aside_name);
		strlcpy(b->aside_id, v[i].id, sizeof(b->aside_id));
		break;
	}
	free(v);
	return ret;
}

/*
 * The scheduler made b: record it as the platform's (only then is it routed,
 * listed or counted), then put it in the table. -1 (e set) when it cannot be
 * recorded: the caller removes it.
 */
static int
track(struct sched *s, const struct boot *b, struct err *e)
{
	struct sched_obs o = {
		.kind = SCHED_OBS_CREATE, .id = b->id, .name = b->name, .app = b->u.app,
		.release = b->u.release, .type = b->u.type, .num = b->u.num, .addr = b->addr,
		.cid = s->drv->unit_is_container ? b->id : NULL,
	};
	struct sched_container c = { .release = b->u.release, .num = b->u.num };

	strlcpy(c.id, b->id, sizeof(c.id));
	strlcpy(c.name, b->name, sizeof(c.name));
	strlcpy(c.app, b->u.app, sizeof(c.app));
	strlcpy(c.type, b->u.type, sizeof(c.type));
	if (sched_own_created(s, &c, e) < 0)
		return -1;
	sched_observe(&o, s);
	return 0;
}

/* One container started on a thread of its own (boot_all). */
struct starter {
	struct sched *s;
	struct boot *b;
	struct err e;
	int rc;
	pthread_t t;
	bool joinable;
};

static void *
start_one(void *arg)
{
	struct starter *st = arg;

	st->b->started = mono();
	st->rc = st->s->drv->start(st->s->h, &st->b->u, st->b->id, st->b->addr, &st->e);
	return NULL;
}

/*
 * Start bv[0..n) (the names made free first); the engine's calls for each run
 * on threads of their own, START_PARALLEL at a time, after the first alone
 * (which makes the app's network when it is missing). Each started container
 * is recorded before this returns. 0, or -1 with e set: what started is in
 * bv[].id (removed by the caller).
 */
#define START_PARALLEL 8
static int
start_all(struct sched *s, struct boot *bv, size_t n, struct err *e)
{
	struct starter *sv = xcalloc(n ? n : 1, sizeof(*sv));
	size_t i, j, batch;
	int ret = 0;

	for (i = 0; i < n; i++) {
		if (aside(s, &bv[i], &sv[i].e) < 0) {
			log_warn("scheduler: %s", sv[i].e.msg);
			free(sv);
			return err_set(e, 503, CREATE_MSG);
		}
		sv[i].s = s;
		sv[i].b = &bv[i];
	}
	for (i = 0; i < n; i += batch) {
		batch = i == 0 ? 1 : n - i < START_PARALLEL ? n - i : START_PARALLEL;
		for (j = i; j < i + batch; j++)
			sv[j].joinable = batch > 1 && pthread_create(&sv[j].t, NULL, start_one,
			    &sv[j]) == 0;
		for (j = i; j < i + batch; j++) {
			if (sv[j].joinable)
				pthread_join(sv[j].t, NULL);
			else
				start_one(&sv[j]);
		}
		/* recorded as soon as made, so that a controller killed now leaves no orphan */
		for (j = i; j < i + batch; j++) {
			if (sv[j].rc == 0 && track(s, &bv[j], &sv[j].e) < 0)
				sv[j].rc = -1;
			if (sv[j].rc < 0) {
				log_warn("scheduler: %s", sv[j].e.msg);
				ret = -1;
			}
		}
		if (ret < 0)
			break;
	}
	free(sv);
	return ret < 0 ? err_set(e, 503, CREATE_MSG) : 0;
}

/*
 * Start bv[0..n) and wait for them; on failure remove the started ones, put
 * the renamed-aside ones back and return -1 with e set.
 */
static int
boot_all(struct sched *s, const struct sched_release *rel, struct boot *bv, size_t n,
    struct sched_timing *t, struct err *e)
{
	double t0 = mono();
	size_t j;
	int rc;

	rc = start_all(s, bv, n, e);
	if (t)
		t->start_ms = ms_since(t0);
	if (rc == 0) {
		t0 = mono();
		rc = wait_healthy(s, rel, bv, n, e);
		if (t)
			t->health_ms = ms_since(t0);
		if (rc == 0)
			return 0;
	}
	for (j = 0; j < n; j++)
		if (bv[j].id[0])
			remove_one(s, bv[j].id);	/* ours or not: we created it */
	unaside(s, bv, n);
	return -1;
}

/* The image present where it runs, and its port (*port). */
static int
prepare(struct sched *s, const struct sched_release *rel, int *port, struct err *e)
{
	struct err e2;

	*port = SCHED_PORT;
	if (s->drv->prepare(s->h, rel->image, port, &e2) == 0)
		return 0;
	/* "docker: cannot pull '<image>': <why>" or "docker: cannot connect to '<sock>'" */
	return err_set(e, 503, "aborting, %s", e2.msg);
}

int
sched_image_id(struct sched *s, const char *image, char id[SCHED_IMAGE_ID_MAX], struct err *e)
{
	struct err e2;

	if (image == NULL || *image == '\0')
		return err_set(e, 400, "No build associated with this release");
	if (s->drv->image_id(s->h, image, id, &e2) == 0)
		return 0;
	return err_set(e, 503, "aborting, %s", e2.msg);
}

static bool
in_boots(const struct boot *bv, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(bv[i].id, id) == 0)
			return true;
	return false;
}

int
sched_deploy(struct sched *s, const struct sched_release *rel,
    const struct sched_scale *structure, size_t n, struct sched_timing *t, struct err *e)
{
	struct sched_timing tt = { 0 };
	double t0 = mono();
	int port = SCHED_PORT;
	struct boot *bv = NULL;
	struct sched_container *old = NULL;
	char (*ids)[SCHED_ID_MAX] = NULL;
	char **env = NULL;
	size_t i, nb = 0, total = 0, nold, nids = 0;
	unsigned k;
	int ret = -1;

	if (rel_check(rel, e) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (structure[i].count > COUNT_MAX)
			return err_set(e, 400, "Invalid scaling format: at most %d containers per type",
			    COUNT_MAX);
		if (structure[i].count && type_check(rel, structure[i].type, e) < 0)
			return -1;
		total += structure[i].count;
	}
	if (t == NULL)
		t = &tt;
	memset(t, 0, sizeof(*t));
	if (total && prepare(s, rel, &port, e) < 0)
		return -1;
	t->prepare_ms = ms_since(t0);
	env = env_build(rel, port);
	bv = xcalloc(total ? total : 1, sizeof(*bv));
	for (i = 0; i < n; i++)
		for (k = 1; k <= structure[i].count; k++)
			if (unit_fill(s, &bv[nb++], rel, env, port, structure[i].type, k, NULL,
			    e) < 0)
				goto out_free;
	sched_app_lock(s, rel->app);
	if (boot_all(s, rel, bv, nb, t, e) < 0)
		goto out;
	nold = sched_select(s, rel->app, NULL, &old);
	ids = xcalloc(nold ? nold : 1, sizeof(*ids));
	for (i = 0; i < nold; i++)
		if (!in_boots(bv, nb, old[i].id))
			strlcpy(ids[nids++], old[i].id, sizeof(ids[0]));
	/* a first deploy too: the deploy answers once the new release is routed */
	t0 = mono();
	if ((nids || nb) && s->on_switch)
		s->on_switch(rel->app, rel->version, s->on_switch_arg);
	t->switch_ms = ms_since(t0);
	t0 = mono();
	remove_all(s, ids, nids);
	t->stop_ms = ms_since(t0);
	log_info("scheduler: deployed '%s' v%u: %zu containers started, %zu stopped (ms: prepare "
	    "%lld, start %lld, health %lld, switch %lld, stop %lld)", rel->app, rel->version, nb,
	    nids, t->prepare_ms, t->start_ms, t->health_ms, t->switch_ms, t->stop_ms);
	ret = 0;
out:
	sched_app_unlock(s, rel->app);
out_free:
	free(ids);
	free(old);
	free(bv);
	env_free(env);
	return ret;
}

int
sched_scale(struct sched *s, const struct sched_release *rel,
    const struct sched_scale *structure, size_t n, struct err *e)
{
	int port = SCHED_PORT;
	struct boot *bv = NULL;
	struct sched_container *cur;
	char (*ids)[SCHED_ID_MAX] = NULL;
	char **env = NULL;
	size_t i, j, nb = 0, nids = 0, ncur;
	unsigned k, max;
	int ret = -1;
	struct sched_timing t = { 0 };
	double t0;

	if (rel_check(rel, e) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (structure[i].count > COUNT_MAX)
			return err_set(e, 400, "Invalid scaling format: at most %d containers per type",
			    COUNT_MAX);
		if (structure[i].count && type_check(rel, structure[i].type, e) < 0)
			return -1;
	}
	sched_app_lock(s, rel->app);
	/* what stopped behind the platform's back counts only once it runs again */
	sched_heal_locked(s, rel->app, rel->version, true, NULL, NULL);
	/*
	 * struct boot points into itself (u.name, entv, cmdv): size the array once,
	 * never realloc it after filling.
	 */
	for (i = 0, k = 0; i < n; i++) {
		ncur = sched_select(s, rel->app, structure[i].type, &cur);
		if (structure[i].count > ncur)
			k += structure[i].count - (unsigned)ncur;
		free(cur);
	}
	bv = xcalloc(k ? k : 1, sizeof(*bv));
	for (i = 0; i < n; i++) {
		ncur = sched_select(s, rel->app, structure[i].type, &cur);
		if (structure[i].count > ncur) {
			for (j = 0, max = 0; j < ncur; j++)
				max = cur[j].num > max ? cur[j].num : max;
			/* the image (and its port) only when a container is to be made */
			if (env == NULL) {
				if (prepare(s, rel, &port, e) < 0) {
					free(cur);
					goto out;
				}
				env = env_build(rel, port);
			}
			for (k = 1; k <= structure[i].count - ncur; k++) {
				if (unit_fill(s, &bv[nb++], rel, env, port, structure[i].type, max + k,
				    NULL, e) < 0) {
					free(cur);
					goto out;
				}
			}
		} else {
			/* newest first: sorted by num, the tail goes */
			ids = xrealloc(ids, (nids + ncur - structure[i].count + 1) * sizeof(*ids));
			for (j = ncur; j > structure[i].count; j--)
				strlcpy(ids[nids++], cur[j - 1].id, sizeof(ids[0]));
		}
		free(cur);
	}
	if (nb && boot_all(s, rel, bv, nb, &t, e) < 0)
		goto out;
	t0 = mono();
	remove_all(s, ids, nids);
	t.stop_ms = ms_since(t0);
	log_info("scheduler: scaled '%s': %zu started, %zu stopped (ms: start %lld, health %lld, "
	    "stop %lld)", rel->app, nb, nids, t.start_ms, t.health_ms, t.stop_ms);
	ret = 0;
out:
	sched_app_unlock(s, rel->app);
	free(ids);
	free(bv);
	env_free(env);
	return ret;
}

int
sched_restart(struct sched *s, const struct sched_release *rel, const char *type,
    unsigned num, struct sched_container **out, size_t *nout, struct err *e)
{
	int port = SCHED_PORT;
	struct sched_container *sel = NULL, c;
	struct boot b;
	struct err e2;
	char **env = NULL;
	size_t i, nsel;
	int ret = -1;

	*out = NULL;
	*nout = 0;
	if (rel_check(rel, e) < 0)
		return -1;
	if (type && strcmp(type, "run") == 0)
		return err_set(e, 400, "Container type run does not exist in application");
	sched_app_lock(s, rel->app);
	nsel = sched_select(s, rel->app, type, &sel);
	if (nsel && prepare(s, rel, &port, e) < 0)
		goto out;
	env = env_build(rel, port);
	for (i = 0; i < nsel; i++) {
		if (num && sel[i].num != num)
			continue;
		if (type_check(rel, sel[i].type, e) < 0 ||
		    unit_fill(s, &b, rel, env, port, sel[i].type, sel[i].num, NULL, e) < 0)
			goto out;
		/* The old one's name may differ (older release): rename it aside explicitly. */
		snprintf(b.aside_name, sizeof(b.aside_name), "%.170s.old-%.12s", sel[i].name, sel[i].id);
		if (s->drv->rename(s->h, sel[i].id, b.aside_name, &e2) < 0) {
			log_warn("scheduler: %s", e2.msg);
			err_set(e, 503, CREATE_MSG);
			goto out;
		}
		sched_rename_entry(s, sel[i].id, b.aside_name);
		if (boot_all(s, rel, &b, 1, NULL, e) < 0) {
			if (s->drv->rename(s->h, sel[i].id, sel[i].name, &e2) == 0)
				sched_rename_entry(s, sel[i].id, sel[i].name);
			else
				log_warn("scheduler: %s", e2.msg);
			goto out;
		}
		remove_one(s, sel[i].id);
		if (sched_entry(s, b.id, &c) == 0) {
			*out = xrealloc(*out, (*nout + 1) * sizeof(**out));
			(*out)[(*nout)++] = c;
		}
	}
	log_info("scheduler: restarted %zu containers of '%s'", *nout, rel->app);
	ret = 0;
out:
	sched_app_unlock(s, rel->app);
	free(sel);
	env_free(env);
	return ret;
}

/*
 * What every one-off needs before its unit is made: rel checked, its image
 * ready, the environment (*env, caller frees), the highest num of the app's
 * runs now (*max).
 */
static int
run_prelude(struct sched *s, const struct sched_release *rel, const char *command, int *port,
    char ***env, unsigned *max, struct err *e)
{
	struct sched_container *runs;
	size_t nruns, i;

	if (rel_check(rel, e) < 0)
		return -1;
	if (command == NULL || *command == '\0')
		return err_set(e, 400, "command is required");
	*port = SCHED_PORT;
	if (prepare(s, rel, port, e) < 0)
		return -1;
	*env = env_build(rel, *port);
	*max = 0;
	nruns = sched_select(s, rel->app, "run", &runs);
	for (i = 0; i < nruns; i++)
		*max = runs[i].num > *max ? runs[i].num : *max;
	free(runs);
	return 0;
}

int
sched_run(struct sched *s, const struct sched_release *rel, const char *command, int *rc,
    struct buf *out, struct err *e)
{
	int port;
	struct boot b;
	char **env;
	unsigned max, attempt;
	int ret = -1;

	if (run_prelude(s, rel, command, &port, &env, &max, e) < 0)
		return -1;
	/* No app lock: a run may last long. Two runs racing for a num: the loser takes the next. */
	for (attempt = 1; attempt <= 10; attempt++) {
		if (unit_fill(s, &b, rel, env, port, "run", max + attempt, command, e) < 0)
			break;
		buf_reset(out);
		if (s->drv->start(s->h, &b.u, b.id, b.addr, e) == 0 && track(s, &b, e) == 0)
			ret = s->drv->finish(s->h, b.name, b.id, s->run_timeout_ms, RUN_OUTPUT_MAX,
			    rc, out, e);
		if (b.id[0])
			remove_one(s, b.id);
		if (ret == 0 || e->code != 409)
			break;
	}
	if (ret < 0 && e->code != 400)
		e->code = 503;
	env_free(env);
	return ret;
}

/* A one-off that nobody is attached to any more: killed at once, removed, forgotten. */
void
sched_run_remove(struct sched *s, const char *id)
{
	struct err e;

	sched_mark_stopping(s, id, true);
	if (s->drv->remove(s->h, id, 0, &e) < 0)
		log_warn("scheduler: %s", e.msg);
	else
		sched_forget(s, id);
}

int
sched_run_tty(struct sched *s, const struct sched_release *rel, const char *command,
    struct sched_tty *t, struct err *e)
{
	int port;
	struct boot b;
	char **env;
	unsigned max, attempt;
	int ret = -1;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	buf_init(&t->extra, 0);
	if (s->drv->start_tty == NULL)
		return err_set(e, 501, "interactive runs need the Docker engine of the node that "
		    "runs the container, which the %s scheduler does not reach; run the command "
		    "without a terminal (deis run ... </dev/null): its output comes back when it "
		    "ends", s->drv->name);
	if (run_prelude(s, rel, command, &port, &env, &max, e) < 0)
		return -1;
	for (attempt = 1; attempt <= 10; attempt++) {
		if (unit_fill(s, &b, rel, env, port, "run", max + attempt, command, e) < 0)
			break;
		b.u.tty = true;
		buf_reset(&t->extra);
		if (s->drv->start_tty(s->h, &b.u, b.id, &t->fd, &t->extra, e) == 0 &&
		    track(s, &b, e) == 0) {
			strlcpy(t->id, b.id, sizeof(t->id));
			strlcpy(t->name, b.name, sizeof(t->name));
			ret = 0;
			break;
		}
		if (t->fd >= 0)
			close(t->fd);
		t->fd = -1;
		if (b.id[0])
			sched_run_remove(s, b.id);
		if (e->code != 409)
			break;
	}
	if (ret < 0) {
		buf_release(&t->extra);
		if (e->code != 400)
			e->code = 503;
	}
	env_free(env);
	return ret;
}

int
sched_tty_resize(struct sched *s, const struct sched_tty *t, unsigned rows, unsigned cols,
    struct err *e)
{
	return s->drv->resize(s->h, t->id, rows, cols, e);
}

int
sched_tty_end(struct sched *s, struct sched_tty *t, bool kill, int *status)
{
	struct err e;
	int ret = -1;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (!kill) {
		/* its output ended: the process exited, or is about to */
		if (s->drv->wait(s->h, t->id, 10000, status, &e) == 0)
			ret = 0;
		else
			log_warn("scheduler: %s", e.msg);
	}
	sched_run_remove(s, t->id);
	buf_release(&t->extra);
	return ret;
}

int
sched_destroy(struct sched *s, const char *app, struct err *e)
{
	struct sched_container *v;
	char (*ids)[SCHED_ID_MAX];
	size_t n, i;

	if (app == NULL || !word_ok(app, SCHED_APP_MAX, "-"))
		return err_set(e, 400, "invalid app name '%s'", app ? app : "");
	sched_app_lock(s, app);
	sched_list(s, app, true, &v, &n);
	ids = xcalloc(n ? n : 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		strlcpy(ids[i], v[i].id, sizeof(ids[0]));
	remove_all(s, ids, n);
	if (s->drv->app_gone)
		s->drv->app_gone(s->h, app);
	sched_app_unlock(s, app);
	free(ids);
	free(v);
	return 0;
}
