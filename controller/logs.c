/*
 * An app's logs, from the logger's HTTP API: the last lines (a worker's
 * blocking fetch), deleting them with the app, and following them.
 *
 * `deis logs -f`: GET /v1/apps/<id>/logs?follow=true streams the logger's
 * follow stream to the client. A thread per follower runs the (blocking)
 * libcurl transfer and hands bytes to the loop through an eventfd; the loop
 * writes them to the client. When the client goes, the transfer is aborted;
 * when the logger goes, the stream ends. Bounded: at most FOLLOW_MAX
 * followers, and a follower that does not read stalls its own transfer (which
 * backs up to the logger's bounded queue), never the loop.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "controller/controller.h"
#include "controller/handlers.h"
#include "controller/logs.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* DELETE <logger>/<app>/ ; best effort, logged. */
void
logs_delete(const char *logger_url, const char *app)
{
	CURL *c = curl_easy_init();
	struct buf url = BUF_INIT;
	CURLcode rc;

	if (c == NULL || logger_url == NULL) {
		if (c)
			curl_easy_cleanup(c);
		return;
	}
	buf_addf(&url, "%s/%s/", logger_url, app);
	curl_easy_setopt(c, CURLOPT_URL, url.p);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		log_warn("cannot delete logs of '%s': %s", app, curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	buf_release(&url);
}

/* The body of the logger's answer, up to 16 MiB (then the transfer fails). */
static size_t
fetch_write(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *body = arg;

	if (body->len + sz * n > 16 * 1024 * 1024)
		return 0;
	buf_add(body, p, sz * n);
	return sz * n;
}

int
logs_fetch(const char *logger_url, const char *app, long lines, struct buf *body, long *status)
{
	CURL *c = curl_easy_init();
	struct buf url = BUF_INIT;
	CURLcode rc;
	int ret = 0;

	buf_addf(&url, "%s/%s?log_lines=%ld", logger_url, app, lines);
	curl_easy_setopt(c, CURLOPT_URL, url.p);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else
		ret = -1;
	curl_easy_cleanup(c);
	buf_release(&url);
	return ret;
}

/* ---- following ---- */

#define FOLLOW_MAX 256
#define FOLLOW_HIGH (1024 * 1024)	/* bytes queued before the transfer waits */

struct follow {
	struct api *a;
	struct ctl *ctl;
	int efd;
	pthread_t thread;
	pthread_mutex_t mu;
	struct buf pending;	/* bytes from the logger not yet handed to httpd */
	atomic_bool client_gone;
	atomic_bool done;	/* the thread has finished */
	char *url;
};

static atomic_int followers;

static void
follow_signal(struct follow *f)
{
	uint64_t one = 1;
	ssize_t n = write(f->efd, &one, sizeof(one));

	(void)n;
}

static size_t
follow_write(char *p, size_t sz, size_t n, void *arg)
{
	struct follow *f = arg;
	size_t len = sz * n;

	for (;;) {
		size_t queued;

		if (atomic_load(&f->client_gone))
			return 0;	/* aborts the transfer */
		pthread_mutex_lock(&f->mu);
		queued = f->pending.len;
		if (queued < FOLLOW_HIGH)
			buf_add(&f->pending, p, len);
		pthread_mutex_unlock(&f->mu);
		if (queued < FOLLOW_HIGH)
			break;
		{
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	follow_signal(f);
	return len;
}

static int
follow_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct follow *f = arg;

	return atomic_load(&f->client_gone) ? 1 : 0;
}

static void *
follow_thread(void *arg)
{
	struct follow *f = arg;
	CURL *c = curl_easy_init();

	if (c) {
		curl_easy_setopt(c, CURLOPT_URL, f->url);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, follow_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, follow_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
		curl_easy_perform(c);
		curl_easy_cleanup(c);
	}
	atomic_store(&f->done, true);
	follow_signal(f);
	return NULL;
}

static void
follow_closed(struct httpd_req *r, void *arg)
{
	struct follow *f = arg;

	atomic_store(&f->client_gone, true);
}

static void
follow_ready(struct ev *ev, int fd, int mask, void *arg)
{
	struct follow *f = arg;
	uint64_t v;
	struct buf chunk = BUF_INIT;
	ssize_t n = read(fd, &v, sizeof(v));

	(void)n;
	pthread_mutex_lock(&f->mu);
	chunk = f->pending;
	buf_init(&f->pending, 0);
	pthread_mutex_unlock(&f->mu);
	if (chunk.len && !atomic_load(&f->client_gone) &&
	    httpd_stream_write(f->a->r, chunk.p, chunk.len) < 0)
		atomic_store(&f->client_gone, true);
	buf_release(&chunk);
	if (!atomic_load(&f->done))
		return;
	/* The transfer is over: finish the response and free everything. */
	pthread_join(f->thread, NULL);
	ev_set(ev, f->efd, 0, NULL, NULL);
	close(f->efd);
	httpd_stream_end(f->a->r);
	api_free(f->a);
	pthread_mutex_destroy(&f->mu);
	buf_release(&f->pending);
	free(f->url);
	free(f);
	atomic_fetch_sub(&followers, 1);
}

/* Called by apps_logs for ?follow=true; lines is the backlog to send first. */
void
logs_follow(struct api *a, long lines)
{
	struct follow *f;
	struct buf url = BUF_INIT;

	if (atomic_fetch_add(&followers, 1) >= FOLLOW_MAX) {
		atomic_fetch_sub(&followers, 1);
		api_detail(a, 503, "too many log followers; try again later");
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->a = a;
	f->ctl = a->ctl;
	buf_init(&f->pending, 0);
	pthread_mutex_init(&f->mu, NULL);
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	buf_addf(&url, "%s/%s?log_lines=%ld&follow=true", a->ctl->logger_url, a->seg[0], lines);
	f->url = buf_detach(&url, NULL);
	if (f->efd < 0 || ev_set(a->ctl->ev, f->efd, EV_READ, follow_ready, f) < 0 ||
	    pthread_create(&f->thread, NULL, follow_thread, f) != 0) {
		if (f->efd >= 0) {
			ev_set(a->ctl->ev, f->efd, 0, NULL, NULL);
			close(f->efd);
		}
		pthread_mutex_destroy(&f->mu);
		free(f->url);
		free(f);
		atomic_fetch_sub(&followers, 1);
		api_detail(a, 503, "cannot follow logs now");
		return;
	}
	api_stream_begin(a, "text/plain; charset=utf-8");
	httpd_on_close(a->r, follow_closed, f);
}
