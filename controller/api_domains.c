/*
 * Custom domains of an app (/v1/apps/<id>/domains) and TLS certificates
 * (/v1/certs), the two things routers need besides apps and endpoints
 * (shared/reference/deis-v1.md §2.4).
 *
 * Domains: anyone who may use the app lists and adds; only the owner or an
 * administrator removes. A domain belongs to one app (unique). Under the
 * platform domain, as Deis allowed, `<label>.<platform domain>` is accepted
 * when no app has that label for a name, and then holds it: no app may be
 * created with that name (apps_create). The platform's own names (the domain,
 * `deis.<domain>`, reserved names) and other apps' hosts stay refused: one
 * tenant would otherwise capture another's traffic.
 *
 * Certificates are not per app: a router serves the one whose common name is
 * the requested host. Users see and remove their own (administrators: all).
 * The PEM is parsed with OpenSSL: the key must match the certificate, the
 * common name comes from the subject when not given and must be covered by
 * the certificate when given, wildcards are refused (as Deis did), and
 * `expires` is the certificate's notAfter. Certificate chain and key are
 * stored re-encoded by OpenSSL, so no stray text survives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "controller/db.h"
#include "controller/events.h"
#include "controller/handlers.h"
#include "controller/routes.h"
#include "controller/validate.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define PEM_MAX (64 * 1024)

/* ---- domains ------------------------------------------------------------ */

static json_t *
domain_json(const struct db_res *res, int i)
{
	return json_pack("{s:s,s:o,s:o,s:s,s:s}",
	    "owner", db_res_get(res, i, 0),
	    "created", api_time(db_res_get(res, i, 1)), "updated", api_time(db_res_get(res, i, 2)),
	    "app", db_res_get(res, i, 3), "domain", db_res_get(res, i, 4));
}

void
domains_list(struct api *a)
{
	api_app_rows(a, "SELECT owner, created, updated, app, domain FROM domains "
	    "WHERE app = $1 ORDER BY domain", domain_json);
}

/* True when d is the platform domain or a name under it. */
static bool
domain_is_platform(const char *d, const char *platform)
{
	size_t dl = strlen(d), pl = strlen(platform);

	if (pl == 0)
		return false;
	if (dl == pl)
		return strcasecmp(d, platform) == 0;
	return dl > pl && d[dl - pl - 1] == '.' && strcasecmp(d + dl - pl, platform) == 0;
}

/* Whether d is some app's custom domain. */
static bool
domain_held(struct api *a, const char *d)
{
	struct err e = { 0 };
	struct db_res *res = db_queryp(a->ctl->db, &e, "SELECT COUNT(*) FROM domains WHERE "
	    "lower(domain) = lower($1)", d);
	bool held = res && db_res_getll(res, 0, 0, 0) > 0;

	db_res_free(res);
	return held;
}

/*
 * Whether d, under the platform domain, is one a user may add: a single label
 * that is no reserved name and no existing app's (d's own app included: its
 * host is already routed). 0; 1 with msg (a field error); -1 with e (the
 * database's).
 */
static int
platform_subdomain_ok(struct api *a, const char *d, char *msg, size_t size, struct err *e)
{
	size_t dl = strlen(d), pl = strlen(a->ctl->domain);
	char label[64];
	struct db_res *res;
	long long n;

	if (dl <= pl + 1 || dl - pl - 1 >= sizeof(label) ||
	    memchr(d, '.', dl - pl - 1) != NULL) {
		snprintf(msg, size, "The domain %s is reserved by the platform", d);
		return 1;
	}
	memcpy(label, d, dl - pl - 1);
	label[dl - pl - 1] = '\0';
	if (validate_app_reserved(label, e) < 0) {
		snprintf(msg, size, "The domain %s is reserved by the platform", d);
		return 1;
	}
	res = db_queryp(a->ctl->db, e, "SELECT COUNT(*) FROM apps WHERE id = $1", label);
	if (res == NULL)
		return -1;
	n = db_res_getll(res, 0, 0, 0);
	db_res_free(res);
	if (n > 0) {
		snprintf(msg, size, "The domain %s is the host of the app %s", d, label);
		return 1;
	}
	return 0;
}

/*
 * A host name from a URL as stored (validate_domain): lower case, without
 * one trailing dot. Returns -1 when it does not fit in n bytes.
 */
static int
host_normalise(const char *in, char *out, size_t n)
{
	size_t i, len = strlcpy(out, in, n);

	if (len >= n)
		return -1;
	if (len > 1 && out[len - 1] == '.')
		out[len - 1] = '\0';
	for (i = 0; out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return 0;
}

void
domains_create(struct api *a)
{
	struct app app;
	struct err e = { 0 };
	struct db_res *res = NULL;
	const char *in;
	char d[300], now[DB_TIME_LEN], msg[400];
	int n;

	if (app_load(a, &app, false) < 0)
		return;
	app_release(&app);
	if ((in = api_body_str(a, "domain", true)) == NULL)
		return;
	if (strlen(in) >= sizeof(d)) {
		api_field_error(a, "domain", "Hostname must be 255 characters or less.");
		return;
	}
	strlcpy(d, in, sizeof(d));
	if (validate_domain(d, &e) < 0) {
		api_field_error(a, "domain", e.msg);
		return;
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	/* in the transaction: an app created meanwhile under the label cannot slip by */
	if (domain_is_platform(d, a->ctl->domain) &&
	    (n = platform_subdomain_ok(a, d, msg, sizeof(msg), &e)) != 0) {
		db_rollback(a->ctl->db);
		if (n < 0)
			api_db_error(a, &e, NULL);
		else
			api_field_error(a, "domain", msg);
		return;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT app FROM domains WHERE domain = $1", d);
	if (res == NULL)
		goto fail;
	n = db_res_nrows(res);
	db_res_free(res);
	if (n > 0) {
		db_rollback(a->ctl->db);
		snprintf(msg, sizeof(msg), "The domain %s is already in use by another app", d);
		api_field_error(a, "domain", msg);
		return;
	}
	db_now(now);
	res = db_queryp(a->ctl->db, &e, "INSERT INTO domains (app, owner, domain, created, updated) "
	    "VALUES ($1, $2, $3, $4, $4) RETURNING owner, created, updated, app, domain",
	    app.id, a->user.username, d, now);
	if (res == NULL || db_commit(a->ctl->db, &e) < 0)
		goto fail;
	event_log(a->ctl, app.id, "%s added domain %s", a->user.username, d);
	routes_changed(a->ctl);
	api_json(a, 201, domain_json(res, 0));
	db_res_free(res);
	return;
fail:
	db_res_free(res);
	db_rollback(a->ctl->db);
	api_db_error(a, &e, NULL);
}

void
domains_delete(struct api *a)
{
	struct app app;
	struct err e = { 0 };
	char d[300];
	int n;

	if (app_load(a, &app, true) < 0)
		return;
	app_release(&app);
	if (host_normalise(a->seg[1], d, sizeof(d)) < 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	n = db_execp(a->ctl->db, &e, "DELETE FROM domains WHERE app = $1 AND domain = $2", app.id, d);
	if (n < 0 || db_commit(a->ctl->db, &e) < 0) {
		db_rollback(a->ctl->db);
		api_db_error(a, &e, NULL);
		return;
	}
	if (n == 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	event_log(a->ctl, app.id, "%s removed domain %s", a->user.username, d);
	routes_changed(a->ctl);
	api_json(a, 204, NULL);
}

/* ---- certificates ------------------------------------------------------- */

#define CERT_COLS "id, owner, common_name, expires, created, updated"

static json_t *
cert_json(const struct db_res *res, int i)
{
	return json_pack("{s:I,s:s,s:s,s:o,s:o,s:o}",
	    "id", (json_int_t)db_res_getll(res, i, 0, 0), "owner", db_res_get(res, i, 1),
	    "common_name", db_res_get(res, i, 2), "expires", api_time(db_res_get(res, i, 3)),
	    "created", api_time(db_res_get(res, i, 4)), "updated", api_time(db_res_get(res, i, 5)));
}

void
certs_list(struct api *a)
{
	struct err e = { 0 };
	struct db_res *res;

	res = db_queryp(a->ctl->db, &e, "SELECT " CERT_COLS " FROM certs WHERE owner = $1 OR "
	    "CAST($2 AS INTEGER) = 1 ORDER BY common_name", a->user.username,
	    a->user.is_superuser ? "1" : "0");
	api_rows(a, res, &e, cert_json);
}

void
certs_get(struct api *a)
{
	struct err e = { 0 };
	struct db_res *res;
	char cn[300];

	if (host_normalise(a->seg[0], cn, sizeof(cn)) < 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT " CERT_COLS " FROM certs WHERE common_name = $1 "
	    "AND (owner = $2 OR CAST($3 AS INTEGER) = 1)", cn, a->user.username,
	    a->user.is_superuser ? "1" : "0");
	if (res == NULL) {
		api_db_error(a, &e, NULL);
		return;
	}
	if (db_res_nrows(res) != 1)
		api_detail(a, 404, "Not found");
	else
		api_json(a, 200, cert_json(res, 0));
	db_res_free(res);
}

/* An encrypted key would make OpenSSL prompt on the terminal: refuse instead. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* The contents of a memory BIO as a new string. */
static char *
bio_string(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s = xmalloc((size_t)n + 1);

	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

struct cert_in {
	char cn[256];
	char expires[DB_TIME_LEN];
	char *chain;		/* re-encoded certificate chain PEM */
	char *key;		/* re-encoded private key PEM (PKCS#8) */
};

static void
cert_in_clear(struct cert_in *c)
{
	free(c->chain);
	if (c->key) {
		explicit_bzero(c->key, strlen(c->key));
		free(c->key);
	}
	memset(c, 0, sizeof(*c));
}

/*
 * Parse and check a certificate (chain) and its key; cn is the requested
 * common name or NULL. Returns 0 or -1 after responding 400.
 */
static int
cert_parse(struct api *a, const char *pem, const char *keypem, const char *cn, struct cert_in *c)
{
	BIO *in = NULL, *out = NULL;
	X509 *x = NULL, *more;
	EVP_PKEY *pkey = NULL;
	struct tm tm;
	struct err e = { 0 };
	char msg[400];
	int rc = -1, idx;

	memset(c, 0, sizeof(*c));
	in = BIO_new_mem_buf(pem, -1);
	out = BIO_new(BIO_s_mem());
	if (in == NULL || out == NULL)
		die(1, "out of memory");
	x = PEM_read_bio_X509(in, NULL, no_passphrase, NULL);
	if (x == NULL) {
		api_field_error(a, "certificate", "Could not load certificate: not a PEM certificate");
		goto out;
	}
	PEM_write_bio_X509(out, x);
	while ((more = PEM_read_bio_X509(in, NULL, no_passphrase, NULL)) != NULL) {
		PEM_write_bio_X509(out, more);
		X509_free(more);
	}
	c->chain = bio_string(out);
	BIO_free(in);
	BIO_free(out);
	in = BIO_new_mem_buf(keypem, -1);
	out = BIO_new(BIO_s_mem());
	if (in == NULL || out == NULL)
		die(1, "out of memory");
	pkey = PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL);
	if (pkey == NULL) {
		api_field_error(a, "key", "Could not load private key: not an unencrypted PEM key");
		goto out;
	}
	if (X509_check_private_key(x, pkey) != 1) {
		api_field_error(a, "key", "The key does not match the certificate");
		goto out;
	}
	PEM_write_bio_PrivateKey(out, pkey, NULL, NULL, 0, NULL, NULL);
	c->key = bio_string(out);

	if (cn == NULL) {
		X509_NAME *subj = X509_get_subject_name(x);

		idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
		if (idx < 0 || X509_NAME_get_text_by_NID(subj, NID_commonName, c->cn,
		    sizeof(c->cn)) <= 0) {
			api_field_error(a, "common_name", "The certificate has no common name; "
			    "give one with --common-name");
			goto out;
		}
	} else {
		strlcpy(c->cn, cn, sizeof(c->cn));
	}
	if (strchr(c->cn, '*')) {
		api_field_error(a, "common_name", "Wildcard certificates are not supported");
		goto out;
	}
	if (validate_domain(c->cn, &e) < 0) {
		api_field_error(a, "common_name", e.msg);
		goto out;
	}
	/*
	 * Names of the platform (and so of every app) are the operator's to serve,
	 * but for a custom domain an app holds under it (its owner's check follows).
	 */
	if (domain_is_platform(c->cn, a->ctl->domain) && !a->user.is_superuser &&
	    !domain_held(a, c->cn)) {
		snprintf(msg, sizeof(msg), "The domain %s is reserved by the platform", c->cn);
		api_field_error(a, "common_name", msg);
		goto out;
	}
	/* A name the certificate does not cover would only ever serve browser errors. */
	if (cn && X509_check_host(x, c->cn, strlen(c->cn), X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT,
	    NULL) != 1) {
		snprintf(msg, sizeof(msg), "The certificate is not valid for %s", c->cn);
		api_field_error(a, "common_name", msg);
		goto out;
	}
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1 ||
	    strftime(c->expires, sizeof(c->expires), "%Y-%m-%dT%H:%M:%S.000000Z", &tm) == 0) {
		api_field_error(a, "certificate", "Could not load certificate: bad notAfter");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(in);
	BIO_free(out);
	X509_free(x);
	EVP_PKEY_free(pkey);
	if (rc < 0)
		cert_in_clear(c);
	return rc;
}

void
certs_create(struct api *a)
{
	const char *pem, *keypem, *cn = NULL;
	json_t *v = a->body ? json_object_get(a->body, "common_name") : NULL;
	struct cert_in c;
	struct err e = { 0 };
	struct db_res *res = NULL;
	char now[DB_TIME_LEN];
	int n;

	if ((pem = api_body_str(a, "certificate", true)) == NULL ||
	    (keypem = api_body_str(a, "key", true)) == NULL)
		return;
	if (v && !json_is_null(v)) {
		if ((cn = api_body_str(a, "common_name", false)) == NULL)
			return;
		if (cn[0] == '\0')
			cn = NULL;
		else if (strlen(cn) > 255) {
			api_field_error(a, "common_name", "Hostname must be 255 characters or less.");
			return;
		}
	}
	if (strlen(pem) > PEM_MAX || strlen(keypem) > PEM_MAX) {
		api_field_error(a, strlen(pem) > PEM_MAX ? "certificate" : "key",
		    "Ensure this field has no more than 65536 characters.");
		return;
	}
	if (cert_parse(a, pem, keypem, cn, &c) < 0)
		return;
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		cert_in_clear(&c);
		return;
	}
	res = db_queryp(a->ctl->db, &e, "SELECT id FROM certs WHERE common_name = $1", c.cn);
	if (res == NULL)
		goto fail;
	n = db_res_nrows(res);
	db_res_free(res);
	res = NULL;
	if (n > 0) {
		db_rollback(a->ctl->db);
		api_field_error(a, "common_name", "This field must be unique.");
		cert_in_clear(&c);
		return;
	}
	/*
	 * A tenant serves TLS only for its own names: the common name must be a
	 * domain of an app the user owns or shares (an admin's may be any).
	 */
	if (!a->user.is_superuser) {
		res = db_queryp(a->ctl->db, &e, "SELECT COUNT(*) FROM domains d JOIN apps p ON "
		    "p.id = d.app WHERE lower(d.domain) = lower($1) AND (p.owner = $2 OR EXISTS "
		    "(SELECT 1 FROM app_perms x WHERE x.app = p.id AND x.username = $2))", c.cn,
		    a->user.username);
		if (res == NULL)
			goto fail;
		n = (int)db_res_getll(res, 0, 0, 0);
		db_res_free(res);
		res = NULL;
		if (n == 0) {
			db_rollback(a->ctl->db);
			api_detail(a, 403, "%s is not a domain of an app of yours: add it to the app "
			    "first (deis domains:add %s)", c.cn, c.cn);
			cert_in_clear(&c);
			return;
		}
	}
	db_now(now);
	res = db_queryp(a->ctl->db, &e, "INSERT INTO certs (owner, common_name, certificate, key, "
	    "expires, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING " CERT_COLS,
	    a->user.username, c.cn, c.chain, c.key, c.expires, now);
	if (res == NULL || db_commit(a->ctl->db, &e) < 0)
		goto fail;
	log_info("certificate for '%s' added by '%s'", c.cn, a->user.username);
	routes_changed(a->ctl);
	api_json(a, 201, cert_json(res, 0));
	db_res_free(res);
	cert_in_clear(&c);
	return;
fail:
	db_res_free(res);
	db_rollback(a->ctl->db);
	api_db_error(a, &e, "common_name");
	cert_in_clear(&c);
}

void
certs_delete(struct api *a)
{
	struct err e = { 0 };
	char cn[300];
	int n;

	if (host_normalise(a->seg[0], cn, sizeof(cn)) < 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	if (db_begin(a->ctl->db, &e) < 0) {
		api_db_error(a, &e, NULL);
		return;
	}
	n = db_execp(a->ctl->db, &e, "DELETE FROM certs WHERE common_name = $1 AND (owner = $2 OR "
	    "CAST($3 AS INTEGER) = 1)", cn, a->user.username, a->user.is_superuser ? "1" : "0");
	if (n < 0 || db_commit(a->ctl->db, &e) < 0) {
		db_rollback(a->ctl->db);
		api_db_error(a, &e, NULL);
		return;
	}
	if (n == 0) {
		api_detail(a, 404, "Not found");
		return;
	}
	log_info("certificate for '%s' removed by '%s'", cn, a->user.username);
	routes_changed(a->ctl);
	api_json(a, 204, NULL);
}
