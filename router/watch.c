/*
 * The controller's route stream (docs/internal-api.md, "Controller -> router"):
 * GET /v1/internal/routes, NDJSON, one complete table per line, empty lines as
 * keep-alives. Runs as a thread of the parent process: each valid table is
 * saved to the snapshot file and the workers are told to load it. A table that
 * does not validate is logged and ignored (the last good one stays). When the
 * stream ends or fails, it is reopened with a capped backoff.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "router/router.h"
#include "router/watch.h"

#define LINE_MAX_BYTES (64 * 1024 * 1024)

static struct {
	char *url;
	void (*notify)(void);
	struct buf line;
	struct buf last;	/* the last table applied, to skip repeats */
	bool got_table;
	uint64_t last_rx_ms;	/* when the stream last brought a byte */
	pthread_t thread;
} ws;

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A stream that brings no byte (not even a keep-alive line, every 15 s) for
 * --watch-timeout is dead. Not libcurl's low-speed limit: it averages bytes
 * per second, and one keep-alive line per 15 s is far below 1 B/s, so a
 * healthy stream was dropped and reopened every 45 s.
 */
static int
watch_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	return mono_ms() - ws.last_rx_ms > conf.watch_ms;
}

static void
watch_apply(const char *p, size_t len)
{
	char why[300] = "";
	struct route_table *t;

	if (len == ws.last.len && memcmp(p, ws.last.p, len) == 0)
		return;
	t = routes_parse(p, len, why, sizeof(why));
	if (t == NULL) {
		log_error("ignoring a route table from the controller: %s", why);
		return;
	}
	log_info("route table version %lld from the controller (%zu apps)", (long long)t->version,
	    t->napps - 1);
	routes_unref(t);
	if (routes_save(conf.routes_file, p, len) < 0)
		return;
	buf_reset(&ws.last);
	buf_add(&ws.last, p, len);
	ws.got_table = true;
	ws.notify();
}

static size_t
watch_write(char *data, size_t size, size_t nmemb, void *arg)
{
	size_t n = size * nmemb, i, start = 0;

	ws.last_rx_ms = mono_ms();
	for (i = 0; i < n; i++) {
		if (data[i] != '\n')
			continue;
		buf_add(&ws.line, data + start, i - start);
		start = i + 1;
		if (ws.line.len && ws.line.p[ws.line.len - 1] == '\r')
			buf_setlen(&ws.line, ws.line.len - 1);
		if (ws.line.len)
			watch_apply(ws.line.p, ws.line.len);
		buf_reset(&ws.line);
	}
	buf_add(&ws.line, data + start, n - start);
	if (ws.line.len > LINE_MAX_BYTES) {
		log_error("route stream line too long; reconnecting");
		return 0;
	}
	return n;
}

static void *
watch_main(void *arg)
{
	unsigned backoff = 1;

	for (;;) {
		CURL *h = curl_easy_init();
		struct curl_slist *hdrs = NULL;
		char *auth = xasprintf("X-Deis-Internal-Auth: %s",
		    conf.internal_token ? conf.internal_token : "");
		long code = 0;
		CURLcode rc;

		hdrs = curl_slist_append(hdrs, auth);
		hdrs = curl_slist_append(hdrs, "Accept: application/x-ndjson");
		curl_easy_setopt(h, CURLOPT_URL, ws.url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, watch_write);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)conf.connect_ms);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, watch_progress);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
		buf_reset(&ws.line);
		ws.last_rx_ms = mono_ms();
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_OK)
			log_warn("route stream from '%s' ended; reconnecting", ws.url);
		else if (rc == CURLE_ABORTED_BY_CALLBACK)
			log_warn("route stream from '%s': nothing for %u s; reconnecting", ws.url,
			    conf.watch_ms / 1000);
		else
			log_warn("route stream from '%s' failed: %s (status %ld)", ws.url,
			    curl_easy_strerror(rc), code);
		if (code == 200)
			backoff = 1;
		curl_slist_free_all(hdrs);
		curl_easy_cleanup(h);
		explicit_bzero(auth, strlen(auth));
		free(auth);
		sleep(backoff);
		if (backoff < 10)
			backoff *= 2;
	}
	return NULL;
}

int
watch_start(const char *controller_url, void (*notify)(void))
{
	size_t n = strlen(controller_url);

	while (n && controller_url[n - 1] == '/')
		n--;
	ws.url = xasprintf("%.*s/v1/internal/routes", (int)n, controller_url);
	ws.notify = notify;
	buf_init(&ws.line, 0);
	buf_init(&ws.last, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (pthread_create(&ws.thread, NULL, watch_main, NULL) != 0)
		return -1;
	return 0;
}
