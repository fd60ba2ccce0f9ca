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

struct pieces {
	struct buf out;		/* "<stream>[<payload piece>]" with S/E marks */
};

static void
piece(void *arg, int stream, const char *p, size_t n, int flags)
{
	struct pieces *c = arg;

	buf_addf(&c->out, "%s%d[%.*s]%s", flags & DOCKER_FRAME_START ? "S" : "", stream, (int)n,
	    p, flags & DOCKER_FRAME_END ? "E" : "");
}

/* The payloads per stream, whatever the pieces: what a consumer joins. */
static void
joined(void *arg, int stream, const char *p, size_t n, int flags)
{
	struct buf *b = arg;

	buf_addf(b, "%s%.*s%s", flags & DOCKER_FRAME_START ? "<" : "", (int)n, p,
	    flags & DOCKER_FRAME_END ? ">" : "");
	(void)stream;
}

static void
test_frames(void **state)
{
	struct buf in = BUF_INIT;
	struct pieces c = { BUF_INIT };
	struct docker_frames f;

	frame(&in, 1, "hello ");
	frame(&in, 2, "err\n");
	frame(&in, 1, "");
	frame(&in, 1, "world\n");
	frame(&in, 7, "junk");
	docker_frames_init(&f, piece, &c);
	docker_frames_feed(&f, in.p, in.len);
	assert_string_equal(c.out.p, "S1[hello ]ES2[err\n]ES1[]ES1[world\n]ES7[junk]E");
	assert_false(docker_frames_partial(&f));
	buf_release(&in);
	buf_release(&c.out);
}

static void
test_frames_every_split(void **state)
{
	struct buf in = BUF_INIT, whole = BUF_INIT, cut = BUF_INIT;
	struct docker_frames f;
	size_t i, j;

	frame(&in, 1, "abc");
	frame(&in, 2, "");
	frame(&in, 1, "defgh");
	docker_frames_init(&f, joined, &whole);
	docker_frames_feed(&f, in.p, in.len);
	assert_string_equal(whole.p, "<abc><><defgh>");
	/* fed in three slices at every pair of cut points: the same frames */
	for (i = 0; i <= in.len; i++)
		for (j = i; j <= in.len; j++) {
			buf_reset(&cut);
			docker_frames_init(&f, joined, &cut);
			docker_frames_feed(&f, in.p, i);
			docker_frames_feed(&f, in.p + i, j - i);
			assert_true(docker_frames_partial(&f) == (j > 0 && j < in.len &&
			    j != 11 && j != 19));
			docker_frames_feed(&f, in.p + j, in.len - j);
			assert_string_equal(cut.p ? cut.p : "", whole.p);
			assert_false(docker_frames_partial(&f));
		}
	buf_release(&in);
	buf_release(&whole);
	buf_release(&cut);
}

static void
test_frames_huge_size(void **state)
{
	/* a size field claiming 4 GiB is only a frame still coming */
	const char h[] = { 1, 0, 0, 0, (char)0xff, (char)0xff, (char)0xff, (char)0xff, 'x' };
	struct pieces c = { BUF_INIT };
	struct docker_frames f;

	docker_frames_init(&f, piece, &c);
	docker_frames_feed(&f, h, sizeof(h));
	assert_string_equal(c.out.p, "S1[x]");
	assert_true(docker_frames_partial(&f));
	buf_release(&c.out);
}

static void
test_demux_max(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	bool trunc = false;

	frame(&in, 1, "0123456789");
	frame(&in, 7, "junk");	/* not output */
	frame(&in, 2, "abcdef");
	docker_demux(in.p, in.len, &out, 12, &trunc);
	assert_string_equal(out.p, "0123456789ab");
	assert_true(trunc);
	buf_release(&in);
	buf_release(&out);
}

static void
text_collect(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
}

static void
test_progress(void **state)
{
	const char *in = "{\"stream\":\"Step 1/2\\n\"}\n\n{\"status\":\"x\"}\r\n"
	    "not json\n{\"stream\":\"ok\\n\"}\n{\"error\":\"boom\",\"errorDetail\":{}}\n"
	    "{\"error\":\"later\"}";
	struct buf text = BUF_INIT;
	struct docker_progress p;
	size_t i;

	/* byte by byte: lines cut anywhere */
	docker_progress_init(&p, text_collect, &text);
	for (i = 0; in[i]; i++)
		assert_int_equal(docker_progress_feed(&p, in + i, 1), 0);
	docker_progress_finish(&p);
	assert_string_equal(text.p, "Step 1/2\nok\n");
	assert_true(p.failed);
	assert_string_equal(p.error, "boom");
	/* a refusal's message is kept, without failing the stream */
	docker_progress_init(&p, NULL, NULL);
	in = "{\"message\":\"no such image\"}";
	docker_progress_feed(&p, in, strlen(in));
	docker_progress_finish(&p);
	assert_false(p.failed);
	assert_string_equal(p.error, "no such image");
	buf_release(&text);
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
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_frames_every_split),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_demux_max),
		cmocka_unit_test(test_frames_huge_size),
		cmocka_unit_test(test_ref_split),
		cmocka_unit_test(test_bad_ids_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
