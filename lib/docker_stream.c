/*
 * Docker's streams: the JSON-lines progress of a build, push or pull, and the
 * streaming request that carries them and the multiplexed frames
 * (docker_frames.c): an upload from a file descriptor, an answer handed on as
 * it arrives. The decoder is pure (bytes in, callbacks out); the request
 * blocks, like every call of lib/docker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lib/docker.h"
#include "lib/xalloc.h"

#define PROGRESS_LINE_MAX (16u << 20)
#define ERROR_BODY_MAX (64u << 10)

void
docker_progress_init(struct docker_progress *p, void (*text)(const char *, size_t, void *),
    void *arg)
{
	memset(p, 0, sizeof(*p));
	p->text = text;
	p->arg = arg;
	buf_init(&p->line, 0);
}

static void
progress_line(struct docker_progress *p, const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, 0, NULL);
	const char *v;

	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	if ((v = json_string_value(json_object_get(j, "error"))) != NULL) {
		if (!p->failed)
			snprintf(p->error, sizeof(p->error), "%s", v);
		p->failed = true;
	} else if ((v = json_string_value(json_object_get(j, "message"))) != NULL) {
		if (!p->failed)
			snprintf(p->error, sizeof(p->error), "%s", v);
	} else if ((v = json_string_value(json_object_get(j, "stream"))) != NULL && p->text) {
		p->text(v, strlen(v), p->arg);
	}
	json_decref(j);
}

int
docker_progress_feed(struct docker_progress *p, const char *data, size_t n)
{
	size_t i, start = 0, from = p->line.len;

	buf_add(&p->line, data, n);
	for (i = from; i < p->line.len; i++)
		if (p->line.p[i] == '\n') {
			if (i > start)
				progress_line(p, p->line.p + start, i - start);
			start = i + 1;
		}
	buf_remove_head(&p->line, start);
	return p->line.len > PROGRESS_LINE_MAX ? -1 : 0;
}

void
docker_progress_finish(struct docker_progress *p)
{
	if (p->line.len)
		progress_line(p, p->line.p, p->line.len);
	buf_release(&p->line);
}

struct xfer {
	const struct docker_stream *s;
	CURL *k;
	long status;
	struct buf err;		/* the body of a refusal */
	int in_fd;
	bool aborted;
};

static size_t
xfer_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (x->status == 0)
		curl_easy_getinfo(x->k, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status >= 300) {
		if (x->err.len < ERROR_BODY_MAX)
			buf_add(&x->err, p, len < ERROR_BODY_MAX ? len : ERROR_BODY_MAX);
		return len;
	}
	if (x->s->body && x->s->body(p, len, x->s->arg) < 0) {
		x->aborted = true;
		return 0;
	}
	return len;
}

static size_t
xfer_read(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	ssize_t r;

	do
		r = read(x->in_fd, p, size * n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
}

static int
xfer_tick(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct xfer *x = arg;

	if (x->s->tick && x->s->tick(x->s->arg) < 0) {
		x->aborted = true;
		return 1;
	}
	return 0;
}

int
docker_stream(struct docker *d, const struct docker_stream *s, struct err *e)
{
	struct xfer x = { .s = s, .err = BUF_INIT, .in_fd = s->in_fd };
	struct curl_slist *h = NULL;
	const char *auth;
	char msg[300], *ct;
	CURLcode cc;
	int rc = -1;

	x.k = docker_easy(d, s->method, s->path);
	if (x.k == NULL)
		return err_set(e, 503, "%s: cannot make a curl handle", s->what);
	if (s->ctype) {
		ct = xasprintf("Content-Type: %s", s->ctype);
		h = curl_slist_append(h, ct);
		free(ct);
	}
	if (s->image) {
		auth = docker_registry_auth_for(d, s->image);
		h = curl_slist_append(h, auth ? auth : "X-Registry-Auth: e30=");	/* {} */
	}
	h = curl_slist_append(h, "Expect:");
	if (s->in_fd >= 0) {
		curl_easy_setopt(x.k, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x.k, CURLOPT_READFUNCTION, xfer_read);
		curl_easy_setopt(x.k, CURLOPT_READDATA, &x);
		if (s->in_size >= 0)
			curl_easy_setopt(x.k, CURLOPT_INFILESIZE_LARGE, (curl_off_t)s->in_size);
		else
			h = curl_slist_append(h, "Transfer-Encoding: chunked");
	} else if (strcmp(s->method, "POST") == 0) {
		curl_easy_setopt(x.k, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(x.k, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(x.k, CURLOPT_WRITEFUNCTION, xfer_body);
	curl_easy_setopt(x.k, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.k, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x.k, CURLOPT_XFERINFOFUNCTION, xfer_tick);
	curl_easy_setopt(x.k, CURLOPT_XFERINFODATA, &x);
	if (s->timeout_ms > 0)
		curl_easy_setopt(x.k, CURLOPT_TIMEOUT_MS, s->timeout_ms);
	cc = curl_easy_perform(x.k);
	curl_easy_getinfo(x.k, CURLINFO_RESPONSE_CODE, &x.status);
	if (x.aborted) {
		err_set(e, 503, "%s: stopped", s->what);
	} else if (cc != CURLE_OK && x.status == 0) {
		err_set(e, cc == CURLE_OPERATION_TIMEDOUT ? 504 : 503,
		    "%s: cannot talk to docker: %s", s->what, curl_easy_strerror(cc));
	} else if (x.status < 200 || x.status >= 300) {
		docker_message(&x.err, msg, sizeof(msg));
		err_set(e, (int)x.status, "%s: %s", s->what, msg[0] ? msg : "docker refused");
	} else if (cc != CURLE_OK) {
		err_set(e, cc == CURLE_OPERATION_TIMEDOUT ? 504 : 503, "%s: %s", s->what,
		    curl_easy_strerror(cc));
	} else {
		rc = 0;
	}
	curl_easy_cleanup(x.k);
	curl_slist_free_all(h);
	buf_release(&x.err);
	return rc;
}
