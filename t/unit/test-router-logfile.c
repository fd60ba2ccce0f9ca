/* router/logfile.c: rotation by size among several writers, no line lost or torn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "router/router.h"

static char dir[64], path[128];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test-logfile.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/access.log", dir);
	return 0;
}

static int
teardown(void **state)
{
	char p[160];
	int k;

	for (k = 0; k <= LOGFILE_MAX_FILES; k++) {
		if (k)
			snprintf(p, sizeof(p), "%s.%d", path, k);
		else
			snprintf(p, sizeof(p), "%s", path);
		unlink(p);
	}
	return rmdir(dir);
}

/* PATH.k's size, -1 when it does not exist. */
static long
size_of(int k)
{
	char p[160];
	struct stat st;

	if (k)
		snprintf(p, sizeof(p), "%s.%d", path, k);
	else
		snprintf(p, sizeof(p), "%s", path);
	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* A 100-byte line "w<writer> n<seq> xxx...\n". */
static void
line(char *out, int writer, int seq)
{
	int n = snprintf(out, 101, "w%d n%06d ", writer, seq);

	memset(out + n, 'x', (size_t)(99 - n));
	out[99] = '\n';
	out[100] = '\0';
}

/* Every line of PATH.k in order into seqs (the numbers of writer's lines); count returned. */
static int
read_lines(int k, int writer, int *seqs, int max)
{
	char p[160], l[256], *x;
	int n = 0, w, s;
	FILE *f;

	if (k)
		snprintf(p, sizeof(p), "%s.%d", path, k);
	else
		snprintf(p, sizeof(p), "%s", path);
	f = fopen(p, "r");
	if (f == NULL)
		return 0;
	while (fgets(l, sizeof(l), f)) {
		/* whole: its own length, its own newline, nothing of another line in it */
		assert_int_equal(strlen(l), 100);
		assert_int_equal(sscanf(l, "w%d n%d ", &w, &s), 2);
		x = strchr(strchr(l, ' ') + 1, ' ') + 1;
		assert_int_equal(strspn(x, "x"), (size_t)(l + 99 - x));
		if (w == writer && n < max)
			seqs[n++] = s;
	}
	fclose(f);
	return n;
}

/* One writer: full files of max_size, max_files of them, the newest lines kept in order. */
static void
test_rotates_by_size(void **state)
{
	struct logfile lf;
	char l[101];
	int seqs[64], i, k, n, next = 35;

	assert_int_equal(logfile_open(&lf, path, 1000, 3), 0);
	for (i = 0; i < 35; i++) {
		line(l, 0, i);
		assert_int_equal(logfile_write(&lf, l, 100), 0);
	}
	assert_int_equal(lf.rotations, 3);
	assert_int_equal(size_of(0), 500);
	assert_int_equal(size_of(1), 1000);
	assert_int_equal(size_of(2), 1000);
	assert_int_equal(size_of(3), -1);
	/* newest in PATH, then PATH.1, PATH.2: lines 10..34 in order, 0..9 rotated out */
	for (k = 0; k < 3; k++) {
		n = read_lines(k, 0, seqs, 64);
		next -= n;
		for (i = 0; i < n; i++)
			assert_int_equal(seqs[i], next + i);
	}
	assert_int_equal(next, 10);
	logfile_close(&lf);
}

/* A write bigger than max_size goes whole into an empty file; max_size 0 never rotates. */
static void
test_big_write_and_no_limit(void **state)
{
	struct logfile lf;
	char big[3000];
	int i;

	memset(big, 'y', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(logfile_open(&lf, path, 1000, 2), 0);
	assert_int_equal(logfile_write(&lf, big, sizeof(big)), 0);
	assert_int_equal(lf.rotations, 0);
	assert_int_equal(logfile_write(&lf, big, 10), 0);
	assert_int_equal(lf.rotations, 1);
	assert_int_equal(size_of(1), 3000);
	assert_int_equal(size_of(0), 10);
	logfile_close(&lf);
	unlink(path);

	assert_int_equal(logfile_open(&lf, path, 0, 2), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(logfile_write(&lf, big, sizeof(big)), 0);
	assert_int_equal(lf.rotations, 0);
	assert_int_equal(size_of(0), 30000);
	assert_int_equal(size_of(1), 3000);	/* left from above, untouched */
	logfile_close(&lf);
}

/*
 * Two writers (two workers, each its own description): the one that finds the
 * file full rotates; the other goes on into the renamed file until it is full
 * for it too, then reopens PATH instead of rotating again.
 */
static void
test_two_writers(void **state)
{
	struct logfile a, b;
	char l[101];
	int seqs[64], i, got_a = 0, got_b = 0, k;

	assert_int_equal(logfile_open(&a, path, 1000, 10), 0);
	assert_int_equal(logfile_open(&b, path, 1000, 10), 0);
	for (i = 0; i < 5; i++) {
		line(l, 1, i);
		assert_int_equal(logfile_write(&a, l, 100), 0);
		line(l, 2, i);
		assert_int_equal(logfile_write(&b, l, 100), 0);
	}
	assert_int_equal(size_of(0), 1000);
	line(l, 1, 5);
	assert_int_equal(logfile_write(&a, l, 100), 0);	/* a rotates */
	assert_int_equal(a.rotations, 1);
	line(l, 2, 5);
	assert_int_equal(logfile_write(&b, l, 100), 0);	/* b's file is full: b reopens */
	assert_int_equal(b.rotations, 0);
	assert_int_equal(size_of(0), 200);
	assert_int_equal(size_of(1), 1000);
	for (i = 6; i < 30; i++) {
		line(l, 1, i);
		assert_int_equal(logfile_write(&a, l, 100), 0);
		line(l, 2, i);
		assert_int_equal(logfile_write(&b, l, 100), 0);
	}
	assert_int_equal(a.rotations + b.rotations, 5);
	/* every line of each writer once, in order, oldest file first */
	for (k = 9; k >= 0; k--) {
		int sa[64], na = read_lines(k, 1, sa, 64), nb = read_lines(k, 2, seqs, 64);

		for (i = 0; i < na; i++)
			assert_int_equal(sa[i], got_a++);
		for (i = 0; i < nb; i++)
			assert_int_equal(seqs[i], got_b++);
		assert_true(size_of(k) <= 1000);
	}
	assert_int_equal(got_a, 30);
	assert_int_equal(got_b, 30);
	logfile_close(&a);
	logfile_close(&b);
}

/* A file removed under a writer (an operator, or rotated out) is reopened, not written into. */
static void
test_removed_file(void **state)
{
	struct logfile lf;
	char l[101];
	int seqs[4];

	assert_int_equal(logfile_open(&lf, path, 1000, 2), 0);
	line(l, 0, 0);
	assert_int_equal(logfile_write(&lf, l, 100), 0);
	assert_int_equal(unlink(path), 0);
	line(l, 0, 1);
	assert_int_equal(logfile_write(&lf, l, 100), 0);
	assert_int_equal(read_lines(0, 0, seqs, 4), 1);
	assert_int_equal(seqs[0], 1);
	assert_int_equal(lf.rotations, 0);
	logfile_close(&lf);
}

static void
test_bad_args(void **state)
{
	struct logfile lf;

	errno = 0;
	assert_int_equal(logfile_open(&lf, path, 1000, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(logfile_open(&lf, path, 1000, LOGFILE_MAX_FILES + 1), -1);
	assert_int_equal(logfile_open(&lf, "/nonexistent-dir/x/access.log", 1000, 2), -1);
	assert_int_equal(errno, ENOENT);
}

/*
 * Processes at once, as the router's workers: each writes batches of whole
 * lines; with room for everything, every line is found exactly once, whole.
 */
#define PROCS 4
#define LINES 3000
static void
test_processes(void **state)
{
	static int seen[PROCS][LINES];
	int *seqs = malloc(sizeof(int) * LINES), p, k, i, status;
	long total = 0;

	memset(seen, 0, sizeof(seen));
	for (p = 0; p < PROCS; p++) {
		if (fork() == 0) {
			struct logfile lf;
			char batch[100 * 7 + 1];

			if (logfile_open(&lf, path, 32 * 1024, LOGFILE_MAX_FILES) < 0)
				_exit(1);
			for (i = 0; i < LINES;) {
				int n = 1 + (i + p) % 7, j;

				for (j = 0; j < n && i < LINES; j++, i++)
					line(batch + 100 * j, p, i);
				if (logfile_write(&lf, batch, 100 * (size_t)j) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (p = 0; p < PROCS; p++) {
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (k = 0; k < LOGFILE_MAX_FILES; k++) {
		for (p = 0; p < PROCS; p++) {
			int n = read_lines(k, p, seqs, LINES);

			for (i = 0; i < n; i++)
				seen[p][seqs[i]]++;
		}
		if (size_of(k) > 0)
			total += size_of(k);
	}
	assert_true(size_of(LOGFILE_MAX_FILES - 1) == -1);	/* nothing rotated out */
	assert_true(size_of(3) > 0);				/* but rotated */
	assert_int_equal(total, 100L * PROCS * LINES);
	for (p = 0; p < PROCS; p++)
		for (i = 0; i < LINES; i++)
			assert_int_equal(seen[p][i], 1);
	free(seqs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rotates_by_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_write_and_no_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_processes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
