/*
 * Docker Engine API client over the unix socket. One curl easy handle per
 * call: the socket is local, a connection costs microseconds, and nothing is
 * shared between threads but the immutable struct docker.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "lib/docker.h"
#include "lib/xalloc.h"

#define RESP_MAX (64u << 20)

struct docker {
	char *sock;
	char version[16];
	char *auth_server;	/* the registry auth_hdr is for, or NULL */
	char *auth_hdr;		/* "X-Registry-Auth: <base64url JSON>" */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct docker *
docker_new(const char *sock)
{
	struct docker *d = xcalloc(1, sizeof(*d));
	const char *env;

	pthread_once(&curl_once, curl_init_once);
	if (sock == NULL && (env = getenv("DOCKER_HOST")) != NULL &&
	    strncmp(env, "unix://", 7) == 0 && env[7])
		sock = env + 7;
	d->sock = xstrdup(sock ? sock : DOCKER_SOCK_DEFAULT);
	strlcpy(d->version, DOCKER_API_VERSION, sizeof(d->version));
	return d;
}

void
docker_free(struct docker *d)
{
	if (d == NULL)
		return;
	free(d->sock);
	free(d->auth_server);
	if (d->auth_hdr)
		explicit_bzero(d->auth_hdr, strlen(d->auth_hdr));
	free(d->auth_hdr);
	free(d);
}

char *
docker_registry_auth(const char *server, const char *user, const char *password)
{
	json_t *j = json_pack("{s:s,s:s,s:s}", "username", user, "password", password,
	    "serveraddress", server);
	char *text = json_dumps(j, JSON_COMPACT), *out;
	size_t len = strlen(text), i;

	out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)len);
	for (i = 0; out[i]; i++)	/* the engine decodes the URL-safe alphabet */
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	explicit_bzero(text, len);
	free(text);
	json_decref(j);
	return out;
}

void
docker_set_registry_auth(struct docker *d, const char *server, const char *user,
    const char *password)
{
	char *v = docker_registry_auth(server, user, password);

	free(d->auth_server);
	free(d->auth_hdr);
	d->auth_server = xstrdup(server);
	d->auth_hdr = xasprintf("X-Registry-Auth: %s", v);
	explicit_bzero(v, strlen(v));
	free(v);
}

bool
docker_ref_on(const char *ref, const char *server)
{
	size_t n = server ? strlen(server) : 0;

	return n && ref && strncmp(ref, server, n) == 0 && ref[n] == '/';
}

const char *
docker_registry_auth_for(const struct docker *d, const char *ref)
{
	return docker_ref_on(ref, d->auth_server) ? d->auth_hdr : NULL;
}

const char *
docker_sock(const struct docker *d)
{
	return d->sock;
}

const char *
docker_api_version(const struct docker *d)
{
	return d->version;
}

struct xfer {
	struct buf *resp;
	size_t max;
	int overflow;
};

static size_t
xfer_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (x->resp == NULL)
		return len;
	if (x->resp->len + len > x->max) {
		x->overflow = 1;
		return 0;
	}
	buf_add(x->resp, p, len);
	return len;
}

/* A handle for one request to url ("http://docker/..."). */
static CURL *
easy(const struct docker *d, const char *method, const char *url)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	return c;
}

CURL *
docker_easy(const struct docker *d, const char *method, const char *path)
{
	char *url = xasprintf("http://docker/v%s%s", d->version, path);
	CURL *c = easy(d, method, url);

	free(url);
	return c;
}

/*
 * Run one request (path: versioned unless raw); returns 0 when the daemon
 * answered (any status).
 */
static int
perform(struct docker *d, const char *method, const char *path, bool raw, const json_t *body,
    long timeout_ms, const char *xhdr, struct xfer *x, long *status, struct err *e)
{
	CURL *c;
	struct curl_slist *hdr = NULL;
	char *text = NULL, *url;
	CURLcode rc;
	int ret = -1;
	int plen = (int)strcspn(path, "?");	/* for messages: the path without its query */

	*status = 0;
	url = raw ? xasprintf("http://docker%s", path) : NULL;
	c = raw ? easy(d, method, url) : docker_easy(d, method, path);
	free(url);
	if (c == NULL)
		return err_set(e, 0, "docker: cannot make a curl handle");
	if (timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL) {
			err_set(e, 0, "docker: cannot encode the request body");
			goto out;
		}
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
	hdr = curl_slist_append(hdr, "Expect:");
	if (xhdr)
		hdr = curl_slist_append(hdr, xhdr);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (rc == CURLE_OK) {
		ret = 0;
	} else if (x->overflow) {
		err_set(e, 0, "docker: answer to '%s %.*s' too large", method, plen, path);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		err_set(e, 504, "docker: '%s %.*s' timed out after %ld ms", method, plen, path,
		    timeout_ms);
	} else if (rc == CURLE_COULDNT_CONNECT) {
		err_set(e, 0, "docker: cannot connect to '%s'", d->sock);
	} else {
		err_set(e, 0, "docker: '%s %.*s' failed: %s", method, plen, path,
		    curl_easy_strerror(rc));
	}
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(text);
	return ret;
}

static int
request(struct docker *d, const char *method, const char *path, const json_t *body,
    long timeout_ms, const char *xhdr, long *status, struct buf *resp, struct err *e)
{
	struct xfer x = { .resp = resp, .max = RESP_MAX };

	return perform(d, method, path, false, body, timeout_ms, xhdr, &x, status, e);
}

int
docker_request(struct docker *d, const char *method, const char *path, const json_t *body,
    long timeout_ms, long *status, struct buf *resp, struct err *e)
{
	return request(d, method, path, body, timeout_ms, NULL, status, resp, e);
}

void
docker_message(const struct buf *b, char *out, size_t size)
{
	json_t *j = json_loadb(b->p ? b->p : "", b->len, 0, NULL);
	const char *m = NULL;
	size_t i;

	if (j && json_is_object(j))
		m = json_string_value(json_object_get(j, "message"));
	snprintf(out, size, "%s", m ? m : b->p ? b->p : "");
	for (i = 0; out[i]; i++)
		if (out[i] == '\n' || out[i] == '\r')
			out[i] = ' ';
	json_decref(j);
}

static json_t *
call(struct docker *d, const char *method, const char *path, const json_t *body,
    long timeout_ms, const int *ok_extra, long *status, const char *what, const char *xhdr,
    struct err *e)
{
	struct buf b = BUF_INIT;
	long st;
	json_t *j = NULL;
	char msg[200];
	int ok;

	if (request(d, method, path, body, timeout_ms, xhdr, &st, &b, e) < 0)
		goto out;
	if (status)
		*status = st;
	ok = st >= 200 && st < 300;
	for (; !ok && ok_extra && *ok_extra; ok_extra++)
		ok = st == *ok_extra;
	if (!ok) {
		docker_message(&b, msg, sizeof(msg));
		err_set(e, (int)st, "docker: %s: %s", what, msg);
		goto out;
	}
	j = b.len ? json_loadb(b.p, b.len, 0, NULL) : NULL;
	if (j == NULL)
		j = json_null();
out:
	buf_release(&b);
	return j;
}

json_t *
docker_call(struct docker *d, const char *method, const char *path, const json_t *body,
    long timeout_ms, const int *ok_extra, long *status, const char *what, struct err *e)
{
	return call(d, method, path, body, timeout_ms, ok_extra, status, what, NULL, e);
}

json_t *
docker_call_image(struct docker *d, const char *method, const char *path, const json_t *body,
    long timeout_ms, const int *ok_extra, long *status, const char *what, const char *image,
    struct err *e)
{
	return call(d, method, path, body, timeout_ms, ok_extra, status, what,
	    docker_registry_auth_for(d, image), e);
}

/* Call for its status only. */
static int
call_void(struct docker *d, const char *method, const char *path, long timeout_ms,
    const int *ok_extra, const char *what, struct err *e)
{
	json_t *j = docker_call(d, method, path, NULL, timeout_ms, ok_extra, NULL, what, e);

	if (j == NULL)
		return -1;
	json_decref(j);
	return 0;
}

int
docker_ping(struct docker *d, struct err *e)
{
	struct xfer x = { .max = 1 << 20 };
	struct buf b = BUF_INIT;
	json_t *j = NULL;
	const char *v;
	long st;
	int ret = -1;
	unsigned maj, min, wmaj, wmin;

	x.resp = &b;
	if (perform(d, "GET", "/version", true, NULL, 5000, NULL, &x, &st, e) < 0)
		goto out;
	if (st != 200) {
		err_set(e, (int)st, "docker: '%s' answered %ld to GET /version", d->sock, st);
		goto out;
	}
	j = json_loadb(b.p, b.len, 0, NULL);
	v = json_string_value(json_object_get(j, "ApiVersion"));
	if (v == NULL || sscanf(v, "%u.%u", &maj, &min) != 2) {
		err_set(e, 0, "docker: '%s' gave no ApiVersion", d->sock);
		goto out;
	}
	sscanf(DOCKER_API_VERSION, "%u.%u", &wmaj, &wmin);
	if (maj < wmaj || (maj == wmaj && min < wmin))
		snprintf(d->version, sizeof(d->version), "%u.%u", maj, min);
	ret = 0;
out:
	json_decref(j);
	buf_release(&b);
	return ret;
}

static char *
esc(const char *s)
{
	char *t = curl_easy_escape(NULL, s, 0);
	char *r;

	if (t == NULL)
		die(1, "out of memory");
	r = xstrdup(t);
	curl_free(t);
	return r;
}

int
docker_container_create(struct docker *d, const char *name, const json_t *config,
    char id[DOCKER_ID_MAX], struct err *e)
{
	char *n = esc(name), *path = xasprintf("/containers/create?name=%s", n);
	char *what = xasprintf("cannot create container '%s'", name);
	json_t *j;
	const char *v;
	int ret = -1;

	j = docker_call(d, "POST", path, config, 30000, NULL, NULL, what, e);
	if (j == NULL)
		goto out;
	v = json_string_value(json_object_get(j, "Id"));
	if (v == NULL || strlen(v) >= DOCKER_ID_MAX) {
		err_set(e, 0, "docker: no id for the new container '%s'", name);
		goto out;
	}
	strlcpy(id, v, DOCKER_ID_MAX);
	ret = 0;
out:
	json_decref(j);
	free(n);
	free(path);
	free(what);
	return ret;
}

/* A container id or name, checked to be path-safe. */
static int
id_ok(const char *id, struct err *e)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!(id[i] >= 'a' && id[i] <= 'z') && !(id[i] >= 'A' && id[i] <= 'Z') &&
		    !(id[i] >= '0' && id[i] <= '9') && !strchr("_.-", id[i]))
			return err_set(e, 400, "docker: bad container id '%s'", id);
	if (i == 0 || i >= 256)
		return err_set(e, 400, "docker: bad container id '%s'", id);
	return 0;
}

/* sub: what follows "/containers/ID" ("/start", "?force=1"). */
static int
container_op(struct docker *d, const char *id, const char *method, const char *sub,
    long timeout_ms, const int *ok, const char *verb, struct err *e)
{
	char *path, *what;
	int ret;

	if (id_ok(id, e) < 0)
		return -1;
	path = xasprintf("/containers/%s%s", id, sub);
	what = xasprintf("cannot %s container '%.12s'", verb, id);
	ret = call_void(d, method, path, timeout_ms, ok, what, e);
	free(path);
	free(what);
	return ret;
}

int
docker_container_start(struct docker *d, const char *id, struct err *e)
{
	static const int ok[] = { 304, 0 };

	return container_op(d, id, "POST", "/start", 60000, ok, "start", e);
}

int
docker_container_stop(struct docker *d, const char *id, int timeout_s, struct err *e)
{
	static const int ok[] = { 304, 404, 0 };
	char sub[32];

	if (timeout_s < 0)
		timeout_s = 0;
	snprintf(sub, sizeof(sub), "/stop?t=%d", timeout_s);
	return container_op(d, id, "POST", sub, (timeout_s + 30) * 1000L, ok, "stop", e);
}

int
docker_container_kill(struct docker *d, const char *id, const char *signal, struct err *e)
{
	static const int ok[] = { 404, 409, 0 };
	char *s = esc(signal), *sub = xasprintf("/kill?signal=%s", s);
	int ret;

	ret = container_op(d, id, "POST", sub, 30000, ok, "kill", e);
	free(s);
	free(sub);
	return ret;
}

int
docker_container_resize(struct docker *d, const char *id, unsigned rows, unsigned cols,
    struct err *e)
{
	static const int ok[] = { 0 };
	char sub[64];

	snprintf(sub, sizeof(sub), "/resize?h=%u&w=%u", rows, cols);
	return container_op(d, id, "POST", sub, 30000, ok, "resize", e);
}

int
docker_container_remove(struct docker *d, const char *id, bool force, struct err *e)
{
	static const int ok[] = { 404, 0 };

	return container_op(d, id, "DELETE", force ? "?force=1&v=1" : "?v=1", 60000, ok,
	    "remove", e);
}

int
docker_container_rename(struct docker *d, const char *id, const char *name, struct err *e)
{
	char *n = esc(name), *sub = xasprintf("/rename?name=%s", n);
	int ret;

	ret = container_op(d, id, "POST", sub, 30000, NULL, "rename", e);
	free(n);
	free(sub);
	return ret;
}

json_t *
docker_container_inspect(struct docker *d, const char *id, struct err *e)
{
	char *path, *what;
	json_t *j;

	if (id_ok(id, e) < 0)
		return NULL;
	path = xasprintf("/containers/%s/json", id);
	what = xasprintf("cannot inspect container '%.12s'", id);
	j = docker_call(d, "GET", path, NULL, 30000, NULL, NULL, what, e);
	free(path);
	free(what);
	if (j && !json_is_object(j)) {
		json_decref(j);
		err_set(e, 0, "docker: inspect of container '%.12s' is not an object", id);
		return NULL;
	}
	return j;
}

json_t *
docker_container_list(struct docker *d, const char *label, struct err *e)
{
	char *path, *f = NULL, *fe = NULL;
	json_t *filters, *j;

	if (label) {
		filters = json_pack("{s:[s]}", "label", label);
		f = json_dumps(filters, JSON_COMPACT);
		json_decref(filters);
		if (f == NULL)
			die(1, "out of memory");
		fe = esc(f);
		path = xasprintf("/containers/json?all=1&filters=%s", fe);
	} else {
		path = xstrdup("/containers/json?all=1");
	}
	j = docker_call(d, "GET", path, NULL, 30000, NULL, NULL, "cannot list containers", e);
	free(path);
	free(f);
	free(fe);
	if (j && !json_is_array(j)) {
		json_decref(j);
		err_set(e, 0, "docker: container list is not an array");
		return NULL;
	}
	return j;
}

int
docker_container_wait(struct docker *d, const char *id, long timeout_ms, int *exit_code,
    struct err *e)
{
	char *path, *what;
	json_t *j;
	json_int_t code;

	if (id_ok(id, e) < 0)
		return -1;
	path = xasprintf("/containers/%s/wait", id);
	what = xasprintf("cannot wait for container '%.12s'", id);
	j = docker_call(d, "POST", path, NULL, timeout_ms, NULL, NULL, what, e);
	free(path);
	free(what);
	if (j == NULL)
		return -1;
	if (!json_is_integer(json_object_get(j, "StatusCode"))) {
		json_decref(j);
		return err_set(e, 0, "docker: no status code for container '%.12s'", id);
	}
	code = json_integer_value(json_object_get(j, "StatusCode"));
	*exit_code = (int)code;
	json_decref(j);
	return 0;
}

int
docker_container_logs(struct docker *d, const char *id, size_t max, struct buf *out,
    bool *truncated, struct err *e)
{
	struct buf raw = BUF_INIT;
	json_t *ins;
	char *path;
	char msg[200];
	long st;
	int tty, ret = -1;

	/* A TTY container's log is not multiplexed. */
	ins = docker_container_inspect(d, id, e);
	if (ins == NULL)
		return -1;
	tty = json_is_true(json_object_get(json_object_get(ins, "Config"), "Tty"));
	json_decref(ins);
	path = xasprintf("/containers/%s/logs?stdout=1&stderr=1", id);
	if (docker_request(d, "GET", path, NULL, 60000, &st, &raw, e) < 0)
		goto out;
	if (st != 200) {
		docker_message(&raw, msg, sizeof(msg));
		err_set(e, (int)st, "docker: cannot read the log of container '%.12s': %s", id, msg);
		goto out;
	}
	if (tty) {
		if (raw.len > max && truncated)
			*truncated = true;
		buf_add(out, raw.p, raw.len < max ? raw.len : max);
	} else {
		docker_demux(raw.p, raw.len, out, out->len + max, truncated);
	}
	ret = 0;
out:
	free(path);
	buf_release(&raw);
	return ret;
}

int
docker_ref_split(const char *ref, char **repo, char **tag, bool *digest)
{
	const char *at = strchr(ref, '@'), *slash, *colon;

	*digest = false;
	if (*ref == '\0')
		return -1;
	if (at) {
		*repo = xstrndup(ref, (size_t)(at - ref));
		*tag = xstrdup(at + 1);
		*digest = true;
		return 0;
	}
	slash = strrchr(ref, '/');
	colon = strrchr(ref, ':');
	if (colon && (slash == NULL || colon > slash)) {
		*repo = xstrndup(ref, (size_t)(colon - ref));
		*tag = xstrdup(colon + 1);
	} else {
		*repo = xstrdup(ref);
		*tag = xstrdup("latest");
	}
	return 0;
}

/* Image references go into paths unescaped: only their own characters. */
static int
ref_ok(const char *ref, struct err *e)
{
	size_t i;

	for (i = 0; ref[i]; i++)
		if (!(ref[i] >= 'a' && ref[i] <= 'z') && !(ref[i] >= 'A' && ref[i] <= 'Z') &&
		    !(ref[i] >= '0' && ref[i] <= '9') && !strchr("_.-/:@", ref[i]))
			return err_set(e, 400, "docker: bad image reference '%s'", ref);
	if (i == 0 || i >= 512)
		return err_set(e, 400, "docker: bad image reference '%s'", ref);
	return 0;
}

int
docker_image_present(struct docker *d, const char *ref, struct err *e)
{
	char id[DOCKER_IMAGE_ID_MAX];

	return docker_image_id(d, ref, id, e);
}

json_t *
docker_image_inspect(struct docker *d, const char *ref, struct err *e)
{
	json_t *ins;
	char *path, *what;

	if (ref_ok(ref, e) < 0)
		return NULL;
	path = xasprintf("/images/%s/json", ref);
	what = xasprintf("no image '%s'", ref);
	ins = docker_call(d, "GET", path, NULL, 30000, NULL, NULL, what, e);
	free(path);
	free(what);
	if (ins && !json_is_object(ins)) {
		json_decref(ins);
		err_set(e, 502, "docker: inspect of image '%s' is not an object", ref);
		return NULL;
	}
	return ins;
}

int
docker_image_id(struct docker *d, const char *ref, char id[DOCKER_IMAGE_ID_MAX], struct err *e)
{
	json_t *ins;
	const char *v;

	id[0] = '\0';
	if ((ins = docker_image_inspect(d, ref, e)) == NULL)
		return -1;
	v = json_string_value(json_object_get(ins, "Id"));
	if (v == NULL || strncmp(v, "sha256:", 7) != 0 || strlen(v) >= DOCKER_IMAGE_ID_MAX) {
		json_decref(ins);
		return err_set(e, 502, "docker: image '%s' has no id", ref);
	}
	strlcpy(id, v, DOCKER_IMAGE_ID_MAX);
	json_decref(ins);
	return 0;
}

static int
pull_body(const char *p, size_t n, void *arg)
{
	return docker_progress_feed(arg, p, n);
}

int
docker_image_pull(struct docker *d, const char *ref, long timeout_ms, struct err *e)
{
	struct docker_progress p;
	char *repo, *tag, *re, *te, *path, *what;
	bool digest;
	int ret;

	if (ref_ok(ref, e) < 0 || docker_ref_split(ref, &repo, &tag, &digest) < 0)
		return err_set(e, 400, "docker: bad image reference '%s'", ref);
	re = esc(repo);
	te = esc(tag);
	path = digest ? xasprintf("/images/create?fromImage=%s%%40%s", re, te) :
	    xasprintf("/images/create?fromImage=%s&tag=%s", re, te);
	what = xasprintf("docker: cannot pull '%s'", ref);
	docker_progress_init(&p, NULL, NULL);
	ret = docker_stream(d, &(struct docker_stream){ .method = "POST", .path = path,
	    .in_fd = -1, .image = ref, .timeout_ms = timeout_ms, .body = pull_body, .arg = &p,
	    .what = what }, e);
	docker_progress_finish(&p);
	if (ret == 0 && p.failed)
		ret = err_set(e, 0, "%s: %s", what, p.error);
	free(repo);
	free(tag);
	free(re);
	free(te);
	free(path);
	free(what);
	return ret;
}

struct events {
	docker_event_fn *fn;
	void *arg;
	volatile int *stop;
	struct buf line;
	bool stopped;
};

static int
event_line(struct events *ev, const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	int r = 0;

	/* An error body ({"message": ...}) is not an event. */
	if (j && json_is_object(j) && json_is_string(json_object_get(j, "Action")))
		r = ev->fn(j, ev->arg);
	json_decref(j);
	return r;
}

static int
events_body(const char *p, size_t n, void *arg)
{
	struct events *ev = arg;
	size_t i, start = 0, from = ev->line.len;

	buf_add(&ev->line, p, n);
	for (i = from; i < ev->line.len; i++) {
		if (ev->line.p[i] != '\n')
			continue;
		if (i > start && event_line(ev, ev->line.p + start, i - start) < 0) {
			ev->stopped = true;
			return -1;
		}
		start = i + 1;
	}
	buf_remove_head(&ev->line, start);
	return ev->line.len > (1u << 20) ? -1 : 0;	/* one event of 1 MiB: not Docker */
}

static int
events_tick(void *arg)
{
	struct events *ev = arg;

	if (ev->stop && *ev->stop) {
		ev->stopped = true;
		return -1;
	}
	return 0;
}

int
docker_events(struct docker *d, const char *filters, double since, docker_event_fn *fn,
    void *arg, volatile int *stop, struct err *e)
{
	struct events ev = { .fn = fn, .arg = arg, .stop = stop, .line = BUF_INIT };
	struct buf path = BUF_INIT;
	char *fe;
	int ret;

	buf_addstr(&path, "/events?");
	if (since > 0)
		buf_addf(&path, "since=%.6f&", since);
	if (filters) {
		fe = esc(filters);
		buf_addf(&path, "filters=%s", fe);
		free(fe);
	}
	ret = docker_stream(d, &(struct docker_stream){ .method = "GET", .path = path.p,
	    .in_fd = -1, .body = events_body, .tick = events_tick, .arg = &ev,
	    .what = "docker: event stream" }, e);
	if (ev.stopped)
		ret = 0;
	else if (ret == 0)
		ret = err_set(e, 0, "docker: event stream from '%s' ended", d->sock);
	buf_release(&ev.line);
	buf_release(&path);
	return ret;
}

int
docker_exec(struct docker *d, const char *id, const char *const *argv, const char *const *env,
    long timeout_ms, struct buf *out, int *code, struct err *e)
{
	json_t *cmd = json_array(), *envs = json_array(), *body, *r = NULL, *st;
	struct buf raw = BUF_INIT;
	char *path = NULL, msg[200];
	const char *eid;
	long status = 0;
	int rc = -1;
	size_t i;

	if (id_ok(id, e) < 0) {
		json_decref(cmd);
		json_decref(envs);
		return -1;
	}
	for (i = 0; argv[i]; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	for (i = 0; env && env[i]; i++)
		json_array_append_new(envs, json_string(env[i]));
	body = json_pack("{s:b, s:b, s:b, s:o, s:o}", "AttachStdin", 0, "AttachStdout", 1,
	    "AttachStderr", 1, "Cmd", cmd, "Env", envs);
	path = xasprintf("/containers/%s/exec", id);
	r = docker_call(d, "POST", path, body, 30000, NULL, NULL, "exec", e);
	/* The body may hold secrets in its environment: wiped before it is freed. */
	for (i = 0; i < json_array_size(envs); i++) {
		const char *v = json_string_value(json_array_get(envs, i));

		if (v)
			explicit_bzero((char *)v, strlen(v));
	}
	json_decref(body);
	if (!r)
		goto out;
	if ((eid = json_string_value(json_object_get(r, "Id"))) == NULL) {
		err_set(e, 0, "docker: exec: no id in the answer");
		goto out;
	}
	free(path);
	path = xasprintf("/exec/%s/start", eid);
	body = json_pack("{s:b, s:b}", "Detach", 0, "Tty", 0);
	/* Without Tty the answer is the multiplexed stream, until the command ends. */
	rc = docker_request(d, "POST", path, body, timeout_ms, &status, &raw, e);
	json_decref(body);
	if (rc < 0)
		goto out;
	rc = -1;
	if (status != 200) {
		docker_message(&raw, msg, sizeof(msg));
		err_set(e, (int)status, "docker: exec in '%.12s': %s", id, msg);
		goto out;
	}
	docker_demux(raw.p, raw.len, out, out->len + (1u << 20), NULL);
	free(path);
	path = xasprintf("/exec/%s/json", eid);
	st = docker_call(d, "GET", path, NULL, 30000, NULL, NULL, "inspect exec", e);
	if (!st)
		goto out;
	if (json_is_true(json_object_get(st, "Running"))) {
		json_decref(st);
		err_set(e, 1, "docker: exec in '%.12s': still running", id);
		goto out;
	}
	*code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	json_decref(st);
	rc = 0;
out:
	json_decref(r);
	buf_release(&raw);
	free(path);
	return rc;
}
