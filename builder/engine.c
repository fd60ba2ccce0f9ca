/*
 * The Docker calls of a build that stream, over lib/docker's one client: a
 * build context uploaded from a pipe with its JSON progress, a build
 * container's output followed to its end, a push, the slug copied into a
 * container. While a stream is silent for keepalive seconds we print a
 * progress line, so a load balancer never sees an idle `git push` (Deis #4784).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/builder.h"
#include "lib/docker.h"
#include "lib/ev.h"
#include "lib/xalloc.h"

/* What a stream's pieces go through: the keepalive clock, and the decoder of its kind. */
struct stream {
	struct docker *docker;
	engine_out_fn *fn;
	void *arg;
	int keepalive_s;
	uint64_t start_ms;
	const struct engine_watch *watch;
	char container[DOCKER_ID_MAX];	/* the one running now, for the watch */
	bool killed;
	struct docker_progress prog;	/* a build's or a push's JSON lines */
	struct docker_frames frames;	/* a container's output */
	int fd;				/* raw bytes go here */
};

static int
tick(void *arg)
{
	struct stream *s = arg;
	uint64_t now = ev_now_ms();

	if (s->keepalive_s > 0 && now - out_last_ms >= (uint64_t)s->keepalive_s * 1000)
		out_keepalive(now - s->start_ms);
	if (s->watch && !s->killed && s->container[0] &&
	    s->watch->fn(s->watch->arg, s->container) < 0) {
		/* the step fails as killed; the watch knows why */
		s->killed = true;
		docker_container_kill(s->docker, s->container, "KILL", &(struct err){ 0 });
	}
	return 0;
}

/* " ---> Running in 359122b34d3a": the step container a build runs now. */
static void
step_container(struct stream *s, const char *p, size_t n)
{
	static const char mark[] = "Running in ";
	const char *m = memmem(p, n, mark, sizeof(mark) - 1);
	size_t k = 0;

	if (m == NULL)
		return;
	m += sizeof(mark) - 1;
	while (m + k < p + n && k < DOCKER_ID_MAX - 1 && strchr("0123456789abcdef", m[k]) &&
	    m[k])
		k++;
	if (k >= 12) {
		memcpy(s->container, m, k);
		s->container[k] = '\0';
		s->killed = false;
	}
}

static void
progress_text(const char *p, size_t n, void *arg)
{
	struct stream *s = arg;

	if (s->watch)
		step_container(s, p, n);
	s->fn(p, n, s->arg);
}

static int
progress_body(const char *p, size_t n, void *arg)
{
	return docker_progress_feed(&((struct stream *)arg)->prog, p, n);
}

static void
frame_piece(void *arg, int stream, const char *p, size_t n, int flags)
{
	struct stream *s = arg;

	if (n)
		s->fn(p, n, s->arg);
}

static int
frames_body(const char *p, size_t n, void *arg)
{
	docker_frames_feed(&((struct stream *)arg)->frames, p, n);
	return 0;
}

static int
raw_body(const char *p, size_t n, void *arg)
{
	struct stream *s = arg;

	while (n > 0) {
		ssize_t w = write(s->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A progress stream (build, push): 2xx and no "error" in it, or -1 with e set. */
static int
progress_stream(struct docker *d, struct docker_stream *r, engine_out_fn *fn, void *arg,
    int keepalive_s, const struct engine_watch *watch, struct err *e)
{
	struct stream s = { .docker = d, .fn = fn, .arg = arg, .keepalive_s = keepalive_s,
	    .start_ms = ev_now_ms(), .watch = watch };
	int rc;

	docker_progress_init(&s.prog, progress_text, &s);
	r->body = progress_body;
	r->tick = tick;
	r->arg = &s;
	rc = docker_stream(d, r, e);
	docker_progress_finish(&s.prog);
	if (rc == 0 && s.prog.failed)
		rc = err_set(e, 1, "%s: %s", r->what, s.prog.error);
	return rc;
}

int
engine_build(struct docker *d, const char *tag, int tar_fd, const struct engine_limits *l,
    engine_out_fn *fn, void *arg, int keepalive_s, int timeout_s, struct err *e)
{
	char *t = curl_escape(tag, 0), *net = l->network ? curl_escape(l->network, 0) : NULL;
	char *cg = l->cgroup_parent && l->cgroup_parent[0] ? curl_escape(l->cgroup_parent, 0) :
	    NULL;
	struct buf q = BUF_INIT;
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
	if (cg)
		buf_addf(&q, "&cgroupparent=%s", cg);
	curl_free(cg);
	curl_free(net);
	curl_free(t);
	rc = progress_stream(d, &(struct docker_stream){ .method = "POST", .path = q.p,
	    .ctype = "application/x-tar", .in_fd = tar_fd, .in_size = -1,
	    .timeout_ms = timeout_s * 1000L, .what = "docker build failed" }, fn, arg,
	    keepalive_s, l->watch, e);
	buf_release(&q);
	return rc;
}

int
engine_follow(struct docker *d, const char *id, engine_out_fn *fn, void *arg,
    int keepalive_s, int timeout_s, const struct engine_watch *watch, struct err *e)
{
	struct stream s = { .docker = d, .fn = fn, .arg = arg, .keepalive_s = keepalive_s,
	    .start_ms = ev_now_ms(), .watch = watch };
	char *path = xasprintf("/containers/%s/logs?follow=1&stdout=1&stderr=1", id);
	int rc;

	snprintf(s.container, sizeof(s.container), "%s", id);
	docker_frames_init(&s.frames, frame_piece, &s);
	rc = docker_stream(d, &(struct docker_stream){ .method = "GET", .path = path,
	    .in_fd = -1, .timeout_ms = timeout_s * 1000L, .body = frames_body, .tick = tick,
	    .arg = &s, .what = "build output" }, e);
	free(path);
	return rc;
}

int
engine_push(struct docker *d, const char *image, engine_out_fn *fn, void *arg,
    int keepalive_s, struct err *e)
{
	char *repo, *tag, *path;
	bool digest;
	int rc;

	if (docker_ref_split(image, &repo, &tag, &digest) < 0 || digest)
		return err_set(e, 400, "docker push failed: bad image name '%s'", image);
	path = xasprintf("/images/%s/push?tag=%s", repo, tag);
	/* .image: the credentials go only to the platform's registry */
	rc = progress_stream(d, &(struct docker_stream){ .method = "POST", .path = path,
	    .in_fd = -1, .image = image, .timeout_ms = 1800 * 1000L,
	    .what = "docker push failed" }, fn, arg, keepalive_s, NULL, e);
	free(repo);
	free(tag);
	free(path);
	return rc;
}

int
engine_archive_get(struct docker *d, const char *id, const char *cpath, int fd, struct err *e)
{
	struct stream s = { .fd = fd };
	char *q = curl_escape(cpath, 0), *path = xasprintf("/containers/%s/archive?path=%s", id, q);
	int rc;

	rc = docker_stream(d, &(struct docker_stream){ .method = "GET", .path = path, .in_fd = -1,
	    .timeout_ms = 600 * 1000L, .body = raw_body, .arg = &s,
	    .what = "cannot read the slug" }, e);
	curl_free(q);
	free(path);
	return rc;
}

int
engine_archive_put(struct docker *d, const char *id, const char *cpath, int fd, struct err *e)
{
	char *q = curl_escape(cpath, 0), *path = xasprintf("/containers/%s/archive?path=%s", id, q);
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0)
		return err_set(e, 500, "cannot stat the slug: %s", strerror(errno));
	rc = docker_stream(d, &(struct docker_stream){ .method = "PUT", .path = path,
	    .ctype = "application/x-tar", .in_fd = fd, .in_size = st.st_size,
	    .timeout_ms = 600 * 1000L, .what = "cannot write the slug" }, e);
	curl_free(q);
	free(path);
	return rc;
}
