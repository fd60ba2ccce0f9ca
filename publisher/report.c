#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lib/buf.h"
#include "publisher/publisher.h"

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len < 4096)
		buf_add(b, p, sz * n);
	return sz * n;
}

int
report_endpoints(const struct pub_config *c, json_t *endpoints, struct err *e)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct buf url = BUF_INIT, auth = BUF_INIT, resp = BUF_INIT;
	json_t *doc = json_pack("{s:O}", "endpoints", endpoints);
	char *body = json_dumps(doc, JSON_COMPACT);
	long status = 0;
	CURLcode rc;
	int ret = -1;

	buf_addf(&url, "%s/v1/internal/endpoints/%s", c->controller, c->host);
	buf_addf(&auth, "X-Deis-Internal-Auth: %s", c->token);
	hdrs = curl_slist_append(hdrs, auth.p);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url.p);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		err_set(e, 503, "cannot reach the controller at '%s': %s", c->controller,
		    curl_easy_strerror(rc));
	else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status), status != 204)
		err_set(e, (int)status, "controller answered %ld: %.200s", status, resp.p);
	else
		ret = 0;
	explicit_bzero(auth.p, auth.len);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(body);
	json_decref(doc);
	buf_release(&url);
	buf_release(&auth);
	buf_release(&resp);
	return ret;
}
