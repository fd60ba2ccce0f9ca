/* Unit tests for logspout's Docker log stream decoder (logspout/stream.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/syslog.h"
#include "logspout/logspout.h"

/* Collected lines: "<stream>|<first_ns>|<last_ns>|<text>\n". */
static void
collect(void *arg, int stream, const char *line, size_t len, int64_t first_ns, int64_t last_ns)
{
	struct buf *out = arg;

	buf_addf(out, "%d|%lld|%lld|", stream, (long long)first_ns, (long long)last_ns);
	buf_add(out, line, len);
	buf_addch(out, '\n');
}

static void
frame(struct buf *b, int stream, const char *payload, size_t len)
{
	unsigned char h[8] = { (unsigned char)stream, 0, 0, 0,
		(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8),
		(unsigned char)len };

	buf_add(b, h, 8);
	buf_add(b, payload, len);
}

static void
framef(struct buf *b, int stream, const char *ts, const char *text)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s %s", ts, text);
	frame(b, stream, p.p, p.len);
	buf_release(&p);
}

#define T1 "2026-11-26T10:00:00.000000001Z"
#define T2 "2026-11-26T10:00:00.000000002Z"
#define T3 "2026-11-26T10:00:01.5Z"
#define NS1 1795687200000000001LL

/* Feed in pieces of `step` bytes, finish, return the collected lines. */
static void
decode(const struct buf *in, size_t step, int64_t skip, struct buf *out)
{
	struct lstream s;
	size_t off;

	buf_reset(out);
	lstream_init(&s, skip, collect, out);
	for (off = 0; off < in->len; off += step)
		lstream_feed(&s, in->p + off, in->len - off < step ? in->len - off : step);
	lstream_finish(&s);
	lstream_release(&s);
}

static void
test_parse_ts(void **state)
{
	assert_true(lstream_parse_ts(T1, strlen(T1)) == NS1);
	assert_true(lstream_parse_ts(T3, strlen(T3)) == 1795687201500000000LL);
	assert_true(lstream_parse_ts("garbage", 7) == -1);
	/* fuzz regression: beyond 2262 nanoseconds overflow an int64_t */
	assert_true(lstream_parse_ts("4052-11-26T10:00:00Z", 20) == -1);
	assert_true(lstream_parse_ts("1969-12-31T23:59:59Z", 20) == -1);
}

static void
test_multiplexed(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	size_t step;

	framef(&in, 1, T1, "hello\n");
	framef(&in, 2, T1, "oops\r\n");
	/* a line Docker split into partial entries, with stderr in between */
	framef(&in, 1, T1, "aaaa");
	framef(&in, 2, T2, "err-part-");
	framef(&in, 1, T2, "bbbb\n");
	framef(&in, 2, T2, "end\n");
	frame(&in, 1, "", 0);	/* an empty frame */
	framef(&in, 1, T3, "\n");	/* an empty line */
	for (step = 1; step <= in.len; step++) {
		decode(&in, step, 0, &out);
		assert_string_equal(out.p,
		    "0|1795687200000000001|1795687200000000001|hello\n"
		    "1|1795687200000000001|1795687200000000001|oops\n"
		    "0|1795687200000000001|1795687200000000002|aaaabbbb\n"
		    "1|1795687200000000002|1795687200000000002|err-part-end\n"
		    "0|1795687201500000000|1795687201500000000|\n");
	}
	/* resume: entries not newer than the last one sent are skipped */
	decode(&in, 7, NS1, &out);
	assert_string_equal(out.p,
	    "0|1795687200000000002|1795687200000000002|bbbb\n"
	    "1|1795687200000000002|1795687200000000002|err-part-end\n"
	    "0|1795687201500000000|1795687201500000000|\n");
	buf_release(&in);
	buf_release(&out);
}

static void
test_long_lines(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT, text = BUF_INIT;
	size_t i, n = 0;
	const char *p;

	/* exactly SYSLOG_MAX_MSG in 16 KiB entries: one line */
	for (i = 0; i < SYSLOG_MAX_MSG / 16384; i++) {
		buf_reset(&text);
		while (text.len < 16384)
			buf_addch(&text, 'x');
		if (i == SYSLOG_MAX_MSG / 16384 - 1)
			buf_addch(&text, '\n');
		framef(&in, 1, T1, text.p);
	}
	/* ten bytes more: a full piece, then the rest */
	for (i = 0; i < SYSLOG_MAX_MSG / 16384; i++) {
		buf_reset(&text);
		while (text.len < 16384)
			buf_addch(&text, 'y');
		framef(&in, 1, T2, text.p);
	}
	framef(&in, 1, T3, "0123456789\n");
	decode(&in, 4000, 0, &out);
	for (p = out.p; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	assert_int_equal(n, 3);
	assert_non_null(strstr(out.p, "|xxxx"));
	p = strchr(out.p, '\n');
	assert_int_equal(strlen("0|1795687200000000001|1795687200000000001|") + SYSLOG_MAX_MSG,
	    (size_t)(p - out.p));
	assert_non_null(strstr(out.p, "yyyy\n0|1795687201500000000|1795687201500000000|0123456789\n"));
	buf_release(&in);
	buf_release(&out);
	buf_release(&text);
}

static void
test_raw_tty(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	size_t step;

	buf_addstr(&in, T1 " first\r\n" T2 " second\n" T3 " unterminated");
	for (step = 1; step <= in.len; step++) {
		decode(&in, step, 0, &out);
		assert_string_equal(out.p,
		    "0|1795687200000000001|1795687200000000001|first\n"
		    "0|1795687200000000002|1795687200000000002|second\n"
		    "0|1795687201500000000|1795687201500000000|unterminated\n");
	}
	buf_release(&in);
	buf_release(&out);
}

static void
test_no_timestamp(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct lstream s;

	frame(&in, 1, "short\n", 6);	/* shorter than a time, no space */
	frame(&in, 1, "no time here but spaces\n", 24);
	lstream_init(&s, 0, collect, &out);
	lstream_feed(&s, in.p, in.len);
	lstream_finish(&s);
	assert_int_equal(s.bad_ts, 2);
	assert_string_equal(out.p, "0|0|0|short\n0|0|0|time here but spaces\n");
	lstream_release(&s);
	buf_release(&in);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ts),
		cmocka_unit_test(test_multiplexed),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_raw_tty),
		cmocka_unit_test(test_no_timestamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
