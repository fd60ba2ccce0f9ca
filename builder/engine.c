/*
 * The Docker Engine calls a build makes, over the daemon's unix socket with
 * libcurl. lib/docker.h covers request/response calls for the controller; a
 * build also needs streams (a build context uploaded from a pipe, build and
 * push progress as JSON lines, a container's multiplexed log stream), which
 * live here. While a stream is silent for keepalive seconds we print a
 * progress line, so a load balancer never sees an idle `git push` (Deis #4784).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "builder/builder.h"
#include "lib/docker.h"
#include "lib/ev.h"
#include "lib/xalloc.h"

#define ENGINE_API "/v1.41"
#define ENGINE_MAX_JSON (16u << 20)

struct engine {
	char *sock;
	char *auth_server;	/* the registry pushes go to with auth, or NULL */
	char *auth;		/* its X-Registry-Auth value */
};

enum stream_kind { STREAM_RAW, STREAM_JSONL, STREAM_MUX };

struct stream {
	enum stream_kind kind;
	engine_out_fn *fn;
	void *arg;
	struct buf in;		/* undecoded bytes (JSONL, MUX) */
	struct buf errmsg;	/* an "error" seen in a JSON stream */
	int fd;			/* RAW: write here */
	int write_failed;
	int keepalive_s;
	uint64_t start_ms;
	const char *auth;	/* X-Registry-Auth value; NULL: "{}" (none) */
};

struct engine *
engine_new(const char *sock)
{
	struct engine *g = xcalloc(1, sizeof(*g));

	g->sock = xstrdup(sock ? sock : "/var/run/docker.sock");
	return g;
}

void
engine_set_registry_auth(struct engine *g, const char *server, const char *user,
    const char *password)
{
	free(g->auth_server);
	free(g->auth);
	g->auth_server = xstrdup(server);
	g->auth = docker_registry_auth(server, user, password);
}

void
engine_free(struct engine *g)
{
	if (!g)
		return;
	free(g->sock);
	free(g->auth_server);
	if (g->auth)
		explicit_bzero(g->auth, strlen(g->auth));
	free(g->auth);
	free(g);
}

static CURL *
engine_handle(struct engine *g, const char *method, const char *path)
{
	CURL *k = curl_easy_init();
	char *url;

	if (!k)
		return NULL;
	url = xasprintf("http://docker%s%s", ENGINE_API, path);
	curl_easy_setopt(k, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(k, CURLOPT_UNIX_SOCKET_PATH, g->sock);
	curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, 10L);
	return k;
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > ENGINE_MAX_JSON)
		return 0;
	buf_add(b, p, size * n);
	return size * n;
}

static const char *
docker_message(const json_t *resp)
{
	const char *m = json_string_value(json_object_get(resp, "message"));

	return m ? m : "(no message)";
}

int
engine_call(struct engine *g, const char *method, const char *path, const json_t *body,
    long *status, json_t **resp, struct err *e)
{
	struct curl_slist *h = NULL;
	struct buf out = BUF_INIT;
	char *text = NULL;
	CURL *k = engine_handle(g, method, path);
	CURLcode cc;
	int rc = -1;

	if (resp)
		*resp = NULL;
	if (!k)
		return err_set(e, 500, "cannot make a curl handle");
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(k, CURLOPT_POSTFIELDS, text);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(k, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(k, CURLOPT_TIMEOUT, 120L);
	cc = curl_easy_perform(k);
	if (cc != CURLE_OK) {
		err_set(e, 503, "cannot reach docker at '%s': %s", g->sock, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, status);
	if (resp) {
		*resp = out.len ? json_loadb(out.p, out.len, 0, NULL) : NULL;
		if (!*resp)
			*resp = json_null();
		if (*status >= 400)
			err_set(e, (int)*status, "%s", docker_message(*resp));
	}
	rc = 0;
out:
	curl_easy_cleanup(k);
	curl_slist_free_all(h);
	free(text);
	buf_release(&out);
	return rc;
}

/* One line of a JSON progress stream (build or push). */
static void
stream_json_line(struct stream *s, const char *p, size_t n)
{
	json_t *j = json_loadb(p, n, 0, NULL);
	const char *v;

	if (!j)
		return;
	if ((v = json_string_value(json_object_get(j, "error")))) {
		if (!s->errmsg.len)
			buf_addstr(&s->errmsg, v);
	} else if ((v = json_string_value(json_object_get(j, "message")))) {
		if (!s->errmsg.len)
			buf_addstr(&s->errmsg, v);	/* an error answer that ended in \n */
	} else if ((v = json_string_value(json_object_get(j, "stream")))) {
		s->fn(v, strlen(v), s->arg);
	}
	json_decref(j);
}

static size_t
stream_write(char *p, size_t size, size_t n, void *arg)
{
	struct stream *s = arg;
	size_t len = size * n, i, start = 0;

	switch (s->kind) {
	case STREAM_RAW:
		for (i = 0; i < len && !s->write_failed;) {
			ssize_t w = write(s->fd, p + i, len - i);

			if (w <= 0)
				s->write_failed = errno ? errno : EIO;
			else
				i += (size_t)w;
		}
		return s->write_failed ? 0 : len;
	case STREAM_JSONL:
		buf_add(&s->in, p, len);
		for (i = 0; i < s->in.len; i++)
			if (s->in.p[i] == '\n') {
				stream_json_line(s, s->in.p + start, i - start);
				start = i + 1;
			}
		buf_remove_head(&s->in, start);
		if (s->in.len > ENGINE_MAX_JSON)
			return 0;
		return len;
	case STREAM_MUX:
		buf_add(&s->in, p, len);
		while (s->in.len >= 8) {
			const unsigned char *h = (const unsigned char *)s->in.p;
			size_t fl = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];

			if (s->in.len < 8 + fl)
				break;
			s->fn(s->in.p + 8, fl, s->arg);
			buf_remove_head(&s->in, 8 + fl);
		}
		return len;
	}
	return 0;
}

static int
stream_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct stream *s = arg;
	uint64_t now = ev_now_ms();

	if (s->keepalive_s > 0 && now - out_last_ms >= (uint64_t)s->keepalive_s * 1000)
		out_keepalive(now - s->start_ms);
	return 0;
}

static size_t
read_fd(char *p, size_t size, size_t n, void *arg)
{
	int fd = *(int *)arg;
	ssize_t r;

	do
		r = read(fd, p, size * n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
}

/*
 * Run one streaming request. in_fd >= 0 uploads its content (chunked unless
 * in_size >= 0); the response is decoded per kind into s. Returns 0 when the
 * engine answered 2xx and no "error" was streamed.
 */
static int
engine_stream(struct engine *g, const char *method, const char *path, const char *ctype,
    int in_fd, long long in_size, struct stream *s, int timeout_s, const char *what,
    struct err *e)
{
	struct curl_slist *h = NULL;
	CURL *k = engine_handle(g, method, path);
	CURLcode cc;
	long status = 0;
	int rc = -1;

	if (!k)
		return err_set(e, 500, "cannot make a curl handle");
	s->start_ms = ev_now_ms();
	if (ctype) {
		char *ct = xasprintf("Content-Type: %s", ctype);

		h = curl_slist_append(h, ct);
		free(ct);
	}
	if (s->auth) {
		char *a = xasprintf("X-Registry-Auth: %s", s->auth);

		h = curl_slist_append(h, a);
		explicit_bzero(a, strlen(a));
		free(a);
	} else {
		h = curl_slist_append(h, "X-Registry-Auth: e30=");	/* "{}": no credentials */
	}
	if (in_fd >= 0) {
		curl_easy_setopt(k, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(k, CURLOPT_READFUNCTION, read_fd);
		curl_easy_setopt(k, CURLOPT_READDATA, &in_fd);
		if (in_size >= 0)
			curl_easy_setopt(k, CURLOPT_INFILESIZE_LARGE, (curl_off_t)in_size);
		else
			h = curl_slist_append(h, "Transfer-Encoding: chunked");
		h = curl_slist_append(h, "Expect:");
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(k, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(k, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(k, CURLOPT_XFERINFOFUNCTION, stream_progress);
	curl_easy_setopt(k, CURLOPT_XFERINFODATA, s);
	if (timeout_s > 0)
		curl_easy_setopt(k, CURLOPT_TIMEOUT, (long)timeout_s);
	cc = curl_easy_perform(k);
	curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK && status == 0) {
		err_set(e, 503, "%s: cannot talk to docker: %s", what, curl_easy_strerror(cc));
	} else if (status >= 300) {
		/* An error answer is one JSON object; it went through the decoder as raw text. */
		json_t *j = json_loadb(s->in.p, s->in.len, 0, NULL);

		err_set(e, (int)status, "%s: %s", what, s->errmsg.len ? s->errmsg.p :
		    j ? docker_message(j) : "docker refused");
		json_decref(j);
	} else if (cc != CURLE_OK) {
		err_set(e, 503, "%s: %s", what, curl_easy_strerror(cc));
	} else if (s->errmsg.len) {
		err_set(e, 1, "%s: %s", what, s->errmsg.p);
	} else {
		rc = 0;
	}
	curl_easy_cleanup(k);
	curl_slist_free_all(h);
	return rc;
}

static void
stream_release(struct stream *s)
{
	buf_release(&s->in);
	buf_release(&s->errmsg);
}

int
engine_build(struct engine *g, const char *tag, int tar_fd, const struct engine_limits *l,
    engine_out_fn *fn, void *arg, int keepalive_s, int timeout_s, struct err *e)
{
	struct stream s = { .kind = STREAM_JSONL, .fn = fn, .arg = arg, .in = BUF_INIT,
	    .errmsg = BUF_INIT, .keepalive_s = keepalive_s };
	char *t = curl_escape(tag, 0), *net = l->network ? curl_escape(l->network, 0) : NULL;
	struct buf q = BUF_INIT;
	char *path;
	int rc;

	/* every RUN step: on the sandbox network, within memory (no swap beyond) and CPUs */
	buf_addf(&q, "/build?t=%s&rm=1&forcerm=1", t);
	if (net)
		buf_addf(&q, "&networkmode=%s", net);
	if (l->memory_mb > 0)
		buf_addf(&q, "&memory=%lld&memswap=%lld", (long long)l->memory_mb << 20,
		    (long long)l->memory_mb << 20);
	if (l->cpus > 0)
		buf_addf(&q, "&cpuperiod=100000&cpuquota=%d", l->cpus * 100000);
	path = buf_detach(&q, NULL);
	curl_free(net);
	rc = engine_stream(g, "POST", path, "application/x-tar", tar_fd, -1, &s, timeout_s,
	    "docker build failed", e);
	curl_free(t);
	free(path);
	stream_release(&s);
	return rc;
}

int
engine_follow(struct engine *g, const char *id, engine_out_fn *fn, void *arg,
    int keepalive_s, int timeout_s, struct err *e)
{
	struct stream s = { .kind = STREAM_MUX, .fn = fn, .arg = arg, .in = BUF_INIT,
	    .errmsg = BUF_INIT, .keepalive_s = keepalive_s };
	char *path = xasprintf("/containers/%s/logs?follow=1&stdout=1&stderr=1", id);
	int rc;

	rc = engine_stream(g, "GET", path, NULL, -1, -1, &s, timeout_s, "build output", e);
	free(path);
	stream_release(&s);
	return rc;
}

int
engine_push(struct engine *g, const char *image, engine_out_fn *fn, void *arg,
    int keepalive_s, struct err *e)
{
	struct stream s = { .kind = STREAM_JSONL, .fn = fn, .arg = arg, .in = BUF_INIT,
	    .errmsg = BUF_INIT, .keepalive_s = keepalive_s };
	const char *colon = strrchr(image, ':');
	char *repo = colon && !strchr(colon, '/') ? xstrndup(image, (size_t)(colon - image)) :
	    xstrdup(image);
	char *path = xasprintf("/images/%s/push?tag=%s", repo,
	    colon && !strchr(colon, '/') ? colon + 1 : "latest");
	int rc;

	/* the credentials go only to the platform's registry */
	if (docker_ref_on(image, g->auth_server))
		s.auth = g->auth;
	rc = engine_stream(g, "POST", path, NULL, -1, -1, &s, 1800, "docker push failed", e);
	free(repo);
	free(path);
	stream_release(&s);
	return rc;
}

int
engine_archive_get(struct engine *g, const char *id, const char *cpath, int fd, struct err *e)
{
	struct stream s = { .kind = STREAM_RAW, .fd = fd, .in = BUF_INIT, .errmsg = BUF_INIT };
	char *q = curl_escape(cpath, 0), *path = xasprintf("/containers/%s/archive?path=%s", id, q);
	int rc;

	rc = engine_stream(g, "GET", path, NULL, -1, -1, &s, 600, "cannot read the slug", e);
	curl_free(q);
	free(path);
	stream_release(&s);
	return rc;
}

int
engine_archive_put(struct engine *g, const char *id, const char *cpath, int fd, struct err *e)
{
	struct stream s = { .kind = STREAM_RAW, .fd = -1, .in = BUF_INIT, .errmsg = BUF_INIT };
	char *q = curl_escape(cpath, 0), *path = xasprintf("/containers/%s/archive?path=%s", id, q);
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0)
		return err_set(e, 500, "cannot stat the slug: %s", strerror(errno));
	s.kind = STREAM_JSONL;	/* the answer is empty or one JSON error object */
	rc = engine_stream(g, "PUT", path, "application/x-tar", fd, st.st_size, &s, 600,
	    "cannot write the slug", e);
	curl_free(q);
	free(path);
	stream_release(&s);
	return rc;
}

void
engine_remove(struct engine *g, const char *id)
{
	char *path = xasprintf("/containers/%s?force=1&v=1", id);
	long status;
	struct err e;

	engine_call(g, "DELETE", path, NULL, &status, NULL, &e);
	free(path);
}
