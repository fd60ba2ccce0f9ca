#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/utf8.h"

static void
check(const char *in, size_t n, const char *want)
{
	struct buf b = BUF_INIT;

	utf8_sanitize(&b, in, n);
	assert_string_equal(b.p, want);
	buf_release(&b);
}

static void
test_utf8(void **state)
{
	check("hello\n", 6, "hello\n");
	check("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12, "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check("a\xff" "b", 3, "a\xef\xbf\xbd" "b");
	check("a\0b", 3, "a\xef\xbf\xbd" "b");
	check("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");		/* overlong '/' */
	check("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");	/* surrogate */
	check("\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd");		/* truncated */
	check("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_utf8) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
