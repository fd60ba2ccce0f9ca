/*
 * The router's settings, under Deis's names (/deis/router/<key>, which confd
 * rendered into nginx.conf), and the deis-router flags they become. Every
 * value is checked when it is set, so a typo is refused by `config router
 * set` instead of stopping the router at its next start. spec_router passes a
 * flag only for a setting the user set: deis-router's defaults are Deis's.
 *
 * Keys Deis had that mean nothing to deis-router (nginx internals) are
 * accepted and documented as having no effect; keys whose behaviour we do not
 * have (the naxsi firewall, per-peer timeouts) are refused with the reason.
 * docs/deisctl.md is the user's table of all of them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/deisctl/deisctl.h"
#include "lib/xalloc.h"

enum kind {
	K_ANY,		/* any one-line value (image) */
	K_SIZE,		/* nginx size: N, Nk, Nm, Ng; 0 is unlimited */
	K_INT,		/* min..max */
	K_DURATION,	/* nginx time: N (seconds), Nms, Ns, Nm, Nh; at most a day */
	K_BOOL,		/* true | false */
	K_ENUM,		/* one of choices */
	K_WORKERS,	/* auto | 1..256 */
	K_MIMES,	/* type/subtype ..., space separated */
	K_REGEX,	/* "", msie6 or a POSIX extended regex (it travels in argv, no shell) */
	K_CIDRS,	/* address or CIDR, comma separated; may be empty */
	K_WHITELIST,	/* address or CIDR with an optional ":label", comma separated */
	K_ARG,		/* a query argument's name */
	K_LOGDEST,	/* stdout | off | an absolute file path */
	K_CERT,		/* a PEM certificate file */
	K_KEY,		/* a PEM private key file */
	K_DHPARAM,	/* a PEM DH parameters file */
};

enum effect {
	E_FLAG,		/* flag V */
	E_TRUE,		/* flag, when the value is true */
	E_CODE,		/* dctl_router_args does it */
	E_NONE,		/* accepted; no effect (note says why) */
	E_REFUSE,	/* refused (note says why); a K_BOOL is refused only when true */
};

struct rsetting {
	const char *key;
	enum kind kind;
	enum effect effect;
	const char *flag;
	long long min, max;
	const char *choices;
	const char *note;
};

static const struct rsetting settings[] = {
	{ "bodySize", K_SIZE, E_FLAG, "--body-size", 0, 0, NULL, NULL },
	{ "defaultTimeout", K_INT, E_CODE, NULL, 1, 86400, NULL, NULL },
	{ "workerProcesses", K_WORKERS, E_CODE, NULL, 0, 0, NULL, NULL },
	{ "workers", K_WORKERS, E_CODE, NULL, 0, 0, NULL, NULL },
	{ "maxWorkerConnections", K_INT, E_FLAG, "--max-conns", 1, 1000000, NULL, NULL },
	{ "enforceHTTPS", K_BOOL, E_CODE, NULL, 0, 0, NULL, NULL },
	{ "hsts/enabled", K_BOOL, E_CODE, NULL, 0, 0, NULL, NULL },
	{ "hsts/maxAge", K_INT, E_CODE, NULL, 0, 1000000000, NULL, NULL },
	{ "hsts/includeSubDomains", K_BOOL, E_CODE, NULL, 0, 0, NULL, NULL },
	{ "hsts/preload", K_BOOL, E_CODE, NULL, 0, 0, NULL, NULL },
	{ "gzip", K_ENUM, E_FLAG, "--gzip", 0, 0, "on off", NULL },
	{ "gzipCompLevel", K_INT, E_FLAG, "--gzip-level", 1, 9, NULL, NULL },
	{ "gzipMinLength", K_INT, E_FLAG, "--gzip-min-length", 0, 2147483647, NULL, NULL },
	{ "gzipTypes", K_MIMES, E_FLAG, "--gzip-types", 0, 0, NULL, NULL },
	{ "gzipDisable", K_REGEX, E_FLAG, "--gzip-disable", 0, 0, NULL, NULL },
	{ "gzipHttpVersion", K_ENUM, E_FLAG, "--gzip-http-version", 0, 0, "1.0 1.1", NULL },
	/* nginx's finer values (expired, no-cache, auth...) are not in deis-router */
	{ "gzipProxied", K_ENUM, E_FLAG, "--gzip-proxied", 0, 0, "any off", NULL },
	{ "gzipVary", K_ENUM, E_FLAG, "--gzip-vary", 0, 0, "on off", NULL },
	{ "proxyProtocol", K_BOOL, E_TRUE, "--proxy-protocol", 0, 0, NULL, NULL },
	{ "proxyRealIpCidr", K_CIDRS, E_FLAG, "--real-ip-from", 0, 0, NULL, NULL },
	{ "affinityArg", K_ARG, E_FLAG, "--affinity-arg", 0, 0, NULL, NULL },
	{ "enableNginxStatus", K_BOOL, E_CODE, NULL, 0, 0, NULL, NULL },
	{ "controller/whitelist", K_WHITELIST, E_FLAG, "--controller-whitelist", 0, 0, NULL,
	    NULL },
	{ "enforceWhitelist", K_BOOL, E_TRUE, "--enforce-whitelist", 0, 0, NULL, NULL },
	/* unset: the default file in the router's volume (dctl_router_args) */
	{ "accessLog", K_LOGDEST, E_FLAG, "--access-log", 0, 0, NULL, NULL },
	{ "accessLogMaxSize", K_SIZE, E_FLAG, "--access-log-max-size", 0, 0, NULL, NULL },
	{ "accessLogMaxFiles", K_INT, E_FLAG, "--access-log-max-files", 2, 100, NULL, NULL },
	{ "sslCert", K_CERT, E_CODE, NULL, 0, 0, NULL, NULL },
	{ "sslKey", K_KEY, E_CODE, NULL, 0, 0, NULL, NULL },
	{ "errorLogLevel", K_ENUM, E_CODE, NULL, 0, 0,
	    "debug info notice warn error crit alert emerg", NULL },
	{ "image", K_ANY, E_CODE, NULL, 0, 0, NULL, NULL },

	{ "serverTokens", K_ENUM, E_NONE, NULL, 0, 0, "on off",
	    "deis-router never sends its version" },
	{ "serverNameHashMaxSize", K_INT, E_NONE, NULL, 1, 1048576, NULL,
	    "an nginx hash table size; deis-router has no such table" },
	{ "serverNameHashBucketSize", K_INT, E_NONE, NULL, 1, 1048576, NULL,
	    "an nginx hash table size; deis-router has no such table" },
	{ "trafficStatusZoneSize", K_SIZE, E_NONE, NULL, 0, 0, NULL,
	    "nginx's status module memory; deis-router needs none" },
	{ "sslDhparam", K_DHPARAM, E_NONE, NULL, 0, 0, NULL,
	    "deis-router offers only ECDHE key exchange, which uses no DH parameters" },
	{ "firewall/errorCode", K_INT, E_NONE, NULL, 400, 599, NULL,
	    "there is no firewall (firewall/enabled=true is refused)" },
	{ "firewall/enabled", K_BOOL, E_REFUSE, NULL, 0, 0, NULL,
	    "the naxsi web application firewall is not supported by deis-router" },
	{ "builder/timeout/connect", K_DURATION, E_FLAG, "--builder-connect-timeout", 0, 0, NULL,
	    NULL },
	{ "builder/timeout/tcp", K_DURATION, E_FLAG, "--builder-tcp-timeout", 0, 0, NULL, NULL },
	{ "controller/timeout/connect", K_DURATION, E_FLAG, "--controller-connect-timeout", 0, 0,
	    NULL, NULL },
	{ "controller/timeout/send", K_DURATION, E_FLAG, "--controller-send-timeout", 0, 0, NULL,
	    NULL },
	{ "controller/timeout/read", K_DURATION, E_FLAG, "--controller-read-timeout", 0, 0, NULL,
	    NULL },
};

static const struct rsetting *
setting_find(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(settings); i++)
		if (!strcmp(settings[i].key, key))
			return &settings[i];
	return NULL;
}

bool
dctl_router_known(const char *key)
{
	return setting_find(key) != NULL;
}

/* ---- value checks: 0 when v is of the kind ---- */

static bool
word_in(const char *w, size_t n, const char *choices)
{
	const char *p = choices;

	while (*p) {
		size_t m = strcspn(p, " ");

		if (m == n && !strncmp(p, w, n))
			return true;
		p += m;
		p += strspn(p, " ");
	}
	return false;
}

static bool
size_ok(const char *v)
{
	const char *errstr = NULL;
	char num[24];
	size_t n = strlen(v);

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, v, n + 1);
	if (strchr("kKmMgG", num[n - 1]))
		num[--n] = '\0';
	if (n == 0 || strspn(num, "0123456789") != n)
		return false;
	strtonum(num, 0, 1LL << 40, &errstr);	/* deis-router's bound */
	return errstr == NULL;
}

/* An IPv4 or IPv6 address, or a CIDR of one; n bytes of s. */
static bool
cidr_ok(const char *s, size_t n)
{
	char buf[64], *slash;
	unsigned char addr[16];
	const char *errstr = NULL;
	int af;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (strchr(buf, ':') && strchr(buf, '.'))
		return false;	/* v4-mapped: deis-router takes the IPv4 form */
	af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, buf, addr) != 1)
		return false;
	if (slash) {
		if (!*slash || strspn(slash, "0123456789") != strlen(slash))
			return false;
		strtonum(slash, 0, af == AF_INET ? 32 : 128, &errstr);
	}
	return errstr == NULL;
}

static bool
list_ok(const char *v, bool labels)
{
	const char *p = v;

	if (!*v)
		return false;
	for (;;) {
		size_t n = strcspn(p, ","), ws;
		const char *colon;

		ws = strspn(p, " ");	/* "a, b" as Deis's docs write it */
		p += ws;
		n -= ws;
		while (n && p[n - 1] == ' ')
			n--;
		if (!cidr_ok(p, n)) {
			/* "10.0.0.1:office": a label after an IPv4 address (as Deis) */
			colon = labels ? memchr(p, ':', n) : NULL;
			if (!colon || colon == p + n - 1 || !memchr(p, '.', (size_t)(colon - p)) ||
			    !cidr_ok(p, (size_t)(colon - p)))
				return false;
			for (colon++; colon < p + n; colon++)
				if (!isalnum((unsigned char)*colon) && !strchr("-_.", *colon))
					return false;
		}
		p += strcspn(p, ",");
		if (!*p)
			return true;
		p++;
	}
}

static bool
mimes_ok(const char *v)
{
	const char *p = v;
	int count = 0;

	if (!*v)
		return false;
	while (*p) {
		size_t n = strcspn(p, " "), i, slashes = 0;

		for (i = 0; i < n; i++) {
			if (p[i] == '/')
				slashes++;
			else if (!isalnum((unsigned char)p[i]) && !strchr("!#$&^_.+-*", p[i]))
				return false;
		}
		if (n && !(n == 1 && *p == '*') && (slashes != 1 || p[0] == '/' || p[n - 1] == '/'))
			return false;
		if (++count > 63)	/* deis-router's table */
			return false;
		p += n;
		p += strspn(p, " ");
	}
	return true;
}

static int
value_check(const struct rsetting *s, const char *v, struct err *e)
{
	const char *errstr = NULL, *p;
	regex_t re;

	switch (s->kind) {
	case K_ANY:
	case K_CERT:
	case K_KEY:
	case K_DHPARAM:
		if (*v)
			return 0;
		break;
	case K_SIZE:
		if (size_ok(v))
			return 0;
		return err_set(e, 2, "%s '%s' is not a size: a number of bytes, or with k, m or "
		    "g (1m, 100m; 0 is unlimited)", s->key, v);
	case K_INT:
		if (strspn(v, "0123456789") == strlen(v)) {
			strtonum(v, s->min, s->max, &errstr);
			if (!errstr)
				return 0;
		}
		return err_set(e, 2, "%s '%s' is not a number from %lld to %lld", s->key, v,
		    s->min, s->max);
	case K_DURATION: {
		size_t n = strspn(v, "0123456789");
		const char *unit = v + n;
		long long num, lim = !strcmp(unit, "ms") ? 86400000 : !strcmp(unit, "m") ? 1440 :
		    !strcmp(unit, "h") ? 24 : 86400;

		if (n > 0 && n < 12 && (!*unit || !strcmp(unit, "s") || !strcmp(unit, "ms") ||
		    !strcmp(unit, "m") || !strcmp(unit, "h"))) {
			num = strtoll(v, NULL, 10);
			if (num >= 1 && num <= lim)
				return 0;
		}
		return err_set(e, 2, "%s '%s' is not a duration: seconds, or with ms, s, m or h "
		    "(10s, 20m), from 1 s to a day", s->key, v);
	}
	case K_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "false"))
			return 0;
		return err_set(e, 2, "%s '%s' is not true or false", s->key, v);
	case K_ENUM:
		if (*v && !strchr(v, ' ') && word_in(v, strlen(v), s->choices))
			return 0;
		return err_set(e, 2, "%s '%s' is not one of: %s", s->key, v, s->choices);
	case K_WORKERS:
		if (!strcmp(v, "auto"))
			return 0;
		if (strspn(v, "0123456789") == strlen(v)) {
			strtonum(v, 1, 256, &errstr);
			if (!errstr)
				return 0;
		}
		return err_set(e, 2, "%s '%s' is not 'auto' or a number from 1 to 256", s->key, v);
	case K_MIMES:
		if (mimes_ok(v))
			return 0;
		return err_set(e, 2, "%s '%s' is not a space separated list of at most 63 MIME "
		    "types (text/css application/json), or *", s->key, v);
	case K_REGEX:
		for (p = v; *p; p++)
			if (!isprint((unsigned char)*p))
				return err_set(e, 2, "%s: only printable characters", s->key);
		if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0)
			return err_set(e, 2, "%s '%s' is not a regular expression (POSIX extended)",
			    s->key, v);
		regfree(&re);
		return 0;
	case K_CIDRS:
		if (!*v || list_ok(v, false))	/* "": trust no peer's X-Forwarded-For */
			return 0;
		return err_set(e, 2, "%s '%s' is not an address or CIDR (10.0.0.0/8), or a "
		    "comma separated list of them", s->key, v);
	case K_WHITELIST:
		if (list_ok(v, true))
			return 0;
		return err_set(e, 2, "%s '%s' is not a comma separated list of addresses or "
		    "CIDRs, each with an optional ':label' (10.0.0.0/8:office,1.2.3.4)", s->key, v);
	case K_ARG:
		if (*v && strlen(v) <= 64 && strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == strlen(v))
			return 0;
		return err_set(e, 2, "%s '%s' is not a query argument name (letters, digits, "
		    "'_' and '-')", s->key, v);
	case K_LOGDEST:
		if (!strcmp(v, "stdout") || !strcmp(v, "off"))
			return 0;
		for (p = v; *p; p++)
			if (!isgraph((unsigned char)*p))
				break;
		if (v[0] == '/' && v[1] && !*p)
			return 0;
		return err_set(e, 2, "%s '%s' is not stdout, off or an absolute file path "
		    "(in the router's container)", s->key, v);
	}
	return err_set(e, 2, "%s is empty", s->key);
}

/* ---- config router set / rm ---- */

struct pending_tls {
	char *cert, *key;
	char cert_fp[DCTL_FP_LEN + 1], key_fp[DCTL_FP_LEN + 1];
};

static void
pending_clear(struct pending_tls *t)
{
	if (t->key)
		explicit_bzero(t->key, strlen(t->key));
	free(t->cert);
	free(t->key);
}

/* Both halves known after this command (given now, else stored): they must match. */
static int
tls_pair_check(struct dctl *d, struct pending_tls *t, struct err *e)
{
	char *cert = t->cert ? t->cert : dctl_tls_stored(d, false);
	char *key = t->key ? t->key : dctl_tls_stored(d, true);
	int rc = 0;

	if (cert && key && (t->cert || t->key))
		rc = dctl_tls_match(cert, key, e);
	if (cert != t->cert)
		free(cert);
	if (key != t->key) {
		if (key)
			explicit_bzero(key, strlen(key));
		free(key);
	}
	return rc;
}

int
dctl_router_config_set(struct dctl *d, json_t *changes, struct err *e)
{
	struct pending_tls t = { 0 };
	const struct rsetting *s;
	const char *key;
	json_t *v, *sec;
	int rc = -1;

	json_object_foreach(changes, key, v) {
		const char *val = json_string_value(v);

		s = setting_find(key);
		if (!s) {
			err_set(e, 2, "'%s' is not a router setting (see 'deisctl help' and "
			    "docs/deisctl.md)", key);
			goto out;
		}
		if (s->effect == E_REFUSE && s->kind != K_BOOL) {
			err_set(e, 2, "%s: %s", key, s->note);
			goto out;
		}
		if (value_check(s, val, e) < 0)
			goto out;
		if (s->effect == E_REFUSE && !strcmp(val, "true")) {
			err_set(e, 2, "%s=true: %s", key, s->note);
			goto out;
		}
		if (s->kind == K_CERT && dctl_tls_load(val, false, &t.cert, t.cert_fp, e) < 0)
			goto out;
		if (s->kind == K_KEY && dctl_tls_load(val, true, &t.key, t.key_fp, e) < 0)
			goto out;
		if (s->kind == K_DHPARAM && dctl_tls_dhparam_check(val, e) < 0)
			goto out;
	}
	if (tls_pair_check(d, &t, e) < 0 ||
	    ((t.cert || t.key) && dctl_tls_store(d, t.cert, t.key, e) < 0))
		goto out;
	if (t.cert)
		json_object_set_new(changes, "sslCert", json_sprintf("sha256:%s", t.cert_fp));
	if (t.key)
		json_object_set_new(changes, "sslKey", json_sprintf("sha256:%s", t.key_fp));
	json_object_foreach(changes, key, v) {
		s = setting_find(key);
		if (s->effect == E_NONE)
			fprintf(stderr, "deisctl: %s has no effect: %s\n", key, s->note);
	}
	/* workers (deisctl scale) and workerProcesses (Deis) are one setting. */
	sec = json_object_get(d->config, "router");
	if (json_object_get(changes, "workerProcesses"))
		json_object_del(sec, "workers");
	else if (json_object_get(changes, "workers"))
		json_object_del(sec, "workerProcesses");
	rc = 0;
out:
	pending_clear(&t);
	return rc;
}

void
dctl_router_config_rm(struct dctl *d, const char *key)
{
	if (!strcmp(key, "sslCert") || !strcmp(key, "sslKey"))
		dctl_tls_remove(d, !strcmp(key, "sslKey"));
}

/* ---- the flags ---- */

static void
arg(json_t *cmd, const char *a)
{
	json_array_append_new(cmd, json_string(a));
}

static const char *
get(const struct dctl *d, const char *key)
{
	return dctl_state_get(d, "router", key, NULL);
}

static bool
is_true(const struct dctl *d, const char *key)
{
	const char *v = get(d, key);

	return v && !strcmp(v, "true");
}

/* nginx's error_log levels onto lib/log's (DEIS_LOG_LEVEL). */
static const char *
log_level(const char *v)
{
	if (!strcmp(v, "debug"))
		return "debug";
	if (!strcmp(v, "info") || !strcmp(v, "notice"))
		return "info";
	if (!strcmp(v, "warn"))
		return "warn";
	return "error";
}

int
dctl_router_args(const struct dctl *d, json_t *cmd, json_t *env, bool *tls, struct err *e)
{
	const char *key, *v, *workers, *cert = get(d, "sslCert"), *sslkey = get(d, "sslKey");
	struct err ve = { 0 };
	json_t *jv;
	size_t i;

	*tls = false;
	/* config.json may have been edited by hand: the same checks as set. */
	json_object_foreach(json_object_get(d->config, "router"), key, jv) {
		const struct rsetting *s = setting_find(key);

		if (!s || !json_is_string(jv))
			continue;
		if (s->effect == E_REFUSE && (s->kind != K_BOOL || is_true(d, key)))
			return err_set(e, 1, "config.json: router %s: %s", key, s->note);
		if (s->kind != K_CERT && s->kind != K_KEY && s->kind != K_DHPARAM &&
		    value_check(s, json_string_value(jv), &ve) < 0)
			return err_set(e, 1, "config.json: router %s", ve.msg);
	}
	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct rsetting *s = &settings[i];

		v = get(d, s->key);
		if (!v)
			continue;
		if (s->effect == E_FLAG) {
			arg(cmd, s->flag);
			arg(cmd, v);
		} else if (s->effect == E_TRUE && !strcmp(v, "true")) {
			arg(cmd, s->flag);
		}
	}
	if ((v = get(d, "defaultTimeout"))) {
		arg(cmd, "--first-byte-timeout");
		arg(cmd, v);
		arg(cmd, "--keepalive-timeout");
		arg(cmd, v);
	}
	workers = get(d, "workerProcesses") ?: get(d, "workers");
	if (workers && strcmp(workers, "auto") != 0) {
		arg(cmd, "--workers");
		arg(cmd, workers);
	}
	/* HSTS implies enforceHTTPS, as in Deis's nginx.conf. */
	if (is_true(d, "enforceHTTPS") || is_true(d, "hsts/enabled"))
		arg(cmd, "--enforce-https");
	if (is_true(d, "hsts/enabled")) {
		arg(cmd, "--hsts");
		arg(cmd, get(d, "hsts/maxAge") ?: "10886400");
		if (is_true(d, "hsts/includeSubDomains"))
			arg(cmd, "--hsts-include-subdomains");
		if (is_true(d, "hsts/preload"))
			arg(cmd, "--hsts-preload");
	}
	if (is_true(d, "enableNginxStatus")) {
		arg(cmd, "--status");
		arg(cmd, "on");
	}
	if ((v = get(d, "errorLogLevel")))
		json_array_append_new(env, json_sprintf("DEIS_LOG_LEVEL=%s", log_level(v)));
	if (!cert != !sslkey)
		return err_set(e, 1, "router: %s is set but %s is not: deisctl config router set "
		    "sslCert=FILE sslKey=FILE (or rm it)", cert ? "sslCert" : "sslKey",
		    cert ? "sslKey" : "sslCert");
	if (cert) {
		arg(cmd, "--tls-cert");
		arg(cmd, DCTL_ROUTER_TLS_DIR "/tls.crt");
		arg(cmd, "--tls-key");
		arg(cmd, DCTL_ROUTER_TLS_DIR "/tls.key");
		*tls = true;
	}
	if (!get(d, "accessLog")) {
		/* a file in the router's volume: to stdout, dockerd's json-file writing cost
		 * 13-15 us per request (docs/performance.md), more than the router's own */
		arg(cmd, "--access-log");
		arg(cmd, DCTL_ROUTER_ACCESS_LOG);
	}
	return 0;
}

const char *
dctl_router_access_file(const struct dctl *d)
{
	const char *v = get(d, "accessLog");

	if (!v)
		return DCTL_ROUTER_ACCESS_LOG;
	return strcmp(v, "stdout") && strcmp(v, "off") ? v : NULL;
}

/* ---- platform settings ---- */

int
dctl_platform_check(const char *key, const char *value, struct err *e)
{
	static const char *const ports[] = { "httpPort", "httpsPort", "sshPort", "builderPort",
	    "controllerPort", "registryPort", "healthPort", "syslogPort", "loggerPort",
	    "databasePort" };
	const char *errstr = NULL;
	size_t i;

	if (!strcmp(key, "mode"))
		return dctl_swarm_mode_check(value, e);
	if (!strcmp(key, "dockerSocket"))
		return dctl_swarm_socket_check(value, e);
	if (!strcmp(key, "swarmHeartbeat")) {
		if (!*value || strspn(value, "0123456789") != strlen(value) ||
		    (strtonum(value, 0, 60, &errstr), errstr))
			return err_set(e, 2, "swarmHeartbeat '%s' is not seconds from 0 (leave the "
			    "swarm's) to 60", value);
		return 0;
	}

	for (i = 0; i < ARRAY_SIZE(ports); i++) {
		if (strcmp(key, ports[i]) != 0)
			continue;
		if (strspn(value, "0123456789") == strlen(value))
			strtonum(value, 1, 65535, &errstr);
		if (!*value || strspn(value, "0123456789") != strlen(value) || errstr)
			return err_set(e, 2, "%s '%s' is not a port from 1 to 65535", key, value);
	}
	return 0;
}
