/*
 * libFuzzer target for lib/http1: the request parser, the response parser and
 * the chunked decoder. Oracles besides "no crash, no UB" (security.md §3.8):
 *  - a complete head of n bytes parses identically from exactly n bytes, and
 *    every shorter prefix is "incomplete" or an error (never a different head);
 *  - round trip: re-serialising the parsed request and parsing it again gives
 *    the same method, target, headers and framing;
 *  - the chunked decoder gives the same verdict, consumption and output fed in
 *    one go or split at an arbitrary point;
 *  - tight limits are respected exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
roundtrip(const struct http1_request *a)
{
	struct buf b = BUF_INIT;
	struct http1_request c;
	size_t i;
	int r;

	buf_add(&b, a->method.p, a->method.len);
	buf_addch(&b, ' ');
	buf_add(&b, a->target.p, a->target.len);
	buf_addf(&b, " HTTP/1.%d\r\n", a->minor);
	for (i = 0; i < a->nheaders; i++) {
		buf_add(&b, a->headers[i].name.p, a->headers[i].name.len);
		buf_addstr(&b, ": ");
		buf_add(&b, a->headers[i].value.p, a->headers[i].value.len);
		buf_addstr(&b, "\r\n");
	}
	buf_addstr(&b, "\r\n");
	r = http1_parse_request(b.p, b.len, &c, NULL);
	check(r == (int)b.len);
	check(str_eq(a->method, c.method) && str_eq(a->target, c.target) && a->minor == c.minor);
	check(str_eq(a->host, c.host) && str_eq(a->path, c.path));
	check(a->nheaders == c.nheaders && a->body == c.body);
	check(a->content_length == c.content_length && a->keep_alive == c.keep_alive);
	check(a->upgrade == c.upgrade && a->expect_continue == c.expect_continue);
	for (i = 0; i < a->nheaders; i++)
		check(str_eq(a->headers[i].name, c.headers[i].name) &&
		    str_eq(a->headers[i].value, c.headers[i].value));
	buf_release(&b);
}

static void
chunked(const char *p, size_t n, size_t split)
{
	struct http1_chunked c1, c2;
	struct buf o1 = BUF_INIT, o2 = BUF_INIT;
	bool d1 = false, d2 = false;
	long r1, r2a, r2b = 0;

	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	r1 = http1_chunked_decode(&c1, p, n, &o1, &d1);
	check(r1 >= -1 && r1 <= (long)n);
	if (split > n)
		split = n;
	r2a = http1_chunked_decode(&c2, p, split, &o2, &d2);
	if (r2a >= 0 && !d2) {
		check(r2a == (long)split);
		r2b = http1_chunked_decode(&c2, p + split, n - split, &o2, &d2);
	}
	if (r1 < 0) {
		check(r2a < 0 || r2b < 0);
	} else {
		check(r2a >= 0 && r2b >= 0);
		check(r1 == r2a + r2b && d1 == d2);
		check(o1.len == o2.len && memcmp(o1.p, o2.p, o1.len) == 0);
		check(c1.total == o1.len);
	}
	buf_release(&o1);
	buf_release(&o2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	static const struct http1_limits tight = { 64, 32, 256, 4 };
	struct http1_request req, req2;
	struct http1_response res;
	int r, r2;

	r = http1_parse_request(p, size, &req, NULL);
	check(r <= (int)size);
	if (r > 0) {
		r2 = http1_parse_request(p, (size_t)r, &req2, NULL);
		check(r2 == r && req2.nheaders == req.nheaders && req2.body == req.body);
		check(http1_parse_request(p, (size_t)r - 1, &req2, NULL) <= 0);
		check(req.host.p == NULL || req.host.len == 0 ||
		    (req.host.p >= p && req.host.p + req.host.len <= p + size));
		roundtrip(&req);
		if (req.body == HTTP1_BODY_CHUNKED)
			chunked(p + r, size - (size_t)r, size % 7 + 1);
	} else {
		check(r == 0 || r == -400 || r == -414 || r == -431 || r == -501 || r == -505);
	}

	r2 = http1_parse_request(p, size, &req2, &tight);
	if (r2 > 0)
		check(r > 0 && r2 == r && (size_t)r2 <= tight.max_head && req2.nheaders <= 4);

	r = http1_parse_response(p, size, &res, STR_LIT(size & 1 ? "HEAD" : "GET"), NULL);
	check(r == 0 || r == -502 || (r > 0 && r <= (int)size));
	if (r > 0) {
		check(res.status >= 100 && res.status <= 599);
		if (res.body == HTTP1_BODY_CHUNKED)
			chunked(p + r, size - (size_t)r, size % 5);
	}

	chunked(p, size, size / 2);
	return 0;
}
