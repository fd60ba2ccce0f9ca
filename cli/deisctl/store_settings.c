/*
 * The store: where the registry keeps image blobs. "filesystem" (the default)
 * is the named volume <prefix>-registry, as before; "s3" is a bucket on any
 * server with the S3 API (Ceph RGW, MinIO, AWS), through Distribution's s3
 * driver. Deis v1 kept these under /deis/store/gateway/ and
 * /deis/registry/s3*; here they are one section, `config store set`, and
 * every value is checked when it is set.
 *
 * The secret key never sits in config.json (which `config get` prints): it is
 * the 0600 file <state>/store-secret-key, and config.json says where it is.
 * The registry gets the keys as environment (REGISTRY_STORAGE_S3_*, never in
 * argv) and the rest in <state>/registry-s3.yml, rendered here at each start
 * and bind-mounted read-only. Before that, a bounded signed request checks
 * the bucket from this host (and creates it when it is missing), so a wrong
 * endpoint, keys or bucket stops `deisctl start` with the reason instead of
 * leaving a registry that fails every push.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/deisctl/deisctl.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define SECRET_PLACEHOLDER "(stored 0600 in " DCTL_STORE_SECRET_FILE ")"

enum kind { K_BACKEND, K_URL, K_REGION, K_BUCKET, K_KEY, K_PATH, K_BOOL };

struct ssetting {
	const char *key;
	enum kind kind;
};

static const struct ssetting settings[] = {
	{ "backend", K_BACKEND },
	{ "endpoint", K_URL },
	{ "region", K_REGION },
	{ "bucket", K_BUCKET },
	{ "accessKey", K_KEY },
	{ "secretKey", K_KEY },
	{ "rootDirectory", K_PATH },
	{ "verifyTLS", K_BOOL },
	{ "image", K_KEY },	/* every section may have one; the store has no container */
};

/* Deis v1's names for the same things (/deis/store/gateway/...). */
static const struct {
	const char *deis, *ours;
} aliases[] = {
	{ "gateway/accessKey", "accessKey" },
	{ "gateway/secretKey", "secretKey" },
};

static const struct ssetting *
setting_find(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(settings); i++)
		if (!strcmp(settings[i].key, key))
			return &settings[i];
	return NULL;
}

/* "http://host[:port]" or "https://..."; nothing after the authority but one '/'. */
static bool
url_ok(const char *v)
{
	const char *p, *host;
	size_t n;

	if (!strncmp(v, "http://", 7))
		p = v + 7;
	else if (!strncmp(v, "https://", 8))
		p = v + 8;
	else
		return false;
	host = p;
	if (*p == '[') {
		n = strspn(p + 1, "0123456789abcdefABCDEF:.");
		if (n == 0 || p[1 + n] != ']')
			return false;
		p += n + 2;
	} else {
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (n == 0 || n > 253 || host[0] == '.' || host[0] == '-')
			return false;
		p += n;
	}
	if (*p == ':') {
		const char *errstr = NULL;
		char port[8];

		n = strspn(p + 1, "0123456789");
		if (n == 0 || n >= sizeof(port))
			return false;
		memcpy(port, p + 1, n);
		port[n] = '\0';
		strtonum(port, 1, 65535, &errstr);
		if (errstr)
			return false;
		p += n + 1;
	}
	return *p == '\0' || (p[0] == '/' && p[1] == '\0');
}

/* S3's bucket naming rules (the strict, DNS-compatible ones every server takes). */
static bool
bucket_ok(const char *v)
{
	size_t n = strlen(v), dots = 0, i;

	if (n < 3 || n > 63 || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n)
		return false;
	if (!isalnum((unsigned char)v[0]) || !isalnum((unsigned char)v[n - 1]) ||
	    strstr(v, "..") || strstr(v, ".-") || strstr(v, "-."))
		return false;
	for (i = 0; i < n; i++)
		dots += v[i] == '.';
	return !(dots == 3 && strspn(v, "0123456789.") == n);	/* not an IPv4 address */
}

static bool
graph_ok(const char *v, size_t max)
{
	size_t n = strlen(v), i;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)v[i]))
			return false;
	return true;
}

static int
value_check(const struct ssetting *s, const char *v, struct err *e)
{
	size_t n = strlen(v);

	switch (s->kind) {
	case K_BACKEND:
		if (!strcmp(v, "filesystem") || !strcmp(v, "s3"))
			return 0;
		return err_set(e, 2, "store backend '%s' is not one of: filesystem s3", v);
	case K_URL:
		if (url_ok(v))
			return 0;
		return err_set(e, 2, "store endpoint '%s' is not the URL of an S3 server: http:// "
		    "or https://, a host and an optional port, no path "
		    "(http://10.0.0.5:7480, https://s3.example.com)", v);
	case K_REGION:
		if (n > 0 && n <= 32 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") == n)
			return 0;
		return err_set(e, 2, "store region '%s' is not a region name (us-east-1; "
		    "lower case letters, digits and '-')", v);
	case K_BUCKET:
		if (bucket_ok(v))
			return 0;
		return err_set(e, 2, "store bucket '%s' is not a bucket name: 3 to 63 lower case "
		    "letters, digits, '.' and '-', starting and ending with a letter or digit", v);
	case K_KEY:
		if (graph_ok(v, 256))
			return 0;
		return err_set(e, 2, "store %s is empty, too long or has spaces or control "
		    "characters", s->key);
	case K_PATH:
		if (n > 0 && n <= 256 && strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-") == n && !strstr(v, ".."))
			return 0;
		return err_set(e, 2, "store rootDirectory '%s' is not a path in the bucket "
		    "(letters, digits, '/', '_', '.', '-')", v);
	case K_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "false"))
			return 0;
		return err_set(e, 2, "store %s '%s' is not true or false", s->key, v);
	}
	return err_set(e, 2, "store %s: bad value", s->key);
}

/* ---- config store set / rm ---- */

int
dctl_store_config_set(struct dctl *d, json_t *changes, struct err *e)
{
	const char *key, *v;
	json_t *jv;
	size_t i;
	char *secret = NULL;
	int rc = -1;

	/* Deis's names first, so that the checks below see ours. */
	for (i = 0; i < ARRAY_SIZE(aliases); i++) {
		jv = json_object_get(changes, aliases[i].deis);
		if (jv) {
			json_object_set(changes, aliases[i].ours, jv);
			json_object_del(changes, aliases[i].deis);
		}
	}
	json_object_foreach(changes, key, jv) {
		const struct ssetting *s = setting_find(key);

		v = json_string_value(jv);
		if (!strcmp(key, "gateway/host") || !strcmp(key, "gateway/port")) {
			err_set(e, 2, "store %s: set the whole URL instead: endpoint=http://HOST:PORT",
			    key);
			goto out;
		}
		if (!s) {
			err_set(e, 2, "'%s' is not a store setting: backend, endpoint, region, bucket, "
			    "accessKey, secretKey, rootDirectory, verifyTLS", key);
			goto out;
		}
		if (value_check(s, v, e) < 0)
			goto out;
		if (!strcmp(key, "secretKey"))
			secret = xstrdup(v);
	}
	if (secret) {
		if (dctl_state_mkdir(d, e) < 0 ||
		    dctl_state_write(d, DCTL_STORE_SECRET_FILE, secret, strlen(secret), e) < 0)
			goto out;
		json_object_set_new(changes, "secretKey", json_string(SECRET_PLACEHOLDER));
	}
	v = json_string_value(json_object_get(changes, "backend"));
	if (v && strcmp(v, dctl_state_get(d, "store", "backend", "filesystem")) != 0 &&
	    dctl_state_installed(d))
		fprintf(stderr, "deisctl: store: images already in the registry stay in the "
		    "old backend; push them again after 'deisctl restart registry'\n");
	rc = 0;
out:
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	return rc;
}

void
dctl_store_config_rm(struct dctl *d, const char *key)
{
	char *path;

	if (strcmp(key, "secretKey") != 0 && strcmp(key, "gateway/secretKey") != 0)
		return;
	json_object_del(json_object_get(d->config, "store"), "secretKey");
	path = dctl_state_path(d, DCTL_STORE_SECRET_FILE);
	if (unlink(path) < 0 && errno != ENOENT)
		fprintf(stderr, "deisctl: cannot remove '%s': %s\n", path, strerror(errno));
	free(path);
}

int
dctl_store_registry_key(const char *key, struct err *e)
{
	if (!strncmp(key, "s3", 2) || !strncmp(key, "swift", 5) || !strcmp(key, "bucketName"))
		return err_set(e, 2, "registry %s: the registry's storage is the store's: deisctl "
		    "config store set backend=s3 endpoint=URL region=R bucket=B accessKey=A "
		    "secretKey=S (docs/deisctl.md)", key);
	return 0;
}

bool
dctl_store_s3(const struct dctl *d)
{
	return !strcmp(dctl_state_get(d, "store", "backend", "filesystem"), "s3");
}

/* ---- the registry's S3 configuration ---- */

static const char *
get(const struct dctl *d, const char *key)
{
	return dctl_state_get(d, "store", key, NULL);
}

int
dctl_store_load(const struct dctl *d, struct store_s3 *s, struct err *e)
{
	static const char *const keys[] = { "endpoint", "region", "bucket", "accessKey",
	    "rootDirectory", "verifyTLS" };
	char *path;
	struct buf b = BUF_INIT;
	FILE *f;
	size_t i;
	int c;

	memset(s, 0, sizeof(*s));
	/* config.json may have been edited by hand: the same checks as set. */
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = get(d, keys[i]);

		if (v && value_check(setting_find(keys[i]), v, e) < 0)
			return err_set(e, 1, "config.json: %s", e->msg);
	}
	s->bucket = get(d, "bucket");
	s->access = get(d, "accessKey");
	if (!s->bucket || !s->access || !get(d, "secretKey"))
		return err_set(e, 1, "store: backend s3 needs bucket, accessKey and secretKey: "
		    "deisctl config store set bucket=B accessKey=A secretKey=S");
	s->region = get(d, "region") ?: "us-east-1";
	s->endpoint = get(d, "endpoint");
	s->rootdir = get(d, "rootDirectory");
	s->verify = strcmp(get(d, "verifyTLS") ?: "true", "false") != 0;
	path = dctl_state_path(d, DCTL_STORE_SECRET_FILE);
	f = fopen(path, "re");
	if (!f) {
		err_set(e, 1, "store: cannot read the secret key '%s': %s (deisctl config store "
		    "set secretKey=S)", path, strerror(errno));
		free(path);
		return -1;
	}
	while ((c = getc(f)) != EOF && c != '\n')
		buf_addch(&b, c);
	fclose(f);
	s->secret = buf_detach(&b, NULL);
	if (!graph_ok(s->secret, 256)) {
		err_set(e, 1, "store: the secret key '%s' is malformed: set it again", path);
		free(path);
		dctl_store_release(s);
		return -1;
	}
	free(path);
	/* Without an endpoint: AWS, the region's own. */
	if (s->endpoint)
		s->url = xstrndup(s->endpoint, strlen(s->endpoint) -
		    (s->endpoint[strlen(s->endpoint) - 1] == '/'));
	else
		s->url = xasprintf("https://s3.%s.amazonaws.com", s->region);
	return 0;
}

void
dctl_store_release(struct store_s3 *s)
{
	if (s->secret) {
		explicit_bzero(s->secret, strlen(s->secret));
		free(s->secret);
	}
	free(s->url);
	memset(s, 0, sizeof(*s));
}

/* s YAML double-quoted: '"' and '\\' escaped (keys are printable, no spaces). */
static void
yml_quoted(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addch(b, '\\');
		buf_addch(b, *s);
	}
	buf_addch(b, '"');
}

static char *
registry_yml(const struct store_s3 *s, bool keys)
{
	struct buf b = BUF_INIT;

	buf_addstr(&b, "# Rendered by deisctl from 'deisctl config store' at each start: edits here "
	    "are lost.\n");
	buf_addstr(&b, keys ? "# A Swarm secret (mode=swarm): the keys are in it.\n" :
	    "# The keys come as REGISTRY_STORAGE_S3_ACCESSKEY/SECRETKEY in the environment.\n");
	buf_addstr(&b, "version: 0.1\nlog:\n  level: info\n  fields:\n    service: registry\n");
	buf_addstr(&b, "storage:\n  s3:\n");
	buf_addf(&b, "    region: \"%s\"\n    bucket: \"%s\"\n", s->region, s->bucket);
	if (keys) {
		buf_addstr(&b, "    accesskey: ");
		yml_quoted(&b, s->access);
		buf_addstr(&b, "\n    secretkey: ");
		yml_quoted(&b, s->secret);
		buf_addch(&b, '\n');
	}
	/* With a regionendpoint, Distribution 2.8 addresses the bucket path-style
	 * (what RGW and MinIO need); AWS without one, virtual-host style. */
	if (s->endpoint)
		buf_addf(&b, "    regionendpoint: \"%s\"\n", s->url);
	buf_addf(&b, "    secure: %s\n    skipverify: %s\n    v4auth: true\n",
	    strncmp(s->url, "https://", 8) ? "false" : "true", s->verify ? "false" : "true");
	if (s->rootdir)
		buf_addf(&b, "    rootdirectory: \"%s%s\"\n", s->rootdir[0] == '/' ? "" : "/",
		    s->rootdir);
	/* The registry serves blobs itself: the engine pulling need not reach the S3 server. */
	buf_addstr(&b, "  redirect:\n    disable: true\n");
	buf_addstr(&b, "  delete:\n    enabled: true\n  cache:\n    blobdescriptor: inmemory\n");
	buf_addstr(&b, "http:\n  addr: :5000\n  headers:\n    X-Content-Type-Options: [nosniff]\n");
	buf_addstr(&b, "health:\n  storagedriver:\n    enabled: true\n    interval: 10s\n"
	    "    threshold: 3\n");
	return buf_detach(&b, NULL);
}

char *
dctl_store_registry_yml(const struct store_s3 *s)
{
	return registry_yml(s, false);
}

char *
dctl_store_registry_yml_keys(const struct store_s3 *s)
{
	return registry_yml(s, true);
}

/* ---- the bucket probe ---- */

struct upload {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *dst, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(dst, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

static size_t
write_cb(char *src, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len < 4096)
		buf_add(b, src, size * n);
	return size * n;
}

/* One signed request to <url>/<bucket><query>; *status 0 when none came back. */
static int
s3_request(const struct store_s3 *s, const char *method, const char *query, const char *body,
    long *status, char code[64], struct err *e)
{
	char *url = xasprintf("%s/%s%s", s->url, s->bucket, query);
	char *sigv4 = xasprintf("aws:amz:%s:s3", s->region), *c, *end;
	struct curl_slist *hdr = curl_slist_append(NULL,
	    "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	struct upload up = { body, body ? strlen(body) : 0 };
	struct buf out = BUF_INIT;
	CURL *h = curl_easy_init();
	CURLcode cc;

	*status = 0;
	code[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, s->access);
	curl_easy_setopt(h, CURLOPT_PASSWORD, s->secret);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	if (!s->verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (!strcmp(method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(h, CURLOPT_READDATA, &up);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.left);
	}
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		/* S3's errors: <Error><Code>NoSuchBucket</Code>... */
		if ((c = strstr(out.p, "<Code>")) && (end = strstr(c, "</Code>")) &&
		    end - c - 6 < 64) {
			memcpy(code, c + 6, (size_t)(end - c - 6));
			code[end - c - 6] = '\0';
		}
	} else {
		err_set(e, 1, "store: cannot reach the S3 server '%s' (bucket '%s'): %s", s->url,
		    s->bucket, curl_easy_strerror(cc));
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	buf_release(&out);
	free(url);
	free(sigv4);
	return cc == CURLE_OK ? 0 : -1;
}

static int
answer_err(const struct store_s3 *s, const char *what, long status, const char *code,
    struct err *e)
{
	if (status == 403)
		return err_set(e, 1, "store: the S3 server '%s' refused the keys for bucket '%s' "
		    "(403 %s): check deisctl config store set accessKey=A secretKey=S", s->url,
		    s->bucket, code[0] ? code : "Forbidden");
	return err_set(e, 1, "store: %s bucket '%s' at '%s': the server answered %ld %s", what,
	    s->bucket, s->url, status, code[0] ? code : "(no S3 error: is it an S3 server?)");
}

int
dctl_store_probe(const struct store_s3 *s, struct err *e)
{
	char code[64], *body = NULL;
	long status;
	int rc;

	if (s3_request(s, "GET", "?max-keys=1", NULL, &status, code, e) < 0)
		return -1;
	if (status == 200)
		return 0;
	if (status != 404 || strcmp(code, "NoSuchBucket") != 0)
		return answer_err(s, "cannot list", status, code, e);
	/* Missing: create it (AWS outside us-east-1 needs the region in the body). */
	if (!s->endpoint && strcmp(s->region, "us-east-1") != 0)
		body = xasprintf("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
		    "2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
		    "</CreateBucketConfiguration>", s->region);
	rc = s3_request(s, "PUT", "", body, &status, code, e);
	free(body);
	if (rc < 0)
		return -1;
	if (status != 200)
		return answer_err(s, "cannot create the", status, code, e);
	fprintf(stderr, "deisctl: store: created the bucket '%s' at '%s'\n", s->bucket, s->url);
	return 0;
}

int
dctl_store_check(const struct dctl *d, struct err *e)
{
	struct store_s3 s;
	int rc;

	if (!dctl_store_s3(d))
		return 0;
	if (dctl_store_load(d, &s, e) < 0)
		return -1;
	rc = dctl_store_probe(&s, e);
	dctl_store_release(&s);
	return rc;
}
