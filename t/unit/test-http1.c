/*
 * lib/http1: every smuggling vector of security.md §3.2 must be rejected with
 * the right status, and valid messages must parse with the right framing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/http1.h"

struct vec {
	const char *name;
	const char *p;
	size_t len;
	int want;	/* negative status, or 0 for "incomplete" */
};

#define V(name, s, want) { name, s, sizeof(s) - 1, want }
#define H "GET / HTTP/1.1\r\nHost: a\r\n"
#define P "POST / HTTP/1.1\r\nHost: a\r\n"

static const struct vec bad_requests[] = {
	/* CL.TE, TE.CL */
	V("CL.TE", P "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", -400),
	V("TE.CL", P "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", -400),
	V("TE then CL", P "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", -400),
	/* TE.TE obfuscation */
	V("TE xchunked", P "Transfer-Encoding: xchunked\r\n\r\n", -400),
	V("TE chunked SP + CL", P "Content-Length: 4\r\nTransfer-Encoding: chunked \r\n\r\n", -400),
	V("TE HTAB chunked + CL", P "Content-Length: 4\r\nTransfer-Encoding:\tchunked\r\n\r\n", -400),
	V("TE Chunked + CL", P "Content-Length: 4\r\nTransfer-Encoding: Chunked\r\n\r\n", -400),
	V("TE chunked, identity", P "Transfer-Encoding: chunked, identity\r\n\r\n", -400),
	V("TE identity", P "Transfer-Encoding: identity\r\n\r\n", -400),
	V("TE ,chunked", P "Transfer-Encoding: ,chunked\r\n\r\n", -400),
	V("TE chunked,", P "Transfer-Encoding: chunked,\r\n\r\n", -400),
	V("TE chunked\\x0b", P "Transfer-Encoding: chunked\x0b\r\n\r\n", -400),
	V("TE chunked\\x0c", P "Transfer-Encoding: chunked\x0c\r\n\r\n", -400),
	V("TE SP colon", P "Transfer-Encoding : chunked\r\n\r\n", -400),
	V("TE duplicated", P "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
	V("TE dup, identity last", P "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", -400),
	V("TE empty", P "Transfer-Encoding:\r\n\r\n", -400),
	V("TE chunked chunked", P "Transfer-Encoding: chunked, chunked\r\n\r\n", -400),
	V("TE quoted", P "Transfer-Encoding: \"chunked\"\r\n\r\n", -400),
	/* found by fuzz-http1-diff: http-parser frames these by name prefix */
	V("TE lookalike", P "Content-Length: 6\r\nTransfer-Encodingh: 6\r\n\r\n0\r\n\r\nG", -400),
	V("TE lookalike after TE", P "Transfer-Encoding: chunked\r\nTransfer-Encodingsss: chunked\r\n\r\n", -400),
	V("CL lookalike", P "Content-Length-X: 5\r\n\r\n", -400),
	/* TE not final */
	V("TE chunked, gzip", P "Transfer-Encoding: chunked, gzip\r\n\r\n", -400),
	V("TE gzip, chunked (unsupported)", P "Transfer-Encoding: gzip, chunked\r\n\r\n", -501),
	V("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
	/* Dup / bad CL */
	V("dup CL differ", P "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", -400),
	V("dup CL same", P "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", -400),
	V("CL list", P "Content-Length: 5, 6\r\n\r\n", -400),
	V("CL list same", P "Content-Length: 5, 5\r\n\r\n", -400),
	V("CL empty + CL", P "Content-Length:\r\nContent-Length: 5\r\n\r\n", -400),
	V("CL empty", P "Content-Length: \r\n\r\n", -400),
	V("CL +5", P "Content-Length: +5\r\n\r\n", -400),
	V("CL -1", P "Content-Length: -1\r\n\r\n", -400),
	V("CL -0", P "Content-Length: -0\r\n\r\n", -400),
	V("CL 0x10", P "Content-Length: 0x10\r\n\r\n", -400),
	V("CL 1_0", P "Content-Length: 1_0\r\n\r\n", -400),
	V("CL 05", P "Content-Length: 05\r\n\r\n", -400),
	V("CL 5 5", P "Content-Length: 5 5\r\n\r\n", -400),
	V("CL overflow", P "Content-Length: 99999999999999999999\r\n\r\n", -400),
	V("CL 2^63", P "Content-Length: 9223372036854775808\r\n\r\n", -400),
	V("CL SP colon", P "Content-Length : 34\r\n\r\n", -400),
	/* obs-fold, leading whitespace */
	V("obs-fold", H "X: a\r\n b\r\n\r\n", -400),
	V("obs-fold TE", P "Transfer-Encoding:\r\n chunked\r\n\r\n", -400),
	V("obs-fold tab", H "X: a\r\n\tb\r\n\r\n", -400),
	V("leading WS first header", "GET / HTTP/1.1\r\n\tContent-Length: 1\r\n\r\nX", -400),
	V("leading SP first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", -400),
	/* bad chars */
	V("NUL in name", H "X\0Y: a\r\n\r\n", -400),
	V("CR in name", H "X\rY: a\r\n\r\n", -400),
	V("DEL in name", H "X\x7fY: a\r\n\r\n", -400),
	V("0x80 in name", H "X\x80Y: a\r\n\r\n", -400),
	V("0xff in name", H "X\xffY: a\r\n\r\n", -400),
	V("NUL in value", H "Header: v\0alue\r\n\r\n", -400),
	V("LF NUL CR in value", H "Header: v\n\x00\ralue\r\n\r\n", -400),
	V("bare CR in value", H "Header: v\ralue\r\n\r\n", -400),
	V("DEL in value", H "Header: v\x7f\r\n\r\n", -400),
	V("ctl in value", H "Header: v\x01\r\n\r\n", -400),
	V("empty name", H ": x\r\n\r\n", -400),
	V("name with slash", H "X/Y: a\r\n\r\n", -400),
	V("no colon", H "Xyz\r\n\r\n", -400),
	/* bare LF */
	V("bare LF", "GET / HTTP/1.1\nHost: a\n\n", -400),
	V("bare LF request line", "GET /\nHTTP/1.1\r\n\r\n", -400),
	V("bare LF header", "GET / HTTP/1.1\r\nHost: a\n\r\n", -400),
	V("bare LF end", H "\n", -400),
	V("bare CR request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", -400),
	V("bare LF leading", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	/* Host */
	V("no Host", "GET / HTTP/1.1\r\n\r\n", -400),
	V("two Host", H "Host: b\r\n\r\n", -400),
	V("two Host same", H "Host: a\r\n\r\n", -400),
	V("Host list", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", -400),
	V("Host userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", -400),
	V("Host space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", -400),
	V("Host slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -400),
	V("Host bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", -400),
	V("Host long port", "GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", -400),
	V("Host percent", "GET / HTTP/1.1\r\nHost: a%2f\r\n\r\n", -400),
	V("Host unclosed v6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", -400),
	V("absolute-form Host mismatch", "GET http://victim/ HTTP/1.1\r\nHost: attacker\r\n\r\n", -400),
	V("absolute-form userinfo", "GET http://u@victim/ HTTP/1.1\r\nHost: victim\r\n\r\n", -400),
	V("absolute-form ftp", "GET ftp://victim/ HTTP/1.1\r\nHost: victim\r\n\r\n", -400),
	V("absolute-form empty authority", "GET http:/// HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	V("absolute-form query no path", "GET http://a?x HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	/* request line */
	V("HTTP/1.32", "GET / HTTP/1.32\r\nHost: a\r\n\r\n", -400),
	V("HTTP/0.9", "GET /\r\n", -400),
	V("HTTP/0.9 with CRLF", "GET /\r\n\r\n", -400),
	V("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", -505),
	V("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", -505),
	V("HTTP/0.9 versioned", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", -505),
	V("lower-case http", "GET / http/1.1\r\nHost: a\r\n\r\n", -400),
	V("two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	V("tab separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	V("trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", -400),
	V("empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	V("bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	V("relative target", "GET a HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	V("asterisk GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	V("8-bit target", "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	V("NUL in target", "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
	V("CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", -501),
	V("garbage early", "\x16\x03\x01\x02\x00", -400),
};

static void
test_bad_requests(void **state)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		const struct vec *v = &bad_requests[i];
		struct http1_request req;
		int r = http1_parse_request(v->p, v->len, &req, NULL);

		if (r != v->want) {
			fprintf(stderr, "vector '%s': got %d, want %d\n", v->name, r, v->want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

static char *
repeat(const char *prefix, int c, size_t n, const char *suffix, size_t *len)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *p = malloc(pl + n + sl + 1);

	assert_non_null(p);
	memcpy(p, prefix, pl);
	memset(p + pl, c, n);
	memcpy(p + pl + n, suffix, sl + 1);
	*len = pl + n + sl;
	return p;
}

static void
test_limits(void **state)
{
	struct http1_request req;
	struct buf b = BUF_INIT;
	size_t len, i;
	char *p;

	/* request line: 8192 accepted, 8193 is 414, even before the CRLF arrives */
	p = repeat("GET /", 'a', 8192 - 14, " HTTP/1.1\r\nHost: a\r\n\r\n", &len);
	assert_int_equal(http1_parse_request(p, len, &req, NULL), (int)len);
	free(p);
	p = repeat("GET /", 'a', 8193 - 14, " HTTP/1.1\r\nHost: a\r\n\r\n", &len);
	assert_int_equal(http1_parse_request(p, len, &req, NULL), -414);
	assert_int_equal(http1_parse_request(p, 8193, &req, NULL), -414);
	assert_int_equal(http1_parse_request(p, 8192, &req, NULL), 0);
	free(p);

	/* one header of 8192 bytes is fine; 8193 is 431, also when incomplete */
	p = repeat(H "X: ", 'v', 8192 - 3, "\r\n\r\n", &len);
	assert_int_equal(http1_parse_request(p, len, &req, NULL), (int)len);
	free(p);
	p = repeat(H "X: ", 'v', 8193 - 3, "\r\n\r\n", &len);
	assert_int_equal(http1_parse_request(p, len, &req, NULL), -431);
	assert_int_equal(http1_parse_request(p, len - 4, &req, NULL), -431);
	free(p);

	/* 100 headers (Host + 99) fine; 101 is 431 */
	buf_addstr(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 99; i++)
		buf_addf(&b, "X-%zu: v\r\n", i);
	buf_addstr(&b, "\r\n");
	assert_int_equal(http1_parse_request(b.p, b.len, &req, NULL), (int)b.len);
	assert_int_equal(req.nheaders, 100);
	buf_setlen(&b, b.len - 2);
	buf_addstr(&b, "X-last: v\r\n\r\n");
	assert_int_equal(http1_parse_request(b.p, b.len, &req, NULL), -431);

	/* 64 KiB total head: 431 */
	buf_reset(&b);
	buf_addstr(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 9; i++) {
		buf_addf(&b, "X-%zu: ", i);
		p = repeat("", 'v', 8000, "\r\n", &len);
		buf_add(&b, p, len);
		free(p);
	}
	buf_addstr(&b, "\r\n");
	assert_true(b.len > 65536);
	assert_int_equal(http1_parse_request(b.p, b.len, &req, NULL), -431);
	assert_int_equal(http1_parse_request(b.p, 65537, &req, NULL), -431);

	/* custom limits */
	{
		struct http1_limits lim = { 32, 16, 64, 2 };

		assert_int_equal(http1_parse_request(H "\r\n", sizeof(H "\r\n") - 1, &req, &lim),
		    (int)sizeof(H "\r\n") - 1);
		assert_int_equal(http1_parse_request(H "A: 1\r\nB: 2\r\n\r\n",
		    sizeof(H "A: 1\r\nB: 2\r\n\r\n") - 1, &req, &lim), -431);
		assert_int_equal(http1_parse_request(H "A: 12345678901234\r\n\r\n",
		    sizeof(H "A: 12345678901234\r\n\r\n") - 1, &req, &lim), -431);
	}
	buf_release(&b);
}

static void
test_valid_requests(void **state)
{
	struct http1_request req;
	const char *s;
	int r;

	s = "GET /x?y=1 HTTP/1.1\r\nHost: App.Example.com:80\r\nX-Empty:\r\nX-Sp:  v  w \t\r\n\r\n";
	r = http1_parse_request(s, strlen(s), &req, NULL);
	assert_int_equal(r, (int)strlen(s));
	assert_true(str_eqs(req.method, "GET"));
	assert_true(str_eqs(req.target, "/x?y=1"));
	assert_true(str_eqs(req.path, "/x?y=1"));
	assert_true(str_eqs(req.host, "App.Example.com:80"));
	assert_int_equal(req.minor, 1);
	assert_int_equal(req.nheaders, 3);
	assert_true(str_eqs(http1_find(req.headers, req.nheaders, "x-empty")->value, ""));
	assert_true(str_eqs(http1_find(req.headers, req.nheaders, "X-SP")->value, "v  w"));
	assert_null(http1_find(req.headers, req.nheaders, "x-none"));
	assert_int_equal(req.body, HTTP1_BODY_NONE);
	assert_true(req.keep_alive);
	assert_false(req.upgrade);

	/* incomplete at every prefix */
	for (size_t n = 0; n < strlen(s); n++)
		assert_int_equal(http1_parse_request(s, n, &req, NULL), 0);

	/* leading CRLFs are skipped and counted */
	s = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(http1_parse_request(s, strlen(s), &req, NULL), (int)strlen(s));
	assert_int_equal(http1_parse_request(s, 1, &req, NULL), 0);

	/* HTTP/1.0: no Host needed, close by default, keep-alive on request */
	s = "GET / HTTP/1.0\r\n\r\n";
	assert_int_equal(http1_parse_request(s, strlen(s), &req, NULL), (int)strlen(s));
	assert_false(req.keep_alive);
	assert_int_equal(req.host.len, 0);
	s = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: a\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_true(req.keep_alive);
	assert_int_equal(req.minor, 0);

	/* HTTP/1.1 Connection: close */
	s = "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_false(req.keep_alive);
	s = "GET / HTTP/1.1\r\nHost: a\r\nConnection: ,  , foo\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_true(req.keep_alive);

	/* Content-Length */
	s = P "Content-Length: 5\r\n\r\nhello";
	r = http1_parse_request(s, strlen(s), &req, NULL);
	assert_int_equal(r, (int)strlen(s) - 5);
	assert_int_equal(req.body, HTTP1_BODY_LENGTH);
	assert_int_equal(req.content_length, 5);
	s = P "Content-Length:  7 \r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_int_equal(req.content_length, 7);
	s = P "Content-Length: 0\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_int_equal(req.body, HTTP1_BODY_NONE);
	s = P "Content-Length: 9223372036854775807\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_int_equal(req.content_length, INT64_MAX);
	/* GET with a body is framed by its CL (get-cl-body-desync) */
	s = H "Content-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n";
	assert_int_equal(http1_parse_request(s, strlen(s), &req, NULL),
	    (int)strlen(H "Content-Length: 3\r\n\r\n"));
	assert_int_equal(req.body, HTTP1_BODY_LENGTH);

	/* chunked, any case, with OWS; several TE headers joined */
	s = P "Transfer-Encoding: Chunked \r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_int_equal(req.body, HTTP1_BODY_CHUNKED);

	/* Expect */
	s = P "Content-Length: 3\r\nExpect: 100-Continue\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_true(req.expect_continue);
	s = "POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_false(req.expect_continue);

	/* Upgrade */
	s = H "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_true(req.upgrade);
	s = H "Upgrade: websocket\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_false(req.upgrade);

	/* absolute-form: routed and forwarded by the target's authority */
	s = "GET http://Victim:8080 HTTP/1.1\r\nHost: victim:8080\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_true(str_eqs(req.host, "Victim:8080"));
	assert_true(str_eqs(req.path, "/"));
	s = "GET https://a/b?c HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_true(str_eqs(req.path, "/b?c"));
	s = "GET http://a/b HTTP/1.0\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_true(str_eqs(req.host, "a"));

	/* Hosts: IPv6 literal, underscore, empty */
	s = "GET / HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	s = "GET / HTTP/1.1\r\nHost: my_app.local\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	s = "GET / HTTP/1.1\r\nHost:\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
	assert_int_equal(req.host.len, 0);

	/* OPTIONS *, obs-text in a value */
	s = "OPTIONS * HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n";
	assert_true(http1_parse_request(s, strlen(s), &req, NULL) > 0);
}

static void
test_pipelined(void **state)
{
	const char *s = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
	    "HEAD /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	struct http1_request req;
	size_t off = 0;
	int r, n = 0;

	while (off < strlen(s)) {
		r = http1_parse_request(s + off, strlen(s) - off, &req, NULL);
		assert_true(r > 0);
		n++;
		off += (size_t)r;
	}
	assert_int_equal(n, 3);
	assert_true(str_eqs(req.method, "HEAD"));
	assert_false(req.keep_alive);
}

#define R(s) (s), sizeof(s) - 1

static void
test_responses(void **state)
{
	struct http1_response res;
	struct str get = STR_LIT("GET"), head = STR_LIT("HEAD");
	int r;

	r = http1_parse_response(R("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"), &res, get, NULL);
	assert_int_equal(r, (int)sizeof("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n") - 1);
	assert_int_equal(res.status, 200);
	assert_true(str_eqs(res.reason, "OK"));
	assert_int_equal(res.body, HTTP1_BODY_LENGTH);
	assert_int_equal(res.content_length, 2);
	assert_true(res.keep_alive);

	assert_true(http1_parse_response(R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
	    &res, get, NULL) > 0);
	assert_int_equal(res.body, HTTP1_BODY_CHUNKED);
	assert_true(http1_parse_response(R("HTTP/1.1 200 OK\r\n\r\n"), &res, get, NULL) > 0);
	assert_int_equal(res.body, HTTP1_BODY_EOF);
	assert_false(res.keep_alive);
	assert_true(http1_parse_response(R("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n"),
	    &res, get, NULL) > 0);
	assert_false(res.keep_alive);
	assert_true(http1_parse_response(R("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	    "Content-Length: 1\r\n\r\n"), &res, get, NULL) > 0);
	assert_true(res.keep_alive);
	assert_true(http1_parse_response(R("HTTP/1.1 200 OK\r\nConnection: close\r\n"
	    "Content-Length: 1\r\n\r\n"), &res, get, NULL) > 0);
	assert_false(res.keep_alive);

	/* no body: HEAD, 204, 304, 1xx */
	assert_true(http1_parse_response(R("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"),
	    &res, head, NULL) > 0);
	assert_int_equal(res.body, HTTP1_BODY_NONE);
	assert_int_equal(res.content_length, 50);
	assert_true(res.keep_alive);
	assert_true(http1_parse_response(R("HTTP/1.1 204 No Content\r\n\r\n"), &res, get, NULL) > 0);
	assert_int_equal(res.body, HTTP1_BODY_NONE);
	assert_true(res.keep_alive);
	assert_true(http1_parse_response(R("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"),
	    &res, get, NULL) > 0);
	assert_int_equal(res.body, HTTP1_BODY_NONE);
	assert_true(http1_parse_response(R("HTTP/1.1 100 Continue\r\n\r\n"), &res, get, NULL) > 0);
	assert_int_equal(res.status, 100);
	assert_int_equal(res.body, HTTP1_BODY_NONE);
	assert_true(http1_parse_response(R("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n\r\n"), &res, get, NULL) > 0);
	assert_int_equal(res.status, 101);
	/* empty reason, with and without the SP */
	assert_true(http1_parse_response(R("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"), &res, get, NULL) > 0);
	assert_int_equal(res.reason.len, 0);
	assert_true(http1_parse_response(R("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"), &res, get, NULL) > 0);
	assert_int_equal(res.status, 404);
	/* incomplete */
	assert_int_equal(http1_parse_response(R("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"), &res, get, NULL), 0);
	assert_int_equal(http1_parse_response(R("HTTP/1.1 20"), &res, get, NULL), 0);
}

static const struct vec bad_responses[] = {
	V("CL+TE", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", -502),
	V("two CL", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", -502),
	V("bare CR", "HTTP/1.1 200 OK\r\nX: a\rSet-Cookie: p\r\n\r\n", -502),
	V("bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", -502),
	V("obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", -502),
	V("SP colon", "HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\n", -502),
	V("CL junk", "HTTP/1.1 200 OK\r\nContent-Length: 0x3\r\n\r\n", -502),
	V("TE gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -502),
	V("TE gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -502),
	V("TE in 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", -502),
	V("HTTP/2", "HTTP/2.0 200 OK\r\n\r\n", -502),
	V("status 2 digits", "HTTP/1.1 20 OK\r\n\r\n", -502),
	V("status 600", "HTTP/1.1 600 X\r\n\r\n", -502),
	V("status 099", "HTTP/1.1 099 X\r\n\r\n", -502),
	V("status letters", "HTTP/1.1 2x0 OK\r\n\r\n", -502),
	V("junk", "SSH-2.0-OpenSSH\r\n\r\n", -502),
	V("NUL reason", "HTTP/1.1 200 O\0K\r\n\r\n", -502),
	V("empty name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n", -502),
	V("TE lookalike", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encodingx: chunked\r\n\r\n", -502),
	V("CL.TE on 204", "HTTP/1.1 204 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", -502),
};

static void
test_bad_responses(void **state)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < sizeof(bad_responses) / sizeof(bad_responses[0]); i++) {
		const struct vec *v = &bad_responses[i];
		struct http1_response res;
		int r = http1_parse_response(v->p, v->len, &res, STR_LIT("GET"), NULL);

		if (r != v->want) {
			fprintf(stderr, "response vector '%s': got %d, want %d\n", v->name, r, v->want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

/* Decode s in one go and byte by byte; both must agree. */
static long
chunked_all(const char *s, size_t len, struct buf *out, bool *done)
{
	struct http1_chunked c;
	struct buf b2 = BUF_INIT;
	long r, total = 0;
	bool d2 = false;
	size_t i;

	memset(&c, 0, sizeof(c));
	r = http1_chunked_decode(&c, s, len, out, done);

	memset(&c, 0, sizeof(c));
	for (i = 0; i < len && !d2; i++) {
		long r2 = http1_chunked_decode(&c, s + i, 1, &b2, &d2);

		if (r2 < 0) {
			total = -1;
			break;
		}
		total += r2;
	}
	if (r < 0)
		assert_int_equal(total, -1);
	else {
		assert_int_equal(total, r);
		assert_int_equal(d2, *done);
		assert_int_equal(b2.len, out->len);
		assert_memory_equal(b2.p, out->p, out->len);
	}
	buf_release(&b2);
	return r;
}

static void
test_chunked(void **state)
{
	struct buf out = BUF_INIT;
	bool done;
	long r;
	static const char ok[] = "5\r\nhello\r\n6;ext=1;q=\"a b\"\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
	static const char *bad[] = {
		"0x5\r\nhello\r\n0\r\n\r\n", " 5\r\nhello\r\n0\r\n\r\n", "+5\r\nhello\r\n0\r\n\r\n",
		"5_\r\nhello\r\n0\r\n\r\n", "-1\r\n", "FFFFFFFFFFFFFFFFF\r\n", "8000000000000000\r\n",
		"2\r\r;a\r\nab\r\n0\r\n\r\n", "0\n\r\n", "0\r\n\n", "5\nhello\r\n",
		"5\r\nhelloXX", "5\r\nhello\n0\r\n\r\n", "5 \r\nhello\r\n", "\r\n",
		"0\r\n Folded: x\r\n\r\n", "0\r\n: x\r\n\r\n", "0\r\nX-T : 1\r\n\r\n",
		"0\r\nX: a\rb\r\n\r\n", "0\r\nX: a\0\r\n\r\n", "0\r\nX\r\n\r\n",
		"2;a\0b\r\nab\r\n", "g\r\n",
	};
	size_t i;

	r = chunked_all(ok, sizeof(ok) - 1, &out, &done);
	assert_int_equal(r, (long)sizeof(ok) - 1 - 4);
	assert_true(done);
	assert_int_equal(out.len, 11);
	assert_memory_equal(out.p, "hello world", 11);

	/* incomplete: not done, everything consumed */
	buf_reset(&out);
	r = chunked_all(ok, 20, &out, &done);
	assert_int_equal(r, 20);
	assert_false(done);
	/* missing final CRLF: never done */
	buf_reset(&out);
	r = chunked_all("0\r\n", 3, &out, &done);
	assert_int_equal(r, 3);
	assert_false(done);
	/* leading zeros and upper case hex are fine; BWS before ';' too */
	buf_reset(&out);
	r = chunked_all(R("000A \t;x\r\n0123456789\r\n0\r\n\r\n"), &out, &done);
	assert_true(r > 0 && done);
	assert_int_equal(out.len, 10);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);

		if (i == 19 || i == 21)	/* contain a NUL */
			len = i == 19 ? sizeof("0\r\nX: a\0\r\n\r\n") - 1 : sizeof("2;a\0b\r\nab\r\n") - 1;
		buf_reset(&out);
		r = chunked_all(bad[i], len, &out, &done);
		if (r != -1)
			fprintf(stderr, "chunk vector %zu accepted\n", i);
		assert_int_equal(r, -1);
	}

	/* 1 MiB of chunk extensions: rejected once past 1 KiB */
	{
		size_t len;
		char *p = repeat("1;", 'a', 1 << 20, "\r\nx\r\n0\r\n\r\n", &len);
		struct http1_chunked c;

		memset(&c, 0, sizeof(c));
		assert_int_equal(http1_chunked_decode(&c, p, len, NULL, &done), -1);
		free(p);
	}
	/* data after 0\r\n\r\n is not consumed */
	{
		struct http1_chunked c;
		const char s[] = "0\r\n\r\nGET / HTTP/1.1\r\n";

		memset(&c, 0, sizeof(c));
		assert_int_equal(http1_chunked_decode(&c, R(s), NULL, &done), 5);
		assert_true(done);
		assert_int_equal(http1_chunked_decode(&c, s + 5, 3, NULL, &done), 0);
		assert_true(done);
	}
	/* the total is counted without output */
	{
		struct http1_chunked c;

		memset(&c, 0, sizeof(c));
		assert_true(http1_chunked_decode(&c, R("3\r\nabc\r\n2\r\nde\r\n"), NULL, &done) > 0);
		assert_int_equal(c.total, 5);
		assert_false(done);
	}
	buf_release(&out);
}

static void
test_reason_standard(void **state)
{
	assert_string_equal(http1_reason(404), "Not Found");
	assert_string_equal(http1_reason(301), "Moved Permanently");
	assert_string_equal(http1_reason(502), "Bad Gateway");
	assert_string_equal(http1_reason(503), "Service Unavailable");
	assert_string_equal(http1_reason(504), "Gateway Timeout");
	assert_string_equal(http1_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http1_reason(599), "Server Error");
	assert_string_equal(http1_reason(499), "Client Error");
}

static void
test_reason(void **state)
{
	assert_string_equal(http1_reason_upper(200), "OK");
	assert_string_equal(http1_reason_upper(201), "CREATED");
	assert_string_equal(http1_reason_upper(204), "NO CONTENT");
	assert_string_equal(http1_reason_upper(400), "BAD REQUEST");
	assert_string_equal(http1_reason_upper(401), "UNAUTHORIZED");
	assert_string_equal(http1_reason_upper(403), "FORBIDDEN");
	assert_string_equal(http1_reason_upper(404), "NOT FOUND");
	assert_string_equal(http1_reason_upper(405), "METHOD NOT ALLOWED");
	assert_string_equal(http1_reason_upper(409), "CONFLICT");
	assert_string_equal(http1_reason_upper(413), "REQUEST ENTITY TOO LARGE");
	assert_string_equal(http1_reason_upper(500), "INTERNAL SERVER ERROR");
	assert_string_equal(http1_reason_upper(502), "BAD GATEWAY");
	assert_string_equal(http1_reason_upper(503), "SERVICE UNAVAILABLE");
	assert_string_equal(http1_reason_upper(504), "GATEWAY TIMEOUT");
	assert_string_equal(http1_reason_upper(999), "UNKNOWN STATUS CODE");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_valid_requests),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_bad_responses),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_reason_standard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
