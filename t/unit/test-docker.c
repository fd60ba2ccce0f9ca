/*
 * lib/docker: the parts that need no daemon (the multiplexed log stream,
 * image references, refusing bad ids before any request). The client itself
 * is exercised against the real dockerd by test-sched-docker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/docker.h"

static void
frame(struct buf *b, int stream, const char *s)
{
	size_t n = strlen(s);
	unsigned char h[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24),
	    (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n };

	buf_add(b, h, 8);
	buf_add(b, s, n);
}

static void
test_demux(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	bool trunc = false;
	size_t used;

	frame(&in, 1, "hello ");
	frame(&in, 2, "err\n");
	frame(&in, 1, "");
	frame(&in, 1, "world\n");
	frame(&in, 7, "junk");	/* unknown stream: skipped */
	used = docker_demux(in.p, in.len, &out, 1 << 20, &trunc);
	assert_int_equal(used, in.len);
	assert_string_equal(out.p, "hello err\nworld\n");
	assert_false(trunc);
	buf_release(&in);
	buf_release(&out);
}

static void
test_demux_partial(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	size_t used, cut;

	frame(&in, 1, "abc");
	cut = in.len;
	frame(&in, 1, "defgh");
	/* header of the second frame only half there */
	used = docker_demux(in.p, cut + 4, &out, 100, NULL);
	assert_int_equal(used, cut);
	assert_string_equal(out.p, "abc");
	/* payload short by one byte */
	used = docker_demux(in.p + cut, in.len - cut - 1, &out, 100, NULL);
	assert_int_equal(used, 0);
	assert_string_equal(out.p, "abc");
	used = docker_demux(in.p + cut, in.len - cut, &out, 100, NULL);
	assert_int_equal(used, in.len - cut);
	assert_string_equal(out.p, "abcdefgh");
	/* fewer than 8 bytes: nothing consumed */
	assert_int_equal(docker_demux("\1\0\0", 3, &out, 100, NULL), 0);
	buf_release(&in);
	buf_release(&out);
}

static void
test_demux_max(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	bool trunc = false;

	frame(&in, 1, "0123456789");
	frame(&in, 2, "abcdef");
	assert_int_equal(docker_demux(in.p, in.len, &out, 12, &trunc), in.len);
	assert_string_equal(out.p, "0123456789ab");
	assert_true(trunc);
	buf_release(&in);
	buf_release(&out);
}

static void
test_demux_huge_size(void **state)
{
	/* a size field claiming 4 GiB must not be trusted */
	const char h[] = { 1, 0, 0, 0, (char)0xff, (char)0xff, (char)0xff, (char)0xff, 'x' };
	struct buf out = BUF_INIT;

	assert_int_equal(docker_demux(h, sizeof(h), &out, 100, NULL), 0);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void
check_ref(const char *ref, const char *repo, const char *tag, bool digest)
{
	char *r, *t;
	bool d;

	assert_int_equal(docker_ref_split(ref, &r, &t, &d), 0);
	assert_string_equal(r, repo);
	assert_string_equal(t, tag);
	assert_int_equal(d, digest);
	free(r);
	free(t);
}

static void
test_ref_split(void **state)
{
	char *r, *t;
	bool d;

	check_ref("127.0.0.1:5000/myapp:git-1a2b3c4d", "127.0.0.1:5000/myapp", "git-1a2b3c4d", false);
	check_ref("127.0.0.1:5000/myapp", "127.0.0.1:5000/myapp", "latest", false);
	check_ref("busybox", "busybox", "latest", false);
	check_ref("deis/example-go:v2", "deis/example-go", "v2", false);
	check_ref("a/b@sha256:0123", "a/b", "sha256:0123", true);
	assert_int_equal(docker_ref_split("", &r, &t, &d), -1);
}

static void
test_bad_ids_refused(void **state)
{
	/* refused before anything is sent: the socket does not even exist */
	struct docker *d = docker_new("/nonexistent/docker.sock");
	struct err e = { 0 };
	char id[DOCKER_ID_MAX];

	assert_null(docker_container_inspect(d, "../../images/x", &e));
	assert_int_equal(e.code, 400);
	assert_int_equal(docker_container_start(d, "a b", &e), -1);
	assert_int_equal(e.code, 400);
	assert_int_equal(docker_image_present(d, "x?y", &e), -1);
	assert_int_equal(e.code, 400);
	/* a good request to a missing socket: a clear error, not a crash */
	assert_int_equal(docker_container_create(d, "x", NULL, id, &e), -1);
	assert_int_equal(e.code, 0);
	assert_non_null(strstr(e.msg, "/nonexistent/docker.sock"));
	assert_int_equal(docker_ping(d, &e), -1);
	docker_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demux),
		cmocka_unit_test(test_demux_partial),
		cmocka_unit_test(test_demux_max),
		cmocka_unit_test(test_demux_huge_size),
		cmocka_unit_test(test_ref_split),
		cmocka_unit_test(test_bad_ids_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
