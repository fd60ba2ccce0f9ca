#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/runproto.h"

static void
test_roundtrip(void **state)
{
	struct buf b = BUF_INIT;
	struct runproto_frame f;
	long n;
	size_t off = 0;

	(void)state;
	runproto_add(&b, RUNPROTO_STDIN, "ls\r", 3);
	runproto_add_resize(&b, 40, 300);
	runproto_add(&b, RUNPROTO_EOF, NULL, 0);
	runproto_add_exit(&b, 130);
	runproto_add(&b, RUNPROTO_ERROR, "boom", 4);

	n = runproto_parse(b.p + off, b.len - off, &f, NULL);
	assert_int_equal(n, 8);
	assert_int_equal(f.type, RUNPROTO_STDIN);
	assert_int_equal(f.len, 3);
	assert_memory_equal(f.data, "ls\r", 3);
	off += (size_t)n;
	n = runproto_parse(b.p + off, b.len - off, &f, NULL);
	assert_int_equal(n, 9);
	assert_int_equal(f.type, RUNPROTO_RESIZE);
	assert_int_equal(f.rows, 40);
	assert_int_equal(f.cols, 300);
	off += (size_t)n;
	n = runproto_parse(b.p + off, b.len - off, &f, NULL);
	assert_int_equal(n, 5);
	assert_int_equal(f.type, RUNPROTO_EOF);
	off += (size_t)n;
	n = runproto_parse(b.p + off, b.len - off, &f, NULL);
	assert_int_equal(n, 9);
	assert_int_equal(f.type, RUNPROTO_EXIT);
	assert_int_equal(f.status, 130);
	off += (size_t)n;
	n = runproto_parse(b.p + off, b.len - off, &f, NULL);
	assert_int_equal(n, 9);
	assert_int_equal(f.type, RUNPROTO_ERROR);
	assert_memory_equal(f.data, "boom", 4);
	off += (size_t)n;
	assert_int_equal(off, b.len);
	buf_release(&b);
}

/* Every prefix of a valid frame asks for more, never a frame or an error. */
static void
test_partial(void **state)
{
	struct buf b = BUF_INIT;
	struct runproto_frame f;
	size_t i;

	(void)state;
	runproto_add(&b, RUNPROTO_OUTPUT, "hello", 5);
	for (i = 0; i < b.len; i++)
		assert_int_equal(runproto_parse(b.p, i, &f, NULL), 0);
	assert_int_equal(runproto_parse(b.p, b.len, &f, NULL), (long)b.len);
	buf_release(&b);
}

static void
test_bad(void **state)
{
	struct runproto_frame f;
	const char *why = NULL;

	(void)state;
	/* unknown types, seen from the first byte */
	assert_int_equal(runproto_parse("\x00", 1, &f, &why), -1);
	assert_int_equal(runproto_parse("\x07\0\0\0\0", 5, &f, &why), -1);
	assert_string_equal(why, "unknown frame type");
	/* too long: refused from the header, before the payload arrives */
	assert_int_equal(runproto_parse("\x01\0\x01\0\x01", 5, &f, &why), -1);
	assert_string_equal(why, "frame too long");
	assert_int_equal(runproto_parse("\x01\xff\xff\xff\xff", 5, &f, &why), -1);
	/* the largest payload is fine (header says so; more bytes needed) */
	assert_int_equal(runproto_parse("\x01\0\x01\0\0", 5, &f, &why), 0);
	/* fixed sizes */
	assert_int_equal(runproto_parse("\x02\0\0\0\x03" "abc", 8, &f, &why), -1);
	assert_int_equal(runproto_parse("\x03\0\0\0\x01" "a", 6, &f, &why), -1);
	assert_int_equal(runproto_parse("\x05\0\0\0\x02" "ab", 7, &f, &why), -1);
	/* a window of nothing */
	assert_int_equal(runproto_parse("\x02\0\0\0\x04\0\0\0\x50", 9, &f, &why), -1);
	assert_string_equal(why, "resize to 0 rows or columns");
	assert_int_equal(runproto_parse("\x02\0\0\0\x04\0\x18\0\0", 9, &f, &why), -1);
}

/* A payload larger than a frame is split into frames. */
static void
test_split(void **state)
{
	struct buf b = BUF_INIT;
	struct runproto_frame f;
	static char big[RUNPROTO_MAX + 10];
	long n;

	(void)state;
	memset(big, 'x', sizeof(big));
	runproto_add(&b, RUNPROTO_OUTPUT, big, sizeof(big));
	n = runproto_parse(b.p, b.len, &f, NULL);
	assert_int_equal(n, RUNPROTO_HDR + RUNPROTO_MAX);
	assert_int_equal(f.len, RUNPROTO_MAX);
	n = runproto_parse(b.p + n, b.len - (size_t)n, &f, NULL);
	assert_int_equal(n, RUNPROTO_HDR + 10);
	assert_int_equal(f.len, 10);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
