/*
 * Request dispatch for the controller: the route table, authentication, the
 * Deis version headers and the JSON response helpers every handler uses.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "controller/controller.h"
#include "controller/dashboard.h"
#include "controller/db.h"
#include "controller/handlers.h"
#include "lib/cidr.h"
#include "lib/log.h"
#include "lib/xalloc.h"

enum auth { AUTH_NONE, AUTH_OPTIONAL, AUTH_USER, AUTH_ADMIN, AUTH_BUILDER, AUTH_INTERNAL };

struct route {
	const char *method;
	const char *pattern;	/* segments after "/"; '*' matches one segment */
	api_fn *fn;
	enum auth auth;
};

/* Literal segments before wildcards where both could match (first match wins). */
static const struct route routes[] = {
	{ "POST", "v1/auth/register", auth_register, AUTH_OPTIONAL },
	{ "POST", "v1/auth/login", auth_login, AUTH_NONE },
	{ "DELETE", "v1/auth/cancel", auth_cancel, AUTH_USER },
	{ "POST", "v1/auth/passwd", auth_passwd, AUTH_USER },
	{ "POST", "v1/auth/tokens", auth_tokens, AUTH_USER },
	{ "GET", "v1/users", users_list, AUTH_ADMIN },
	{ "GET", "v1/admin/perms", admin_perms_list, AUTH_ADMIN },
	{ "POST", "v1/admin/perms", admin_perms_create, AUTH_ADMIN },
	{ "DELETE", "v1/admin/perms/*", admin_perms_delete, AUTH_ADMIN },
	{ "GET", "v1/apps", apps_list, AUTH_USER },
	{ "POST", "v1/apps", apps_create, AUTH_USER },
	{ "GET", "v1/apps/*", apps_get, AUTH_USER },
	{ "POST", "v1/apps/*", apps_transfer, AUTH_USER },
	{ "DELETE", "v1/apps/*", apps_destroy, AUTH_USER },
	{ "GET", "v1/apps/*/logs", apps_logs, AUTH_USER },
	{ "POST", "v1/apps/*/run", apps_run, AUTH_USER },
	{ "POST", "v1/apps/*/scale", apps_scale, AUTH_USER },
	{ "GET", "v1/apps/*/perms", perms_list, AUTH_USER },
	{ "POST", "v1/apps/*/perms", perms_create, AUTH_USER },
	{ "DELETE", "v1/apps/*/perms/*", perms_delete, AUTH_USER },
	{ "GET", "v1/apps/*/config", config_get, AUTH_USER },
	{ "POST", "v1/apps/*/config", config_set, AUTH_USER },
	{ "GET", "v1/apps/*/builds", builds_list, AUTH_USER },
	{ "POST", "v1/apps/*/builds", builds_create, AUTH_USER },
	{ "GET", "v1/apps/*/builds/*", builds_get, AUTH_USER },
	{ "GET", "v1/apps/*/releases", releases_list, AUTH_USER },
	{ "POST", "v1/apps/*/releases/rollback", releases_rollback, AUTH_USER },
	{ "GET", "v1/apps/*/releases/*", releases_get, AUTH_USER },
	{ "GET", "v1/apps/*/containers", containers_list, AUTH_USER },
	{ "POST", "v1/apps/*/containers/restart", containers_restart, AUTH_USER },
	{ "GET", "v1/apps/*/containers/*", containers_list, AUTH_USER },
	{ "POST", "v1/apps/*/containers/*/restart", containers_restart, AUTH_USER },
	{ "GET", "v1/apps/*/containers/*/*", containers_list, AUTH_USER },
	{ "POST", "v1/apps/*/containers/*/*/restart", containers_restart, AUTH_USER },
	{ "GET", "v1/apps/*/domains", domains_list, AUTH_USER },
	{ "POST", "v1/apps/*/domains", domains_create, AUTH_USER },
	{ "DELETE", "v1/apps/*/domains/*", domains_delete, AUTH_USER },
	{ "GET", "v1/certs", certs_list, AUTH_USER },
	{ "POST", "v1/certs", certs_create, AUTH_USER },
	{ "GET", "v1/certs/*", certs_get, AUTH_USER },
	{ "DELETE", "v1/certs/*", certs_delete, AUTH_USER },
	{ "GET", "v1/keys", keys_list, AUTH_USER },
	{ "POST", "v1/keys", keys_create, AUTH_USER },
	{ "GET", "v1/keys/*", keys_get, AUTH_USER },
	{ "DELETE", "v1/keys/*", keys_delete, AUTH_USER },
	{ "POST", "v1/hooks/push", hooks_push, AUTH_BUILDER },
	{ "POST", "v1/hooks/config", hooks_config, AUTH_BUILDER },
	{ "POST", "v1/hooks/build", hooks_build, AUTH_BUILDER },
	{ "POST", "v1/hooks/image", hooks_image, AUTH_BUILDER },
	{ "POST", "v1/hooks/key", hooks_key, AUTH_BUILDER },
	{ "POST", "v1/hooks/apps", hooks_apps, AUTH_BUILDER },
	{ "GET", "v1/internal/routes", internal_routes, AUTH_INTERNAL },
	{ "PUT", "v1/internal/endpoints/*", internal_endpoints, AUTH_INTERNAL },
	{ "GET", "v1/internal/containers/*", internal_container, AUTH_INTERNAL },
};

static const char std_headers[] =
	"DEIS_API_VERSION: " DEIS_API_VERSION "\r\n"
	"X_DEIS_API_VERSION: " DEIS_API_VERSION "\r\n"
	"DEIS_PLATFORM_VERSION: " DEIS_PLATFORM_VERSION "\r\n"
	"X_DEIS_PLATFORM_VERSION: " DEIS_PLATFORM_VERSION "\r\n"
	"Access-Control-Allow-Origin: *\r\n"
	"Access-Control-Expose-Headers: DEIS_API_VERSION, DEIS_PLATFORM_VERSION, "
	"Deis-Release, X_DEIS_API_VERSION, X_DEIS_PLATFORM_VERSION, X-Deis-Release\r\n";

void
api_free(struct api *a)
{
	int i;

	for (i = 0; i < a->nseg; i++)
		free(a->seg[i]);
	if (a->body)
		json_decref(a->body);
	buf_release(&a->hdrs);
	free(a);
}

void
api_text(struct api *a, int status, const char *ctype, const char *text, size_t len)
{
	buf_addstr(&a->hdrs, std_headers);
	httpd_respond(a->r, status, a->hdrs.p, ctype, text, len);
	api_free(a);
}

void
api_stream_begin(struct api *a, const char *ctype)
{
	buf_addstr(&a->hdrs, std_headers);
	httpd_stream_begin(a->r, 200, a->hdrs.p, ctype);
}

void
api_json(struct api *a, int status, json_t *body)
{
	char *s = NULL;
	size_t len = 0;

	if (body) {
		s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(body);
		if (s == NULL)
			die(1, "json_dumps failed");
		len = strlen(s);
	}
	api_text(a, status, body ? "application/json" : NULL, s ? s : "", len);
	free(s);
}

void
api_detail(struct api *a, int status, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	api_json(a, status, json_pack("{s:s}", "detail", msg.p));
	buf_release(&msg);
}

void
api_field_error(struct api *a, const char *field, const char *msg)
{
	api_json(a, 400, json_pack("{s:[s]}", field, msg));
}

void
api_db_error(struct api *a, const struct err *e, const char *unique_field)
{
	if (e->code == DB_ERR_UNIQUE && unique_field) {
		api_field_error(a, unique_field, "This field must be unique.");
		return;
	}
	log_error("database: %s", e->msg);
	/* its disk full: reads go on, an operator must make room (RFC 4918's 507) */
	if (e->code == DB_ERR_FULL) {
		api_detail(a, 507, "The platform's database cannot write: its disk is full. "
		    "Reads still work; the operator must free space.");
		return;
	}
	/* the database away or busy past its timeout: passing, and not the request's fault */
	if (e->code == DB_ERR_BUSY) {
		api_detail(a, 503, "The database is unavailable; try again in a moment.");
		return;
	}
	api_detail(a, 500, "Internal server error");
}

const char *
api_body_str(struct api *a, const char *key, bool required)
{
	json_t *v = a->body ? json_object_get(a->body, key) : NULL;

	if (v == NULL || json_is_null(v)) {
		if (required)
			api_field_error(a, key, "This field is required.");
		return NULL;
	}
	if (!json_is_string(v)) {
		api_field_error(a, key, "Not a valid string.");
		return NULL;
	}
	if (required && json_string_length(v) == 0) {
		api_field_error(a, key, "This field may not be blank.");
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		api_field_error(a, key, "Null characters are not allowed.");
		return NULL;
	}
	return json_string_value(v);
}

/* Absolute URL of this request with page=N (for next/previous). */
static json_t *
page_url(struct api *a, long page, long size)
{
	struct str host = httpd_header(a->r, "Host");

	return json_sprintf("http://%.*s%.*s?page=%ld&page_size=%ld", (int)host.len,
	    host.p ? host.p : "", (int)a->r->path.len, a->r->path.p, page, size);
}

void
api_paginated(struct api *a, json_t *results)
{
	struct buf v = BUF_INIT;
	unsigned long long size = 100, page = 1;
	size_t count = json_array_size(results), start, i;
	json_t *out, *slice;

	if (httpd_query(a->r, "page_size", &v) == 0 &&
	    (str_to_u64(str_make(v.p, v.len), 1000000, &size) < 0 || size == 0))
		size = 100;
	buf_reset(&v);
	if (httpd_query(a->r, "page", &v) == 0 &&
	    (str_to_u64(str_make(v.p, v.len), 1000000000, &page) < 0 || page == 0)) {
		buf_release(&v);
		json_decref(results);
		api_detail(a, 404, "Invalid page.");
		return;
	}
	buf_release(&v);
	start = (size_t)((page - 1) * size);
	if (start > count || (start == count && count > 0)) {
		json_decref(results);
		api_detail(a, 404, "Invalid page.");
		return;
	}
	slice = json_array();
	for (i = start; i < count && i < start + size; i++)
		json_array_append(slice, json_array_get(results, i));
	out = json_pack("{s:I,s:o,s:o,s:o}", "count", (json_int_t)count,
	    "next", start + size < count ? page_url(a, (long)page + 1, (long)size) : json_null(),
	    "previous", page > 1 ? page_url(a, (long)page - 1, (long)size) : json_null(),
	    "results", slice);
	json_decref(results);
	api_json(a, 200, out);
}

void
api_rows(struct api *a, struct db_res *res, const struct err *e, api_row_fn *row)
{
	json_t *list;
	int i;

	if (res == NULL) {
		api_db_error(a, e, NULL);
		return;
	}
	list = json_array();
	for (i = 0; i < db_res_nrows(res); i++)
		json_array_append_new(list, row(res, i));
	db_res_free(res);
	api_paginated(a, list);
}

json_t *
api_time(const char *stored)
{
	/* "2014-01-01T00:00:00.123456Z" -> "2014-01-01T00:00:00UTC" */
	if (stored == NULL)
		return json_null();
	return json_sprintf("%.19sUTC", stored);
}

/* Split path into segments; match against pattern; decoded wildcards into a->seg. */
static int
route_match(struct api *a, struct str path, const char *pattern)
{
	const char *p = pattern;
	size_t i = 0;
	int nseg = 0;
	char *segs[8];

	if (path.len && path.p[0] == '/') {
		path.p++;
		path.len--;
	}
	if (path.len && path.p[path.len - 1] == '/')
		path.len--;
	for (;;) {
		const char *pe = strchr(p, '/');
		size_t plen = pe ? (size_t)(pe - p) : strlen(p);
		const char *se = memchr(path.p + i, '/', path.len - i);
		size_t slen = se ? (size_t)(se - (path.p + i)) : path.len - i;

		if (i > path.len || (slen == 0 && !(plen == 0 && i == path.len)))
			goto fail;
		if (plen == 1 && p[0] == '*') {
			struct buf d = BUF_INIT;

			if (nseg == 8 || httpd_unescape(str_make(path.p + i, slen), &d) < 0 ||
			    d.len == 0 || strchr(d.p, '/')) {
				buf_release(&d);
				goto fail;
			}
			segs[nseg++] = buf_detach(&d, NULL);
		} else if (plen != slen || memcmp(p, path.p + i, plen)) {
			goto fail;
		}
		i += slen;
		if (!pe || !se) {
			if (pe || se)
				goto fail;
			break;
		}
		p = pe + 1;
		i++;
	}
	memcpy(a->seg, segs, sizeof(segs[0]) * (size_t)nseg);
	a->nseg = nseg;
	return 0;
fail:
	while (nseg > 0)
		free(segs[--nseg]);
	return -1;
}

/* Constant-time comparison of a presented secret with the expected one. */
static bool
secret_eq(struct str got, const char *want)
{
	size_t n = strlen(want);

	if (n == 0 || got.len != n)
		return false;
	return CRYPTO_memcmp(got.p, want, n) == 0;
}

/*
 * Record when a token was last used (security.md §3.5), at most once a minute
 * per token so reads stay reads. Best effort: a failure is logged, not fatal.
 */
static void
token_touch(struct db *db, const char *hash, const char *last_used)
{
	char now[DB_TIME_LEN], cutoff[DB_TIME_LEN];
	time_t t = time(NULL) - 60;
	struct tm tm;
	struct err e = { 0 };

	gmtime_r(&t, &tm);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S", &tm);
	if (last_used && strncmp(last_used, cutoff, 19) > 0)
		return;
	db_now(now);
	if (db_execp(db, &e, "UPDATE tokens SET last_used = $1 WHERE key_hash = $2", now, hash) < 0)
		log_warn("cannot record token use: %s", e.msg);
}

/* Whether a token made at created (db_now's format) is past the configured lifetime. */
static bool
token_expired(const struct ctl *ctl, const char *created)
{
	char cutoff[DB_TIME_LEN];
	time_t t;
	struct tm tm;

	if (ctl->token_lifetime <= 0 || created == NULL)
		return false;
	t = time(NULL) - (time_t)ctl->token_lifetime;
	gmtime_r(&t, &tm);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S", &tm);
	return strncmp(created, cutoff, 19) < 0;
}

/* Authenticate "Authorization: token <key>"; responds 401 and returns -1 on failure. */
static int
auth_token(struct api *a, bool optional)
{
	struct str h = httpd_header(a->r, "Authorization");
	char hash[65], *tok;
	struct err e = { 0 };
	struct db_res *res;
	const char *params[1];

	if (h.p == NULL || h.len == 0) {
		if (optional)
			return 0;
		buf_addstr(&a->hdrs, "WWW-Authenticate: Token\r\n");
		api_detail(a, 401, "Authentication credentials were not provided.");
		return -1;
	}
	if (h.len < 7 || strncasecmp(h.p, "token ", 6) != 0 || h.len - 6 > 200) {
		buf_addstr(&a->hdrs, "WWW-Authenticate: Token\r\n");
		api_detail(a, 401, "Invalid token header. No credentials provided.");
		return -1;
	}
	tok = str_dup(str_trim(str_make(h.p + 6, h.len - 6)));
	db_token_hash(tok, hash);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	params[0] = hash;
	res = db_query(a->ctl->db, "SELECT u.id, u.username, u.is_superuser, u.is_active, "
	    "t.last_used, t.created FROM tokens t JOIN users u ON u.username = t.username "
	    "WHERE t.key_hash = $1", 1, params, &e);
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return -1;
	}
	if (db_res_nrows(res) != 1 || strcmp(db_res_get(res, 0, 3), "1") != 0) {
		db_res_free(res);
		/*
		 * Where a token is optional (register), a stale one the client still
		 * sends from its settings file makes the request anonymous, not a 401.
		 */
		if (optional)
			return 0;
		buf_addstr(&a->hdrs, "WWW-Authenticate: Token\r\n");
		api_detail(a, 401, "Invalid token");
		return -1;
	}
	if (token_expired(a->ctl, db_res_get(res, 0, 5))) {
		db_res_free(res);
		db_execp(a->ctl->db, &e, "DELETE FROM tokens WHERE key_hash = $1", hash);
		if (optional)
			return 0;
		buf_addstr(&a->hdrs, "WWW-Authenticate: Token\r\n");
		api_detail(a, 401, "Token has expired: log in again");
		return -1;
	}
	a->user.id = strtoll(db_res_get(res, 0, 0), NULL, 10);
	strlcpy(a->user.username, db_res_get(res, 0, 1), sizeof(a->user.username));
	a->user.is_superuser = !strcmp(db_res_get(res, 0, 2), "1");
	strlcpy(a->user.token_hash, hash, sizeof(a->user.token_hash));
	a->authed = true;
	token_touch(a->ctl->db, hash, db_res_get(res, 0, 4));
	db_res_free(res);
	return 0;
}

static int
authenticate(struct api *a, enum auth kind)
{
	switch (kind) {
	case AUTH_NONE:
		return 0;
	case AUTH_OPTIONAL:
		return auth_token(a, true);
	case AUTH_USER:
		return auth_token(a, false);
	case AUTH_ADMIN:
		if (auth_token(a, false) < 0)
			return -1;
		if (!a->user.is_superuser) {
			api_detail(a, 403, "You do not have permission to perform this action.");
			return -1;
		}
		return 0;
	case AUTH_BUILDER:
		if (!secret_eq(httpd_header(a->r, "X-Deis-Builder-Auth"), a->ctl->builder_key)) {
			api_detail(a, 403, "You do not have permission to perform this action.");
			return -1;
		}
		return 0;
	case AUTH_INTERNAL:
		if (!secret_eq(httpd_header(a->r, "X-Deis-Internal-Auth"), a->ctl->internal_token)) {
			api_detail(a, 403, "You do not have permission to perform this action.");
			return -1;
		}
		return 0;
	}
	return -1;
}

static int
parse_body(struct api *a)
{
	json_error_t je;
	size_t i;

	for (i = 0; i < a->r->body.len; i++)
		if (a->r->body.p[i] != ' ' && a->r->body.p[i] != '\n' && a->r->body.p[i] != '\r' &&
		    a->r->body.p[i] != '\t')
			break;
	if (i == a->r->body.len)
		return 0;
	a->body = json_loadb(a->r->body.p, a->r->body.len, JSON_REJECT_DUPLICATES, &je);
	if (a->body == NULL) {
		api_detail(a, 400, "JSON parse error - %s", je.text);
		return -1;
	}
	if (!json_is_object(a->body)) {
		api_json(a, 400, json_pack("{s:[s]}", "non_field_errors",
		    "Invalid data. Expected a dictionary."));
		return -1;
	}
	return 0;
}

/* Is the client ("ip:port") in the refused network (--deny-net)? */
static bool
peer_denied(const struct ctl *ctl, const char *peer)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr in;
	size_t n = strcspn(peer, ":");

	if ((ctl->deny_mask == 0 && ctl->apps_mask == 0) || n >= sizeof(ip))
		return false;
	memcpy(ip, peer, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, &in) != 1)
		return false;
	if (ctl->apps_mask && (ntohl(in.s_addr) & ctl->apps_mask) == ctl->apps_net)
		return true;
	return ctl->deny_mask && (ntohl(in.s_addr) & ctl->deny_mask) == ctl->deny_net &&
	    ntohl(in.s_addr) != ctl->deny_except;
}

const char *
api_client_ip(struct api *a)
{
	const struct http1_header *xff = NULL;
	const char *peer = a->r->peer, *end;
	char ip[64];
	struct str v;
	size_t i, n;

	if (a->client_ip[0])
		return a->client_ip;
	/* "1.2.3.4:port", "[::1]:port" */
	if (peer[0] == '[' && (end = strchr(peer, ']')) != NULL)
		n = (size_t)(end - peer - 1), peer++;
	else
		n = (end = strrchr(peer, ':')) ? (size_t)(end - peer) : strlen(peer);
	snprintf(a->client_ip, sizeof(a->client_ip), "%.*s", (int)n, peer);
	if (a->ctl->ntrusted == 0 || !cidr_list_match_ip(a->ctl->trusted, a->ctl->ntrusted,
	    a->client_ip))
		return a->client_ip;
	for (i = 0; i < a->r->head.nheaders; i++)
		if (str_eqcase(a->r->head.headers[i].name, STR_LIT("x-forwarded-for")))
			xff = &a->r->head.headers[i];
	if (xff == NULL)
		return a->client_ip;
	v = xff->value;
	if ((end = memrchr(v.p, ',', v.len)) != NULL)
		v = str_make(end + 1, v.len - (size_t)(end + 1 - v.p));
	v = str_trim(v);
	if (v.len == 0 || v.len >= sizeof(ip))
		return a->client_ip;
	memcpy(ip, v.p, v.len);
	ip[v.len] = '\0';
	/* only an address: anything else says nothing of the client */
	if (inet_pton(AF_INET, ip, &(struct in_addr){ 0 }) == 1 ||
	    inet_pton(AF_INET6, ip, &(struct in6_addr){ 0 }) == 1)
		strlcpy(a->client_ip, ip, sizeof(a->client_ip));
	return a->client_ip;
}

void
api_handle(struct httpd_req *r, void *arg)
{
	struct api *a = xcalloc(1, sizeof(*a));
	const struct route *rt, *found = NULL;
	struct str ver;
	bool path_known = false;
	size_t i;

	a->ctl = arg;
	a->r = r;
	buf_init(&a->hdrs, 0);
	if (str_eqs(r->path, "/healthz") || str_eqs(r->path, "/health-check")) {
		api_text(a, 200, "text/plain", "OK", 2);
		return;
	}
	if (peer_denied(a->ctl, r->peer)) {
		/* App containers share a network with the controller; its API is not theirs. */
		api_detail(a, 403, "You do not have permission to perform this action.");
		return;
	}
	if (dashboard_serve(a, r->head.method, r->path))
		return;

	if (str_eqs(r->head.method, "OPTIONS")) {
		buf_addstr(&a->hdrs, "Access-Control-Allow-Methods: GET, POST, PUT, DELETE, OPTIONS\r\n"
		    "Access-Control-Allow-Headers: Authorization, Content-Type\r\n");
		api_text(a, 200, NULL, "", 0);
		return;
	}
	ver = httpd_header(r, "Deis-Version");
	if (ver.p && !str_eqs(ver, "1")) {
		json_t *j = json_object();

		json_object_set_new(j, "error", json_sprintf("Client and server versions do not "
		    "match. Client version: %.*s Server version: 1", (int)ver.len, ver.p));
		api_json(a, 405, j);
		return;
	}
	if (str_eqs(r->path, "/v1") || str_eqs(r->path, "/v1/")) {
		if (auth_token(a, false) == 0)
			api_json(a, 200, json_object());
		return;
	}
	for (i = 0; i < ARRAY_SIZE(routes); i++) {
		rt = &routes[i];
		if (route_match(a, r->path, rt->pattern) < 0)
			continue;
		path_known = true;
		if (str_eqs(r->head.method, rt->method) ||
		    (str_eqs(r->head.method, "HEAD") && !strcmp(rt->method, "GET"))) {
			found = rt;
			break;
		}
		for (; a->nseg > 0; a->nseg--)
			free(a->seg[a->nseg - 1]);
	}
	if (found == NULL) {
		if (path_known)
			api_detail(a, 405, "Method \"%.*s\" not allowed.", (int)r->head.method.len,
			    r->head.method.p);
		else
			api_detail(a, 404, "Not found");
		return;
	}
	if (authenticate(a, found->auth) < 0)
		return;
	if (parse_body(a) < 0)
		return;
	found->fn(a);
}
