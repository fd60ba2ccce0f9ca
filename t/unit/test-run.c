/* lib/run: real children (true, false, cat, sh -c for signals), no mocks. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/ev.h"
#include "lib/run.h"

static void
test_exit_codes(void **state)
{
	const char *t[] = { "true", NULL }, *f[] = { "false", NULL };
	struct err e = { 0 };
	int st = -1;

	assert_int_equal(run_capture(t, NULL, NULL, NULL, 0, NULL, NULL, 5000, &st, &e), 0);
	assert_int_equal(st, 0);
	assert_int_equal(run_capture(f, NULL, NULL, NULL, 0, NULL, NULL, 5000, &st, &e), 0);
	assert_int_equal(st, 1);
}

static void
test_missing_program(void **state)
{
	const char *argv[] = { "/nonexistent/prog", NULL };
	struct run r = { .argv = argv };
	struct err e = { 0 };

	assert_int_equal(run_start(&r, &e), -1);
	assert_non_null(strstr(e.msg, "cannot run '/nonexistent/prog'"));
	assert_int_equal(r.pid, -1);
}

static void
test_capture_stdin_stdout(void **state)
{
	const char *argv[] = { "cat", NULL };
	struct buf out = BUF_INIT;
	struct err e = { 0 };
	int st = -1;
	static char big[1 << 20];	/* larger than a pipe: exercises the poll loop */

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = 'y';
	assert_int_equal(run_capture(argv, NULL, NULL, big, sizeof(big), &out, NULL, 10000, &st, &e), 0);
	assert_int_equal(st, 0);
	assert_int_equal(out.len, sizeof(big));
	assert_int_equal(out.p[out.len - 1], 'y');
	buf_release(&out);
}

static void
test_env_and_dir_no_shell(void **state)
{
	/* A value full of shell syntax arrives byte for byte: nothing interprets it. */
	const char *env[] = { "V=a'b\"c`d`$HOME e\nf", NULL };
	const char *argv[] = { "env", NULL };
	const char *pwd[] = { "pwd", NULL };
	struct buf out = BUF_INIT;
	struct err e = { 0 };
	int st = -1;

	assert_int_equal(run_capture(argv, env, NULL, NULL, 0, &out, NULL, 5000, &st, &e), 0);
	assert_string_equal(out.p, "V=a'b\"c`d`$HOME e\nf\n");
	buf_reset(&out);
	assert_int_equal(run_capture(pwd, NULL, "/tmp", NULL, 0, &out, NULL, 5000, &st, &e), 0);
	assert_string_equal(out.p, "/tmp\n");
	buf_release(&out);
}

static void
test_stderr_merge_and_split(void **state)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct err e = { 0 };
	int st = -1;

	assert_int_equal(run_capture(argv, NULL, NULL, NULL, 0, &out, &err, 5000, &st, &e), 0);
	assert_string_equal(out.p, "out\n");
	assert_string_equal(err.p, "err\n");
	buf_reset(&out);
	assert_int_equal(run_capture(argv, NULL, NULL, NULL, 0, &out, &out, 5000, &st, &e), 0);
	assert_string_equal(out.p, "out\nerr\n");
	buf_release(&out);
	buf_release(&err);
}

static void
test_timeout_kills(void **state)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct run r = { .argv = argv, .new_pgrp = 1 };
	struct err e = { 0 };
	uint64_t t0 = ev_now_ms();
	int st = -1;

	assert_int_equal(run_start(&r, &e), 0);
	assert_int_equal(run_wait(&r, 200, &st, &e), -1);
	assert_non_null(strstr(e.msg, "timed out"));
	assert_true(ev_now_ms() - t0 < 3000);
	assert_int_equal(r.pid, -1);
}

static void
test_signal_status_and_unread_input(void **state)
{
	const char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
	const char *t[] = { "true", NULL };
	static char big[1 << 20];
	struct err e = { 0 };
	int st = -1;

	assert_int_equal(run_capture(argv, NULL, NULL, NULL, 0, NULL, NULL, 5000, &st, &e), 0);
	assert_int_equal(st, 128 + SIGTERM);
	/* A child that never reads its stdin: we must not die of SIGPIPE. */
	assert_int_equal(run_capture(t, NULL, NULL, big, sizeof(big), NULL, NULL, 5000, &st, &e), 0);
	assert_int_equal(st, 0);
}

static void
test_fd_redirect_and_cloexec(void **state)
{
	const char *argv[] = { "sh", "-c", "echo hi; ls -l /proc/$$/fd | grep -c test-run", NULL };
	char path[] = "/tmp/test-run.XXXXXX", got[64] = { 0 };
	int fd = mkostemp(path, O_CLOEXEC), st = -1;
	struct run r = { .argv = argv, .out = RUN_FD };
	struct err e = { 0 };

	assert_true(fd >= 0);
	r.out_fd = fd;
	assert_int_equal(run_start(&r, &e), 0);
	assert_int_equal(run_wait(&r, 5000, &st, &e), 0);
	assert_int_equal(st, 0);
	assert_true(pread(fd, got, sizeof(got) - 1, 0) > 0);
	/* The file is the child's fd 1 and nothing else: our O_CLOEXEC copy did not leak. */
	assert_string_equal(got, "hi\n1\n");
	close(fd);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_capture_stdin_stdout),
		cmocka_unit_test(test_env_and_dir_no_shell),
		cmocka_unit_test(test_stderr_merge_and_split),
		cmocka_unit_test(test_timeout_kills),
		cmocka_unit_test(test_signal_status_and_unread_input),
		cmocka_unit_test(test_fd_redirect_and_cloexec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
