/*
 * router/decide.c: where a parsed request goes, without sockets: a table
 * parsed from JSON, heads parsed by lib/http1, a configuration per case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "router/router.h"

/* The router's globals routes.c and tls.c refer to (main.c owns them). */
struct router_conf conf;
struct worker W;

static const char table_json[] =
	"{\"version\":1,\"domain\":\"example.test\",\"controller\":[\"127.0.0.1:8000\"],"
	"\"apps\":{\"shop\":{\"domains\":[\"www.shop.test\"],"
	"\"endpoints\":[{\"addr\":\"10.0.0.5:5000\",\"container\":\"c1\"}],\"timeout\":7},"
	"\"empty\":{\"endpoints\":[]},"
	"\"office\":{\"whitelist\":[\"10.1.0.0/16\"],"
	"\"endpoints\":[{\"addr\":\"10.0.0.6:5000\",\"container\":\"c2\"}]}},\"certs\":{}}";

static struct route_table *table;
static struct router_conf rc;
static struct sockaddr_storage peer;

static int
setup(void **state)
{
	char why[256];

	table = routes_parse(table_json, sizeof(table_json) - 1, why, sizeof(why));
	assert_non_null(table);
	return 0;
}

static int
teardown(void **state)
{
	routes_unref(table);
	return 0;
}

static void
reset(void)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer;

	memset(&rc, 0, sizeof(rc));
	rc.body_max = 1024 * 1024;
	rc.connect_ms = 5000;
	rc.first_byte_ms = 30000;
	rc.idle_ms = 55000;
	rc.ctl_connect_ms = 10000;
	rc.ctl_read_ms = 1200000;
	rc.ctl_send_ms = 1200000;
	memset(&peer, 0, sizeof(peer));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &sin->sin_addr);
}

/* Decide on head (a complete request head, maybe followed by body bytes). */
static struct decision
decide(const char *head, enum listener_kind kind, bool tls, struct route_table *t)
{
	struct http1_request req;
	struct decide_in in;
	struct decision d;
	size_t len = strlen(head);
	int r = http1_parse_request(head, len, &req, NULL);

	assert_true(r > 0);
	memset(&in, 0, sizeof(in));
	in.req = &req;
	in.body = head + r;
	in.body_len = len - (size_t)r;
	in.listener = kind;
	in.table = t;
	in.peer = &peer;
	in.tls = tls;
	decide_request(&rc, &in, &d);
	return d;
}

#define GET(host, path) "GET " path " HTTP/1.1\r\nHost: " host "\r\n\r\n"

static void
test_forward_with_app_timeouts(void **state)
{
	struct decision d;

	reset();
	d = decide(GET("shop.example.test", "/"), LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_FORWARD);
	assert_string_equal(d.app->name, "shop");
	assert_int_equal(d.connect_ms, 5000);
	assert_int_equal(d.first_byte_ms, 7000);	/* the app's own */
	assert_int_equal(d.idle_ms, 55000);
	d = decide(GET("www.shop.test:80", "/"), LISTEN_HTTPS, true, table);
	assert_int_equal(d.kind, DECIDE_FORWARD);
	assert_string_equal(d.app->name, "shop");
	d = decide(GET("deis.example.test", "/v2/"), LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_FORWARD);
	assert_ptr_equal(d.app, &table->apps[0]);
	assert_int_equal(d.connect_ms, 10000);
	assert_int_equal(d.first_byte_ms, 1200000);
}

static void
test_router_answers(void **state)
{
	struct decision d;

	reset();
	d = decide(GET("x", "/health-check"), LISTEN_HEALTH, false, table);
	assert_int_equal(d.kind, DECIDE_HEALTH);
	d = decide(GET("x", "/"), LISTEN_HEALTH, false, table);
	assert_int_equal(d.kind, DECIDE_ERROR);
	assert_int_equal(d.status, 404);
	assert_null(d.code);
	d = decide(GET("unknown.test", "/health-check"), LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_HEALTH);
	d = decide(GET("unknown.test", "/"), LISTEN_HTTP, false, table);
	assert_int_equal(d.status, 404);
	assert_true(d.keep);
	d = decide(GET("unknown.test", "/"), LISTEN_HTTP, false, NULL);
	assert_int_equal(d.status, 503);
	assert_string_equal(d.code, "H99");
	d = decide(GET("unknown.test", "/router-nginx-status"), LISTEN_HTTP, false, table);
	assert_int_equal(d.status, 404);	/* --status off */
	rc.status = true;
	d = decide(GET("unknown.test", "/router-nginx-status"), LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_STATUS);
	d = decide(GET("unknown.test", "/router-nginx-status"), LISTEN_HTTPS, true, table);
	assert_int_equal(d.status, 404);	/* the default server is plain HTTP's */
	d = decide(GET("x", "/router-nginx-status"), LISTEN_HEALTH, false, table);
	assert_int_equal(d.kind, DECIDE_STATUS);
}

static void
test_redirect_to_https(void **state)
{
	struct decision d;

	reset();
	rc.enforce_https = true;
	d = decide(GET("shop.example.test:8080", "/a?b=1"), LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_REDIRECT);
	assert_int_equal(d.status, 301);
	assert_int_equal(d.redirect_host.len, strlen("shop.example.test"));
	assert_memory_equal(d.redirect_host.p, "shop.example.test", d.redirect_host.len);
	d = decide(GET("shop.example.test", "/"), LISTEN_HTTPS, true, table);
	assert_int_equal(d.kind, DECIDE_FORWARD);
	/* X-Forwarded-Proto counts only from a trusted balancer */
	d = decide("GET / HTTP/1.1\r\nHost: shop.example.test\r\nX-Forwarded-Proto: https\r\n\r\n",
	    LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_REDIRECT);
}

static void
test_whitelists(void **state)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer;
	struct decision d;

	reset();
	d = decide(GET("office.example.test", "/"), LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_ERROR);
	assert_int_equal(d.status, 403);
	assert_string_equal(d.code, "H25");
	inet_pton(AF_INET, "10.1.2.3", &sin->sin_addr);
	d = decide(GET("office.example.test", "/"), LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_FORWARD);
	/* --enforce-whitelist: an app without one admits nobody, the controller too */
	rc.enforce_whitelist = true;
	d = decide(GET("shop.example.test", "/"), LISTEN_HTTP, false, table);
	assert_int_equal(d.status, 403);
	d = decide(GET("deis.example.test", "/"), LISTEN_HTTP, false, table);
	assert_int_equal(d.status, 403);
}

static void
test_limits_and_endpoints(void **state)
{
	struct decision d;

	reset();
	rc.body_max = 10;
	d = decide("POST / HTTP/1.1\r\nHost: shop.example.test\r\nContent-Length: 11\r\n\r\n",
	    LISTEN_HTTP, false, table);
	assert_int_equal(d.status, 413);
	assert_false(d.keep);
	d = decide("POST / HTTP/1.1\r\nHost: shop.example.test\r\nContent-Length: 10\r\n\r\n",
	    LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_FORWARD);
	d = decide(GET("empty.example.test", "/"), LISTEN_HTTP, false, table);
	assert_int_equal(d.status, 503);
	assert_string_equal(d.code, "H14");
	/* chunked bytes that came with the head are checked before anything is sent */
	d = decide("POST / HTTP/1.1\r\nHost: shop.example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "zz\r\n", LISTEN_HTTP, false, table);
	assert_int_equal(d.status, 400);
	assert_true(d.drop_input);
	d = decide("POST / HTTP/1.1\r\nHost: shop.example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "b\r\n0123456789a\r\n", LISTEN_HTTP, false, table);
	assert_int_equal(d.status, 413);
	assert_true(d.drop_input);
	d = decide("POST / HTTP/1.1\r\nHost: shop.example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n", LISTEN_HTTP, false, table);
	assert_int_equal(d.kind, DECIDE_FORWARD);
}

static void
test_affinity(void **state)
{
	struct decision a, b, c;

	reset();
	a = decide(GET("shop.example.test", "/?sid=42"), LISTEN_HTTP, false, table);
	assert_int_equal(a.affinity, 0);	/* no --affinity-arg */
	rc.affinity_arg = "sid";
	a = decide(GET("shop.example.test", "/?x=1&SID=42"), LISTEN_HTTP, false, table);
	b = decide(GET("shop.example.test", "/p?sid=42&sid=7"), LISTEN_HTTP, false, table);
	c = decide(GET("shop.example.test", "/?sid=43"), LISTEN_HTTP, false, table);
	assert_int_not_equal(a.affinity, 0);
	assert_int_equal(a.affinity, b.affinity);
	assert_int_not_equal(a.affinity, c.affinity);
	a = decide(GET("shop.example.test", "/?sid="), LISTEN_HTTP, false, table);
	assert_int_equal(a.affinity, 0);	/* empty: the normal balancing */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_with_app_timeouts),
		cmocka_unit_test(test_router_answers),
		cmocka_unit_test(test_redirect_to_https),
		cmocka_unit_test(test_whitelists),
		cmocka_unit_test(test_limits_and_endpoints),
		cmocka_unit_test(test_affinity),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
