/* Unit tests for the logger's ingestion and store (logger/recv.c, logger/store.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "lib/syslog.h"
#include "logger/logger.h"

static char dir[64];

static int
setup(void **state)
{
	struct logger *lg = calloc(1, sizeof(*lg));

	snprintf(dir, sizeof(dir), "/tmp/test-logger.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	lg->o.dir = dir;
	lg->o.file_max = 4096;
	lg->o.history = 2;
	lg->o.tail_bytes = 4096;
	lg->o.tail_budget = 3 * 8192;	/* room for three apps' tails */
	lg->o.frame_max = SYSLOG_MAX_FRAME;
	lg->o.drain_queue = 1 << 20;
	lg->o.follow_queue = 1 << 20;
	lg->store = store_new(lg);
	*state = lg;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
teardown(void **state)
{
	struct logger *lg = *state;

	store_free(lg->store);
	free(lg);
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
ingest(struct logger *lg, const char *s)
{
	logger_ingest(lg, s, strlen(s));
}

static void
test_ingest_formats(void **state)
{
	struct logger *lg = *state;
	struct buf out = BUF_INIT;

	ingest(lg, "<14>1 2026-11-26T10:00:00.5+01:00 h myapp web.1 - - hello");
	ingest(lg, "myapp: no proc");
	ingest(lg, "deis-controller[1]: INFO [myapp]: alice deployed 1a2b3c4");
	ingest(lg, "<14>1 - h myapp run.1 - - two\nlines");
	ingest(lg, "not a syslog line");
	ingest(lg, "<14>1 - h ../etc web.1 - - escape");
	assert_int_equal(lg->st.received, 6);
	assert_int_equal(lg->st.malformed, 1);
	assert_int_equal(lg->st.unfiled, 1);
	assert_int_equal(store_tail(lg->store, str_from("myapp"), 100, &out), 5);
	assert_non_null(strstr(out.p, "2026-11-26T09:00:00.500000Z myapp[web.1]: hello\n"));
	assert_non_null(strstr(out.p, " myapp[1]: no proc\n"));
	assert_non_null(strstr(out.p, " myapp[deis-controller]: alice deployed 1a2b3c4\n"));
	assert_non_null(strstr(out.p, " myapp[run.1]: two\n"));
	assert_non_null(strstr(out.p, " myapp[run.1]: lines\n"));
	buf_release(&out);
}

static void
test_valid_app(void **state)
{
	assert_true(logger_valid_app(str_from("my-app_2.x")));
	assert_false(logger_valid_app(str_from("")));
	assert_false(logger_valid_app(str_from(".hidden")));
	assert_false(logger_valid_app(str_from("a/b")));
	assert_false(logger_valid_app(str_from("a b")));
	assert_false(logger_valid_app(str_from(
	    "a1234567890123456789012345678901234567890123456789012345678901234")));
}

static void
test_tail_rotation_restart(void **state)
{
	struct logger *lg = *state;
	struct buf out = BUF_INIT, want = BUF_INIT;
	char line[64];
	size_t n;
	int i;

	for (i = 1; i <= 1000; i++) {
		int len = snprintf(line, sizeof(line), "line %04d of the rotating app", i);

		store_append(lg->store, str_from("rot"), line, (size_t)len);
		if (i % 7 == 0)
			store_flush(lg->store);
	}
	store_flush(lg->store);
	/* the newest lines come from memory, older ones from the files */
	assert_int_equal(store_tail(lg->store, str_from("rot"), 3, &out), 3);
	assert_string_equal(out.p, "line 0998 of the rotating app\nline 0999 of the rotating app\n"
	    "line 1000 of the rotating app\n");
	buf_reset(&out);
	n = store_tail(lg->store, str_from("rot"), 5000, &out);
	assert_true(n > 300 && n < 1000);	/* history: 3 files of ≤ 4 KiB */
	for (i = 1001 - (int)n; i <= 1000; i++)
		buf_addf(&want, "line %04d of the rotating app\n", i);
	assert_string_equal(out.p, want.p);

	/* a new store (a restarted logger) reads the same from disk */
	store_free(lg->store);
	lg->store = store_new(lg);
	buf_reset(&out);
	assert_int_equal(store_tail(lg->store, str_from("rot"), 5000, &out), n);
	assert_string_equal(out.p, want.p);

	store_delete(lg->store, str_from("rot"));
	buf_reset(&out);
	assert_int_equal(store_tail(lg->store, str_from("rot"), 10, &out), 0);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	buf_release(&want);
}

static void
test_tail_budget(void **state)
{
	struct logger *lg = *state;
	struct buf out = BUF_INIT;
	char app[16], line[256];
	size_t apps, bytes;
	int a, i;

	memset(line, 'y', sizeof(line));
	for (a = 0; a < 20; a++) {
		snprintf(app, sizeof(app), "app%d", a);
		for (i = 0; i < 40; i++)
			store_append(lg->store, str_from(app), line, sizeof(line));
	}
	store_stats(lg->store, &apps, &bytes);
	assert_true(bytes <= lg->o.tail_budget + 2 * lg->o.tail_bytes);
	assert_true(apps < 20);
	/* an evicted app is read back from its file */
	assert_int_equal(store_tail(lg->store, str_from("app0"), 2, &out), 2);
	assert_int_equal(out.len, 2 * (sizeof(line) + 1));
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ingest_formats, setup, teardown),
		cmocka_unit_test(test_valid_app),
		cmocka_unit_test_setup_teardown(test_tail_rotation_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_budget, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
