/*
 * builder → controller: POST /v1/hooks/{key,push,config,build} with the
 * builder key in X-Deis-Builder-Auth (docs/internal-api.md). One short-lived
 * libcurl handle per call: the helpers make a handful of calls per push.
 */
#include <string.h>

#include <curl/curl.h>

#include "builder/builder.h"
#include "lib/xalloc.h"

#define HOOKS_MAX_RESPONSE (4u << 20)

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > HOOKS_MAX_RESPONSE)
		return 0;
	buf_add(b, p, size * n);
	return size * n;
}

int
hooks_post(const struct conf *c, const char *path, json_t *body, int timeout_s,
    long *status, json_t **resp, struct err *e)
{
	struct curl_slist *h = NULL;
	struct buf out = BUF_INIT;
	char *url = xasprintf("%s%s", c->controller, path);
	char *auth = xasprintf("X-Deis-Builder-Auth: %s", c->builder_key ? c->builder_key : "");
	char *text = json_dumps(body, JSON_COMPACT);
	CURL *k = curl_easy_init();
	CURLcode cc;
	int rc = -1;

	*status = 0;
	*resp = NULL;
	if (!k || !text) {
		err_set(e, 500, "cannot prepare request to '%s'", url);
		goto out;
	}
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/json");
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(k, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(k);
	if (cc != CURLE_OK) {
		err_set(e, 503, "cannot reach the controller at '%s': %s", c->controller,
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, status);
	*resp = out.len ? json_loadb(out.p, out.len, 0, NULL) : NULL;
	if (!*resp)
		*resp = json_null();
	rc = 0;
out:
	if (k)
		curl_easy_cleanup(k);
	curl_slist_free_all(h);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	free(url);
	free(text);
	buf_release(&out);
	return rc;
}

const char *
hooks_detail(const json_t *resp, long status)
{
	const char *d = json_string_value(json_object_get(resp, "detail"));

	if (d && *d)
		return d;
	switch (status) {
	case 401:
	case 403:
		return "permission denied";
	case 404:
		return "not found";
	default:
		return "the controller failed";
	}
}
