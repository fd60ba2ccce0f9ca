/* Unit tests for lib/syslog.c: the parser, the formatter and the RFC 6587 framer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/syslog.h"

#define S(lit) lit, sizeof(lit) - 1

static void
assert_str(struct str s, const char *want)
{
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len ? s.len : 0);
}

static void
test_parse_5424(void **state)
{
	struct syslog_msg m;

	assert_int_equal(syslog_parse(S("<14>1 2026-11-26T10:00:00.5Z host myapp web.1 stdout - hello world\n"), &m), 0);
	assert_int_equal(m.pri, 14);
	assert_int_equal(m.version, 1);
	assert_true(m.time_us == 1795687200500000LL);
	assert_str(m.hostname, "host");
	assert_str(m.app, "myapp");
	assert_str(m.procid, "web.1");
	assert_str(m.msgid, "stdout");
	assert_str(m.sd, "");
	assert_str(m.msg, "hello world");

	/* structured data with escapes, BOM, nil values */
	assert_int_equal(syslog_parse(S("<165>1 - - app - - [ex@1 a=\"x\\]y\" b=\"\"][z@2] \xEF\xBB\xBFmsg"), &m), 0);
	assert_int_equal(m.time_us, -1);
	assert_str(m.hostname, "");
	assert_str(m.procid, "");
	assert_str(m.sd, "[ex@1 a=\"x\\]y\" b=\"\"][z@2]");
	assert_str(m.msg, "msg");

	/* no MSG at all */
	assert_int_equal(syslog_parse(S("<1>1 - h a p m -"), &m), 0);
	assert_str(m.msg, "");

	/* malformed */
	assert_int_equal(syslog_parse(S("<14>1 2026-13-01T00:00:00Z h a p m - x"), &m), -1);
	assert_int_equal(syslog_parse(S("<14>1 - h - p m - no app"), &m), -1);
	assert_int_equal(syslog_parse(S("<192>1 - h a p m - x"), &m), -1);
	assert_int_equal(syslog_parse(S("<14>1 - h a p m [unterminated"), &m), -1);
	assert_int_equal(syslog_parse(S("<14>1 - h a p"), &m), -1);
	assert_int_equal(syslog_parse(S("<14"), &m), -1);
	assert_int_equal(syslog_parse(S(""), &m), -1);
	assert_int_equal(syslog_parse(S("<14>1 - h 0123456789012345678901234567890123456789012345678 p m - x"), &m), -1);
}

static void
test_parse_3164(void **state)
{
	struct syslog_msg m;

	assert_int_equal(syslog_parse(S("<34>Oct 11 22:14:15 mymachine su: 'su root' failed"), &m), 0);
	assert_int_equal(m.version, 0);
	assert_int_equal(m.pri, 34);
	assert_str(m.hostname, "mymachine");
	assert_str(m.app, "su");
	assert_str(m.procid, "");
	assert_str(m.msg, "'su root' failed");

	assert_int_equal(syslog_parse(S("<13>Nov  1 01:02:03 myapp[web.1]: x"), &m), 0);
	assert_str(m.hostname, "");
	assert_str(m.app, "myapp");
	assert_str(m.procid, "web.1");

	/* Deis v1 syslogish, no PRI */
	assert_int_equal(syslog_parse(S("2015-05-07T01:13:53UTC connect-dev[web.1]: ERROR:root:Error"), &m), 0);
	assert_int_equal(m.pri, -1);
	assert_true(m.time_us == 1430961233000000LL);
	assert_str(m.app, "connect-dev");
	assert_str(m.procid, "web.1");
	assert_str(m.msg, "ERROR:root:Error");

	assert_int_equal(syslog_parse(S("<13>2026-01-01T00:00:00+01:00 host app: m"), &m), 0);
	assert_true(m.time_us == (1767225600LL - 3600) * 1000000);
	assert_str(m.hostname, "host");

	/* fuzz regression: "-" is NILVALUE, never a tag (it would not survive formatting) */
	assert_int_equal(syslog_parse(S("<1>14 -:60.123 x"), &m), -1);
	assert_int_equal(syslog_parse(S("app[-]: x"), &m), 0);
	assert_str(m.procid, "");
	assert_int_equal(syslog_parse(S("just some text"), &m), -1);
	assert_int_equal(syslog_parse(S("<13>"), &m), -1);
	assert_int_equal(syslog_parse(S("<13>app[1"), &m), -1);
}

static void
test_time(void **state)
{
	char out[SYSLOG_TIME_LEN + 1];
	int64_t us;

	assert_int_equal(syslog_time_parse(str_from("1970-01-01T00:00:00Z"), &us), 0);
	assert_true(us == 0);
	assert_int_equal(syslog_time_parse(str_from("2000-02-29T23:59:59.123456789-00:30"), &us), 0);
	syslog_time_format(us, out);
	assert_string_equal(out, "2000-03-01T00:29:59.123456Z");
	assert_int_equal(syslog_time_parse(str_from(out), &us), 0);
	syslog_time_format(us, out);
	assert_string_equal(out, "2000-03-01T00:29:59.123456Z");
	assert_int_equal(syslog_time_parse(str_from("2000-02-29T23:59:59"), &us), -1);
	assert_int_equal(syslog_time_parse(str_from("2000-02-29T23:59:59.Z"), &us), -1);
	assert_int_equal(syslog_time_parse(str_from("2000-02-29 23:59:59Z"), &us), -1);
	assert_int_equal(syslog_time_parse(str_from("2000-02-29T24:00:00Z"), &us), -1);
	assert_int_equal(syslog_time_parse(str_from("2000-02-29T23:00:00Zx"), &us), -1);
}

static void
test_format_roundtrip(void **state)
{
	struct syslog_msg m = { 0 }, r;
	struct buf b = BUF_INIT;
	struct syslog_framer f;
	struct str frame;
	size_t used;

	m.pri = 14;
	m.time_us = 1795687200000001LL;
	m.hostname = str_from("h");
	m.app = str_from("myapp");
	m.procid = str_from("web.1");
	m.msg = str_from("hello\nthere");
	syslog_format(&b, &m, true);
	assert_string_equal(b.p, "63 <14>1 2026-11-26T10:00:00.000001Z h myapp web.1 - - hello\nthere");
	syslog_framer_init(&f, 0);
	assert_int_equal(syslog_frame_next(&f, b.p, b.len, &used, &frame), SYSLOG_FRAME_OK);
	assert_int_equal(used, b.len);
	assert_int_equal(syslog_parse(frame.p, frame.len, &r), 0);
	assert_true(r.time_us == m.time_us);
	assert_str(r.msg, "hello\nthere");

	/* defaults and sanitising */
	buf_reset(&b);
	memset(&m, 0, sizeof(m));
	m.pri = -1;
	m.time_us = -1;
	m.app = str_from("a b");
	syslog_format(&b, &m, false);
	assert_string_equal(b.p, "<13>1 - - a_b - - -");
	buf_release(&b);
}

/* Feed input in pieces of `step` bytes through a bounded buffer; collect frames. */
static int
run_framer(const char *in, size_t len, size_t step, size_t max, struct buf *frames, int *bad)
{
	struct syslog_framer f;
	char *win = malloc(SYSLOG_FRAME_ROOM(max));
	size_t have = 0, pos = 0;
	int nframes = 0;

	syslog_framer_init(&f, max);
	*bad = 0;
	while (pos < len || have) {
		size_t room = SYSLOG_FRAME_ROOM(max) - have, n = len - pos;
		enum syslog_frame_res r;
		struct str fr;
		size_t used;

		if (n > step)
			n = step;
		if (n > room)
			n = room;
		assert_true(n > 0 || pos == len);
		memcpy(win + have, in + pos, n);
		have += n;
		pos += n;
		for (;;) {
			r = syslog_frame_next(&f, win, have, &used, &fr);
			if (r == SYSLOG_FRAME_OK) {
				buf_add(frames, fr.p, fr.len);
				buf_addch(frames, '|');
				nframes++;
			} else if (r == SYSLOG_FRAME_BAD) {
				(*bad)++;
			}
			memmove(win, win + used, have - used);
			have -= used;
			if (r == SYSLOG_FRAME_MORE)
				break;
		}
		assert_true(have < SYSLOG_FRAME_ROOM(max));
		if (pos == len)
			break;	/* a trailing partial frame stays unterminated */
	}
	free(win);
	return nframes;
}

static void
test_framer(void **state)
{
	static const char in[] = "5 hello3 abc\nline one\r\n\n0 3 1 x\n"
	    "99999999999 nodigitframe\n" "12ab\n" "4 last";
	struct buf out = BUF_INIT;
	size_t step;
	int bad;

	/* the same frames whatever the read sizes */
	for (step = 1; step <= sizeof(in); step++) {
		buf_reset(&out);
		assert_int_equal(run_framer(in, sizeof(in) - 1, step, 100, &out, &bad), 7);
		assert_string_equal(out.p, "hello|abc|line one|1 x|99999999999 nodigitframe|12ab|last|");
		assert_int_equal(bad, 1);	/* the "0 " */
	}
	buf_release(&out);
}

static void
test_framer_oversize(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	size_t step;
	int bad, i;

	/* counted frame longer than max: skipped exactly, next frame intact */
	buf_addstr(&in, "150 ");
	for (i = 0; i < 150; i++)
		buf_addch(&in, (char)('a' + i % 26));
	buf_addstr(&in, "2 ok");
	/* newline line longer than max: skipped to its LF */
	for (i = 0; i < 300; i++)
		buf_addch(&in, 'z');
	buf_addstr(&in, "\nafter\n");
	/* huge declared length swallows the rest: never desyncs into it */
	buf_addstr(&in, "999999999 5 fake");
	for (step = 1; step < 400; step += 7) {
		buf_reset(&out);
		assert_int_equal(run_framer(in.p, in.len, step, 100, &out, &bad), 2);
		assert_string_equal(out.p, "ok|after|");
		assert_int_equal(bad, 3);
	}
	/* exactly max is delivered, max + 1 is not */
	buf_reset(&in);
	buf_addstr(&in, "100 ");
	for (i = 0; i < 100; i++)
		buf_addch(&in, 'm');
	buf_addstr(&in, "101 ");
	for (i = 0; i < 101; i++)
		buf_addch(&in, 'n');
	buf_addstr(&in, "1 x");
	buf_reset(&out);
	assert_int_equal(run_framer(in.p, in.len, 13, 100, &out, &bad), 2);
	assert_int_equal(bad, 1);
	assert_int_equal(out.len, 100 + 1 + 2);
	buf_release(&in);
	buf_release(&out);
}

static void
test_framer_64k(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct syslog_msg m = { 0 };
	char *line = malloc(SYSLOG_MAX_MSG);
	int bad;

	memset(line, 'x', SYSLOG_MAX_MSG);
	m.pri = 14;
	m.time_us = 0;
	m.app = str_from("app");
	m.msg = str_make(line, SYSLOG_MAX_MSG);
	syslog_format(&in, &m, true);
	syslog_format(&in, &m, true);
	assert_int_equal(run_framer(in.p, in.len, 4096, SYSLOG_MAX_FRAME, &out, &bad), 2);
	assert_int_equal(bad, 0);
	assert_true(out.len > 2 * SYSLOG_MAX_MSG);
	free(line);
	buf_release(&in);
	buf_release(&out);
}

/* The key frame goes through the framer whole and is recognised only exactly. */
static void
test_key_frame(void **state)
{
	struct buf b = BUF_INIT;
	struct syslog_framer f;
	struct str fr;
	size_t used;

	syslog_key_frame(&b, "0123456789abcdef");
	assert_string_equal(b.p, "25 deis-key 0123456789abcdef");
	syslog_framer_init(&f, 0);
	assert_int_equal(syslog_frame_next(&f, b.p, b.len, &used, &fr), SYSLOG_FRAME_OK);
	assert_int_equal(used, b.len);
	assert_true(syslog_key_ok(fr, "0123456789abcdef"));
	assert_false(syslog_key_ok(fr, "0123456789abcdeF"));
	assert_false(syslog_key_ok(fr, "0123456789abcde"));
	assert_false(syslog_key_ok(fr, "0123456789abcdef0"));
	assert_false(syslog_key_ok(fr, ""));
	assert_false(syslog_key_ok(str_from("deis-key "), ""));
	assert_false(syslog_key_ok(str_from("<14>1 - h app - - deis-key 0123456789abcdef"),
	    "0123456789abcdef"));
	assert_false(syslog_key_ok(str_from("deis-kez 0123456789abcdef"), "0123456789abcdef"));
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_5424),
		cmocka_unit_test(test_parse_3164),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_framer),
		cmocka_unit_test(test_framer_oversize),
		cmocka_unit_test(test_framer_64k),
		cmocka_unit_test(test_key_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
