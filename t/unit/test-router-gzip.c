#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <zlib.h>

#include "router/gzip.h"

static int
setup(void **state)
{
	char why[128];

	gzip_conf_set("--gzip-disable", "msie6", why, sizeof(why));
	gzip_conf_finish();
	return 0;
}

static bool
acc(const char *v)
{
	return gzip_accepts(str_from(v));
}

static void
test_accept_encoding(void **state)
{
	assert_true(acc("gzip"));
	assert_true(acc("GZIP"));
	assert_true(acc("deflate, gzip;q=1.0, *;q=0.5"));
	assert_true(acc("br;q=1, gzip;q=0.001"));
	assert_true(acc("x-gzip"));
	assert_true(acc("*"));
	assert_true(acc(" identity , gzip ; q=0.5 "));
	assert_false(acc(""));
	assert_false(acc("identity"));
	assert_false(acc("deflate, br"));
	assert_false(acc("gzip;q=0"));
	assert_false(acc("gzip; q=0.000"));
	assert_false(acc("gzip;Q=0."));
	assert_false(acc("*;q=0"));
	assert_false(acc("gzip;q=0, *"));	/* an explicit refusal beats the wildcard */
	assert_true(acc("*, gzip;q=0.5"));
	assert_false(acc("gzipx"));
	assert_false(acc("xgzip"));
	assert_true(acc("gzip;level=1"));
}

static void
test_types(void **state)
{
	char why[128];

	assert_true(gzip_type_ok(str_from("text/html")));
	assert_true(gzip_type_ok(str_from("text/plain; charset=utf-8")));
	assert_true(gzip_type_ok(str_from("Application/JSON")));
	assert_true(gzip_type_ok(str_from("application/xml+rss")));
	assert_false(gzip_type_ok(str_from("image/png")));
	assert_false(gzip_type_ok(str_from("text/plainx")));
	assert_false(gzip_type_ok(str_from("")));

	assert_int_equal(gzip_conf_set("--gzip-types", "image/svg+xml", why, sizeof(why)), 1);
	assert_true(gzip_type_ok(str_from("image/svg+xml")));
	assert_true(gzip_type_ok(str_from("text/html;charset=x")));	/* always */
	assert_false(gzip_type_ok(str_from("text/plain")));
	assert_int_equal(gzip_conf_set("--gzip-types", "text", why, sizeof(why)), -1);
	assert_int_equal(gzip_conf_set("--gzip-types", "*", why, sizeof(why)), 1);
	assert_true(gzip_type_ok(str_from("image/png")));
	gzip_conf.ntypes = 0;
	gzip_conf_finish();
	assert_false(gzip_type_ok(str_from("image/png")));
	assert_true(gzip_type_ok(str_from("text/css")));
}

static void
test_disable(void **state)
{
	char why[128];

	assert_true(gzip_ua_disabled(str_from("Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.0)")));
	assert_true(gzip_ua_disabled(str_from("Mozilla/4.0 (compatible; MSIE 4.01; Windows 98)")));
	assert_false(gzip_ua_disabled(str_from("Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)")));
	assert_false(gzip_ua_disabled(str_from("Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)")));
	assert_false(gzip_ua_disabled(str_from("curl/7.88.1")));
	assert_false(gzip_ua_disabled(str_from("MSIE 6")));

	assert_int_equal(gzip_conf_set("--gzip-disable", "^curl/", why, sizeof(why)), 1);
	assert_true(gzip_ua_disabled(str_from("curl/7.88.1")));
	assert_false(gzip_ua_disabled(str_from("Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.0)")));
	assert_int_equal(gzip_conf_set("--gzip-disable", "(", why, sizeof(why)), -1);
	assert_int_equal(gzip_conf_set("--gzip-disable", "", why, sizeof(why)), 1);
	assert_false(gzip_ua_disabled(str_from("Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.0)")));
	assert_int_equal(gzip_conf_set("--gzip-disable", "msie6", why, sizeof(why)), 1);
}

static void
test_flags(void **state)
{
	char why[128];

	assert_int_equal(gzip_conf_set("--gzip", "maybe", why, sizeof(why)), -1);
	assert_int_equal(gzip_conf_set("--gzip-level", "0", why, sizeof(why)), -1);
	assert_int_equal(gzip_conf_set("--gzip-level", "10", why, sizeof(why)), -1);
	assert_int_equal(gzip_conf_set("--gzip-level", "9", why, sizeof(why)), 1);
	assert_int_equal(gzip_conf.level, 9);
	assert_int_equal(gzip_conf_set("--gzip-http-version", "2", why, sizeof(why)), -1);
	assert_int_equal(gzip_conf_set("--gzip-proxied", "expired", why, sizeof(why)), -1);
	assert_int_equal(gzip_conf_set("--gzip-min-length", "-1", why, sizeof(why)), -1);
	assert_int_equal(gzip_conf_set("--listen", "x", why, sizeof(why)), 0);
	gzip_conf.level = 5;
}

static struct http1_response
resp(int status, enum http1_body body, uint64_t len, const char *ct)
{
	struct http1_response r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.body = body;
	r.content_length = len;
	if (ct) {
		r.headers[0].name = STR_LIT("Content-Type");
		r.headers[0].value = str_from(ct);
		r.nheaders = 1;
	}
	return r;
}

static void
test_response(void **state)
{
	struct http1_response r;

	r = resp(200, HTTP1_BODY_LENGTH, 1000, "text/plain");
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_COMPRESS);
	assert_int_equal(gzip_response(GZIP_REQ_VARY, &r), GZIP_VARY);
	assert_int_equal(gzip_response(GZIP_REQ_NO, &r), GZIP_NONE);
	r = resp(200, HTTP1_BODY_LENGTH, 255, "text/plain");
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_NONE);
	r = resp(200, HTTP1_BODY_CHUNKED, 0, "text/plain");
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_COMPRESS);
	r = resp(204, HTTP1_BODY_NONE, 0, "text/plain");
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_NONE);
	r = resp(304, HTTP1_BODY_NONE, 0, "text/plain");
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_NONE);
	r = resp(206, HTTP1_BODY_LENGTH, 1000, "text/plain");
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_NONE);
	r = resp(404, HTTP1_BODY_LENGTH, 1000, "text/html");
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_COMPRESS);
	r = resp(200, HTTP1_BODY_LENGTH, 1000, "image/png");
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_NONE);
	r = resp(200, HTTP1_BODY_LENGTH, 1000, NULL);
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_NONE);
	r = resp(200, HTTP1_BODY_LENGTH, 1000, "text/plain");
	r.headers[1].name = STR_LIT("content-encoding");
	r.headers[1].value = STR_LIT("br");
	r.nheaders = 2;
	assert_int_equal(gzip_response(GZIP_REQ_YES, &r), GZIP_NONE);
}

static void
test_stream(void **state)
{
	struct gzip *g = gzip_new();
	struct buf out = BUF_INIT;
	char big[100000], back[200000];
	z_stream z;
	size_t i, first;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + (i * 7 + i / 100) % 26);
	assert_int_equal(gzip_write(g, big, 50000, false, &out), 0);
	first = out.len;
	/* flushed: what was given so far decompresses without the rest */
	assert_true(first > 0);
	assert_int_equal(gzip_write(g, big + 50000, 50000, false, &out), 0);
	assert_int_equal(gzip_write(g, NULL, 0, true, &out), 0);
	gzip_free(g);

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 31), Z_OK);
	z.next_in = (Bytef *)out.p;
	z.avail_in = (uInt)first;
	z.next_out = (Bytef *)back;
	z.avail_out = sizeof(back);
	assert_int_equal(inflate(&z, Z_SYNC_FLUSH), Z_OK);
	assert_int_equal(z.total_out, 50000);
	z.next_in = (Bytef *)out.p + first;
	z.avail_in = (uInt)(out.len - first);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	inflateEnd(&z);
	buf_release(&out);
	gzip_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_encoding),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_disable),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_stream),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
