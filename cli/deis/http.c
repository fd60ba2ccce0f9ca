/*
 * HTTP to the controller through libcurl, with the Deis 1.13 client's habits:
 * JSON bodies, `Authorization: token <t>`, `User-Agent: Deis Client v1.13.4`,
 * no connection reuse, the API version warning on every answer, and errors
 * rendered as "\n<status line>\n<key>: <value>\n..." with the status line as
 * the server sent it (the controller says `404 NOT FOUND`).
 *
 * TLS certificates are verified unless the settings say ssl_verify=false.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/deis/deis.h"
#include "lib/xalloc.h"

/* A controller answer larger than this is refused rather than buffered. */
#define BODY_MAX (64u << 20)

struct xfer {
	struct response *res;
	bool too_big;
	const struct request *rq;
	struct timespec last;
	int frame;
	bool spinning;
};

static const char *const frames[] = { "...", "o..", ".o.", "..o" };

static double
elapsed(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

/* The spinner of the Go client: a frame every 400 ms, erased with backspaces. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct xfer *x = arg;

	if (!x->spinning)
		return 0;
	if (x->frame < 0 || elapsed(&x->last) >= 0.4) {
		if (x->frame >= 0)
			fputs("\b\b\b", stdout);
		x->frame = (x->frame + 1) % 4;
		fputs(frames[x->frame], stdout);
		fflush(stdout);
		clock_gettime(CLOCK_MONOTONIC, &x->last);
	}
	return 0;
}

static int
status_from_line(const char *line)
{
	long v = strtol(line, NULL, 10);

	return v > 0 && v < 1000 ? (int)v : 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct response *res = x->res;
	size_t len = size * n, l = len;

	while (l > 0 && (p[l - 1] == '\n' || p[l - 1] == '\r'))
		l--;
	if (l > 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new status line (after 100 Continue or a redirect): start over */
		const char *sp = memchr(p, ' ', l);
		size_t rest;

		res->has_api_version = false;
		res->api_version[0] = '\0';
		if (sp) {
			rest = l - (size_t)(sp + 1 - p);
			if (rest >= sizeof(res->status_line))
				rest = sizeof(res->status_line) - 1;
			memcpy(res->status_line, sp + 1, rest);
			res->status_line[rest] = '\0';
			res->status = status_from_line(res->status_line);
		}
		return len;
	}
	if (l > 17 && strncasecmp(p, "DEIS_API_VERSION:", 17) == 0) {
		const char *v = p + 17;
		size_t vl = l - 17;

		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		if (vl >= sizeof(res->api_version))
			vl = sizeof(res->api_version) - 1;
		memcpy(res->api_version, v, vl);
		res->api_version[vl] = '\0';
		res->has_api_version = true;
	}
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (x->rq->stream && x->res->status >= 200 && x->res->status < 300)
		return x->rq->stream(p, len, x->rq->arg);
	if (x->res->body.len + len > BODY_MAX) {
		x->too_big = true;
		return 0;
	}
	buf_add(&x->res->body, p, len);
	return len;
}

/* Go's error text names the method as "Get", "Post", ... */
static void
method_title(const char *m, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; m[i] && i + 1 < outlen; i++)
		out[i] = i == 0 ? m[i] : (char)(m[i] >= 'A' && m[i] <= 'Z' ? m[i] + 32 : m[i]);
	out[i] = '\0';
}

/*
 * Percent-encode what cannot appear in a URL as is (spaces, controls, bytes
 * past ASCII, '#', quotes...): app names come from directory names. '/', '?',
 * '&', '=' and '%' are kept, they are the path and query syntax.
 */
static void
url_append_path(struct buf *out, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"#<>\\^`{|}", *p)) {
			buf_addch(out, '%');
			buf_addch(out, hex[*p >> 4]);
			buf_addch(out, hex[*p & 15]);
		} else {
			buf_addch(out, *p);
		}
	}
}

int
deis_http_do(const struct request *rq, struct response *res)
{
	char errbuf[CURL_ERROR_SIZE] = "", mt[16];
	struct curl_slist *hdrs = NULL;
	struct xfer x = { .res = res, .rq = rq, .frame = -1 };
	struct buf ub = BUF_INIT;
	char *url, *auth = NULL;
	CURL *h;
	CURLcode cc;
	long code = 0;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	buf_init(&res->body, 0);
	h = curl_easy_init();
	if (h == NULL)
		return deis_fail("cannot initialise libcurl");
	buf_addstr(&ub, rq->base);
	url_append_path(&ub, rq->path);
	url = buf_detach(&ub, NULL);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (rq->token && *rq->token) {
		auth = xasprintf("Authorization: token %s", rq->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "Deis Client v" DEIS_VERSION);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, rq->ssl_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, rq->ssl_verify ? 2L : 0L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	if (strcmp(rq->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(rq->method, "HEAD") != 0) {
		const char *body = rq->body ? rq->body : "";

		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (rq->spin && isatty(STDOUT_FILENO)) {
		x.spinning = true;
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
	}
	/* response status must be known before the body arrives (for streaming) */
	cc = curl_easy_perform(h);
	if (x.spinning && x.frame >= 0) {
		fputs("\b\b\b", stdout);
		fflush(stdout);
	}
	if (x.too_big) {
		deis_fail("the controller's answer to %s %s is larger than %u MiB", rq->method, url,
		    BODY_MAX >> 20);
		goto out;
	}
	if (cc != CURLE_OK) {
		method_title(rq->method, mt, sizeof(mt));
		deis_fail("%s %s: %s", mt, url, *errbuf ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	res->status = code ? code : status_from_line(res->status_line);
	if (res->status_line[0] == '\0')
		snprintf(res->status_line, sizeof(res->status_line), "%ld", res->status);
	rc = 0;
out:
	curl_slist_free_all(hdrs);
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(url);
	curl_easy_cleanup(h);
	return rc;
}

void
deis_response_release(struct response *res)
{
	buf_release(&res->body);
}

void
deis_http_render_error(const struct response *res, struct buf *out)
{
	json_t *root = json_loadb(res->body.p, res->body.len, 0, NULL);
	const char *key;
	json_t *v, *e;
	size_t i;

	if (!json_is_object(root)) {
		buf_addf(out, "\n%s\n%s\n", res->status_line, res->body.p);
		json_decref(root);
		return;
	}
	buf_addf(out, "\n%s\n", res->status_line);
	json_object_foreach(root, key, v) {
		if (json_is_string(v)) {
			buf_addf(out, "%s: %s\n", key, json_string_value(v));
		} else if (json_is_array(v)) {
			json_array_foreach(v, i, e) {
				struct buf tmp = BUF_INIT;

				deis_json_fmt_value(e, &tmp);
				buf_addf(out, "%s: %s\n", key, tmp.p);
				buf_release(&tmp);
			}
		} else {
			struct buf tmp = BUF_INIT;

			deis_json_fmt_value(v, &tmp);
			buf_addf(out, "%s: %s\n", key, tmp.p);
			buf_release(&tmp);
		}
	}
	json_decref(root);
}

void
deis_http_check_api_version(const struct response *res)
{
	if (strcmp(res->api_version, DEIS_API_VERSION) == 0)
		return;
	printf("!    WARNING: Client and server API versions do not match. Please consider upgrading.\n"
	    "!    Client version: %s\n"
	    "!    Server version: %s\n", DEIS_API_VERSION, res->api_version);
}

/* Split "http://host:port/anything" into base "http://host:port" and host "host". */
int
deis_controller_split(const char *url, char **base, char *host, size_t hostlen)
{
	const char *p = strstr(url, "://"), *start, *end, *colon;
	size_t n;

	if (p == NULL || p == url)
		return -1;
	start = p + 3;
	end = start + strcspn(start, "/?#");
	if (end == start)
		return -1;
	*base = xstrndup(url, (size_t)(end - url));
	colon = memchr(start, ':', (size_t)(end - start));
	if (*start == '[') {
		const char *rb = memchr(start, ']', (size_t)(end - start));

		colon = rb ? rb + 1 : NULL;
		if (colon && (colon >= end || *colon != ':'))
			colon = NULL;
	}
	n = (size_t)((colon ? colon : end) - start);
	if (n >= hostlen)
		n = hostlen - 1;
	memcpy(host, start, n);
	host[n] = '\0';
	return 0;
}

int
deis_client_load(struct client *c)
{
	memset(c, 0, sizeof(*c));
	if (deis_settings_load(&c->s) < 0)
		return -1;
	if (deis_controller_split(c->s.controller, &c->base, c->host, sizeof(c->host)) < 0) {
		deis_fail("invalid controller URL '%s' in settings; log in again", c->s.controller);
		deis_settings_release(&c->s);
		return -1;
	}
	return 0;
}

void
deis_client_release(struct client *c)
{
	deis_settings_release(&c->s);
	free(c->base);
	c->base = NULL;
}

int
deis_api_call(struct client *c, const char *method, const char *path, const char *body,
    bool spin, struct response *res)
{
	struct request rq = {
		.base = c->base, .ssl_verify = c->s.ssl_verify, .token = c->s.token,
		.method = method, .path = path, .body = body, .spin = spin,
	};
	struct buf msg = BUF_INIT;

	if (deis_http_do(&rq, res) < 0)
		return -1;
	if (res->status < 200 || res->status > 399) {
		deis_http_render_error(res, &msg);
		deis_fail("%s", msg.p);
		buf_release(&msg);
		deis_response_release(res);
		return -1;
	}
	deis_http_check_api_version(res);
	return 0;
}

json_t *
deis_api_list(struct client *c, const char *path, long limit, json_t **results, long *count,
    struct buf *raw)
{
	struct response res;
	json_t *root, *cnt;
	char *p = xasprintf("%s?page_size=%ld", path, limit);

	if (deis_api_call(c, "GET", p, NULL, false, &res) < 0) {
		free(p);
		return NULL;
	}
	free(p);
	root = json_loadb(res.body.p, res.body.len, 0, NULL);
	*results = json_object_get(root, "results");
	cnt = json_object_get(root, "count");
	if (!json_is_array(*results)) {
		deis_fail("malformed response from the controller: no \"results\" list");
		json_decref(root);
		deis_response_release(&res);
		return NULL;
	}
	*count = json_is_integer(cnt) ? (long)json_integer_value(cnt) :
	    (long)json_array_size(*results);
	if (raw)
		buf_add(raw, res.body.p, res.body.len);
	deis_response_release(&res);
	return root;
}

/* Decode a JSON object response; -1 with a clear message when it is not one. */
json_t *
deis_response_json(const struct response *res)
{
	json_error_t jerr;
	json_t *root = json_loadb(res->body.p, res->body.len, 0, &jerr);

	if (root == NULL) {
		deis_fail("malformed response from the controller: %s", jerr.text);
		return NULL;
	}
	return root;
}
