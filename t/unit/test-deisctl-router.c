/*
 * deisctl: the router's Deis settings (cli/deisctl/router_settings.c): which
 * values `config router set` accepts, and the deis-router argv built from them.
 * The certificate files are covered by t/t0703 (openssl makes them there).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/deisctl/deisctl.h"

static char dir[64];

/* What deisctl passes when accessLog is not set: a file in the router's volume. */
#define DEF "--access-log|/var/lib/deis/router/access.log"

static int
setup(void **state)
{
	static struct dctl d;

	snprintf(dir, sizeof(dir), "/tmp/test-deisctl-router.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	d.state_dir = dir;
	d.prefix = "t";
	d.config = json_object();
	*state = &d;
	return 0;
}

static int
teardown(void **state)
{
	struct dctl *d = *state;

	json_decref(d->config);
	return rmdir(dir);	/* empty: no setting here may write a file */
}

static void
config(struct dctl *d, json_t *router)
{
	json_object_set_new(d->config, "router", router);
}

/* The argv of the settings, joined by '|'; env likewise into *envs. */
static char *
args(struct dctl *d, char **envs, bool *tls, struct err *e)
{
	json_t *cmd = json_array(), *env = json_array(), *v;
	static char out[2048], eout[512];
	size_t i;

	out[0] = eout[0] = '\0';
	if (dctl_router_args(d, cmd, env, tls, e) < 0) {
		json_decref(cmd);
		json_decref(env);
		return NULL;
	}
	json_array_foreach(cmd, i, v)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "|" : "",
		    json_string_value(v));
	json_array_foreach(env, i, v)
		snprintf(eout + strlen(eout), sizeof(eout) - strlen(eout), "%s%s", i ? "|" : "",
		    json_string_value(v));
	json_decref(cmd);
	json_decref(env);
	*envs = eout;
	return out;
}

static void
test_nothing_set_adds_only_the_log_file(void **state)
{
	struct dctl *d = *state;
	struct err e = { 0 };
	char *env;
	bool tls = true;

	config(d, json_object());
	assert_string_equal(args(d, &env, &tls, &e), DEF);
	assert_string_equal(env, "");
	assert_false(tls);
}

static void
test_every_key(void **state)
{
	struct dctl *d = *state;
	struct err e = { 0 };
	char *env;
	bool tls;

	config(d, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
	    " s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
	    " s:s, s:s, s:s}",
	    "bodySize", "100m", "defaultTimeout", "1300", "workerProcesses", "4",
	    "maxWorkerConnections", "768", "enforceHTTPS", "true", "hsts/enabled", "true",
	    "hsts/maxAge", "31536000", "hsts/includeSubDomains", "true", "hsts/preload", "true",
	    "gzip", "off", "gzipCompLevel", "5", "gzipMinLength", "256",
	    "gzipTypes", "text/css application/json", "gzipDisable", "msie6",
	    "gzipHttpVersion", "1.1", "gzipProxied", "any", "gzipVary", "on",
	    "proxyProtocol", "true", "proxyRealIpCidr", "10.0.0.0/8", "affinityArg", "session",
	    "enableNginxStatus", "true", "controller/whitelist", "10.0.0.0/8:office",
	    "enforceWhitelist", "true", "errorLogLevel", "warn", "serverTokens", "off",
	    "serverNameHashMaxSize", "512", "firewall/enabled", "false", "image", "x/y:z",
	    "accessLog", "stdout", "accessLogMaxSize", "20m", "accessLogMaxFiles", "5"));
	assert_string_equal(args(d, &env, &tls, &e),
	    "--body-size|100m|--max-conns|768|--gzip|off|--gzip-level|5|--gzip-min-length|256|"
	    "--gzip-types|text/css application/json|--gzip-disable|msie6|"
	    "--gzip-http-version|1.1|--gzip-proxied|any|--gzip-vary|on|--proxy-protocol|"
	    "--real-ip-from|10.0.0.0/8|--affinity-arg|session|"
	    "--controller-whitelist|10.0.0.0/8:office|--enforce-whitelist|"
	    "--access-log|stdout|--access-log-max-size|20m|--access-log-max-files|5|"
	    "--first-byte-timeout|1300|--keepalive-timeout|1300|--workers|4|--enforce-https|"
	    "--hsts|31536000|--hsts-include-subdomains|--hsts-preload|--status|on");
	assert_string_equal(env, "DEIS_LOG_LEVEL=warn");
	assert_false(tls);
}

static void
test_hsts_implies_https_and_default_age(void **state)
{
	struct dctl *d = *state;
	struct err e = { 0 };
	char *env;
	bool tls;

	config(d, json_pack("{s:s, s:s}", "hsts/enabled", "true", "hsts/preload", "true"));
	assert_string_equal(args(d, &env, &tls, &e), "--enforce-https|--hsts|10886400|--hsts-preload|" DEF);
	/* the HSTS details alone, or false values, change nothing */
	config(d, json_pack("{s:s, s:s, s:s, s:s, s:s}", "hsts/maxAge", "60", "hsts/preload", "true",
	    "enforceHTTPS", "false", "proxyProtocol", "false", "enableNginxStatus", "false"));
	assert_string_equal(args(d, &env, &tls, &e), DEF);
}

/* One `config router set key=value`: 0 accepted, -1 refused (e says why). */
static int
set1(struct dctl *d, const char *key, const char *value, struct err *e)
{
	json_t *changes = json_pack("{s:s}", key, value);
	int rc;

	memset(e, 0, sizeof(*e));
	rc = dctl_router_config_set(d, changes, e);
	json_decref(changes);
	return rc;
}

static void
test_workers_alias_and_auto(void **state)
{
	struct dctl *d = *state;
	struct err e = { 0 };
	char *env;
	bool tls;

	config(d, json_pack("{s:s}", "workers", "3"));
	assert_string_equal(args(d, &env, &tls, &e), "--workers|3|" DEF);
	config(d, json_pack("{s:s}", "workerProcesses", "auto"));
	assert_string_equal(args(d, &env, &tls, &e), DEF);
	/* setting one drops the other */
	config(d, json_pack("{s:s}", "workers", "3"));
	assert_int_equal(set1(d, "workerProcesses", "2", &e), 0);
	assert_null(json_object_get(json_object_get(d->config, "router"), "workers"));
}

static void
test_error_log_levels(void **state)
{
	static const char *const map[][2] = { { "debug", "debug" }, { "notice", "info" },
	    { "warn", "warn" }, { "error", "error" }, { "emerg", "error" } };
	struct dctl *d = *state;
	struct err e = { 0 };
	char *env, want[64];
	bool tls;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		config(d, json_pack("{s:s}", "errorLogLevel", map[i][0]));
		assert_string_equal(args(d, &env, &tls, &e), DEF);
		snprintf(want, sizeof(want), "DEIS_LOG_LEVEL=%s", map[i][1]);
		assert_string_equal(env, want);
	}
}

static void
test_values(void **state)
{
	static const struct { const char *key, *value; bool ok; } cases[] = {
		{ "bodySize", "1m", true }, { "bodySize", "100M", true }, { "bodySize", "0", true },
		{ "bodySize", "1024", true }, { "bodySize", "2g", true }, { "bodySize", "1t", false },
		{ "bodySize", "m", false }, { "bodySize", "-1m", false }, { "bodySize", "", false },
		{ "bodySize", "1.5m", false }, { "bodySize", "99999999999999m", false },
		{ "defaultTimeout", "1300", true }, { "defaultTimeout", "0", false },
		{ "defaultTimeout", "86401", false }, { "defaultTimeout", "10s", false },
		{ "workerProcesses", "auto", true }, { "workerProcesses", "256", true },
		{ "workerProcesses", "0", false }, { "workerProcesses", "257", false },
		{ "workers", "many", false },
		{ "maxWorkerConnections", "768", true }, { "maxWorkerConnections", "0", false },
		{ "enforceHTTPS", "true", true }, { "enforceHTTPS", "false", true },
		{ "enforceHTTPS", "yes", false }, { "enforceHTTPS", "True", false },
		{ "hsts/maxAge", "0", true }, { "hsts/maxAge", "-1", false },
		{ "gzip", "on", true }, { "gzip", "off", true }, { "gzip", "true", false },
		{ "gzipCompLevel", "9", true }, { "gzipCompLevel", "10", false },
		{ "gzipMinLength", "0", true }, { "gzipHttpVersion", "1.0", true },
		{ "gzipHttpVersion", "2", false }, { "gzipProxied", "any", true },
		{ "gzipProxied", "off", true }, { "gzipProxied", "expired no-cache", false },
		{ "gzipTypes", "*", true }, { "gzipTypes", "text/*", true },
		{ "gzipDisable", "", true }, { "gzipDisable", "MSIE [1-6", false },
		{ "gzipTypes", "text/plain application/x-javascript text/css", true },
		{ "gzipTypes", "text", false }, { "gzipTypes", "text/plain;", false },
		{ "gzipDisable", "msie6", true }, { "gzipDisable", "MSIE [1-6]\\.", true },
		{ "gzipDisable", "a\tb", false }, { "gzipVary", "off", true },
		{ "proxyRealIpCidr", "10.0.0.0/8", true }, { "proxyRealIpCidr", "10.1.2.3", true },
		{ "proxyRealIpCidr", "fd00::/8, 10.0.0.0/8", true },
		{ "proxyRealIpCidr", "10.0.0.0/33", false }, { "proxyRealIpCidr", "example.com", false },
		{ "proxyRealIpCidr", "::ffff:10.0.0.1", false }, { "proxyRealIpCidr", "", true }, { "proxyRealIpCidr", "fd00::1", true },
		{ "affinityArg", "session_id", true }, { "affinityArg", "a b", false },
		{ "controller/whitelist", "10.0.0.0/8:office,1.2.3.4", true },
		{ "controller/whitelist", "1.2.3.4:", false }, { "controller/whitelist", "fd00::/8", true },
		{ "controller/whitelist", "fd00::/8:lab", false },
		{ "controller/whitelist", "1.2.3.4:bad label", false },
		{ "enforceWhitelist", "true", true },
		{ "accessLog", "stdout", true }, { "accessLog", "off", true },
		{ "accessLog", "/var/log/deis/access.log", true }, { "accessLog", "access.log", false },
		{ "accessLog", "/", false }, { "accessLog", "/a b", false }, { "accessLog", "", false },
		{ "accessLogMaxSize", "10m", true }, { "accessLogMaxSize", "0", true },
		{ "accessLogMaxSize", "10 MB", false }, { "accessLogMaxFiles", "2", true },
		{ "accessLogMaxFiles", "100", true }, { "accessLogMaxFiles", "1", false },
		{ "accessLogMaxFiles", "101", false },
		{ "errorLogLevel", "warn", true }, { "errorLogLevel", "verbose", false },
		{ "serverTokens", "off", true }, { "serverNameHashBucketSize", "64", true },
		{ "trafficStatusZoneSize", "1m", true }, { "firewall/errorCode", "400", true },
		{ "firewall/errorCode", "200", false },
		{ "firewall/enabled", "false", true }, { "firewall/enabled", "true", false },
		{ "builder/timeout/tcp", "1200000", false }, { "builder/timeout/tcp", "1200", true },
		{ "controller/timeout/read", "1200", true }, { "controller/timeout/read", "20m", true },
		{ "controller/timeout/send", "2h", true }, { "controller/timeout/connect", "10s", true },
		{ "controller/timeout/connect", "500ms", true }, { "controller/timeout/read", "25h", false },
		{ "controller/timeout/read", "0", false }, { "controller/timeout/read", "20x", false },
		{ "controller/timeout/read", "m", false }, { "builder/timeout/connect", "-1", false },
		{ "sslCert", "/nonexistent.pem", false }, { "sslKey", "/nonexistent.key", false },
		{ "sslDhparam", "/nonexistent.pem", false },
		{ "nosuchKey", "1", false }, { "bodysize", "1m", false },
	};
	struct dctl *d = *state;
	struct err e;
	size_t i;

	config(d, json_object());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = set1(d, cases[i].key, cases[i].value, &e);

		if ((rc == 0) != cases[i].ok)
			fail_msg("%s=%s: expected %s, got %d (%s)", cases[i].key, cases[i].value,
			    cases[i].ok ? "accepted" : "refused", rc, e.msg);
		if (!cases[i].ok)
			assert_true(e.code == 2 && e.msg[0]);
	}
	assert_int_equal(set1(d, "firewall/enabled", "true", &e), -1);
	assert_non_null(strstr(e.msg, "not supported"));
	assert_int_equal(set1(d, "bodySize", "1t", &e), -1);
	assert_non_null(strstr(e.msg, "bodySize '1t' is not a size"));
}

static void
test_bad_config_json_refused_at_start(void **state)
{
	struct dctl *d = *state;
	struct err e = { 0 };
	char *env;
	bool tls;

	config(d, json_pack("{s:s}", "bodySize", "lots"));
	assert_null(args(d, &env, &tls, &e));
	assert_non_null(strstr(e.msg, "bodySize 'lots'"));
	config(d, json_pack("{s:s}", "firewall/enabled", "true"));
	assert_null(args(d, &env, &tls, &e));
	config(d, json_pack("{s:s}", "sslCert", "sha256:00"));
	assert_null(args(d, &env, &tls, &e));
	assert_non_null(strstr(e.msg, "sslCert is set but sslKey is not"));
}

static void
test_platform_ports(void **state)
{
	struct err e = { 0 };

	assert_int_equal(dctl_platform_check("httpsPort", "443", &e), 0);
	assert_int_equal(dctl_platform_check("healthPort", "9090", &e), 0);
	assert_int_equal(dctl_platform_check("httpsPort", "0", &e), -1);
	assert_int_equal(dctl_platform_check("httpPort", "80a", &e), -1);
	assert_int_equal(dctl_platform_check("sshPort", "65536", &e), -1);
	assert_int_equal(dctl_platform_check("domain", "example.com", &e), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_set_adds_only_the_log_file),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_hsts_implies_https_and_default_age),
		cmocka_unit_test(test_workers_alias_and_auto),
		cmocka_unit_test(test_error_log_levels),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_bad_config_json_refused_at_start),
		cmocka_unit_test(test_platform_ports),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
